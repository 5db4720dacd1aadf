"""How well a record fits a query: a score from 0 to 100, explained by features.

Pure functions over the index's values (no I/O). The score is built in three steps:

1. **Name** (0–100): the query's words are aligned with the words of each of the record's
   names, in every transliteration, by word key (``publisher.names``): an equal key counts 1,
   a key one edit away ``words.ONE_EDIT_SCORE``, an initial (``L.``) ``INITIAL_SCORE``; a
   patronymic the record's name lacks hardly counts. The similarity is the matched share of
   the query's words, times 0.6 plus 0.4 times the matched share of the name's words (so
   "Ulitskaya" alone reaches 0.8 of "Lyudmila Ulitskaya"). An alternate name counts
   ``ROLE_WEIGHTS`` of a name, a source's mention less. Two points come off for words in
   another order, two for a spelling that matches by key but not letter for letter
   (``name_exact`` false).
2. **Properties**: each condition that can be compared moves the score: a match takes it half
   way to 100 (a partial match, such as a birth year one off, less), a contradiction takes off
   the property's ``contradiction_penalty``; a record without a value is not judged. A match on
   an identifying property (the Wikidata ID) makes the score 100. Queries without a name start
   from 50.
3. **Type**: with ``type_strict: should``, a record of another type loses 10.

``match`` is true for the top candidate only when its score is at least ``MATCH_SCORE`` and the
next candidate is at least ``MATCH_MARGIN`` behind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from publisher.names import is_patronymic, name_forms
from publisher.reconcile.properties import Property, link_state, parse_date, wikidata_id
from publisher.reconcile.records import Entity, NameRole, name_keys

#: How much a match on each kind of name counts.
ROLE_WEIGHTS: dict[NameRole, float] = {"name": 1.0, "alternateName": 0.97, "mentionedAs": 0.93}
INITIAL_SCORE = 0.8
#: What an unmatched patronymic in the query weighs against a matched word (1).
PATRONYMIC_WEIGHT = 0.1
REORDERED_PENALTY = 2.0
INEXACT_PENALTY = 2.0
SHOULD_TYPE_PENALTY = 10.0
#: The score of a query without a name before its properties are compared.
PROPERTIES_ONLY_SCORE = 50.0
MATCH_SCORE = 90.0
MATCH_MARGIN = 10.0

Quantifier = Literal["any", "all", "none"]


@dataclass(frozen=True)
class ValueRef:
    """A value that names a record (a cell reconciled before): ``{"id": ..., "name": ...}``."""

    id: str
    name: str = ""


QueryValue = str | float | bool | ValueRef


@dataclass(frozen=True)
class Condition:
    """A property condition of a query."""

    property: Property
    values: tuple[QueryValue, ...]
    required: bool = False
    quantifier: Quantifier = "any"


@dataclass(frozen=True)
class Feature:
    """One reason for a score: an id, a readable name and a value."""

    id: str
    name: str
    value: bool | float

    def as_json(self) -> dict[str, object]:
        """``{"id", "name", "value"}``."""
        return {"id": self.id, "name": self.name, "value": self.value}


class NameQuery:
    """The name a query asks for, in every transliteration, with its words' matches."""

    def __init__(self, text: str, one_edit: Callable[[str], dict[str, float]]) -> None:
        forms = name_forms(text)
        self.text = text
        self.folded = frozenset(" ".join(words) for words, _ in forms)
        self.variants: list[tuple[tuple[str, ...], list[dict[str, float]]]] = []
        for keys in dict.fromkeys(keys for _, keys in forms):
            self.variants.append((keys, [one_edit(word) for word in keys]))

    def __bool__(self) -> bool:
        return bool(self.variants)


@dataclass(frozen=True)
class NameMatch:
    """The best fit of a query's name to one record's names."""

    score: float
    similarity: float
    exact: bool
    reordered: bool
    role: NameRole


