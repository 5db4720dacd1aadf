"""Wikidata link states and possible matches in the pages, the VoID description and the static
site: the entity page says the state in words, the report page lists records by state, VoID
counts entities by state and possible matches apart from links.

The release is ``tests/fixtures/data`` copied, with decisions applied by ``accept`` as a curator
would: two FICTIONAL possible matches (``tests/fixtures/wikidata-candidates``) noted for
``person/nikita-seleznev`` and ``person/smyslov`` marked ``no-item``.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, RdfFormat, Store, parse
from server_fixtures import RunningServer, start_server, stop_server
from test_pages import check_page, jsonld_block, jsonld_triples

from publisher.build import build_release
from publisher.catalog import Catalog
from publisher.config import DEFAULT_BASE_IRI, BuildSettings
from publisher.errors import DataErrors
from publisher.model.loader import load_dataset
from publisher.model.reference import load_reference_table
from publisher.site import PageContext, PageNotFound, iter_pages, render_browse_page
from publisher.site.pages import render_entity_page, render_landing_page
from publisher.wikidata.accept import accept_review
from publisher.wikidata.review import ReviewRow, render_tsv

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference" / "wikidata-ids.tsv"
BASE = DEFAULT_BASE_IRI
EMIGRE = "https://w3id.org/emigre/ns#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
STATES = {"verified": "Verified", "needs-review": "NeedsReview", "pending": "Pending", "no-item": "NoItem"}  # fmt: skip


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory, fixture_data_dir: Path) -> Path:
    """The build (with its static site) of the fixture data after the curator's decisions."""
    root = tmp_path_factory.mktemp("wikidata-pages")
    data = root / "data"
    shutil.copytree(fixture_data_dir, data)
    review = root / "review.tsv"
    rows = [
        ReviewRow("person/nikita-seleznev", "x", "Q9999999914", decision="candidate"),
        ReviewRow("person/nikita-seleznev", "x", "Q9999999915", decision="candidate"),
        ReviewRow("person/smyslov", "x", decision="no-item", evidence="FICTIONAL test decision"),
    ]
    review.write_text(render_tsv(rows), "utf-8")
    table = shutil.copyfile(REFERENCE, root / "ref.tsv")  # never the checkout's table
    accept_review(review, data, table)
    assert table.read_bytes() == REFERENCE.read_bytes()  # no ID was accepted
    out = root / "dist"
    settings = BuildSettings(
        data_dir=data, out_dir=out, reference_table=table, cache_dir=None, workers=1
    )
    build_release(settings)
    return out


@pytest.fixture(scope="module")
def catalog(release: Path) -> Catalog:
    return Catalog.open(release, BASE)


@pytest.fixture(scope="module")
def ctx(release: Path) -> PageContext:
    return PageContext(base=BASE, dist_dir=release, queries_dir=None)


def entity(catalog: Catalog, ctx: PageContext, ref: str) -> str:
    return render_entity_page(catalog, ctx, f"{BASE}id/{ref}")


# -- entity pages -------------------------------------------------------------------------------


def test_possible_matches_are_shown_as_unverified_never_as_links(
    catalog: Catalog, ctx: PageContext
) -> None:
    html = entity(catalog, ctx, "person/nikita-seleznev")
    check_page(html)
    assert "<dt>Possible Wikidata matches</dt>" in html
    for qid in ("Q9999999914", "Q9999999915"):
        assert (
            f'<a href="https://www.wikidata.org/wiki/{qid}" rel="nofollow" '
            f'class="wikidata-candidate">{qid}</a> <span class="unverified">possible match '
            "(unverified)</span>"
        ) in html
    assert 'class="wikidata"' not in html  # the class of real links
    assert "not linked" in html
    assert "link state: pending (not yet reconciled)" in html
    assert '<a href="/browse/link-state/pending">all records in this state</a>' in html
    # the embedded data say the same: a candidate, no sameAs
    predicates = {(t.predicate.value, t.object.value) for t in jsonld_triples(jsonld_block(html))}
    wikidata = "http://www.wikidata.org/entity/"
    assert {(p, o) for p, o in predicates if o.startswith(wikidata)} == {
        (f"{EMIGRE}wikidataCandidate", f"{wikidata}Q9999999914"),
        (f"{EMIGRE}wikidataCandidate", f"{wikidata}Q9999999915"),
    }


