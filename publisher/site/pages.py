"""HTML pages: pure functions from the catalog (and a ``PageContext``) to a string.

Every template is rendered with autoescaping, so every value from the data is escaped; the
only markup passed through unescaped is what this package draws itself (the SVG charts, whose
writer escapes each value) and the JSON-LD, which ``script_json`` makes safe inside
``<script>``. No page needs JavaScript.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from publisher import iris
from publisher.catalog import Catalog
from publisher.jsonld import jsonld_context, render_jsonld
from publisher.namespaces import EMIGRE_NS, SCHEMA
from publisher.site.charts import render_departures_svg, render_timeline_svg
from publisher.site.context import PageContext, read_downloads, read_example_queries

__all__ = [
    "STATIC",
    "STYLESHEET",
    "PageContext",
    "PageNotFound",
    "browse_pages",
    "iter_pages",
    "render_browse_page",
    "render_entity_page",
    "render_error_page",
    "render_landing_page",
    "render_link_state_page",
    "render_search_page",
    "script_json",
]
from publisher.site import link_states, paging
from publisher.site.facts import emigration_view, first_date, nodes, p, pairs_of, texts
from publisher.site.links import record_of
from publisher.site.search import search_index
from publisher.site.views import (
    ListEntry,
    PageNotFound,
    destination_counts,
    destination_places,
    emigrations_in,
    entity_view,
    list_entry,
    nodes_of_class,
)
from publisher.site.wording import KIND_WORDS, LINK_STATE_WORDS

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
#: The one style sheet, served at ``/static/style.css``.
STYLESHEET = STATIC / "style.css"
#: Browse facets besides the kinds of records.
FACETS = ("wave", "destination", link_states.FACET)

_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def script_json(text: str) -> Markup:
    """JSON text made safe inside ``<script>``: no ``<``, ``>``, ``&`` or line separators.

    Those characters can only occur inside JSON strings, where ``\\u`` escapes mean the same,
    so the JSON still parses to the same data, but no ``</script>`` or ``<!--`` can end or
    change the script element.

    >>> str(script_json('{"name": "</script><b>&"}'))
    '{"name": "\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026"}'
    """
    return Markup("".join(_SCRIPT_ESCAPES.get(char, char) for char in text))


@cache
def environment() -> Environment:
    """The template environment: autoescaping on for every template, undefined names fail."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def render_template(
    ctx: PageContext, template: str, current: str | None = None, **values: Any
) -> str:
    """Render one of ``templates/`` inside the site's layout (navigation, search, footer)."""
    root = ctx.root
    nav = [
        (KIND_WORDS["person"][1].capitalize(), iris.browse_url(root, "person")),
        (KIND_WORDS["group"][1].capitalize(), iris.browse_url(root, "group")),
        ("Destinations", iris.browse_url(root, "destination")),
        ("Waves", iris.browse_url(root, "wave")),
        (KIND_WORDS["work"][1].capitalize(), iris.browse_url(root, "work")),
        (KIND_WORDS["source"][1].capitalize(), iris.browse_url(root, "source")),
        ("SPARQL", iris.sparql_url(root)),
    ]
    defaults: dict[str, Any] = {
        "alternates": [],
        "jsonld": None,
        "query": "",
        "description": None,
    }
    urls = {
        "home": root,
        "style": iris.static_url(root, "style.css"),
        "search": iris.search_url(root),
        "licence": ctx.licence,
        "oai": iris.oai_url(root),
        "changes": iris.resourcesync_url(root, "changelist.xml"),
        "resourcesync": f"{root}.well-known/resourcesync",
    }
    return (
        environment()
        .get_template(template)
        .render(ctx=ctx, nav=nav, urls=urls, current=current, **{**defaults, **values})
    )


# -- entity pages ---------------------------------------------------------------------------------


