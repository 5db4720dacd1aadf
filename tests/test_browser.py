"""The HTML pages in a real headless browser: Chromium (Debian's, at /usr/bin/chromium) driven by
Playwright's sync API, against ``python -m publisher serve`` on 127.0.0.1.

The browser cannot reach any other host: every request not to 127.0.0.1 is aborted (and
recorded, so a page that tries fails its test) and ``--host-resolver-rules`` resolves no other
name. Each page must render (an ``h1``), log no console error, and have only internal links
that resolve (checked with requests). Screenshots go to ``/tmp/emigre-screens``.

The XSS tests open pages of a record whose strings carry script payloads and check that nothing
ran; a control page with the payload unescaped proves that the check can fail.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
import server_fixtures
from server_fixtures import XSS_DESCRIPTION, XSS_EXCERPT, XSS_NAME, XSS_SLUG, RunningServer
from test_conneg import CHROME

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")

pytestmark = pytest.mark.slow

# Shared session fixtures (see server_fixtures): one build and one server for every module.
release_dist = server_fixtures.release_dist
server = server_fixtures.server

CHROMIUM = Path("/usr/bin/chromium")
#: components.md §1.7: flags that work as root, and no name resolves but 127.0.0.1.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
SCREENS = Path("/tmp/emigre-screens")
LOCAL = re.compile(r"^http://127\.0\.0\.1[:/]")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian chromium; .ci/install installs it)")
    SCREENS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


@dataclass
class Tab:
    """A page with everything it reported: console errors, page errors, dialogs, blocked URLs."""

    page: Any
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        """No console or script error, no dialog, no attempt to reach another host."""
        assert not self.console_errors, self.console_errors
        assert not self.page_errors, self.page_errors
        assert not self.dialogs, self.dialogs
        assert not self.blocked, self.blocked

    def xss_marker(self) -> Any:
        """``window.__xss`` (None when undefined)."""
        return self.page.evaluate("() => window.__xss === undefined ? null : window.__xss")

    def screenshot(self, name: str) -> Path:
        """A full-page screenshot in ``/tmp/emigre-screens``."""
        path = SCREENS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def tab(browser: Any) -> Iterator[Tab]:
    """A fresh browser context and page, cut off from every host but 127.0.0.1."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    opened = Tab(page)

    def route(request_route: Any) -> None:
        if LOCAL.match(request_route.request.url):
            request_route.continue_()
        else:
            opened.blocked.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    page.on("console", lambda message: _console(opened, message))
    page.on("pageerror", lambda error: opened.page_errors.append(str(error)))
    page.on("dialog", lambda dialog: (opened.dialogs.append(dialog.message), dialog.dismiss()))
    yield opened
    context.close()


def _console(opened: Tab, message: Any) -> None:
    if message.type == "error":
        opened.console_errors.append(f"{message.text} at {message.location}")


def open_page(tab: Tab, running: RunningServer, path: str) -> Any:
    """Go to ``path`` and wait until the page has loaded; the main response."""
    response = tab.page.goto(running.url(path), wait_until="load")
    assert response is not None
    return response


def assert_rendered(tab: Tab, heading: str | None = None) -> str:
    """The page has an ``h1`` with text (``heading`` if given); its text."""
    first = tab.page.locator("h1").first
    text = first.inner_text().strip()
    assert text, "empty h1"
    if heading is not None:
        assert text == heading
    return str(text)


def assert_internal_links_resolve(tab: Tab, running: RunningServer) -> int:
    """Every link, stylesheet, script and image of this origin answers < 400; same-page
    fragments name an element of the page. The number of URLs checked."""
    urls = tab.page.evaluate(
        """() => [
            // An SVG <a> has an SVGAnimatedString href: resolve its value like an HTML one.
            ...[...document.querySelectorAll('a[href], link[href]')].map(e =>
                typeof e.href === 'string' ? e.href : new URL(e.href.baseVal, document.baseURI).href),
            ...[...document.querySelectorAll('img[src], script[src], iframe[src]')].map(e => e.src),
            ...[...document.querySelectorAll('form[action]')].map(e => e.action),
        ]"""
    )
    here = tab.page.url.split("#")[0]
    checked = set()
    for url in urls:
        if not url.startswith(running.base + "/"):
            continue
        target, _, fragment = url.partition("#")
        if target == here and fragment:
            found = tab.page.evaluate("id => document.getElementById(id) !== null", fragment)
            assert found, f"no element #{fragment} on {here}"
        if target in checked:
            continue
        checked.add(target)
        response = requests.get(target, headers={"Accept": CHROME}, timeout=30)
        if _is_federated_example(target):
            # The federated example query is listed to show what SERVICE looks like; the
            # endpoint refuses SERVICE by design and says so on the query page.
            assert response.status_code == 403
            assert "SERVICE" in response.text
            continue
        assert response.status_code < 400, f"{target} on {here}: {response.status_code}"
    return len(checked)