@pytest.mark.parametrize(
    ("ref", "words", "link"),
    [
        ("person/bunin", "verified", "Q46602"),
        ("person/balagov", "needs review (one source only)", "Q30346628"),
        ("person/ulitskaya", "pending (not yet reconciled)", None),
        ("person/smyslov", "no Wikidata item (checked)", None),
        ("person/fictional-test-person", "no Wikidata item (checked)", None),
        ("place/tbilisi", "verified", "Q994"),
    ],
)
def test_every_link_state_in_words(
    catalog: Catalog, ctx: PageContext, ref: str, words: str, link: str | None
) -> None:
    html = entity(catalog, ctx, ref)
    assert f"(link state: {words};" in html
    slug = next(slug for slug, state in STATES.items() if words.startswith(state_words(state)))
    assert f'<a href="/browse/link-state/{slug}">all records in this state</a>' in html
    if link:
        assert f'<a href="https://www.wikidata.org/wiki/{link}" class="wikidata">{link}</a>' in html
    else:
        assert 'class="wikidata"' not in html
    assert "Possible Wikidata" not in html


def state_words(state: str) -> str:
    return {"Verified": "verified", "NeedsReview": "needs", "Pending": "pending", "NoItem": "no "}[
        state
    ]


# -- the report ---------------------------------------------------------------------------------


def test_the_report_counts_every_state_and_lists_what_is_open(
    catalog: Catalog, ctx: PageContext, release: Path
) -> None:
    html = render_browse_page(catalog, ctx, "link-state", None)
    checker = check_page(html)
    assert "<h1>Wikidata links</h1>" in html
    assert '<a href="/browse/link-state/no-item">No Wikidata item (checked)</a>' in html
    stats = catalog.statistics["wikidata_link_states"]
    assert isinstance(stats, dict)
    for slug, state in STATES.items():
        assert f'<a href="/browse/link-state/{slug}">' in html
        assert f'<span class="count">{stats[state]} records</span>' in html
    pending = html.split('id="h-pending"')[1].split("</section>")[0]
    review = html.split('id="h-needs-review"')[1].split("</section>")[0]
    assert f"Pending (not yet reconciled): {stats['Pending']} records</h2>" in html
    assert '<a href="/doc/person/nikita-seleznev">Nikita Seleznev</a>' in pending
    assert pending.count("possible match (unverified)") == 2
    assert '<a href="/doc/person/ulitskaya">Lyudmila Ulitskaya</a>' in pending
    assert "/doc/person/balagov" in review and "Q30346628" in review
    assert "/doc/person/bunin" not in html  # verified: counted, listed on its own page
    assert {"/doc/person/nikita-seleznev", "/browse/link-state/no-item"} <= set(checker.hrefs)


@pytest.mark.parametrize("slug", list(STATES))
def test_each_state_has_a_page_with_every_record_in_it(
    catalog: Catalog, ctx: PageContext, release: Path, slug: str
) -> None:
    html = render_browse_page(catalog, ctx, "link-state", slug)
    check_page(html)
    dump = Store()
    dump.bulk_load(path=release / "emigre.nt", format=RdfFormat.N_TRIPLES)
    state = NamedNode(f"{EMIGRE}{STATES[slug]}")
    records = {
        quad.subject.value
        for quad in dump.quads_for_pattern(None, NamedNode(f"{EMIGRE}wikidataLinkState"), state)
    }
    assert records
    for iri in records:
        assert f'<a href="/doc/{iri.removeprefix(BASE + "id/")}">' in html
    assert html.count('<p class="entry-name">') == len(records)