def _word_score(query_word: str, matches: dict[str, float], name_word: str) -> float:
    if query_word == name_word:
        return 1.0
    found = matches.get(name_word)
    if found is not None:
        return found
    if len(query_word) == 1 and name_word.startswith(query_word):
        return INITIAL_SCORE
    if len(name_word) == 1 and query_word.startswith(name_word):
        return INITIAL_SCORE
    return 0.0


def align(
    query_words: Sequence[str], matches: Sequence[dict[str, float]], name_words: Sequence[str]
) -> tuple[float, bool]:
    """Similarity (0–1) of a query's words to a name's words, and whether their order differs.

    >>> align(["ludmila", "uliSka"], [{}, {}], ["ludmila", "uliSka"])
    (1.0, False)
    >>> align(["uliSka"], [{}], ["ludmila", "uliSka"])
    (0.8, False)
    >>> align(["uliSka", "ludmila"], [{}, {}], ["ludmila", "uliSka"])
    (1.0, True)
    """
    used = [False] * len(name_words)
    positions: list[int] = []
    total = weight = 0.0
    for query_word, word_matches in zip(query_words, matches, strict=True):
        best, best_at = 0.0, -1
        for at, name_word in enumerate(name_words):
            if not used[at]:
                score = _word_score(query_word, word_matches, name_word)
                if score > best:
                    best, best_at = score, at
        if best_at >= 0:
            used[best_at] = True
            positions.append(best_at)
        word_weight = PATRONYMIC_WEIGHT if best == 0.0 and is_patronymic(query_word) else 1.0
        total += best * word_weight
        weight += word_weight
    if weight == 0.0:
        return 0.0, False
    name_weight = covered = 0.0
    for at, name_word in enumerate(name_words):
        word_weight = PATRONYMIC_WEIGHT if not used[at] and is_patronymic(name_word) else 1.0
        name_weight += word_weight
        covered += word_weight if used[at] else 0.0
    similarity = total / weight * (0.6 + 0.4 * covered / name_weight)
    return round(similarity, 4), positions != sorted(positions)


def match_name(query: NameQuery, entity: Entity) -> NameMatch | None:
    """The best fit of ``query`` to any of the record's names; None when no word matches."""
    best: NameMatch | None = None
    for name in entity.names:
        folded, variants = name_keys(name.text)
        exact = not query.folded.isdisjoint(folded)
        weight = ROLE_WEIGHTS[name.role]
        for query_words, matches in query.variants:
            for name_words in variants:
                similarity, reordered = align(query_words, matches, name_words)
                if similarity == 0.0:
                    continue
                score = 100.0 * similarity * weight
                score -= (REORDERED_PENALTY if reordered else 0.0) + (
                    0.0 if exact else INEXACT_PENALTY
                )
                if best is None or score > best.score:
                    best = NameMatch(max(score, 0.0), similarity, exact, reordered, name.role)
    return best


# -- property conditions -------------------------------------------------------------------------

#: Resolves a query value to the ids of the records it names, among the given kinds.
Resolver = Callable[[QueryValue, tuple[str, ...]], frozenset[str]]
#: The places a place is in (a city's country), by id.
Containers = Callable[[str], tuple[str, ...]]


def _text(value: QueryValue) -> str:
    if isinstance(value, ValueRef):
        return value.name or value.id
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return value


def _date_score(query: tuple[int, int | None, int | None], ours: str) -> float | None:
    parsed = parse_date(ours)
    if parsed is None:
        return None
    if abs(parsed[0] - query[0]) > 1:
        return 0.0
    if parsed[0] != query[0]:
        return 0.5
    for mine, theirs in zip(parsed[1:], query[1:], strict=True):
        if mine is not None and theirs is not None and mine != theirs:
            return 0.5
    return 1.0


