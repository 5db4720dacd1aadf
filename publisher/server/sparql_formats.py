"""The formats of SPARQL answers: results formats for SELECT/ASK, our RDF formats for
CONSTRUCT/DESCRIBE, and how a request names them (media types, ``format=`` values).
"""

from __future__ import annotations

from pyoxigraph import (
    QueryResultsFormat,
    RdfFormat,
)

from publisher.formats import RDF_FORMATS, Format
from publisher.server.sparql_limits import (
    QueryForm,
)

# --- Result formats: SPARQL results for SELECT/ASK, our RDF formats for CONSTRUCT/DESCRIBE ------

SPARQL_JSON = Format(
    "json", "srj", ("application/sparql-results+json", "application/json"), None, is_rdf=False
)
SPARQL_XML = Format(
    "xml", "srx", ("application/sparql-results+xml", "application/xml", "text/xml"), None, False
)
SPARQL_CSV = Format("csv", "csv", ("text/csv",), None, is_rdf=False)
SPARQL_TSV = Format("tsv", "tsv", ("text/tab-separated-values",), None, is_rdf=False)
#: SELECT and ASK answers, the default first.
SOLUTION_FORMATS: tuple[Format, ...] = (SPARQL_JSON, SPARQL_XML, SPARQL_CSV, SPARQL_TSV)
#: CONSTRUCT and DESCRIBE answers, the default (Turtle) first.
GRAPH_FORMATS: tuple[Format, ...] = RDF_FORMATS

RESULTS_FORMATS = {
    "json": QueryResultsFormat.JSON,
    "xml": QueryResultsFormat.XML,
    "csv": QueryResultsFormat.CSV,
    "tsv": QueryResultsFormat.TSV,
}
#: Oxigraph serializers of graph answers. JSON-LD is Oxigraph's (expanded, full IRIs): CONSTRUCT
#: can produce any predicate, so the dumps' fixed context would not fit it.
GRAPH_SERIALIZERS = {
    "turtle": RdfFormat.TURTLE,
    "ntriples": RdfFormat.N_TRIPLES,
    "jsonld": RdfFormat.JSON_LD,
    "rdfxml": RdfFormat.RDF_XML,
}
FORMATS_NS = "http://www.w3.org/ns/formats/"
#: The W3C format IRIs (https://www.w3.org/ns/formats/) the service description lists.
FORMAT_IRIS = {
    "json": f"{FORMATS_NS}SPARQL_Results_JSON",
    "xml": f"{FORMATS_NS}SPARQL_Results_XML",
    "csv": f"{FORMATS_NS}SPARQL_Results_CSV",
    "tsv": f"{FORMATS_NS}SPARQL_Results_TSV",
    "turtle": f"{FORMATS_NS}Turtle",
    "ntriples": f"{FORMATS_NS}N-Triples",
    "jsonld": f"{FORMATS_NS}JSON-LD",
    "rdfxml": f"{FORMATS_NS}RDF_XML",
}


def result_formats(form: QueryForm) -> tuple[Format, ...]:
    """The formats an answer of this query form can take, our default first.

    >>> [f.name for f in result_formats("ASK")], result_formats("DESCRIBE")[0].media_type
    (['json', 'xml', 'csv', 'tsv'], 'text/turtle')
    """
    return GRAPH_FORMATS if form in ("CONSTRUCT", "DESCRIBE") else SOLUTION_FORMATS


def result_format_from_query(form: QueryForm, value: str) -> Format | None:
    """The format a ``?format=`` value names for this query form (name, extension, media type).

    >>> result_format_from_query("SELECT", "CSV").media_type
    'text/csv'
    >>> result_format_from_query("CONSTRUCT", "ttl").name, result_format_from_query("ASK", "ttl")
    ('turtle', None)
    >>> [result_format_from_query("DESCRIBE", v).name for v in ("n3", "json-ld")]
    ['turtle', 'jsonld']
    """
    key = _FORMAT_ALIASES.get(value.strip().lower(), value.strip().lower())
    for fmt in result_formats(form):
        if key in (fmt.name, fmt.extension, *fmt.media_types):
            return fmt
    return None


#: ``format=`` values clients send that are not our format names. SPARQLWrapper adds
#: ``format=json-ld`` and ``format=n3`` to GET requests; Turtle is valid N3, so N3 gets Turtle.
_FORMAT_ALIASES = {"json-ld": "jsonld", "n3": "turtle", "text/n3": "turtle", "rdf+xml": "rdfxml"}


def content_type_of(fmt: Format) -> str:
    """The Content-Type header of an answer in ``fmt`` (``charset`` on the text types).

    >>> content_type_of(SPARQL_CSV), content_type_of(SPARQL_JSON)
    ('text/csv; charset=utf-8', 'application/sparql-results+json')
    """
    return (
        f"{fmt.media_type}; charset=utf-8" if fmt.media_type.startswith("text/") else fmt.media_type
    )
