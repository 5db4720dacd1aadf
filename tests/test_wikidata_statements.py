"""Our claims as Wikidata statements (``publisher.wikidata.statements``), on the fixture records."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from pyoxigraph import NamedNode

from publisher.config import DEFAULT_BASE_IRI, BuildSettings
from publisher.graph.build import build_entity
from publisher.model.dates import PartialDate
from publisher.model.loader import load_dataset
from publisher.model.records import Dataset, Emigration, Record, Ref
from publisher.model.reference import ReferenceEntry, load_reference_table
from publisher.wikidata.statements import (
    EVENT_ITEM_LABELS,
    Proposal,
    Statement,
    StatementSettings,
    Unexpressible,
    event_items_from_reference,
    record_proposals,
    reference_for,
)
from publisher.wikidata.values import ItemValue, MonolingualValue, Snak, StringValue, TimeValue

TITLE = (
    "Leaving Russia: Rockstars, Writers, Actors, and Filmmakers on the Country's Cultural "
    "Brain Drain"
)
#: FICTIONAL: an ID no Wikidata item has, standing in for a checked "emigration" item.
FICTIONAL_EMIGRATION_ITEM = "Q9999999903"


@pytest.fixture(scope="module")
def dataset(fixture_data_dir: Path) -> Dataset:
    reference = load_reference_table(BuildSettings().reference_table)
    return load_dataset(fixture_data_dir, reference, workers=1)


def proposals_of(
    dataset: Dataset, slug: str, settings: StatementSettings | None = None, kind: str = "person"
) -> list[Proposal]:
    records = dataset.by_ref()
    return record_proposals(records[Ref(kind, slug)], records, settings or StatementSettings())


def statements(proposals: list[Proposal]) -> list[Statement]:
    return [p for p in proposals if isinstance(p, Statement)]


def by_origin(proposals: list[Proposal], origin: str) -> list[Proposal]:
    return [p for p in proposals if p.origin == origin]


def test_a_claim_becomes_a_statement_with_one_reference_per_source(dataset: Dataset) -> None:
    [occupation] = by_origin(
        proposals_of(dataset, "balagov"), "claim/balagov-occupation-film-director"
    )
    assert isinstance(occupation, Statement)
    assert (occupation.item, occupation.property, occupation.value) == (
        "Q30346628",
        "P106",
        ItemValue("Q2526255"),
    )
    [reference] = occupation.references
    assert reference.source == Ref("source", "smyslov-2022")
    # The author (person/smyslov) has no Wikidata ID: an author name string, not S50.
    assert reference.snaks == (
        Snak("P1476", MonolingualValue("en", TITLE)),
        Snak("P2093", StringValue("Vadim Smyslov")),
        Snak("P577", TimeValue(PartialDate.parse("2022-06-13"))),
    )


def test_two_citations_of_one_source_make_one_reference(dataset: Dataset) -> None:
    ulitskaya = dataset.by_ref()[Ref("person", "ulitskaya")]
    [emigration] = ulitskaya.emigrations
    assert len(emigration.cites) == 2  # both from smyslov-2022
    [germany] = statements(
        by_origin(proposals_of(dataset, "ulitskaya"), "emigration/ulitskaya-2022")
    )
    assert [r.source for r in germany.references] == [Ref("source", "smyslov-2022")]


def test_wikipedia_is_not_a_reference(dataset: Dataset) -> None:
    [enwiki] = by_origin(proposals_of(dataset, "balagov"), "claim/balagov-birth-date-enwiki")
    assert isinstance(enwiki, Statement)
    assert enwiki.references == ()
    assert enwiki.sources == (Ref("source", "enwiki-kantemir-balagov"),)
    [(source, reason)] = enwiki.unusable_sources
    assert source == Ref("source", "enwiki-kantemir-balagov") and "Wikimedia" in reason


def test_our_disagreeing_claims_name_each_other(dataset: Dataset) -> None:
    found = {s.origin: s.disputed_by for s in statements(proposals_of(dataset, "balagov"))}
    assert found["claim/balagov-birth-date-enwiki"] == ("birth-date-akcentu",)
    assert found["claim/balagov-birth-date-akcentu"] == ("birth-date-enwiki",)
    assert found["claim/balagov-occupation-film-director"] == ()


def test_residence_claim_has_its_start_time_at_its_precision(dataset: Dataset) -> None:
    [berlin] = by_origin(proposals_of(dataset, "ulitskaya"), "claim/ulitskaya-residence-berlin")
    assert isinstance(berlin, Statement)
    assert (berlin.property, berlin.value) == ("P551", ItemValue("Q64"))
    assert berlin.qualifiers == (Snak("P580", TimeValue(PartialDate.parse("2022-03"))),)


def test_an_approximate_date_is_left_out(dataset: Dataset) -> None:
    [germany] = statements(
        by_origin(proposals_of(dataset, "ulitskaya"), "emigration/ulitskaya-2022")
    )
    assert germany.value == ItemValue("Q183")
    assert germany.qualifiers == ()
    assert germany.notes == ("approximate date 2022-03 left out of P580",)
    records = dataset.by_ref()
    balagov = records[Ref("person", "balagov")]
    approximate = dataclasses.replace(
        balagov, claims=tuple(dataclasses.replace(c, approximate=True) for c in balagov.claims)
    )
    found = record_proposals(approximate, records, StatementSettings())
    [birth] = by_origin(found, "claim/balagov-birth-date-akcentu")
    assert isinstance(birth, Unexpressible) and "approximate" in birth.reason


def test_only_the_first_destination_starts_at_the_emigration_date(dataset: Dataset) -> None:
    records = dataset.by_ref()
    rachmaninoff = records[Ref("person", "rachmaninoff")]
    dated = dataclasses.replace(
        rachmaninoff,
        emigrations=tuple(
            dataclasses.replace(e, date=PartialDate.parse("1917-12"))
            for e in rachmaninoff.emigrations
        ),
    )
    denmark, united_states = statements(record_proposals(dated, records, StatementSettings()))
    assert denmark.value == ItemValue("Q35")
    assert denmark.qualifiers == (Snak("P580", TimeValue(PartialDate.parse("1917-12"))),)
    assert united_states.value == ItemValue("Q30")
    assert united_states.qualifiers == ()
    assert "later destination" in united_states.notes[0]


def test_withheld_claims_and_events_give_nothing(dataset: Dataset) -> None:
    found = proposals_of(dataset, "fictional-test-person")
    origins = {p.origin for p in found}
    assert origins == {
        "claim/fictional-test-person-identity-note",
        "claim/fictional-test-person-birth-date-public",
    }
    shown = repr(found)
    for withheld in ("1901", "Q35", "denmark", "hidden-move", "WITHHELD", "1930"):
        assert withheld not in shown
    # Negative control: the record does hold them.
    record = dataset.by_ref()[Ref("person", "fictional-test-person")]
    assert "1901-02-03" in repr(record) and "hidden-move" in repr(record)


def _graph_emigration(record: Record, records: dict[Ref, Record]) -> tuple[set[str], set[str]]:
    graph = build_entity(record, records, DEFAULT_BASE_IRI)
    destination = NamedNode("https://w3id.org/emigre/ns#destination")
    start = NamedNode("http://schema.org/startDate")
    return (
        {t.object.value for t in graph.triples if t.predicate == destination},
        {t.object.value for t in graph.triples if t.predicate == start},
    )


def test_coarse_events_are_stated_as_the_graph_publishes_them(dataset: Dataset) -> None:
    records = dataset.by_ref()
    smyslov = records[Ref("person", "smyslov")]
    [emigration] = smyslov.emigrations
    assert emigration.privacy == "coarse"
    assert emigration.destinations == (Ref("place", "tbilisi"),)
    [georgia] = statements(record_proposals(smyslov, records, StatementSettings()))
    assert georgia.value == ItemValue("Q230")
    assert georgia.qualifiers == (Snak("P580", TimeValue(PartialDate.parse("2022"))),)
    destinations, dates = _graph_emigration(smyslov, records)
    assert destinations == {f"{DEFAULT_BASE_IRI}id/place/georgia"}
    assert dates == {"2022"}
    # Negative control: the same event made public is stated at the city and the month.
    public = dataclasses.replace(
        smyslov, emigrations=(dataclasses.replace(emigration, privacy="public"),)
    )
    [tbilisi] = statements(record_proposals(public, records, StatementSettings()))
    assert tbilisi.value == ItemValue("Q994")
    assert tbilisi.qualifiers == (Snak("P580", TimeValue(PartialDate.parse("2022-03"))),)
    assert _graph_emigration(public, records) == (
        {f"{DEFAULT_BASE_IRI}id/place/tbilisi"},
        {"2022-03"},
    )


def test_coarse_city_without_country_is_not_published(dataset: Dataset) -> None:
    records = dict(dataset.by_ref())
    tbilisi = records[Ref("place", "tbilisi")]
    records[tbilisi.ref] = dataclasses.replace(tbilisi, country=None)
    smyslov = records[Ref("person", "smyslov")]
    assert statements(record_proposals(smyslov, records, StatementSettings())) == []
    destinations, _ = _graph_emigration(smyslov, records)
    assert destinations == set()


def test_unexpressible_claims_say_why(dataset: Dataset) -> None:
    [award] = proposals_of(dataset, "bunin")
    assert isinstance(award, Unexpressible)
    assert (award.property, award.our_value) == ("P166", "Nobel Prize in Literature")
    assert "takes an item" in award.reason
    seleznev = {p.origin: p for p in proposals_of(dataset, "nikita-seleznev")}
    birth_place = seleznev["claim/nikita-seleznev-birth-place-fragment"]
    assert isinstance(birth_place, Unexpressible)
    assert birth_place.reason == "place/perm has no Wikidata ID"
    note = {p.origin: p for p in proposals_of(dataset, "fictional-test-person")}[
        "claim/fictional-test-person-identity-note"
    ]
    assert isinstance(note, Unexpressible) and note.property is None
    cases = [
        p for p in proposals_of(dataset, "serebrennikov") if p.origin.startswith("persecution/")
    ]
    assert [type(p) for p in cases] == [Unexpressible, Unexpressible]
    assert all(p.property == "P793" and "no checked Wikidata item" in p.reason for p in cases)


def test_significant_events_need_a_checked_item(dataset: Dataset) -> None:
    # The real table has no row for these events: none is stated.
    assert event_items_from_reference(load_reference_table(BuildSettings().reference_table)) == {}
    # A row labelled "emigration" (here a FICTIONAL ID, as in a test table) makes them statable.
    reference = {
        FICTIONAL_EMIGRATION_ITEM: ReferenceEntry(
            FICTIONAL_EMIGRATION_ITEM, "emigration [bonus]", "verified", 2
        )
    }
    items = event_items_from_reference(reference)
    assert items == {"emigration": FICTIONAL_EMIGRATION_ITEM}
    assert set(items) <= set(EVENT_ITEM_LABELS)
    found = proposals_of(dataset, "ulitskaya", StatementSettings(event_items=items))
    [event] = [p for p in found if isinstance(p, Statement) and p.property == "P793"]
    assert event.value == ItemValue(FICTIONAL_EMIGRATION_ITEM)
    assert event.qualifiers == ()  # the date is approximate
    coarse = [
        p
        for p in proposals_of(dataset, "smyslov", StatementSettings(event_items=items))
        if isinstance(p, Statement) and p.property == "P793"
    ]
    assert [s.qualifiers for s in coarse] == [(Snak("P585", TimeValue(PartialDate.parse("2022"))),)]


def test_references_name_a_linked_author_and_the_retrieval_date_of_a_web_page(
    dataset: Dataset,
) -> None:
    records = dict(dataset.by_ref())
    source = records[Ref("source", "smyslov-2022")]
    settings = StatementSettings(retrieved=PartialDate.parse("2024-05-01"))
    # Without a URL there is no S854, and no S813 (it dates the reading of a web page).
    assert [s.property for s in reference_for(source, records, settings).snaks] == [
        "P1476",
        "P2093",
        "P577",
    ]
    web = dataclasses.replace(source, url="https://example.org/leaving-russia")
    records[Ref("person", "smyslov")] = dataclasses.replace(
        records[Ref("person", "smyslov")],
        wikidata="Q9999999904",  # FICTIONAL, for the test
    )
    reference = reference_for(web, records, settings)
    assert reference.snaks[1:] == (
        Snak("P50", ItemValue("Q9999999904")),
        Snak("P577", TimeValue(PartialDate.parse("2022-06-13"))),
        Snak("P854", StringValue("https://example.org/leaving-russia")),
        Snak("P813", TimeValue(PartialDate.parse("2024-05-01"))),
    )
    assert reference.url == "https://example.org/leaving-russia" and reference.title == TITLE


def test_groups_do_not_get_residences(dataset: Dataset) -> None:
    records = dataset.by_ref()
    group = records[Ref("group", "ic3peak")]
    moved = dataclasses.replace(
        group,
        emigrations=(
            Emigration(
                "test",
                (Ref("place", "berlin"),),
                (records[Ref("person", "balagov")].claims[0].cites[0],),
            ),
        ),
    )
    found = [
        p for p in record_proposals(moved, records, StatementSettings()) if p.property == "P551"
    ]
    assert [type(p) for p in found] == [Unexpressible]
