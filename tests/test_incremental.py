"""Rebuilds: a build that reuses its cache writes exactly the files a build without one writes.

That is the determinism promise of the caches (parsed records, fragments, SHACL results, dump
segments): each edit below is built once on top of the cache of the previous build and once
with no cache at all, and every file of ``dist/`` must be the same byte for byte. The dumps are
written in segments (``publisher.segments``), made small here so that the fixture data has many
and edits split, merge, add and drop them; the segmented dumps must also be exactly what
serializing the whole graph at once gives.
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import pyoxigraph
import pytest

from publisher import iris, segments
from publisher.build import build_release, load_graph
from publisher.config import DEFAULT_BASE_IRI, BuildSettings
from publisher.errors import DataErrors
from publisher.jsonld import assemble_jsonld
from publisher.namespaces import PREFIXES

Edit = Callable[[Path], None]

DUMPS = ("emigre.nt", "emigre.ttl", "emigre.rdf", "emigre.jsonld")

NEW_PERSON = """\
slug: example-newcomer
name: {en: Example Newcomer, ru: Пример Новичок}
claims:
  - key: occupation
    property: occupation
    value: occupation/novelist
    cite:
      - source: source/smyslov-2022
        excerpt: "the novelist Example Newcomer"
emigrations:
  - key: 2022
    date: "2022-03"
    to: [place/tbilisi]
    wave: wave/2022
    cite:
      - source: source/smyslov-2022
        excerpt: "Example Newcomer left for Tbilisi"
"""

COARSE_RESIDENCE = """\
claims:
- key: residence-tbilisi
  property: residence
  value: place/tbilisi
  privacy: coarse
  cite:
  - source: source/smyslov-2022
    excerpt: This was the moment when we decided to leave.
"""


@pytest.fixture
def small_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    """About four subjects per segment: the fixture data's 86 subjects make some 20 segments."""
    monkeypatch.setattr(segments, "SEGMENT_SUBJECTS", 4)


@pytest.fixture
def data(tmp_path: Path, fixture_data_dir: Path) -> Path:
    """A copy of the fixture data that a test may edit."""
    target = tmp_path / "data"
    shutil.copytree(fixture_data_dir, target)
    return target


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The family of every segment rendered from now on (builds run with one worker)."""
    calls: list[str] = []
    original = segments.render_segment

    def counting(family_name: str, texts: list[str], first: bool) -> list[bytes]:
        calls.append(family_name)
        return original(family_name, texts, first)

    monkeypatch.setattr(segments, "render_segment", counting)
    return calls


def build(data: Path, out: Path, cache: Path | None) -> None:
    settings = BuildSettings(data_dir=data, out_dir=out, cache_dir=cache, workers=1)
    build_release(settings)


def files(root: Path) -> dict[str, bytes]:
    # site/nginx.conf names the absolute directory it serves: the one file that differs between
    # two output directories by design.
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.relative_to(root).as_posix() != "site/nginx.conf"
    }


def assert_same_files(rebuilt: Path, clean: Path) -> None:
    """Every file of the two builds, byte for byte; names the first difference."""
    ours, theirs = files(rebuilt), files(clean)
    assert sorted(ours) == sorted(theirs)
    differing = [name for name in ours if ours[name] != theirs[name]]
    if differing:
        name = differing[0]
        a, b = ours[name], theirs[name]
        if name.endswith(".gz"):
            a, b = gzip.decompress(a), gzip.decompress(b)
        at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), None)
        at = min(len(a), len(b)) if at is None else at
        pytest.fail(
            f"the rebuild differs from a build without cache in {differing}; {name} "
            f"(uncompressed) first differs at byte {at}:\n"
            f"rebuilt: {a[max(0, at - 80) : at + 80]!r}\nclean:   {b[max(0, at - 80) : at + 80]!r}"
        )


def rebuild_and_compare(data: Path, work: Path, edit: Edit) -> None:
    """Build, edit, build again on the same cache; compare with a build without cache."""
    cache = work / "cache"
    build(data, work / "dist", cache)
    edit(data)
    build(data, work / "dist", cache)
    build(data, work / "clean", None)
    assert_same_files(work / "dist", work / "clean")


def gzip_members(packed: bytes) -> int:
    """How many gzip members ``packed`` holds."""
    count = 0
    while packed:
        inflater = zlib.decompressobj(31)
        inflater.decompress(packed)
        assert inflater.eof, "a truncated gzip member"
        packed = inflater.unused_data
        count += 1
    return count


# -- edits ----------------------------------------------------------------------------------------


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} no longer contains {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def change_a_date(data: Path) -> None:
    _replace(data / "people" / "smyslov.yaml", 'date: "2022-03"', 'date: "2022-04"')


def add_a_person(data: Path) -> None:
    (data / "people" / "example-newcomer.yaml").write_text(NEW_PERSON, encoding="utf-8")


def remove_a_person(data: Path) -> None:
    (data / "people" / "bunin.yaml").unlink()


def rename_a_source(data: Path) -> None:
    """Every record citing the source changes: its citations carry the source's name."""
    _replace(data / "sources" / "smyslov-2022.yaml", "Cultural Brain Drain", "Brain Drain")


