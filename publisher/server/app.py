"""The web application: Linked Data documents, pages, dumps and discovery files over HTTP.

The only module that knows the web framework (Starlette, served by uvicorn). Everything it answers
is decided by framework-free modules: ``conneg`` (which format), ``http`` (statuses, headers,
error bodies), ``documents`` (RDF bodies), ``publisher.site.pages`` (HTML).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from publisher import changes, heap, iris, oai
from publisher.build import read_manifest
from publisher.catalog import MINTED_KINDS, Catalog
from publisher.checksums import read_checksums
from publisher.formats import HTML, RDF_FORMATS, Format
from publisher.iris import ENTITY_KINDS, SLUG_PATTERN
from publisher.reconcile import ReconcileEndpoint, ReconciliationService, entity_index
from publisher.server import conneg, sparql_limits
from publisher.server import sparql as sparql_engine
from publisher.server.documents import DocumentRenderer, etag_of
from publisher.server.http import (
    COMMON_HEADERS,
    CORS_PREFLIGHT_HEADERS,
    content_type,
    error_body,
    http_date,
    not_modified,
)
from publisher.site import pages, query_page

#: Files of ``dist/`` served at the top level, with their media types.
TOP_LEVEL_FILES = {
    "void.ttl": "text/turtle; charset=utf-8",
    "dcat.ttl": "text/turtle; charset=utf-8",
    "dataset.jsonld": "application/ld+json",
    "context.jsonld": "application/ld+json",
    "stats.json": "application/json",
    "lifecycle.json": "application/json",
    "SHA256SUMS": "text/plain; charset=utf-8",
}
_KINDS = set(ENTITY_KINDS) | set(MINTED_KINDS) | {"citation"}
#: A page number of a browse list as its URLs write it (no sign, no leading zero).
_PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,8}")


@dataclass(frozen=True)
class ServerSettings:
    """What ``emigre serve`` is configured with."""

    dist_dir: Path = Path("dist")
    #: Seconds a SPARQL query may run.
    query_timeout: float = 10.0
    #: Rows a SPARQL result may have.
    max_rows: int = 10_000
    #: Queries that may run at once.
    max_concurrent_queries: int = 0
    #: Largest request body accepted (bytes).
    max_request_bytes: int = 64 * 1024
    #: The OAI-PMH provider at /oai (page size, repository id, admin e-mail).
    oai_settings: oai.OaiSettings = field(default_factory=oai.OaiSettings)
    extra: dict[str, Any] = field(default_factory=dict)


class Site:
    """The state behind the routes: the catalog, rendered documents and pages."""

    def __init__(self, settings: ServerSettings) -> None:
        manifest = read_manifest(settings.dist_dir)
        self.settings = settings
        self.base = str(manifest["base_iri"])
        self.catalog = Catalog.open(settings.dist_dir, self.base)
        self.documents = DocumentRenderer(self.catalog)
        # Built now, not on the first query: the reconciliation service and the search page.
        self.reconcile = ReconcileEndpoint(
            ReconciliationService(entity_index(self.catalog)), settings.max_request_bytes
        )
        self.oai = oai.OaiRepository.open(settings.dist_dir, self.catalog, settings.oai_settings)
        self.last_modified = (settings.dist_dir / "emigre.nt").stat().st_mtime
        self.page_context = pages.PageContext(
            base=self.base, url_prefix="", dist_dir=settings.dist_dir
        )
        lifecycle = json.loads((settings.dist_dir / "lifecycle.json").read_text("utf-8"))
        self.renamed: dict[str, str] = {k: v["to"] for k, v in lifecycle["renamed"].items()}
        self.withdrawn: set[str] = set(lifecycle["withdrawn"])
        self.dump_files = set(read_checksums(settings.dist_dir))
        self._pages: dict[str, tuple[bytes, str]] = {}
        self.sparql = sparql_engine.SparqlService(
            settings.dist_dir / "emigre.nt",
            sparql_limits.SparqlSettings(
                query_timeout=settings.query_timeout,
                max_rows=settings.max_rows,
                max_request_bytes=settings.max_request_bytes,
                max_concurrent_queries=settings.max_concurrent_queries,
                # Dataset parameters naming a graph we do not hold give an empty graph (never a
                # fetch), as the W3C protocol tests expect; FROM in the query text is refused.
                refuse_unknown_dataset_params=False,
            ),
        )

    def page(self, key: str, render: Any) -> tuple[bytes, str]:
        """An HTML page rendered once (the data does not change while serving)."""
        cached = self._pages.get(key)
        if cached is None:
            body = render().encode("utf-8")
            cached = self._pages[key] = (body, etag_of(body))
        return cached


def _headers(extra: dict[str, str] | None = None) -> dict[str, str]:
    headers = dict(COMMON_HEADERS)
    if extra:
        headers.update(extra)
    return headers


def _error(request: Request, status: int, message: str, **headers: str) -> Response:
    body = error_body(status, message, request.headers.get("accept"), headers)
    return Response(body.body, status, _headers(body.headers), media_type=body.media_type)


def _conditional(
    request: Request, site: Site, body: bytes, etag: str, media: str, extra: dict[str, str]
) -> Response:
    headers = _headers(
        {
            "ETag": etag,
            "Last-Modified": http_date(site.last_modified),
            "Cache-Control": "public, max-age=300",
            **extra,
        }
    )
    if not_modified(
        request.headers.get("if-none-match"),
        request.headers.get("if-modified-since"),
        etag,
        site.last_modified,
    ):
        return Response(status_code=304, headers=headers)
    return Response(body, 200, headers, media_type=media)


def _negotiate(request: Request, default: Format) -> Format | str | None:
    """The format a request asks for: ?format= wins over Accept. A str is an error message."""
    requested = request.query_params.get("format")
    if requested is not None:
        fmt = conneg.format_from_query(requested)
        return fmt if fmt is not None else f"unknown format {requested!r}"
    try:
        return conneg.negotiate(request.headers.get("accept"), default=default)
    except conneg.AcceptError as error:
        return f"malformed Accept header: {error}"


def _record_path(kind: str, slug: str) -> str:
    return f"/doc/{kind}/{slug}"


def _available() -> str:
    return ", ".join(fmt.media_type for fmt in (HTML, *RDF_FORMATS))


async def identifier(request: Request) -> Response:
    """``/id/{kind}/{slug}``: 303 See Other to the document in the negotiated format."""
    site: Site = request.app.state.site
    kind, slug = request.path_params["kind"], request.path_params["slug"]
    if kind not in _KINDS or not SLUG_PATTERN.match(slug):
        return _error(request, 404, "No such identifier.")
    ref = f"{kind}/{slug}"
    if ref in site.withdrawn:
        return _error(request, 410, f"{ref} was withdrawn from the dataset.")
    if ref in site.renamed:
        return Response(status_code=301, headers=_headers({"Location": f"/id/{site.renamed[ref]}"}))
    iri = iris.entity_iri(site.base, kind, slug)
    owner = site.catalog.record_of(iri)
    if owner is None:
        return _error(request, 404, f"{ref} is not in the dataset.")
    fmt = _negotiate(request, HTML)
    if isinstance(fmt, str):
        return _error(request, 400, fmt)
    if fmt is None:
        return _error(request, 406, f"Available types: {_available()}.")
    owner_kind, owner_slug = iris.split_entity_iri(site.base, owner) or (kind, slug)
    location = f"{_record_path(owner_kind, owner_slug)}.{fmt.extension}"
    if owner != iri and fmt is HTML:
        location += f"#{kind}-{slug}"
    return Response(status_code=303, headers=_headers({"Location": location}))


async def document(request: Request) -> Response:
    """``/doc/{kind}/{slug}[.ext]``: a record's document (negotiated without an extension)."""
    site: Site = request.app.state.site
    kind, name = request.path_params["kind"], request.path_params["name"]
    slug, dot, extension = name.rpartition(".") if "." in name else (name, "", "")
    explicit = conneg.format_from_extension(name) if dot else None
    if kind not in ENTITY_KINDS or not SLUG_PATTERN.match(slug) or (dot and explicit is None):
        return _error(request, 404, "No such document.")
    ref = f"{kind}/{slug}"
    if ref in site.withdrawn:
        return _error(request, 410, f"{ref} was withdrawn from the dataset.")
    if ref in site.renamed:
        target = _record_path(*site.renamed[ref].split("/", 1)) + (f".{extension}" if dot else "")
        return Response(status_code=301, headers=_headers({"Location": target}))
    iri = iris.entity_iri(site.base, kind, slug)
    if not site.catalog.exists(iri):
        return _error(request, 404, f"{ref} is not in the dataset.")
    fmt: Format | str | None = explicit or _negotiate(request, HTML)
    if isinstance(fmt, str):
        return _error(request, 400, fmt)
    if fmt is None:
        return _error(request, 406, f"Available types: {_available()}.")
    path = _record_path(kind, slug)
    extra = {"Link": ", ".join(conneg.vary_and_alternates(path, fmt))}
    if not dot:
        extra["Content-Location"] = f"{path}.{fmt.extension}"
    if fmt is HTML:
        body, etag = site.page(
            f"entity {iri}", lambda: pages.render_entity_page(site.catalog, site.page_context, iri)
        )
        return _conditional(request, site, body, etag, content_type(HTML), extra)
    rendered = site.documents.render(iri, fmt)
    if rendered is None:
        return _error(request, 404, f"{ref} is not in the dataset.")
    return _conditional(request, site, rendered.body, rendered.etag, content_type(fmt), extra)


