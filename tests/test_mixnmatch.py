"""The Mix'n'match catalogue (``publisher.wikidata.mixnmatch``): the TSV import format, what is in
it, and what never is (withheld claims, coarse details beyond their published precision)."""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import pytest
from conftest import RunEmigre

from publisher.config import DEFAULT_BASE_IRI, BuildSettings
from publisher.model.loader import load_dataset
from publisher.model.records import Dataset, Ref
from publisher.model.reference import load_reference_table
from publisher.wikidata.mixnmatch import (
    COLUMNS,
    catalogue_entries,
    describe,
    render_catalogue_tsv,
)


@pytest.fixture(scope="module")
def dataset(fixture_data_dir: Path) -> Dataset:
    reference = load_reference_table(BuildSettings().reference_table)
    return load_dataset(fixture_data_dir, reference, workers=1)


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))


def test_the_import_format(dataset: Dataset) -> None:
    text = render_catalogue_tsv(catalogue_entries(dataset, DEFAULT_BASE_IRI))
    table = rows(text)
    assert table[0] == ["id", "name", "desc", "url", "type"] == list(COLUMNS)
    assert all(len(row) == 5 for row in table)
    assert text.endswith("\n") and "\r" not in text
    ids = [row[0] for row in table[1:]]
    assert len(ids) == len(set(ids))
    assert ids == sorted(ids)  # dataset order: kind, then slug
    by_id = {row[0]: row for row in table[1:]}
    assert by_id["person/balagov"] == [
        "person/balagov",
        "Kantemir Balagov",
        "Russian film director; born 1991; emigrated to Tbilisi",
        "https://w3id.org/emigre/id/person/balagov",
        "Q5",
    ]
    assert by_id["group/ic3peak"][4] == "Q215380"
    assert by_id["organization/bolshoi-theatre"][4] == ""
    assert by_id["work/nureyev-ballet"][3] == "https://w3id.org/emigre/id/work/nureyev-ballet"
    # People, groups, organizations and works; not places, occupations, sources or waves.
    assert {i.split("/")[0] for i in ids} == {"person", "group", "organization", "work"}
    assert render_catalogue_tsv(catalogue_entries(dataset, DEFAULT_BASE_IRI)) == text


def test_withheld_never_and_coarse_at_published_precision(dataset: Dataset) -> None:
    records = dataset.by_ref()
    fictional = describe(records[Ref("person", "fictional-test-person")], records)
    assert "born 1900" in fictional
    for withheld in ("1901", "1930", "Germany", "Denmark"):
        assert withheld not in fictional
    smyslov = describe(records[Ref("person", "smyslov")], records)
    assert smyslov.endswith("emigrated 2022 to Georgia")
    assert "Tbilisi" not in smyslov and "Moscow" not in smyslov
    # Negative control: the same emigration made public names the city.
    record = records[Ref("person", "smyslov")]
    public = dataclasses.replace(
        record,
        emigrations=tuple(dataclasses.replace(e, privacy="public") for e in record.emigrations),
    )
    assert describe(public, records).endswith("emigrated 2022 to Tbilisi")


def test_separators_inside_values_are_replaced(dataset: Dataset) -> None:
    records = dataset.by_ref()
    record = dataclasses.replace(
        records[Ref("person", "balagov")],
        name=(("en", "Kantemir\tBalagov"),),
        description=(("en", "Russian film\ndirector\r\n"),),
    )
    changed = Dataset(tuple(record if r.ref == record.ref else r for r in dataset.records))
    table = rows(render_catalogue_tsv(catalogue_entries(changed, DEFAULT_BASE_IRI)))
    [row] = [row for row in table if row[0] == "person/balagov"]
    assert row[1:3] == [
        "Kantemir Balagov",
        "Russian film director; born 1991; emigrated to Tbilisi",
    ]
    assert all(len(r) == 5 for r in table)


def test_cli_mixnmatch(
    run_emigre: RunEmigre, fixture_data_dir: Path, tmp_path: Path, dataset: Dataset
) -> None:
    out = tmp_path / "catalogue.tsv"
    result = run_emigre(
        "wikidata",
        "mixnmatch",
        "--data",
        fixture_data_dir,
        "--base-iri",
        "https://example.org/e/",
        "--out",
        out,
    )
    assert result.returncode == 0, result.stderr
    expected = render_catalogue_tsv(catalogue_entries(dataset, "https://example.org/e/"))
    assert out.read_text(encoding="utf-8") == expected
    assert "https://example.org/e/id/person/balagov" in expected
    to_stdout = run_emigre(
        "wikidata", "mixnmatch", "--data", fixture_data_dir, "--base-iri", "https://example.org/e/"
    )
    assert to_stdout.stdout == expected
    bad = run_emigre(
        "wikidata", "mixnmatch", "--data", fixture_data_dir, "--base-iri", "https://example.org/e"
    )
    assert bad.returncode == 2 and "must end with '/'" in bad.stderr