def render_entity_page(catalog: Catalog, ctx: PageContext, iri: str) -> str:
    """The page of a record: names, facts with their sources, links in and out, and the same
    graph as embedded JSON-LD. ``PageNotFound`` when ``iri`` is not a record of the dataset.
    """
    view = entity_view(catalog, ctx, iri)
    document = render_jsonld(catalog.document_triples(iri), jsonld_context(), indent=1)
    descriptions = [d.text for d in view.descriptions if d.lang in (None, "en")]
    return render_template(
        ctx,
        "entity.html",
        current=view.document_url,
        view=view,
        page_title=view.name,
        alternates=view.alternates,
        jsonld=script_json(document.strip()),
        description=descriptions[0] if descriptions else None,
    )


# -- the landing page -----------------------------------------------------------------------------

_COUNTED_CLASSES = (
    ("people", f"{SCHEMA}Person"),
    ("departures", f"{EMIGRE_NS}Emigration"),
    ("persecutions", f"{EMIGRE_NS}Persecution"),
    ("sourced claims", f"{EMIGRE_NS}Claim"),
    ("citations with excerpts", f"{EMIGRE_NS}Citation"),
    ("quotations", f"{SCHEMA}Quotation"),
)


def _counts(catalog: Catalog) -> list[tuple[str, int]]:
    stats = catalog.statistics
    classes = stats.get("classes")
    counts: list[tuple[str, int]] = []
    if isinstance(classes, dict):
        counts.extend(
            (words, int(classes[iri])) for words, iri in _COUNTED_CLASSES if iri in classes
        )
    for words, key in (
        ("records", "entities"),
        ("links to Wikidata", "wikidata_links"),
        ("triples", "triples"),
    ):
        value = stats.get(key)
        if isinstance(value, int):
            counts.append((words, value))
    return counts


def _dataset_jsonld(ctx: PageContext) -> Markup | None:
    """The schema.org Dataset description of the build, for dataset search engines."""
    if ctx.dist_dir is None or not (ctx.dist_dir / "dataset.jsonld").is_file():
        return None
    data = json.loads((ctx.dist_dir / "dataset.jsonld").read_text("utf-8"))
    return script_json(json.dumps(data, ensure_ascii=False, indent=1))


def render_landing_page(catalog: Catalog, ctx: PageContext) -> str:
    """The dataset's home: what it is, licence, counts, pictures, browse, downloads, queries."""
    root = ctx.root
    states = catalog.statistics.get("wikidata_link_states")
    return render_template(
        ctx,
        "landing.html",
        current=root,
        page_title="Émigré: the cultural exodus from Russia",
        description=ctx.description,
        counts=_counts(catalog),
        link_states=sorted(states.items()) if isinstance(states, dict) else [],
        departures_svg=Markup(render_departures_svg(catalog, ctx)),
        timeline_svg=Markup(render_timeline_svg(catalog, ctx)),
        destinations=_destination_links(catalog, ctx),
        browse=[
            *(
                (KIND_WORDS[kind][1].capitalize(), iris.browse_url(root, kind))
                for kind in iris.ENTITY_KINDS
            ),
            ("Wikidata links", link_states.state_url(ctx)),
        ],
        link_states_url=link_states.state_url(ctx),
        downloads=read_downloads(ctx),
        queries=read_example_queries(ctx),
        machine_links=[
            ("VoID description", iris.dump_url(root, "void.ttl")),
            ("DCAT catalogue", iris.dump_url(root, "dcat.ttl")),
            ("schema.org Dataset (JSON-LD)", iris.dump_url(root, "dataset.jsonld")),
            ("JSON-LD context", iris.dump_url(root, "context.jsonld")),
            ("SPARQL endpoint", iris.sparql_url(root)),
        ],
        jsonld=_dataset_jsonld(ctx),
    )


def _destination_links(catalog: Catalog, ctx: PageContext) -> list[tuple[str, str | None, int]]:
    found = []
    for place, count in destination_counts(catalog):
        split = iris.split_entity_iri(catalog.base, place)
        url = iris.browse_url(ctx.root, "destination", split[1]) if split else None
        found.append((catalog.label(place), url, count))
    return found


