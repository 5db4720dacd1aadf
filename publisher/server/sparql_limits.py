"""What the SPARQL endpoint admits, decided before a query runs: pure functions, no sockets.

- :class:`SparqlSettings`: the limits (time, rows, request size, concurrency), one table.
- :func:`parse_protocol_request`: the SPARQL 1.1 Protocol (§2.1) — which request carries which
  query, and which requests are refused (updates, wrong media types, two queries, non-UTF-8).
- :func:`admit_query`: size, then what :func:`~publisher.server.sparql_lexer.inspect_operation`
  finds. The endpoint never fetches anything a query names: ``SERVICE`` and updates are refused
  (403), graphs that are not in the store are refused (400) instead of being looked up elsewhere.

The refusals are the classes of :mod:`publisher.server.sparql_errors`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, Collection, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl

from publisher.server.sparql_errors import (
    EndpointBusy,
    FederationRefused,
    MethodNotAllowed,
    ProtocolError,
    QueryFailed,
    QuerySyntaxError,
    QueryTimeout,
    RequestTooLarge,
    SparqlError,
    TooManyRows,
    UnknownGraph,
    UnsupportedMediaType,
    UpdateRefused,
)
from publisher.server.sparql_lexer import QUERY_FORMS, UPDATE_KEYWORDS, QueryForm, inspect_operation

__all__ = [
    "QUERY_FORMS",
    "UPDATE_KEYWORDS",
    "EndpointBusy",
    "FederationRefused",
    "MethodNotAllowed",
    "ProtocolError",
    "QueryFailed",
    "QueryForm",
    "QuerySyntaxError",
    "QueryTimeout",
    "RequestTooLarge",
    "SparqlError",
    "TooManyRows",
    "UnknownGraph",
    "UnsupportedMediaType",
    "UpdateRefused",
    "inspect_operation",
]

#: Response header announcing the row cap on every SPARQL response.
MAX_ROWS_HEADER = "X-Emigre-Max-Rows"
#: Response header announcing the time limit (seconds) on every SPARQL response.
TIMEOUT_HEADER = "X-Emigre-Query-Timeout"
#: Response header with the number of rows (solutions or triples) of a successful answer.
RESULT_ROWS_HEADER = "X-Emigre-Result-Rows"


@dataclass(frozen=True)
class SparqlSettings:
    """The endpoint's limits. Every value is announced in the service description."""

    #: Seconds a query may run (from the moment a worker receives it to its serialized answer).
    query_timeout: float = 10.0
    #: Result rows (SELECT solutions, CONSTRUCT/DESCRIBE triples) an answer may have. A query
    #: with more is refused with 422, never truncated.
    max_rows: int = 10_000
    #: Largest request body or query text, in bytes; larger requests get 413.
    max_request_bytes: int = 64 * 1024
    #: Worker processes running queries (0: the number of CPUs, at most 4).
    workers: int = 0
    #: Queries running or waiting for a worker at once (0: twice the workers); more get 429.
    max_concurrent_queries: int = 0
    #: Seconds a client is told to wait (``Retry-After``) when the endpoint is busy.
    retry_after: int = 2
    #: Refuse ``FROM``/``FROM NAMED`` naming a graph that is not in the store (else: empty graph).
    refuse_unknown_from: bool = True
    #: Refuse ``default-graph-uri``/``named-graph-uri`` naming a graph not in the store (else:
    #: empty graph). The W3C protocol tests name an absent ``data0.rdf`` and expect 2xx.
    refuse_unknown_dataset_params: bool = True
    #: Forbid IP sockets in worker processes (seccomp, else a network namespace): a second lock
    #: behind the refusal of SERVICE.
    isolate_workers: bool = True
    #: Each worker loads the dump into an in-memory store (about 5x faster queries than the
    #: on-disk store opened read-only, measured at 3.4 M triples; costs the dump's size in memory
    #: per worker and its load time at start and after a timeout). Off: share the on-disk store.
    memory_store: bool = True

    @property
    def worker_count(self) -> int:
        """The number of worker processes."""
        return self.workers if self.workers > 0 else max(1, min(4, os.cpu_count() or 1))

    @property
    def concurrency(self) -> int:
        """Queries admitted at once (running or waiting)."""
        if self.max_concurrent_queries > 0:
            return self.max_concurrent_queries
        return 2 * self.worker_count


def limit_headers(settings: SparqlSettings) -> dict[str, str]:
    """Headers announcing the limits, for every response of the endpoint (errors included).

    >>> limit_headers(SparqlSettings())
    {'X-Emigre-Max-Rows': '10000', 'X-Emigre-Query-Timeout': '10'}
    """
    return {
        MAX_ROWS_HEADER: str(settings.max_rows),
        TIMEOUT_HEADER: f"{settings.query_timeout:g}",
    }


