"""Answering one reconciliation query: find candidates in the index, score them, rank them.

Candidates come from dictionaries, never from a scan of the records:

- an identifier as the query (our id, an IRI, a document URL, a Wikidata QID) names its record;
- the whole name's key, in order and in any order (``EntityIndex.by_name``);
- the postings of the query's words, equal or one edit away. Words that few records have
  (at most ``SELECTIVE_POSTINGS``) propose candidates; when every word is common ("Synthetic
  Person" among 100,000 synthetic people) the records having all of them do;
- without a name, the records having the values of the query's conditions (``by_fact``).

At most ``CANDIDATE_LIMIT`` candidates are scored (those sharing the most words with the query,
then in index order), so a vague query costs no more than a precise one. A type filter is a set
intersection with the records of the type.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from publisher.reconcile.entity_types import TYPES, EntityType
from publisher.reconcile.index import EntityIndex, name_key
from publisher.reconcile.properties import link_state, parse_date, wikidata_id
from publisher.reconcile.records import Entity
from publisher.reconcile.scoring import (
    Condition,
    Feature,
    NameQuery,
    QueryValue,
    ValueRef,
    combine,
    compare,
    is_match,
    match_name,
)

#: Words with at most this many records propose candidates.
SELECTIVE_POSTINGS = 1000
#: Most candidates scored for one query.
CANDIDATE_LIMIT = 200
#: Most candidates returned for one query.
MAX_LIMIT = 100

TypeStrict = Literal["any", "all", "should"]
#: Where the index keeps the values of properties it does not keep as they are.
_FACT_KEYS = {
    "birthYear": "birthDate:year",
    "birthDate": "birthDate:year",
    "deathDate": "deathDate:year",
}


@dataclass(frozen=True)
class Query:
    """One reconciliation query, checked and resolved (see ``publisher.reconcile.service``)."""

    text: str = ""
    #: The types asked for; None where a type we do not have was asked for.
    types: tuple[EntityType | None, ...] = ()
    type_strict: TypeStrict = "any"
    limit: int = 5
    conditions: tuple[Condition, ...] = ()
    #: Ids a 1.0-draft ``id`` condition names.
    ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidate:
    """A record proposed for a query."""

    entity: Entity
    score: float
    match: bool
    features: tuple[Feature, ...]


class Matcher:
    """Queries against one index."""

    def __init__(self, index: EntityIndex) -> None:
        self.index = index
        self._allowed_sets: dict[tuple[tuple[str, ...], str], frozenset[int]] = {}
        # The records of every type, from one pass over the records (at start-up, so that the
        # first query of a type does not pay for it).
        by_kind: dict[str, set[int]] = defaultdict(set)
        by_class: dict[str, set[int]] = defaultdict(set)
        for number, entity in enumerate(index.entities):
            by_kind[entity.kind].add(number)
            for name in entity.classes:
                by_class[name].add(number)
        self._type_members: dict[str, frozenset[int]] = {
            t.id: frozenset(by_kind.get(t.kind or "", ())).union(
                *(by_class.get(name, ()) for name in t.classes)
            )
            for t in TYPES.values()
        }
        self.resolve = lru_cache(maxsize=4096)(self._resolve)

    # -- types -----------------------------------------------------------------------------------

    def members(self, entity_type: EntityType | None) -> frozenset[int]:
        """The records of a type (none for a type we do not have)."""
        if entity_type is None:
            return frozenset()
        return self._type_members[entity_type.id]

    def _allowed(self, query: Query) -> frozenset[int] | None:
        """The records the query's types allow; None when any record may be a candidate."""
        if not query.types or query.type_strict == "should":
            return None
        key = (tuple(t.id if t else "" for t in query.types), query.type_strict)
        found = self._allowed_sets.get(key)
        if found is None:
            sets = [self.members(t) for t in query.types]
            combine = frozenset.intersection if query.type_strict == "all" else frozenset.union
            found = self._allowed_sets[key] = sets[0] if len(sets) == 1 else combine(*sets)
        return found

    # -- values ----------------------------------------------------------------------------------

    def _resolve(self, value: QueryValue, kinds: tuple[str, ...]) -> frozenset[str]:
        """The ids of the records of ``kinds`` a query value names: by identifier, else by the
        whole name's key."""
        texts = [value.id, value.name] if isinstance(value, ValueRef) else [value]
        found: set[str] = set()
        for text in texts:
            if not isinstance(text, str) or not text.strip():
                continue
            number = self.index.lookup(text)
            if number is not None:
                entity = self.index.entities[number]
                if entity.kind in kinds:
                    return frozenset({entity.id})
            query = NameQuery(text, lambda word: {})
            for keys, _ in query.variants:
                for n in self.index.by_name.get(name_key(keys), ()):
                    if self.index.entities[n].kind in kinds:
                        found.add(self.index.entities[n].id)
            if found:
                break
        return frozenset(found)

    def containers(self, place: str) -> tuple[str, ...]:
        """The places a place is in."""
        return self.index.within.get(place, ())

    # -- candidates ------------------------------------------------------------------------------

    def _by_name(self, name: NameQuery, allowed: frozenset[int] | None) -> list[int]:
        index = self.index
        exact: set[int] = set()
        hits: Counter[int] = Counter()
        words = index.words
        for keys, matches in name.variants:
            exact.update(index.by_name.get(name_key(keys), ()))
            sizes = [words.size(word_matches) for word_matches in matches]
            selective = [
                m for m, size in zip(matches, sizes, strict=True) if 0 < size <= SELECTIVE_POSTINGS
            ]
            for word_matches in selective:
                found = set().union(*(words.postings(word) for word in word_matches))
                hits.update(found if allowed is None else found & allowed)
            if not selective:
                for number in words.common(matches, CANDIDATE_LIMIT, allowed):
                    hits[number] += len(matches)
        if allowed is not None:
            exact &= allowed
        ranked = sorted(hits.items(), key=lambda item: (-item[1], item[0]))
        chosen = dict.fromkeys(sorted(exact))
        for number, _ in ranked:
            if len(chosen) >= CANDIDATE_LIMIT:
                break
            chosen.setdefault(number)
        return list(chosen)

    def _by_facts(
        self, conditions: Iterable[Condition], allowed: frozenset[int] | None
    ) -> list[int]:
        index = self.index
        sets: list[set[int]] = []
        for condition in conditions:
            prop = condition.property
            if condition.quantifier == "none":
                continue
            values: set[str] = set()
            for value in condition.values:
                values.update(self._fact_values(prop.value_kind, prop.target_kinds, value))
            # Dates are looked up by year; the comparison then tells a day from a day.
            facts = index.by_fact.get(_FACT_KEYS.get(prop.id, prop.id), {})
            found = set().union(*(facts.get(v, ()) for v in values)) if values else set()
            if values:
                sets.append(found)
        if not sets:
            return []
        common = set.intersection(*sorted(sets, key=len))
        if allowed is not None:
            common &= allowed
        return heapq.nsmallest(CANDIDATE_LIMIT, common)

    def _fact_values(self, kind: str, targets: tuple[str, ...], value: QueryValue) -> set[str]:
        """The index values a condition's value stands for (for finding candidates)."""
        text = value.id if isinstance(value, ValueRef) else value
        if kind == "entity":
            wanted = set(self.resolve(value, targets))
            # A country also stands for the places in it.
            wanted |= {p for p, outer in self.index.within.items() if wanted.intersection(outer)}
            return wanted
        if kind == "wikidata":
            qid = wikidata_id(str(text))
            return {qid} if qid else set()
        if kind == "state":
            state = link_state(str(text))
            return {state} if state else set()
        if kind in ("date", "year"):
            parsed = parse_date(value.name if isinstance(value, ValueRef) else value)
            if parsed is None:
                return set()
            return {f"{parsed[0]:04d}"}
        return set()

    # -- the query -------------------------------------------------------------------------------

    def candidates(self, query: Query) -> list[Candidate]:
        """The candidates of a query, best first, at most ``query.limit``."""
        index = self.index
        allowed = self._allowed(query)
        name = NameQuery(query.text, index.words.exact_or_one_edit) if query.text else None
        identified: set[int] = set()
        for text in (query.text, *query.ids):
            number = index.lookup(text) if text else None
            if number is not None and (allowed is None or number in allowed):
                identified.add(number)
        if identified:
            numbers = sorted(identified)
        elif name:
            numbers = self._by_name(name, allowed)
        elif query.conditions:
            numbers = self._by_facts(query.conditions, allowed)
        else:
            numbers = []
        scored: list[Candidate] = []
        for number in numbers:
            entity = index.entities[number]
            results = [
                (c, compare(c, entity, self.resolve, self.containers)) for c in query.conditions
            ]
            type_match = (
                any(t is not None and t.covers(entity.kind, entity.classes) for t in query.types)
                if query.types
                else None
            )
            if number in identified:
                features = (Feature("id_match", "the query is this record's identifier", True),)
                scored.append(Candidate(entity, 100.0, False, features))
                continue
            fit = match_name(name, entity) if name else None
            if name and fit is None:
                continue
            result = combine(
                fit, bool(name), results, type_match, type_penalty=query.type_strict == "should"
            )
            if result.admitted:
                scored.append(Candidate(entity, result.score, False, result.features))
        scored.sort(key=lambda c: (-c.score, c.entity.label, c.entity.id))
        if scored and is_match([c.score for c in scored[:2]]):
            best = scored[0]
            scored[0] = Candidate(best.entity, best.score, True, best.features)
        return scored[: query.limit]