# -- browse pages ---------------------------------------------------------------------------------


@dataclass
class _Listing:
    """A browse list, computed once and rendered page by page (see ``publisher.site.paging``).

    ``items`` are what the pages split (record IRIs, departures); ``page_fields`` turns one
    page's items into the template's fields; ``fields`` are the same on every page, and
    ``first_page_fields`` (the charts, drawn from the whole list) only on page 1.
    """

    template: str
    url: Callable[[int], str]
    items: Sequence[Any]
    page_fields: Callable[[Sequence[Any]], dict[str, Any]]
    fields: dict[str, Any]
    first_page_fields: dict[str, Any] = field(default_factory=dict)

    def pages(self, ctx: PageContext) -> int:
        return paging.page_count(len(self.items), ctx.page_size)

    def render(self, ctx: PageContext, page: int) -> str:
        pages = self.pages(ctx)
        if not 1 <= page <= pages:
            raise PageNotFound(f"no page {page} of {self.url(1)} ({pages} pages)")
        first = self.first_page_fields if page == 1 else {}
        items = paging.page_items(self.items, page, ctx.page_size)
        fields = {**self.fields, **first, **self.page_fields(items)}
        pagination = paging.paginate(len(self.items), page, self.url, ctx.page_size)
        title = fields["page_title"]
        if pagination:
            fields["page_title"] = f"{title} (page {page} of {pagination.pages})"
        return render_template(
            ctx, self.template, current=self.url(page), pagination=pagination, **fields
        )


def render_browse_page(
    catalog: Catalog, ctx: PageContext, facet: str, value: str | None, page: int = 1
) -> str:
    """A list: every record of a kind (``person``), the waves or one wave (``wave``, ``2022``),
    the destinations or one destination (``destination``, ``georgia``), the link-state report;
    long lists in pages of ``ctx.page_size``.

    ``PageNotFound`` for an unknown facet, value or page.
    """
    return _browse_listing(catalog, ctx, facet, value).render(ctx, page)


def browse_pages(
    catalog: Catalog, ctx: PageContext, facet: str, value: str | None
) -> Iterator[tuple[str, str]]:
    """(root-relative URL, HTML) of every page of one browse list, the list computed once."""
    listing = _browse_listing(catalog, ctx, facet, value)
    for page in range(1, listing.pages(ctx) + 1):
        yield listing.url(page), listing.render(ctx, page)


def _browse_listing(catalog: Catalog, ctx: PageContext, facet: str, value: str | None) -> _Listing:
    if facet == link_states.FACET:
        return _link_state_listing(catalog, ctx, value)
    if facet == "destination" or (facet == "wave" and value is not None):
        return _facet_listing(catalog, ctx, facet, value)
    if facet not in iris.ENTITY_KINDS or value is not None:
        raise PageNotFound(f"no browse page {facet}/{value}")
    summary = facet in ("person", "group")

    def entries(page: Sequence[str]) -> dict[str, Any]:
        listed = [list_entry(catalog, ctx, iri, summary=summary) for iri in page]
        if facet == "wave":
            listed = [_with_count(catalog, ctx, entry) for entry in listed]
        return {"entries": listed}

    heading = KIND_WORDS[facet][1].capitalize()
    return _Listing(
        template="browse.html",
        url=lambda page: iris.browse_url(ctx.root, facet, page=page),
        items=[iri for iri, _ in catalog.records(facet)],
        page_fields=entries,
        fields={
            "page_title": heading,
            "heading": heading,
            "intro": None,
            "facet_values": [],
            "rows": [],
            "charts": [],
            "record": None,
        },
        first_page_fields=(
            {"charts": [Markup(render_timeline_svg(catalog, ctx))]} if facet == "wave" else {}
        ),
    )


