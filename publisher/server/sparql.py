"""The SPARQL endpoint's engine: an Oxigraph store answered by a pool of worker processes.

The web layer reads a request with :func:`~publisher.server.sparql_limits.parse_protocol_request`,
admits it with :meth:`SparqlService.admit`, chooses a format among :func:`result_formats`, and
calls :meth:`SparqlService.execute` (or ``execute_async``). Every refusal is a
:class:`~publisher.server.sparql_limits.SparqlError` carrying its HTTP status and headers.

Why processes: an Oxigraph query cannot be cancelled from Python, so each query runs in a worker
process that opens the store read-only; on timeout the worker is killed and replaced, the client
gets 504, and the other workers keep answering. Answers are complete before they are sent: rows
are counted in the worker, and an answer over the row cap is refused (422), never truncated — a
200 is always the whole answer (Virtuoso sends a partial 200, Oxigraph a cut-off 200 body).
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import gzip
import itertools
import json
import os
import platform
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, cast
from typing import Literal as TypingLiteral

from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Store,
    Triple,
    parse_query_results,
    serialize,
)

from publisher.errors import EmigreError
from publisher.formats import RDF_FORMATS, TURTLE, Format
from publisher.namespaces import PREFIXES, RDF_NS, RDFS_NS, XSD_NS
from publisher.server.sparql_limits import (
    RESULT_ROWS_HEADER,
    AdmittedQuery,
    EndpointBusy,
    ProtocolRequest,
    QueryFailed,
    QueryForm,
    QuerySyntaxError,
    QueryTimeout,
    SparqlSettings,
    TooManyRows,
    admit_query,
    limit_headers,
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

_RESULTS_FORMATS = {
    "json": QueryResultsFormat.JSON,
    "xml": QueryResultsFormat.XML,
    "csv": QueryResultsFormat.CSV,
    "tsv": QueryResultsFormat.TSV,
}
#: Oxigraph serializers of graph answers. JSON-LD is Oxigraph's (expanded, full IRIs): CONSTRUCT
#: can produce any predicate, so the dumps' fixed context would not fit it.
_GRAPH_SERIALIZERS = {
    "turtle": RdfFormat.TURTLE,
    "ntriples": RdfFormat.N_TRIPLES,
    "jsonld": RdfFormat.JSON_LD,
    "rdfxml": RdfFormat.RDF_XML,
}
_FORMATS_NS = "http://www.w3.org/ns/formats/"
#: The W3C format IRIs (https://www.w3.org/ns/formats/) the service description lists.
FORMAT_IRIS = {
    "json": f"{_FORMATS_NS}SPARQL_Results_JSON",
    "xml": f"{_FORMATS_NS}SPARQL_Results_XML",
    "csv": f"{_FORMATS_NS}SPARQL_Results_CSV",
    "tsv": f"{_FORMATS_NS}SPARQL_Results_TSV",
    "turtle": f"{_FORMATS_NS}Turtle",
    "ntriples": f"{_FORMATS_NS}N-Triples",
    "jsonld": f"{_FORMATS_NS}JSON-LD",
    "rdfxml": f"{_FORMATS_NS}RDF_XML",
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


# --- What a worker does --------------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    query: str
    format_name: str
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    max_rows: int
    base_iri: str | None


@dataclass(frozen=True)
class _Reply:
    kind: TypingLiteral["ok", "syntax", "too_many", "error"]
    body: bytes = b""
    rows: int | None = None
    message: str = ""


_XSD_STRING = f"{XSD_NS}string"


def _serve(store_path: str, conn: Connection, isolate: bool) -> None:
    """A worker process: lock the network, open the store, answer jobs until EOF.

    ``store_path`` is an on-disk store to open read-only, or ``memory:`` and an RDF file to load
    into an in-memory store (the faster engine; see ``SparqlSettings.memory_store``).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's; it stops us
    isolation = forbid_ip_sockets() if isolate else "off"
    try:
        if store_path.startswith(_MEMORY_PREFIX):
            store = Store()
            _bulk_load(store, Path(store_path.removeprefix(_MEMORY_PREFIX)))
        else:
            store = Store.read_only(store_path)
    except (OSError, ValueError, SyntaxError, EmigreError) as error:
        conn.send(("failed", f"cannot open the store {store_path}: {error}"))
        return
    conn.send(("ready", isolation))
    while True:
        try:
            job = conn.recv()
            conn.send(_evaluate(store, job))
        except (EOFError, OSError):
            return  # the server closed the pipe or died