def _is_federated_example(url: str) -> bool:
    parts = urlsplit(url)
    query = " ".join(parse_qs(parts.query).get("query", []))
    return parts.path == "/sparql" and "SERVICE <" in query


# --- The pages --------------------------------------------------------------------------------


def test_landing_page(tab: Tab, server: RunningServer) -> None:
    response = open_page(tab, server, "/")
    assert response.status == 200
    assert "cultural exodus" in assert_rendered(tab)
    assert tab.page.locator("svg").count() >= 1  # the departures chart
    assert assert_internal_links_resolve(tab, server) > 20
    tab.screenshot("landing")
    tab.assert_clean()


def test_entity_page_through_its_identifier(tab: Tab, server: RunningServer) -> None:
    response = open_page(tab, server, "/id/person/ulitskaya")
    assert response.status == 200
    assert tab.page.url == server.url("/doc/person/ulitskaya.html")
    assert_rendered(tab, "Lyudmila Ulitskaya")
    assert tab.page.locator("#emigration-ulitskaya-2022").count() == 1
    data = tab.page.evaluate(
        "() => JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)"
    )
    assert "Lyudmila Ulitskaya" in json.dumps(data, ensure_ascii=False)
    assert assert_internal_links_resolve(tab, server) > 10
    tab.screenshot("entity")
    tab.assert_clean()


def test_browse_page(tab: Tab, server: RunningServer) -> None:
    response = open_page(tab, server, "/browse/person")
    assert response.status == 200
    assert_rendered(tab)
    names = tab.page.locator("main a[href^='/doc/person/']").all_inner_texts()
    assert "Lyudmila Ulitskaya" in names
    assert assert_internal_links_resolve(tab, server) > 5
    tab.screenshot("browse")
    tab.assert_clean()


def test_wikidata_links_report(tab: Tab, server: RunningServer) -> None:
    response = open_page(tab, server, "/browse/link-state")
    assert response.status == 200
    assert_rendered(tab, "Wikidata links")
    pending = tab.page.locator("#h-pending + ul a[href^='/doc/']").all_inner_texts()
    assert "Lyudmila Ulitskaya" in pending
    assert assert_internal_links_resolve(tab, server) > 5
    tab.screenshot("link-states")
    tab.assert_clean()


def test_sparql_page_runs_the_query_in_its_form(tab: Tab, server: RunningServer) -> None:
    open_page(tab, server, "/sparql")
    assert_rendered(tab, "SPARQL query")
    query = tab.page.locator("#sparql-query").input_value()
    assert "SELECT" in query
    with tab.page.expect_navigation():
        tab.page.locator("form.sparql-form button[type=submit]").click()
    assert tab.page.url.startswith(server.url("/sparql?"))
    table = tab.page.locator("table.results-table")
    assert table.count() == 1, tab.page.content()[:2000]
    headers = table.locator("thead th").all_inner_texts()
    assert headers == ["person", "name", "destination"]
    rows = table.locator("tbody tr")
    assert rows.count() >= 3
    assert "Lyudmila Ulitskaya" in table.inner_text()
    assert assert_internal_links_resolve(tab, server) > 5
    tab.screenshot("sparql")
    tab.assert_clean()


def test_sparql_example_query_link(tab: Tab, server: RunningServer) -> None:
    open_page(tab, server, "/sparql")
    with tab.page.expect_navigation():
        tab.page.locator("ul.example-queries a").first.click()
    table = tab.page.locator("table.results-table")
    assert table.count() == 1
    assert table.locator("tbody tr").count() >= 1
    tab.assert_clean()


