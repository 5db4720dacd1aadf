"""The SPARQL engine without a web server: admission, limits, formats, examples, the W3C cases.

``publisher.server.sparql_limits`` (pure) and ``publisher.server.sparql`` (worker processes over
an Oxigraph store loaded from a real build of ``data/``).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pyoxigraph
import pytest

from publisher.build import build_release
from publisher.config import BuildSettings
from publisher.server.sparql import (
    GRAPH_FORMATS,
    SOLUTION_FORMATS,
    SPARQL_CSV,
    SPARQL_JSON,
    SPARQL_TSV,
    SPARQL_XML,
    SparqlService,
    result_format_from_query,
    result_formats,
)
from publisher.server.sparql_description import SERVICE_NS
from publisher.server.sparql_limits import (
    MAX_ROWS_HEADER,
    TIMEOUT_HEADER,
    AdmittedQuery,
    EndpointBusy,
    FederationRefused,
    MethodNotAllowed,
    ProtocolError,
    ProtocolRequest,
    QueryFailed,
    QuerySyntaxError,
    QueryTimeout,
    RequestTooLarge,
    SparqlError,
    SparqlSettings,
    TooManyRows,
    UnknownGraph,
    UnsupportedMediaType,
    UpdateRefused,
    admit_query,
    check_content_length,
    inspect_operation,
    parse_protocol_request,
    read_limited_body,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "queries").glob("*.rq"))
#: Every result row of every triple, four times over: never finishes.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SIMPLE = "ASK { ?s a <http://schema.org/Person> }"
XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture(scope="module")
def real_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``emigre.nt`` of a build of the real ``data/`` (the examples must work on it)."""
    out_dir = tmp_path_factory.mktemp("sparql-build") / "dist"
    build_release(BuildSettings(out_dir=out_dir, cache_dir=None, workers=1))
    return out_dir / "emigre.nt"


@pytest.fixture(scope="module")
def service(real_dump: Path) -> Iterator[SparqlService]:
    """Two workers, a 1 s time limit and a 1000-row cap over the real data."""
    settings = SparqlSettings(query_timeout=1.0, max_rows=1000, workers=2)
    with SparqlService(real_dump, settings) as engine:
        yield engine


# --- Inspection: what a query is and what it names ---------------------------------------------

