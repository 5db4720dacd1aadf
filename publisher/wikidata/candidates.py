"""Wikidata candidates for records without a link: what to search for, and how well each item
found matches our record, explained feature by feature.

Reconciliation has three steps. :func:`search_terms` lists every spelling of a record's name
to search Wikidata for (``wbsearchentities``); :func:`record_facts` gathers what we know that
Wikidata states too (type, birth year, occupations, places, each as the Wikidata ID of the
record it points at); :func:`score_candidate` compares one fetched item with those facts. The
score is explained by its features, as the W3C Reconciliation API explains its scores
(``features: [{id, value}]``), so a curator sees *why* an item ranks high.

Only facts a page may show are used: withheld claims and events are ignored, coarse ones are
taken at year and country precision, as the build publishes them. The IDs of our facts come
from the records (``wikidata:``), so only checked IDs are compared, and a type is expected only
where its ID is in the reference table. Everything here is a pure function of records and
entity JSON except :func:`find_candidates`, which asks the client.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from publisher.model.dates import PartialDate
from publisher.model.records import Claim, Emigration, Record, Ref
from publisher.names import name_variants, normalize_name
from publisher.reconcile.scoring import align
from publisher.wikidata.entities import FetchedEntity

#: The P31 (instance of) values expected of a record, by kind and type. Only IDs from the
#: reference table: human; musical group, rock band, musical duo; film, documentary film,
#: short film; novel, literary work; song; sovereign state.
EXPECTED_TYPES: dict[tuple[str, str], frozenset[str]] = {
    ("person", "Person"): frozenset({"Q5"}),
    ("group", "MusicGroup"): frozenset({"Q215380", "Q5741069", "Q9212979"}),
    ("work", "Movie"): frozenset({"Q11424", "Q93204", "Q24862"}),
    ("work", "Book"): frozenset({"Q8261", "Q7725634"}),
    ("work", "MusicRecording"): frozenset({"Q7366"}),
    ("work", "CreativeWork"): frozenset(
        {"Q11424", "Q93204", "Q24862", "Q8261", "Q7725634", "Q7366"}
    ),
    ("place", "Country"): frozenset({"Q3624078"}),
}
#: Wikidata properties compared with our places: birth, death, citizenship, residence.
PLACE_PROPERTIES = ("P19", "P20", "P27", "P551")
#: How much each feature weighs in the score (they add up to 1).
WEIGHTS: dict[str, float] = {
    "name": 0.50,
    "type": 0.15,
    "birth_year": 0.15,
    "occupation": 0.10,
    "places": 0.10,
}
#: The value a feature counts with when it cannot be compared (one side states nothing).
UNKNOWN = 0.5
#: Our claims whose place values are compared with ``PLACE_PROPERTIES``.
_PLACE_CLAIMS = ("birth_place", "death_place", "residence")
#: The year of a Wikidata time value: sign, then digits up to the first hyphen.
_TIME = re.compile(r"^([+-]?)([0-9]+)-")


class CandidateSource(Protocol):
    """What finding candidates needs of a Wikidata client (``WikidataClient`` has both)."""

    def search(self, text: str, *, language: str = "en", limit: int = 10) -> list[dict[str, Any]]:
        """Raw ``wbsearchentities`` results for ``text``."""
        ...

    def get_entities(self, ids: Iterable[str]) -> dict[str, FetchedEntity]:
        """The entity JSON of each ID, keyed by the ID asked for."""
        ...


@dataclass(frozen=True)
class SearchTerm:
    """One spelling to search for, in the language it is written in."""

    text: str
    language: str


@dataclass(frozen=True)
class RecordFacts:
    """What we know about a record that Wikidata may state too, as Wikidata IDs."""

    ref: Ref
    names: tuple[str, ...]
    expected_types: frozenset[str]
    birth_years: frozenset[int]
    #: Occupation ID -> our occupation's English name.
    occupations: tuple[tuple[str, str], ...]
    #: Place ID -> our place's English name.
    places: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Feature:
    """One comparison behind a score: its value (0 to 1, None when it could not be made)."""

    id: str
    value: float | None
    note: str

    def as_json(self) -> dict[str, Any]:
        """``{id, value, note}``, as the review file's JSON holds it."""
        return {"id": self.id, "value": self.value, "note": self.note}