def _with_count(catalog: Catalog, ctx: PageContext, entry: ListEntry) -> ListEntry:
    """A wave's entry with its number of departures and a link to its browse page."""
    slug = (entry.record.url or "").rsplit("/", 1)[-1]
    wave = catalog.iri("wave", slug)
    pairs = pairs_of(catalog, wave)
    start, end = first_date(pairs, p("schema:startDate")), first_date(pairs, p("schema:endDate"))
    dates = f"{start or '?'}–{end or ''}" if start else None
    return ListEntry(
        record=entry.record,
        kind=entry.kind,
        names=entry.names,
        description=entry.description,
        summary=dates,
        count=len(emigrations_in(catalog, "wave", wave)),
    )


def _facet_listing(catalog: Catalog, ctx: PageContext, facet: str, value: str | None) -> _Listing:
    if value is None:  # the list of destinations
        return _Listing(
            template="browse.html",
            url=lambda page: iris.browse_url(ctx.root, facet, page=page),
            items=[],
            page_fields=lambda _: {},
            fields={
                "page_title": "Destinations",
                "heading": "Destinations",
                "intro": "Where people went, by country (departures to a city count for its "
                "country).",
                "entries": [],
                "facet_values": _destination_links(catalog, ctx),
                "rows": [],
                "charts": [Markup(render_departures_svg(catalog, ctx))],
                "record": None,
            },
        )
    kind = "wave" if facet == "wave" else "place"
    iri = catalog.iri(kind, value)
    if not iris.SLUG_PATTERN.match(value) or not catalog.exists(iri):
        raise PageNotFound(f"no {kind} {value!r}")
    emigrations = emigrations_in(catalog, facet, iri)
    rows = sorted(
        (emigration_view(catalog, ctx, node) for node in emigrations), key=lambda e: e.sort_key
    )
    name = catalog.label(iri)
    descriptions = texts(pairs_of(catalog, iri), p("schema:description"))
    charts: list[str]
    if facet == "wave":
        people = {record_of(catalog, node) for node in emigrations}
        persecutions = [
            node
            for node in nodes_of_class(catalog, "emigre:Persecution")
            if set(nodes(pairs_of(catalog, node), p("emigre:persecuted"))) & people
        ]
        charts = [render_departures_svg(catalog, ctx, emigrations, ident="wave-flows")]
        if any(row.date for row in rows) or persecutions:
            charts.append(
                render_timeline_svg(catalog, ctx, emigrations, persecutions, ident="wave-timeline")
            )
    else:
        charts = [
            render_departures_svg(
                catalog, ctx, emigrations, ident="destination-flows", by_country=False
            )
        ]
    heading = f"Went to {name}" if facet == "destination" else name
    return _Listing(
        template="browse.html",
        url=lambda page: iris.browse_url(ctx.root, facet, value, page),
        items=rows,
        page_fields=lambda page: {"rows": list(page), "rows_total": len(rows)},
        fields={
            "page_title": heading,
            "heading": heading,
            "intro": descriptions[0].text if descriptions else None,
            "entries": [],
            "facet_values": [],
            "charts": [],
            "record": list_entry(catalog, ctx, iri, summary=False),
        },
        first_page_fields={"charts": [Markup(chart) for chart in charts]},
    )


# -- the Wikidata links report --------------------------------------------------------------------


def render_link_state_page(catalog: Catalog, ctx: PageContext, value: str | None) -> str:
    """The Wikidata links report: counts by link state and the records still to reconcile
    (pending) or to check (needs review); or, for ``value`` (``pending``), every record in
    one state (in pages). ``PageNotFound`` for an unknown state.
    """
    return _link_state_listing(catalog, ctx, value).render(ctx, 1)