INSPECTIONS: list[tuple[str, str, dict[str, object]]] = [
    ("plain select", "SELECT * WHERE { ?s ?p ?o }", {"form": "SELECT"}),
    ("lower-case ask", "ask {}", {"form": "ASK"}),
    ("construct", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", {"form": "CONSTRUCT"}),
    ("describe", "DESCRIBE <https://w3id.org/emigre/id/wave/2022>", {"form": "DESCRIBE"}),
    (
        "prologue",
        "BASE <http://e/> PREFIX ex: <x#> PREFIX : <y/> SELECT * { :a ex:b ?c }",
        {"form": "SELECT"},
    ),
    ("SERVICE in a comment", "# SERVICE <http://evil/>\nSELECT * { ?s ?p ?o }", {"services": ()}),
    ("SERVICE after a comment", "SELECT * { ?s ?p ?o } # SERVICE <x> {}", {"services": ()}),
    ("SERVICE in a string", 'SELECT * { ?s ?p "SERVICE <http://evil/> {}" }', {"services": ()}),
    ("SERVICE in a long string", "SELECT * { ?s ?p '''a\nSERVICE <x> {}''' }", {"services": ()}),
    ("SERVICE in an IRI", "SELECT * { ?s <http://x/SERVICE> ?o }", {"services": ()}),
    (
        "service as a prefix",
        "PREFIX service: <http://x/> ASK { ?s service:p ?o }",
        {"services": ()},
    ),
    ("service as a local name", "PREFIX x: <http://x/> ASK { ?s x:SERVICE ?o }", {"services": ()}),
    ("service as a variable", "SELECT ?service { ?service ?p ?o }", {"services": ()}),
    (
        "a # inside an IRI",
        "ASK { ?s <http://x/#a> ?o . SERVICE <http://q/> {} }",
        {"services": ("http://q/",)},
    ),
    (
        "SERVICE",
        "SELECT * { SERVICE <https://q.example/sparql> { ?s ?p ?o } }",
        {"services": ("https://q.example/sparql",)},
    ),
    (
        "SERVICE SILENT, mixed case",
        "SELECT * { SeRvIcE SiLeNt <http://q/> {} }",
        {"services": ("http://q/",)},
    ),
    (
        "SERVICE by prefixed name",
        "PREFIX q: <http://q/> ASK { SERVICE q:s {} }",
        {"services": ("http://q/s",)},
    ),
    (
        "SERVICE by variable",
        "SELECT * { VALUES ?e { <http://q/> } SERVICE ?e {} }",
        {"services": ("?e",)},
    ),
    (
        "SERVICE after a 1<2 filter",
        "ASK{FILTER(1<2)SERVICE?x#>\n{?s ?p ?o}}",
        {"services": ("?x",)},
    ),
    (
        "SERVICE after a quote in a select expression",
        "SELECT * { { SELECT ?v (?a<'x>' AS ?z) WHERE { SERVICE <http://q/> {} } } }",
        {"services": ("http://q/",)},
    ),
    (
        "SERVICE after a quote in GROUP BY",
        "SELECT * { { SELECT ?a WHERE {?a ?p ?o} GROUP BY ?a (?a<'x>' AS ?c) } SERVICE <http://q/> {} FILTER(?o != '') }",
        {"services": ("http://q/",)},
    ),
    ("less-than, no spaces", "ASK { ?s ?p ?o FILTER(?o<?b&&?c>?d) }", {"services": ()}),
    ("FROM", "SELECT * FROM <http://g/1> { ?s ?p ?o }", {"from_graphs": ("http://g/1",)}),
    (
        "FROM NAMED",
        "SELECT * FROM NAMED <http://g/2> { ?s ?p ?o }",
        {"from_named_graphs": ("http://g/2",)},
    ),
    ("FROM with BASE", "BASE <http://g/> ASK FROM <3> {}", {"from_graphs": ("http://g/3",)}),
    (
        "FROM with two BASEs",
        "BASE <http://g/> BASE <a/> ASK FROM <3> {}",
        {"from_graphs": ("http://g/a/3",)},
    ),
    (
        "FROM by prefixed name",
        "PREFIX g: <http://g/> ASK FROM g:4 {}",
        {"from_graphs": ("http://g/4",)},
    ),
    ("FROM with an escape", "ASK FROM <http://g/\\u0035> {}", {"from_graphs": ("http://g/5",)}),
    ("FROM in a string", "ASK { FILTER('FROM <http://g/>' = '') }", {"from_graphs": ()}),
    (
        "insert data",
        "INSERT DATA { <a> <b> <c> }",
        {"kind": "update", "update_operations": ("INSERT",)},
    ),
    ("prefixed delete", "PREFIX e: <http://e/> DELETE WHERE { ?s e:p ?o }", {"kind": "update"}),
    (
        "load",
        "LOAD SILENT <http://x/g.ttl> INTO GRAPH <http://g/>",
        {"kind": "update", "loads": ("http://x/g.ttl",)},
    ),
    ("clear", "CLEAR ALL", {"kind": "update", "update_operations": ("CLEAR",)}),
    ("with", "WITH <http://g/> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", {"kind": "update"}),
    ("query then update", "ASK {} ; DROP ALL", {"kind": "update"}),
]


@pytest.mark.parametrize(
    ("text", "expected"), [(t, e) for _, t, e in INSPECTIONS], ids=[n for n, _, _ in INSPECTIONS]
)
def test_inspection(text: str, expected: dict[str, object]) -> None:
    inspection = inspect_operation(text)
    expected = {"kind": "query", **expected}
    assert {key: getattr(inspection, key) for key in expected} == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("# only a comment", "empty"),
        ("SELECT * { ?s ?p 'unclosed }", "string is not closed"),
        ("SELECT * { ?s ?p ?o ", "missing '}'"),
        ("SELECT * { ?s ?p ?o ) }", "unexpected ')'"),
        ("SELECT * { \\u0053ERVICE <http://q/> {} }", "\\u escape is allowed only in strings"),
        ("HELLO { }", "expected SELECT, CONSTRUCT, ASK or DESCRIBE"),
        ("ASK FROM x:g {}", "prefix 'x:' is not declared"),
    ],
)
def test_inspection_refuses_what_is_not_sparql(text: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        inspect_operation(text)
    assert message in str(raised.value)
    assert raised.value.status == 400


@pytest.mark.parametrize(
    ("text", "options", "error", "status", "message"),
    [
        (
            "INSERT DATA { <a> <b> <c> }",
            {},
            UpdateRefused,
            403,
            "INSERT refused: this endpoint is read-only",
        ),
        ("LOAD <http://x/g.ttl>", {}, UpdateRefused, 403, "LOAD <http://x/g.ttl> refused"),
        (
            "SELECT * { SERVICE <https://query.wikidata.org/sparql> {} }",
            {},
            FederationRefused,
            403,
            "SERVICE <https://query.wikidata.org/sparql> refused",
        ),
        (
            "SELECT * FROM <http://other.example/g> { ?s ?p ?o }",
            {},
            UnknownGraph,
            400,
            "FROM <http://other.example/g> is not a graph",
        ),
        (
            "SELECT * FROM NAMED <http://other/g> { ?s ?p ?o }",
            {},
            UnknownGraph,
            400,
            "FROM NAMED <http://other/g>",
        ),
        (
            "ASK {}",
            {"default_graph_uris": ["http://other/g"]},
            UnknownGraph,
            400,
            "default-graph-uri <http://other/g>",
        ),
        (
            "ASK {}",
            {"named_graph_uris": ["http://other/g"]},
            UnknownGraph,
            400,
            "named-graph-uri <http://other/g>",
        ),
        (
            "ASK { FILTER('" + "x" * 70_000 + "' = '') }",
            {},
            RequestTooLarge,
            413,
            "larger than the 65536 bytes",
        ),
    ],
)
def test_admission_refusals(
    text: str, options: dict[str, list[str]], error: type[SparqlError], status: int, message: str
) -> None:
    with pytest.raises(error) as raised:
        admit_query(text, {"http://known/g"}, **options)  # type: ignore[arg-type]
    assert raised.value.status == status
    assert message in raised.value.message


def test_admission_of_known_graphs_and_the_lenient_settings() -> None:
    known = {"http://known/g"}
    admitted = admit_query(
        "ASK FROM <http://known/g> {}", known, default_graph_uris=["http://known/g"]
    )
    assert (admitted.form, admitted.default_graphs, admitted.named_graphs) == (
        "ASK",
        ("http://known/g",),
        (),
    )
    assert admit_query("ASK {}", known).default_graphs is None
    lenient = SparqlSettings(refuse_unknown_from=False, refuse_unknown_dataset_params=False)
    admitted = admit_query(
        "ASK FROM <http://x/> {}", known, named_graph_uris=["http://y/"], settings=lenient
    )
    assert admitted.named_graphs == ("http://y/",)


# --- The Protocol: which request carries which query --------------------------------------------

FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("method", "content_type", "params", "body", "expected"),
    [
        (
            "GET",
            None,
            [("query", "ASK {}"), ("default-graph-uri", "http://g/1")],
            b"",
            ProtocolRequest("ASK {}", ("http://g/1",)),
        ),
        ("HEAD", None, [("query", "ASK {}")], b"", ProtocolRequest("ASK {}")),
        ("GET", None, [], b"", None),
        (
            "POST",
            FORM,
            [("named-graph-uri", "http://g/2")],
            b"query=ASK%20%7B%7D",
            ProtocolRequest("ASK {}", (), ("http://g/2",)),
        ),
        (
            "POST",
            "application/sparql-query",
            [],
            "ASK { 'é' }".encode(),
            ProtocolRequest("ASK { 'é' }"),
        ),
        (
            "POST",
            "application/sparql-query; charset=UTF-8",
            [],
            b"ASK {}",
            ProtocolRequest("ASK {}"),
        ),
        ("PUT", None, [("query", "ASK {}")], b"", MethodNotAllowed),
        ("GET", None, [("query", "ASK {}"), ("query", "SELECT * {}")], b"", ProtocolError),
        ("POST", FORM, [("query", "ASK {}")], b"query=ASK%20%7B%7D", ProtocolError),
        ("POST", FORM, [], b"", ProtocolError),
        ("POST", "text/plain", [], b"ASK {}", UnsupportedMediaType),
        ("POST", None, [], b"query=ASK%20%7B%7D", UnsupportedMediaType),
        (
            "POST",
            "application/sparql-query; charset=UTF-16",
            [],
            "ASK {}".encode("utf-16"),
            UnsupportedMediaType,
        ),
        ("POST", "application/sparql-query", [], "ASK {}".encode("utf-16"), ProtocolError),
        ("GET", None, [("update", "CLEAR ALL")], b"", UpdateRefused),
        ("POST", FORM, [], b"update=CLEAR%20NAMED", UpdateRefused),
        ("POST", "application/sparql-update", [], b"CLEAR NAMED", UpdateRefused),
        ("POST", "application/sparql-query", [], b"ASK {}" + b" " * 70_000, RequestTooLarge),
        ("GET", None, [("query", "ASK {" + " " * 70_000 + "}")], b"", RequestTooLarge),
    ],
)
def test_protocol_requests(
    method: str,
    content_type: str | None,
    params: list[tuple[str, str]],
    body: bytes,
    expected: ProtocolRequest | type[SparqlError] | None,
) -> None:
    if isinstance(expected, type):
        with pytest.raises(expected):
            parse_protocol_request(method, content_type, params, body)
    else:
        assert parse_protocol_request(method, content_type, params, body) == expected