async def landing(request: Request) -> Response:
    """``/``: the dataset's landing page; RDF clients are sent to the VoID description."""
    site: Site = request.app.state.site
    fmt = _negotiate(request, HTML)
    if isinstance(fmt, str):
        return _error(request, 400, fmt)
    if fmt is not None and fmt is not HTML:
        return Response(status_code=303, headers=_headers({"Location": "/.well-known/void"}))
    body, etag = site.page(
        "landing", lambda: pages.render_landing_page(site.catalog, site.page_context)
    )
    return _conditional(request, site, body, etag, content_type(HTML), {})


async def browse(request: Request) -> Response:
    """``/browse/{facet}[/{value}][/page/{n}]``: lists by kind, wave or destination, in pages
    (page 1 has no ``/page/1`` URL, as in the static site)."""
    site: Site = request.app.state.site
    facet = request.path_params["facet"]
    value = request.path_params.get("value")
    page_text = request.path_params.get("page", "1")
    if value is not None and not SLUG_PATTERN.match(value):
        return _error(request, 404, "No such page.")
    if not _PAGE_NUMBER.fullmatch(page_text) or (
        page_text == "1" and "page" in request.path_params
    ):
        return _error(request, 404, "No such page.")
    page = int(page_text)
    try:
        body, etag = site.page(
            f"browse {facet} {value} {page}",
            lambda: pages.render_browse_page(site.catalog, site.page_context, facet, value, page),
        )
    except LookupError:
        return _error(request, 404, "No such page.")
    return _conditional(request, site, body, etag, content_type(HTML), {})


