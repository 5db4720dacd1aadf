"""The static site: every page and document of the dataset as files (DESIGN §6).

:func:`write_static_site` writes ``dist/site/`` so that any web server or CDN can host the site
without Python, and nginx can answer exactly as ``emigre serve`` does with the configuration it
also writes (:mod:`publisher.site.nginx`)::

    doc/{kind}/{slug}.{ttl,nt,jsonld,rdf,html}   every record, in every format
    index.html, browse/{facet}[/{value}].html   lists and the link-state report; long lists
                                                 go on in browse/…/page/{n}.html
    static/…                                     the style sheet
    errors/{status}.{html,json}                  small error bodies for nginx
    sitemap.xml (an index of sitemap-N.xml beyond 50,000 URLs), robots.txt
    .well-known/void, void.ttl, dcat.ttl, dataset.jsonld, context.jsonld, stats.json,
    lifecycle.json, SHA256SUMS, dumps/…          hard links to the build's files (copies if
                                                 the file system cannot link)
    resourcesync/…, .well-known/resourcesync     the change feed (publisher.changes), linked
    nginx.conf, nginx/{conneg.js,owners.conf}    the nginx configuration (an http-level include)

The output is deterministic: the same build gives the same files. Nothing is synced to disk file
by file; the build publishes the whole directory with one rename. Pages link root-relative
(``ctx.url_prefix``); the nginx configuration serves the site at the root of its host.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from publisher import changes, iris
from publisher.catalog import Catalog
from publisher.checksums import CHECKSUMS_FILE
from publisher.errors import BuildError
from publisher.formats import HTML, RDF_FORMATS
from publisher.server.documents import DocumentRenderer
from publisher.server.http import TITLES, error_body
from publisher.site import nginx, pages
from publisher.site.context import PageContext, read_downloads

#: The build's description files, served at the top level as the dynamic server does.
DISCOVERY_FILES = (
    "void.ttl",
    "dcat.ttl",
    "dataset.jsonld",
    "context.jsonld",
    "stats.json",
    "lifecycle.json",
    CHECKSUMS_FILE,
)
#: Fewer records are written by one process: starting workers costs more than it saves.
PARALLEL_MIN_RECORDS = 2000
#: URLs per sitemap file (the sitemaps.org limit).
SITEMAP_LIMIT = 50_000
#: The message of each error page nginx answers with.
ERROR_MESSAGES = {
    400: "The request could not be read: a malformed Accept header or an unknown format.",
    404: "No such page.",
    405: "Only GET and HEAD are answered here.",
    406: "Available types: " + ", ".join(f.media_type for f in (HTML, *RDF_FORMATS)) + ".",
    410: "This record was withdrawn from the dataset.",
    500: "The server could not answer this request.",
}
DYNAMIC_ONLY_MESSAGE = (
    "Search, SPARQL, reconciliation and OAI-PMH are served by the dynamic server "
    "(emigre serve); this static copy of the site has the pages, documents and downloads."
)
_SAFE_PATH = re.compile(r"^[a-z0-9]+(?:[-/][a-z0-9]+)*$")


class SiteFiles:
    """Writes files under one root and remembers them; refuses paths that would leave it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: list[Path] = []
        self._dirs: set[Path] = set()

    def path(self, relative: str) -> Path:
        """The path of ``relative`` under the root, with its directory created."""
        parts = relative.split("/")
        if any(part in ("", ".", "..") for part in parts) or "\\" in relative:
            raise ValueError(f"not a relative path inside the site: {relative!r}")
        path = self.root.joinpath(*parts)
        if path.parent not in self._dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(path.parent)
        self.written.append(path)
        return path

    def write(self, relative: str, content: str | bytes) -> Path:
        """Write a file (text as UTF-8)."""
        path = self.path(relative)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    def link(self, relative: str, source: Path) -> Path:
        """A hard link to ``source``, or a copy where the file system cannot link."""
        path = self.path(relative)
        try:
            os.link(source, path)
        except OSError:
            shutil.copyfile(source, path)
        return path