def test_method_not_allowed_names_the_allowed_ones() -> None:
    with pytest.raises(MethodNotAllowed) as raised:
        parse_protocol_request("DELETE", None, [], b"")
    assert (raised.value.status, raised.value.headers) == (405, {"Allow": "GET, HEAD, POST"})


def test_a_large_body_is_refused_before_it_is_read() -> None:
    with pytest.raises(RequestTooLarge) as raised:
        check_content_length(str(20 * 1024 * 1024), SparqlSettings().max_request_bytes)
    assert raised.value.status == 413
    with pytest.raises(ProtocolError):
        check_content_length("-1", 100)
    check_content_length(None, 100)

    consumed: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for number in range(1000):  # 20 MB if it were all read
            consumed.append(number)
            yield b"x" * 20_000

    with pytest.raises(RequestTooLarge):
        asyncio.run(read_limited_body(chunks(), 64 * 1024))
    assert len(consumed) == 4


# --- Running queries ----------------------------------------------------------------------------


def test_settings_and_headers(service: SparqlService) -> None:
    assert service.limit_headers() == {MAX_ROWS_HEADER: "1000", TIMEOUT_HEADER: "1"}
    assert SparqlSettings(workers=3).concurrency == 6
    assert service.statistics.triples == service.statistics.default_graph_triples > 1000
    assert service.known_graphs == frozenset()