@dataclass(frozen=True)
class Candidate:
    """A Wikidata item that may be our record: never a link until a curator accepts it."""

    qid: str
    label: str
    description: str
    #: 0 to 100.
    score: int
    features: tuple[Feature, ...]

    def explain(self) -> str:
        """The features in one line: ``name 1.00 (…); type 1.00 (…); birth_year – (…)``."""
        parts = []
        for feature in self.features:
            value = "–" if feature.value is None else f"{feature.value:.2f}"
            parts.append(f"{feature.id} {value} ({feature.note})")
        return "; ".join(parts)


# -- what to search for -----------------------------------------------------------------------


def search_terms(record: Record) -> list[SearchTerm]:
    """Every spelling of the record's name: English first, Russian, other languages, then the
    alternate and historical names. Each text once (case and spacing aside)."""
    ordered = sorted(record.name, key=lambda pair: (pair[0] != "en", pair[0] != "ru", pair[0]))
    terms: list[SearchTerm] = []
    seen: set[str] = set()
    for language, text in (*ordered, *record.alternate_names, *record.historical_names):
        key = " ".join(text.casefold().split())
        if key and key not in seen:
            seen.add(key)
            terms.append(SearchTerm(" ".join(text.split()), language))
    return terms


def _public(item: Claim | Emigration) -> bool:
    return item.privacy != "withheld"


def record_facts(record: Record, records: Mapping[Ref, Record]) -> RecordFacts:
    """The facts of ``record`` candidates are scored against (see the module docstring)."""
    names = [text for _, text in (*record.name, *record.alternate_names, *record.historical_names)]
    years: set[int] = set()
    occupations: dict[str, str] = {}
    places: dict[str, str] = {}

    def add_place(ref: Ref | None, coarse: bool) -> None:
        place = records.get(ref) if ref else None
        if place is None:
            return
        country = records.get(place.country) if place.country else None
        for found in (country,) if coarse and country else (place, country):
            if found is not None and found.wikidata:
                places.setdefault(found.wikidata, found.english_name())

    for claim in filter(_public, record.claims):
        coarse = claim.privacy == "coarse"
        if claim.property == "birth_date" and isinstance(claim.value, PartialDate):
            years.add(claim.value.year)
        elif claim.property == "occupation" and isinstance(claim.value, Ref):
            occupation = records.get(claim.value)
            if occupation is not None and occupation.wikidata:
                occupations.setdefault(occupation.wikidata, occupation.english_name())
        elif claim.property in _PLACE_CLAIMS and isinstance(claim.value, Ref):
            add_place(claim.value, coarse)
    for emigration in filter(_public, record.emigrations):
        coarse = emigration.privacy == "coarse"
        for ref in (emigration.origin, *emigration.destinations):
            add_place(ref, coarse)
    return RecordFacts(
        ref=record.ref,
        names=tuple(dict.fromkeys(names)),
        expected_types=EXPECTED_TYPES.get((record.kind, record.type or ""), frozenset()),
        birth_years=frozenset(years),
        occupations=tuple(sorted(occupations.items())),
        places=tuple(sorted(places.items())),
    )


# -- reading entity JSON ------------------------------------------------------------------------


def _statements(entity: Mapping[str, Any], prop: str) -> list[dict[str, Any]]:
    """The statements of ``prop`` that are not deprecated."""
    claims = entity.get("claims") or {}
    found = claims.get(prop) if isinstance(claims, dict) else None
    if not isinstance(found, list):
        return []
    return [s for s in found if isinstance(s, dict) and s.get("rank") != "deprecated"]


