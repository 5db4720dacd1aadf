"""The Linked Data server end to end: ``python -m publisher serve`` on 127.0.0.1, real sockets,
real clients (rapper, rdflib, curl, requests, raw ``http.client``).

Content negotiation reuses the Accept table of ``test_conneg.py`` (the pure function) and checks
that the server acts on it: 303 to the right document from ``/id``, 200 with the right type from
``/doc``. Then the HTTP contract of every response (Vary, ETag, Last-Modified, CORS, Link), error
statuses with small bodies and no stack traces, 301/410 from ``lifecycle.yaml``, path traversal
and malformed Accept headers.
"""

from __future__ import annotations

import email.utils
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import server_fixtures
from rdflib import Graph, URIRef
from rdflib.compare import to_isomorphic
from rdflib.namespace import RDF
from server_fixtures import RENAMED, WITHDRAWN, Response, RunningServer
from test_conneg import CHROME, FIREFOX, RAPPER_GUESS, RDFLIB_PARSE, TABLE, Row

from publisher.formats import ALL_FORMATS, FORMATS_BY_NAME, HTML, RDF_FORMATS, Format
from publisher.server.conneg import AcceptError

pytestmark = pytest.mark.slow

# Shared session fixtures (see server_fixtures): one build and one server for every module.
release_dist = server_fixtures.release_dist
server = server_fixtures.server

PERSON = "person/ulitskaya"
PERSON_IRI = f"https://w3id.org/emigre/id/{PERSON}"
SCHEMA_PERSON = URIRef("http://schema.org/Person")
RDFLIB_FORMATS = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "rdfxml": "xml"}
#: Signs of a stack trace or an internal path in a body sent to a client.
TRACE_MARKERS = ("Traceback", 'File "', "/publisher/", "site-packages", "starlette", "Exception")
ERROR_BODY_LIMIT = 4096
#: rdflib's JSON-LD parser still builds its own deprecated ConjunctiveGraph.
JSONLD_IN_RDFLIB = pytest.mark.filterwarnings(
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"
)


def assert_small_error(response: Response, status: int) -> None:
    """``status``, a small body, HTML or JSON, and nothing of the server's insides."""
    assert response.status == status, response.text[:300]
    assert len(response.body) < ERROR_BODY_LIMIT, len(response.body)
    assert response.media_type in ("text/html", "application/json"), response.media_type
    for marker in TRACE_MARKERS:
        assert marker not in response.text, f"{marker!r} in the body: {response.text[:500]}"


def vary_tokens(response: Response) -> set[str]:
    """The field names listed in ``Vary``, in lower case."""
    return {
        token.strip().lower()
        for value in response.headers.get_all("Vary") or []
        for token in value.split(",")
    }


def link_targets(response: Response) -> dict[str, str]:
    """``type → URL`` of the ``rel="alternate"`` links of the ``Link`` header."""
    header = ", ".join(response.headers.get_all("Link") or [])
    return {
        media_type: url
        for url, params in re.findall(r"<([^>]*)>((?:\s*;\s*[^,;]+)*)", header)
        if 'rel="alternate"' in params
        for media_type in re.findall(r'type="([^"]+)"', params)
    }


# --- Content negotiation: the conneg table, acted on by the server -----------------------------

#: Rows of the table that describe the server: it negotiates with HTML as the default and
#: prefers HTML for browsers.
SERVER_ROWS = [row for row in TABLE if row.default == "html" and row.prefer_html_for_browsers]


def _accept_headers(row: Row) -> dict[str, str]:
    return {} if row.accept is None else {"Accept": row.accept}


def test_the_table_covers_the_required_cases() -> None:
    accepts = {row.accept for row in SERVER_ROWS}
    assert {CHROME, FIREFOX, RAPPER_GUESS, RDFLIB_PARSE, "*/*", None} <= accepts
    assert any(row.expected is AcceptError for row in SERVER_ROWS)
    assert any(row.expected is None for row in SERVER_ROWS)
    assert any("q=" in (row.accept or "") for row in SERVER_ROWS)
    assert len(SERVER_ROWS) >= 40


@pytest.mark.parametrize("row", SERVER_ROWS, ids=[row.id for row in SERVER_ROWS])
def test_identifier_redirects_by_accept(server: RunningServer, row: Row) -> None:
    response = server.fetch(f"/id/{PERSON}", _accept_headers(row))
    if row.expected is AcceptError:
        assert response.status == 400, response.text
    elif row.expected is None:
        assert_small_error(response, 406)
    else:
        assert response.status == 303, response.text
        extension = FORMATS_BY_NAME[str(row.expected)].extension
        assert response.headers["Location"] == f"/doc/{PERSON}.{extension}"
        assert "accept" in vary_tokens(response)