def _link_state_listing(catalog: Catalog, ctx: PageContext, value: str | None) -> _Listing:
    counts = link_states.state_counts(catalog, ctx)
    if value is None:
        groups = [
            link_states.link_state_group(catalog, ctx, state, link_states.OVERVIEW_LIMIT)
            for state in link_states.OPEN_STATES
        ]
        return _Listing(
            template="link_states.html",
            url=lambda page: iris.browse_url(ctx.root, link_states.FACET, page=page),
            items=[],
            page_fields=lambda _: {},
            fields={
                "page_title": "Wikidata links",
                "heading": "Wikidata links",
                "counts": counts,
                "groups": groups,
            },
        )
    if value not in link_states.STATE_BY_SLUG:
        raise PageNotFound(f"no link state {value!r}")
    state = link_states.STATE_BY_SLUG[value]
    found = link_states.records_in_state(catalog, state)

    def group(page: Sequence[str]) -> dict[str, Any]:
        entries = [link_states.link_state_entry(catalog, ctx, iri) for iri in page]
        return {"groups": [link_states.state_group(ctx, state, len(found), entries)]}

    heading = f"Wikidata links: {LINK_STATE_WORDS[state]}"
    return _Listing(
        template="link_states.html",
        url=lambda page: iris.browse_url(ctx.root, link_states.FACET, value, page),
        items=found,
        page_fields=group,
        fields={"page_title": heading, "heading": heading, "counts": counts},
    )


# -- search ---------------------------------------------------------------------------------------


def render_search_page(catalog: Catalog, ctx: PageContext, query: str, limit: int = 50) -> str:
    """Search results for ``query`` (any spelling), and the form; works with a plain GET."""
    query = query.strip()[:200]
    results = search_index(catalog).search(query, limit) if query else []
    entries = [(list_entry(catalog, ctx, hit.iri), hit.score) for hit in results]
    return render_template(
        ctx,
        "search.html",
        current=iris.search_url(ctx.root),
        page_title=f"Search: {query}" if query else "Search",
        query=query,
        results=entries,
    )


# -- errors ---------------------------------------------------------------------------------------


def render_error_page(status: int, title: str, message: str, ctx: PageContext | None = None) -> str:
    """A small page for an HTTP error (404, 410, 500 ...)."""
    return render_template(
        ctx or PageContext(),
        "error.html",
        page_title=f"{status} {title}",
        status=status,
        title=title,
        message=message,
    )


# -- every page -----------------------------------------------------------------------------------


def iter_pages(catalog: Catalog, ctx: PageContext) -> Iterator[tuple[str, str]]:
    """(root-relative path, HTML) of every page: landing, records, browse lists (every page of
    each) and facets."""
    root = ctx.root
    yield root, render_landing_page(catalog, ctx)
    for kind in iris.ENTITY_KINDS:
        yield from browse_pages(catalog, ctx, kind, None)
        for iri, _ in catalog.records(kind):
            split = iris.split_entity_iri(catalog.base, iri)
            assert split is not None
            yield iris.document_url(root, *split), render_entity_page(catalog, ctx, iri)
    for facet, value in browse_lists(catalog):
        if value is not None or facet not in iris.ENTITY_KINDS:  # kinds' lists came first
            yield from browse_pages(catalog, ctx, facet, value)
    yield iris.search_url(root), render_search_page(catalog, ctx, "")


def browse_lists(catalog: Catalog) -> Iterator[tuple[str, str | None]]:
    """(facet, value) of every browse list: each kind, the destinations and each destination,
    each wave, the link-state report and each state."""
    for kind in iris.ENTITY_KINDS:
        yield kind, None
    yield "destination", None
    for place in destination_places(catalog):
        split = iris.split_entity_iri(catalog.base, place)
        if split:
            yield "destination", split[1]
    for iri, _ in catalog.records("wave"):
        split = iris.split_entity_iri(catalog.base, iri)
        if split:
            yield "wave", split[1]
    yield link_states.FACET, None
    for slug in link_states.STATE_BY_SLUG:
        yield link_states.FACET, slug