# --- Request size -----------------------------------------------------------------------------


def check_content_length(value: str | None, limit: int) -> None:
    """Refuse a body whose declared ``Content-Length`` exceeds ``limit``, before reading it.

    >>> check_content_length("100", 1000)
    >>> try:
    ...     check_content_length("20000000", 65536)
    ... except RequestTooLarge as error:
    ...     print(error.status, error)
    413 request body of 20000000 bytes is larger than the 65536 bytes this endpoint accepts
    """
    if value is None:
        return
    if not value.strip().isdigit():
        raise ProtocolError(f"Content-Length {value!r} is not a number of bytes")
    length = int(value)
    if length > limit:
        raise RequestTooLarge(
            f"request body of {length} bytes is larger than the {limit} bytes this endpoint accepts"
        )


async def read_limited_body(chunks: AsyncIterable[bytes], limit: int) -> bytes:
    """The body from a stream of chunks, stopping with 413 as soon as it exceeds ``limit``.

    For bodies without ``Content-Length`` (chunked): nothing past ``limit`` is buffered.
    """
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise RequestTooLarge(
                f"request body is larger than the {limit} bytes this endpoint accepts"
            )
        parts.append(chunk)
    return b"".join(parts)


# --- The SPARQL 1.1 Protocol ------------------------------------------------------------------


@dataclass(frozen=True)
class ProtocolRequest:
    """A query operation as the Protocol carries it (SPARQL 1.1 Protocol §2.1)."""

    query: str
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()


_FORM = "application/x-www-form-urlencoded"
_QUERY_BODY = "application/sparql-query"
_UPDATE_BODY = "application/sparql-update"
_READ_ONLY = (
    "this endpoint is read-only: SPARQL Update is refused. Download a dump and load it into "
    "your own store to change the data."
)


def parse_protocol_request(
    method: str,
    content_type: str | None,
    url_params: Sequence[tuple[str, str]],
    body: bytes,
    *,
    max_request_bytes: int = SparqlSettings.max_request_bytes,
) -> ProtocolRequest | None:
    """The query a request carries, None for a request without one (GET ``/sparql`` bare).

    ``url_params`` are the URL's query parameters in order, repeated names repeated. Raises
    :class:`MethodNotAllowed` (405), :class:`UnsupportedMediaType` (415), :class:`RequestTooLarge`
    (413), :class:`UpdateRefused` (403) for ``update=`` and ``application/sparql-update``, and
    :class:`ProtocolError` (400) for two queries, a missing query in a POST, or bad UTF-8.

    >>> parse_protocol_request("GET", None, [("query", "ASK {}")], b"")
    ProtocolRequest(query='ASK {}', default_graph_uris=(), named_graph_uris=())
    >>> parse_protocol_request("POST", "application/sparql-query", [], b"ASK {}").query
    'ASK {}'
    >>> parse_protocol_request("GET", None, [], b"") is None
    True
    """
    verb = method.upper()
    if verb not in ("GET", "HEAD", "POST"):
        raise MethodNotAllowed(
            f"{verb} is not a SPARQL Protocol operation: send queries with GET or POST",
            headers={"Allow": "GET, HEAD, POST"},
        )
    if len(body) > max_request_bytes:
        raise RequestTooLarge(
            f"request body of {len(body)} bytes is larger than the {max_request_bytes} bytes "
            "this endpoint accepts"
        )
    params = list(url_params)
    direct_query: str | None = None
    if verb == "POST":
        media_type, charset = _media_type(content_type)
        if media_type == _UPDATE_BODY:
            raise UpdateRefused(_READ_ONLY)
        if media_type not in (_FORM, _QUERY_BODY):
            shown = "no Content-Type" if media_type is None else f"Content-Type {media_type}"
            raise UnsupportedMediaType(
                f"a POST with {shown} is not a SPARQL query: send the query as {_QUERY_BODY} "
                f"or as the query= field of an {_FORM} form"
            )
        if charset not in (None, "utf-8", "utf8"):
            raise UnsupportedMediaType(f"the request body must be UTF-8, not {charset}")
        text = _utf8(body)
        if media_type == _FORM:
            params.extend(parse_qsl(text, keep_blank_values=True))
        else:
            direct_query = text
    if any(name == "update" for name, _ in params):
        raise UpdateRefused(_READ_ONLY)
    queries = [value for name, value in params if name == "query"]
    if direct_query is not None:
        queries.append(direct_query)
    if len(queries) > 1:
        raise ProtocolError("the request carries more than one query: send exactly one")
    if not queries:
        if verb == "POST":
            raise ProtocolError("the request carries no query: send one in query=")
        return None
    query = queries[0]
    if len(query.encode("utf-8")) > max_request_bytes:
        raise RequestTooLarge(
            f"the query is larger than the {max_request_bytes} bytes this endpoint accepts"
        )
    return ProtocolRequest(
        query=query,
        default_graph_uris=tuple(v for n, v in params if n == "default-graph-uri"),
        named_graph_uris=tuple(v for n, v in params if n == "named-graph-uri"),
    )