def rename_a_city(data: Path) -> None:
    """Records pointing at the city change with it (labels name it)."""
    _replace(data / "places" / "tbilisi.yaml", "en: Tbilisi", "en: Tiflis")


def touch_a_file(data: Path) -> None:
    """Same content, new modification time: parsed again, nothing else changes."""
    path = data / "people" / "ulitskaya.yaml"
    path.write_bytes(path.read_bytes())


def change_nothing(data: Path) -> None:
    del data


EDITS: dict[str, Edit] = {
    "change a date": change_a_date,
    "add a person": add_a_person,
    "remove a person": remove_a_person,
    "rename a source": rename_a_source,
    "rename a city": rename_a_city,
    "touch a file": touch_a_file,
    "change nothing": change_nothing,
}


# -- tests ----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("small_segments")
@pytest.mark.parametrize("name", EDITS)
def test_rebuild_writes_the_files_of_a_build_without_cache(
    name: str, data: Path, tmp_path: Path
) -> None:
    rebuild_and_compare(data, tmp_path, EDITS[name])


def test_rebuild_with_default_segments_writes_the_files_of_a_build_without_cache(
    data: Path, tmp_path: Path
) -> None:
    rebuild_and_compare(data, tmp_path, change_a_date)


@pytest.mark.usefixtures("small_segments")
def test_a_country_renamed_changes_the_coarse_claims_on_its_cities(
    data: Path, tmp_path: Path
) -> None:
    """A coarse claim on a city publishes the country, labelled with the country's name.

    The claim's record points at the city, not the country: the fragment's digest must still
    change when the country is renamed.
    """
    (data / "people" / "smyslov.yaml").write_text(
        (data / "people" / "smyslov.yaml").read_text(encoding="utf-8") + COARSE_RESIDENCE,
        encoding="utf-8",
    )

    def rename_the_country(data: Path) -> None:
        _replace(data / "places" / "georgia.yaml", "en: Georgia", "en: Sakartvelo")

    rebuild_and_compare(data, tmp_path, rename_the_country)
    assert b"residence Sakartvelo" in (tmp_path / "dist" / "emigre.nt").read_bytes()


@pytest.mark.usefixtures("small_segments")
def test_a_one_record_edit_renders_few_segments(
    data: Path, tmp_path: Path, rendered: list[str]
) -> None:
    build(data, tmp_path / "dist", tmp_path / "cache")
    everything = len(rendered)
    rendered.clear()
    change_a_date(data)
    build(data, tmp_path / "dist", tmp_path / "cache")
    assert 0 < len(rendered) <= everything // 3, f"{len(rendered)} of {everything} rendered again"
    rendered.clear()
    build(data, tmp_path / "dist", tmp_path / "cache")
    assert rendered == [], "a build with nothing changed rendered segments again"