@pytest.mark.parametrize("row", SERVER_ROWS, ids=[row.id for row in SERVER_ROWS])
def test_document_negotiates_by_accept(server: RunningServer, row: Row) -> None:
    response = server.fetch(f"/doc/{PERSON}", _accept_headers(row))
    if row.expected is AcceptError:
        assert response.status == 400, response.text
    elif row.expected is None:
        assert_small_error(response, 406)
    else:
        fmt = FORMATS_BY_NAME[str(row.expected)]
        assert response.status == 200, response.text[:300]
        assert response.media_type == fmt.media_type
        assert response.headers["Content-Location"] == f"/doc/{PERSON}.{fmt.extension}"
        assert "accept" in vary_tokens(response)


@pytest.mark.parametrize("path", [f"/id/{PERSON}", f"/doc/{PERSON}"])
def test_not_acceptable_lists_the_available_types(server: RunningServer, path: str) -> None:
    for accept in ("image/png", "application/pdf, image/*", "text/plain", "*/*;q=0"):
        response = server.fetch(path, {"Accept": accept})
        assert_small_error(response, 406)
        assert response.media_type == "application/json"  # no HTML named: not a browser
        message = json.loads(response.body)["message"]
        for fmt in ALL_FORMATS:
            assert fmt.media_type in message, (accept, fmt.media_type)


@pytest.mark.parametrize("fmt", ALL_FORMATS, ids=[fmt.name for fmt in ALL_FORMATS])
def test_format_parameter_overrides_accept(server: RunningServer, fmt: Format) -> None:
    for accept in (CHROME, RAPPER_GUESS, "image/png"):
        response = server.fetch(f"/id/{PERSON}?format={fmt.extension}", {"Accept": accept})
        assert response.status == 303, (accept, response.text)
        assert response.headers["Location"] == f"/doc/{PERSON}.{fmt.extension}"
        document = server.fetch(f"/doc/{PERSON}?format={fmt.name}", {"Accept": accept})
        assert document.status == 200
        assert document.media_type == fmt.media_type


def test_unknown_format_parameter_is_a_bad_request(server: RunningServer) -> None:
    for path in (f"/id/{PERSON}?format=trig", f"/doc/{PERSON}?format=docx"):
        assert_small_error(server.fetch(path, {"Accept": "text/turtle"}), 400)


@pytest.mark.parametrize("fmt", ALL_FORMATS, ids=[fmt.name for fmt in ALL_FORMATS])
def test_file_extension_chooses_the_format(server: RunningServer, fmt: Format) -> None:
    for accept in (CHROME, RAPPER_GUESS, "image/png", None):
        headers = {} if accept is None else {"Accept": accept}
        response = server.fetch(f"/doc/{PERSON}.{fmt.extension}", headers)
        assert response.status == 200, (accept, response.text[:200])
        assert response.media_type == fmt.media_type


@pytest.mark.parametrize("name", [f"{PERSON}.TTL", f"{PERSON}.trig", f"{PERSON}.ttl.bak"])
def test_unknown_extensions_are_not_found(server: RunningServer, name: str) -> None:
    assert_small_error(server.fetch(f"/doc/{name}", {"Accept": "text/turtle"}), 404)


@JSONLD_IN_RDFLIB
def test_every_format_describes_the_same_graph(server: RunningServer) -> None:
    graphs = {}
    for fmt in RDF_FORMATS:
        response = server.fetch(f"/doc/{PERSON}.{fmt.extension}")
        graph = Graph()
        graph.parse(data=response.body, format=RDFLIB_FORMATS[fmt.name], publicID=server.base)
        assert (URIRef(PERSON_IRI), RDF.type, SCHEMA_PERSON) in graph
        graphs[fmt.name] = to_isomorphic(graph)
    first = graphs["turtle"]
    for name, graph in graphs.items():
        assert graph == first, f"{name} differs from turtle"


def test_minted_identifiers_redirect_to_their_record(server: RunningServer) -> None:
    response = server.fetch("/id/emigration/ulitskaya-2022", {"Accept": CHROME})
    assert response.status == 303
    location = response.headers["Location"]
    assert location == f"/doc/{PERSON}.html#emigration-ulitskaya-2022"
    page = server.fetch(location.split("#")[0])
    assert 'id="emigration-ulitskaya-2022"' in page.text
    turtle = server.fetch("/id/emigration/ulitskaya-2022", {"Accept": "text/turtle"})
    assert turtle.headers["Location"] == f"/doc/{PERSON}.ttl"


