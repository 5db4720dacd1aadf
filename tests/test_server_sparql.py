"""The SPARQL endpoint end to end: ``python -m publisher serve`` on 127.0.0.1, queried with
SPARQLWrapper and raw HTTP, its limits exercised on a server with small ones, and the W3C SPARQL
1.1 Protocol tests run against a server holding their data (``w3c_protocol.py``).

Expected answers come from rdflib evaluating the same query over the build's ``emigre.nt``: an
engine we did not write, so a wrong answer cannot agree with itself.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import threading
import time
import xml.dom.minidom
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode

import pytest
import requests
import server_fixtures
import w3c_protocol
from pyoxigraph import RdfFormat, parse
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_isomorphic
from rdflib.util import from_n3
from server_fixtures import (
    LIMITED_MAX_ROWS,
    LIMITED_QUERY_TIMEOUT,
    RunningServer,
    start_server,
    stop_server,
)
from SPARQLWrapper import CSV, GET, JSON, JSONLD, N3, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

pytestmark = pytest.mark.slow

# Shared session fixtures (see server_fixtures): one build and one server for every module.
release_dist = server_fixtures.release_dist
server = server_fixtures.server
limited_server = server_fixtures.limited_server

PREFIXES = "PREFIX schema: <http://schema.org/>\nPREFIX emigre: <https://w3id.org/emigre/ns#>\n"
PERSON_IRI = "https://w3id.org/emigre/id/person/ulitskaya"
SELECT_PEOPLE = (
    PREFIXES + "SELECT ?person ?name WHERE { ?person a schema:Person ; schema:name ?name . "
    'FILTER (lang(?name) = "en") } ORDER BY ?person'
)
CONSTRUCT_PEOPLE = (
    PREFIXES + "CONSTRUCT { ?person a schema:Person ; schema:name ?name ; schema:birthDate ?born } "
    "WHERE { ?person a schema:Person ; schema:name ?name . OPTIONAL { ?person schema:birthDate ?born } }"
)
DESCRIBE_PERSON = f"DESCRIBE <{PERSON_IRI}>"
#: Every solution of four independent triple patterns: the dataset's size to the fourth power.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
ASK_ANYTHING = "ASK { ?s ?p ?o }"
INSERTED = "<urn:emigre-test:s> <urn:emigre-test:p> <urn:emigre-test:o>"
UPDATE = f"INSERT DATA {{ {INSERTED} }}"
JSON_RESULTS = "application/sparql-results+json"
#: rdflib's JSON-LD parser (also behind SPARQLWrapper's) builds a deprecated ConjunctiveGraph.
JSONLD_IN_RDFLIB = pytest.mark.filterwarnings(
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"
)


@pytest.fixture(scope="module")
def local_graph(release_dist: Path) -> Graph:
    """The build's ``emigre.nt`` in rdflib: the reference answers."""
    graph = Graph()
    graph.parse(release_dist / "emigre.nt", format="nt")
    return graph


def endpoint(running: RunningServer) -> str:
    """The SPARQL endpoint URL of a server."""
    return running.url("/sparql")


def wrapper(running: RunningServer, query: str, method: str, fmt: str) -> SPARQLWrapper:
    """A SPARQLWrapper for ``query``, as a client would set it up."""
    sparql = SPARQLWrapper(endpoint(running))
    sparql.setQuery(query)
    sparql.setMethod(method)
    sparql.setReturnFormat(fmt)
    sparql.setTimeout(30)
    return sparql


def assert_common_headers(response: requests.Response) -> None:
    """What every response carries, errors included: Vary: Accept and open CORS."""
    assert "accept" in response.headers["Vary"].lower()
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def post_query(running: RunningServer, query: str, accept: str = JSON_RESULTS) -> requests.Response:
    """A form POST of ``query`` (requests)."""
    return requests.post(
        endpoint(running), data={"query": query}, headers={"Accept": accept}, timeout=60
    )


# --- SPARQLWrapper: SELECT in every results format ---------------------------------------------


def _rows_from_json(result: Any) -> list[tuple[str, str]]:
    rows = []
    for binding in result["results"]["bindings"]:
        assert binding["person"]["type"] == "uri"
        assert binding["name"] == {**binding["name"], "type": "literal", "xml:lang": "en"}
        rows.append((binding["person"]["value"], binding["name"]["value"]))
    return rows


