"""The diff of our claims against Wikidata (``publisher.wikidata.diff``): the comparison rules as
pure functions over entity JSON, then the library and the CLI against the replay server.

Wikidata's side is ``tests/fixtures/wikidata-diff`` (its README says what is real and what was
constructed for which case).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import RunEmigre
from wikidata_replay import WikidataReplay, load_fixture_entities

from publisher.config import BuildSettings
from publisher.model.dates import PartialDate
from publisher.model.loader import load_dataset
from publisher.model.records import Dataset, Ref
from publisher.model.reference import load_reference_table
from publisher.wikidata.diff import (
    TSV_COLUMNS,
    ClaimDiff,
    DiffError,
    DiffReport,
    compare_dates,
    compare_statement,
    diff_dataset,
    link_problems,
    reference_present,
    render_diff_json,
    render_diff_summary,
    render_diff_tsv,
    run_diff,
)
from publisher.wikidata.entities import FetchedEntity
from publisher.wikidata.entity_statements import WikidataTime, read_statements, read_time
from publisher.wikidata.settings import WikidataSettings
from publisher.wikidata.statements import Reference, Statement
from publisher.wikidata.values import ItemValue, MonolingualValue, Snak, StringValue, TimeValue

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "wikidata-diff"
REFERENCE_TABLE = BuildSettings().reference_table
USER_AGENT = "EmigreTests/0.1 (https://example.org/emigre-tests; tests@example.org)"
TITLE = (
    "Leaving Russia: Rockstars, Writers, Actors, and Filmmakers on the Country's Cultural "
    "Brain Drain"
)
JULIAN = "http://www.wikidata.org/entity/Q1985786"


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dataset(fixture_data_dir: Path) -> Dataset:
    return load_dataset(fixture_data_dir, load_reference_table(REFERENCE_TABLE), workers=1)


def fetched_fixtures(ids: list[str]) -> dict[str, FetchedEntity]:
    """The fixture entities as the client would hand them over."""
    entities, redirects, missing = load_fixture_entities(FIXTURES)
    fetched = {}
    for entity_id in ids:
        if entity_id in missing:
            fetched[entity_id] = FetchedEntity(entity_id, "missing", entity_id)
        elif entity_id in redirects:
            target = redirects[entity_id]
            fetched[entity_id] = FetchedEntity(entity_id, "redirected", target, entities[target], 1)
        else:
            fetched[entity_id] = FetchedEntity(
                entity_id, "found", entity_id, entities[entity_id], 1
            )
    return fetched


@pytest.fixture(scope="module")
def report(dataset: Dataset) -> DiffReport:
    ids = [r.wikidata for r in dataset.records if r.wikidata]
    return diff_dataset(dataset, fetched_fixtures(ids))


def claim(report: DiffReport, origin: str, value: str | None = None) -> ClaimDiff:
    found = [
        c for c in report.claims() if c.origin == origin and (value is None or value in c.our_value)
    ]
    assert len(found) == 1, found
    return found[0]


# --- statuses ---------------------------------------------------------------------------------


def test_every_linked_record_is_in_the_report(dataset: Dataset, report: DiffReport) -> None:
    linked = [str(r.ref) for r in dataset.records if r.wikidata]
    assert [str(e.record) for e in report.entities] == linked
    assert len(linked) == 17


def test_statuses_of_the_fixture_claims(report: DiffReport) -> None:
    statuses = {(c.origin, c.our_value): c.status for c in report.claims()}
    assert statuses == {
        ("claim/balagov-occupation-film-director", "occupation/film-director (Q2526255)"): (
            "on-wikidata"
        ),
        ("claim/balagov-birth-date-enwiki", "1991-07-28"): "on-wikidata",
        ("claim/balagov-birth-date-akcentu", "1991-01-25"): "conflicting",
        ("emigration/balagov-2022", "place/tbilisi (Q994)"): "missing",
        ("emigration/balagov-2022", "emigration"): "not-expressible",
        ("claim/bunin-award-nobel", "Nobel Prize in Literature"): "not-expressible",
        ("emigration/rachmaninoff-first-wave", "place/denmark (Q35)"): "on-wikidata",
        ("emigration/rachmaninoff-first-wave", "place/united-states (Q30)"): "conflicting",
        ("emigration/rachmaninoff-first-wave", "emigration"): "not-expressible",
        ("claim/serebrennikov-occupation-film-director", "occupation/film-director (Q2526255)"): (
            "missing"
        ),
        ("persecution/serebrennikov-criminal-case-2017", "criminal-case (2017)"): "not-expressible",
        ("persecution/serebrennikov-nureyev-removed-2022", "cancelled-production (2022-05)"): (
            "not-expressible"
        ),
    }


def test_what_wikidata_still_lacks_of_statements_it_has(report: DiffReport) -> None:
    # Balagov's occupation: Wikidata's statement cites our source's title; nothing to add.
    occupation = claim(report, "claim/balagov-occupation-film-director")
    assert occupation.references_to_add == () and occupation.qualifiers_to_add == ()
    # Rachmaninoff in Denmark: Wikidata cites another URL; our reference is to be added.
    denmark = claim(report, "emigration/rachmaninoff-first-wave", "Q35")
    assert [r.source for r in denmark.references_to_add] == [Ref("source", "smyslov-2022")]
    # A missing statement: all our references.
    tbilisi = claim(report, "emigration/balagov-2022", "Q994")
    assert [r.source for r in tbilisi.references_to_add] == [Ref("source", "smyslov-2022")]


def test_conflicts_say_what_wikidata_has(report: DiffReport) -> None:
    akcentu = claim(report, "claim/balagov-birth-date-akcentu")
    assert akcentu.wikidata_values == ("+1991-07-28T00:00:00Z/11",)
    assert akcentu.note == "our sources disagree: birth-date-enwiki"
    deprecated = claim(report, "emigration/rachmaninoff-first-wave", "Q30")
    assert deprecated.wikidata_values == ("Q35", "Q30 (deprecated)")
    assert "deprecated" in deprecated.note
    # Another occupation on Wikidata is another value, not a conflict.
    occupation = claim(report, "claim/serebrennikov-occupation-film-director")
    assert occupation.wikidata_values == ("Q3387717",)


def test_link_problems(report: DiffReport) -> None:
    problems = {str(e.record): [p.kind for p in e.problems] for e in report.entities if e.problems}
    assert problems == {
        "person/bunin": ["label-mismatch"],
        "person/cate-blanchett": ["type-mismatch"],
    }
    bunin = next(e for e in report.entities if e.record == Ref("person", "bunin"))
    assert "Vladimir Nabokov" in bunin.problems[0].detail
    cate = next(e for e in report.entities if e.record == Ref("person", "cate-blanchett"))
    assert "P31: Q215380" in cate.problems[0].detail


def test_labels_match_across_scripts(dataset: Dataset) -> None:
    balagov = dataset.by_ref()[Ref("person", "balagov")]
    human = {"P31": [{"mainsnak": _item_snak("P31", "Q5"), "rank": "normal"}]}

    def entity(*labels: tuple[str, str]) -> FetchedEntity:
        data = {
            "id": "Q30346628",
            "labels": {lang: {"language": lang, "value": text} for lang, text in labels},
            "claims": human,
        }
        return FetchedEntity("Q30346628", "found", "Q30346628", data)

    # Cyrillic only on Wikidata, a German spelling: both match our English name.
    assert link_problems(balagov, entity(("ru", "Кантемир Балагов"))) == []
    assert link_problems(balagov, entity(("de", "Kantemir Balagow"))) == []
    # Negative control: another person's name does not.
    [problem] = link_problems(balagov, entity(("ru", "Кирилл Серебренников")))
    assert problem.kind == "label-mismatch"


def test_a_non_person_linked_to_a_human_is_a_type_mismatch(dataset: Dataset) -> None:
    berlin = dataset.by_ref()[Ref("place", "berlin")]
    data = {
        "id": "Q64",
        "labels": {"en": {"language": "en", "value": "Berlin"}},
        "claims": {"P31": [{"mainsnak": _item_snak("P31", "Q5"), "rank": "normal"}]},
    }
    [problem] = link_problems(berlin, FetchedEntity("Q64", "found", "Q64", data))
    assert problem.kind == "type-mismatch" and "our record is a place" in problem.detail
    data["claims"] = {}
    assert link_problems(berlin, FetchedEntity("Q64", "found", "Q64", data)) == []


def test_an_entity_that_was_not_fetched_is_an_error(dataset: Dataset) -> None:
    ids = [r.wikidata for r in dataset.records if r.wikidata and r.wikidata != "Q994"]
    with pytest.raises(DiffError, match="Q994"):
        diff_dataset(dataset, fetched_fixtures(ids))


# --- comparing values -------------------------------------------------------------------------


def _time(text: str, precision: int) -> WikidataTime:
    value = read_time({"time": text, "precision": precision})
    assert value is not None
    return value


@pytest.mark.parametrize(
    ("ours", "theirs", "precision", "expected"),
    [
        ("1991", "+1991-07-28T00:00:00Z", 11, "same"),  # year claim, day on Wikidata
        ("1992", "+1991-07-28T00:00:00Z", 11, "different"),
        ("1991-07", "+1991-07-28T00:00:00Z", 11, "same"),
        ("1991-08", "+1991-07-28T00:00:00Z", 11, "different"),
        ("1991-07-28", "+1991-07-28T00:00:00Z", 11, "same"),
        ("1991-07-27", "+1991-07-28T00:00:00Z", 11, "different"),
        ("1991-07-28", "+1991-00-00T00:00:00Z", 9, "coarser"),  # Wikidata knows less
        ("1991-07-28", "+1991-01-01T00:00:00Z", 9, "coarser"),  # year written as 1 January
        ("1991-07-28", "+1990-00-00T00:00:00Z", 9, "different"),
        ("1991-07-28", "+1991-07-00T00:00:00Z", 10, "coarser"),
        ("1991", "+1991-00-00T00:00:00Z", 9, "same"),
        ("1991", "+1990-00-00T00:00:00Z", 8, "coarser"),  # the 1990s
        ("1989", "+1990-00-00T00:00:00Z", 8, "different"),
    ],
)
def test_dates_compare_at_their_precision(
    ours: str, theirs: str, precision: int, expected: str
) -> None:
    assert compare_dates(TimeValue(PartialDate.parse(ours)), _time(theirs, precision)) == expected


def test_julian_dates_are_read_as_gregorian_days() -> None:
    # Rachmaninoff: 20 March 1873 (Julian) is 1 April 1873 (Gregorian).
    entity = load_fixture_entities(FIXTURES)[0]["Q131861"]
    [birth] = read_statements(entity, "P569")
    assert isinstance(birth.main.value, WikidataTime)
    assert (birth.main.value.year, birth.main.value.month, birth.main.value.day) == (1873, 4, 1)
    assert compare_dates(TimeValue(PartialDate.parse("1873-04-01")), birth.main.value) == "same"
    # Negative control: the same text read as Gregorian is another day.
    gregorian = _time("+1873-03-20T00:00:00Z", 11)
    assert compare_dates(TimeValue(PartialDate.parse("1873-04-01")), gregorian) == "different"
    # Year precision is not converted (a Julian year is the same year here).
    julian_year = read_time(
        {"time": "+1873-00-00T00:00:00Z", "precision": 9, "calendarmodel": JULIAN}
    )
    assert julian_year is not None and julian_year.year == 1873


def _item_snak(prop: str, item: str) -> dict[str, Any]:
    return {
        "snaktype": "value",
        "property": prop,
        "datavalue": {"value": {"entity-type": "item", "id": item}, "type": "wikibase-entityid"},
    }


def _time_snak(prop: str, text: str, precision: int) -> dict[str, Any]:
    value = {
        "time": text,
        "precision": precision,
        "calendarmodel": "http://www.wikidata.org/entity/Q1985727",
    }
    return {"snaktype": "value", "property": prop, "datavalue": {"value": value, "type": "time"}}


def _statement(
    prop: str, value: Any, qualifiers: tuple[Snak, ...] = (), references: tuple[Reference, ...] = ()
) -> Statement:
    return Statement(
        subject=Ref("person", "test"),
        item="Q30346628",
        origin="claim/test",
        property=prop,
        value=value,
        our_value=str(value),
        qualifiers=qualifiers,
        references=references,
        sources=tuple(r.source for r in references),
    )


OUR_REFERENCE = Reference(
    Ref("source", "test"),
    (
        Snak("P1476", MonolingualValue("en", "A Title")),
        Snak("P854", StringValue("https://example.org/a")),
    ),
    "https://example.org/a",
    "A Title",
)


def test_unknown_and_no_value() -> None:
    birth = _statement("P569", TimeValue(PartialDate.parse("1991-07-28")))
    some = {
        "claims": {
            "P569": [{"mainsnak": {"snaktype": "somevalue", "property": "P569"}, "rank": "normal"}]
        }
    }
    assert compare_statement(birth, "Q1", some, {}).status == "missing"
    none = {
        "claims": {
            "P570": [{"mainsnak": {"snaktype": "novalue", "property": "P570"}, "rank": "normal"}]
        }
    }
    death = _statement("P570", TimeValue(PartialDate.parse("2020")))
    assert compare_statement(death, "Q1", none, {}).status == "conflicting"


def test_a_less_precise_date_on_wikidata_leaves_ours_missing() -> None:
    birth = _statement(
        "P569", TimeValue(PartialDate.parse("1991-07-28")), references=(OUR_REFERENCE,)
    )
    entity = {
        "claims": {
            "P569": [{"mainsnak": _time_snak("P569", "+1991-00-00T00:00:00Z", 9), "rank": "normal"}]
        }
    }
    diff = compare_statement(birth, "Q1", entity, {})
    assert diff.status == "missing"
    assert diff.note == "Wikidata has it less precisely: +1991-00-00T00:00:00Z/9"
    assert diff.references_to_add == (OUR_REFERENCE,)


def test_qualifiers_and_references_of_a_statement_wikidata_has() -> None:
    start = Snak("P580", TimeValue(PartialDate.parse("2022-03")))
    residence = _statement("P551", ItemValue("Q64"), (start,), (OUR_REFERENCE,))

    def entity(
        qualifiers: list[dict[str, Any]], references: list[dict[str, Any]]
    ) -> dict[str, Any]:
        statement: dict[str, Any] = {"mainsnak": _item_snak("P551", "Q64"), "rank": "normal"}
        if qualifiers:
            statement["qualifiers"] = {"P580": qualifiers}
        statement["references"] = [{"snaks": block} for block in references]
        return {"claims": {"P551": [statement]}}

    bare = compare_statement(residence, "Q1", entity([], []), {})
    assert bare.status == "on-wikidata"
    assert bare.references_to_add == (OUR_REFERENCE,) and bare.qualifiers_to_add == (start,)
    # The same start time (even less precise) is not added again; another one is noted.
    same_start = entity([_time_snak("P580", "+2022-00-00T00:00:00Z", 9)], [])
    assert compare_statement(residence, "Q1", same_start, {}).qualifiers_to_add == ()
    other_start = compare_statement(
        residence, "Q1", entity([_time_snak("P580", "+2021-00-00T00:00:00Z", 9)], []), {}
    )
    assert other_start.qualifiers_to_add == ()
    assert "P580 qualifier is +2021-00-00T00:00:00Z/9" in other_start.note
    # Our source cited by URL, or by title, is there: nothing to add (not even the qualifier).
    by_url = {
        "P854": [
            {
                "snaktype": "value",
                "property": "P854",
                "datavalue": {"value": "https://example.org/a", "type": "string"},
            }
        ]
    }
    by_title = {
        "P1476": [
            {
                "snaktype": "value",
                "property": "P1476",
                "datavalue": {
                    "value": {"text": "a title", "language": "en"},
                    "type": "monolingualtext",
                },
            }
        ]
    }
    for block in (by_url, by_title):
        cited = compare_statement(residence, "Q1", entity([], [block]), {})
        assert cited.references_to_add == () and cited.qualifiers_to_add == ()
    # Negative control: another URL is another source.
    other = {
        "P854": [
            {
                "snaktype": "value",
                "property": "P854",
                "datavalue": {"value": "https://example.org/b", "type": "string"},
            }
        ]
    }
    [wikidata_statement] = read_statements(entity([], [other]), "P551")
    assert not reference_present(OUR_REFERENCE, wikidata_statement)


def test_merged_items_compare_as_their_target() -> None:
    residence = _statement("P551", ItemValue("Q9999999901"))  # FICTIONAL, merged (test)
    entity = {"claims": {"P551": [{"mainsnak": _item_snak("P551", "Q4115189"), "rank": "normal"}]}}
    assert compare_statement(residence, "Q1", entity, {}).status == "missing"
    assert (
        compare_statement(residence, "Q1", entity, {"Q9999999901": "Q4115189"}).status
        == "on-wikidata"
    )


# --- renderings -------------------------------------------------------------------------------


def test_tsv_json_and_summary(report: DiffReport) -> None:
    tsv = render_diff_tsv(report)
    rows = list(csv.reader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE))
    assert tuple(rows[0]) == TSV_COLUMNS
    assert all(len(row) == len(TSV_COLUMNS) for row in rows)
    assert len(rows) == 1 + len(report.claims()) + 2  # two link problems
    assert ["person/bunin", "Q46602", "link", "label-mismatch"] in [row[:4] for row in rows]
    data = json.loads(render_diff_json(report))
    assert data["claims"] == {
        "on-wikidata": 3,
        "missing": 2,
        "conflicting": 2,
        "not-expressible": 5,
    }
    assert data["link_problems"]["label-mismatch"] == 1
    assert data["link_problems"]["type-mismatch"] == 1
    summary = render_diff_summary(report)
    assert "person/balagov (Q30346628): conflicting P569: ours 1991-01-25" in summary
    assert "person/cate-blanchett (Q80966): type-mismatch" in summary
    # Deterministic.
    assert render_diff_tsv(report) == tsv and render_diff_json(report) == render_diff_json(report)


# --- against the replay server ----------------------------------------------------------------


@pytest.fixture
def replay() -> Iterator[WikidataReplay]:
    with WikidataReplay.from_fixtures(FIXTURES) as server:
        yield server


TEST_RECORDS = {
    # FICTIONAL records linked to FICTIONAL IDs (see tests/fixtures/wikidata-diff/fictional.json).
    "places/merged-test-place.yaml": """\