# --- Real clients -----------------------------------------------------------------------------


def test_rapper_guesses_and_parses_the_document(server: RunningServer) -> None:
    if shutil.which("rapper") is None:
        pytest.skip("rapper is not installed (Debian raptor2-utils; .ci/install installs it)")
    completed = subprocess.run(
        ["rapper", "-g", "-c", server.url(f"/id/{PERSON}")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    match = re.search(r"Parsing returned (\d+) triples", completed.stderr)
    assert match is not None, completed.stderr
    assert int(match.group(1)) > 0
    assert "Guessed parser name 'turtle'" in completed.stderr


def test_rdflib_parses_the_identifier(server: RunningServer) -> None:
    graph = Graph()
    graph.parse(server.url(f"/id/{PERSON}"))
    assert (URIRef(PERSON_IRI), RDF.type, SCHEMA_PERSON) in graph
    assert len(graph) > 10


@pytest.mark.parametrize(
    ("accept", "media_type", "final_extension"),
    [
        (CHROME, "text/html", "html"),
        (FIREFOX, "text/html", "html"),
        ("*/*", "text/html", "html"),
        ("text/turtle", "text/turtle", "ttl"),
        ("application/ld+json", "application/ld+json", "jsonld"),
    ],
    ids=["chrome", "firefox", "curl-default", "turtle", "json-ld"],
)
def test_curl_follows_to_the_right_document(
    server: RunningServer, accept: str, media_type: str, final_extension: str
) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    write_out = "\n%{content_type}\n%{url_effective}"
    completed = subprocess.run(
        [
            "curl",
            "-sS",
            "-L",
            "-H",
            f"Accept: {accept}",
            "-w",
            write_out,
            server.url(f"/id/{PERSON}"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    body, content_type, effective = completed.stdout.rsplit("\n", 2)
    assert content_type.split(";")[0] == media_type
    assert effective == server.url(f"/doc/{PERSON}.{final_extension}")
    if media_type == "text/html":
        assert "<h1>Lyudmila Ulitskaya</h1>" in body


def test_requests_with_a_browser_accept_gets_html(server: RunningServer) -> None:
    response = requests.get(server.url(f"/id/{PERSON}"), headers={"Accept": CHROME}, timeout=30)
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [303]
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<h1>Lyudmila Ulitskaya</h1>" in response.text


# --- The HTTP contract of every response -------------------------------------------------------


def _assorted_responses(server: RunningServer) -> Iterator[tuple[str, Response]]:
    """One response of every kind the server sends: documents, pages, redirects, errors."""
    old, new = RENAMED
    requests_to_send: list[tuple[str, dict[str, str], str]] = [
        ("/", {"Accept": CHROME}, "GET"),
        (f"/id/{PERSON}", {"Accept": "text/turtle"}, "GET"),
        (f"/doc/{PERSON}", {"Accept": CHROME}, "GET"),
        (f"/doc/{PERSON}.jsonld", {}, "GET"),
        ("/browse/person", {}, "GET"),
        ("/search?q=ulitskaya", {}, "GET"),
        ("/sparql", {"Accept": "text/turtle"}, "GET"),
        ("/sparql?query=ASK%20%7B%7D", {"Accept": "application/sparql-results+json"}, "GET"),
        ("/dumps/emigre.nt", {}, "GET"),
        ("/void.ttl", {}, "GET"),
        ("/static/style.css", {}, "GET"),
        ("/robots.txt", {}, "GET"),
        (f"/id/{old}", {}, "GET"),
        (f"/id/{WITHDRAWN}", {}, "GET"),
        ("/id/person/no-such-person", {"Accept": "text/turtle"}, "GET"),
        ("/no/such/page", {"Accept": CHROME}, "GET"),
        (f"/doc/{PERSON}", {"Accept": "image/png"}, "GET"),
        (f"/doc/{PERSON}", {"Accept": "text/html;q=abc"}, "GET"),
        (f"/doc/{PERSON}", {}, "POST"),
        (f"/doc/{PERSON}", {"Origin": "https://example.org"}, "OPTIONS"),
        (f"/doc/{new}", {}, "HEAD"),
    ]
    for path, headers, method in requests_to_send:
        yield f"{method} {path}", server.fetch(path, headers, method=method)
    etag = server.fetch(f"/doc/{PERSON}.ttl").headers["ETag"]
    yield "304", server.fetch(f"/doc/{PERSON}.ttl", {"If-None-Match": etag})


def test_every_response_varies_on_accept_and_allows_any_origin(server: RunningServer) -> None:
    seen = set()
    for label, response in _assorted_responses(server):
        seen.add(response.status)
        assert "accept" in vary_tokens(response), label
        assert response.headers["Access-Control-Allow-Origin"] == "*", label
    assert {200, 204, 301, 303, 304, 400, 404, 405, 406, 410} <= seen, seen


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        (f"/doc/{PERSON}.ttl", None),
        (f"/doc/{PERSON}.html", None),
        (f"/doc/{PERSON}", CHROME),
        (f"/doc/{PERSON}", "application/n-triples"),
        ("/", CHROME),
        ("/browse/person", CHROME),
    ],
)
def test_conditional_requests(server: RunningServer, path: str, accept: str | None) -> None:
    headers = {} if accept is None else {"Accept": accept}
    first = server.fetch(path, headers)
    assert first.status == 200
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert re.fullmatch(r'(W/)?"[^"]+"', etag), etag
    modified = email.utils.parsedate_to_datetime(last_modified)
    assert modified.tzinfo is not None
    for if_none_match in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = server.fetch(path, {**headers, "If-None-Match": if_none_match})
        assert again.status == 304, if_none_match
        assert again.body == b""
        assert again.headers["ETag"] == etag
        assert "accept" in vary_tokens(again)
    assert server.fetch(path, {**headers, "If-None-Match": '"other"'}).status == 200
    assert server.fetch(path, {**headers, "If-Modified-Since": last_modified}).status == 304
    day_before = email.utils.format_datetime(modified.replace(day=1, month=1, year=2000), True)
    assert server.fetch(path, {**headers, "If-Modified-Since": day_before}).status == 200
    assert server.fetch(path, {**headers, "If-Modified-Since": "yesterday"}).status == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.1.3).
    both = {**headers, "If-None-Match": '"other"', "If-Modified-Since": last_modified}
    assert server.fetch(path, both).status == 200


def test_each_format_of_a_negotiated_document_has_its_own_etag(server: RunningServer) -> None:
    etags = {
        fmt.name: server.fetch(f"/doc/{PERSON}", {"Accept": fmt.media_type}).headers["ETag"]
        for fmt in ALL_FORMATS
    }
    assert len(set(etags.values())) == len(etags), etags
    for fmt in ALL_FORMATS:
        explicit = server.fetch(f"/doc/{PERSON}.{fmt.extension}")
        assert explicit.headers["ETag"] == etags[fmt.name]


def test_cors_preflight_is_answered(server: RunningServer) -> None:
    for path, method, request_headers in (
        (f"/doc/{PERSON}", "GET", "accept, if-none-match"),
        (f"/id/{PERSON}", "GET", "accept"),
        ("/sparql", "POST", "content-type, accept"),
    ):
        response = server.fetch(
            path,
            {
                "Origin": "https://client.example",
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": request_headers,
            },
            method="OPTIONS",
        )
        assert 200 <= response.status < 300, (path, response.status)
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        allowed_methods = response.headers["Access-Control-Allow-Methods"].upper()
        assert method in allowed_methods
        allowed_headers = response.headers["Access-Control-Allow-Headers"].lower()
        for name in request_headers.split(", "):
            assert name in allowed_headers, name
    exposed = server.fetch(f"/doc/{PERSON}.ttl", {"Origin": "https://client.example"})
    assert exposed.headers["Access-Control-Allow-Origin"] == "*"
    for name in ("etag", "link", "content-location"):
        assert name in exposed.headers["Access-Control-Expose-Headers"].lower()


@pytest.mark.parametrize("fmt", ALL_FORMATS, ids=[fmt.name for fmt in ALL_FORMATS])
def test_link_header_lists_the_other_formats(server: RunningServer, fmt: Format) -> None:
    response = server.fetch(f"/doc/{PERSON}.{fmt.extension}")
    targets = link_targets(response)
    others = {f.media_type for f in ALL_FORMATS if f != fmt}
    assert set(targets) == others
    for other_type, url in targets.items():
        alternate = server.fetch(url)
        assert alternate.status == 200, url
        assert alternate.media_type == other_type


# --- Errors, renamed and withdrawn records -----------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/id/person/no-such-person",
        "/doc/person/no-such-person",
        "/doc/person/no-such-person.ttl",
        "/id/no-such-kind/ulitskaya",
        "/doc/no-such-kind/ulitskaya",
        "/id/person/Not_A_Slug",
        "/browse/no-such-facet",
        "/browse/person/page/1",  # page 1 is /browse/person, as in the static site
        "/browse/person/page/01",
        "/browse/person/page/99",  # past the last page
        "/browse/person/page/-1",
        "/browse/person/page/x",
        "/browse/destination/germany/page/0",
        "/dumps/no-such-file.nt",
        "/no-such-page",
        "/no/such/page.html",
        "/static/no-such.css",
    ],
)
def test_not_found_is_small_html_for_browsers_and_json_otherwise(
    server: RunningServer, path: str
) -> None:
    page = server.fetch(path, {"Accept": CHROME})
    assert_small_error(page, 404)
    assert page.media_type == "text/html"
    assert "<h1>" in page.text
    for accept in ("text/turtle", "application/json", RAPPER_GUESS):
        data = server.fetch(path, {"Accept": accept})
        assert_small_error(data, 404)
        assert data.media_type == "application/json"
        assert json.loads(data.body)["status"] == 404


