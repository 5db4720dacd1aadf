"""The SPARQL endpoint's worker processes: each holds the store and runs one query at a time.

Why processes: an Oxigraph query cannot be cancelled from Python, so each query runs in a worker
process; on timeout the worker is killed and replaced, the client gets 504, and the other workers
keep answering. A worker counts the rows and serializes the complete answer before replying, so an
answer over the row cap is refused, never truncated. Workers cannot open IP sockets (seccomp, else
a network namespace): a second lock behind the refusal of ``SERVICE``.
"""

from __future__ import annotations

import ctypes
import gzip
import itertools
import json
import os
import platform
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
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
from publisher.namespaces import PREFIXES, XSD_NS
from publisher.server.sparql_formats import GRAPH_SERIALIZERS, RESULTS_FORMATS
from publisher.server.sparql_limits import (
    EndpointBusy,
    QueryFailed,
    QueryTimeout,
)

MEMORY_PREFIX = "memory:"


def bulk_load(store: Store, source: Path) -> None:
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


# --- What a worker does --------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
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
        if store_path.startswith(MEMORY_PREFIX):
            store = Store()
            bulk_load(store, Path(store_path.removeprefix(MEMORY_PREFIX)))
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


def _evaluate(store: Store, job: Job) -> _Reply:
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
        rdf_format = GRAPH_SERIALIZERS[job.format_name]
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
    return parsed.serialize(format=RESULTS_FORMATS[format_name]) or b""


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


_WORKER_CODE = "import publisher.server.sparql_worker as w; w.worker_main()"


def worker_main() -> None:
    """Entry point of a worker process: ``argv`` is the socket fd, store path and isolation."""
    fd, store_path, isolation = sys.argv[1:4]
    _serve(store_path, Connection(int(fd)), isolation == "isolate")


class WorkerPool:
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

    def run(self, job: Job, timeout: float) -> _Reply:
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