slug: merged-test-place
type: City
name: {en: Merged Test Place}
wikidata: Q9999999901
country: place/russia
""",
    "people/deleted-test-person.yaml": """\
slug: deleted-test-person
name: {en: Deleted Test Person}
wikidata: Q9999999902
claims:
- key: occupation
  property: occupation
  value: occupation/film-director
  cite:
  - {source: source/fictional-test-source, excerpt: invented}
""",
    "people/merged-test-person.yaml": """\
slug: merged-test-person
name: {en: Merged Test Person}
wikidata: Q9999999905
claims:
- key: residence
  property: residence
  value: place/merged-test-place
  cite:
  - {source: source/fictional-test-source, excerpt: invented}
""",
}
TEST_REFERENCE_ROWS = """\
place\tMerged Test Place (FICTIONAL, tests only)\tQ9999999901\tverified\ttest\t
person\tDeleted Test Person (FICTIONAL, tests only)\tQ9999999902\tverified\ttest\t
person\tMerged Test Person (FICTIONAL, tests only)\tQ9999999905\tverified\ttest\t
"""


@pytest.fixture
def test_data(fixture_data_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The fixture records plus FICTIONAL records linked to FICTIONAL IDs, and a reference
    table with those IDs added."""
    data = tmp_path / "data"
    shutil.copytree(fixture_data_dir, data)
    for name, text in TEST_RECORDS.items():
        (data / name).write_text(text, encoding="utf-8")
    table = tmp_path / "wikidata-ids.tsv"
    table.write_text(
        REFERENCE_TABLE.read_text(encoding="utf-8") + TEST_REFERENCE_ROWS, encoding="utf-8"
    )
    return data, table