def test_no_item_page_lists_the_decision_applied(catalog: Catalog, ctx: PageContext) -> None:
    html = render_browse_page(catalog, ctx, "link-state", "no-item")
    assert '<a href="/doc/person/smyslov">Vadim Smyslov</a>' in html
    assert '<a href="/doc/person/fictional-test-person">Fictional Test Person</a>' in html


@pytest.mark.parametrize("value", ["unknown", "Pending", "needsreview"])
def test_unknown_states_are_not_found(catalog: Catalog, ctx: PageContext, value: str) -> None:
    with pytest.raises(PageNotFound):
        render_browse_page(catalog, ctx, "link-state", value)


def test_the_landing_page_links_the_report(catalog: Catalog, ctx: PageContext) -> None:
    html = render_landing_page(catalog, ctx)
    assert '<a href="/browse/link-state">Wikidata links by state</a>' in html
    assert '<li><a href="/browse/link-state">Wikidata links</a></li>' in html


def test_every_report_page_is_one_of_the_sites_pages(catalog: Catalog, ctx: PageContext) -> None:
    paths = [path for path, _ in iter_pages(catalog, ctx) if path.startswith("/browse/link-state")]
    assert paths == ["/browse/link-state", *(f"/browse/link-state/{slug}" for slug in STATES)]


# -- VoID and statistics ------------------------------------------------------------------------


def void_counts(dist: Path) -> dict[str, dict[str, str]]:
    """Each subject of ``void.ttl`` -> its void:triples / void:entities / linkPredicate."""
    found: dict[str, dict[str, str]] = {}
    for triple in parse((dist / "void.ttl").read_bytes(), RdfFormat.TURTLE):
        name = triple.predicate.value.rsplit("#", 1)[-1]
        if name in ("triples", "entities", "linkPredicate"):
            found.setdefault(triple.subject.value, {})[name] = triple.object.value
    return found


def dump_counts(dist: Path) -> tuple[Counter[str], Counter[str], int]:
    """From the dump itself: entities per link state, owl:sameAs links per link state, and
    emigre:wikidataCandidate triples."""
    states: dict[str, str] = {}
    same_as: Counter[str] = Counter()
    candidates = 0
    for triple in parse((dist / "emigre.nt").read_bytes(), RdfFormat.N_TRIPLES):
        predicate = triple.predicate.value
        if predicate == f"{EMIGRE}wikidataLinkState":
            states[triple.subject.value] = triple.object.value.rsplit("#", 1)[-1]
        elif predicate == OWL_SAME_AS:
            same_as[triple.subject.value] += 1
        elif predicate == f"{EMIGRE}wikidataCandidate":
            candidates += 1
    links: Counter[str] = Counter()
    for subject, count in same_as.items():
        links[states[subject]] += count
    return Counter(states.values()), links, candidates


@pytest.mark.parametrize("which", ["release", "fixture build"])
def test_void_counts_entities_by_state_and_candidates_apart_from_links(
    release: Path, built_dist: Path, which: str
) -> None:
    dist = release if which == "release" else built_dist
    entities, links, candidates = dump_counts(dist)
    void = void_counts(dist)
    dataset = f"{BASE}id/dataset"
    for slug, state in STATES.items():
        assert void[f"{dataset}/link-state/{slug}"]["entities"] == str(entities[state])
    for state in ("Verified", "NeedsReview"):
        assert void[f"{dataset}/linkset/wikidata-{state.lower()}"]["triples"] == str(links[state])
    assert void[f"{dataset}/linkset/wikidata"]["triples"] == str(sum(links.values()))
    assert links["Pending"] == links["NoItem"] == 0
    candidate_linkset = void[f"{dataset}/linkset/wikidata-candidates"]
    assert candidate_linkset["linkPredicate"] == f"{EMIGRE}wikidataCandidate"
    assert candidate_linkset["triples"] == str(candidates)
    # the release has the two possible matches; the plain fixture build none (negative control)
    assert candidates == (2 if which == "release" else 0)
    stats = Catalog.open(dist, BASE).statistics
    assert stats["wikidata_candidates"] == candidates
    assert stats["wikidata_link_states"] == dict(entities)