async def search(request: Request) -> Response:
    """``/search?q=``: people and other records by any spelling."""
    site: Site = request.app.state.site
    query = request.query_params.get("q", "")[:200]
    body = pages.render_search_page(site.catalog, site.page_context, query).encode("utf-8")
    return Response(
        body, 200, _headers({"Cache-Control": "no-store"}), media_type=content_type(HTML)
    )


async def top_level_file(request: Request) -> Response:
    """Discovery files: VoID (also at ``/.well-known/void``), DCAT, context, checksums."""
    site: Site = request.app.state.site
    name = request.url.path.lstrip("/")
    if name == ".well-known/void":
        name = "void.ttl"
    media = TOP_LEVEL_FILES[name]
    body = (site.settings.dist_dir / name).read_bytes()
    return _conditional(request, site, body, etag_of(body), media, {})


async def dump(request: Request) -> Response:
    """``/dumps/{name}``: the dump files listed in SHA256SUMS, and nothing else."""
    site: Site = request.app.state.site
    name = request.path_params["name"]
    if name not in site.dump_files or "/" in name:
        return _error(request, 404, "No such download.")
    path = site.settings.dist_dir / name
    media = "application/gzip" if name.endswith(".gz") else _dump_media(name)
    return FileResponse(
        path, media_type=media, headers=_headers({"Cache-Control": "public, max-age=300"})
    )