def _evaluate(store: Store, job: _Job) -> _Reply:
    """Run one query to its complete, serialized answer."""
    default_graph: list[NamedNode | BlankNode | DefaultGraph] | None = None
    named_graphs: list[NamedNode | BlankNode] | None = None
    if job.default_graphs is not None:  # the Protocol's dataset replaces the query's
        default_graph = [NamedNode(g) for g in job.default_graphs]
        named_graphs = [NamedNode(g) for g in job.named_graphs or ()]
    try:
        results = store.query(
            job.query,
            base_iri=job.base_iri,
            default_graph=default_graph,
            named_graphs=named_graphs,
        )
        if isinstance(results, QueryBoolean):
            document: dict[str, object] = {"head": {}, "boolean": bool(results)}
            return _Reply("ok", _solutions_body(document, job.format_name), rows=None)
        rows = list(itertools.islice(results, job.max_rows + 1))
        if len(rows) > job.max_rows:
            return _Reply("too_many", rows=job.max_rows)
        if isinstance(results, QuerySolutions):
            variables = [variable.value for variable in results.variables]
            bindings = [
                {
                    name: _term_json(term)
                    for name, term in zip(variables, row, strict=True)
                    if term is not None
                }
                for row in rows
            ]
            document = {"head": {"vars": variables}, "results": {"bindings": bindings}}
            return _Reply("ok", _solutions_body(document, job.format_name), rows=len(rows))
        triples = sorted(rows, key=str)  # grouped by subject in Turtle, and deterministic
        rdf_format = _GRAPH_SERIALIZERS[job.format_name]
        body = serialize(triples, format=rdf_format, prefixes=PREFIXES)
        return _Reply("ok", body or b"", rows=len(triples))
    except SyntaxError as error:
        return _Reply("syntax", message=str(error))
    except Exception as error:  # a worker must outlive any query's failure
        return _Reply("error", message=f"{type(error).__name__}: {error}")


def _solutions_body(document: Mapping[str, object], format_name: str) -> bytes:
    """SELECT/ASK results in a format: SPARQL JSON written here, the others by Oxigraph from it.

    Writing JSON ourselves keeps the rows countable before anything is serialized, and pins the
    SPARQL 1.1 JSON form: ``"literal"`` with ``"datatype"`` or ``"xml:lang"``, never
    ``"typed-literal"``.
    """
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if format_name == "json":
        return text
    parsed = parse_query_results(text, QueryResultsFormat.JSON)
    return parsed.serialize(format=_RESULTS_FORMATS[format_name]) or b""


def _term_json(term: object) -> dict[str, object]:
    """One RDF term in SPARQL 1.1 Query Results JSON (§3.2.2)."""
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, Literal):
        value: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            value["xml:lang"] = term.language
            if term.direction is not None:
                value["its:dir"] = str(term.direction)
        elif term.datatype.value != _XSD_STRING:
            value["datatype"] = term.datatype.value
        return value
    if isinstance(term, Triple):
        parts = {"subject": term.subject, "predicate": term.predicate, "object": term.object}
        return {"type": "triple", "value": {k: _term_json(v) for k, v in parts.items()}}
    raise TypeError(f"not an RDF term: {term!r}")


# --- The network lock of workers ---------------------------------------------------------------


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint32),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