def test_a_runaway_query_is_stopped_while_others_are_answered(service: SparqlService) -> None:
    outcome: list[BaseException | float] = []

    def runaway() -> None:
        started = time.monotonic()
        try:
            service.run(RUNAWAY)
        except SparqlError as error:
            outcome.append(error)
        outcome.append(time.monotonic() - started)

    thread = threading.Thread(target=runaway)
    thread.start()
    _wait_until(lambda: service.in_flight == 1)
    time.sleep(0.2)
    started = time.monotonic()
    during = service.run(SIMPLE)  # the other worker answers at once
    assert json.loads(during.body) == {"head": {}, "boolean": True}
    assert time.monotonic() - started < 0.5
    thread.join(10)
    error, seconds = outcome
    assert isinstance(error, QueryTimeout) and error.status == 504
    assert "stopped after 1 s" in str(error) and "Nothing was returned" in str(error)
    assert 1.0 <= seconds < 2.5
    after = service.run(SIMPLE)  # the killed worker was replaced
    assert json.loads(after.body)["boolean"] is True
    assert service.in_flight == 0


def test_too_many_queries_at_once_get_busy_at_once(real_dump: Path) -> None:
    settings = SparqlSettings(query_timeout=1.0, workers=1, max_concurrent_queries=2, retry_after=3)
    with SparqlService(real_dump, settings) as engine:
        outcomes: list[BaseException] = []

        def runaway() -> None:
            try:
                engine.run(RUNAWAY)
            except SparqlError as error:
                outcomes.append(error)

        threads = [threading.Thread(target=runaway) for _ in range(2)]
        for thread in threads:
            thread.start()
        _wait_until(lambda: engine.in_flight == 2)
        started = time.monotonic()
        with pytest.raises(EndpointBusy) as raised:
            engine.run(SIMPLE)
        assert time.monotonic() - started < 0.1
        assert raised.value.status == 429
        assert raised.value.headers == {"Retry-After": "3"}
        assert "2 queries are already running or waiting" in str(raised.value)
        for thread in threads:
            thread.join(10)
        assert all(isinstance(o, QueryTimeout | EndpointBusy) for o in outcomes)
        assert len(outcomes) == 2
        assert json.loads(engine.run(SIMPLE).body)["boolean"] is True