@pytest.mark.usefixtures("small_segments")
def test_random_edits_one_after_another(data: Path, tmp_path: Path) -> None:
    """A seeded walk through edits, each rebuilt on the previous build's cache."""
    chooser = random.Random(20261127)
    people = sorted((data / "people").glob("*.yaml"))
    cache = tmp_path / "cache"
    build(data, tmp_path / "dist", cache)
    for step in range(6):
        person = chooser.choice(people)
        text = person.read_text(encoding="utf-8")
        description = f"Edited in step {step}, {chooser.random():.6f}"
        if "\ndescription:\n  en: " in text:
            head, _, rest = text.partition("\ndescription:\n  en: ")
            _, _, tail = rest.partition("\n")
            text = f"{head}\ndescription:\n  en: {description}\n{tail}"
        else:
            text += f"description:\n  en: {description}\n"
        person.write_text(text, encoding="utf-8")
        if step == 2:
            add_a_person(data)
        if step == 4:
            (data / "people" / "example-newcomer.yaml").unlink()
        build(data, tmp_path / "dist", cache)
        shutil.rmtree(tmp_path / "clean", ignore_errors=True)
        build(data, tmp_path / "clean", None)
        assert_same_files(tmp_path / "dist", tmp_path / "clean")


@pytest.mark.usefixtures("small_segments")
def test_segmented_dumps_are_the_dumps_of_the_whole_graph(data: Path, tmp_path: Path) -> None:
    """Turtle and RDF/XML as pyoxigraph writes the whole graph; JSON-LD as assembled whole."""
    build(data, tmp_path / "dist", None)
    dist = tmp_path / "dist"
    ntriples = (dist / "emigre.nt").read_bytes()
    for name, fmt in (
        ("emigre.ttl", pyoxigraph.RdfFormat.TURTLE),
        ("emigre.rdf", pyoxigraph.RdfFormat.RDF_XML),
    ):
        whole = pyoxigraph.serialize(
            (
                quad.triple
                for quad in pyoxigraph.parse(ntriples, format=pyoxigraph.RdfFormat.N_TRIPLES)
            ),
            format=fmt,
            prefixes=PREFIXES,
        )
        assert (dist / name).read_bytes() == whole, f"{name} is not the whole graph's {fmt}"
    loaded = load_graph(BuildSettings(data_dir=data, cache_dir=None, workers=1))
    nodes = sorted(node for fragment in loaded.fragments for node in fragment.jsonld_nodes)
    whole_jsonld = assemble_jsonld([text for _, text in nodes], iris.context_url(DEFAULT_BASE_IRI))
    assert (dist / "emigre.jsonld").read_text(encoding="utf-8") == whole_jsonld
    lines = ntriples.decode("utf-8").splitlines()
    assert lines == sorted(lines)
    for name in DUMPS:
        members = gzip_members((dist / f"{name}.gz").read_bytes())
        assert members > 10, f"{name}.gz has {members} members: the segments are not small"


@pytest.mark.usefixtures("small_segments")
def test_gzip_dumps_of_many_members_read_as_one_file(data: Path, tmp_path: Path) -> None:
    """RFC 1952 §2.2: a gzip file is a series of members. gzip, zcat and Python read it whole."""
    build(data, tmp_path / "dist", tmp_path / "cache")
    change_a_date(data)
    build(data, tmp_path / "dist", tmp_path / "cache")
    gzip_program = shutil.which("gzip")
    zcat = shutil.which("zcat")
    if gzip_program is None or zcat is None:
        pytest.fail("gzip is not installed", pytrace=False)
    for name in DUMPS:
        packed = tmp_path / "dist" / f"{name}.gz"
        plain = (tmp_path / "dist" / name).read_bytes()
        assert gzip.decompress(packed.read_bytes()) == plain
        test = subprocess.run([gzip_program, "-t", str(packed)], capture_output=True, check=False)
        assert test.returncode == 0, test.stderr
        unpacked = subprocess.run([zcat, str(packed)], capture_output=True, check=True)
        assert unpacked.stdout == plain


