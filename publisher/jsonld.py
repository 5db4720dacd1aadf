"""Compact JSON-LD, written directly from triples with one fixed ``@context``.

No JSON-LD library compacts millions of triples in reasonable time, and the shape of our data is
known, so we write the compacted form ourselves: terms from the context below where a value fits
the term's definition, a prefixed name with an explicit value object where it does not (exactly
what a JSON-LD compactor does). Tests expand the result with two independent processors (PyLD,
jsonld.js in safe mode) and compare it with the Turtle dump as RDF.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from typing import Any

from pyoxigraph import Literal, NamedNode, Triple

from publisher.namespaces import EMIGRE_NS, PREFIXES, RDF_NS, SCHEMA, XSD_NS

_XSD_STRING = f"{XSD_NS}string"
_RDF_LANG_STRING = f"{RDF_NS}langString"
_RDF_TYPE = f"{RDF_NS}type"

#: Terms whose values are language-tagged text: written as language maps.
_LANGUAGE_TERMS = {
    "name": f"{SCHEMA}name",
    "alternateName": f"{SCHEMA}alternateName",
    "description": f"{SCHEMA}description",
    "disambiguatingDescription": f"{SCHEMA}disambiguatingDescription",
    "headline": f"{SCHEMA}headline",
    "text": f"{SCHEMA}text",
    "award": f"{SCHEMA}award",
    "excerpt": f"{EMIGRE_NS}excerpt",
    "charge": f"{EMIGRE_NS}charge",
    "penalty": f"{EMIGRE_NS}penalty",
}
#: Terms whose values are IRIs.
_IRI_TERMS = {
    **{
        local: f"{SCHEMA}{local}"
        for local in (
            "sameAs",
            "mainEntityOfPage",
            "containedInPlace",
            "creator",
            "citation",
            "hasOccupation",
            "birthPlace",
            "deathPlace",
            "homeLocation",
            "worksFor",
            "memberOf",
            "workExample",
            "founder",
            "director",
            "performer",
            "isBasedOn",
            "isPartOf",
            "url",
        )
    },
    **{
        local: f"{EMIGRE_NS}{local}"
        for local in (
            "citedSource",
            "emigrant",
            "origin",
            "destination",
            "wave",
            "circumstance",
            "persecuted",
            "persecutionType",
            "actor",
            "affectedWork",
            "supporter",
            "claimSubject",
            "claimProperty",
            "conflictsWith",
            "wikidataLinkState",
            "wikidataCandidate",
            "privacy",
            "datePrecision",
            "endDatePrecision",
            "shownAt",
        )
    },
}
#: Terms written with explicit value objects (their datatypes vary: xsd:gYear, xsd:date ...).
_PLAIN_TERMS = {
    **{
        local: f"{SCHEMA}{local}"
        for local in (
            "startDate",
            "endDate",
            "birthDate",
            "deathDate",
            "datePublished",
            "dateCreated",
            "inLanguage",
            "author",
            "publisher",
        )
    },
    **{local: f"{EMIGRE_NS}{local}" for local in ("claimValue", "mentionedAs", "locator")},
}
_BOOLEAN_TERMS = {"approximateDate": f"{EMIGRE_NS}approximateDate"}


def jsonld_context() -> dict[str, Any]:
    """The ``@context`` of every JSON-LD document we publish (also published as a file)."""
    context: dict[str, Any] = {"@version": 1.1}
    context.update(PREFIXES)
    context["id"] = "@id"
    context["type"] = "@type"
    for term, iri in _LANGUAGE_TERMS.items():
        context[term] = {"@id": _compact(iri), "@container": "@language"}
    for term, iri in _IRI_TERMS.items():
        context[term] = {"@id": _compact(iri), "@type": "@id"}
    for term, iri in _PLAIN_TERMS.items():
        context[term] = {"@id": _compact(iri)}
    for term, iri in _BOOLEAN_TERMS.items():
        context[term] = {"@id": _compact(iri), "@type": "xsd:boolean"}
    return {"@context": context}


_PREFIX_ORDER = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))


@functools.lru_cache(maxsize=65536)
def _compact(iri: str) -> str:
    """A prefixed name when a prefix fits, else the IRI (memoized: the same IRIs recur).

    >>> _compact("http://schema.org/Person")
    'schema:Person'
    """
    for prefix, namespace in _PREFIX_ORDER:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            local = iri[len(namespace) :]
            if "/" not in local and "#" not in local and ":" not in local:
                return f"{prefix}:{local}"
    return iri


_TERM_BY_IRI: dict[str, tuple[str, str]] = {
    **{iri: (term, "language") for term, iri in _LANGUAGE_TERMS.items()},
    **{iri: (term, "iri") for term, iri in _IRI_TERMS.items()},
    **{iri: (term, "plain") for term, iri in _PLAIN_TERMS.items()},
    **{iri: (term, "boolean") for term, iri in _BOOLEAN_TERMS.items()},
}


def _value_object(obj: NamedNode | Literal) -> dict[str, str]:
    if isinstance(obj, NamedNode):
        return {"@id": _compact(obj.value)}
    if obj.language:
        return {"@value": obj.value, "@language": obj.language}
    datatype = obj.datatype.value
    if datatype == _XSD_STRING:
        return {"@value": obj.value}
    return {"@value": obj.value, "@type": _compact(datatype)}


def _value_key(value: Any) -> tuple[str, ...]:
    """A total order over the JSON values we write (strings, booleans, value objects)."""
    if isinstance(value, dict):
        return ("1", *(f"{key}={value[key]}" for key in sorted(value)))
    return ("0", str(value))


def _node_object(subject: str, pairs: list[tuple[str, NamedNode | Literal]]) -> dict[str, Any]:
    node: dict[str, Any] = {"id": subject}
    types: list[str] = []
    collected: dict[str, list[Any]] = {}
    languages: dict[str, dict[str, list[str]]] = {}
    for predicate, obj in pairs:
        if predicate == _RDF_TYPE and isinstance(obj, NamedNode):
            types.append(_compact(obj.value))
            continue
        term, style = _TERM_BY_IRI.get(predicate, (_compact(predicate), "other"))
        if style == "language" and isinstance(obj, Literal) and obj.language:
            languages.setdefault(term, {}).setdefault(obj.language, []).append(obj.value)
        elif style == "iri" and isinstance(obj, NamedNode):
            collected.setdefault(term, []).append(_compact(obj.value))
        elif style == "plain" and isinstance(obj, Literal) and obj.datatype.value == _XSD_STRING:
            collected.setdefault(term, []).append(obj.value)
        elif style in ("plain", "other"):
            collected.setdefault(term, []).append(_value_object(obj))
        elif (
            style == "boolean"
            and isinstance(obj, Literal)
            and obj.datatype.value == f"{XSD_NS}boolean"
            and obj.value in ("true", "false")
        ):
            collected.setdefault(term, []).append(obj.value == "true")
        else:  # a value that does not fit its term: the prefixed name keeps it exact
            collected.setdefault(_compact(predicate), []).append(_value_object(obj))
    if types:
        node["type"] = types[0] if len(types) == 1 else sorted(types)
    for term, by_language in languages.items():
        node[term] = {
            language: texts[0] if len(texts) == 1 else sorted(texts)
            for language, texts in sorted(by_language.items())
        }
    for term, values in collected.items():
        ordered = sorted(values, key=_value_key) if len(values) > 1 else values
        node[term] = ordered[0] if len(ordered) == 1 else ordered
    return {key: node[key] for key in sorted(node, key=lambda k: (k not in ("id", "type"), k))}


def node_objects(triples: Iterable[Triple]) -> list[dict[str, Any]]:
    """One compacted node object per subject (``triples`` grouped by subject), sorted by id."""
    graph: list[dict[str, Any]] = []
    subject: str | None = None
    pairs: list[tuple[str, NamedNode | Literal]] = []
    for triple in triples:
        if not isinstance(triple.subject, NamedNode):
            raise ValueError(f"blank node subject in {triple}: the graph must have none")
        if triple.subject.value != subject:
            if subject is not None:
                graph.append(_node_object(subject, pairs))
            subject, pairs = triple.subject.value, []
        obj = triple.object
        if not isinstance(obj, NamedNode | Literal):
            raise ValueError(f"unsupported object in {triple}")
        pairs.append((triple.predicate.value, obj))
    if subject is not None:
        graph.append(_node_object(subject, pairs))
    graph.sort(key=lambda node: str(node["id"]))
    return graph


def node_json(node: dict[str, Any]) -> str:
    """A node object as the dump writes it (one line, UTF-8 text)."""
    return json.dumps(node, ensure_ascii=False)


def assemble_jsonld(node_texts: Iterable[str], context: str | dict[str, Any]) -> str:
    """The dump from node objects already rendered by ``node_json`` and sorted by id.

    Gives exactly ``render_jsonld(triples, context)`` for the same nodes, so cached node texts of
    unchanged records can be reused.
    """
    ctx: Any = context["@context"] if isinstance(context, dict) else context
    head = json.dumps({"@context": ctx}, ensure_ascii=False)[:-1]
    return f'{head}, "@graph": [{", ".join(node_texts)}]}}\n'


def render_jsonld(
    triples: Iterable[Triple], context: str | dict[str, Any], indent: int | None = None
) -> str:
    """A compacted JSON-LD document of ``triples`` (sorted by subject).

    ``context`` is the URL of the published context, or the context itself to embed it.
    """
    graph = node_objects(triples)
    ctx: Any = context["@context"] if isinstance(context, dict) else context
    document = {"@context": ctx, "@graph": graph}
    return json.dumps(document, ensure_ascii=False, indent=indent, sort_keys=False) + "\n"