def _media_type(content_type: str | None) -> tuple[str | None, str | None]:
    """``(media type, charset)`` of a Content-Type, both in lower case.

    >>> _media_type('Application/SPARQL-Query; charset="UTF-16"')
    ('application/sparql-query', 'utf-16')
    """
    if not content_type or not content_type.strip():
        return None, None
    essence, *parameters = content_type.split(";")
    charset = None
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return essence.strip().lower(), charset


def _utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolError(
            f"the request body is not UTF-8 (byte {error.start}): SPARQL requests must be UTF-8"
        ) from error


# --- Admission --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdmittedQuery:
    """A query that may run: its text, form and the dataset the Protocol asked for."""

    text: str
    form: QueryForm
    #: None: the dataset of the query's FROM clauses, else the store's. A tuple (the Protocol's
    #: ``default-graph-uri``/``named-graph-uri``): exactly these graphs, the others empty.
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    #: The IRI relative IRIs of the query resolve against (the endpoint's URL), if any.
    base_iri: str | None = None


def admit_query(
    text: str,
    known_graphs: Collection[str],
    *,
    default_graph_uris: Sequence[str] = (),
    named_graph_uris: Sequence[str] = (),
    base_iri: str | None = None,
    settings: SparqlSettings = SparqlSettings(),
) -> AdmittedQuery:
    """Decide whether a query may run; raise the :class:`SparqlError` that refuses it.

    In order: size (413), syntax the lexer sees (400), updates and LOAD (403), SERVICE (403),
    graphs outside ``known_graphs`` in FROM/FROM NAMED or the dataset parameters (400).
    ``base_iri`` (the endpoint's URL) resolves relative IRIs such as ``<s>``.

    >>> admit_query("SELECT * { ?s ?p ?o }", set()).form
    'SELECT'
    >>> try:
    ...     admit_query("INSERT DATA { <a> <b> <c> }", set())
    ... except UpdateRefused as error:
    ...     print(error.status, error.message[:42])
    403 INSERT refused: this endpoint is read-only
    """
    if len(text.encode("utf-8")) > settings.max_request_bytes:
        raise RequestTooLarge(
            f"the query is larger than the {settings.max_request_bytes} bytes this endpoint accepts"
        )
    inspection = inspect_operation(text, base_iri)
    if inspection.kind == "update":
        if inspection.loads:
            raise UpdateRefused(
                f"LOAD <{inspection.loads[0]}> refused: this endpoint never fetches documents "
                "and is read-only."
            )
        raise UpdateRefused(f"{inspection.update_operations[0]} refused: {_READ_ONLY}")
    if inspection.services:
        target = inspection.services[0]
        shown = target if target.startswith(("?", "$")) else f"<{target}>"
        raise FederationRefused(
            f"SERVICE {shown} refused: this endpoint never calls other services, so federated "
            "queries cannot run here. Run the query on your own SPARQL engine with our dump "
            "loaded (see examples/queries/federated-wikidata.rq)."
        )
    assert inspection.form is not None
    if settings.refuse_unknown_from:
        _refuse_unknown("FROM", inspection.from_graphs, known_graphs)
        _refuse_unknown("FROM NAMED", inspection.from_named_graphs, known_graphs)
    if settings.refuse_unknown_dataset_params:
        _refuse_unknown("default-graph-uri", default_graph_uris, known_graphs)
        _refuse_unknown("named-graph-uri", named_graph_uris, known_graphs)
    protocol_dataset = bool(default_graph_uris or named_graph_uris)
    return AdmittedQuery(
        text=text,
        form=inspection.form,
        default_graphs=tuple(default_graph_uris) if protocol_dataset else None,
        named_graphs=tuple(named_graph_uris) if protocol_dataset else None,
        base_iri=base_iri,
    )


def _refuse_unknown(where: str, graphs: Sequence[str], known: Collection[str]) -> None:
    for graph in graphs:
        if graph not in known:
            listed = ", ".join(f"<{g}>" for g in sorted(known)[:5]) or "none"
            raise UnknownGraph(
                f"{where} <{graph}> is not a graph of this dataset, and this endpoint never "
                "fetches graphs from elsewhere. All data is in the default graph; named graphs: "
                f"{listed}."
            )
