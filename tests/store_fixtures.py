"""Real triple stores for the push tests, started on 127.0.0.1 and always stopped.

- :class:`OxigraphServer`: ``oxigraph serve`` (PyPI ``oxigraph``), in memory or on disk; it can
  be killed (SIGKILL) and started again on the same directory.
- :class:`VirtuosoServer`: Debian's ``virtuoso-t`` with its own ``virtuoso.ini`` (the packaged
  one with both ports moved to free ports on 127.0.0.1 and the database in a temporary
  directory), as in ``../shared/notes/components.md`` §1.3. A new database has ``dba``/``dba``.
- :class:`FaultProxy`: a small HTTP proxy in front of a real store that injects faults the
  stores themselves cannot be made to produce on demand: a 503 for the first PUTs, a body cut
  to its first half (a store that "drops triples"), a required ``Authorization`` header. It
  records every request it sees.

Helpers read a graph back as a set of triples (parsed by pyoxigraph) and count with SPARQL.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph
import requests

#: How long a store may take to start.
STARTUP_SECONDS = 60.0
VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")


def free_port() -> int:
    """A TCP port nothing listens on now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stop(process: subprocess.Popen[bytes] | None, kill: bool = False) -> None:
    if process is None or process.poll() is not None:
        return
    if kill:
        process.kill()
    else:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=15)


def _wait_until(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    _stop(process, kill=True)
    raise RuntimeError(f"store did not start ({url}):\n{log.read_text('utf-8', 'replace')}")


@dataclass
class OxigraphServer:
    """``oxigraph serve`` on 127.0.0.1; ``location`` None keeps the data in memory."""

    location: Path | None
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> OxigraphServer:
        binary = shutil.which("oxigraph")
        assert binary, "oxigraph is not installed (pip install oxigraph; .ci/install does)"
        command = [binary, "serve", "--bind", f"127.0.0.1:{self.port}"]
        if self.location is not None:
            command += ["--location", str(self.location)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
            )
        _wait_until(f"{self.base}/query?query=ASK%7B%7D", self.process, self.log_path)
        return self

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as a crash or the OOM killer would do it."""
        _stop(self.process, kill=True)

    def stop(self) -> None:
        _stop(self.process)


@dataclass
class VirtuosoServer:
    """Debian's Virtuoso on free 127.0.0.1 ports, its database in ``directory``."""

    directory: Path
    http_port: int = field(default_factory=free_port)
    sql_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self) -> VirtuosoServer:
        binary = shutil.which("virtuoso-t")
        assert binary and VIRTUOSO_INI.exists(), "virtuoso-opensource is not installed"
        self.directory.mkdir(parents=True, exist_ok=True)
        ini = VIRTUOSO_INI.read_text("utf-8")
        ini = ini.replace("/var/lib/virtuoso-opensource-7/db/", f"{self.directory}/")
        ini = re.sub(
            r"(?m)^ServerPort\s*=\s*1111\b.*$", f"ServerPort = 127.0.0.1:{self.sql_port}", ini
        )
        ini = re.sub(
            r"(?m)^ServerPort\s*=\s*8890\b.*$", f"ServerPort = 127.0.0.1:{self.http_port}", ini
        )
        ini = re.sub(
            r"(?m)^DirsAllowed\s*=.*$", "DirsAllowed = ., /usr/share/virtuoso-opensource-7/vad", ini
        )
        assert f"127.0.0.1:{self.http_port}" in ini and f"127.0.0.1:{self.sql_port}" in ini
        (self.directory / "virtuoso.ini").write_text(ini, "utf-8")
        log = self.directory / "out.log"
        with log.open("ab") as out:
            # -f: foreground, so the process is virtuoso-t itself and stopping it is ours.
            self.process = subprocess.Popen(
                [binary, "-f", "-c", str(self.directory / "virtuoso.ini")],
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        _wait_until(f"{self.base}/sparql?query=ASK%7B%7D", self.process, log)
        return self

    def stop(self) -> None:
        _stop(self.process)


# --- Reading a store back -----------------------------------------------------------------------


def graph_triples(gsp_url: str, graph: str, auth: requests.auth.AuthBase | None = None) -> set[str]:
    """The triples of ``graph`` as canonical N-Triples lines (GSP GET, parsed by pyoxigraph)."""
    response = requests.get(
        gsp_url,
        params={"graph": graph},
        headers={"Accept": "application/n-triples"},
        auth=auth,
        timeout=60,
    )
    if response.status_code == 404:
        return set()
    response.raise_for_status()
    return _canonical(response.content)


def dump_triples(dist: Path) -> set[str]:
    """The triples of a build's ``emigre.nt``, as :func:`graph_triples` gives them."""
    return _canonical((dist / "emigre.nt").read_bytes())


def _canonical(data: bytes) -> set[str]:
    return {str(t) for t in pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.N_TRIPLES)}