def compare_value(
    prop: Property,
    value: QueryValue,
    ours: tuple[str, ...],
    resolve: Resolver,
    containers: Containers,
) -> float | None:
    """How one query value fits our values of a property: 1, a partial 0–1, 0 (contradiction),
    or None when it cannot be compared (not a date, a place we do not know ...)."""
    kind = prop.value_kind
    if kind in ("date", "year"):
        raw = value.name if isinstance(value, ValueRef) else value
        parsed = parse_date(raw)
        if parsed is None:
            return None
        query = (parsed[0], None, None) if kind == "year" else parsed
        scores = [s for s in (_date_score(query, mine) for mine in ours) if s is not None]
        return max(scores, default=None)
    if kind == "entity":
        wanted = resolve(value, prop.target_kinds)
        if not wanted:
            return None
        if any(mine in wanted or wanted.intersection(containers(mine)) for mine in ours):
            return 1.0
        if any(mine in containers(place) for place in wanted for mine in ours):
            return 0.5
        return 0.0
    if kind == "wikidata":
        qid = wikidata_id(value.id if isinstance(value, ValueRef) else _text(value))
        return None if qid is None else float(qid in ours)
    if kind == "state":
        state = link_state(_text(value))
        return None if state is None else float(state in ours)
    words = set(_keys(_text(value)))
    if not words:
        return None
    return float(any(words <= set(_keys(mine)) for mine in ours))


def _keys(text: str) -> list[str]:
    return [word for _, keys in name_forms(text) for word in keys]


def compare(
    condition: Condition, entity: Entity, resolve: Resolver, containers: Containers
) -> float | None:
    """How a record fits a condition (see ``compare_value``), over the condition's values as its
    quantifier says: any (the best), all (the worst) or none (one minus the best)."""
    ours = entity.values(condition.property.id)
    if not ours:
        return None
    scores = [
        score
        for score in (
            compare_value(condition.property, value, ours, resolve, containers)
            for value in condition.values
        )
        if score is not None
    ]
    if not scores:
        return None
    if condition.quantifier == "all":
        return min(scores)
    if condition.quantifier == "none":
        return 1.0 - max(scores)
    return max(scores)


# -- the whole score -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scored:
    """A candidate's score and the features that explain it."""

    score: float
    features: tuple[Feature, ...]
    #: Whether every required condition matched.
    admitted: bool = True


def combine(
    name: NameMatch | None,
    has_name_query: bool,
    conditions: Sequence[tuple[Condition, float | None]],
    type_match: bool | None,
    type_penalty: bool = False,
) -> Scored:
    """The score of a candidate from its name fit, its conditions' results and its type."""
    features: list[Feature] = []
    if has_name_query and name is not None:
        score = name.score
        features += [
            Feature("name_similarity", "similarity of the names' word keys", name.similarity),
            Feature("name_exact", "a name spelt exactly as queried", name.exact),
            Feature("name_reordered", "the name's words in another order", name.reordered),
            Feature("alias", "matched an alternate name", name.role == "alternateName"),
            Feature("source_mention", "matched a source's spelling", name.role == "mentionedAs"),
        ]
    else:
        score = 0.0 if has_name_query else PROPERTIES_ONLY_SCORE
    if type_match is not None:
        features.append(Feature("type_match", "of the type asked for", type_match))
        if type_penalty and not type_match:
            score -= SHOULD_TYPE_PENALTY
    identified = False
    admitted = True
    for condition, result in conditions:
        prop = condition.property
        if condition.required and (result is None or result < 1.0):
            admitted = False
        if result is None:
            continue
        features.append(Feature(f"property:{prop.id}", f"{prop.name} matches", result))
        if result >= 1.0 and prop.identifying:
            identified = True
        elif result > 0.0:
            score += (100.0 - score) * 0.5 * result
        else:
            score -= prop.contradiction_penalty
    if identified:
        score = 100.0
    return Scored(round(min(max(score, 0.0), 100.0), 2), tuple(features), admitted)


def is_match(scores: Sequence[float]) -> bool:
    """Whether the best of ``scores`` (sorted, best first) is a sure match.

    >>> is_match([97.0, 40.0]), is_match([97.0, 92.0]), is_match([80.0]), is_match([95.0])
    (True, False, False, True)
    """
    if not scores or scores[0] < MATCH_SCORE:
        return False
    return len(scores) == 1 or scores[0] - scores[1] >= MATCH_MARGIN