@pytest.mark.usefixtures("small_segments")
def test_a_kept_dump_changed_since_is_not_trusted(data: Path, tmp_path: Path) -> None:
    """A kept dump edited in place (it is a hard link of the published one) is noticed."""
    cache = tmp_path / "cache"
    build(data, tmp_path / "dist", cache)
    kept = cache / "dumps" / "emigre.nt"
    assert kept.stat().st_ino == (tmp_path / "dist" / "emigre.nt").stat().st_ino
    with (tmp_path / "dist" / "emigre.nt").open("ab") as handle:
        handle.write(b"<urn:x:tampered> <urn:x:p> <urn:x:o> .\n")
    change_a_date(data)
    build(data, tmp_path / "dist", cache)
    build(data, tmp_path / "clean", None)
    assert_same_files(tmp_path / "dist", tmp_path / "clean")


@pytest.mark.usefixtures("small_segments")
def test_a_failed_build_leaves_dist_and_the_cache_usable(data: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    build(data, tmp_path / "dist", cache)
    before = files(tmp_path / "dist")
    person = data / "people" / "smyslov.yaml"
    good = person.read_text(encoding="utf-8")
    person.write_text(good.replace("place/tbilisi", "place/nowhere"), encoding="utf-8")
    with pytest.raises(DataErrors):
        build(data, tmp_path / "dist", cache)
    assert files(tmp_path / "dist") == before
    person.write_text(good.replace('"2022-03"', '"2022-05"'), encoding="utf-8")
    build(data, tmp_path / "dist", cache)
    build(data, tmp_path / "clean", None)
    assert_same_files(tmp_path / "dist", tmp_path / "clean")


def test_layout_round_trips_through_json() -> None:
    layout = segments.Layout(
        "https://example.org/context.jsonld",
        {"triples": [segments.Segment("a>", False, [1, 2, 3, 4, 5, 6])]},
        {"emigre.nt": (0, 0)},
        {"emigre.nt": (10, 20, 30)},
    )
    assert segments.Layout.from_json(layout.to_json()) == layout
    assert json.loads(layout.to_json())["segments"]["triples"][0][0] == "a>"


def test_cuts_depend_on_the_subject_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(segments, "SEGMENT_SUBJECTS", 3)
    subjects = [f"https://example.org/id/person/p{n:03d}" for n in range(60)]
    items = [(segments.TRIPLES.key(subject), f"<{subject}> <p> <o> .\n") for subject in subjects]
    whole = segments.cut(sorted(items), segments.TRIPLES)
    assert 5 < len(whole) < 60
    starts = {segment[0][0] for segment in whole[1:]}
    without_one = [item for item in items if item[0] != items[30][0]]
    assert {s[0][0] for s in segments.cut(sorted(without_one), segments.TRIPLES)[1:]} == starts - {
        items[30][0]
    }


def test_a_subject_from_two_fragments_is_merged_in_line_order() -> None:
    """Checks keep two records from minting one IRI; should one slip through, lines stay sorted."""
    items = [
        ("https://example.org/a>", "<https://example.org/a> <p> <o1> .\n"),
        ("https://example.org/b>", "<https://example.org/b> <p> <o2> .\n"),
        ("https://example.org/b>", "<https://example.org/b> <p> <o1> .\n"),
    ]
    merged, repeated = segments.merge_repeated(sorted(items), segments.TRIPLES)
    assert repeated
    assert merged == [
        items[0],
        (
            "https://example.org/b>",
            "<https://example.org/b> <p> <o1> .\n<https://example.org/b> <p> <o2> .\n",
        ),
    ]
    assert segments.merge_repeated(merged, segments.TRIPLES) == (merged, False)
