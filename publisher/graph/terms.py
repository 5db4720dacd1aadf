"""RDF terms for the graph builder: pyoxigraph nodes, with the names we use spelled once."""

from __future__ import annotations

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from publisher.model.dates import PartialDate, Precision
from publisher.namespaces import OWL_NS, RDF_NS, SCHEMA, XSD_NS
from publisher.vocab import EMIGRE

RDF_TYPE = NamedNode(f"{RDF_NS}type")
OWL_SAME_AS = NamedNode(f"{OWL_NS}sameAs")
XSD_DATE = NamedNode(f"{XSD_NS}date")
XSD_GYEAR = NamedNode(f"{XSD_NS}gYear")
XSD_GYEARMONTH = NamedNode(f"{XSD_NS}gYearMonth")
XSD_BOOLEAN = NamedNode(f"{XSD_NS}boolean")

_DATE_TYPES: dict[Precision, NamedNode] = {
    "year": XSD_GYEAR,
    "month": XSD_GYEARMONTH,
    "day": XSD_DATE,
}

_cache: dict[str, NamedNode] = {}


def schema(local: str) -> NamedNode:
    """A schema.org term (http form, as Wikidata and schema.org's own RDF use)."""
    node = _cache.get(local)
    if node is None:
        node = _cache[local] = NamedNode(f"{SCHEMA}{local}")
    return node


def emigre(local: str) -> NamedNode:
    """A term of our vocabulary; a misspelt name fails (the vocabulary is closed)."""
    key = f"#{local}"
    node = _cache.get(key)
    if node is None:
        node = _cache[key] = NamedNode(str(getattr(EMIGRE, local)))
    return node


def curie(name: str) -> NamedNode:
    """``schema:x`` or ``emigre:x`` as a node.

    >>> curie("schema:birthDate").value
    'http://schema.org/birthDate'
    """
    prefix, _, local = name.partition(":")
    if prefix == "schema":
        return schema(local)
    if prefix == "emigre":
        return emigre(local)
    raise ValueError(f"unknown prefix in {name!r}")


def date_literal(date: PartialDate) -> Literal:
    """The typed literal of a partial date: xsd:gYear, xsd:gYearMonth or xsd:date."""
    return Literal(date.text, datatype=_DATE_TYPES[date.precision])


PRECISION_NODES: dict[Precision, str] = {
    "year": "YearPrecision",
    "month": "MonthPrecision",
    "day": "DayPrecision",
}


def term_text(term: NamedNode | BlankNode | Literal | Triple) -> str:
    """The IRI, label or lexical form of a term (our graphs have no quoted triples)."""
    if isinstance(term, Triple):
        raise ValueError(f"unexpected quoted triple {term}")
    return term.value