def sparql_count(query_url: str, graph: str) -> int:
    """``COUNT(*)`` of ``graph`` with a plain SPARQL query (independent of the push code)."""
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    response = requests.post(
        query_url,
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    response.raise_for_status()
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def named_graphs(query_url: str, prefix: str) -> set[str]:
    """The named graphs holding triples whose IRI starts with ``prefix``."""
    query = (
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
        f'FILTER(STRSTARTS(STR(?g), "{prefix}")) }}'
    )
    response = requests.post(
        query_url,
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    response.raise_for_status()
    return {row["g"]["value"] for row in response.json()["results"]["bindings"]}


# --- A fault-injecting proxy --------------------------------------------------------------------


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class FaultProxy:
    """An HTTP proxy on 127.0.0.1 in front of ``upstream`` (``http://127.0.0.1:PORT``)."""

    def __init__(self, upstream: str) -> None:
        match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)", upstream)
        assert match, upstream
        self.upstream_port = int(match.group(1))
        #: Answer this many PUTs with 503 (after reading their body).
        self.failing_puts = 0
        #: Forward only the first half of the lines of every PUT body.
        self.truncate_puts = False
        #: Refuse (401) a request without exactly this Authorization header.
        self.required_authorization: str | None = None
        self.seen: list[SeenRequest] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def puts(self) -> list[SeenRequest]:
        return [request for request in self.seen if request.method == "PUT"]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._forward()

            do_HEAD = do_POST = do_PUT = do_DELETE = do_GET

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {name: value for name, value in self.headers.items()}
                with proxy._lock:
                    proxy.seen.append(SeenRequest(self.command, self.path, headers, body))
                    failing = self.command == "PUT" and proxy.failing_puts > 0
                    if failing:
                        proxy.failing_puts -= 1
                required = proxy.required_authorization
                if required is not None and headers.get("Authorization") != required:
                    self._answer(401, b"no", {"WWW-Authenticate": 'Bearer realm="test"'})
                    return
                if failing:
                    self._answer(503, b"Service Unavailable (injected)", {"Retry-After": "0"})
                    return
                if self.command == "PUT" and proxy.truncate_puts:
                    lines = body.splitlines(keepends=True)
                    body = b"".join(lines[: len(lines) // 2])
                upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=120)
                try:
                    skip = {"host", "content-length", "connection", "keep-alive"}
                    forwarded = {k: v for k, v in headers.items() if k.lower() not in skip}
                    forwarded["Content-Length"] = str(len(body))
                    upstream.request(self.command, self.path, body=body, headers=forwarded)
                    response = upstream.getresponse()
                    data = response.read()
                    drop = {"transfer-encoding", "connection", "content-length", "keep-alive"}
                    kept = {k: v for k, v in response.getheaders() if k.lower() not in drop}
                    self._answer(response.status, data, kept)
                finally:
                    upstream.close()

            def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

        return Handler
