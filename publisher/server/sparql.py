"""The SPARQL endpoint's engine: an Oxigraph store answered by a pool of worker processes.

The web layer reads a request with :func:`~publisher.server.sparql_limits.parse_protocol_request`,
admits it with :meth:`SparqlService.admit`, chooses a format among :func:`result_formats`, and
calls :meth:`SparqlService.execute` (or ``execute_async``). Every refusal is a
:class:`~publisher.server.sparql_limits.SparqlError` carrying its HTTP status and headers.

Queries run in worker processes (:mod:`publisher.server.sparql_worker`), so a runaway query can be
killed. Answers are complete before they are sent: rows are counted in the worker, and an answer
over the row cap is refused (422), never truncated — a 200 is always the whole answer (Virtuoso
sends a partial 200, Oxigraph a cut-off 200 body).
"""

from __future__ import annotations

import asyncio
import gc
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import (
    DefaultGraph,
    NamedNode,
    QuerySolutions,
    Store,
)

from publisher.formats import TURTLE, Format
from publisher.server.sparql_description import DatasetStatistics, describe_service
from publisher.server.sparql_formats import (
    GRAPH_FORMATS,
    SOLUTION_FORMATS,
    SPARQL_CSV,
    SPARQL_JSON,
    SPARQL_TSV,
    SPARQL_XML,
    content_type_of,
    result_format_from_query,
    result_formats,
)
from publisher.server.sparql_limits import (
    RESULT_ROWS_HEADER,
    AdmittedQuery,
    EndpointBusy,
    ProtocolRequest,
    QueryFailed,
    QueryForm,
    QuerySyntaxError,
    SparqlSettings,
    TooManyRows,
    admit_query,
    limit_headers,
)
from publisher.server.sparql_worker import MEMORY_PREFIX, Job, WorkerPool, bulk_load

__all__ = [
    "GRAPH_FORMATS",
    "SOLUTION_FORMATS",
    "SPARQL_CSV",
    "SPARQL_JSON",
    "SPARQL_TSV",
    "SPARQL_XML",
    "DatasetStatistics",
    "content_type_of",
    "describe_service",
    "result_format_from_query",
    "result_formats",
]

# --- The service -----------------------------------------------------------------------------


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
            store_path = f"{MEMORY_PREFIX}{source.resolve()}"
        try:
            self._pool = WorkerPool(
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
        job = Job(
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


def _shut_down(pool: WorkerPool, executor: ThreadPoolExecutor, tempdir: str | None) -> None:
    pool.close()
    executor.shutdown(wait=False, cancel_futures=True)
    if tempdir:
        shutil.rmtree(tempdir, ignore_errors=True)


def _load(source: Path, store_path: str) -> DatasetStatistics:
    """Bulk-load an RDF file into a new on-disk store; its statistics."""
    store = Store(store_path)
    bulk_load(store, source)
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