async def change_feed(request: Request) -> Response:
    """The ResourceSync documents of ``dist/resourcesync/`` (``publisher.changes``), and the
    Source Description at ``/.well-known/resourcesync``."""
    site: Site = request.app.state.site
    name = request.path_params.get("name", changes.SOURCE_DESCRIPTION)
    path = site.settings.dist_dir / changes.DIRECTORY / name
    if not changes.FILE_NAME.match(name) or not path.is_file():
        return _error(request, 404, "No such ResourceSync document.")
    body = path.read_bytes()
    return _conditional(request, site, body, etag_of(body), changes.MEDIA_TYPE, {})


def _dump_media(name: str) -> str:
    fmt = conneg.format_from_extension(name)
    return content_type(fmt) if fmt else TOP_LEVEL_FILES.get(name, "application/octet-stream")


async def stylesheet(request: Request) -> Response:
    """``/static/style.css``."""
    site: Site = request.app.state.site
    body = pages.STYLESHEET.read_bytes()
    return _conditional(request, site, body, etag_of(body), "text/css; charset=utf-8", {})


async def robots(request: Request) -> Response:
    """``/robots.txt``: everything may be crawled except query endpoints."""
    text = "User-agent: *\nDisallow: /sparql\nDisallow: /search\nSitemap: /sitemap.xml\n"
    return Response(text, 200, _headers(), media_type="text/plain; charset=utf-8")


async def sparql(request: Request) -> Response:
    """``/sparql``: the SPARQL 1.1 Protocol (read-only, time and size limited).

    A request without a query gets the query page (browsers) or the Service Description (any
    other client); a query from a browser gets the page with the results as a table.
    """
    site: Site = request.app.state.site
    service = site.sparql
    limits = service.limit_headers()
    accept = request.headers.get("accept")
    try:
        sparql_limits.check_content_length(
            request.headers.get("content-length"), site.settings.max_request_bytes
        )
        body = b""
        if request.method == "POST":
            body = await sparql_limits.read_limited_body(
                request.stream(), site.settings.max_request_bytes
            )
        protocol = sparql_limits.parse_protocol_request(
            request.method,
            request.headers.get("content-type"),
            list(request.query_params.multi_items()),
            body,
            max_request_bytes=site.settings.max_request_bytes,
        )
        wants_page = _wants_html(request)
        if protocol is None:
            if wants_page:
                page = _query_page(site, "", None)
                return Response(page, 200, _headers(limits), media_type=content_type(HTML))
            described = _negotiate_among(request, sparql_engine.GRAPH_FORMATS)
            if described is None:
                return _error(request, 406, "Service Description formats: Turtle, JSON-LD ...")
            text = service.service_description(str(request.url.replace(query="")), described)
            data = text if isinstance(text, bytes) else text.encode("utf-8")
            return Response(data, 200, _headers(limits), media_type=content_type(described))
        admitted = service.admit(protocol, base_iri=str(request.url.replace(query="")))
        formats = sparql_engine.result_formats(admitted.form)
        if wants_page:
            result = await service.execute_async(admitted, formats[0])
            page = _query_page(site, protocol.query, result)
            return Response(
                page, 200, _headers({**limits, **result.headers}), media_type=content_type(HTML)
            )
        # SPARQLWrapper repeats format= (a name, then a list of media types): the first value
        # we know wins; values we do not know leave the choice to Accept.
        requested = [
            value.strip()
            for raw in request.query_params.getlist("format")
            for value in raw.split(",")
            if value.strip()
        ]
        known = [
            fmt
            for fmt in (sparql_engine.result_format_from_query(admitted.form, v) for v in requested)
            if fmt is not None
        ]
        fmt = known[0] if known else _negotiate_among(request, formats)
        if fmt is None:
            available = ", ".join(f.media_type for f in formats)
            return _error(request, 406, f"Available types for this query: {available}.", **limits)
        result = await service.execute_async(admitted, fmt)
    except sparql_limits.SparqlError as error:
        if _wants_html(request):
            query_text = request.query_params.get("query", "")
            page = _query_page(site, query_text, None, error=error.message)
            headers = _headers({**limits, **error.headers})
            return Response(page, error.status, headers, media_type=content_type(HTML))
        body_error = error_body(error.status, error.message, accept, {**limits, **error.headers})
        return Response(
            body_error.body,
            error.status,
            _headers(body_error.headers),
            media_type=body_error.media_type,
        )
    except conneg.AcceptError as error:
        return _error(request, 400, f"malformed Accept header: {error}", **limits)
    headers = _headers({**limits, **result.headers, "Cache-Control": "no-store"})
    return Response(result.body, 200, headers, media_type=result.content_type)