def test_the_async_path_answers_and_is_busy_at_once(real_dump: Path) -> None:
    settings = SparqlSettings(workers=1, max_concurrent_queries=1, query_timeout=1.0)
    with SparqlService(real_dump, settings) as engine:
        # The first query runs until the time limit, so the second surely finds it in flight.
        slow = engine.admit(ProtocolRequest(RUNAWAY))
        quick = engine.admit(ProtocolRequest(SIMPLE))

        async def two_at_once() -> tuple[object, object]:
            first = asyncio.ensure_future(engine.execute_async(slow, SPARQL_JSON))
            await asyncio.sleep(0.2)
            try:
                second: object = await engine.execute_async(quick, SPARQL_JSON)
            except EndpointBusy as busy:
                second = busy
            try:
                return await first, second
            except QueryTimeout as timeout:
                return timeout, second

        first, second = asyncio.run(two_at_once())
        assert isinstance(second, EndpointBusy)
        assert isinstance(first, QueryTimeout)
        answer = asyncio.run(engine.execute_async(quick, SPARQL_JSON))
        assert answer.body == b'{"head":{},"boolean":true}'


def test_a_worker_that_died_is_replaced(real_dump: Path) -> None:
    with SparqlService(real_dump, SparqlSettings(workers=1)) as engine:
        (worker,) = engine._pool._workers  # white box: kill the process behind the service
        worker.process.kill()
        worker.process.wait()
        with pytest.raises(QueryFailed) as raised:
            engine.run(SIMPLE)
        assert raised.value.status == 500
        assert json.loads(engine.run(SIMPLE).body)["boolean"] is True


def test_the_row_cap_refuses_instead_of_truncating(service: SparqlService) -> None:
    with pytest.raises(TooManyRows) as raised:
        service.run("SELECT * WHERE { ?s ?p ?o }")
    assert raised.value.status == 422
    assert "more than 1000 rows" in str(raised.value) and "Nothing was truncated" in str(
        raised.value
    )
    with pytest.raises(TooManyRows):
        service.run("CONSTRUCT WHERE { ?s ?p ?o }")
    with pytest.raises(TooManyRows):
        service.run("SELECT * WHERE { ?s ?p ?o } LIMIT 1001")
    exact = service.run("SELECT * WHERE { ?s ?p ?o } LIMIT 1000")
    assert exact.rows == 1000
    assert exact.headers["X-Emigre-Result-Rows"] == "1000"
    assert set(exact.headers) == {"X-Emigre-Result-Rows", "Server-Timing"}
    assert len(json.loads(exact.body)["results"]["bindings"]) == 1000


SELECT_NAMES = """
PREFIX schema: <http://schema.org/>
SELECT ?person ?name ?born WHERE {
  ?person a schema:Person ; schema:name ?name .
  OPTIONAL { ?person schema:birthDate ?born }
} ORDER BY ?person ?name LIMIT 40
"""


def test_every_solution_format_parses(service: SparqlService) -> None:
    answers = {fmt.name: service.run(SELECT_NAMES, fmt) for fmt in SOLUTION_FORMATS}
    document = json.loads(answers["json"].body)
    assert document["head"]["vars"] == ["person", "name", "born"]
    rows = document["results"]["bindings"]
    assert len(rows) == 40 == answers["json"].rows

    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    tree = ET.fromstring(answers["xml"].body)
    assert [v.get("name") for v in tree.findall("r:head/r:variable", ns)] == [
        "person",
        "name",
        "born",
    ]
    assert len(tree.findall("r:results/r:result", ns)) == 40

    table = list(csv.reader(io.StringIO(answers["csv"].body.decode("utf-8"))))
    assert table[0] == ["person", "name", "born"] and len(table) == 41
    assert [row[1] for row in table[1:]] == [row["name"]["value"] for row in rows]

    tsv = list(
        csv.reader(
            io.StringIO(answers["tsv"].body.decode("utf-8")), delimiter="\t", quoting=csv.QUOTE_NONE
        )
    )
    assert tsv[0] == ["?person", "?name", "?born"] and len(tsv) == 41
    assert answers["csv"].content_type == "text/csv; charset=utf-8"
    assert answers["tsv"].content_type == "text/tab-separated-values; charset=utf-8"
    assert answers["json"].content_type == "application/sparql-results+json"

    again = pyoxigraph.parse_query_results(answers["tsv"].body, pyoxigraph.QueryResultsFormat.TSV)
    assert isinstance(again, pyoxigraph.QuerySolutions) and len(list(again)) == 40


