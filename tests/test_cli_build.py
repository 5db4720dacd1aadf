"""``emigre build`` on bad input: the exact error (file:line), a non-zero exit, ``dist/`` untouched.

Each case starts from a small valid data set written by ``write_valid_data`` and breaks one thing.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

VALID_RECORDS: dict[str, str] = {
    "people/example-exile.yaml": """\
slug: example-exile
name: {en: Example Exile, ru: Пример Эмигрант}
claims:
  - key: occupation
    property: occupation
    value: occupation/journalist
    cite:
      - source: source/example-article
        excerpt: "the journalist Example Exile"
  - key: residence
    property: residence
    value: place/riga
    date: "2022-04"
    cite:
      - source: source/example-article
        excerpt: "now lives abroad"
emigrations:
  - key: 2022
    date: "2022-03"
    to: [place/riga]
    circumstance: fled
    wave: wave/example-wave
    cite:
      - source: source/example-article
        excerpt: "left in March"
""",
    "places/riga.yaml": """\
slug: riga
type: City
name: {en: Riga}
country: place/latvia
""",
    "places/latvia.yaml": """\
slug: latvia
type: Country
name: {en: Latvia}
""",
    "occupations/journalist.yaml": """\
slug: journalist
name: {en: journalist}
""",
    "sources/example-article.yaml": """\
slug: example-article
type: NewsArticle
name: {en: An example article}
date: "2022-06"
language: en
""",
    "waves/example-wave.yaml": """\
slug: example-wave
name: {en: An example wave}
date: "2022"
""",
}


def write_valid_data(data_dir: Path) -> None:
    """A small data set that builds and conforms."""
    for relative, text in VALID_RECORDS.items():
        path = data_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def run_build(data_dir: Path, out_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "publisher",
            "build",
            "--data",
            str(data_dir),
            "--out",
            str(out_dir),
            "--no-cache",
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def tree_digest(directory: Path) -> dict[str, str]:
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def published(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A data set and a ``dist/`` built from it, with the digest of every file in it."""
    data_dir = tmp_path / "data"
    out_dir = tmp_path / "dist"
    write_valid_data(data_dir)
    result = run_build(data_dir, out_dir)
    assert result.returncode == 0, result.stderr
    return data_dir, out_dir, tree_digest(out_dir)