def _query_page(site: Site, query: str, answer: Any, error: str | None = None) -> str:
    return query_page.render_query_page(
        site.page_context,
        query,
        answer,
        error=error,
        timeout=site.settings.query_timeout,
        max_rows=site.settings.max_rows,
    )


def _wants_html(request: Request) -> bool:
    """A browser asking (HTML named, ``?format=`` absent): it gets pages, not raw results.

    An empty ``format=`` is absent: the query page's form sends it for "a table on this page".
    """
    if request.query_params.get("format"):
        return False
    try:
        return conneg.negotiate(request.headers.get("accept"), (HTML,), default=HTML) is HTML and (
            "text/html" in (request.headers.get("accept") or "")
        )
    except conneg.AcceptError:
        return False


def _negotiate_among(request: Request, formats: tuple[Format, ...]) -> Format | None:
    return conneg.negotiate(request.headers.get("accept"), formats, default=formats[0])


async def oai_pmh(request: Request) -> Response:
    """``/oai``: the OAI-PMH 2.0 provider (GET, or POST of a form); ``publisher.oai`` answers."""
    site: Site = request.app.state.site
    if site.oai is None:
        return _error(request, 404, "This build has no release.json; OAI-PMH needs one.")
    limit = site.settings.max_request_bytes
    body = b""
    try:
        sparql_limits.check_content_length(request.headers.get("content-length"), limit)
        if request.method == "POST":
            body = await sparql_limits.read_limited_body(request.stream(), limit)
    except sparql_limits.SparqlError as error:
        return _error(request, error.status, error.message)
    http_request = oai.HttpRequest(
        request.method,
        str(request.url.replace(query="", fragment="")),
        list(request.query_params.multi_items()),
        request.headers.get("content-type"),
        body,
    )
    answer = oai.respond(site.oai, http_request)
    return Response(answer, 200, _headers({"Cache-Control": "no-store"}), media_type=oai.MEDIA_TYPE)


async def reconcile(request: Request) -> Response:
    """``/reconcile`` and below: the Reconciliation Service API (0.2, and 1.0-draft under
    ``/reconcile/v1``); ``publisher.reconcile.protocol`` answers."""
    endpoint: ReconcileEndpoint = request.app.state.site.reconcile
    reply = endpoint.refuse_length(request.headers.get("content-length"))
    if reply is None:
        body = await endpoint.read_body(request.stream()) if request.method == "POST" else b""
        reply = endpoint.handle(
            request.method,
            request.path_params.get("rest", ""),
            list(request.query_params.multi_items()),
            request.headers.get("content-type"),
            body,
            str(request.base_url),
        )
    return Response(reply.body, reply.status, _headers(dict(reply.headers)), reply.media_type)


async def preflight(request: Request) -> Response:
    """CORS preflight for any path."""
    return Response(status_code=204, headers=_headers(CORS_PREFLIGHT_HEADERS))