def test_merged_and_deleted_items(
    replay: WikidataReplay, test_data: tuple[Path, Path], tmp_path: Path
) -> None:
    replay.redirect("Q9999999905", "Q1974774")  # FICTIONAL merge, made for this test
    settings = WikidataSettings(
        user_agent=USER_AGENT, api_url=replay.api_url, cache_dir=tmp_path / "cache"
    )
    run = run_diff(settings, *test_data)
    entities = {str(e.record): e for e in run.report.entities}
    deleted = entities["person/deleted-test-person"]
    assert deleted.state == "missing" and deleted.claims == ()
    assert [p.kind for p in deleted.problems] == ["deleted"]
    merged = entities["person/merged-test-person"]
    assert merged.state == "redirected" and merged.entity_id == "Q1974774"
    assert [p.kind for p in merged.problems] == ["redirected", "label-mismatch"]
    assert "merged into Q1974774" in merged.problems[0].detail
    [residence] = merged.claims
    # The place's item was merged too: the claim waits for the link to be fixed.
    assert residence.status == "missing"
    assert residence.value_problem.startswith("redirected: Q9999999901 was merged into Q4115189")
    assert entities["place/merged-test-place"].entity_id == "Q4115189"
    # Every request went to the replay.
    assert replay.api_requests("wbgetentities")