#: machine → (AUDIT_ARCH_*, number of the socket syscall).
_SECCOMP_ARCHES = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}
_AF_INET, _AF_INET6, _EACCES = 2, 10, 13
_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2
_CLONE_NEWUSER, _CLONE_NEWNET = 0x10000000, 0x40000000


def forbid_ip_sockets() -> str:
    """Make this process unable to open IP sockets; say how (or why not).

    Oxigraph evaluates ``SERVICE`` by calling the named host. The endpoint refuses such queries
    before they run; this is the second lock, for the worker processes: a seccomp filter that
    fails ``socket(AF_INET|AF_INET6, ...)`` with EACCES (unprivileged, Linux 3.5+), else a new
    network namespace with no interface up. Local pipes to the server keep working.
    """
    if sys.platform != "linux":
        return f"none ({sys.platform} has no seccomp)"
    libc = ctypes.CDLL(None, use_errno=True)
    arch = _SECCOMP_ARCHES.get(platform.machine())
    if arch is not None:
        audit_arch, socket_nr = arch
        allow, deny = 0x7FFF0000, 0x00050000 | _EACCES
        load, jump_eq, ret = 0x20, 0x15, 0x06
        program = (_SockFilter * 9)(
            _SockFilter(load, 0, 0, 4),  # arch
            _SockFilter(jump_eq, 0, 5, audit_arch),
            _SockFilter(load, 0, 0, 0),  # syscall number
            _SockFilter(jump_eq, 0, 3, socket_nr),
            _SockFilter(load, 0, 0, 16),  # first argument: the address family
            _SockFilter(jump_eq, 2, 0, _AF_INET),
            _SockFilter(jump_eq, 1, 0, _AF_INET6),
            _SockFilter(ret, 0, 0, allow),
            _SockFilter(ret, 0, 0, deny),
        )
        fprog = _SockFprog(len(program), program)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 and (
            libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) == 0
        ):
            return "seccomp"
    namespaces = (
        (_CLONE_NEWNET, "network namespace"),
        (_CLONE_NEWUSER | _CLONE_NEWNET, "user and network namespace"),
    )
    for flags, name in namespaces:
        if libc.unshare(flags) == 0:
            return name
    return "none (seccomp and unshare refused)"


# --- The worker pool -------------------------------------------------------------------------

_STARTUP_TIMEOUT = 60.0


