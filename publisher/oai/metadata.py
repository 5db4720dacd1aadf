"""The metadata formats: a record's document as simple Dublin Core (``oai_dc``) and as RDF/XML.

Both are made from the record's own document (``Catalog.document_triples``: the record, the
events and claims minted from it, their citations), the same triples whose hash dates the
record (``publisher.releases``). Names of the places, waves and sources a record points to
live in their own documents, so ``oai_dc`` gives those as IRIs: a change to another record never
changes this one's metadata without changing its datestamp.

The ``oai_dc`` mapping (DCMI dumb-down rules: a refinement maps to its element):

==============  ================================================================================
dc:title        ``schema:name`` and ``schema:alternateName``, with their languages
dc:description  ``schema:description``
dc:publisher    the dataset's publisher
dc:date         every date the record states (birth, death, founding, publication ...)
dc:type         the record's classes (``http://schema.org/Person`` ...)
dc:identifier   the record's IRI
dc:source       the sources its claims and events cite (IRIs)
dc:relation     its Wikidata item (``owl:sameAs``) and the emigration waves it belongs to
dc:coverage     the destinations of its emigrations (place IRIs)
dc:rights       the licence of the data (CC0 1.0)
==============  ================================================================================
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode, Triple

from publisher import config
from publisher.catalog import Catalog
from publisher.dump import serialize
from publisher.formats import RDFXML
from publisher.graph.terms import OWL_SAME_AS, RDF_TYPE, emigre, schema
from publisher.namespaces import XSD_NS

OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_DATE_TYPES = {f"{XSD_NS}{name}" for name in ("date", "gYear", "gYearMonth", "dateTime")}
#: Characters XML 1.0 does not allow, even escaped (control characters but tab, LF, CR).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str) -> str:
    """Text escaped for XML content and attribute values; characters XML forbids are dropped.

    >>> xml_text('<script>"x" & \\x01</script>')
    '&lt;script&gt;&quot;x&quot; &amp; &lt;/script&gt;'
    """
    value = _NOT_XML.sub("", value)
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


@dataclass(frozen=True)
class MetadataFormat:
    """A metadata format: its prefix, schema, namespace and renderer."""

    prefix: str
    schema: str
    namespace: str
    render: Callable[[Catalog, str], str | None]


def render_oai_dc(catalog: Catalog, iri: str) -> str | None:
    """The ``oai_dc:dc`` element of a record, or None when the catalog does not have it."""
    triples = catalog.document_triples(iri)
    if not triples:
        return None
    own: dict[str, list[NamedNode | Literal]] = {}
    for triple in triples:
        subject, value = triple.subject, triple.object
        if not isinstance(value, NamedNode | Literal):
            continue  # no blank nodes or quoted triples in our data
        if isinstance(subject, NamedNode) and subject.value == iri:
            own.setdefault(triple.predicate.value, []).append(value)
    elements: list[str] = []

    def add(name: str, values: Iterable[NamedNode | Literal | str]) -> None:
        seen: set[tuple[str, str | None]] = set()
        for value in values:
            if isinstance(value, Literal):
                key = (value.value, value.language)
            else:
                key = (value if isinstance(value, str) else value.value, None)
            if key in seen:
                continue
            seen.add(key)
            lang = f' xml:lang="{xml_text(key[1])}"' if key[1] else ""
            elements.append(f"<dc:{name}{lang}>{xml_text(key[0])}</dc:{name}>")

    add("title", [*own.get(schema("name").value, []), *own.get(schema("alternateName").value, [])])
    add("description", own.get(schema("description").value, []))
    add("publisher", [config.DATASET_PUBLISHER])
    dates = [
        value
        for values in own.values()
        for value in values
        if isinstance(value, Literal) and value.datatype.value in _DATE_TYPES
    ]
    add("date", sorted(value.value for value in dates))
    add("type", own.get(RDF_TYPE.value, []))
    add("identifier", [iri])
    add("source", _objects(triples, emigre("citedSource")))
    add("relation", [*own.get(OWL_SAME_AS.value, []), *_objects(triples, emigre("wave"))])
    add("coverage", _objects(triples, emigre("destination")))
    add("rights", [config.DATASET_LICENSE])
    return (
        f'<oai_dc:dc xmlns:oai_dc="{OAI_DC_NS}" xmlns:dc="{DC_NS}" xmlns:xsi="{XSI_NS}"'
        f' xsi:schemaLocation="{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd">'
        + "".join(elements)
        + "</oai_dc:dc>"
    )


def _objects(triples: Iterable[Triple], predicate: NamedNode) -> list[str]:
    """The IRIs ``predicate`` points to anywhere in the document, sorted, each once."""
    return sorted(
        {
            triple.object.value
            for triple in triples
            if triple.predicate == predicate and isinstance(triple.object, NamedNode)
        }
    )


def render_rdf(catalog: Catalog, iri: str) -> str | None:
    """The ``rdf:RDF`` element of a record's document (its RDF/XML without the declaration)."""
    triples = catalog.document_triples(iri)
    if not triples:
        return None
    text = serialize(triples, RDFXML, {}).decode("utf-8")
    if text.startswith("<?xml"):
        text = text[text.index("?>") + 2 :]
    return text.strip()


METADATA_FORMATS: dict[str, MetadataFormat] = {
    "oai_dc": MetadataFormat(
        "oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC_NS, render_oai_dc
    ),
    # RDF/XML has no XML Schema of the W3C; OAI-PMH providers name the OAI's rdf.xsd.
    "rdf": MetadataFormat("rdf", "http://www.openarchives.org/OAI/2.0/rdf.xsd", RDF_NS, render_rdf),
}