def write_static_site(
    catalog: Catalog,
    renderer: DocumentRenderer,
    out_dir: Path,
    ctx: PageContext,
    *,
    served_root: Path | None = None,
    listen: str = "80",
    server_name: str = "_",
    workers: int = 1,
) -> list[Path]:
    """Write the static site of the build in ``ctx.dist_dir`` into ``out_dir`` (new or empty).

    ``renderer`` renders the RDF documents, :mod:`publisher.site.pages` the HTML. The nginx
    configuration serves the site from ``served_root`` (default: ``out_dir``), an absolute path:
    pass the final place when ``out_dir`` is a staging directory. With ``workers`` > 1 (0: one
    per core) and at least :data:`PARALLEL_MIN_RECORDS` records, the records' files are written
    by that many processes, each opening the catalog again from ``ctx.dist_dir``. Returns the
    files written, sorted. Raises BuildError when ``out_dir`` is not empty or the build files
    are missing.
    """
    dist_dir = ctx.dist_dir
    if dist_dir is None or not (dist_dir / "lifecycle.json").is_file():
        raise BuildError(f"the static site needs a build directory, not {dist_dir}")
    if out_dir.exists() and any(out_dir.iterdir()):
        raise BuildError(f"{out_dir}: the static site is written into a new or empty directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    files = SiteFiles(out_dir)
    lifecycle: dict[str, Any] = json.loads((dist_dir / "lifecycle.json").read_text("utf-8"))

    records = list(_records(catalog))
    workers = workers or os.cpu_count() or 1
    if workers > 1 and len(records) >= PARALLEL_MIN_RECORDS:
        files.written += _write_records_in_parallel(catalog.base, ctx, out_dir, records, workers)
    else:
        _write_records(catalog, renderer, ctx, files, records)
    page_paths = [iris.document_url("", kind, slug) for kind, slug, _ in records]
    page_paths += _write_list_pages(catalog, ctx, files)
    _write_errors(ctx, files)
    # Copied, not linked: editing the site must not change the installed package.
    for source in sorted(pages.STATIC.rglob("*")):
        if source.is_file():
            name = source.relative_to(pages.STATIC).as_posix()
            files.write(f"static/{name}", source.read_bytes())
    _link_build_files(dist_dir, ctx, files)
    _write_sitemaps(catalog.base, page_paths, files)
    files.write("robots.txt", render_robots(catalog.base, ctx.root))

    root = (served_root or out_dir).resolve()
    files.write(f"{nginx.FILES_DIR}/{nginx.CONNEG_JS}", nginx.render_conneg_js())
    owner_map = nginx.render_owner_map(_minted_owners(catalog))
    files.write(f"{nginx.FILES_DIR}/{nginx.OWNERS_CONF}", owner_map)
    conf = nginx.render_nginx_conf(root, listen, lifecycle, server_name=server_name)
    files.write(nginx.SITE_CONF, conf)
    return sorted(files.written)


def _minted_owners(catalog: Catalog) -> dict[str, str]:
    """Every minted node (``kind/slug``) and the record whose document holds it, found as the
    dynamic server finds it (:meth:`Catalog.record_of`)."""
    found: dict[str, str] = {}
    for kind in iris.NODE_KINDS:
        for node, _ in catalog.records(kind):
            record = catalog.record_of(node)
            split = iris.split_entity_iri(catalog.base, node)
            owner = iris.split_entity_iri(catalog.base, record) if record else None
            if split and owner and owner[0] in iris.ENTITY_KINDS:
                found["/".join(split)] = "/".join(owner)
    return found


def _records(
    catalog: Catalog, kinds: Iterable[str] = iris.ENTITY_KINDS
) -> Iterator[tuple[str, str, str]]:
    """(kind, slug, IRI) of every record of ``kinds``, by kind and name."""
    for kind in kinds:
        for iri, _ in catalog.records(kind):
            split = iris.split_entity_iri(catalog.base, iri)
            if split is not None:
                yield kind, split[1], iri


def _write_records(
    catalog: Catalog,
    renderer: DocumentRenderer,
    ctx: PageContext,
    files: SiteFiles,
    records: Iterable[tuple[str, str, str]],
) -> None:
    """Each record's document in every RDF format and its HTML page."""
    for kind, slug, iri in records:
        for fmt in RDF_FORMATS:
            document = renderer.render(iri, fmt)
            if document is None:
                raise BuildError(f"no document for {kind}/{slug}")
            files.write(f"doc/{kind}/{slug}.{fmt.extension}", document.body)
        files.write(f"doc/{kind}/{slug}.html", pages.render_entity_page(catalog, ctx, iri))


#: The state of a worker process: its own catalog and renderer (see _start_worker).
_WORKER: dict[str, Any] = {}


def _write_records_in_parallel(
    base: str,
    ctx: PageContext,
    out_dir: Path,
    records: list[tuple[str, str, str]],
    workers: int,
) -> list[Path]:
    # Fresh interpreters (spawn), not forks: a forked pyoxigraph store or thread pool is not
    # safe to share. Each worker loads the catalog once, then takes chunks of records.
    assert ctx.dist_dir is not None
    size = -(-len(records) // (workers * 16))  # about 16 chunks per worker
    chunks = [records[i : i + size] for i in range(0, len(records), size)]
    with ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(ctx.dist_dir, base, ctx, out_dir),
    ) as pool:
        return [path for written in pool.map(_write_chunk, chunks) for path in written]


def _start_worker(dist_dir: Path, base: str, ctx: PageContext, out_dir: Path) -> None:
    catalog = Catalog.open(dist_dir, base)
    _WORKER.update(catalog=catalog, renderer=DocumentRenderer(catalog), ctx=ctx, out_dir=out_dir)


def _write_chunk(records: list[tuple[str, str, str]]) -> list[Path]:
    files = SiteFiles(_WORKER["out_dir"])
    _write_records(_WORKER["catalog"], _WORKER["renderer"], _WORKER["ctx"], files, records)
    return files.written


def _write_list_pages(catalog: Catalog, ctx: PageContext, files: SiteFiles) -> list[str]:
    """The landing page and every browse page; returns their paths (``""`` for the landing)."""
    root = ctx.root
    files.write("index.html", pages.render_landing_page(catalog, ctx))
    written = [""]
    for facet, value in pages.browse_lists(catalog):
        for url, html in pages.browse_pages(catalog, ctx, facet, value):
            relative = url.removeprefix(root)
            if not _SAFE_PATH.match(relative):
                raise BuildError(f"browse page {relative!r} is not a file name the site can have")
            files.write(f"{relative}.html", html)
            written.append(relative)
    return written


def _write_errors(ctx: PageContext, files: SiteFiles) -> None:
    """``errors/{status}.html`` for browsers and ``.json`` for other clients (as http.py)."""
    bodies = [(str(status), status, message) for status, message in ERROR_MESSAGES.items()]
    bodies.append(("dynamic-only", 404, DYNAMIC_ONLY_MESSAGE))
    for name, status, message in bodies:
        title = TITLES.get(status, "Error")
        files.write(f"errors/{name}.html", pages.render_error_page(status, title, message, ctx))
        files.write(f"errors/{name}.json", error_body(status, message, "application/json").body)


def _link_build_files(dist_dir: Path, ctx: PageContext, files: SiteFiles) -> None:
    """Discovery files at the top level and ``/.well-known/void``; the downloads in dumps/."""
    for name in DISCOVERY_FILES:
        if (dist_dir / name).is_file():
            files.link(name, dist_dir / name)
    if (dist_dir / "void.ttl").is_file():
        files.link(".well-known/void", dist_dir / "void.ttl")
    for download in read_downloads(ctx):
        files.link(f"dumps/{download.name}", dist_dir / download.name)
    feed = dist_dir / changes.DIRECTORY
    if feed.is_dir():
        for path in sorted(feed.iterdir()):
            files.link(f"{changes.DIRECTORY}/{path.name}", path)
        files.link(changes.WELL_KNOWN, feed / changes.SOURCE_DESCRIPTION)


def _write_sitemaps(base: str, page_paths: list[str], files: SiteFiles) -> None:
    """``sitemap.xml``; beyond :data:`SITEMAP_LIMIT` URLs, an index of numbered sitemaps."""
    urls = [f"{base}{path}" for path in sorted(page_paths)]
    if len(urls) <= SITEMAP_LIMIT:
        files.write("sitemap.xml", render_sitemap(urls))
        return
    names = []
    for number, start in enumerate(range(0, len(urls), SITEMAP_LIMIT), start=1):
        names.append(f"sitemap-{number}.xml")
        files.write(names[-1], render_sitemap(urls[start : start + SITEMAP_LIMIT]))
    files.write("sitemap.xml", render_sitemap_index(f"{base}{name}" for name in names))


def render_sitemap(urls: Iterable[str]) -> str:
    """A sitemaps.org ``urlset`` (no dates: the output has no timestamps).

    >>> print(render_sitemap(["https://w3id.org/emigre/"]).splitlines()[2])
    <url><loc>https://w3id.org/emigre/</loc></url>
    """
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
        *(f"<url><loc>{escape(url)}</loc></url>" for url in urls),
        "</urlset>",
    ]
    return "\n".join(lines) + "\n"


def render_sitemap_index(urls: Iterable[str]) -> str:
    """A sitemaps.org ``sitemapindex`` of sitemap files."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
        *(f"<sitemap><loc>{escape(url)}</loc></sitemap>" for url in urls),
        "</sitemapindex>",
    ]
    return "\n".join(lines) + "\n"


def render_robots(base: str, root: str = "/") -> str:
    """``robots.txt``: everything may be crawled but the query endpoints.

    >>> print(render_robots("https://w3id.org/emigre/"), end="")
    User-agent: *
    Disallow: /sparql
    Disallow: /search
    Sitemap: https://w3id.org/emigre/sitemap.xml
    """
    return (
        f"User-agent: *\nDisallow: {iris.sparql_url(root)}\nDisallow: {iris.search_url(root)}\n"
        f"Sitemap: {base}sitemap.xml\n"
    )
