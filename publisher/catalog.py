"""The published graph, opened for reading: what the server and the static site look things up in.

A ``Catalog`` holds the built dataset in a pyoxigraph ``Store`` and answers the questions pages and
documents ask: which nodes make up one record's document, what a node is called, which nodes
point at it. It reads only ``dist/`` (the build's output), never ``data/``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph
from pyoxigraph import Literal, NamedNode, Quad, Store, Triple

from publisher import iris
from publisher.dump import DUMP_STEM
from publisher.graph.terms import RDF_TYPE, emigre, schema, term_text

#: Links from an event, claim or quotation to the record it was minted from.
OWNER_LINKS = ("emigre:emigrant", "emigre:persecuted", "emigre:claimSubject", "schema:creator")
#: Kinds of nodes minted from a record.
MINTED_KINDS = ("emigration", "persecution", "claim", "quotation")


def _node(name: str) -> NamedNode:
    prefix, _, local = name.partition(":")
    return emigre(local) if prefix == "emigre" else schema(local)


@dataclass(frozen=True, order=True)
class Link:
    """A triple seen from one end: the predicate and the node at the other end."""

    predicate: str
    node: str


class Catalog:
    """The built dataset in a store, with the lookups documents and pages need."""

    def __init__(self, store: Store, base: str, statistics: dict[str, object] | None = None):
        self.store = store
        self.base = base
        self.statistics = statistics or {}
        self._owner_links = [_node(name) for name in OWNER_LINKS]
        self._citation = schema("citation")
        self._name = schema("name")

    @classmethod
    def open(cls, dist_dir: Path, base: str) -> Catalog:
        """Load ``dist/emigre.nt`` into an in-memory store."""
        store = Store()
        store.bulk_load(path=dist_dir / f"{DUMP_STEM}.nt", format=pyoxigraph.RdfFormat.N_TRIPLES)
        stats_path = dist_dir / "stats.json"
        statistics = json.loads(stats_path.read_text("utf-8")) if stats_path.exists() else {}
        return cls(store, base, statistics)

    # -- nodes -----------------------------------------------------------------------------------

    def iri(self, kind: str, slug: str) -> str:
        """The IRI of a record (kind and slug as in the URL)."""
        return iris.entity_iri(self.base, kind, slug)

    def exists(self, iri: str) -> bool:
        """Whether the node is described (has a type) in the dataset."""
        return any(True for _ in self.store.quads_for_pattern(NamedNode(iri), RDF_TYPE, None))

    def types(self, iri: str) -> list[str]:
        """The classes of a node, sorted."""
        return sorted(
            term_text(quad.object)
            for quad in self.store.quads_for_pattern(NamedNode(iri), RDF_TYPE, None)
        )

    def outgoing(self, iri: str) -> list[tuple[str, NamedNode | Literal]]:
        """(predicate, object) of every triple about ``iri``, in N-Triples order."""
        pairs = [
            (quad.predicate.value, quad.object)
            for quad in self.store.quads_for_pattern(NamedNode(iri), None, None)
            if isinstance(quad.object, NamedNode | Literal)
        ]
        return sorted(pairs, key=lambda pair: (pair[0], str(pair[1])))

    def incoming(self, iri: str) -> list[Link]:
        """Every triple pointing at ``iri``, as (predicate, subject), sorted."""
        return sorted(
            Link(quad.predicate.value, term_text(quad.subject))
            for quad in self.store.quads_for_pattern(None, None, NamedNode(iri))
        )

    def label(self, iri: str, language: str = "en") -> str:
        """The node's name in ``language`` (else English, else any), or the IRI."""
        names: dict[str, str] = {}
        for quad in self.store.quads_for_pattern(NamedNode(iri), self._name, None):
            if isinstance(quad.object, Literal):
                names.setdefault(quad.object.language or "", quad.object.value)
        return names.get(language) or names.get("en") or next(iter(sorted(names.values())), iri)

    def record_of(self, iri: str) -> str | None:
        """The record whose document describes ``iri``: itself, or the one it was minted from.

        A citation belongs to the event or claim it supports; an event, claim or quotation to the
        record its slug was minted from (``emigration/ulitskaya-2022`` to ``person/ulitskaya``).
        None for an IRI that is not ours or not in the dataset.
        """
        split = iris.split_entity_iri(self.base, iri)
        if split is None or not self.exists(iri):
            return None
        kind, slug = split
        if kind in iris.ENTITY_KINDS:
            return iri
        if kind == "citation":
            for quad in self.store.quads_for_pattern(None, self._citation, NamedNode(iri)):
                if isinstance(quad.subject, NamedNode):
                    return self.record_of(quad.subject.value)
            return None
        if kind in MINTED_KINDS:
            for link in self._owner_links:
                for quad in self.store.quads_for_pattern(NamedNode(iri), link, None):
                    owner = quad.object
                    if not isinstance(owner, NamedNode):
                        continue
                    owner_split = iris.split_entity_iri(self.base, owner.value)
                    if (
                        owner_split
                        and owner_split[0] in iris.ENTITY_KINDS
                        and slug.startswith(f"{owner_split[1]}-")
                    ):
                        return owner.value
        return None

    # -- documents -------------------------------------------------------------------------------

    def minted_nodes(self, iri: str) -> list[str]:
        """Events, claims and quotations minted from the record ``iri`` (not other records')."""
        split = iris.split_entity_iri(self.base, iri)
        if split is None:
            return []
        _, slug = split
        prefixes = tuple(f"{self.base}id/{kind}/{slug}-" for kind in MINTED_KINDS)
        nodes = {
            term_text(quad.subject)
            for link in self._owner_links
            for quad in self.store.quads_for_pattern(None, link, NamedNode(iri))
        }
        return sorted(node for node in nodes if node.startswith(prefixes))

    def document_nodes(self, iri: str) -> list[str]:
        """The subjects of a record's document: the record, its minted nodes, their citations."""
        nodes = [iri, *self.minted_nodes(iri)]
        citations = {
            term_text(quad.object)
            for node in nodes
            for quad in self.store.quads_for_pattern(NamedNode(node), self._citation, None)
        }
        return sorted({*nodes, *citations})

    def document_triples(self, iri: str) -> list[Triple]:
        """Every triple of a record's document, in N-Triples order (empty for an unknown IRI)."""
        if not self.exists(iri):
            return []
        triples = [
            quad.triple
            for node in self.document_nodes(iri)
            for quad in self.store.quads_for_pattern(NamedNode(node), None, None)
        ]
        return sorted(triples, key=str)

    def records(self, kind: str) -> Iterator[tuple[str, str]]:
        """(IRI, English name) of every record of ``kind``, by name."""
        prefix = f"{self.base}id/{kind}/"
        found = {
            term_text(quad.subject)
            for quad in self.store.quads_for_pattern(None, RDF_TYPE, None)
            if isinstance(quad.subject, NamedNode) and quad.subject.value.startswith(prefix)
        }
        yield from sorted(((iri, self.label(iri)) for iri in found), key=lambda p: (p[1], p[0]))

    def quads(self) -> Iterator[Quad]:
        """Every quad of the store."""
        yield from self.store.quads_for_pattern(None, None, None)