def _rows_from_xml(result: Any) -> list[tuple[str, str]]:
    assert isinstance(result, xml.dom.minidom.Document)
    rows = []
    for element in result.getElementsByTagName("result"):
        values = {}
        for binding in element.getElementsByTagName("binding"):
            term = next(n for n in binding.childNodes if n.nodeType == n.ELEMENT_NODE)
            if term.tagName == "literal":
                assert term.getAttribute("xml:lang") == "en"
            values[binding.getAttribute("name")] = "".join(
                node.data for node in term.childNodes if node.nodeType == node.TEXT_NODE
            )
        rows.append((values["person"], values["name"]))
    return rows


def _rows_from_csv(result: Any) -> list[tuple[str, str]]:
    reader = csv.reader(io.StringIO(result.decode("utf-8"), newline=""))
    header = next(reader)
    assert header == ["person", "name"]
    return [(person, name) for person, name in reader]


def _rows_from_tsv(result: Any) -> list[tuple[str, str]]:
    lines = result.decode("utf-8").rstrip("\n").split("\n")
    assert lines[0].split("\t") == ["?person", "?name"]
    rows = []
    for line in lines[1:]:
        person, name = (from_n3(term) for term in line.split("\t"))
        assert isinstance(person, URIRef)
        assert isinstance(name, Literal)
        assert name.language == "en"
        rows.append((str(person), str(name)))
    return rows


SELECT_FORMATS: dict[str, tuple[str, str, Callable[[Any], list[tuple[str, str]]]]] = {
    "json": (JSON, "application/sparql-results+json", _rows_from_json),
    "xml": (XML, "application/sparql-results+xml", _rows_from_xml),
    "csv": (CSV, "text/csv", _rows_from_csv),
    "tsv": (TSV, "text/tab-separated-values", _rows_from_tsv),
}


@pytest.mark.parametrize("method", [GET, POST])
@pytest.mark.parametrize("name", list(SELECT_FORMATS))
def test_select_in_every_results_format(
    server: RunningServer, local_graph: Graph, name: str, method: str
) -> None:
    return_format, media_type, read_rows = SELECT_FORMATS[name]
    result = wrapper(server, SELECT_PEOPLE, method, return_format).query()
    assert result.info()["content-type"].split(";")[0] == media_type
    rows = read_rows(result.convert())
    expected = [(str(row[0]), str(row[1])) for row in local_graph.query(SELECT_PEOPLE)]
    assert rows == expected
    assert len(rows) >= 8
    # The fixture's names carry quotes, angle brackets and Cyrillic: each format kept them.
    assert server_fixtures.XSS_NAME in [row_name for _, row_name in rows]


def test_json_results_use_literal_never_typed_literal(server: RunningServer) -> None:
    query = (
        PREFIXES + f"SELECT ?name ?born ?count WHERE {{ <{PERSON_IRI}> schema:name ?name ; "
        "schema:birthDate ?born . BIND (42 AS ?count) }"
    )
    response = requests.get(
        endpoint(server), params={"query": query}, headers={"Accept": JSON_RESULTS}, timeout=30
    )
    assert response.status_code == 200
    assert "typed-literal" not in response.text
    bindings = response.json()["results"]["bindings"]
    assert bindings
    xsd = "http://www.w3.org/2001/XMLSchema#"
    for binding in bindings:
        assert binding["born"] == {
            "type": "literal",
            "value": "1943-02-21",
            "datatype": f"{xsd}date",
        }
        assert binding["count"] == {"type": "literal", "value": "42", "datatype": f"{xsd}integer"}
        assert binding["name"]["type"] == "literal"
        assert "datatype" not in binding["name"]  # a language-tagged string has only xml:lang
    converted = wrapper(server, query, GET, JSON).query().convert()
    assert converted["results"]["bindings"] == bindings


def test_ask_in_json_and_xml(server: RunningServer) -> None:
    assert wrapper(server, ASK_ANYTHING, GET, JSON).query().convert()["boolean"] is True
    document = wrapper(server, "ASK { <urn:x> ?p ?o }", POST, XML).query().convert()
    assert document.getElementsByTagName("boolean")[0].firstChild.data == "false"


# --- SPARQLWrapper: CONSTRUCT and DESCRIBE in every RDF format ---------------------------------