async def not_found(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods: small bodies, never a stack trace."""
    status = getattr(exc, "status_code", 404)
    if request.scope.get("endpoint") is preflight:
        # Only the CORS catch-all (OPTIONS on any path) matched: no route has this path.
        status = 404
    return _error(request, status if status in (404, 405) else 404, "No such page.")


async def server_error(request: Request, exc: Exception) -> Response:
    """Anything unexpected: 500 with a short message; the details go to the log, not the client."""
    return _error(request, 500, "The server could not answer this request.")


def create_app(settings: ServerSettings) -> Starlette:
    """The application for one build directory."""
    # The catalog's lookups, the search and reconciliation indexes: millions of objects that
    # live as long as the server. Frozen out of the cyclic collector, they are not traversed
    # by every full collection, which otherwise stalls requests (p99 of 200 ms at 100,000
    # people, against 28 ms frozen).
    with heap.long_lived():
        site = Site(settings)
    routes = [
        Route("/", landing, methods=["GET"]),
        Route("/id/{kind}/{slug}", identifier, methods=["GET"]),
        Route("/doc/{kind}/{name}", document, methods=["GET"]),
        Route("/browse/{facet}", browse, methods=["GET"]),
        Route("/browse/{facet}/{value}", browse, methods=["GET"]),
        Route("/browse/{facet}/page/{page}", browse, methods=["GET"]),
        Route("/browse/{facet}/{value}/page/{page}", browse, methods=["GET"]),
        Route("/search", search, methods=["GET"]),
        Route("/sparql", sparql, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        Route("/dumps/{name}", dump, methods=["GET"]),
        Route("/oai", oai_pmh, methods=["GET", "POST"]),
        Route("/reconcile", reconcile, methods=["GET", "POST"]),
        Route("/reconcile/{rest:path}", reconcile, methods=["GET", "POST"]),
        Route("/.well-known/resourcesync", change_feed, methods=["GET"]),
        Route("/resourcesync/{name}", change_feed, methods=["GET"]),
        Route("/static/style.css", stylesheet, methods=["GET"]),
        Route("/robots.txt", robots, methods=["GET"]),
        Route("/.well-known/void", top_level_file, methods=["GET"]),
        *(Route(f"/{name}", top_level_file, methods=["GET"]) for name in TOP_LEVEL_FILES),
        Route("/{path:path}", preflight, methods=["OPTIONS"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            site.sparql.close()

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            404: not_found,
            405: not_found,
            500: server_error,
            Exception: server_error,
        },
    )
    app.state.site = site
    return app


def app_from_environment() -> Starlette:
    """Factory for ``uvicorn --factory`` (worker processes): settings from the environment."""
    settings = ServerSettings(
        dist_dir=Path(os.environ.get("EMIGRE_DIST", "dist")),
        query_timeout=float(os.environ.get("EMIGRE_QUERY_TIMEOUT", "10")),
        max_rows=int(os.environ.get("EMIGRE_MAX_ROWS", "10000")),
        max_concurrent_queries=int(os.environ.get("EMIGRE_MAX_CONCURRENT_QUERIES", "0")),
        max_request_bytes=int(os.environ.get("EMIGRE_MAX_REQUEST_BYTES", str(64 * 1024))),
        oai_settings=oai.OaiSettings.from_environment(os.environ),
    )
    return create_app(settings)


def serve(settings: ServerSettings, host: str, port: int, workers: int) -> None:
    """Run the application with uvicorn (worker processes each open the build directory)."""
    import uvicorn

    read_manifest(settings.dist_dir)  # fail now, with a clear message, not in every worker
    os.environ["EMIGRE_DIST"] = str(settings.dist_dir.resolve())
    os.environ["EMIGRE_QUERY_TIMEOUT"] = str(settings.query_timeout)
    os.environ["EMIGRE_MAX_ROWS"] = str(settings.max_rows)
    os.environ["EMIGRE_MAX_CONCURRENT_QUERIES"] = str(settings.max_concurrent_queries)
    os.environ["EMIGRE_MAX_REQUEST_BYTES"] = str(settings.max_request_bytes)
    os.environ.update(settings.oai_settings.to_environment())
    uvicorn.run(
        "publisher.server.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        # Bounded request lines and headers; bodies are limited per route.
        h11_max_incomplete_event_size=64 * 1024,
        timeout_keep_alive=5,
    )