def test_ask_in_json_and_xml(service: SparqlService) -> None:
    assert json.loads(service.run("ASK { ?s ?p 'no such value' }").body) == {
        "head": {},
        "boolean": False,
    }
    xml = ET.fromstring(service.run(SIMPLE, SPARQL_XML).body)
    assert xml.findtext("{http://www.w3.org/2005/sparql-results#}boolean") == "true"
    assert service.run(SIMPLE).rows is None


def test_every_graph_format_parses_to_the_same_graph(service: SparqlService) -> None:
    query = "DESCRIBE <https://w3id.org/emigre/id/wave/2022>"
    graphs = {}
    for fmt in GRAPH_FORMATS:
        answer = service.run(query, fmt)
        assert answer.content_type.startswith(fmt.media_type)
        oxigraph_format = pyoxigraph.RdfFormat.from_media_type(fmt.media_type)
        graphs[fmt.name] = {str(q.triple) for q in pyoxigraph.parse(answer.body, oxigraph_format)}
    assert len(graphs["turtle"]) > 3
    assert all(graph == graphs["turtle"] for graph in graphs.values())


def test_json_literals_are_sparql_11_literals(service: SparqlService) -> None:
    query = f"""SELECT ?plain ?lang ?date ?number ?iri WHERE {{
        BIND ("x" AS ?plain) BIND ("Улицкая"@ru AS ?lang) BIND ("1943-02-21"^^<{XSD}date> AS ?date)
        BIND (42 AS ?number) BIND (<https://w3id.org/emigre/id/wave/2022> AS ?iri) }}"""
    body = service.run(query).body
    assert b"typed-literal" not in body
    (row,) = json.loads(body)["results"]["bindings"]
    assert row == {
        "plain": {"type": "literal", "value": "x"},
        "lang": {"type": "literal", "value": "Улицкая", "xml:lang": "ru"},
        "date": {"type": "literal", "value": "1943-02-21", "datatype": f"{XSD}date"},
        "number": {"type": "literal", "value": "42", "datatype": f"{XSD}integer"},
        "iri": {"type": "uri", "value": "https://w3id.org/emigre/id/wave/2022"},
    }
    real = json.loads(service.run(SELECT_NAMES).body)["results"]["bindings"]
    assert {row["name"]["type"] for row in real} == {"literal"}
    assert all("xml:lang" in row["name"] for row in real)


def test_syntax_errors_oxigraph_finds_are_400(service: SparqlService) -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        service.run("SELECT * WHERE { ?s ?p }")
    assert raised.value.status == 400 and "error at 1:" in str(raised.value)


def test_format_lookup() -> None:
    assert result_formats("SELECT")[0] is SPARQL_JSON
    assert result_format_from_query("SELECT", "tsv") is SPARQL_TSV
    assert result_format_from_query("ASK", "text/csv") is SPARQL_CSV
    assert result_format_from_query("CONSTRUCT", "csv") is None
    assert result_format_from_query("DESCRIBE", "application/ld+json") is GRAPH_FORMATS[2]


# --- The network lock behind the refusal of SERVICE -------------------------------------------


def test_workers_cannot_reach_the_network_even_if_a_service_query_slips_through(
    service: SparqlService,
) -> None:
    if service.isolation in ("off", "unknown") or service.isolation.startswith("none"):
        pytest.skip(f"no network lock on this machine: {service.isolation}")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    # Admission would refuse this; build the admitted query by hand to test the second lock.
    smuggled = AdmittedQuery(
        f"SELECT * {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}", "SELECT"
    )
    with listener:
        with pytest.raises(QueryFailed) as raised:
            service.execute(smuggled, SPARQL_JSON)
        # A connection would have completed in the kernel's backlog, accepted or not.
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert "PermissionError" in str(raised.value)
    assert raised.value.status == 500


# --- The service description ------------------------------------------------------------------