class _Worker:
    """One worker process and the server's end of the socket pair to it.

    Started as ``python -c`` rather than with multiprocessing's spawn, which re-imports the
    server's ``__main__`` in the child (a script without a main guard would start workers
    recursively).
    """

    def __init__(self, store_path: str, isolate: bool) -> None:
        ours, theirs = socket.socketpair()
        # The child imports what the server imports, from the same places.
        path = os.pathsep.join(entry or os.getcwd() for entry in sys.path)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _WORKER_CODE, str(theirs.fileno()), store_path,
                 "isolate" if isolate else "open"],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": path},
            )  # fmt: skip
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.conn = Connection(ours.detach())
        self.isolation: str | None = None

    def wait_ready(self) -> None:
        """Wait for the child to open the store (once)."""
        if self.isolation is not None:
            return
        if not self.conn.poll(_STARTUP_TIMEOUT):
            raise QueryFailed(f"a query process did not start within {_STARTUP_TIMEOUT:g} s")
        try:
            kind, detail = self.conn.recv()
        except (EOFError, OSError) as error:
            raise QueryFailed("a query process ended while starting") from error
        if kind != "ready":
            raise QueryFailed(detail)
        self.isolation = detail

    def stop(self) -> None:
        """Kill the process (SIGKILL: a running Oxigraph query does not stop otherwise)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.conn.close()


_WORKER_CODE = "import publisher.server.sparql as s; s.worker_main()"


def worker_main() -> None:
    """Entry point of a worker process: ``argv`` is the socket fd, store path and isolation."""
    fd, store_path, isolation = sys.argv[1:4]
    _serve(store_path, Connection(int(fd)), isolation == "isolate")


class _WorkerPool:
    """Worker processes, each serving one query at a time; a timed-out worker is replaced."""

    def __init__(self, store_path: str, size: int, isolate: bool, retry_after: int) -> None:
        self._store_path = store_path
        self._isolate = isolate
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._closed = False
        self._workers: set[_Worker] = set()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        for _ in range(size):
            self._idle.put(self._spawn())
        started = list(self._workers)
        try:
            for worker in started:
                worker.wait_ready()
        except BaseException:
            self.close()
            raise
        self.isolation = started[0].isolation or "unknown"

    def _spawn(self) -> _Worker:
        worker = _Worker(self._store_path, self._isolate)
        with self._lock:
            self._workers.add(worker)
        return worker

    def run(self, job: _Job, timeout: float) -> _Reply:
        """The worker's reply, or QueryTimeout/QueryFailed/EndpointBusy."""
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise EndpointBusy(
                f"no query process became free within {timeout:g} s: retry in {self.retry_after} s",
                headers={"Retry-After": str(self.retry_after)},
            ) from None
        healthy = False
        try:
            worker.wait_ready()
            try:
                worker.conn.send(job)
            except OSError as error:
                raise QueryFailed(
                    "the query process had ended (it has been replaced): retry the query"
                ) from error
            if not worker.conn.poll(timeout):
                raise QueryTimeout(
                    f"the query was stopped after {timeout:g} s, this endpoint's time limit "
                    "(see the service description). Nothing was returned: narrow the query, "
                    "or download a dump and query it locally."
                )
            try:
                reply: _Reply = worker.conn.recv()
            except (EOFError, OSError) as error:
                raise QueryFailed(
                    "the query process ended before answering (out of memory?)"
                ) from error
            healthy = True
            return reply
        finally:
            if not healthy:
                self._retire(worker)
                worker = self._spawn() if not self._closed else worker
            if not self._closed:
                self._idle.put(worker)

    def _retire(self, worker: _Worker) -> None:
        with self._lock:
            self._workers.discard(worker)
        worker.stop()

    def close(self) -> None:
        """Kill every worker (running queries end with QueryFailed)."""
        with self._lock:
            self._closed = True
            workers = list(self._workers)
            self._workers.clear()
        for worker in workers:
            worker.stop()


# --- The service -----------------------------------------------------------------------------


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


@dataclass(frozen=True)
class QueryResult:
    """A complete answer: its body, format and size."""

    body: bytes
    format: Format
    form: QueryForm
    #: Solutions (SELECT) or triples (CONSTRUCT, DESCRIBE); None for ASK.
    rows: int | None
    seconds: float

    @property
    def content_type(self) -> str:
        """The Content-Type header."""
        return content_type_of(self.format)

    @property
    def headers(self) -> dict[str, str]:
        """Headers of this answer besides Content-Type (the limits are in ``limit_headers``).

        ``Server-Timing`` (W3C) gives the time the query took in its worker, so a client can
        tell the engine's time from the network's.
        """
        headers = {"Server-Timing": f"query;dur={self.seconds * 1000:.1f}"}
        if self.rows is not None:
            headers[RESULT_ROWS_HEADER] = str(self.rows)
        return headers


