"""The SPARQL 1.1 Service Description of the endpoint: what it supports, its limits and dataset."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pyoxigraph import (
    Literal,
    NamedNode,
    Triple,
    serialize,
)

from publisher.formats import TURTLE, Format
from publisher.namespaces import RDF_NS, RDFS_NS, XSD_NS
from publisher.server.sparql_formats import FORMAT_IRIS, FORMATS_NS, GRAPH_SERIALIZERS
from publisher.server.sparql_limits import (
    SparqlSettings,
)


@dataclass(frozen=True)
class DatasetStatistics:
    """Triple counts of the store, for the service description."""

    default_graph_triples: int
    #: Named graph IRI → its triple count.
    named_graphs: Mapping[str, int] = field(default_factory=dict)

    @property
    def triples(self) -> int:
        """All triples (quads) of the store."""
        return self.default_graph_triples + sum(self.named_graphs.values())


# --- The service description ----------------------------------------------------------------

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
#: Our small vocabulary for the endpoint's limits. Not in ontology/emigre.ttl, which describes
#: the data; the terms are defined in every service description (see ``_SERVICE_TERMS``).
SERVICE_NS = "https://w3id.org/emigre/ns/service#"

#: term → (range, English comment).
_SERVICE_TERMS: dict[str, tuple[str, str]] = {
    "maxResultRows": (
        f"{XSD_NS}integer",
        "Most rows (SELECT solutions, CONSTRUCT or DESCRIBE triples) an answer may have. A "
        "query with more is refused with HTTP 422, never truncated. Also sent in the "
        "X-Emigre-Max-Rows header of every response.",
    ),
    "queryTimeout": (
        f"{XSD_NS}decimal",
        "Seconds a query may run. A query still running then is stopped and answered with "
        "HTTP 504, never with a partial result. Also sent in the X-Emigre-Query-Timeout header.",
    ),
    "maxRequestBytes": (
        f"{XSD_NS}integer",
        "Largest request body or query text, in bytes; larger requests get HTTP 413.",
    ),
    "maxConcurrentQueries": (
        f"{XSD_NS}integer",
        "Queries running or waiting at once; beyond that the endpoint answers HTTP 429 with "
        "Retry-After.",
    ),
    "callsOtherServices": (
        f"{XSD_NS}boolean",
        "Whether the endpoint evaluates SERVICE (federated query). False: a query naming "
        "SERVICE is refused with HTTP 403, and LOAD and unknown FROM graphs are never fetched.",
    ),
    "readOnly": (f"{XSD_NS}boolean", "Whether SPARQL Update is refused (HTTP 403)."),
}


def describe_service(
    endpoint: str,
    settings: SparqlSettings,
    statistics: DatasetStatistics,
    fmt: Format = TURTLE,
    *,
    dataset: str | None = None,
) -> bytes:
    """A SPARQL 1.1 Service Description, including our limits as ``svc:`` triples.

    Nodes are IRIs under ``endpoint#`` (no blank nodes).
    """
    service = NamedNode(f"{endpoint}#service")
    dataset_node = NamedNode(f"{endpoint}#dataset")
    default_graph = NamedNode(f"{endpoint}#default-graph")
    a, label, comment = (
        NamedNode(f"{RDF_NS}type"),
        NamedNode(f"{RDFS_NS}label"),
        NamedNode(f"{RDFS_NS}comment"),
    )

    def sd(local: str) -> NamedNode:
        return NamedNode(f"{SD}{local}")

    def svc(local: str) -> NamedNode:
        return NamedNode(f"{SERVICE_NS}{local}")

    def typed(value: object, datatype: str) -> Literal:
        text = str(value).lower() if isinstance(value, bool) else str(value)
        return Literal(text, datatype=NamedNode(datatype))

    def english(text: str) -> Literal:
        return Literal(text, language="en")

    triples = [
        Triple(service, a, sd("Service")),
        Triple(service, sd("endpoint"), NamedNode(endpoint)),
        Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        Triple(service, sd("defaultDataset"), dataset_node),
        Triple(service, label, english("Émigré SPARQL endpoint")),
        Triple(
            service,
            comment,
            english(
                "Read-only SPARQL 1.1 Query endpoint over the Émigré dataset. It never calls "
                "other services: SERVICE, LOAD and graphs outside this dataset are refused."
            ),
        ),
        *(Triple(service, sd("resultFormat"), NamedNode(iri)) for iri in FORMAT_IRIS.values()),
        Triple(service, svc("maxResultRows"), typed(settings.max_rows, f"{XSD_NS}integer")),
        Triple(
            service, svc("queryTimeout"), typed(f"{settings.query_timeout:.3f}", f"{XSD_NS}decimal")
        ),
        Triple(
            service, svc("maxRequestBytes"), typed(settings.max_request_bytes, f"{XSD_NS}integer")
        ),
        Triple(
            service, svc("maxConcurrentQueries"), typed(settings.concurrency, f"{XSD_NS}integer")
        ),
        Triple(service, svc("callsOtherServices"), typed(False, f"{XSD_NS}boolean")),
        Triple(service, svc("readOnly"), typed(True, f"{XSD_NS}boolean")),
        Triple(dataset_node, a, sd("Dataset")),
        Triple(dataset_node, sd("defaultGraph"), default_graph),
        Triple(
            dataset_node, NamedNode(f"{VOID}triples"), typed(statistics.triples, f"{XSD_NS}integer")
        ),
        Triple(default_graph, a, sd("Graph")),
        Triple(
            default_graph,
            NamedNode(f"{VOID}triples"),
            typed(statistics.default_graph_triples, f"{XSD_NS}integer"),
        ),
    ]
    if dataset is not None:
        triples.append(Triple(dataset_node, NamedNode(f"{RDFS_NS}seeAlso"), NamedNode(dataset)))
    for number, (name, count) in enumerate(statistics.named_graphs.items(), start=1):
        named = NamedNode(f"{endpoint}#named-graph-{number}")
        graph = NamedNode(f"{endpoint}#graph-{number}")
        triples += [
            Triple(dataset_node, sd("namedGraph"), named),
            Triple(named, a, sd("NamedGraph")),
            Triple(named, sd("name"), NamedNode(name)),
            Triple(named, sd("graph"), graph),
            Triple(graph, a, sd("Graph")),
            Triple(graph, NamedNode(f"{VOID}triples"), typed(count, f"{XSD_NS}integer")),
        ]
    for term, (range_, text) in _SERVICE_TERMS.items():
        node = svc(term)
        triples += [
            Triple(node, a, NamedNode(f"{RDF_NS}Property")),
            Triple(node, NamedNode(f"{RDFS_NS}domain"), sd("Service")),
            Triple(node, NamedNode(f"{RDFS_NS}range"), NamedNode(range_)),
            Triple(node, comment, english(text)),
            Triple(node, NamedNode(f"{RDFS_NS}isDefinedBy"), NamedNode(SERVICE_NS.rstrip("#"))),
        ]
    rdf_format = GRAPH_SERIALIZERS[fmt.name]
    prefixes = {
        "sd": SD,
        "void": VOID,
        "svc": SERVICE_NS,
        "formats": FORMATS_NS,
        "rdf": RDF_NS,
        "rdfs": RDFS_NS,
        "xsd": XSD_NS,
    }
    return serialize(sorted(triples, key=str), format=rdf_format, prefixes=prefixes) or b""
