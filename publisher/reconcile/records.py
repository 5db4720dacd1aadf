"""What the reconciliation index knows about each record, read from the catalog in one pass.

Every record of ``iris.ENTITY_KINDS`` becomes an ``Entity``: its id (``person/ulitskaya``, the
part of its IRI after ``{base}id/``), classes, names with their match keys, and the facts the
properties of ``publisher.reconcile.properties`` compare and return. Facts are read with one
pattern per predicate over the whole store, and emigrations with one SPARQL join, rather than with
lookups per record; only ``schema:name``, which every event and claim also has, is looked up per
record. At 100,000 people that is about a million values, read in a few seconds.

Names come in three roles: ``name`` (``schema:name``), ``alternateName`` (other names, spellings
and historical names) and ``mentionedAs`` (the spelling a source used, kept on its citation:
the 2022 article's "Ivan Kuprin" for Aleksandr Kuprin).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal as TypingLiteral

from pyoxigraph import Literal, NamedNode, QuerySolutions

from publisher import iris
from publisher.catalog import Catalog
from publisher.graph.build import CLASS_BY_TYPE, LINK_STATE_NODES
from publisher.graph.terms import OWL_SAME_AS, RDF_TYPE, curie
from publisher.names import name_forms
from publisher.namespaces import EMIGRE_NS
from publisher.reconcile.properties import wikidata_id

NameRole = TypingLiteral["name", "alternateName", "mentionedAs"]


@dataclass(frozen=True, slots=True)
class Name:
    """One name of a record. Its match keys are not kept (``name_keys`` computes them when
    needed): at 100,000 people they would double the index's memory."""

    text: str
    language: str
    role: NameRole


@lru_cache(maxsize=1 << 16)
def name_keys(text: str) -> tuple[frozenset[str], tuple[tuple[str, ...], ...]]:
    """A name's folded spellings (words joined by spaces) and word keys, per transliteration
    (``publisher.names.name_forms``; remembered for the names scored most recently)."""
    forms = name_forms(text)
    folded = frozenset(" ".join(words) for words, _ in forms)
    return folded, tuple(dict.fromkeys(keys for _, keys in forms))


@dataclass(frozen=True, slots=True)
class Entity:
    """A record as the reconciliation service sees it."""

    id: str
    kind: str
    #: The English name (else any name, else the id).
    label: str
    #: The English description, or "".
    description: str
    #: Local names of its classes (``Person``, ``MusicGroup`` ...; ``CLASS_BY_TYPE`` keys).
    classes: tuple[str, ...]
    names: tuple[Name, ...]
    #: Property id -> values read from the graph (see ``publisher.reconcile.properties``),
    #: sorted; ``values`` adds the properties derived from them and from the names.
    facts: Mapping[str, tuple[str, ...]]

    def values(self, property_id: str) -> tuple[str, ...]:
        """The values of any property (read or derived), sorted."""
        found = self.facts.get(property_id)
        if found is not None:
            return found
        if property_id == "birthYear":
            return tuple(sorted({date[:4] for date in self.facts.get("birthDate", ())}))
        if property_id == "description":
            return (self.description,) if self.description else ()
        if property_id == "alternateName":
            return tuple(sorted({n.text for n in self.names if n.role == "alternateName"}))
        if property_id == "nameRu":
            return tuple(
                sorted({n.text for n in self.names if n.role == "name" and n.language == "ru"})
            )
        return ()


#: Direct predicates -> the property their values are facts of.
_DIRECT = {
    "schema:birthDate": "birthDate",
    "schema:deathDate": "deathDate",
    "schema:birthPlace": "birthPlace",
    "schema:hasOccupation": "occupation",
    "schema:homeLocation": "residence",
    "schema:memberOf": "memberOf",
    "schema:containedInPlace": "country",
}
#: Emigration predicates -> the property of the emigrant their values are facts of.
_EMIGRATION = ("destination", "origin", "wave", "emigrationYear")
#: Each emigration's emigrant and facts, joined in the store.
_EMIGRATIONS_QUERY = """
PREFIX emigre: <https://w3id.org/emigre/ns#>
PREFIX schema: <http://schema.org/>
SELECT ?emigrant ?destination ?origin ?wave ?start WHERE {
  ?emigration emigre:emigrant ?emigrant .
  OPTIONAL { ?emigration emigre:destination ?destination }
  OPTIONAL { ?emigration emigre:origin ?origin }
  OPTIONAL { ?emigration emigre:wave ?wave }
  OPTIONAL { ?emigration schema:startDate ?start }
}
"""
_LINK_STATES = {f"{EMIGRE_NS}{node}": keyword for keyword, node in LINK_STATE_NODES.items()}
_ROLE_ORDER = {"name": 0, "alternateName": 1, "mentionedAs": 2}