def test_cli_diff_online_then_offline(
    replay: WikidataReplay, run_emigre: RunEmigre, fixture_data_dir: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    # The cache is kept per API URL: the offline run names the same one.
    common = ["wikidata", "diff", "--data", fixture_data_dir, "--api-url", replay.api_url]
    common += ["--wikidata-cache", cache]
    first = run_emigre(
        *common,
        "--user-agent", USER_AGENT,
        "--tsv", tmp_path / "one.tsv",
        "--json", tmp_path / "one.json",
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert "conflicting          2" in first.stdout
    assert len(replay.api_requests("wbgetentities")) >= 1
    replay.stop()
    # Offline, with the replay gone: the cache answers, and the report is byte for byte the same.
    second = run_emigre(
        *common, "--offline", "--tsv", tmp_path / "two.tsv", "--json", tmp_path / "two.json"
    )
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert (tmp_path / "one.tsv").read_bytes() == (tmp_path / "two.tsv").read_bytes()
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()
    data = json.loads((tmp_path / "two.json").read_text(encoding="utf-8"))
    assert data["claims"]["missing"] == 2
    # Negative control: offline with an empty cache fails with a clear error.
    empty = run_emigre(*common[:-1], tmp_path / "empty", "--offline")
    assert empty.returncode == 3
    assert "offline" in empty.stderr and "Q30346628" in empty.stderr
