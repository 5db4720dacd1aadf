"""Long browse lists in pages: every record on exactly one page, in order, with navigation that
links each page to its neighbours; the same pages for the server and the static site.

Real data, small pages (``PageContext.page_size``), so the lists of a few dozen records span
several pages.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from publisher import iris
from publisher.build import build_release
from publisher.catalog import Catalog
from publisher.config import DEFAULT_BASE_IRI, BuildSettings, project_root
from publisher.site import PageContext, PageNotFound, render_browse_page
from publisher.site.pages import browse_lists, browse_pages, iter_pages
from publisher.site.paging import paginate

PAGE_SIZE = 4
ENTRY = re.compile(r'<p class="entry-name"><a href="(/doc/[^"]+)"')
ROW = re.compile(r'<th scope="row"><a href="(/doc/[^"]+)"')
NAV = re.compile(r'<nav class="pagination" aria-label="Pages">(.*?)</nav>', re.S)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    out_dir = tmp_path_factory.mktemp("paging") / "dist"
    settings = BuildSettings(
        data_dir=project_root() / "data", out_dir=out_dir, cache_dir=None, workers=1
    )
    build_release(settings)
    return Catalog.open(out_dir, DEFAULT_BASE_IRI)


@pytest.fixture(scope="module")
def ctx() -> PageContext:
    return PageContext(page_size=PAGE_SIZE)


def test_every_person_is_on_exactly_one_page_in_order(catalog: Catalog, ctx: PageContext) -> None:
    expected = [
        iris.document_url("/", "person", iri.rsplit("/", 1)[1])
        for iri, _ in catalog.records("person")
    ]
    assert len(expected) > 2 * PAGE_SIZE  # else this test would not page at all
    pages = list(browse_pages(catalog, ctx, "person", None))
    assert [url for url, _ in pages] == [
        "/browse/person",
        *(f"/browse/person/page/{n}" for n in range(2, len(pages) + 1)),
    ]
    listed = [link for _, html in pages for link in ENTRY.findall(html)]
    assert listed == expected
    assert all(len(ENTRY.findall(html)) <= PAGE_SIZE for _, html in pages)


def test_navigation_links_neighbours_and_marks_the_current_page(
    catalog: Catalog, ctx: PageContext
) -> None:
    pages = dict(browse_pages(catalog, ctx, "person", None))
    urls = list(pages)
    for number, url in enumerate(urls, start=1):
        nav = NAV.search(pages[url])
        assert nav, url
        links = nav.group(1)
        assert f'<a aria-current="page">{number}</a>' in links
        assert ('rel="prev"' in links) == (number > 1)
        assert ('rel="next"' in links) == (number < len(urls))
        if number > 1:
            assert f'<a href="{urls[number - 2]}" rel="prev">' in links
        if number < len(urls):
            assert f'<a href="{urls[number]}" rel="next">' in links
        assert f"<title>People (page {number} of {len(urls)})" in pages[url]
    # Every page a navigation links to exists.
    for html in pages.values():
        for href in re.findall(r'href="(/browse/person[^"]*)"', NAV.search(html).group(1)):
            assert href in pages


def test_pages_outside_the_list_are_not_found(catalog: Catalog, ctx: PageContext) -> None:
    pages = len(list(browse_pages(catalog, ctx, "person", None)))
    render_browse_page(catalog, ctx, "person", None, pages)
    for page in (0, -1, pages + 1):
        with pytest.raises(PageNotFound):
            render_browse_page(catalog, ctx, "person", None, page)


def test_a_short_list_has_no_navigation(catalog: Catalog) -> None:
    html = render_browse_page(catalog, PageContext(), "person", None)
    assert 'class="pagination"' not in html
    assert len(list(browse_pages(catalog, PageContext(), "person", None))) == 1


def test_departures_of_a_destination_page_too_with_the_total_in_the_caption(
    catalog: Catalog,
) -> None:
    small = PageContext(page_size=1)
    busiest = max(
        (value for facet, value in browse_lists(catalog) if facet == "destination" and value),
        key=lambda value: len(list(browse_pages(catalog, small, "destination", value))),
    )
    pages = list(browse_pages(catalog, small, "destination", busiest))
    assert len(pages) >= 2
    rows = [ROW.findall(html) for _, html in pages]
    assert all(len(found) == 1 for found in rows)
    total = f"{len(pages)} departures"
    assert all(total in html for _, html in pages)
    # The charts are drawn once, on the first page.
    assert "<svg" in pages[0][1]
    assert all("<svg" not in html for _, html in pages[1:])


def test_link_state_lists_page_and_the_report_does_not(catalog: Catalog, ctx: PageContext) -> None:
    pending = list(browse_pages(catalog, ctx, "link-state", "pending"))
    assert len(pending) >= 2
    assert pending[1][0] == "/browse/link-state/pending/page/2"
    assert len(list(browse_pages(catalog, ctx, "link-state", None))) == 1


def test_every_page_of_every_list_is_a_page_of_the_site(catalog: Catalog, ctx: PageContext) -> None:
    site = {url for url, _ in iter_pages(catalog, ctx)}
    for facet, value in browse_lists(catalog):
        for url, _ in browse_pages(catalog, ctx, facet, value):
            assert url in site


def test_urls_of_pages() -> None:
    nav = paginate(10, 3, lambda n: iris.browse_url("/", "wave", "x", n), size=4)
    assert nav is not None
    assert (nav.first, nav.last, nav.pages) == (9, 10, 3)
    assert nav.previous_url == "/browse/wave/x/page/2" and nav.next_url is None
    assert paginate(4, 1, str, size=4) is None


def test_prefix_is_kept_in_page_urls(catalog: Catalog) -> None:
    ctx = PageContext(url_prefix="/emigre", page_size=PAGE_SIZE)
    urls = [url for url, _ in browse_pages(catalog, ctx, "person", None)]
    assert urls[1] == "/emigre/browse/person/page/2"
    assert Path(urls[1]).parts[1] == "emigre"
