"""The static site (``publisher.site.static``) served by a real nginx with njs, started here with
the configuration ``publisher.site.nginx`` generates.

The site is written from the server tests' release (``server_fixtures``: the fixture data with
``person/rachmaninoff`` renamed and ``person/bunin`` withdrawn). nginx must answer as
``emigre serve`` does: the Accept table of ``test_conneg.py``, randomly mutated headers, and a
side-by-side comparison with the Python server on the same requests. Then what nginx adds or
must refuse: ETag/304, CORS, Vary, Link, path traversal (a sentinel file next to the site must
never be served), malformed requests never answered 500.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
import server_fixtures
from server_fixtures import (
    RENAMED,
    WITHDRAWN,
    Response,
    RunningServer,
    free_port,
    stop_server,
)
from test_conneg import FIREFOX, TABLE, Row

from publisher import iris
from publisher.build import read_manifest
from publisher.catalog import Catalog
from publisher.errors import BuildError
from publisher.formats import ALL_FORMATS, FORMATS_BY_NAME, HTML, RDF_FORMATS, TURTLE, Format
from publisher.server.conneg import (
    AcceptError,
    format_from_query,
    negotiate,
    vary_and_alternates,
)
from publisher.server.documents import DocumentRenderer
from publisher.site import nginx, pages, static
from publisher.site.context import PageContext

# Shared session fixtures (see server_fixtures): the release and the Python server.
release_dist = server_fixtures.release_dist
server = server_fixtures.server

#: Places Debian, Fedora and nginx.org install njs.
JS_MODULES = (
    "/usr/lib/nginx/modules/ngx_http_js_module.so",
    "/usr/lib64/nginx/modules/ngx_http_js_module.so",
    "/usr/share/nginx/modules/ngx_http_js_module.so",
    "/etc/nginx/modules/ngx_http_js_module.so",
)
SENTINEL = "sentinel-outside-the-site-7f3a9c"
RECORD = "/doc/person/balagov"
IDENTIFIER = "/id/person/balagov"

#: Rows of the shared table the servers can answer: they negotiate with HTML as the default
#: and prefer HTML for browsers, the only settings a URL can have.
SERVER_ROWS = [row for row in TABLE if row.default == "html" and row.prefer_html_for_browsers]


# --- The site and nginx -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def static_site(release_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release written as a static site, with a sentinel file beside it."""
    root = tmp_path_factory.mktemp("static")
    (root / "sentinel.txt").write_text(SENTINEL, "utf-8")
    (root / "secret").mkdir()
    (root / "secret" / "index.html").write_text(SENTINEL, "utf-8")
    _write_site(release_dist, root / "site")
    return root / "site"


def _write_site(dist: Path, out: Path, workers: int = 1) -> list[Path]:
    base = str(read_manifest(dist)["base_iri"])
    catalog = Catalog.open(dist, base)
    ctx = PageContext(base=base, dist_dir=dist)
    return static.write_static_site(catalog, DocumentRenderer(catalog), out, ctx, workers=workers)


def _js_module() -> str | None:
    return next((path for path in JS_MODULES if Path(path).is_file()), None)