def test_wrong_method_on_a_known_path(server: RunningServer) -> None:
    for method in ("POST", "PUT", "DELETE"):
        assert_small_error(server.fetch(f"/doc/{PERSON}", method=method, body=b""), 405)


@pytest.mark.parametrize(
    "path",
    [
        f"/id/{WITHDRAWN}",
        f"/doc/{WITHDRAWN}",
        *(f"/doc/{WITHDRAWN}.{fmt.extension}" for fmt in ALL_FORMATS),
    ],
)
def test_withdrawn_record_is_gone(server: RunningServer, path: str) -> None:
    for accept in (CHROME, "text/turtle"):
        response = server.fetch(path, {"Accept": accept})
        assert_small_error(response, 410)
        assert WITHDRAWN in response.text


def test_withdrawn_record_appears_nowhere(server: RunningServer, release_dist: Path) -> None:
    slug = WITHDRAWN.split("/")[1]
    for path in ("/dumps/emigre.nt", "/dumps/emigre.ttl", "/dumps/emigre.jsonld"):
        response = server.fetch(path)
        assert response.status == 200
        assert f"/{WITHDRAWN}" not in response.text, path
    searches = ("/search?q=Bunin", "/search?q=%D0%91%D1%83%D0%BD%D0%B8%D0%BD")
    for path in ("/", "/browse/person", *searches):
        response = server.fetch(path, {"Accept": CHROME})
        assert response.status == 200
        assert f"/doc/{WITHDRAWN}" not in response.text, path
        assert "Ivan Bunin" not in response.text, path
        assert "Иван Бунин" not in response.text, path
    lifecycle = json.loads(server.fetch("/lifecycle.json").body)
    assert WITHDRAWN in lifecycle["withdrawn"]
    assert not any(slug in path.name for path in (release_dist.parent / "data").rglob("*.yaml"))