def _graph_of(converted: Any, rdflib_format: str) -> Graph:
    if isinstance(converted, bytes):
        graph = Graph()
        graph.parse(data=converted, format=rdflib_format)
        return graph
    assert isinstance(converted, Graph), type(converted)
    graph = Graph()
    for triple in converted.triples((None, None, None)):
        graph.add(triple)
    return graph


#: name → (SPARQLWrapper return format, Accept to send instead of its own or None, media type,
#: rdflib format of a raw body). SPARQLWrapper has no N-Triples constant: a client asks for it
#: with its own Accept header (N3 lets SPARQLWrapper hand back the body).
GRAPH_FORMATS: dict[str, tuple[str, str | None, str, str]] = {
    "turtle": (TURTLE, None, "text/turtle", "turtle"),
    "jsonld": (JSONLD, None, "application/ld+json", "json-ld"),
    "ntriples": (N3, "application/n-triples", "application/n-triples", "nt"),
    "rdfxml": (RDFXML, None, "application/rdf+xml", "xml"),
}


def _graph_query(running: RunningServer, query: str, method: str, name: str) -> tuple[str, Graph]:
    return_format, accept, _, rdflib_format = GRAPH_FORMATS[name]
    sparql = wrapper(running, query, method, return_format)
    if accept is not None:
        sparql.setOnlyConneg(True)
        sparql.addCustomHttpHeader("Accept", accept)
    result = sparql.query()
    content_type = result.info()["content-type"].split(";")[0]
    return content_type, _graph_of(result.convert(), rdflib_format)


@JSONLD_IN_RDFLIB
@pytest.mark.parametrize("method", [GET, POST])
@pytest.mark.parametrize("name", list(GRAPH_FORMATS))
def test_construct_in_every_rdf_format(
    server: RunningServer, local_graph: Graph, name: str, method: str
) -> None:
    content_type, graph = _graph_query(server, CONSTRUCT_PEOPLE, method, name)
    assert content_type == GRAPH_FORMATS[name][2]
    expected = Graph()
    for triple in local_graph.query(CONSTRUCT_PEOPLE):
        expected.add(triple)  # type: ignore[arg-type]
    assert len(graph) == len(expected) > 20
    assert to_isomorphic(graph) == to_isomorphic(expected)


@JSONLD_IN_RDFLIB
@pytest.mark.parametrize("method", [GET, POST])
@pytest.mark.parametrize("name", list(GRAPH_FORMATS))
def test_describe_in_every_rdf_format(server: RunningServer, name: str, method: str) -> None:
    content_type, graph = _graph_query(server, DESCRIBE_PERSON, method, name)
    assert content_type == GRAPH_FORMATS[name][2]
    subject = URIRef(PERSON_IRI)
    assert (subject, None, None) in graph
    assert Literal("Lyudmila Ulitskaya", lang="en") in set(graph.objects(subject, None))
    assert not any(isinstance(node, BNode) for triple in graph for node in triple)


@pytest.mark.parametrize("method", [GET, POST])
def test_sparqlwrapper_n3_gets_turtle(server: RunningServer, method: str) -> None:
    # SPARQLWrapper's N3 (older code's way to ask for Turtle) sends format=n3 with GET.
    result = wrapper(server, CONSTRUCT_PEOPLE, method, N3).query()
    assert result.info()["content-type"].split(";")[0] == "text/turtle"
    assert len(_graph_of(result.convert(), "turtle")) > 20


# --- Read-only: updates and SERVICE refused ----------------------------------------------------


def _update_requests(running: RunningServer) -> Iterator[tuple[str, requests.Response]]:
    url, accept = endpoint(running), {"Accept": JSON_RESULTS}
    yield "POST update=", requests.post(url, data={"update": UPDATE}, headers=accept, timeout=30)
    yield (
        "POST application/sparql-update",
        requests.post(
            url,
            data=UPDATE.encode(),
            headers={**accept, "Content-Type": "application/sparql-update"},
            timeout=30,
        ),
    )
    yield (
        "POST query=INSERT",
        requests.post(url, data={"query": UPDATE}, headers=accept, timeout=30),
    )
    yield (
        "POST application/sparql-query INSERT",
        requests.post(
            url,
            data=UPDATE.encode(),
            headers={**accept, "Content-Type": "application/sparql-query"},
            timeout=30,
        ),
    )
    yield (
        "GET query=INSERT",
        requests.get(url, params={"query": UPDATE}, headers=accept, timeout=30),
    )
    yield "GET update=", requests.get(url, params={"update": UPDATE}, headers=accept, timeout=30)
    for update in ("DELETE WHERE { ?s ?p ?o }", "CLEAR ALL", "LOAD <http://example.org/data.ttl>"):
        yield update, requests.post(url, data={"query": update}, headers=accept, timeout=30)
    prefixed = "PREFIX ex: <http://example.org/>\n# SELECT * {}\n" + UPDATE
    yield (
        "prologue then update",
        requests.post(url, data={"query": prefixed}, headers=accept, timeout=30),
    )