def item_values(entity: Mapping[str, Any], prop: str) -> list[str]:
    """The item IDs ``prop`` has (``Q…``), in statement order, each once.

    >>> item_values({"claims": {"P31": [{"mainsnak": {"snaktype": "value",
    ...     "datavalue": {"type": "wikibase-entityid", "value": {"id": "Q5"}}}}]}}, "P31")
    ['Q5']
    """
    ids: list[str] = []
    for statement in _statements(entity, prop):
        snak = statement.get("mainsnak") or {}
        value = (snak.get("datavalue") or {}).get("value")
        if snak.get("snaktype") != "value" or not isinstance(value, dict):
            continue
        qid = value.get("id")
        if not isinstance(qid, str) and isinstance(value.get("numeric-id"), int):
            qid = f"Q{value['numeric-id']}"
        if isinstance(qid, str) and qid not in ids:
            ids.append(qid)
    return ids


def year_values(entity: Mapping[str, Any], prop: str) -> list[int]:
    """The years of a time property (``+1943-02-21T00:00:00Z``), at year precision or finer.

    >>> year_values({"claims": {"P569": [{"mainsnak": {"snaktype": "value", "datavalue":
    ...     {"type": "time", "value": {"time": "+1943-02-21T00:00:00Z", "precision": 11}}}}]}},
    ...     "P569")
    [1943]
    """
    years: list[int] = []
    for statement in _statements(entity, prop):
        snak = statement.get("mainsnak") or {}
        value = (snak.get("datavalue") or {}).get("value")
        if snak.get("snaktype") != "value" or not isinstance(value, dict):
            continue
        time, precision = value.get("time"), value.get("precision")
        if not isinstance(time, str) or not isinstance(precision, int) or precision < 9:
            continue
        match = _TIME.match(time)
        if match:
            year = int(match[2]) * (-1 if match[1] == "-" else 1)
            if year not in years:
                years.append(year)
    return years


def entity_names(entity: Mapping[str, Any]) -> list[str]:
    """Every label and alias of an item, in any language, each once (labels first)."""
    names: list[str] = []
    labels = entity.get("labels") or {}
    aliases = entity.get("aliases") or {}
    found = [labels[lang] for lang in sorted(labels)] if isinstance(labels, dict) else []
    if isinstance(aliases, dict):
        found += [alias for lang in sorted(aliases) for alias in aliases[lang] or []]
    for term in found:
        text = term.get("value") if isinstance(term, dict) else None
        if isinstance(text, str) and text not in names:
            names.append(text)
    return names


def term_in(entity: Mapping[str, Any], field: str, languages: Iterable[str] = ("en", "ru")) -> str:
    """A label or description: English, else Russian, else the first language that has one."""
    terms = entity.get(field) or {}
    if not isinstance(terms, dict):
        return ""
    for language in (*languages, *sorted(terms)):
        term = terms.get(language)
        if isinstance(term, dict) and isinstance(term.get("value"), str):
            return str(term["value"])
    return ""


# -- scoring ------------------------------------------------------------------------------------


def name_similarity(ours: Iterable[str], theirs: Iterable[str]) -> tuple[float, str, str]:
    """How alike the closest pair of names is, across scripts: 1 when a match key is shared
    (``publisher.names``), else the word alignment the reconciliation service scores names with
    (``reconcile.scoring.align``: word keys, initials, a patronymic their name lacks hardly
    counts). Returns (value, our name, their name).

    >>> name_similarity(["Lyudmila Ulitskaya"], ["Людмила Улицкая"])[0]
    1.0
    >>> round(name_similarity(["Людмила Евгеньевна Улицкая"], ["Ludmila Ulitskaya"])[0], 2)
    0.95
    >>> name_similarity(["Ivan Bunin"], ["Aleksandr Kuprin"])[0]
    0.0
    """
    best = (0.0, "", "")
    their_keys = [(name, normalize_name(name), name_variants(name)) for name in theirs]
    for our_name in ours:
        our_keys, our_words = normalize_name(our_name), name_variants(our_name)
        for their_name, keys, words in their_keys:
            if our_keys & keys:
                return (1.0, our_name, their_name)
            for ours_variant in our_words:
                no_edits: list[dict[str, float]] = [{} for _ in ours_variant]
                for theirs_variant in words:
                    share, _ = align(ours_variant, no_edits, theirs_variant)
                    if share > best[0]:
                        best = (share, our_name, their_name)
    return best


