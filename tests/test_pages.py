"""HTML pages and SVG charts (``publisher.site``): every page of the real data renders as sound,
accessible HTML; the embedded JSON-LD is the record's document; values from the data are
escaped wherever they land; the landing page lists every download with its checksum.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store, Triple, parse

from publisher import iris
from publisher.build import build_release
from publisher.catalog import Catalog
from publisher.config import DEFAULT_BASE_IRI, BuildSettings, project_root
from publisher.formats import ALL_FORMATS
from publisher.site import (
    PageContext,
    PageNotFound,
    iter_pages,
    page_url,
    render_browse_page,
    render_departures_svg,
    render_entity_page,
    render_error_page,
    render_landing_page,
    render_search_page,
    render_timeline_svg,
)

BASE = DEFAULT_BASE_IRI
SCHEMA = "http://schema.org/"
EMIGRE = "https://w3id.org/emigre/ns#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"

# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build of the checkout's ``data/`` (the real data set)."""
    out_dir = tmp_path_factory.mktemp("pages") / "dist"
    settings = BuildSettings(
        data_dir=project_root() / "data", out_dir=out_dir, cache_dir=None, workers=1
    )
    build_release(settings)
    return out_dir


@pytest.fixture(scope="module")
def catalog(real_dist: Path) -> Catalog:
    """The real build, opened."""
    return Catalog.open(real_dist, BASE)