def test_service_description(service: SparqlService) -> None:
    endpoint = "http://127.0.0.1:8000/sparql"
    sd = "http://www.w3.org/ns/sparql-service-description#"
    graphs = {}
    for fmt in GRAPH_FORMATS:
        body = service.service_description(endpoint, fmt)
        oxigraph_format = pyoxigraph.RdfFormat.from_media_type(fmt.media_type)
        graphs[fmt.name] = {q.triple for q in pyoxigraph.parse(body, oxigraph_format)}
    turtle = graphs["turtle"]
    assert all({str(t) for t in graph} == {str(t) for t in turtle} for graph in graphs.values())

    def values(subject: str, predicate: str) -> set[str]:
        return {
            t.object.value
            for t in turtle
            if t.subject.value == subject and t.predicate.value == predicate
        }

    node = f"{endpoint}#service"
    assert values(node, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type") == {f"{sd}Service"}
    assert values(node, f"{sd}endpoint") == {endpoint}
    assert values(node, f"{sd}supportedLanguage") == {f"{sd}SPARQL11Query"}
    assert values(node, f"{sd}resultFormat") == {
        f"http://www.w3.org/ns/formats/{name}"
        for name in (
            "SPARQL_Results_JSON",
            "SPARQL_Results_XML",
            "SPARQL_Results_CSV",
            "SPARQL_Results_TSV",
            "Turtle",
            "N-Triples",
            "JSON-LD",
            "RDF_XML",
        )
    }
    assert values(node, f"{SERVICE_NS}maxResultRows") == {"1000"}
    assert values(node, f"{SERVICE_NS}queryTimeout") == {"1.000"}
    assert values(node, f"{SERVICE_NS}callsOtherServices") == {"false"}
    assert values(node, f"{sd}feature") == set()  # no sd:BasicFederatedQuery
    (dataset,) = values(node, f"{sd}defaultDataset")
    assert values(dataset, "http://rdfs.org/ns/void#triples") == {str(service.statistics.triples)}
    assert not any(
        isinstance(term, pyoxigraph.BlankNode) for t in turtle for term in (t.subject, t.object)
    )


# --- The shipped example queries ----------------------------------------------------------------


@pytest.mark.parametrize(
    "path", [p for p in EXAMPLES if p.name != "federated-wikidata.rq"], ids=lambda p: p.stem
)
def test_example_answers_on_the_real_data(service: SparqlService, path: Path) -> None:
    answer = service.run(path.read_text("utf-8"))
    assert answer.rows is not None and answer.rows >= 1, path.name


def test_examples_are_all_there() -> None:
    assert {p.stem for p in EXAMPLES} == {
        "exiles-by-destination",
        "exiles-by-wave",
        "persecutions-by-type-and-year",
        "people-without-wikidata-link",
        "federated-wikidata",
    }


def test_the_federated_example_is_refused_here_and_says_where_to_run_it(
    service: SparqlService,
) -> None:
    text = (ROOT / "examples" / "queries" / "federated-wikidata.rq").read_text("utf-8")
    assert inspect_operation(text).services == ("https://query.wikidata.org/sparql",)
    with pytest.raises(FederationRefused) as raised:
        service.run(text)
    assert raised.value.status == 403
    assert "SERVICE <https://query.wikidata.org/sparql> refused" in str(raised.value)
    assert "refuses" in text.lower() and "oxigraph query" in text


# --- The W3C SPARQL 1.1 Protocol tests, against the core ----------------------------------------

PROTOCOL_SUITE = next(
    (
        d
        for d in (
            ROOT / "tests" / "fixtures" / "w3c-sparql11-protocol",
            Path("/work/shared/specs/w3c-sparql11-protocol"),
        )
        if (d / "manifest.ttl").is_file()
    ),
    None,
)
_MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
_HT = "http://www.w3.org/2011/http#"
_CNT = "http://www.w3.org/2011/content#"
_UT = "http://www.w3.org/2009/sparql/tests/test-update#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


class _Manifest:
    """Just enough of a Turtle manifest reader: objects of a predicate, RDF lists."""

    def __init__(self, path: Path) -> None:
        self.triples = [q.triple for q in pyoxigraph.parse(path=path, base_iri=path.as_uri())]

    def objects(self, subject: object, predicate: str) -> list[pyoxigraph.NamedNode]:
        return [
            t.object
            for t in self.triples
            if t.subject == subject and t.predicate.value == predicate
        ]

    def one(self, subject: object, predicate: str) -> pyoxigraph.NamedNode | None:
        found = self.objects(subject, predicate)
        return found[0] if found else None

    def items(self, head: object) -> list[object]:
        items = []
        while head is not None and getattr(head, "value", None) != f"{_RDF}nil":
            items.append(self.one(head, f"{_RDF}first"))
            head = self.one(head, f"{_RDF}rest")
        return items


def _protocol_cases() -> list[tuple[str, dict[str, object]]]:
    if PROTOCOL_SUITE is None:
        return []
    manifest = _Manifest(PROTOCOL_SUITE / "manifest.ttl")
    (root,) = [t.subject for t in manifest.triples if t.predicate.value == f"{_MF}entries"]
    cases = []
    for test in manifest.items(manifest.one(root, f"{_MF}entries")):
        request = manifest.items(
            manifest.one(manifest.one(test, f"{_MF}action"), f"{_HT}requests")
        )[0]
        response = manifest.one(request, f"{_HT}resp")
        body = manifest.one(request, f"{_HT}body")
        headers = {
            manifest.one(h, f"{_HT}fieldName").value.lower(): manifest.one(
                h, f"{_HT}fieldValue"
            ).value  # type: ignore[union-attr]
            for h in manifest.items(manifest.one(request, f"{_HT}headers"))
        }
        encoding = manifest.one(body, f"{_CNT}characterEncoding") if body else None
        chars = manifest.one(body, f"{_CNT}chars") if body else None
        cases.append(
            (
                test.value.rpartition("#")[2],  # type: ignore[attr-defined]
                {
                    "method": manifest.one(request, f"{_HT}methodName").value,  # type: ignore[union-attr]
                    "path": manifest.one(request, f"{_HT}absolutePath").value,  # type: ignore[union-attr]
                    "content_type": headers.get("content-type"),
                    "body": chars.value.encode(encoding.value if encoding else "utf-8")
                    if chars
                    else b"",
                    "status": {
                        s.value[-3] for s in manifest.objects(response, f"{_MF}expectedStatus")
                    },
                    "boolean": getattr(
                        manifest.one(response, f"{_MF}expectedBoolean"), "value", None
                    ),
                },
            )
        )
    return cases


PROTOCOL_CASES = _protocol_cases()


@pytest.fixture(scope="module")
def protocol_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparqlService]:
    """The suite's three graphs as named graphs; dataset parameters naming others are empty."""
    assert PROTOCOL_SUITE is not None
    quads = tmp_path_factory.mktemp("protocol") / "graphs.nq"
    with quads.open("wb") as out:
        for number in (1, 2, 3):
            graph = pyoxigraph.NamedNode(f"http://kasei.us/2009/09/sparql/data/data{number}.rdf")
            triples = pyoxigraph.parse(path=PROTOCOL_SUITE / f"data{number}.nt")
            pyoxigraph.serialize(
                (pyoxigraph.Quad(*q.triple, graph) for q in triples),
                out,
                pyoxigraph.RdfFormat.N_QUADS,
            )
    settings = SparqlSettings(workers=1, refuse_unknown_dataset_params=False)
    with SparqlService(quads, settings) as engine:
        yield engine