# -- the static site and the server -------------------------------------------------------------


def test_the_static_site_has_the_report(release: Path, catalog: Catalog) -> None:
    site = release / "site"
    ctx = PageContext(base=BASE, dist_dir=release)
    assert (site / "browse" / "link-state.html").read_text("utf-8") == render_browse_page(
        catalog, ctx, "link-state", None
    )
    for slug in STATES:
        assert (site / "browse" / "link-state" / f"{slug}.html").is_file()
    sitemap = (site / "sitemap.xml").read_text("utf-8")
    assert f"<loc>{BASE}browse/link-state</loc>" in sitemap
    assert f"<loc>{BASE}browse/link-state/no-item</loc>" in sitemap


@pytest.fixture(scope="module")
def served(release: Path) -> Iterator[RunningServer]:
    log_dir = release.parent / "logs"
    log_dir.mkdir(exist_ok=True)
    running = start_server(release, log_dir=log_dir)
    yield running
    stop_server(running)


@pytest.mark.slow
def test_emigre_serve_answers_the_report(served: RunningServer) -> None:
    report = served.fetch("/browse/link-state", {"Accept": "text/html"})
    assert report.status == 200 and report.media_type == "text/html"
    assert "Nikita Seleznev" in report.text and "possible match (unverified)" in report.text
    pending = served.fetch("/browse/link-state/pending")
    assert pending.status == 200 and "Lyudmila Ulitskaya" in pending.text
    for path in ("/browse/link-state/unknown", "/browse/link-state/..%2F..%2Fetc"):
        assert served.fetch(path, {"Accept": "text/html"}).status == 404


# -- the data checks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "wikidata_candidates: [Q9999999914]\nlink_state: no-item\n",
            "wikidata_candidates are for records with no wikidata or link_state",
        ),
        (
            "wikidata_candidates: Q9999999914\n",
            "wikidata_candidates must be a list of item IDs, e.g. [Q123]",
        ),
        ("wikidata_candidates: [Q1, Q1]\n", "wikidata_candidates: Q1 is listed twice"),
        (
            "wikidata_candidates: [wd:Q1]\n",
            "wikidata_candidates: 'wd:Q1' is not a Wikidata item ID",
        ),
    ],
)
def test_possible_matches_in_the_data_are_checked(
    tmp_path: Path, fixture_data_dir: Path, line: str, message: str
) -> None:
    data = tmp_path / "data"
    shutil.copytree(fixture_data_dir, data)
    path = data / "people" / "ulitskaya.yaml"
    text = path.read_text("utf-8")
    path.write_text(text + line, "utf-8")
    with pytest.raises(DataErrors) as caught:
        load_dataset(data, load_reference_table(REFERENCE))
    field_line = text.count("\n") + 1
    assert str(caught.value) == f"{path}:{field_line}: record 'ulitskaya': {message}"


def test_another_records_id_is_no_possible_match(tmp_path: Path, fixture_data_dir: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(fixture_data_dir, data)
    path = data / "people" / "ulitskaya.yaml"
    path.write_text(path.read_text("utf-8") + "wikidata_candidates: [Q80966]\n", "utf-8")
    with pytest.raises(DataErrors) as caught:
        load_dataset(data, load_reference_table(REFERENCE))
    assert str(caught.value) == (
        f"{path}:1: record 'ulitskaya': wikidata_candidates: Q80966 is the checked ID of "
        "person/cate-blanchett, not a possible match of this record"
    )