@pytest.fixture(scope="session")
def nginx_site(
    static_site: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """nginx on 127.0.0.1 serving ``static_site`` with a generated whole nginx.conf."""
    module = _js_module()
    if shutil.which("nginx") is None or module is None:
        pytest.skip("nginx with njs is not installed (.ci/install installs both)")
    runtime = tmp_path_factory.mktemp("nginx")
    lifecycle = json.loads((static_site / "lifecycle.json").read_text("utf-8"))
    port = free_port()
    conf = nginx.render_nginx_conf(
        static_site,
        f"127.0.0.1:{port}",
        lifecycle,
        runtime_dir=runtime,
        js_module=module,
        # Started by root, workers would run as nobody, who cannot enter pytest's directories.
        user="root" if os.geteuid() == 0 else None,
    )
    (runtime / "nginx.conf").write_text(conf, "utf-8")
    log = runtime / "error.log"
    process = subprocess.Popen(
        ["nginx", "-p", str(runtime), "-c", str(runtime / "nginx.conf"), "-e", str(log)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    running = RunningServer(port, static_site, process, log)
    robots = (static_site / "robots.txt").read_bytes()
    deadline = time.monotonic() + 10
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if running.fetch("/robots.txt", timeout=2).body == robots:
                break
        except OSError:
            time.sleep(0.05)
    else:
        stop_server(running)
        pytest.fail(
            f"nginx did not start:\n{log.read_text('utf-8', 'replace') if log.exists() else ''}"
        )
    yield running
    stop_server(running)
    errors = [
        line for line in running.log().splitlines() if "js exception" in line or "emigre" in line
    ]
    assert not errors, "\n".join(errors)


def _accept(value: str | None) -> dict[str, str]:
    return {} if value is None else {"Accept": value}


def _expected_status(row: Row) -> int:
    if row.expected is AcceptError:
        return 400
    return 406 if row.expected is None else 200


# --- The files ----------------------------------------------------------------------------------


def test_every_record_has_every_format(static_site: Path, release_dist: Path) -> None:
    catalog = Catalog.open(release_dist, str(read_manifest(release_dist)["base_iri"]))
    records = [iri for kind in iris.ENTITY_KINDS for iri, _ in catalog.records(kind)]
    assert len(records) > 30
    for iri in records:
        kind, slug = iris.split_entity_iri(catalog.base, iri) or ("", "")
        for fmt in ALL_FORMATS:
            assert (static_site / "doc" / kind / f"{slug}.{fmt.extension}").is_file(), iri
    ttl = (static_site / "doc" / "person" / "balagov.ttl").read_bytes()
    document = DocumentRenderer(catalog).render(catalog.iri("person", "balagov"), TURTLE)
    assert document is not None and ttl == document.body
    withdrawn_kind, withdrawn_slug = WITHDRAWN.split("/")
    assert not list((static_site / "doc" / withdrawn_kind).glob(f"{withdrawn_slug}.*"))


def test_pages_are_those_of_the_pages_module(static_site: Path, release_dist: Path) -> None:
    """Every page ``pages.iter_pages`` lists (search aside) is a file: the site misses none."""
    base = str(read_manifest(release_dist)["base_iri"])
    catalog = Catalog.open(release_dist, base)
    ctx = PageContext(base=base, dist_dir=release_dist)
    expected = {url for url, _ in pages.iter_pages(catalog, ctx) if url != iris.search_url("/")}
    written = {
        "/" + str(path.relative_to(static_site)).removesuffix(".html").removesuffix("index")
        for path in static_site.rglob("*.html")
        if path.parts[len(static_site.parts)] != "errors"
    }
    assert written == expected


def test_sitemap_robots_void_and_downloads(static_site: Path, release_dist: Path) -> None:
    sitemap = (static_site / "sitemap.xml").read_text("utf-8")
    urls = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert "https://w3id.org/emigre/doc/person/balagov" in urls
    assert "https://w3id.org/emigre/browse/destination/georgia" in urls
    assert "https://w3id.org/emigre/" in urls
    assert (
        len(urls)
        == len(set(urls))
        == len(list(static_site.rglob("*.html")))
        - len(list((static_site / "errors").glob("*.html")))
    )
    robots = (static_site / "robots.txt").read_text("utf-8")
    assert "Sitemap: https://w3id.org/emigre/sitemap.xml" in robots
    assert (static_site / ".well-known" / "void").read_bytes() == (
        release_dist / "void.ttl"
    ).read_bytes()
    for line in (release_dist / "SHA256SUMS").read_text("utf-8").splitlines():
        name = line.split()[1]
        linked = static_site / "dumps" / name
        assert linked.stat().st_ino == (release_dist / name).stat().st_ino, "a hard link"
    assert (static_site / "lifecycle.json").read_bytes() == (
        release_dist / "lifecycle.json"
    ).read_bytes()
    assert (static_site / "context.jsonld").is_file()
    assert (static_site / "static" / "style.css").is_file()


def test_sitemap_is_split_beyond_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(static, "SITEMAP_LIMIT", 2)
    files = static.SiteFiles(tmp_path)
    static._write_sitemaps("https://example.org/", ["", "a", "b", "c", "d"], files)
    index = (tmp_path / "sitemap.xml").read_text("utf-8")
    assert re.findall(r"<loc>([^<]+)</loc>", index) == [
        f"https://example.org/sitemap-{n}.xml" for n in (1, 2, 3)
    ]
    assert "https://example.org/d" in (tmp_path / "sitemap-3.xml").read_text("utf-8")


def test_owner_map_is_the_servers_owner_lookup(static_site: Path, release_dist: Path) -> None:
    catalog = Catalog.open(release_dist, str(read_manifest(release_dist)["base_iri"]))
    text = (static_site / "nginx" / "owners.conf").read_text("utf-8")
    entries = dict(re.findall(r"^    ([a-z]+/[a-z0-9-]+) ([a-z]+/[a-z0-9-]+);$", text, re.M))
    nodes = [iri for kind in iris.NODE_KINDS for iri, _ in catalog.records(kind)]
    assert len(nodes) > 20 and len(entries) == len(nodes)
    for node in nodes:
        kind, slug = iris.split_entity_iri(catalog.base, node) or ("", "")
        owner = catalog.record_of(node)
        assert owner is not None
        assert entries[f"{kind}/{slug}"] == "/".join(
            iris.split_entity_iri(catalog.base, owner) or ()
        )
    assert entries["claim/balagov-birth-date-enwiki"] == "person/balagov"


def test_output_is_deterministic_with_workers(
    static_site: Path, release_dist: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Written again by two worker processes, every file has the same bytes (but nginx.conf,
    which names the directory it serves)."""
    monkeypatch.setattr(static, "PARALLEL_MIN_RECORDS", 0)
    written = _write_site(release_dist, tmp_path / "site", workers=2)
    again = {str(p.relative_to(tmp_path / "site")): p.read_bytes() for p in written}
    first = {
        str(p.relative_to(static_site)): p.read_bytes()
        for p in static_site.rglob("*")
        if p.is_file()
    }
    assert again.keys() == first.keys()
    assert [name for name in again if again[name] != first[name]] == ["nginx.conf"]


def test_refuses_a_directory_that_is_not_empty(release_dist: Path, tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "old.html").write_text("old", "utf-8")
    with pytest.raises(BuildError, match="new or empty"):
        _write_site(release_dist, tmp_path / "site")


def test_site_configuration_is_an_include(static_site: Path) -> None:
    conf = (static_site / "nginx.conf").read_text("utf-8")
    directives = [line.strip() for line in conf.splitlines() if not line.lstrip().startswith("#")]
    assert not [d for d in directives if d.startswith(("daemon", "http {", "load_module", "pid"))]
    assert f'root "{static_site.resolve()}";' in conf
    assert f'include "{static_site.resolve()}/nginx/owners.conf";' in conf


@pytest.mark.slow
def test_site_configuration_passes_nginx_t(static_site: Path, tmp_path: Path) -> None:
    """The include the build writes, inside a library's own nginx.conf, is valid for nginx."""
    module = _js_module()
    if shutil.which("nginx") is None or module is None:
        pytest.skip("nginx with njs is not installed (.ci/install installs both)")
    main = tmp_path / "nginx.conf"
    main.write_text(
        f'load_module "{module}";\n'
        f'pid "{tmp_path}/nginx.pid";\n'
        "events {}\n"
        "http {\n"
        f'    include "{static_site.resolve()}/nginx.conf";\n'
        "    map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n"
        "}\n",
        "utf-8",
    )
    completed = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(main), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "[warn]" not in completed.stderr, completed.stderr


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: nginx.render_nginx_conf(Path("site"), "80", {}), "absolute path"),
        (lambda: nginx.render_nginx_conf(Path("/srv/$x"), "80", {}), "absolute path"),
        (lambda: nginx.render_nginx_conf(Path("/srv"), "80; evil", {}), "plain nginx"),
        (
            lambda: nginx.render_nginx_conf(Path("/srv"), "80", {"withdrawn": {"a/b;c": {}}}),
            "not a reference",
        ),
        (lambda: nginx.render_owner_map({"claim/x": "person/y z"}), "not a reference"),
    ],
)
def test_configuration_refuses_unsafe_values(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_conneg_js_tables_come_from_the_formats_table() -> None:
    source = nginx.render_conneg_js()
    match = re.search(r"^var TABLES = (\{.*\});$", source, re.M)
    assert match is not None
    tables = json.loads(match.group(1))
    assert [f["name"] for f in tables["formats"]] == [f.name for f in ALL_FORMATS]
    assert tables["default"] == HTML.name
    assert "text/n3" in tables["rdf_media_types"]


# --- conneg.js against conneg.py, without nginx -----------------------------------------------

NODE_DRIVER = """
import { readFileSync } from "node:fs";
import conneg from "./conneg.mjs";
const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
const answer = (run) => {
    try {
        const chosen = run();
        return chosen === null ? null : chosen.name;
    } catch (error) {
        if (error instanceof conneg.AcceptError) return "!";
        throw error;
    }
};
console.log(JSON.stringify({
    negotiate: cases.negotiate.map(([a, d, p]) => answer(() => conneg.negotiate(a, d, p))),
    query: cases.query.map((value) => answer(() => conneg.formatFromQuery(value))),
}));
"""


def _random_headers(count: int, seed: int) -> list[str]:
    """Headers built from media-range-like pieces: types, wildcards, parameters, q-values."""
    rng = random.Random(seed)
    types = ["text", "application", "image", "*", "TEXT", "x"]
    subtypes = [
        "turtle",
        "html",
        "ld+json",
        "rdf+xml",
        "n-triples",
        "xml",
        "json",
        "*",
        "xhtml+xml",
    ]
    subtypes += ["x-turtle", "n3", "trig", "plain", "png"]
    params = ["charset=utf-8", "charset=UTF8", "charset=latin1", 'charset="utf-8"', "level=1"]
    params += ['profile="a,b"', "q=0", "q=1", "q=0.5", "q=.2", "q=1.000", "q=0.001", "q=0.0"]
    headers = []
    for _ in range(count):
        ranges = []
        for _ in range(rng.randint(1, 6)):
            text = f"{rng.choice(types)}/{rng.choice(subtypes)}"
            for _ in range(rng.randint(0, 2)):
                text += rng.choice([";", "; ", " ;"]) + rng.choice(params)
            ranges.append(text)
        headers.append(rng.choice([",", ", ", " , "]).join(ranges))
    return headers


def _python_answer(run: Callable[[], Format | None]) -> str | None:
    try:
        chosen = run()
    except AcceptError:
        return "!"
    return None if chosen is None else str(chosen.name)


def test_conneg_js_gives_the_answers_of_conneg_py(tmp_path: Path) -> None:
    """The njs module run by Node.js on the shared table, with every default, and on thousands
    of generated and mutated headers: the same format, 406 or malformed as conneg.py."""
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed (.ci/install uses it for jsonld.js)")
    (tmp_path / "conneg.mjs").write_text(nginx.render_conneg_js(), "utf-8")
    (tmp_path / "driver.mjs").write_text(NODE_DRIVER, "utf-8")
    headers: list[str | None] = [row.accept for row in TABLE]
    headers += _random_headers(3000, seed=1) + _mutated_headers(3000, seed=2)
    negotiate_cases = [(h, d, p) for h in headers for d, p in (("html", True), ("turtle", True))]
    negotiate_cases += [(row.accept, row.default, row.prefer_html_for_browsers) for row in TABLE]
    query_cases = ["ttl", "TTL", " json-ld ", "xml", "text/turtle", "trig", "", "constructor"]
    query_cases += ["\x1fnt", "\ufeffnt", "\u00a0rdf", "application/LD+JSON", "__proto__"]
    (tmp_path / "cases.json").write_text(
        json.dumps({"negotiate": negotiate_cases, "query": query_cases}), "utf-8"
    )
    completed = subprocess.run(
        ["node", "driver.mjs", "cases.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    answers = json.loads(completed.stdout)
    expected = [
        _python_answer(
            partial(negotiate, h, default=FORMATS_BY_NAME[d], prefer_html_for_browsers=p)
        )
        for h, d, p in negotiate_cases
    ]
    mismatches = [
        (case, js, py)
        for case, js, py in zip(negotiate_cases, answers["negotiate"], expected, strict=True)
        if js != py
    ]
    assert not mismatches, mismatches[:10]
    expected_query = [_python_answer(partial(format_from_query, v)) for v in query_cases]
    assert answers["query"] == expected_query


# --- nginx: the negotiation table -----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("row", SERVER_ROWS, ids=[row.id for row in SERVER_ROWS])
def test_negotiation_table(nginx_site: RunningServer, row: Row) -> None:
    document = nginx_site.fetch(RECORD, _accept(row.accept))
    identifier = nginx_site.fetch(IDENTIFIER, _accept(row.accept))
    status = _expected_status(row)
    assert document.status == status, document.text[:300]
    if status != 200:
        assert identifier.status == status
        return
    fmt = FORMATS_BY_NAME[str(row.expected)]
    assert document.media_type == fmt.media_type
    assert document.headers["Content-Location"] == f"{RECORD}.{fmt.extension}"
    assert document.body == (nginx_site.dist_dir / f"{RECORD[1:]}.{fmt.extension}").read_bytes()
    assert identifier.status == 303
    assert identifier.headers["Location"] == f"{RECORD}.{fmt.extension}"


def _mutated_headers(count: int, seed: int) -> list[str]:
    """Real headers with characters inserted, deleted and replaced (as test_conneg's fuzz)."""
    rng = random.Random(seed)
    seeds = [row.accept for row in TABLE if row.accept and len(row.accept) < 1000]
    alphabet = ' \t,;=/*"\\q0.1é\x00'
    headers = []
    for _ in range(count):
        chars = list(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(len(chars) + 1)
            action = rng.choice(("insert", "delete", "replace"))
            if action == "insert":
                chars.insert(position, rng.choice(alphabet))
            elif position < len(chars):
                if action == "delete":
                    del chars[position]
                else:
                    chars[position] = rng.choice(alphabet)
        headers.append("".join(chars))
    return headers


@pytest.mark.slow
def test_mutated_headers_get_the_answer_of_conneg(nginx_site: RunningServer) -> None:
    """400 exactly when conneg.py finds the header malformed, else its choice; never a 500."""
    for header in _mutated_headers(400, seed=9110):
        try:
            chosen = negotiate(header.strip(" \t"))
            expected = 406 if chosen is None else 303
        except AcceptError:
            chosen, expected = None, 400
        response = nginx_site.fetch(IDENTIFIER, {"Accept": header})
        assert response.status == expected, repr(header)
        if chosen is not None:
            assert response.headers["Location"] == f"{RECORD}.{chosen.extension}", repr(header)


# --- nginx and the Python server, side by side ------------------------------------------------

SIDE_BY_SIDE_PATHS = [
    "/",
    IDENTIFIER,
    RECORD,
    f"{RECORD}.ttl",
    f"{RECORD}.html",
    "/id/emigration/balagov-2022",
    "/id/claim/balagov-birth-date-enwiki",
    "/id/citation/claim-balagov-birth-date-enwiki-1",
    "/id/place/georgia?format=json-ld",
    f"{IDENTIFIER}?format=xml",
    f"{IDENTIFIER}?format=trig",
    f"{IDENTIFIER}?format=",
    f"{RECORD}?format=nt",
    f"{RECORD}.nt?format=ttl",
    f"/id/{RENAMED[0]}",
    f"/doc/{RENAMED[0]}",
    f"/doc/{RENAMED[0]}.jsonld",
    f"/id/{WITHDRAWN}",
    f"/doc/{WITHDRAWN}",
    f"/doc/{WITHDRAWN}.ttl",
    "/id/person/nobody",
    "/doc/person/nobody",
    "/doc/person/nobody.ttl",
    "/doc/emigration/balagov-2022",
    "/id/PERSON/balagov",
    f"{RECORD}.TTL",
    f"{RECORD}.trig",
    "/id/dataset/x",
    "/browse/person",
    "/browse/destination/georgia",
    "/browse/nowhere",
    "/.well-known/void",
    "/dumps/emigre.ttl.gz",
    "/dumps/nothing.ttl",
    "/static/style.css",
]
SIDE_BY_SIDE_ACCEPTS: list[str | None] = [
    None,
    "",
    "*/*",
    FIREFOX,
    "text/turtle",
    "application/ld+json",
    "application/rdf+xml, text/turtle;q=0.9, */*;q=0.1",
    "application/n-triples",
    "text/html;q=0, */*",
    "image/png",
    "text/html;q=abc",
    "text/",
]


def _comparable(response: Response, path: str) -> dict[str, object]:
    headers = response.headers
    seen: dict[str, object] = {
        "status": response.status,
        "type": response.media_type if response.status != 303 and response.status != 301 else "",
        "Location": headers.get("Location"),
        "Content-Location": headers.get("Content-Location"),
        "Link": headers.get("Link"),
        "Vary": headers.get("Vary"),
        "Access-Control-Allow-Origin": headers.get("Access-Control-Allow-Origin"),
    }
    if response.status == 200 and path.startswith("/doc/"):
        seen["body"] = response.body
    return seen


@pytest.mark.slow
@pytest.mark.parametrize("path", SIDE_BY_SIDE_PATHS)
def test_same_answers_as_the_python_server(
    nginx_site: RunningServer, server: RunningServer, path: str
) -> None:
    for accept in SIDE_BY_SIDE_ACCEPTS:
        ours = _comparable(nginx_site.fetch(path, _accept(accept)), path)
        theirs = _comparable(server.fetch(path, _accept(accept)), path)
        assert ours == theirs, f"Accept: {accept!r}"


# --- nginx: what a static host adds or refuses -------------------------------------------------


@pytest.mark.slow
def test_minted_nodes_go_to_their_records_document(nginx_site: RunningServer) -> None:
    html = nginx_site.fetch("/id/emigration/balagov-2022", {"Accept": FIREFOX})
    assert html.status == 303
    assert html.headers["Location"] == f"{RECORD}.html#emigration-balagov-2022"
    turtle = nginx_site.fetch(
        "/id/citation/claim-balagov-birth-date-enwiki-1", {"Accept": "text/turtle"}
    )
    assert turtle.headers["Location"] == f"{RECORD}.ttl"
    assert nginx_site.fetch("/id/emigration/balagov-1900").status == 404


@pytest.mark.slow
@pytest.mark.parametrize("path", [f"{RECORD}.ttl", RECORD, "/", "/.well-known/void"])
def test_etag_and_not_modified(nginx_site: RunningServer, path: str) -> None:
    first = nginx_site.fetch(path, {"Accept": "text/turtle"} if path == RECORD else {})
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.status == 200 and etag and modified
    for conditional in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
        headers = {"Accept": "text/turtle"} if path == RECORD else {}
        again = nginx_site.fetch(path, {**headers, **conditional})
        assert again.status == 304 and again.body == b""
        assert again.headers["ETag"] == etag
        assert again.headers["Vary"] == "Accept"
        assert again.headers["Access-Control-Allow-Origin"] == "*"
    changed = nginx_site.fetch(path, {"If-None-Match": '"something-else"'})
    assert changed.status == 200


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "accept", "status"),
    [
        (RECORD, FIREFOX, 200),
        (IDENTIFIER, "text/turtle", 303),
        (f"/id/{RENAMED[0]}", None, 301),
        ("/id/person/nobody", None, 404),
        (RECORD, "image/png", 406),
        (RECORD, "text/html;q=abc", 400),
        (f"/doc/{WITHDRAWN}", "text/turtle", 410),
        ("/search", None, 404),
    ],
)
def test_cors_and_vary_on_every_answer(
    nginx_site: RunningServer, path: str, accept: str | None, status: int
) -> None:
    response = nginx_site.fetch(path, _accept(accept))
    assert response.status == status
    assert response.headers["Vary"] == "Accept"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Access-Control-Allow-Methods" not in response.headers
    assert response.headers.get("Server") == "nginx", "no version"


@pytest.mark.slow
def test_cors_preflight(nginx_site: RunningServer) -> None:
    response = nginx_site.fetch(RECORD, {"Origin": "https://example.org"}, method="OPTIONS")
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "Accept" in response.headers["Access-Control-Allow-Headers"]


@pytest.mark.slow
def test_link_alternates(nginx_site: RunningServer) -> None:
    for path, accept, fmt in [(f"{RECORD}.ttl", None, TURTLE), (RECORD, FIREFOX, HTML)]:
        response = nginx_site.fetch(path, _accept(accept))
        assert response.headers["Link"] == ", ".join(vary_and_alternates(RECORD, fmt))
    for fmt in RDF_FORMATS:
        response = nginx_site.fetch(f"{RECORD}.{fmt.extension}")
        assert response.headers["Content-Type"].split(";")[0] == fmt.media_type
        assert "Content-Location" not in response.headers


@pytest.mark.slow
def test_renamed_and_withdrawn(nginx_site: RunningServer) -> None:
    old, new = RENAMED
    cases = {
        f"/id/{old}": f"/id/{new}",
        f"/doc/{old}": f"/doc/{new}",
        f"/doc/{old}.rdf": f"/doc/{new}.rdf",
    }
    for path, location in cases.items():
        response = nginx_site.fetch(path, {"Accept": "text/turtle;q=abc"})
        assert (response.status, response.headers["Location"]) == (301, location)
    for path in (f"/id/{WITHDRAWN}", f"/doc/{WITHDRAWN}", f"/doc/{WITHDRAWN}.html"):
        response = nginx_site.fetch(path, {"Accept": FIREFOX})
        assert response.status == 410
        assert response.media_type == "text/html" and "withdrawn" in response.text


@pytest.mark.slow
def test_discovery_files_and_pages(nginx_site: RunningServer) -> None:
    expected_types = {
        "/": "text/html; charset=utf-8",
        "/browse/person": "text/html; charset=utf-8",
        "/.well-known/void": "text/turtle; charset=utf-8",
        "/void.ttl": "text/turtle; charset=utf-8",
        "/sitemap.xml": "application/xml",
        "/robots.txt": "text/plain; charset=utf-8",
        "/static/style.css": "text/css; charset=utf-8",
        "/context.jsonld": "application/ld+json",
        "/lifecycle.json": "application/json",
        "/SHA256SUMS": "text/plain; charset=utf-8",
        "/dumps/emigre.ttl.gz": "application/gzip",
        "/dumps/emigre.nt": "application/n-triples",
    }
    for path, content_type in expected_types.items():
        response = nginx_site.fetch(path)
        assert (response.status, response.headers["Content-Type"]) == (200, content_type), path
    landing = nginx_site.fetch("/", {"Accept": "text/turtle"})
    assert (landing.status, landing.headers["Location"]) == (303, "/.well-known/void")


@pytest.mark.slow
def test_dynamic_only_paths_say_so(nginx_site: RunningServer) -> None:
    page = nginx_site.fetch("/search?q=balagov", {"Accept": FIREFOX})
    assert page.status == 404 and "emigre serve" in page.text
    data = nginx_site.fetch(
        "/sparql?query=ASK%7B%7D", {"Accept": "application/sparql-results+json"}
    )
    assert data.status == 404 and data.media_type == "application/json"
    assert "emigre serve" in json.loads(data.body)["message"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "text/html"),
        (FIREFOX, "text/html"),
        ("text/turtle", "application/json"),
        ("x", "application/json"),
    ],
)
def test_error_bodies_follow_accept(
    nginx_site: RunningServer, accept: str | None, media_type: str
) -> None:
    response = nginx_site.fetch("/doc/person/nobody", _accept(accept))
    assert (response.status, response.media_type) == (404, media_type)
    assert len(response.body) < 4000


@pytest.mark.slow
def test_only_get_and_head(nginx_site: RunningServer) -> None:
    assert nginx_site.fetch(RECORD, method="POST", body=b"x").status == 405
    assert nginx_site.fetch(IDENTIFIER, method="DELETE").status == 405
    head = nginx_site.fetch(f"{RECORD}.ttl", method="HEAD")
    assert head.status == 200 and head.body == b""


TRAVERSALS = [
    "/../sentinel.txt",
    "/../../sentinel.txt",
    "/doc/../../sentinel.txt",
    "/doc/person/../../../sentinel.txt",
    "/%2e%2e/sentinel.txt",
    "/%2E%2E/sentinel.txt",
    "/doc/%2e%2e/%2e%2e/sentinel.txt",
    "/.%2e/sentinel.txt",
    "/%2e%2e%2fsentinel.txt",
    "/..%2fsentinel.txt",
    "/..%5csentinel.txt",
    "/static/..%5c..%5csentinel.txt",
    "/..\\sentinel.txt",
    "/static/%00",
    "/sentinel.txt%00.html",
    f"{RECORD}%00.ttl",
    "/%252e%252e/sentinel.txt",
    "/..;/sentinel.txt",
    "//../sentinel.txt",
    "/./../secret/",
    "/../secret/index.html",
    "/../secret",
    "/id/../../sentinel.txt",
    "/id/person/..%2f..%2f..%2fsentinel",
    "/doc/person/..%2f..%2f..%2fsentinel.txt",
    "/browse/%2e%2e/%2e%2e/secret/index",
    "sentinel.txt",
    "../sentinel.txt",
]


@pytest.mark.slow
@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_never_leaves_the_site(nginx_site: RunningServer, path: str) -> None:
    response = nginx_site.fetch(path)
    assert response.status in (400, 404), response.status
    assert SENTINEL.encode() not in response.body


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    ["/nginx.conf", "/nginx/conneg.js", "/nginx/owners.conf", "/errors/404.html", "/errors/"],
)
def test_configuration_and_error_files_are_not_served(nginx_site: RunningServer, path: str) -> None:
    response = nginx_site.fetch(path)
    assert response.status == 404
    assert b"emigre_" not in response.body


@pytest.mark.slow
@pytest.mark.parametrize(
    "accept",
    [
        b"text/html\xff",
        b"\xef\xbb\xbftext/turtle",
        b'text/turtle;q="',
        b"*/*;q=0.5;q=0.6",
        b"text/turtle, " * 300,
        b";" * 4000,
        b"a" * 9000,
        b"text/html;q=" + b"9" * 100,
        b"*/" * 50,
        b'"' * 100,
    ],
)
def test_malformed_accept_is_never_a_server_error(nginx_site: RunningServer, accept: bytes) -> None:
    for path in (IDENTIFIER, RECORD, "/", f"{RECORD}.ttl", "/nope"):
        response = nginx_site.fetch(path, {"Accept": accept})
        assert response.status in (200, 303, 400, 404, 406), (path, response.status)