class SparqlService:
    """A read-only SPARQL engine over one dump or store, with the limits of ``settings``.

    ``source`` is an RDF file (``.nt``, ``.nq``, ``.ttl``, ``.trig``, ``.rdf``, ``.jsonld``, each
    optionally ``.gz``), loaded once into an on-disk store in a temporary directory, or the
    directory of an existing Oxigraph store, used in place. Call :meth:`close` (or use ``with``)
    to stop the workers and remove the temporary store.
    """

    def __init__(self, source: Path, settings: SparqlSettings | None = None) -> None:
        self.settings = settings or SparqlSettings()
        self._tempdir: str | None = None
        if source.is_dir():
            store_path = str(source)
            self.statistics = _statistics(Store.read_only(store_path))
        else:
            self._tempdir = tempfile.mkdtemp(prefix="emigre-sparql-")
            store_path = str(Path(self._tempdir) / "store")
            try:
                self.statistics = _load(source, store_path)
            except BaseException:
                shutil.rmtree(self._tempdir, ignore_errors=True)
                raise
        gc.collect()  # the loading store must be closed before workers open it read-only
        #: Named graphs a query may name in FROM / FROM NAMED / the dataset parameters.
        self.known_graphs = frozenset(self.statistics.named_graphs)
        self._lock = threading.Lock()
        self._in_flight = 0
        self._executor = ThreadPoolExecutor(
            max_workers=self.settings.concurrency, thread_name_prefix="emigre-sparql"
        )
        if self.settings.memory_store and not source.is_dir():
            store_path = f"{_MEMORY_PREFIX}{source.resolve()}"
        try:
            self._pool = _WorkerPool(
                store_path,
                self.settings.worker_count,
                self.settings.isolate_workers,
                self.settings.retry_after,
            )
        except BaseException:
            self._executor.shutdown(wait=False)
            if self._tempdir:
                shutil.rmtree(self._tempdir, ignore_errors=True)
            raise
        self._finalizer = weakref.finalize(
            self, _shut_down, self._pool, self._executor, self._tempdir
        )

    @property
    def isolation(self) -> str:
        """How workers are kept off the network: ``seccomp``, a namespace, ``off`` or ``none``."""
        return self._pool.isolation

    @property
    def in_flight(self) -> int:
        """Queries running or waiting for a worker now."""
        return self._in_flight

    def limit_headers(self) -> dict[str, str]:
        """Headers announcing the limits; send them with every response of the endpoint."""
        return limit_headers(self.settings)

    def admit(self, request: ProtocolRequest, *, base_iri: str | None = None) -> AdmittedQuery:
        """Check a query before it runs (413, 400, 403); see :func:`admit_query`.

        ``base_iri``: the endpoint's URL, against which relative IRIs in the query resolve.
        """
        return admit_query(
            request.query,
            self.known_graphs,
            default_graph_uris=request.default_graph_uris,
            named_graph_uris=request.named_graph_uris,
            base_iri=base_iri,
            settings=self.settings,
        )

    def execute(self, query: AdmittedQuery, fmt: Format) -> QueryResult:
        """Run an admitted query to its complete answer in ``fmt`` (blocks the calling thread).

        Raises :class:`EndpointBusy` (429) at once when ``concurrency`` queries are in flight,
        :class:`QueryTimeout` (504), :class:`TooManyRows` (422), :class:`QuerySyntaxError`
        (400) and :class:`QueryFailed` (500).
        """
        self._enter()
        return self._execute_and_leave(query, fmt)

    async def execute_async(self, query: AdmittedQuery, fmt: Format) -> QueryResult:
        """:meth:`execute` for an event loop: busy is decided at once, the wait is in a thread."""
        self._enter()
        try:
            future = asyncio.get_running_loop().run_in_executor(
                self._executor, self._execute_and_leave, query, fmt
            )
        except BaseException:
            self._leave()
            raise
        return await future

    def run(
        self,
        text: str,
        fmt: Format | None = None,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
    ) -> QueryResult:
        """Admit and execute a query text, in ``fmt`` or the form's default format."""
        admitted = self.admit(
            ProtocolRequest(text, tuple(default_graph_uris), tuple(named_graph_uris))
        )
        return self.execute(admitted, fmt or result_formats(admitted.form)[0])

    def _enter(self) -> None:
        with self._lock:
            if self._in_flight >= self.settings.concurrency:
                raise EndpointBusy(
                    f"{self._in_flight} queries are already running or waiting, this endpoint's "
                    f"limit: retry in {self.settings.retry_after} s",
                    headers={"Retry-After": str(self.settings.retry_after)},
                )
            self._in_flight += 1

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _execute_and_leave(self, query: AdmittedQuery, fmt: Format) -> QueryResult:
        try:
            return self._execute(query, fmt)
        finally:
            self._leave()

    def _execute(self, query: AdmittedQuery, fmt: Format) -> QueryResult:
        if fmt not in result_formats(query.form):
            raise ValueError(f"{fmt.name} is not a format of {query.form} answers")
        job = _Job(
            query.text,
            fmt.name,
            query.default_graphs,
            query.named_graphs,
            self.settings.max_rows,
            query.base_iri,
        )
        started = time.monotonic()
        reply = self._pool.run(job, self.settings.query_timeout)
        seconds = time.monotonic() - started
        if reply.kind == "syntax":
            raise QuerySyntaxError(reply.message)
        if reply.kind == "too_many":
            limit = self.settings.max_rows
            raise TooManyRows(
                f"the answer has more than {limit} rows, this endpoint's limit (header "
                f"X-Emigre-Max-Rows and the service description). Nothing was truncated: add "
                f"LIMIT/OFFSET to page through it, or download a dump."
            )
        if reply.kind == "error":
            raise QueryFailed(f"the query failed: {reply.message}")
        return QueryResult(reply.body, fmt, query.form, reply.rows, seconds)

    def service_description(
        self, endpoint: str, fmt: Format = TURTLE, *, dataset: str | None = None
    ) -> bytes:
        """The SPARQL Service Description of this endpoint at ``endpoint``, in an RDF format.

        ``dataset``, when given, is the VoID dataset IRI the description points to.
        """
        return describe_service(endpoint, self.settings, self.statistics, fmt, dataset=dataset)

    def close(self) -> None:
        """Stop the workers and delete the temporary store."""
        self._finalizer()

    def __enter__(self) -> SparqlService:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _shut_down(pool: _WorkerPool, executor: ThreadPoolExecutor, tempdir: str | None) -> None:
    pool.close()
    executor.shutdown(wait=False, cancel_futures=True)
    if tempdir:
        shutil.rmtree(tempdir, ignore_errors=True)