class _Reader:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.store = catalog.store
        self.prefix = f"{catalog.base}id/"
        #: IRI -> id of every record (ids are shared by every fact that names the record).
        self.ids: dict[str, str] = {}
        self.classes: dict[str, list[str]] = defaultdict(list)

    def objects(self, predicate: NamedNode) -> Iterator[tuple[str, NamedNode | Literal]]:
        """(subject IRI, object) of every triple with ``predicate`` and a named subject."""
        for quad in self.store.quads_for_pattern(None, predicate, None):
            subject, value = quad.subject, quad.object
            if isinstance(subject, NamedNode) and isinstance(value, NamedNode | Literal):
                yield subject.value, value

    def read_classes(self) -> None:
        for local, name in sorted(CLASS_BY_TYPE.items()):
            for quad in self.store.quads_for_pattern(None, RDF_TYPE, curie(name)):
                subject = quad.subject
                if not isinstance(subject, NamedNode):
                    continue
                split = iris.split_entity_iri(self.catalog.base, subject.value)
                if split and split[0] in iris.ENTITY_KINDS:
                    self.ids.setdefault(subject.value, f"{split[0]}/{split[1]}")
                    self.classes[subject.value].append(local)

    def record_id(self, value: NamedNode | Literal) -> str | None:
        return self.ids.get(value.value) if isinstance(value, NamedNode) else None

    def read_names(self) -> dict[str, list[tuple[str, str, NameRole]]]:
        names: dict[str, list[tuple[str, str, NameRole]]] = defaultdict(list)
        name = curie("schema:name")
        for subject in self.ids:
            for quad in self.store.quads_for_pattern(NamedNode(subject), name, None):
                value = quad.object
                if isinstance(value, Literal):
                    names[subject].append((value.value, value.language or "", "name"))
        for subject, value in self.objects(curie("schema:alternateName")):
            if subject in self.ids and isinstance(value, Literal):
                names[subject].append((value.value, value.language or "", "alternateName"))
        for citation, value in self.objects(curie("emigre:mentionedAs")):
            owner = self._owner_of_citation(citation)
            if owner is not None and isinstance(value, Literal):
                names[owner].append((value.value, value.language or "", "mentionedAs"))
        return names

    def _owner_of_citation(self, citation: str) -> str | None:
        """The record a citation's event or claim is about (the record a mention names)."""
        cited = self.store.quads_for_pattern(None, curie("schema:citation"), NamedNode(citation))
        for quad in cited:
            for predicate in ("emigre:emigrant", "emigre:persecuted", "emigre:claimSubject"):
                for named in self.store.quads_for_pattern(quad.subject, curie(predicate), None):
                    if isinstance(named.object, NamedNode) and named.object.value in self.ids:
                        return named.object.value
        return None

    def read_descriptions(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for subject, value in self.objects(curie("schema:description")):
            if subject in self.ids and isinstance(value, Literal) and value.language == "en":
                found[subject] = min(found.get(subject, value.value), value.value)
        return found

    def read_facts(self) -> dict[str, dict[str, set[str]]]:
        facts: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for predicate, property_id in _DIRECT.items():
            for subject, value in self.objects(curie(predicate)):
                if subject not in self.ids:
                    continue
                fact = self.record_id(value) if isinstance(value, NamedNode) else value.value
                if fact is not None:
                    facts[subject][property_id].add(fact)
        rows = self.store.query(_EMIGRATIONS_QUERY)
        assert isinstance(rows, QuerySolutions)
        for row in rows:
            emigrant = row[0]
            if not isinstance(emigrant, NamedNode) or emigrant.value not in self.ids:
                continue
            found = facts[emigrant.value]
            for property_id, value in zip(_EMIGRATION, tuple(row)[1:], strict=True):
                if isinstance(value, NamedNode):
                    fact = self.record_id(value)
                    if fact is not None:
                        found[property_id].add(fact)
                elif isinstance(value, Literal):
                    found[property_id].add(value.value[:4])
        for subject, value in self.objects(OWL_SAME_AS):
            qid = wikidata_id(value.value) if isinstance(value, NamedNode) else None
            if subject in self.ids and qid:
                facts[subject]["wikidataId"].add(qid)
        for subject, value in self.objects(curie("emigre:wikidataLinkState")):
            state = _LINK_STATES.get(value.value)
            if subject in self.ids and state:
                facts[subject]["linkState"].add(state)
        return facts


def read_entities(catalog: Catalog) -> list[Entity]:
    """Every record of the catalog, by IRI (so ids sort the same way)."""
    reader = _Reader(catalog)
    reader.read_classes()
    names = reader.read_names()
    descriptions = reader.read_descriptions()
    facts = reader.read_facts()
    # Equal tuples of values are one object (("pending",), ("wave/2022",) ...), and equal
    # strings one string: 100,000 records share most of their values.
    shared: dict[tuple[str, ...], tuple[str, ...]] = {}
    strings: dict[str, str] = {}
    entities = []
    for iri in sorted(reader.ids):
        record_id = reader.ids[iri]
        own = sorted(
            dict.fromkeys(names.get(iri, ())),
            key=lambda n: (_ROLE_ORDER[n[2]], n[1] != "en", n[1], n[0]),
        )
        english = [text for text, language, role in own if role == "name" and language == "en"]
        label = english[0] if english else (own[0][0] if own else record_id)
        values: dict[str, tuple[str, ...]] = {}
        for key, found in sorted(facts.get(iri, {}).items()):
            value = tuple(sorted(found))
            values[key] = shared.setdefault(value, value)
        entities.append(
            Entity(
                id=record_id,
                kind=record_id.split("/", 1)[0],
                label=label,
                description=descriptions.get(iri, ""),
                classes=shared.setdefault(classes := tuple(sorted(reader.classes[iri])), classes),
                names=tuple(
                    Name(text, strings.setdefault(language, language), role)
                    for text, language, role in own
                ),
                facts=values,
            )
        )
    return entities
