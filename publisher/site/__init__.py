"""The human-facing site: HTML pages, inline SVG charts and name search, as pure functions.

Pages are rendered from a ``Catalog`` (the built graph) and a ``PageContext`` (where the site is
served, the dataset's title and licence, the release's files). The server and the static site
writer call these functions; neither this package nor its templates need JavaScript.
"""

from __future__ import annotations

from publisher.site.charts import render_departures_svg, render_timeline_svg
from publisher.site.context import PageContext
from publisher.site.links import page_url, record_of
from publisher.site.pages import (
    STATIC,
    iter_pages,
    render_browse_page,
    render_entity_page,
    render_error_page,
    render_landing_page,
    render_search_page,
    script_json,
)
from publisher.site.search import SearchIndex, search_index
from publisher.site.views import PageNotFound

__all__ = [
    "STATIC",
    "PageContext",
    "PageNotFound",
    "SearchIndex",
    "iter_pages",
    "page_url",
    "record_of",
    "render_browse_page",
    "render_departures_svg",
    "render_entity_page",
    "render_error_page",
    "render_landing_page",
    "render_search_page",
    "render_timeline_svg",
    "script_json",
    "search_index",
]