def _replace(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def mutate(data_dir: Path) -> None:
        path = data_dir / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return mutate


def _add(relative: str, text: str) -> Callable[[Path], None]:
    def mutate(data_dir: Path) -> None:
        (data_dir / relative).write_text(text, encoding="utf-8")

    return mutate


BAD_INPUT = {
    "malformed YAML": (
        _replace(
            "people/example-exile.yaml",
            "name: {en: Example Exile, ru: Пример Эмигрант}",
            "name: {en: [Example",
        ),
        "people/example-exile.yaml:3: malformed YAML: did not find expected ',' or ']' "
        "(while parsing a flow sequence at line 2)",
    ),
    "unknown reference": (
        _replace("people/example-exile.yaml", "to: [place/riga]", "to: [place/atlantis]"),
        "people/example-exile.yaml:18: record 'example-exile': emigration '2022': to: unknown reference place/atlantis",
    ),
    "impossible date": (
        _replace("people/example-exile.yaml", 'date: "2022-04"', 'date: "2022-02-30"'),
        "people/example-exile.yaml:13: record 'example-exile': date: '2022-02-30' is not a date",
    ),
    "end before start": (
        _replace(
            "people/example-exile.yaml", 'date: "2022-04"', 'date: "2022-04"\n    end_date: "2021"'
        ),
        "people/example-exile.yaml:14: record 'example-exile': end_date 2021 is before date 2022-04",
    ),
    "duplicate slug": (
        _add("places/riga-copy.yaml", "slug: riga\ntype: City\nname: {en: Riga again}\n"),
        "places/riga.yaml:1: record 'riga': duplicate slug place/riga: also in",
    ),
    "Wikidata ID not in the reference table": (
        _replace("places/latvia.yaml", "type: Country", "type: Country\nwikidata: Q99999999"),
        "places/latvia.yaml:1: record 'latvia': wikidata: Q99999999 is not in the reference table",
    ),
    "uncited claim": (
        _replace(
            "people/example-exile.yaml",
            '    cite:\n      - source: source/example-article\n        excerpt: "the journalist Example Exile"\n',
            "",
        ),
        "people/example-exile.yaml:4: record 'example-exile': claim 'occupation' is not cited",
    ),
    "rename to an unknown record": (
        _add("lifecycle.yaml", "renamed:\n  - {from: place/old-riga, to: place/nowhere}\n"),
        "lifecycle.yaml:2: place/old-riga is renamed to unknown place/nowhere",
    ),
    "withdrawn record still present": (
        _add("lifecycle.yaml", "withdrawn:\n  - {ref: place/riga, date: '2026-11-20'}\n"),
        "lifecycle.yaml:2: place/riga is withdrawn but its record exists",
    ),
    "unknown field": (
        _replace(
            "people/example-exile.yaml",
            "slug: example-exile",
            "slug: example-exile\nbirthday: 1990",
        ),
        "people/example-exile.yaml:2: record 'example-exile': person: unknown field 'birthday'",
    ),
}


def _both(*mutations: Callable[[Path], None]) -> Callable[[Path], None]:
    def mutate(data_dir: Path) -> None:
        for mutation in mutations:
            mutation(data_dir)

    return mutate


BAD_INPUT["withheld claim that would leak"] = (
    _both(
        _replace(
            "people/example-exile.yaml", 'date: "2022-04"', 'date: "2022-04"\n    privacy: withheld'
        ),
        _replace(
            "people/example-exile.yaml",
            'excerpt: "left in March"',
            'excerpt: "left for Riga in March"',
        ),
    ),
    "people/example-exile.yaml:10: record 'example-exile': claim 'residence' is withheld, but 'Riga' appears "
    "in a published excerpt",
)


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_refused_and_dist_untouched(
    case: str, published: tuple[Path, Path, dict[str, str]]
) -> None:
    data_dir, out_dir, before = published
    mutate, expected = BAD_INPUT[case]
    mutate(data_dir)
    result = run_build(data_dir, out_dir)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr.replace(str(data_dir) + "/", ""), result.stderr
    assert tree_digest(out_dir) == before
    assert not [p for p in out_dir.parent.iterdir() if p.name.startswith(".dist.")]


def test_valid_data_builds_and_rebuilds_identically(
    published: tuple[Path, Path, dict[str, str]],
) -> None:
    data_dir, out_dir, before = published
    assert {
        "emigre.ttl",
        "emigre.nt",
        "emigre.jsonld",
        "emigre.rdf",
        "SHA256SUMS",
        "void.ttl",
    } <= set(before)
    result = run_build(data_dir, out_dir)
    assert result.returncode == 0, result.stderr
    assert tree_digest(out_dir) == before


def test_non_conforming_graph_exits_1_and_publishes_nothing(
    published: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    data_dir, out_dir, before = published
    shapes = tmp_path / "shapes"
    shutil.copytree(ROOT / "shapes", shapes)
    # A shape every person violates: the build must refuse to publish.
    (shapes / "zz-test-refuse.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix schema: <http://schema.org/> .\n"
        "<urn:test:shape> a sh:NodeShape ; sh:targetClass schema:Person ;\n"
        "  sh:property [ sh:path schema:nonexistent ; sh:minCount 1 ] .\n",
        encoding="utf-8",
    )
    result = run_build(data_dir, out_dir, "--shapes", str(shapes))
    assert result.returncode == 1, result.stderr
    assert "example-exile" in result.stderr
    assert tree_digest(out_dir) == before


def test_coarse_claim_is_published_at_country_and_year(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    write_valid_data(data_dir)
    _replace(
        "people/example-exile.yaml", 'date: "2022-04"', 'date: "2022-04"\n    privacy: coarse'
    )(data_dir)
    result = run_build(data_dir, tmp_path / "dist")
    assert result.returncode == 0, result.stderr
    nt = (tmp_path / "dist" / "emigre.nt").read_text(encoding="utf-8")
    claim = "<https://w3id.org/emigre/id/claim/example-exile-residence>"
    claim_lines = [line for line in nt.splitlines() if line.startswith(claim)]
    assert any("id/place/latvia" in line for line in claim_lines)
    assert not any("id/place/riga" in line for line in claim_lines)
    assert any('"2022"^^<http://www.w3.org/2001/XMLSchema#gYear>' in line for line in claim_lines)
    assert "<http://schema.org/homeLocation> <https://w3id.org/emigre/id/place/riga>" not in nt


def test_withheld_claim_never_reaches_the_dumps(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    write_valid_data(data_dir)
    _replace(
        "people/example-exile.yaml", 'date: "2022-04"', 'date: "2022-04"\n    privacy: withheld'
    )(data_dir)
    result = run_build(data_dir, tmp_path / "dist")
    assert result.returncode == 0, result.stderr
    for path in (tmp_path / "dist").glob("emigre.*"):
        if path.suffix != ".gz":
            assert "example-exile-residence" not in path.read_text(encoding="utf-8"), path.name


def test_two_records_minting_one_quotation_iri_are_refused(tmp_path: Path) -> None:
    # Record "example-exile" with quote "b-c" and record "example-exile-b" with quote "c" would
    # both mint quotation/example-exile-b-c.
    data_dir = tmp_path / "data"
    write_valid_data(data_dir)
    (data_dir / "people" / "example-exile.yaml").write_text(
        VALID_RECORDS["people/example-exile.yaml"]
        + "quotes:\n  - {key: b-c, text: {en: Words.}, source: source/example-article}\n",
        encoding="utf-8",
    )
    (data_dir / "people" / "example-exile-b.yaml").write_text(
        "slug: example-exile-b\nname: {en: Another Exile}\nquotes:\n"
        "  - {key: c, text: {en: Other words.}, source: source/example-article}\n",
        encoding="utf-8",
    )
    result = run_build(data_dir, tmp_path / "dist")
    assert result.returncode == 2, result.stderr
    assert "quotation IRI example-exile-b-c collides with person/example-exile" in result.stderr
    assert not (tmp_path / "dist").exists()
