"""Finding people by any spelling of their name: Latin or Cyrillic, with or without diacritics.

Names become match keys with ``publisher.names`` (transliteration, folding, skeletons).
``SearchIndex`` matches a query's words against the words of every name by equal key, by prefix,
and within one edit, and every query word must match a word of the same name.
"""

from __future__ import annotations

import weakref
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from pyoxigraph import Literal, NamedNode

from publisher import iris
from publisher.catalog import Catalog
from publisher.graph.terms import curie
from publisher.names import name_variants

# -- the index ------------------------------------------------------------------------------------

#: How much a hit of each kind counts: people and groups are what searchers look for.
KIND_WEIGHTS = {
    "person": 1.0,
    "group": 1.0,
    "organization": 0.8,
    "work": 0.7,
    "place": 0.7,
    "wave": 0.6,
    "occupation": 0.6,
    "source": 0.5,
}
#: How much a hit on each kind of name counts.
NAME_WEIGHTS = {"name": 1.0, "alternateName": 0.95, "mentionedAs": 0.85}


@dataclass(frozen=True)
class _Name:
    words: tuple[str, ...]
    weight: float


class SearchResult(NamedTuple):
    """One hit: the record, its English label, and a score in (0, 1.15]."""

    iri: str
    label: str
    score: float


def _levenshtein_at_most_one(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))} | {word}


class SearchIndex:
    """Name keys of every record, with word postings for exact, prefix and one-edit lookups."""

    def __init__(self, records: Iterable[tuple[str, str, float, list[_Name]]]) -> None:
        self._records: list[tuple[str, str, float, list[_Name]]] = list(records)
        self._postings: dict[str, set[int]] = defaultdict(set)
        self._deleted: dict[str, set[str]] = defaultdict(set)
        for number, (_, _, _, names) in enumerate(self._records):
            for name in names:
                for word in name.words:
                    self._postings[word].add(number)
        for word in self._postings:
            if len(word) >= 4:
                for key in _deletions(word):
                    self._deleted[key].add(word)
        self._words = sorted(self._postings)

    @classmethod
    def build(cls, catalog: Catalog) -> SearchIndex:
        """The index of every record's names and alternate names (and the names sources used)."""
        names: dict[str, list[_Name]] = defaultdict(list)
        for local, weight in NAME_WEIGHTS.items():
            predicate = curie(f"emigre:{local}" if local == "mentionedAs" else f"schema:{local}")
            for quad in catalog.store.quads_for_pattern(None, predicate, None):
                if not isinstance(quad.subject, NamedNode) or not isinstance(quad.object, Literal):
                    continue
                record = _record_named(catalog, quad.subject.value, local)
                if record is None:
                    continue
                for words in name_variants(quad.object.value):
                    names[record].append(_Name(words, weight))
        records = []
        for iri in sorted(names):
            split = iris.split_entity_iri(catalog.base, iri)
            kind = split[0] if split else ""
            unique = list(dict.fromkeys(names[iri]))
            records.append((iri, catalog.label(iri), KIND_WEIGHTS.get(kind, 0.5), unique))
        return cls(records)

    def __len__(self) -> int:
        return len(self._records)

    def _prefixed(self, prefix: str) -> Iterator[str]:
        start = bisect_left(self._words, prefix)
        for word in self._words[start:]:
            if not word.startswith(prefix):
                break
            yield word

    def _word_matches(self, query_word: str, last: bool = False) -> dict[str, float]:
        """Index words matching one query word, with how well they match.

        The last word of a query may be unfinished, and may end inside a letter cluster whose
        key differs ("Ulit" for "Ulitskaya", key ``uliSka``): it also matches as a prefix
        without its last letter.
        """
        matches: dict[str, float] = {}
        if query_word in self._postings:
            matches[query_word] = 1.0
        if last and len(query_word) >= 4:
            for word in self._prefixed(query_word[:-1]):
                score = 0.55 + 0.3 * len(query_word) / max(len(word), len(query_word))
                matches[word] = max(matches.get(word, 0.0), score)
        if len(query_word) >= 2:
            for word in self._prefixed(query_word):
                score = 0.6 + 0.3 * len(query_word) / len(word)
                matches[word] = max(matches.get(word, 0.0), score)
        if len(query_word) >= 4:
            for key in _deletions(query_word):
                for word in self._deleted.get(key, ()):
                    if _levenshtein_at_most_one(query_word, word):
                        matches[word] = max(matches.get(word, 0.0), 0.75)
        return matches

    def search(self, query: str, limit: int = 20) -> list[SearchResult]:
        """Records whose names match every word of ``query``, best first (then by label)."""
        best: dict[int, float] = {}
        for query_words in name_variants(query):
            per_word = [
                self._word_matches(word, last=i == len(query_words) - 1)
                for i, word in enumerate(query_words)
            ]
            if not per_word or any(not matches for matches in per_word):
                continue
            candidates: set[int] | None = None
            for matches in per_word:
                found = set().union(*(self._postings[word] for word in matches))
                candidates = found if candidates is None else candidates & found
            for number in candidates or ():
                score = self._score(number, per_word)
                if score > best.get(number, 0.0):
                    best[number] = score
        ranked = sorted(best.items(), key=lambda item: (-item[1], self._records[item[0]][1]))
        return [
            SearchResult(self._records[n][0], self._records[n][1], round(score, 4))
            for n, score in ranked[:limit]
        ]

    def _score(self, number: int, per_word: list[dict[str, float]]) -> float:
        _, _, kind_weight, names = self._records[number]
        best = 0.0
        for name in names:
            scores = [max((m.get(w, 0.0) for w in name.words), default=0.0) for m in per_word]
            if min(scores) == 0.0:
                continue
            covered = sum(1 for w in name.words if any(w in m for m in per_word))
            score = sum(scores) / len(scores) + 0.15 * covered / len(name.words)
            best = max(best, score * name.weight * kind_weight)
        return best


def _record_named(catalog: Catalog, node: str, local: str) -> str | None:
    """The record a name belongs to: the node itself, or for a mention, the record it names."""
    split = iris.split_entity_iri(catalog.base, node)
    if split is None:
        return None
    if local != "mentionedAs":
        return node if split[0] in iris.ENTITY_KINDS else None
    cited = catalog.store.quads_for_pattern(None, curie("schema:citation"), NamedNode(node))
    for quad in cited:
        for predicate in ("emigre:emigrant", "emigre:persecuted", "emigre:claimSubject"):
            for named in catalog.store.quads_for_pattern(quad.subject, curie(predicate), None):
                if isinstance(named.object, NamedNode):
                    return named.object.value
    return None


_INDEXES: weakref.WeakKeyDictionary[Catalog, SearchIndex] = weakref.WeakKeyDictionary()


def search_index(catalog: Catalog) -> SearchIndex:
    """The catalog's index, built on first use and kept as long as the catalog lives."""
    index = _INDEXES.get(catalog)
    if index is None:
        index = _INDEXES[catalog] = SearchIndex.build(catalog)
    return index
