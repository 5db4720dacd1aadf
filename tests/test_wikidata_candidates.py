"""Wikidata candidate scoring (``publisher.wikidata.candidates``): pure functions over our records
and entity JSON in Wikidata's format, tested without a network.

The items are the FICTIONAL ones of ``tests/fixtures/wikidata-candidates`` (see its README) and
the real Q46602 of ``tests/fixtures/wikidata``; the records are ``tests/fixtures/data``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from publisher.model.loader import load_dataset
from publisher.model.records import Dataset, Record, Ref
from publisher.model.reference import load_reference_table
from publisher.wikidata.candidates import (
    EXPECTED_TYPES,
    WEIGHTS,
    Candidate,
    item_values,
    name_similarity,
    rank_candidates,
    record_facts,
    score_candidate,
    search_terms,
    term_in,
    year_values,
)

ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = ROOT / "tests" / "fixtures" / "wikidata-candidates" / "entities.json"
REAL = ROOT / "tests" / "fixtures" / "wikidata" / "entities"


@pytest.fixture(scope="module")
def dataset(fixture_data_dir: Path) -> Dataset:
    return load_dataset(
        fixture_data_dir, load_reference_table(ROOT / "reference" / "wikidata-ids.tsv")
    )


@pytest.fixture(scope="module")
def records(dataset: Dataset) -> dict[Ref, Record]:
    return dataset.by_ref()


@pytest.fixture(scope="module")
def items() -> dict[str, dict[str, Any]]:
    entities: dict[str, dict[str, Any]] = json.loads(CANDIDATES.read_text("utf-8"))["entities"]
    entities.update(json.loads((REAL / "Q46602.json").read_text("utf-8"))["entities"])
    return entities


def person(records: dict[Ref, Record], slug: str) -> Record:
    return records[Ref("person", slug)]


# -- what to search for -------------------------------------------------------------------------


def test_search_terms_are_every_spelling_once(records: dict[Ref, Record]) -> None:
    terms = search_terms(person(records, "ulitskaya"))
    assert [(t.text, t.language) for t in terms] == [
        ("Lyudmila Ulitskaya", "en"),
        ("Людмила Улицкая", "ru"),
        ("Ludmila Ulitskaya", "en"),
        ("Людмила Евгеньевна Улицкая", "ru"),
    ]


def test_search_terms_drop_repeats_by_case_and_spacing() -> None:
    record = Record(
        kind="person",
        slug="x",
        name=(("en", "Zemfira"), ("ru", "Земфира")),
        path=Path("x.yaml"),
        alternate_names=(("de", "zemfira"), ("en", "  Zemfira ")),
    )
    assert [t.text for t in search_terms(record)] == ["Zemfira", "Земфира"]


# -- what we know -------------------------------------------------------------------------------


def test_record_facts_name_the_ids_of_what_the_record_points_at(
    records: dict[Ref, Record],
) -> None:
    facts = record_facts(person(records, "ulitskaya"), records)
    assert facts.expected_types == {"Q5"}
    assert facts.birth_years == {1943}
    assert facts.occupations == (("Q6625963", "novelist"),)
    # residence Berlin (and its country), the emigration from Russia to Germany
    assert dict(facts.places) == {
        "Q64": "Berlin",
        "Q183": "Germany",
        "Q159": "Russia",
    }
    assert "Людмила Евгеньевна Улицкая" in facts.names


def test_record_facts_ignore_withheld_claims_and_events(records: dict[Ref, Record]) -> None:
    facts = record_facts(person(records, "fictional-test-person"), records)
    assert facts.birth_years == {1900}  # 1901-02-03 is withheld
    assert facts.places == ()  # the withheld residence (Denmark) and move (Germany)


def test_record_facts_take_coarse_places_at_country_level(records: dict[Ref, Record]) -> None:
    facts = record_facts(person(records, "smyslov"), records)
    # Moscow -> Tbilisi is coarse: published as Russia -> Georgia, and compared as such
    assert dict(facts.places) == {"Q159": "Russia", "Q230": "Georgia"}
    assert "Q649" not in dict(facts.places) and "Q994" not in dict(facts.places)


def test_expected_types_are_ids_from_the_reference_table() -> None:
    table = load_reference_table(ROOT / "reference" / "wikidata-ids.tsv")
    for types in EXPECTED_TYPES.values():
        assert types <= set(table), types - set(table)
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)


# -- reading entity JSON ------------------------------------------------------------------------


def test_item_values_skip_deprecated_and_valueless_statements(
    items: dict[str, dict[str, Any]],
) -> None:
    namesake = items["Q9999999913"]
    assert item_values(namesake, "P106") == ["Q1281618"]  # Q6625963 is deprecated
    entity = copy.deepcopy(namesake)
    entity["claims"]["P106"].append(
        {"mainsnak": {"snaktype": "somevalue", "property": "P106"}, "rank": "normal"}
    )
    entity["claims"]["P106"].append(
        {
            "mainsnak": {
                "snaktype": "value",
                "datavalue": {"type": "wikibase-entityid", "value": {"numeric-id": 36180}},
            },
            "rank": "preferred",
        }
    )
    assert item_values(entity, "P106") == ["Q1281618", "Q36180"]
    assert item_values(entity, "P999") == []
    assert item_values({"claims": []}, "P31") == []


def test_year_values_by_precision_and_sign() -> None:
    def time(value: str, precision: int) -> dict[str, Any]:
        return {
            "mainsnak": {
                "snaktype": "value",
                "datavalue": {"type": "time", "value": {"time": value, "precision": precision}},
            }
        }

    entity = {
        "claims": {
            "P569": [
                time("+1943-02-21T00:00:00Z", 11),
                time("+1940-00-00T00:00:00Z", 8),  # a decade: not a year
                time("-0044-03-15T00:00:00Z", 11),
                time("+1943-00-00T00:00:00Z", 9),
            ]
        }
    }
    assert year_values(entity, "P569") == [1943, -44]


def test_labels_fall_back_from_english_to_russian_to_any(
    items: dict[str, dict[str, Any]],
) -> None:
    assert term_in(items["Q9999999911"], "labels") == "Lyudmila Ulitskaya"
    russian_only = {"labels": {"ru": {"value": "Людмила Улицкая"}, "de": {"value": "X"}}}
    assert term_in(russian_only, "labels") == "Людмила Улицкая"
    assert term_in({"labels": {"de": {"value": "X"}}}, "labels") == "X"
    assert term_in({}, "descriptions") == ""


# -- scoring ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ours", "theirs", "expected"),
    [
        ("Lyudmila Ulitskaya", "Людмила Улицкая", 1.0),
        ("Ljudmila Ulickaja", "Oulitskaïa Lioudmila", 1.0),  # word order and French
        ("Sergei Rachmaninoff", "Сергей Рахманинов", 1.0),
        ("Lyudmila Ulitskaya", "Ulitskaya", 0.5),
        ("Lyudmila Ulitskaya", "Nikita Seleznev", 0.0),
    ],
)
def test_name_similarity_across_scripts(ours: str, theirs: str, expected: float) -> None:
    value, our_name, their_name = name_similarity([ours], [theirs])
    assert value == pytest.approx(expected)
    if expected:
        assert (our_name, their_name) == (ours, theirs)


def feature(candidate: Candidate, name: str) -> float | None:
    return next(f.value for f in candidate.features if f.id == name)


def test_the_matching_item_scores_full_marks(
    records: dict[Ref, Record], items: dict[str, dict[str, Any]]
) -> None:
    facts = record_facts(person(records, "ulitskaya"), records)
    candidate = score_candidate(facts, "Q9999999911", items["Q9999999911"])
    assert candidate.score == 100
    assert [(f.id, f.value) for f in candidate.features] == [
        ("name", 1.0),
        ("type", 1.0),
        ("birth_year", 1.0),
        ("occupation", 1.0),
        ("places", 1.0),
    ]
    assert candidate.label == "Lyudmila Ulitskaya"
    assert candidate.description == "FICTIONAL test item: a novelist"
    explained = candidate.explain()
    assert "birth_year 1.00 (ours 1943, Wikidata 1943)" in explained
    assert "occupation 1.00 (both: Q6625963 novelist)" in explained
    assert "places 1.00 (both: Q159 Russia)" in explained


def test_a_film_of_the_same_name_loses_on_type(
    records: dict[Ref, Record], items: dict[str, dict[str, Any]]
) -> None:
    facts = record_facts(person(records, "ulitskaya"), records)
    film = score_candidate(facts, "Q9999999912", items["Q9999999912"])
    assert feature(film, "type") == 0.0
    assert feature(film, "birth_year") is None  # unknown counts half
    assert feature(film, "name") == 1.0
    assert "instance of Q93204" in film.explain()
    # the same film without its P31: the type cannot be compared, and it scores higher
    untyped = copy.deepcopy(items["Q9999999912"])
    del untyped["claims"]["P31"]
    unknown = score_candidate(facts, "Q9999999912", untyped)
    assert feature(unknown, "type") is None
    assert unknown.score > film.score


def test_a_namesake_loses_on_birth_year_and_occupation(
    records: dict[Ref, Record], items: dict[str, dict[str, Any]]
) -> None:
    facts = record_facts(person(records, "ulitskaya"), records)
    namesake = score_candidate(facts, "Q9999999913", items["Q9999999913"])
    assert feature(namesake, "name") == 1.0
    assert feature(namesake, "birth_year") == 0.0
    assert feature(namesake, "occupation") == 0.0  # the deprecated novelist does not count
    assert namesake.score < score_candidate(facts, "Q9999999911", items["Q9999999911"]).score


def test_a_birth_year_one_off_counts_half(
    records: dict[Ref, Record], items: dict[str, dict[str, Any]]
) -> None:
    facts = record_facts(person(records, "ulitskaya"), records)
    entity = copy.deepcopy(items["Q9999999911"])
    entity["claims"]["P569"][0]["mainsnak"]["datavalue"]["value"]["time"] = "+1944-01-01T00:00:00Z"
    assert feature(score_candidate(facts, "Q9999999911", entity), "birth_year") == 0.5


def test_seleznev_and_his_namesake_are_told_apart(
    records: dict[Ref, Record], items: dict[str, dict[str, Any]]
) -> None:
    facts = record_facts(person(records, "nikita-seleznev"), records)
    ranked = rank_candidates(
        score_candidate(facts, qid, items[qid]) for qid in ("Q9999999915", "Q9999999914")
    )
    assert [c.qid for c in ranked] == ["Q9999999914", "Q9999999915"]
    assert ranked[0].score > ranked[1].score


def test_ranking_breaks_ties_by_item_number() -> None:
    def candidate(qid: str, score: int) -> Candidate:
        return Candidate(qid, "", "", score, ())

    ranked = rank_candidates([candidate("Q42", 80), candidate("Q5", 80), candidate("Q100", 90)])
    assert [c.qid for c in ranked] == ["Q100", "Q5", "Q42"]


def test_a_real_item_from_the_reference_table(
    records: dict[Ref, Record], items: dict[str, dict[str, Any]]
) -> None:
    facts = record_facts(person(records, "bunin"), records)
    candidate = score_candidate(facts, "Q46602", items["Q46602"])
    assert (feature(candidate, "name"), feature(candidate, "type")) == (1.0, 1.0)
    assert candidate.score == round(100 * (0.5 + 0.15 + 0.5 * (0.15 + 0.1 + 0.1)))