_MEMORY_PREFIX = "memory:"


def _bulk_load(store: Store, source: Path) -> None:
    """Load an RDF file (optionally gzipped) into ``store``."""
    name = source.name.removesuffix(".gz")
    rdf_format = RdfFormat.from_extension(name.rpartition(".")[2])
    if rdf_format is None:
        raise EmigreError(f"{source}: unknown RDF format (expected .nt, .nq, .ttl, .trig, ...)")
    try:
        if source.name.endswith(".gz"):
            with gzip.open(source, "rb") as stream:
                store.bulk_load(cast(IO[bytes], stream), rdf_format)
        else:
            store.bulk_load(path=str(source), format=rdf_format)
    except (SyntaxError, OSError, ValueError) as error:
        raise EmigreError(f"{source}: cannot load: {error}") from error


def _load(source: Path, store_path: str) -> DatasetStatistics:
    """Bulk-load an RDF file into a new on-disk store; its statistics."""
    store = Store(store_path)
    _bulk_load(store, source)
    store.flush()
    statistics = _statistics(store)
    del store
    return statistics


def _statistics(store: Store) -> DatasetStatistics:
    default = store.query(
        "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", default_graph=DefaultGraph(), named_graphs=[]
    )
    named = store.query("SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    assert isinstance(default, QuerySolutions) and isinstance(named, QuerySolutions)
    counts = {
        row["g"].value: int(row["n"].value) for row in named if isinstance(row["g"], NamedNode)
    }
    return DatasetStatistics(int(next(iter(default))["n"].value), dict(sorted(counts.items())))


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
    rdf_format = _GRAPH_SERIALIZERS[fmt.name]
    prefixes = {
        "sd": SD,
        "void": VOID,
        "svc": SERVICE_NS,
        "formats": _FORMATS_NS,
        "rdf": RDF_NS,
        "rdfs": RDFS_NS,
        "xsd": XSD_NS,
    }
    return serialize(sorted(triples, key=str), format=rdf_format, prefixes=prefixes) or b""