@pytest.fixture(scope="module")
def ctx(real_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> PageContext:
    """Root-relative pages of the real build, with one example query of our own."""
    queries = tmp_path_factory.mktemp("queries")
    (queries / "who-went-where.rq").write_text(
        "# Who went where\nSELECT ?who ?where WHERE { ?e <https://w3id.org/emigre/ns#emigrant>"
        " ?who ; <https://w3id.org/emigre/ns#destination> ?where }\n",
        encoding="utf-8",
    )
    return PageContext(base=BASE, dist_dir=real_dist, queries_dir=queries)


@pytest.fixture(scope="module")
def all_pages(catalog: Catalog, ctx: PageContext) -> dict[str, str]:
    """Every page the site has: path -> HTML."""
    pages = dict(iter_pages(catalog, ctx))
    assert len(pages) > 100
    return pages


# -- an HTML checker ----------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
#: SVG elements that may be written self-closing inside HTML.
SVG_EMPTY = {"path", "rect", "circle", "line"}


class PageChecker(HTMLParser):
    """Collects what the tests check: nesting, landmarks, headings, ids, scripts, links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: Counter[str] = Counter()
        self.headings: list[int] = []
        self.ids: Counter[str] = Counter()
        self.scripts: list[dict[str, str | None]] = []
        self.script_text: list[str] = []
        self.links: list[dict[str, str | None]] = []
        self.hrefs: list[str] = []
        self.html_lang: str | None = None
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags[tag] += 1
        if tag == "html":
            self.html_lang = attributes.get("lang")
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if attributes.get("id"):
            self.ids[str(attributes["id"])] += 1
        if tag == "script":
            self.scripts.append(attributes)
            self._in_script = True
        if tag == "link":
            self.links.append(attributes)
        if tag == "a" and attributes.get("href"):
            self.hrefs.append(str(attributes["href"]))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            if tag not in SVG_EMPTY:
                self.errors.append(f"self-closing <{tag}/>")
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text.append(data)


def check_page(html: str) -> PageChecker:
    """Parse and check the invariants every page keeps; returns the checker for more asserts."""
    checker = PageChecker()
    checker.feed(html)
    checker.close()
    assert html.startswith("<!DOCTYPE html>")
    assert not checker.errors, checker.errors[:5]
    assert not checker.stack, f"unclosed: {checker.stack}"
    assert checker.html_lang == "en"
    for landmark in ("main", "header", "footer", "nav", "h1"):
        assert checker.tags[landmark] >= 1, f"no <{landmark}>"
    assert checker.tags["main"] == 1 and checker.tags["h1"] == 1
    duplicates = [ident for ident, n in checker.ids.items() if n > 1]
    assert not duplicates, f"duplicate ids {duplicates}"
    assert checker.headings[0] == 1
    for before, after in zip(checker.headings, checker.headings[1:], strict=False):
        assert after <= before + 1, f"heading h{before} is followed by h{after}"
    assert all(s.get("type") == "application/ld+json" for s in checker.scripts), "a real script"
    assert 'href="#main"' in html, "no skip link"
    return checker


def jsonld_block(html: str) -> Any:
    """The data of the page's ``<script type="application/ld+json">``."""
    checker = check_page(html)
    assert len(checker.scripts) == 1
    return json.loads("".join(checker.script_text))


def offline_loader(url: str, options: object = None) -> dict[str, Any]:
    raise AssertionError(f"the page's JSON-LD needed the network for {url}")


def jsonld_triples(document: Any) -> set[Triple]:
    """The document's triples, expanded by PyLD with no network."""
    nquads = jsonld.to_rdf(
        document, {"format": "application/n-quads", "documentLoader": offline_loader}
    )
    return {q.triple for q in parse(str(nquads), RdfFormat.N_QUADS)}


# -- every page of the real data --------------------------------------------------------------


def test_every_page_renders_as_sound_html(all_pages: dict[str, str]) -> None:
    for path, html in all_pages.items():
        try:
            check_page(html)
        except AssertionError as error:
            raise AssertionError(f"{path}: {error}") from error


def test_every_record_has_a_page(catalog: Catalog, all_pages: dict[str, str]) -> None:
    for kind in iris.ENTITY_KINDS:
        for iri, _ in catalog.records(kind):
            assert iris.document_url("/", kind, iri.rsplit("/", 1)[1]) in all_pages


def test_links_between_pages_resolve(all_pages: dict[str, str]) -> None:
    """Every root-relative link points at a page of the site, an anchor on it, or a file."""
    anchors: dict[str, set[str]] = {}
    for path, html in all_pages.items():
        anchors[path] = set(check_page(html).ids)
    for path, html in all_pages.items():
        for href in check_page(html).hrefs:
            services = ("/dumps/", "/sparql", "/search", "/oai", "/resourcesync/", "/.well-known/")
            if not href.startswith("/") or href.startswith(services):
                continue
            target, _, fragment = href.partition("#")
            target = re.sub(r"\.(ttl|nt|jsonld|rdf|html)$", "", target)
            assert target in all_pages, f"{path} links to {href}"
            if fragment:
                assert fragment in anchors[target], f"{path} links to missing anchor {href}"


def test_entity_pages_link_every_format(catalog: Catalog, all_pages: dict[str, str]) -> None:
    html = all_pages["/doc/person/ulitskaya"]
    alternates = {
        (link["type"], link["href"])
        for link in check_page(html).links
        if link["rel"] == "alternate"
    }
    assert alternates == {
        (fmt.media_type, f"/doc/person/ulitskaya.{fmt.extension}") for fmt in ALL_FORMATS
    }


def test_person_page_reads_well(all_pages: dict[str, str]) -> None:
    html = all_pages["/doc/person/ulitskaya"]
    assert "<h1>Lyudmila Ulitskaya</h1>" in html
    assert '<span lang="ru">Людмила Улицкая</span>' in html
    assert '<span lang="ru">Людмила Евгеньевна Улицкая</span>' in html
    assert "link state: pending" in html
    assert '<time datetime="2022-03">about March 2022</time>' in html
    assert 'from <a href="/doc/place/russia">Russia</a> to <a href="/doc/place/germany">' in html
    assert "<dt>How</dt><dd>fled</dd>" in html
    # Each fact is followed by its source, with the excerpt, anchored by the citation's IRI.
    assert 'id="citation-emigration-ulitskaya-2022-2"' in html
    assert "“It was the beginning of March.”" not in html  # quotes come from <q>, not text
    assert '<q class="excerpt" lang="en">It was the beginning of March.</q>' in html
    assert '<a href="/doc/source/smyslov-2022">' in html
    assert "<h3>Also went to Germany</h3>" in html
    assert '<a href="/doc/person/serebrennikov">Kirill Serebrennikov</a>' in html


def test_wikidata_link_and_state(all_pages: dict[str, str]) -> None:
    html = all_pages["/doc/person/balagov"]
    assert (
        '<a href="https://www.wikidata.org/wiki/Q30346628" class="wikidata">Q30346628</a>' in html
    )
    assert "link state: needs review" in html


def test_conflicting_sources_are_shown_side_by_side(all_pages: dict[str, str]) -> None:
    html = all_pages["/doc/person/balagov"]
    section = html[
        html.index("<h3>Birth date") : html.index("</section>", html.index("<h3>Birth date"))
    ]
    assert "sources disagree" in section
    assert 'class="side-by-side"' in section
    assert "25 January 1991" in section and "28 July 1991" in section
    assert "akcentu2" in section and "English Wikipedia" in section


def test_mentions_keep_the_sources_spelling(all_pages: dict[str, str]) -> None:
    assert "mentioned as “Ivan Kuprin”" in all_pages["/doc/person/kuprin"]


def test_persecution_and_quotes(all_pages: dict[str, str]) -> None:
    html = all_pages["/doc/person/glukhovsky"]
    assert '<time datetime="2022-06-07">7 June 2022</time>' in html
    assert "wanted list" in html and "discrediting the army" in html
    assert "Published at reduced precision" in html  # the coarse emigration
    assert '<blockquote lang="en"><p>We are all hostages' in html


def test_place_page_lists_who_went_there_through_its_cities(all_pages: dict[str, str]) -> None:
    html = all_pages["/doc/place/georgia"]
    went = html[html.index("<h3>Went to Georgia</h3>") :]
    assert '<a href="/doc/person/balagov">Kantemir Balagov</a>' in went  # went to Tbilisi
    assert '<a href="/browse/destination/georgia">' in html


def test_source_page_lists_what_cites_it(all_pages: dict[str, str]) -> None:
    html = all_pages["/doc/source/enwiki-lyudmila-ulitskaya"]
    assert "<h3>Facts cited to this source</h3>" in html
    assert 'href="/doc/person/ulitskaya#claim-ulitskaya-birth-date-enwiki"' in html
    assert "date of birth: 1943-02-21" in html


def test_page_url_of_minted_nodes(catalog: Catalog, ctx: PageContext) -> None:
    cases = {
        "id/person/ulitskaya": "/doc/person/ulitskaya",
        "id/emigration/ulitskaya-2022": "/doc/person/ulitskaya#emigration-ulitskaya-2022",
        "id/citation/emigration-ulitskaya-2022-1": (
            "/doc/person/ulitskaya#citation-emigration-ulitskaya-2022-1"
        ),
        "id/claim/artdocfest-founder-mansky": (
            "/doc/organization/artdocfest#claim-artdocfest-founder-mansky"
        ),
        "id/quotation/glukhovsky-hostages": "/doc/person/glukhovsky#quotation-glukhovsky-hostages",
    }
    for path, url in cases.items():
        assert page_url(catalog, ctx, BASE + path) == url
    assert page_url(catalog, ctx, "http://www.wikidata.org/entity/Q183") is None


def test_pages_under_a_prefix(catalog: Catalog, real_dist: Path) -> None:
    ctx = PageContext(base=BASE, url_prefix="/emigre", dist_dir=real_dist, queries_dir=None)
    html = render_entity_page(catalog, ctx, BASE + "id/person/ulitskaya")
    hrefs = check_page(html).hrefs
    local = [h for h in hrefs if not h.startswith(("http", "#"))]
    assert local and all(h.startswith("/emigre/") for h in local)
    assert 'href="/emigre/static/style.css"' in html


# -- the embedded JSON-LD -----------------------------------------------------------------------


def test_embedded_jsonld_is_the_records_document(catalog: Catalog, ctx: PageContext) -> None:
    """PyLD (offline) expands the block of every record's page to its document's triples."""
    for kind in iris.ENTITY_KINDS:
        for iri, _ in catalog.records(kind):
            document = jsonld_block(render_entity_page(catalog, ctx, iri))
            assert jsonld_triples(document) == set(catalog.document_triples(iri)), iri


def test_embedded_jsonld_names_every_node(catalog: Catalog, all_pages: dict[str, str]) -> None:
    for kind in iris.ENTITY_KINDS:
        for iri, _ in catalog.records(kind):
            url = iris.document_url("/", kind, iri.rsplit("/", 1)[1])
            document = jsonld_block(all_pages[url])
            ids = {node["id"] for node in document["@graph"]}
            assert ids == set(catalog.document_nodes(iri)), iri


def test_unknown_record_is_not_found(catalog: Catalog, ctx: PageContext) -> None:
    for iri in (BASE + "id/person/nobody", BASE + "id/emigration/ulitskaya-2022", "urn:x"):
        with pytest.raises(PageNotFound):
            render_entity_page(catalog, ctx, iri)


# -- escaping -----------------------------------------------------------------------------------

SCRIPT_NAME = "</script><script>alert(1)</script>"
IMG_NAME = "<img src=x onerror=alert(1)>"
QUOTES_NAME = '"quotes" & ampersands \u2028 <!-- --> ]]>'


@pytest.fixture(scope="module")
def hostile() -> Catalog:
    """A tiny graph whose every string tries to break out of HTML, attributes or <script>."""
    n, lit = NamedNode, Literal
    person, emigration = n(BASE + "id/person/x"), n(BASE + "id/emigration/x-1")
    citation, source = n(BASE + "id/citation/emigration-x-1-1"), n(BASE + "id/source/s")
    place = n(BASE + "id/place/p")
    triples = [
        (person, n(RDF_TYPE), n(SCHEMA + "Person")),
        (person, n(SCHEMA + "name"), lit(SCRIPT_NAME, language="en")),
        (person, n(SCHEMA + "name"), lit(IMG_NAME, language="ru")),
        (person, n(SCHEMA + "alternateName"), lit(QUOTES_NAME, language="en")),
        (person, n(SCHEMA + "description"), lit(IMG_NAME, language="en")),
        (person, n(EMIGRE + "wikidataLinkState"), n(EMIGRE + "Pending")),
        (emigration, n(RDF_TYPE), n(EMIGRE + "Emigration")),
        (emigration, n(SCHEMA + "name"), lit(SCRIPT_NAME, language="en")),
        (emigration, n(EMIGRE + "emigrant"), person),
        (emigration, n(EMIGRE + "destination"), place),
        (emigration, n(SCHEMA + "startDate"), lit("2022", datatype=n(XSD + "gYear"))),
        (emigration, n(EMIGRE + "datePrecision"), n(EMIGRE + "YearPrecision")),
        (emigration, n(SCHEMA + "citation"), citation),
        (citation, n(RDF_TYPE), n(EMIGRE + "Citation")),
        (citation, n(EMIGRE + "citedSource"), source),
        (citation, n(EMIGRE + "excerpt"), lit(IMG_NAME, language="en")),
        (citation, n(EMIGRE + "mentionedAs"), lit(SCRIPT_NAME)),
        (source, n(RDF_TYPE), n(SCHEMA + "WebPage")),
        (source, n(SCHEMA + "name"), lit(QUOTES_NAME, language="en")),
        (source, n(SCHEMA + "url"), n("javascript:alert(1)")),
        (place, n(RDF_TYPE), n(SCHEMA + "Country")),
        (place, n(SCHEMA + "name"), lit(IMG_NAME, language="en")),
    ]
    store = Store()
    store.extend(Quad(s, p, o) for s, p, o in triples)
    return Catalog(store, BASE)


def assert_inert(html: str) -> None:
    """No payload survives as markup; the page still parses as sound HTML."""
    check_page(html)
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "</script><script>" not in html
    assert not re.search(r"(href|src)=\"?\s*javascript:", html)


def test_hostile_names_are_escaped_on_the_entity_page(hostile: Catalog) -> None:
    ctx = PageContext(base=BASE, queries_dir=None)
    html = render_entity_page(hostile, ctx, BASE + "id/person/x")
    assert_inert(html)
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&#34;quotes&#34; &amp; ampersands" in html


def test_hostile_names_in_the_jsonld_block_parse_back(hostile: Catalog) -> None:
    ctx = PageContext(base=BASE, queries_dir=None)
    html = render_entity_page(hostile, ctx, BASE + "id/person/x")
    block = html[html.index('<script type="application/ld+json">') :]
    block = block[block.index(">") + 1 : block.index("</script>")]
    for raw in ("<", ">", "&", "\u2028"):
        assert raw not in block
    document = json.loads(block)
    nodes = {node["id"]: node for node in document["@graph"]}
    person = nodes[BASE + "id/person/x"]
    assert person["name"] == {"en": SCRIPT_NAME, "ru": IMG_NAME}
    assert person["alternateName"] == {"en": QUOTES_NAME}
    triples = jsonld_triples(document)
    assert triples == set(hostile.document_triples(BASE + "id/person/x"))


def test_hostile_names_are_escaped_everywhere(hostile: Catalog) -> None:
    ctx = PageContext(base=BASE, queries_dir=None)
    pages = dict(iter_pages(hostile, ctx))
    pages["search"] = render_search_page(hostile, ctx, SCRIPT_NAME)
    pages["search x"] = render_search_page(hostile, ctx, "alert")
    pages["error"] = render_error_page(404, SCRIPT_NAME, IMG_NAME, ctx)
    for path, html in pages.items():
        try:
            assert_inert(html)
        except AssertionError as error:
            raise AssertionError(f"{path}: {error}") from error
    for svg in (render_departures_svg(hostile, ctx), render_timeline_svg(hostile, ctx)):
        ET.fromstring(svg)
        assert "<img" not in svg and "<script" not in svg


# -- charts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("draw", [render_departures_svg, render_timeline_svg])
def test_charts_are_svg_with_titles(catalog: Catalog, ctx: PageContext, draw: Any) -> None:
    svg = draw(catalog, ctx)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    assert root.find(f"{ns}title") is not None and root.find(f"{ns}desc") is not None
    assert root.get("aria-labelledby")
    marks = [e for e in root.iter() if e.tag in (f"{ns}path", f"{ns}circle")]
    titled = [e for e in marks if e.find(f"{ns}title") is not None]
    assert titled, "no mark has a <title>"
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", ""), "no external resource"
    assert draw(catalog, ctx) == svg, "the same data draws the same picture"


def test_departures_chart_names_people_and_places(catalog: Catalog, ctx: PageContext) -> None:
    svg = render_departures_svg(catalog, ctx)
    assert "Georgia (" in svg
    assert "Lyudmila Ulitskaya" in svg
    assert 'href="/browse/destination/georgia"' in svg


def test_timeline_spans_1917_to_today(catalog: Catalog, real_dist: Path) -> None:
    from datetime import date

    ctx = PageContext(base=BASE, dist_dir=real_dist, today=date(2031, 5, 1))
    svg = render_timeline_svg(catalog, ctx)
    assert "1917–2031" in svg
    assert "Dmitry Glukhovsky: wanted list, 7 June 2022" in svg
    assert "Lyudmila Ulitskaya left for Germany, about March 2022" in svg


# -- landing, browse, search, errors -----------------------------------------------------------


def test_landing_page_lists_every_download_with_its_checksum(
    real_dist: Path, all_pages: dict[str, str]
) -> None:
    html = all_pages["/"]
    lines = (real_dist / "SHA256SUMS").read_text("utf-8").splitlines()
    assert lines
    for line in lines:
        digest, name = line.split("  ", 1)
        row = html[html.index(f'<a href="/dumps/{name}" download>') :]
        row = row[: row.index("</tr>")]
        assert digest in row, name
        assert re.search(r"\d+(\.\d)? (bytes|kB|MB|GB)", row), name


def test_landing_page_content(all_pages: dict[str, str]) -> None:
    html = all_pages["/"]
    checker = check_page(html)
    assert 'rel="license"' in html and "creativecommons.org/publicdomain/zero/1.0/" in html
    assert "<dt>people</dt><dd>30</dd>" in html.replace("\n", "").replace("  ", "")
    assert html.count("<svg") == 2
    assert "/sparql?query=%23+Who+went+where" in html
    assert "<summary>Who went where</summary>" in html
    assert {"/browse/person", "/browse/wave", "/browse/destination"} <= set(checker.hrefs)
    assert "/dumps/void.ttl" in html and "/dumps/dcat.ttl" in html
    assert 'action="/search" method="get"' in html
    dataset = json.loads("".join(checker.script_text))
    assert dataset["@type"] == "Dataset"


def test_browse_pages(catalog: Catalog, ctx: PageContext) -> None:
    people = render_browse_page(catalog, ctx, "person", None)
    assert check_page(people).tags["li"] >= 30
    assert "2022 → Germany" in people
    wave = render_browse_page(catalog, ctx, "wave", "2022")
    assert '<a href="/doc/person/ulitskaya">Lyudmila Ulitskaya</a>' in wave
    assert "<svg" in wave
    georgia = render_browse_page(catalog, ctx, "destination", "georgia")
    assert "<h1>Went to Georgia</h1>" in georgia
    assert "Tbilisi (7)" in georgia
    destinations = render_browse_page(catalog, ctx, "destination", None)
    assert 'href="/browse/destination/georgia"' in destinations
    for page in (people, wave, georgia, destinations):
        check_page(page)


@pytest.mark.parametrize(
    ("facet", "value"),
    [("nothing", None), ("wave", "1066"), ("destination", "atlantis"), ("person", "ulitskaya")],
)
def test_unknown_browse_pages_are_not_found(
    catalog: Catalog, ctx: PageContext, facet: str, value: str | None
) -> None:
    with pytest.raises(PageNotFound):
        render_browse_page(catalog, ctx, facet, value)


def test_search_page_works_without_javascript(catalog: Catalog, ctx: PageContext) -> None:
    html = render_search_page(catalog, ctx, "Oulitskaïa")
    checker = check_page(html)
    assert 'method="get"' in html and 'name="q"' in html
    assert 'value="Oulitskaïa"' in html
    assert checker.hrefs.index("/doc/person/ulitskaya") < checker.hrefs.index(
        "/doc/source/enwiki-lyudmila-ulitskaya"
    )
    empty = render_search_page(catalog, ctx, "")
    check_page(empty)
    assert "Ulitskaya" in empty
    nothing = render_search_page(catalog, ctx, "zzqxj")
    assert "0 results" in nothing


def test_error_page() -> None:
    html = render_error_page(410, "Gone", "This record was withdrawn.")
    check_page(html)
    assert "<h1>Gone</h1>" in html and "410" in html


def test_landing_page_without_a_dist_directory(catalog: Catalog) -> None:
    html = render_landing_page(catalog, PageContext(base=BASE, queries_dir=None))
    check_page(html)
    assert "/dumps/" not in html.split("For machines")[0]
