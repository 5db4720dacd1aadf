"""The in-memory index the reconciliation service answers from, built once at start-up.

Records are numbered in IRI order. Lookups are dictionaries, never a scan of the records:

- ``by_id``: id (``person/ulitskaya``) -> number; ``by_wikidata``: QID -> numbers;
- ``words``: word key -> numbers (``publisher.reconcile.words``), for names in any spelling;
- ``by_name``: a whole name's key (its word keys, sorted so that name order does not matter)
  -> numbers, for exact-name lookups;
- ``by_fact``: property id -> value -> numbers, for queries that give only properties (dates
  by year, under ``birthDate:year``);
- ``within``: place id -> the places it is in (a city's country), for place conditions.

``entity_index(catalog)`` builds the index of a catalog once and keeps it as long as the catalog
lives; the site's search (``publisher.site.search``) reads the same index.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Iterable, Iterator

from publisher import iris
from publisher.catalog import Catalog
from publisher.reconcile.properties import PROPERTIES, wikidata_id
from publisher.reconcile.records import Entity, name_keys, read_entities
from publisher.reconcile.words import WordIndex


def name_key(keys: Iterable[str]) -> str:
    """The key of a whole name from its word keys, whatever their order.

    >>> name_key(["uliSka", "ludmila"]) == name_key(["ludmila", "uliSka"])
    True
    """
    return " ".join(sorted(keys))


#: Facts candidates are never looked up by (free text).
_NOT_LOOKED_UP = frozenset(p.id for p in PROPERTIES.values() if p.value_kind == "text")
_DATES = frozenset(p.id for p in PROPERTIES.values() if p.value_kind == "date")


class EntityIndex:
    """Every record, and the dictionaries that find records by id, name and fact."""

    def __init__(self, entities: list[Entity], base: str) -> None:
        self.entities = entities
        self.base = base
        self.id_space = f"{base}id/"
        self.by_id: dict[str, int] = {entity.id: n for n, entity in enumerate(entities)}
        self.by_wikidata: dict[str, list[int]] = defaultdict(list)
        by_name: dict[str, list[int]] = defaultdict(list)
        words_of: list[set[str]] = []
        self.by_fact: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        self.within: dict[str, tuple[str, ...]] = {}
        for number, entity in enumerate(entities):
            for qid in entity.facts.get("wikidataId", ()):
                self.by_wikidata[qid].append(number)
            words: set[str] = set()
            for name in entity.names:
                for keys in name_keys(name.text)[1]:
                    words.update(keys)
                    key = name_key(keys)
                    found = by_name[key]
                    if not found or found[-1] != number:
                        found.append(number)
            words_of.append(words)
            for property_id, values in entity.facts.items():
                if property_id in _NOT_LOOKED_UP:
                    continue
                if property_id in _DATES:
                    # Dates are looked up by year (``birthDate:year``; it is also birthYear).
                    by_year = self.by_fact[f"{property_id}:year"]
                    for value in values:
                        by_year[value[:4]].add(number)
                else:
                    by_value = self.by_fact[property_id]
                    for value in values:
                        by_value[value].add(number)
        #: Small tuples rather than sets: most names are one record's.
        self.by_name: dict[str, tuple[int, ...]] = {k: tuple(v) for k, v in by_name.items()}
        self.words = WordIndex(enumerate(words_of))
        for entity in entities:
            if entity.kind == "place":
                self.within[entity.id] = tuple(self._containers(entity.id))

    @classmethod
    def build(cls, catalog: Catalog) -> EntityIndex:
        """The index of every record of ``catalog``."""
        return cls(read_entities(catalog), catalog.base)

    def __len__(self) -> int:
        return len(self.entities)

    def _containers(self, place: str) -> Iterator[str]:
        seen = {place}
        todo = [place]
        while todo:
            number = self.by_id.get(todo.pop())
            if number is None:
                continue
            for outer in self.entities[number].facts.get("country", ()):
                if outer not in seen:
                    seen.add(outer)
                    todo.append(outer)
                    yield outer

    def lookup(self, identifier: str) -> int | None:
        """The record an identifier names: our id, its IRI, its document's URL, or the QID of
        its Wikidata item (when exactly one record has it); None for anything else.

        A path's last segment may carry a format extension (``/doc/person/x.ttl``).
        """
        text = identifier.strip()
        found = self.by_id.get(text)
        if found is not None:
            return found
        for marker in ("/id/", "/doc/"):
            if marker in text:
                kind, _, rest = text.rsplit(marker, 1)[1].partition("/")
                slug = rest.split("#", 1)[0].split("?", 1)[0]
                if "." in slug and marker == "/doc/":
                    slug = slug.rsplit(".", 1)[0]
                if kind in iris.ENTITY_KINDS and iris.SLUG_PATTERN.match(slug):
                    return self.by_id.get(f"{kind}/{slug}")
                return None
        qid = wikidata_id(text)
        if qid is not None and (text == qid or text.startswith(("wd:", "http"))):
            numbers = self.by_wikidata.get(qid, [])
            return numbers[0] if len(numbers) == 1 else None
        return None

    def label(self, record_id: str) -> str:
        """The English name of a record (its id if we do not have it)."""
        number = self.by_id.get(record_id)
        return self.entities[number].label if number is not None else record_id


_INDEXES: weakref.WeakKeyDictionary[Catalog, EntityIndex] = weakref.WeakKeyDictionary()


def entity_index(catalog: Catalog) -> EntityIndex:
    """The catalog's index, built on first use and kept as long as the catalog lives."""
    index = _INDEXES.get(catalog)
    if index is None:
        index = _INDEXES[catalog] = EntityIndex.build(catalog)
    return index