def test_updates_are_refused_with_403(server: RunningServer) -> None:
    for label, response in _update_requests(server):
        assert response.status_code == 403, (label, response.text)
        assert_common_headers(response)
        assert response.headers["Content-Type"] == "application/json"
        assert "read-only" in response.json()["message"], label
    ask = requests.get(
        endpoint(server),
        params={"query": f"ASK {{ {INSERTED} }}"},
        headers={"Accept": JSON_RESULTS},
        timeout=30,
    )
    assert ask.json()["boolean"] is False


def test_sparqlwrapper_update_is_refused(server: RunningServer) -> None:
    sparql = wrapper(server, UPDATE, POST, JSON)
    with pytest.raises(HTTPError) as raised:
        sparql.query()
    with raised.value:
        assert raised.value.code == 403


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { ?x <urn:p> ?endpoint . SERVICE ?endpoint { ?s ?p ?o } }",
        "PREFIX wd: <https://query.wikidata.org/>\nASK { SERVICE wd:sparql { ?s ?p ?o } }",
    ],
    ids=["iri", "silent", "variable", "prefixed"],
)
def test_service_is_refused(server: RunningServer, query: str) -> None:
    for response in (
        requests.get(
            endpoint(server), params={"query": query}, headers={"Accept": JSON_RESULTS}, timeout=30
        ),
        post_query(server, query),
    ):
        assert response.status_code == 403, response.text
        assert "SERVICE" in response.json()["message"]


# --- Request size --------------------------------------------------------------------------------


