"""The real curated data: it loads, conforms, and says only what its sources say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from publisher.build import validate_release
from publisher.config import BuildSettings
from publisher.model.loader import load_dataset
from publisher.model.records import Dataset, Record
from publisher.model.reference import load_reference_table

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
ARTICLE = SHARED / "sources" / "2022-06-leaving-russia.txt"


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    """The records of ``data/``, loaded and checked."""
    data_dir = ROOT / "data"
    return load_dataset(data_dir, load_reference_table(ROOT / "reference" / "wikidata-ids.tsv"))


def test_real_data_conforms(tmp_path: Path) -> None:
    _, run = validate_release(BuildSettings(cache_dir=None, out_dir=tmp_path / "dist"))
    assert run.report.conforms, [r.message for r in run.report.results]


def test_reference_table_matches_the_shared_copy() -> None:
    shared = SHARED / "reference" / "wikidata-ids.tsv"
    if not shared.exists():
        pytest.skip("no ../shared/ beside this checkout")
    assert (ROOT / "reference" / "wikidata-ids.tsv").read_bytes() == shared.read_bytes()


def _normalise(text: str) -> str:
    return " ".join(
        text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"').split()
    )


def _article_text() -> str:
    text = ARTICLE.read_text(encoding="utf-8")
    return _normalise(text.split("Articles You May Like")[0])


def _excerpts_from_article(records: tuple[Record, ...]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for record in records:
        for item in (*record.claims, *record.emigrations, *record.persecutions):
            for cite in item.cites:
                if cite.source.slug == "smyslov-2022":
                    found.append((f"{record.ref} {item.key}", cite.excerpt))
        for quote in record.quotes:
            if quote.source.slug == "smyslov-2022":
                found.extend((f"{record.ref} quote {quote.key}", text) for _, text in quote.text)
    return found


def test_every_article_excerpt_and_quote_is_verbatim(dataset: Dataset) -> None:
    if not ARTICLE.exists():
        pytest.skip("no ../shared/ beside this checkout")
    article = _article_text()
    missing = [
        (where, part)
        for where, excerpt in _excerpts_from_article(dataset.records)
        for part in re.split(r"\s*\.\.\.\s*", _normalise(excerpt))
        if part and part not in article
    ]
    assert not missing


def test_the_author_partner_is_not_an_entity(dataset: Dataset) -> None:
    names = {
        text for record in dataset.records for _, text in (*record.name, *record.alternate_names)
    }
    assert not any("Vova" in name for name in names)


def test_every_person_linked_to_wikidata_uses_a_checked_id(dataset: Dataset) -> None:
    table = load_reference_table(ROOT / "reference" / "wikidata-ids.tsv")
    for record in dataset.records:
        if record.wikidata:
            assert record.wikidata in table, record.ref
            expected = "verified" if table[record.wikidata].status == "verified" else "needs-review"
            assert record.link_state == expected


def test_both_shacl_engines_agree_on_the_real_data(tmp_path: Path) -> None:
    runs = {
        engine: validate_release(
            BuildSettings(cache_dir=None, out_dir=tmp_path / "dist", shacl_engine=engine)
        )[1]
        for engine in ("pyshacl", "turbo")
    }
    assert {run.engine for run in runs.values()} == {"pyshacl", "turbo"}
    assert runs["pyshacl"].report.conforms == runs["turbo"].report.conforms
    assert runs["pyshacl"].report.results == runs["turbo"].report.results