@pytest.mark.parametrize(
    ("path", "location"),
    [
        (f"/id/{RENAMED[0]}", f"/id/{RENAMED[1]}"),
        (f"/doc/{RENAMED[0]}", f"/doc/{RENAMED[1]}"),
        *(
            (f"/doc/{RENAMED[0]}.{f.extension}", f"/doc/{RENAMED[1]}.{f.extension}")
            for f in ALL_FORMATS
        ),
    ],
)
def test_renamed_record_moved_permanently(server: RunningServer, path: str, location: str) -> None:
    response = server.fetch(path, {"Accept": "text/turtle"})
    assert response.status == 301
    assert response.headers["Location"] in (location, server.url(location))
    assert len(response.body) < ERROR_BODY_LIMIT
    followed = requests.get(server.url(path), headers={"Accept": "text/turtle"}, timeout=30)
    assert followed.status_code == 200
    assert followed.history[0].status_code == 301


def test_no_error_body_shows_the_server_insides(server: RunningServer) -> None:
    errors = [
        (label, response)
        for label, response in _assorted_responses(server)
        if response.status >= 400
    ]
    errors.append(("sparql syntax", server.fetch("/sparql?query=SELECT%20%7B")))
    errors.append(("sparql 406", server.fetch("/sparql?query=ASK%7B%7D", {"Accept": "image/png"})))
    assert len(errors) >= 7
    for label, response in errors:
        assert len(response.body) < ERROR_BODY_LIMIT, label
        for marker in TRACE_MARKERS:
            assert marker not in response.text, (label, marker, response.text[:300])