def test_search_from_the_site_header(tab: Tab, server: RunningServer) -> None:
    open_page(tab, server, "/")
    box = tab.page.locator("header form[role=search] input[name=q]")
    box.fill("Улицкая")
    with tab.page.expect_navigation():
        box.press("Enter")
    assert urlsplit(tab.page.url).path == "/search"
    assert_rendered(tab, "Search")
    first = tab.page.locator("ol.results > li").first
    assert first.locator(".entry-name a").first.inner_text() == "Lyudmila Ulitskaya"
    assert first.locator(".entry-name a").first.get_attribute("href") == "/doc/person/ulitskaya"
    assert tab.page.locator("input#q").input_value() == "Улицкая"
    assert assert_internal_links_resolve(tab, server) > 5
    tab.screenshot("search")
    tab.assert_clean()


def test_error_page_in_the_browser(tab: Tab, server: RunningServer) -> None:
    response = open_page(tab, server, "/doc/person/no-such-person")
    assert response.status == 404
    assert "404" in assert_rendered(tab)
    # The browser logs the 404 of the page itself; nothing else may fail.
    assert all("404" in error for error in tab.console_errors), tab.console_errors
    assert not tab.page_errors and not tab.blocked


# --- XSS ----------------------------------------------------------------------------------------

XSS_PAGES = [
    ("entity", f"/doc/person/{XSS_SLUG}"),
    ("search", "/search?q=Xss"),
    ("search-for-the-payload", "/search?q=" + quote(XSS_NAME)),
    ("browse", "/browse/person"),
    ("landing", "/"),
    ("destination", "/browse/destination/germany"),
    ("source", "/doc/source/fictional-test-source"),
    ("link-state", "/browse/link-state/no-item"),
]
#: Fragments that must never reach a page unescaped.
PAYLOADS = ["<script>window.__xss", "<img src=x", "<svg onload", "<script>alert"]


@pytest.mark.parametrize(("name", "path"), XSS_PAGES, ids=[name for name, _ in XSS_PAGES])
def test_payloads_are_escaped_in_the_html(server: RunningServer, name: str, path: str) -> None:
    response = requests.get(server.url(path), headers={"Accept": CHROME}, timeout=30)
    assert response.status_code == 200
    text = response.text
    for payload in PAYLOADS:
        assert payload not in text, (name, payload)
    if name in ("entity", "search", "search-for-the-payload", "browse"):
        assert "Xss &lt;script&gt;window.__xss=1&lt;/script&gt; &lt;img src=x onerror=" in text
        assert XSS_NAME in html.unescape(text)


def test_payloads_are_escaped_in_the_embedded_json_ld(server: RunningServer) -> None:
    text = requests.get(server.url(f"/doc/person/{XSS_SLUG}"), timeout=30).text
    scripts = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', text, flags=re.DOTALL
    )
    assert len(scripts) == 1
    body = scripts[0]
    assert "<" not in body, "a raw '<' in the JSON-LD could close or open a script element"
    document = json.loads(body)
    strings = json.dumps(document, ensure_ascii=False)
    assert json.dumps(XSS_NAME, ensure_ascii=False)[1:-1] in strings
    assert json.dumps(XSS_DESCRIPTION, ensure_ascii=False)[1:-1] in strings


@pytest.mark.parametrize(("name", "path"), XSS_PAGES, ids=[name for name, _ in XSS_PAGES])
def test_payloads_run_nothing_in_the_browser(
    tab: Tab, server: RunningServer, name: str, path: str
) -> None:
    response = open_page(tab, server, path)
    assert response.status == 200
    tab.page.wait_for_timeout(100)  # event handlers of failed images fire after load
    assert tab.xss_marker() is None
    assert tab.page.locator("img[src='x']").count() == 0
    assert tab.page.locator("main script").count() == 0
    if name == "entity":
        assert_rendered(tab, XSS_NAME)
        assert XSS_EXCERPT in tab.page.locator("main").inner_text()
        tab.screenshot("xss-entity")
    if name.startswith("search"):
        assert XSS_NAME in tab.page.locator("ol.results").inner_text()
    tab.assert_clean()


def test_the_xss_check_can_fail(tab: Tab) -> None:
    """Control: the same payloads unescaped do run, and the checks above would see it."""
    tab.page.set_content(f"<!doctype html><html><body><h1>{XSS_NAME}</h1></body></html>")
    tab.page.wait_for_function("() => window.__xss === 2")  # the script, then the onerror
    assert tab.xss_marker() == 2
    assert tab.page.locator("img[src='x']").count() == 1
    tab.page.set_content(f"<!doctype html><html><body><p>{XSS_EXCERPT}</p></body></html>")
    tab.page.wait_for_timeout(100)
    assert tab.dialogs, "the dialog listener heard nothing"
    assert tab.dialogs[0] == "4"