def test_a_20_mb_request_is_refused_quickly(server: RunningServer) -> None:
    body = b"query=" + b"A" * (20 * 1024 * 1024)
    started = time.monotonic()
    response = requests.post(
        endpoint(server),
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": JSON_RESULTS},
        timeout=30,
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 413, response.text[:300]
    assert elapsed < 2.0, elapsed
    assert_common_headers(response)
    assert len(response.content) < 4096


def test_a_large_chunked_request_is_refused(server: RunningServer) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"query=SELECT"
        for _ in range(400):  # 400 × 64 KiB: far beyond the limit, without Content-Length
            yield b" " * 65536

    started = time.monotonic()
    response = requests.post(
        endpoint(server),
        data=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": JSON_RESULTS},
        timeout=30,
    )
    assert response.status_code == 413
    assert time.monotonic() - started < 2.0


def test_a_query_just_over_the_limit_is_refused(server: RunningServer) -> None:
    limit = 64 * 1024
    padding = "#" + "x" * limit + "\n"
    assert post_query(server, padding + "ASK {}").status_code == 413
    assert post_query(server, "#" + "x" * (limit // 2) + "\nASK {}").status_code == 200


# --- Limits: time, rows, concurrency (the server with small limits) ----------------------------


def _service_limits(running: RunningServer) -> dict[str, int | float]:
    description = Graph()
    response = requests.get(endpoint(running), headers={"Accept": "text/turtle"}, timeout=30)
    description.parse(data=response.content, format="turtle")
    service = "https://w3id.org/emigre/ns/service#"
    return {
        name: value.toPython()
        for name in ("maxConcurrentQueries", "maxResultRows", "queryTimeout")
        for value in description.objects(None, URIRef(service + name))
        if isinstance(value, Literal)
    }


def _wait_until_idle(running: RunningServer) -> None:
    """Wait until a simple query is answered (killed workers have been replaced)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if post_query(running, "ASK {}").status_code == 200:
            return
        time.sleep(0.2)
    pytest.fail("the endpoint did not become idle again")


def test_limited_server_announces_its_limits(limited_server: RunningServer) -> None:
    limits = _service_limits(limited_server)
    assert limits["maxResultRows"] == LIMITED_MAX_ROWS
    assert float(limits["queryTimeout"]) == LIMITED_QUERY_TIMEOUT
    response = post_query(limited_server, "ASK {}")
    assert response.headers["X-Emigre-Max-Rows"] == str(LIMITED_MAX_ROWS)
    assert response.headers["X-Emigre-Query-Timeout"] == f"{LIMITED_QUERY_TIMEOUT:g}"


@dataclass
class Runaway:
    """The runaway query's response, how long it took and when it ended."""

    response: requests.Response | None = None
    seconds: float = 0.0
    ended: float = 0.0


def _during_runaway(
    running: RunningServer, action: Callable[[], Any]
) -> tuple[Runaway, Any, float]:
    """Start :data:`RUNAWAY`, run ``action`` while it runs; the runaway's outcome, the action's
    result and when the action ended."""
    _wait_until_idle(running)
    runaway = Runaway()

    def run_away() -> None:
        started = time.monotonic()
        runaway.response = post_query(running, RUNAWAY)
        runaway.ended = time.monotonic()
        runaway.seconds = runaway.ended - started

    thread = threading.Thread(target=run_away)
    thread.start()
    time.sleep(0.3)  # the runaway query is running now
    result = action()
    action_ended = time.monotonic()
    thread.join(timeout=30)
    assert not thread.is_alive()
    _wait_until_idle(running)
    return runaway, result, action_ended


def test_runaway_query_is_stopped_while_documents_are_served(
    limited_server: RunningServer,
) -> None:
    def read_documents() -> tuple[list[int], float]:
        started = time.monotonic()
        statuses = [
            limited_server.fetch("/doc/person/ulitskaya.ttl").status,
            limited_server.fetch("/doc/person/ulitskaya", {"Accept": "text/html"}).status,
            limited_server.fetch("/browse/person").status,
        ]
        return statuses, time.monotonic() - started

    runaway, (statuses, seconds), documents_ended = _during_runaway(limited_server, read_documents)
    assert statuses == [200, 200, 200]
    assert seconds < LIMITED_QUERY_TIMEOUT, seconds  # not queued behind the runaway
    assert documents_ended < runaway.ended, "the documents waited for the runaway query"
    assert runaway.response is not None
    assert runaway.response.status_code == 504, runaway.response.text
    assert "stopped" in runaway.response.json()["message"]
    assert_common_headers(runaway.response)
    assert runaway.seconds < LIMITED_QUERY_TIMEOUT + 3, runaway.seconds


def test_a_simple_query_is_answered_during_a_runaway(limited_server: RunningServer) -> None:
    # The engine has 2 × workers query slots and one worker per CPU (at most 4).
    if int(_service_limits(limited_server)["maxConcurrentQueries"]) < 4:
        pytest.skip("one CPU, one query worker: a second query waits for the first by design")
    runaway, simple, simple_ended = _during_runaway(
        limited_server, lambda: post_query(limited_server, ASK_ANYTHING)
    )
    assert simple.status_code == 200, simple.text
    assert simple.json()["boolean"] is True
    assert simple_ended < runaway.ended, "the simple query waited for the runaway query"
    assert runaway.response is not None and runaway.response.status_code == 504


def test_row_cap_is_an_error_never_a_truncation(limited_server: RunningServer) -> None:
    _wait_until_idle(limited_server)
    over = [
        "SELECT * WHERE { ?s ?p ?o }",
        f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {LIMITED_MAX_ROWS + 1}",
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "DESCRIBE ?s WHERE { ?s a <http://schema.org/Person> }",
    ]
    for query in over:
        for accept in (JSON_RESULTS, "text/csv", "text/turtle", "application/n-triples"):
            response = post_query(limited_server, query, accept)
            if response.status_code == 406:
                continue  # a results format for a graph query or the other way round
            assert response.status_code == 422, (query, accept, response.status_code)
            assert_common_headers(response)
            assert "bindings" not in response.text
            assert str(LIMITED_MAX_ROWS) in response.text
            assert response.headers["X-Emigre-Max-Rows"] == str(LIMITED_MAX_ROWS)
    exact = post_query(limited_server, f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {LIMITED_MAX_ROWS}")
    assert exact.status_code == 200
    assert len(exact.json()["results"]["bindings"]) == LIMITED_MAX_ROWS
    assert exact.headers["X-Emigre-Result-Rows"] == str(LIMITED_MAX_ROWS)
    # The engine's time, so a client can tell it from the network's (W3C Server Timing).
    assert re.fullmatch(r"query;dur=\d+\.\d", exact.headers["Server-Timing"])
    sparql = wrapper(limited_server, "SELECT * WHERE { ?s ?p ?o }", GET, JSON)
    with pytest.raises(HTTPError) as raised:
        sparql.query()
    with raised.value:
        assert raised.value.code == 422


def test_too_many_queries_at_once_get_429_with_retry_after(limited_server: RunningServer) -> None:
    _wait_until_idle(limited_server)
    concurrency = int(_service_limits(limited_server)["maxConcurrentQueries"])
    statuses: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def run_away() -> None:
        response = post_query(limited_server, RUNAWAY)
        assert_common_headers(response)
        with lock:
            statuses.append((response.status_code, response.headers.get("Retry-After")))

    threads = [threading.Thread(target=run_away) for _ in range(concurrency + 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    codes = sorted(code for code, _ in statuses)
    assert len(codes) == len(threads)
    assert 429 in codes, codes
    assert set(codes) <= {429, 504}, codes
    for code, retry_after in statuses:
        if code == 429:
            assert retry_after is not None and retry_after.isdigit(), retry_after
    _wait_until_idle(limited_server)


# --- The W3C SPARQL 1.1 Protocol tests ----------------------------------------------------------

W3C_TESTS = w3c_protocol.load_manifest() if w3c_protocol.SPEC_DIR.is_dir() else []
W3C_PARAMS = [pytest.param(test, id=test.name) for test in W3C_TESTS] or [
    pytest.param(
        None,
        id="w3c-protocol",
        marks=pytest.mark.skip(
            reason=f"the W3C SPARQL 1.1 Protocol tests are not at {w3c_protocol.SPEC_DIR} "
            "(the shared checkout beside the repository; CI has it)"
        ),
    )
]
COUNT_QUADS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


@pytest.fixture(scope="module")
def w3c_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """Our application serving the suite's data in the named graphs its manifest names."""
    root = tmp_path_factory.mktemp("w3c-protocol")
    dist = w3c_protocol.write_dist(root / "dist")
    runner = [sys.executable, str(Path(w3c_protocol.__file__).resolve()), "serve"]
    running = start_server(dist, log_dir=root, command=runner)
    yield running
    stop_server(running)


def test_w3c_manifest_is_read_whole() -> None:
    if not W3C_TESTS:
        pytest.skip(f"no W3C SPARQL 1.1 Protocol tests at {w3c_protocol.SPEC_DIR}")
    kinds = [test.kind for test in W3C_TESTS]
    assert len(W3C_TESTS) == 34
    assert kinds.count("query") == 13 and kinds.count("update") == 7 and kinds.count("bad") == 14
    assert all(request.expected_status for test in W3C_TESTS for request in test.requests)


@pytest.mark.parametrize("test", W3C_PARAMS)
def test_w3c_protocol(w3c_server: RunningServer, test: w3c_protocol.ProtocolTest) -> None:
    url = endpoint(w3c_server)
    quads = _count_quads(url)
    failures = w3c_protocol.run_test(test, url)
    assert not failures, "\n".join(failures)
    if test.kind == "update":
        assert _count_quads(url) == quads, "a refused update changed the data"
    assert w3c_server.process.poll() is None


def _count_quads(url: str) -> int:
    query = urlencode({"query": COUNT_QUADS})
    response = requests.get(f"{url}?{query}", headers={"Accept": JSON_RESULTS}, timeout=30)
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_w3c_data_is_in_named_graphs(w3c_server: RunningServer) -> None:
    if not W3C_TESTS:
        pytest.skip(f"no W3C SPARQL 1.1 Protocol tests at {w3c_protocol.SPEC_DIR}")
    pairs = w3c_protocol.graph_data(W3C_TESTS)
    assert _count_quads(endpoint(w3c_server)) == len(pairs) == 3
    quads = parse(path=str(w3c_server.dist_dir / w3c_protocol.QUADS_FILE), format=RdfFormat.N_QUADS)
    assert {quad.graph_name.value for quad in quads} == {iri for _, iri in pairs}