# --- Path traversal ----------------------------------------------------------------------------

TRAVERSALS = [
    "/../etc/passwd",
    "/../../../../etc/passwd",
    "/doc/../../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/doc/person/..%2f..%2f..%2fetc%2fpasswd",
    "/doc/person/..%5c..%5cetc",
    "/doc/person/..\\..\\etc\\passwd",
    "/dumps/..%2fbuild.json",
    "/dumps/..%2f..%2fpyproject.toml",
    "/dumps/%2e%2e/build.json",
    "/dumps/%252e%252e%252fbuild.json",
    "/static/..%2f..%2fpyproject.toml",
    "/static/..%2f..%2f..%2fpyproject.toml",
    "/static/%2e%2e/%2e%2e/%2e%2e/pyproject.toml",
    "/static/%c0%ae%c0%ae/%c0%ae%c0%ae/pyproject.toml",
    "/%00",
    "/doc/person/ulitskaya%00.ttl",
    "/dumps/emigre.nt%00.txt",
    "/static/style.css%00",
    "/dumps/build.json%00/../../../etc/passwd",
]


@pytest.fixture(scope="module")
def decoy_outside_dist(release_dist: Path) -> Iterator[Path]:
    """A ``build.json`` beside the served directory that ``/dumps/..%2fbuild.json`` would reach."""
    decoy = release_dist.parent / "build.json"
    decoy.write_text('{"decoy": "OUTSIDE-THE-BUILD"}\n', "utf-8")
    yield decoy
    decoy.unlink()


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_is_refused(
    server: RunningServer, decoy_outside_dist: Path, path: str
) -> None:
    response = server.fetch(path, {"Accept": CHROME})
    assert response.status in (400, 404), (response.status, response.text[:200])
    for secret in ("root:", "[project]", "OUTSIDE-THE-BUILD"):
        assert secret not in response.text, secret
    assert len(response.body) < ERROR_BODY_LIMIT


def test_legitimate_files_next_to_the_traversals_are_served(server: RunningServer) -> None:
    assert server.fetch("/dumps/build.json").status == 200
    assert server.fetch("/static/style.css").status == 200
    assert server.fetch("/dumps/emigre.nt").status == 200


# --- Malformed Accept headers ------------------------------------------------------------------

MALFORMED_ACCEPTS: list[tuple[str, str | bytes]] = [
    ("q=abc", "text/html;q=abc"),
    ("bare q=abc", "q=abc"),
    ("semicolons", ";;;"),
    ("10 kB", "text/turtle, " * 800),
    ("text/", "text/"),
    ("non-ASCII UTF-8 bytes", "text/html, tëxt/turtle".encode()),
    ("non-ASCII Latin-1 bytes", b"text/\xe9, */*"),
    ("invalid UTF-8", b"\xff\xfe\xfd"),
    ("q above 1", "text/turtle;q=2"),
    ("unterminated quote", 'text/html;x="a, text/turtle'),
]
MALFORMED_PATHS = [
    "/",
    f"/id/{PERSON}",
    f"/doc/{PERSON}",
    f"/doc/{PERSON}.ttl",
    f"/id/{RENAMED[0]}",
    f"/id/{WITHDRAWN}",
    "/id/person/no-such-person",
    "/no-such-page",
    "/browse/person",
    "/search?q=ulitskaya",
    "/sparql",
    "/sparql?query=ASK%20%7B%7D",
    "/dumps/emigre.nt",
    "/static/style.css",
]


@pytest.mark.parametrize(
    "accept", [value for _, value in MALFORMED_ACCEPTS], ids=[n for n, _ in MALFORMED_ACCEPTS]
)
def test_malformed_accept_is_refused_or_ignored_never_a_server_error(
    server: RunningServer, accept: str | bytes
) -> None:
    for path in MALFORMED_PATHS:
        response = server.fetch(path, {"Accept": accept})
        assert response.status in (200, 301, 303, 400, 404, 406, 410), (path, response.status)
        if response.status >= 400:
            assert len(response.body) < ERROR_BODY_LIMIT, path
            for marker in TRACE_MARKERS:
                assert marker not in response.text, (path, marker)
    negotiated = server.fetch(f"/doc/{PERSON}", {"Accept": accept})
    assert negotiated.status in (400, 406) or negotiated.media_type == HTML.media_type