@pytest.mark.skipif(PROTOCOL_SUITE is None, reason="W3C protocol manifest not available")
@pytest.mark.parametrize(("name", "case"), PROTOCOL_CASES, ids=[n for n, _ in PROTOCOL_CASES])
def test_w3c_protocol_case(
    protocol_service: SparqlService, name: str, case: dict[str, object]
) -> None:
    path = urlsplit(str(case["path"]))
    try:
        request = parse_protocol_request(
            str(case["method"]),
            case["content_type"],  # type: ignore[arg-type]
            parse_qsl(path.query, keep_blank_values=True),
            case["body"],  # type: ignore[arg-type]
        )
        assert request is not None
        admitted = protocol_service.admit(request, base_iri="http://www.example/sparql/")
        answer = protocol_service.execute(admitted, result_formats(admitted.form)[0])
        status = "2"
    except SparqlError as error:
        status = str(error.status)[0]
    if name.startswith("update_"):  # ours is read-only: every update is refused, nothing changes
        assert status == "4"
    else:
        assert status in case["status"]  # type: ignore[operator]
    if case["boolean"] is not None:
        assert json.loads(answer.body)["boolean"] is (case["boolean"] == "true")


def test_w3c_protocol_suite_was_read() -> None:
    if PROTOCOL_SUITE is None:
        pytest.skip("W3C protocol manifest not available")
    assert len(PROTOCOL_CASES) == 34


def test_unknown_protocol_graphs_are_refused_by_default(protocol_service: SparqlService) -> None:
    known = protocol_service.known_graphs
    assert "http://kasei.us/2009/09/sparql/data/data1.rdf" in known
    with pytest.raises(UnknownGraph):
        admit_query(
            "ASK {}", known, default_graph_uris=["http://kasei.us/2009/09/sparql/data/data0.rdf"]
        )
    with pytest.raises(UnknownGraph):
        protocol_service.admit(ProtocolRequest("ASK FROM <http://elsewhere.example/g> {}"))


def _wait_until(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)