def _overlap(feature: str, ours: tuple[tuple[str, str], ...], theirs: list[str]) -> Feature:
    if not ours or not theirs:
        side = "we know none" if not ours else "Wikidata states none"
        return Feature(feature, None, side)
    shared = [f"{qid} {name}" for qid, name in ours if qid in theirs]
    if shared:
        return Feature(feature, 1.0, "both: " + ", ".join(shared))
    ours_text = ", ".join(f"{qid} {name}" for qid, name in ours)
    return Feature(feature, 0.0, f"ours {ours_text}; Wikidata {', '.join(theirs)}")


def score_candidate(facts: RecordFacts, qid: str, entity: Mapping[str, Any]) -> Candidate:
    """How well the item ``qid`` (its entity JSON) matches the record ``facts`` describes."""
    value, our_name, their_name = name_similarity(facts.names, entity_names(entity))
    features = [
        Feature(
            "name",
            round(value, 2),
            f"{our_name} ~ {their_name}" if their_name else "no label or alias to compare",
        )
    ]
    types = item_values(entity, "P31")
    if facts.expected_types and types:
        expected = facts.expected_types & set(types)
        features.append(
            Feature(
                "type",
                1.0 if expected else 0.0,
                f"instance of {', '.join(sorted(expected) if expected else types)}",
            )
        )
    else:
        features.append(
            Feature("type", None, "no type expected" if not facts.expected_types else "no P31")
        )
    years = year_values(entity, "P569")
    if facts.birth_years and years:
        gap = min(abs(a - b) for a in facts.birth_years for b in years)
        ours = ", ".join(str(y) for y in sorted(facts.birth_years))
        theirs = ", ".join(str(y) for y in years)
        features.append(
            Feature(
                "birth_year",
                1.0 if gap == 0 else 0.5 if gap == 1 else 0.0,
                f"ours {ours}, Wikidata {theirs}",
            )
        )
    else:
        side = "we know none" if not facts.birth_years else "Wikidata states none"
        features.append(Feature("birth_year", None, side))
    features.append(_overlap("occupation", facts.occupations, item_values(entity, "P106")))
    place_ids = [qid for prop in PLACE_PROPERTIES for qid in item_values(entity, prop)]
    features.append(_overlap("places", facts.places, list(dict.fromkeys(place_ids))))
    total = sum(WEIGHTS[f.id] * (UNKNOWN if f.value is None else f.value) for f in features)
    return Candidate(
        qid=qid,
        label=term_in(entity, "labels"),
        description=term_in(entity, "descriptions"),
        score=round(100 * total),
        features=tuple(features),
    )


def qid_number(qid: str) -> int:
    """The number of an item ID, for ordering (``Q5`` before ``Q42``)."""
    return int(qid[1:]) if qid[1:].isdigit() else 0


def rank_candidates(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Best first; equal scores by item number, so the order never depends on the search."""
    return sorted(candidates, key=lambda c: (-c.score, qid_number(c.qid), c.qid))


# -- asking Wikidata ----------------------------------------------------------------------------


def find_candidates(
    record: Record,
    records: Mapping[Ref, Record],
    source: CandidateSource,
    *,
    linked: Mapping[str, Ref] | None = None,
    search_limit: int = 10,
    keep: int = 5,
) -> list[Candidate]:
    """Search every spelling of ``record``'s name, fetch the items found and rank them.

    Items another record is linked to (``linked``: ID -> record) are left out: they are checked
    links of something else. ``keep`` bounds the candidates returned per record.
    """
    found: list[str] = []
    for term in search_terms(record):
        for hit in source.search(term.text, language=term.language, limit=search_limit):
            qid = hit.get("id")
            if isinstance(qid, str) and qid.startswith("Q") and qid not in found:
                found.append(qid)
    if not found:
        return []
    facts = record_facts(record, records)
    fetched = source.get_entities(found)
    scored: dict[str, Candidate] = {}
    for qid in found:
        entity = fetched.get(qid)
        if entity is None or entity.state == "missing" or entity.data is None:
            continue
        if entity.entity_id in scored or entity.entity_id in (linked or {}):
            continue
        scored[entity.entity_id] = score_candidate(facts, entity.entity_id, entity.data)
    return rank_candidates(scored.values())[:keep]
