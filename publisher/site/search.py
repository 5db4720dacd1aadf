"""Finding people by any spelling of their name: Latin or Cyrillic, with or without diacritics.

Names become match keys with ``publisher.names`` (transliteration, folding, skeletons). The
records and their word postings are the reconciliation service's index
(``publisher.reconcile.index``), so a server holds one index for both; the matching itself
(every query word must match a word of the same name, by equal key, by prefix or within one
edit) is ``publisher.reconcile.search``. This module weighs the hits for people browsing the
site: people and groups first.
"""

from __future__ import annotations

import weakref
from typing import NamedTuple

from publisher.catalog import Catalog
from publisher.reconcile.index import EntityIndex, entity_index
from publisher.reconcile.search import typed_search

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


class SearchResult(NamedTuple):
    """One hit: the record, its English label, and a score in (0, 1.15]."""

    iri: str
    label: str
    score: float


class SearchIndex:
    """Name search over a catalog's records (a view of its reconciliation index)."""

    def __init__(self, index: EntityIndex) -> None:
        self._index = index

    @classmethod
    def build(cls, catalog: Catalog) -> SearchIndex:
        """The index of every record's names and alternate names (and the names sources used)."""
        return cls(EntityIndex.build(catalog))

    def __len__(self) -> int:
        return sum(1 for entity in self._index.entities if entity.names)

    def search(self, query: str, limit: int = 20) -> list[SearchResult]:
        """Records whose names match every word of ``query``, best first (then by label)."""
        index = self._index
        return [
            SearchResult(f"{index.id_space}{index.entities[n].id}", index.entities[n].label, score)
            for n, score in typed_search(index, query, limit, KIND_WEIGHTS)
        ]


_INDEXES: weakref.WeakKeyDictionary[Catalog, SearchIndex] = weakref.WeakKeyDictionary()


def search_index(catalog: Catalog) -> SearchIndex:
    """The catalog's search index (a view of its reconciliation index, built on first use)."""
    index = _INDEXES.get(catalog)
    if index is None:
        index = _INDEXES[catalog] = SearchIndex(entity_index(catalog))
    return index
