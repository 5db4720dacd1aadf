"""A runner for the W3C SPARQL 1.1 Protocol tests (``manifest.ttl`` of rdf-tests' protocol suite).

The manifest describes HTTP exchanges: requests (method, path under ``/sparql/``, headers, body
and its encoding) and the expected response (status class, result format, ASK answer). This module
reads it into plain values (:func:`load_manifest`), writes a build directory holding the test data
(:func:`write_dist`), serves that directory with our application (``serve``), and runs each test
against an endpoint over a real socket (:func:`run_test`).

Our endpoint is read-only, so each ``update_*`` test is run inverted: every update request must be
refused with a 4xx, and the queries that follow it must find that nothing changed (an ASK the
manifest expects true after the update must answer false).

Usage, besides the tests in ``test_server_sparql.py``::

    python tests/w3c_protocol.py serve --dist DIR --port 8890   # DIR written by write_dist
    python tests/w3c_protocol.py run http://127.0.0.1:8890/sparql

The test data are named graphs (``ut:graphData``: a file and the graph IRI it is loaded under).
``emigre serve`` loads only ``emigre.nt``, a single default graph, so ``serve`` starts the real
application (:func:`publisher.server.app.create_app` under uvicorn) and then points its SPARQL
service at ``w3c.nq``, the same data as named graphs, with the same settings.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDFS
from rdflib.term import Node

#: Where the suite lives in the shared checkout (``../shared`` beside the repository).
SPEC_DIR = Path(__file__).resolve().parents[2] / "shared" / "specs" / "w3c-sparql11-protocol"
#: The named-graph version of the test data, which ``serve`` loads into the SPARQL store.
QUADS_FILE = "w3c.nq"
#: The manifest writes every path under this prefix; the endpoint under test replaces it.
MANIFEST_ENDPOINT = "/sparql/"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"

_SPARQL_RESULTS_XML = "{http://www.w3.org/2005/sparql-results#}"
#: Result media types by the manifest's ``mf:expectedFormat``.
RESULT_MEDIA_TYPES = {
    "boolean": {"application/sparql-results+json", "application/sparql-results+xml"},
    "tabular": {
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    },
    "RDF": {"application/rdf+xml", "text/turtle", "application/n-triples"},
}
_RDFLIB_FORMATS = {
    "application/rdf+xml": "xml",
    "text/turtle": "turtle",
    "application/n-triples": "nt",
}


@dataclass(frozen=True)
class ProtocolRequest:
    """One HTTP request of a test and what its response must be."""

    method: str
    #: Path and query string as the manifest writes them (under ``/sparql/``).
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    #: Status classes allowed by the manifest: ``{"2xx", "3xx"}`` or ``{"4xx"}``.
    expected_status: frozenset[str]
    expected_format: str | None = None
    expected_boolean: bool | None = None

    @property
    def is_update(self) -> bool:
        """Whether this request carries a SPARQL Update (a direct body or an ``update=``)."""
        content_type = dict(self.headers).get("content-type", "")
        if content_type.split(";")[0].strip().lower() == "application/sparql-update":
            return True
        params = parse_qsl(urlsplit(self.path).query)
        if self.body is not None:
            with contextlib.suppress(UnicodeDecodeError):
                params += parse_qsl(self.body.decode("utf-8"))
        return any(
            name in ("update", "using-graph-uri", "using-named-graph-uri") for name, _ in params
        )


@dataclass(frozen=True)
class ProtocolTest:
    """A test of the manifest: its local name, title, requests in order and its graph data."""

    name: str
    title: str
    requests: tuple[ProtocolRequest, ...]
    #: ``(data file, graph IRI)`` pairs the test expects in the store.
    graph_data: tuple[tuple[str, str], ...] = ()

    @property
    def kind(self) -> str:
        """``query``, ``update`` or ``bad`` (a request the endpoint must refuse)."""
        return self.name.split("_", 1)[0]


def load_manifest(spec_dir: Path = SPEC_DIR) -> list[ProtocolTest]:
    """The tests of ``spec_dir/manifest.ttl``, in manifest order."""
    graph = Graph()
    manifest_path = spec_dir / "manifest.ttl"
    graph.parse(manifest_path, format="turtle")
    manifest = URIRef(manifest_path.resolve().as_uri())
    entries = graph.value(manifest, MF.entries)
    assert entries is not None, f"{manifest_path}: no mf:entries"
    return [_read_test(graph, entry) for entry in Collection(graph, entries)]


def _read_test(graph: Graph, entry: Node) -> ProtocolTest:
    name = str(entry).rpartition("#")[2]
    action = graph.value(entry, MF.action)
    requests_list = graph.value(action, HT.requests)
    requests = tuple(_read_request(graph, node) for node in Collection(graph, requests_list))
    graph_data = tuple(
        sorted(
            (
                str(graph.value(data, UT.graph)).rpartition("/")[2],
                str(graph.value(data, RDFS.label)),
            )
            for data in graph.objects(entry, UT.graphData)
        )
    )
    return ProtocolTest(name, str(graph.value(entry, MF.name)), requests, graph_data)


def _read_request(graph: Graph, node: Node) -> ProtocolRequest:
    headers: list[tuple[str, str]] = []
    header_list = graph.value(node, HT.headers)
    if header_list is not None:
        for header in Collection(graph, header_list):
            field = str(graph.value(header, HT.fieldName)).lower()
            headers.append((field, str(graph.value(header, HT.fieldValue))))
    body: bytes | None = None
    body_node = graph.value(node, HT.body)
    if body_node is not None:
        encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(body_node, CNT.chars)).encode(encoding.lower())
    response = graph.value(node, HT.resp)
    statuses = frozenset(
        str(status).removeprefix(HTS) for status in graph.objects(response, MF.expectedStatus)
    )
    expected_format = graph.value(response, MF.expectedFormat)
    expected_boolean = graph.value(response, MF.expectedBoolean)
    return ProtocolRequest(
        method=str(graph.value(node, HT.methodName)),
        path=str(graph.value(node, HT.absolutePath)),
        headers=tuple(headers),
        body=body,
        expected_status=statuses,
        expected_format=None if expected_format is None else str(expected_format),
        expected_boolean=None if expected_boolean is None else bool(expected_boolean.toPython()),
    )


def graph_data(tests: Sequence[ProtocolTest]) -> list[tuple[str, str]]:
    """Every ``(data file, graph IRI)`` pair the tests name, each once, sorted."""
    return sorted({pair for test in tests for pair in test.graph_data})


def write_dist(target: Path, spec_dir: Path = SPEC_DIR) -> Path:
    """A build directory with the suite's data: enough for ``create_app`` to serve it.

    ``emigre.nt`` holds the data files concatenated (the catalog and pages read it),
    ``w3c.nq`` the same triples in the named graphs the manifest names (the SPARQL store).
    """
    target.mkdir(parents=True, exist_ok=True)
    pairs = graph_data(load_manifest(spec_dir))
    triples: list[str] = []
    quads: list[str] = []
    for file_name, graph_iri in pairs:
        for line in (spec_dir / file_name).read_text("utf-8").splitlines():
            statement = line.strip()
            if statement and not statement.startswith("#"):
                triples.append(statement)
                quads.append(f"{statement.removesuffix('.').rstrip()} <{graph_iri}> .")
    (target / "emigre.nt").write_text("\n".join(sorted(set(triples))) + "\n", "utf-8")
    (target / QUADS_FILE).write_text("\n".join(quads) + "\n", "utf-8")
    (target / "build.json").write_text(json.dumps({"base_iri": "http://example.org/"}), "utf-8")
    (target / "lifecycle.json").write_text(json.dumps({"renamed": {}, "withdrawn": {}}), "utf-8")
    (target / "stats.json").write_text("{}", "utf-8")
    # Served at /SHA256SUMS: the test fixtures read it back to know they reached this server.
    (target / "SHA256SUMS").write_text(f"# W3C SPARQL 1.1 Protocol test data: {len(quads)} quads\n")
    return target


# --- Running a test ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """A request as sent and the response as received."""

    request: ProtocolRequest
    status: int
    content_type: str
    body: bytes


def endpoint_path(manifest_path: str, endpoint: str) -> str:
    """The manifest's ``/sparql/...`` path rewritten onto ``endpoint``.

    >>> endpoint_path("/sparql/?query=ASK%20%7B%7D", "http://127.0.0.1:8000/sparql")
    '/sparql?query=ASK%20%7B%7D'
    >>> endpoint_path("/sparql/", "http://127.0.0.1:8000/sparql")
    '/sparql'
    """
    assert manifest_path.startswith(MANIFEST_ENDPOINT), manifest_path
    rest = manifest_path[len(MANIFEST_ENDPOINT) :]
    base = urlsplit(endpoint).path.rstrip("/")
    return base + rest if not rest or rest.startswith("?") else f"{base}/{rest}"


def run_test(test: ProtocolTest, endpoint: str) -> list[str]:
    """Run every request of ``test`` in order; the failures (an empty list: the test passed)."""
    failures: list[str] = []
    update_refused = False
    for index, request in enumerate(test.requests, start=1):
        exchange = _send(request, endpoint)
        where = f"request {index} ({request.method} {request.path[:60]})"
        if request.is_update:
            # Read-only endpoint: the update is refused; the test's later queries must see that.
            if exchange.status // 100 != 4:
                failures.append(f"{where}: update answered {exchange.status}, expected a 4xx")
            update_refused = True
            continue
        failures += [f"{where}: {problem}" for problem in check_response(exchange, update_refused)]
    return failures


def _send(request: ProtocolRequest, endpoint: str) -> Exchange:
    parts = urlsplit(endpoint)
    path = endpoint_path(request.path, endpoint)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        connection.request(request.method, path, body=request.body, headers=dict(request.headers))
        response = connection.getresponse()
        body = response.read()
        return Exchange(request, response.status, response.getheader("Content-Type", ""), body)
    finally:
        connection.close()


def check_response(exchange: Exchange, after_refused_update: bool = False) -> list[str]:
    """What is wrong with a response to a query request (an empty list: nothing).

    ``after_refused_update``: an earlier update of the same test was refused, so an ASK the
    manifest expects true (the update's effect) must answer false.
    """
    request = exchange.request
    status_class = f"{exchange.status // 100}xx"
    if status_class not in request.expected_status:
        expected = " or ".join(sorted(request.expected_status))
        return [f"status {exchange.status}, expected {expected}: {exchange.body[:200]!r}"]
    if request.expected_format is None:
        return []
    media_type = exchange.content_type.split(";")[0].strip().lower()
    if media_type not in RESULT_MEDIA_TYPES[request.expected_format]:
        return [f"Content-Type {media_type!r} is not a {request.expected_format} result format"]
    try:
        answer = parse_result(media_type, exchange.body)
    except (ValueError, SyntaxError, KeyError, TypeError) as error:
        return [f"the {media_type} body does not parse: {error}"]
    if request.expected_boolean is not None:
        expected = request.expected_boolean and not after_refused_update
        if answer is not expected:
            return [f"ASK answered {answer}, expected {expected}"]
    return []


def parse_result(media_type: str, body: bytes) -> bool | int:
    """An ASK answer (bool), or the number of rows or triples of any other result."""
    if media_type == "application/sparql-results+json":
        document = json.loads(body)
        if "boolean" in document:
            return bool(document["boolean"])
        assert isinstance(document["head"]["vars"], list)
        return len(document["results"]["bindings"])
    if media_type == "application/sparql-results+xml":
        root = ET.fromstring(body)
        boolean = root.find(f"{_SPARQL_RESULTS_XML}boolean")
        if boolean is not None:
            return (boolean.text or "").strip() == "true"
        results = root.find(f"{_SPARQL_RESULTS_XML}results")
        if results is None:
            raise ValueError("neither <boolean> nor <results>")
        return len(results)
    if media_type in ("text/csv", "text/tab-separated-values"):
        lines = body.decode("utf-8").splitlines()
        if not lines:
            raise ValueError("no header line")
        return len(lines) - 1
    graph = Graph()
    graph.parse(data=body, format=_RDFLIB_FORMATS[media_type])
    return len(graph)


# --- Serving the test data ---------------------------------------------------------------------


def serve(dist_dir: Path, host: str, port: int) -> None:
    """Serve ``dist_dir`` (from :func:`write_dist`) with our application, SPARQL on ``w3c.nq``.

    The application is built as ``emigre serve`` builds it; only its SPARQL service is replaced
    by one over the named graphs, with the same settings.
    """
    import uvicorn

    from publisher.server.app import ServerSettings, create_app
    from publisher.server.sparql import SparqlService

    app = create_app(ServerSettings(dist_dir=dist_dir))
    site = app.state.site
    settings = site.sparql.settings
    site.sparql.close()
    # The lifespan closes ``site.sparql`` at shutdown: it reads the attribute then.
    site.sparql = SparqlService(dist_dir / QUADS_FILE, settings)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def main(argv: Sequence[str] | None = None) -> int:
    """``serve`` the test data, or ``run`` the suite against an endpoint and print a report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve_command = commands.add_parser("serve", help="serve a directory written by write_dist")
    serve_command.add_argument("--dist", type=Path, required=True)
    serve_command.add_argument("--host", default="127.0.0.1")
    serve_command.add_argument("--port", type=int, default=8890)
    write_command = commands.add_parser("write", help="write the test data as a build directory")
    write_command.add_argument("target", type=Path)
    run_command = commands.add_parser("run", help="run every test against an endpoint URL")
    run_command.add_argument("endpoint")
    run_command.add_argument("--spec-dir", type=Path, default=SPEC_DIR)
    options = parser.parse_args(argv)
    if options.command == "serve":
        serve(options.dist, options.host, options.port)
        return 0
    if options.command == "write":
        print(write_dist(options.target))
        return 0
    failed = 0
    for test in load_manifest(options.spec_dir):
        failures = run_test(test, options.endpoint)
        failed += bool(failures)
        print(f"{'FAIL' if failures else 'ok  '} {test.name}")
        for failure in failures:
            print(f"       {failure}")
    print(f"{failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
