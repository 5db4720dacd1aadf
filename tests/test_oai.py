"""The OAI-PMH provider (``/oai``) of the real server: every verb and every error of the protocol.

Requests go over 127.0.0.1 to ``python -m publisher serve`` (``server_fixtures``) on the release
of the fixture data (a renamed, a withdrawn and an XSS record); every response is validated
against the OAI-PMH schema (``oai_schema``). The release is built without a release date, so
every datestamp is the Unix epoch; datestamps of dated releases and incremental harvests are in
``test_oai_harvest.py``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pyoxigraph
import pytest
from lxml import etree
from oai_schema import DC, OAI, OAI_DC, RDF, error_code, validate
from server_fixtures import (
    RENAMED,
    WITHDRAWN,
    XSS_DESCRIPTION,
    XSS_NAME,
    XSS_SLUG,
    RunningServer,
    release_dist,
    server,
    start_server,
    stop_server,
)

from publisher.oai.tokens import ResumptionToken
from publisher.releases import UNRELEASED

__all__ = ["release_dist", "server"]

pytestmark = pytest.mark.slow

PREFIX = "oai:w3id.org:"
SMALL_PAGE = 7


@pytest.fixture(scope="module")
def small_pages(release_dist: Path) -> Iterator[RunningServer]:
    """The same release served with seven records per page."""
    logs = release_dist.parent / "logs"
    logs.mkdir(exist_ok=True)
    running = start_server(release_dist, "--oai-page-size", str(SMALL_PAGE), log_dir=logs)
    yield running
    stop_server(running)


def get(server: RunningServer, **arguments: str) -> etree._Element:
    """GET /oai?ARGUMENTS: 200, text/xml, a valid response; returns its root."""
    response = server.fetch("/oai?" + urlencode(arguments))
    assert response.status == 200, response.text
    assert response.media_type == "text/xml"
    return validate(response.body)


def post(server: RunningServer, body: bytes, content_type: str) -> etree._Element:
    response = server.fetch("/oai", {"Content-Type": content_type}, method="POST", body=body)
    assert response.status == 200, response.text
    return validate(response.body)


def records(release_dist: Path) -> dict[str, dict[str, object]]:
    manifest = json.loads((release_dist / "release.json").read_text("utf-8"))
    return dict(manifest["records"])


def tombstones(release_dist: Path) -> dict[str, dict[str, object]]:
    manifest = json.loads((release_dist / "release.json").read_text("utf-8"))
    return dict(manifest["tombstones"])


def identifiers(root: etree._Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{OAI}identifier")]


# -- the verbs ------------------------------------------------------------------------------------


def test_identify(server: RunningServer) -> None:
    root = get(server, verb="Identify")
    identify = root.find(f"{OAI}Identify")
    assert identify is not None
    assert identify.findtext(f"{OAI}baseURL") == server.url("/oai")
    assert identify.findtext(f"{OAI}protocolVersion") == "2.0"
    assert identify.findtext(f"{OAI}deletedRecord") == "persistent"
    assert identify.findtext(f"{OAI}granularity") == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.findtext(f"{OAI}earliestDatestamp") == UNRELEASED
    request = root.find(f"{OAI}request")
    assert request is not None and request.get("verb") == "Identify"


def test_list_metadata_formats(server: RunningServer) -> None:
    for arguments in ({}, {"identifier": f"{PREFIX}person/ulitskaya"}):
        root = get(server, verb="ListMetadataFormats", **arguments)
        prefixes = [e.text for e in root.iter(f"{OAI}metadataPrefix")]
        assert prefixes == ["oai_dc", "rdf"]


def test_list_sets_by_kind_and_wave(server: RunningServer) -> None:
    root = get(server, verb="ListSets")
    specs = [e.text for e in root.iter(f"{OAI}setSpec")]
    assert specs[:2] == ["kind", "kind:person"]
    assert {"wave", "wave:2022", "wave:1917-1922"} <= set(specs)
    names = {
        s.findtext(f"{OAI}setSpec"): s.findtext(f"{OAI}setName") for s in root.iter(f"{OAI}set")
    }
    assert names["kind:person"] == "People"
    assert "2022" in (names["wave:2022"] or "")


def test_list_identifiers_lists_every_record_and_tombstone(
    server: RunningServer, release_dist: Path
) -> None:
    root = get(server, verb="ListIdentifiers", metadataPrefix="oai_dc")
    found = identifiers(root)
    expected = {*records(release_dist), *tombstones(release_dist)}
    assert sorted(found) == sorted(f"{PREFIX}{ref}" for ref in expected)
    assert root.find(f".//{OAI}resumptionToken") is None, "one page: no token"
    deleted = {
        header.findtext(f"{OAI}identifier")
        for header in root.iter(f"{OAI}header")
        if header.get("status") == "deleted"
    }
    assert deleted == {f"{PREFIX}{WITHDRAWN}", f"{PREFIX}{RENAMED[0]}"}
    assert {e.text for e in root.iter(f"{OAI}datestamp")} == {UNRELEASED}


def test_get_record_in_oai_dc(server: RunningServer) -> None:
    root = get(
        server, verb="GetRecord", identifier=f"{PREFIX}person/ulitskaya", metadataPrefix="oai_dc"
    )
    dc = root.find(f".//{OAI_DC}dc")
    assert dc is not None
    values: dict[str, list[str]] = {}
    for element in dc:
        values.setdefault(etree.QName(element).localname, []).append(element.text or "")
    assert "Lyudmila Ulitskaya" in values["title"]
    assert "Людмила Улицкая" in values["title"]
    assert values["identifier"] == ["https://w3id.org/emigre/id/person/ulitskaya"]
    assert values["type"] == ["http://schema.org/Person"]
    assert "1943-02-21" in values["date"]
    assert "https://w3id.org/emigre/id/wave/2022" in values["relation"]
    assert "https://w3id.org/emigre/id/place/germany" in values["coverage"]
    assert values["rights"] == ["https://creativecommons.org/publicdomain/zero/1.0/"]
    assert values["source"], "the cited sources"
    title = dc.find(f"{DC}title")
    assert title is not None and title.get("{http://www.w3.org/XML/1998/namespace}lang")
    header = root.find(f".//{OAI}header")
    assert header is not None
    assert [e.text for e in header.iter(f"{OAI}setSpec")] == ["kind:person", "wave:2022"]


def test_get_record_in_rdf_is_the_document(server: RunningServer) -> None:
    root = get(
        server, verb="GetRecord", identifier=f"{PREFIX}person/ulitskaya", metadataPrefix="rdf"
    )
    payload = root.find(f".//{OAI}metadata/{RDF}RDF")
    assert payload is not None
    harvested = set(pyoxigraph.parse(etree.tostring(payload), format=pyoxigraph.RdfFormat.RDF_XML))
    document = server.fetch("/doc/person/ulitskaya.nt")
    published = set(pyoxigraph.parse(document.body, format=pyoxigraph.RdfFormat.N_TRIPLES))
    assert harvested == published and len(published) > 20


def test_deleted_record_has_a_header_only(server: RunningServer) -> None:
    for identifier in (f"{PREFIX}{WITHDRAWN}", f"{PREFIX}{RENAMED[0]}"):
        root = get(server, verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")
        record = root.find(f".//{OAI}record")
        assert record is not None
        header = record.find(f"{OAI}header")
        assert header is not None and header.get("status") == "deleted"
        assert record.find(f"{OAI}metadata") is None


def test_script_in_the_data_is_escaped(server: RunningServer) -> None:
    identifier = f"{PREFIX}person/{XSS_SLUG}"
    response = server.fetch(
        "/oai?"
        + urlencode({"verb": "GetRecord", "identifier": identifier, "metadataPrefix": "oai_dc"})
    )
    assert b"<script" not in response.body and b"<img" not in response.body
    root = validate(response.body)
    assert XSS_NAME in [e.text for e in root.iter(f"{DC}title")]
    assert [e.text for e in root.iter(f"{DC}description")] == [XSS_DESCRIPTION]
    rdf = server.fetch(
        "/oai?"
        + urlencode({"verb": "GetRecord", "identifier": identifier, "metadataPrefix": "rdf"})
    )
    assert b"<script" not in rdf.body
    validate(rdf.body)


def test_list_records_in_both_formats(server: RunningServer, release_dist: Path) -> None:
    expected = len(records(release_dist)) + len(tombstones(release_dist))
    for prefix in ("oai_dc", "rdf"):
        root = get(server, verb="ListRecords", metadataPrefix=prefix)
        assert len(root.findall(f".//{OAI}record")) == expected
        metadata = root.findall(f".//{OAI}metadata")
        assert len(metadata) == len(records(release_dist)), "tombstones have no metadata"
    rdf = get(server, verb="ListRecords", metadataPrefix="rdf")
    for payload in rdf.iter(f"{RDF}RDF"):
        assert list(pyoxigraph.parse(etree.tostring(payload), format=pyoxigraph.RdfFormat.RDF_XML))


# -- selective harvesting -------------------------------------------------------------------------


def _wave_members(release_dist: Path, wave: str) -> set[str]:
    return {ref for ref, state in records(release_dist).items() if wave in state["waves"]}  # type: ignore[operator]


def test_sets_select_by_kind_and_by_wave(server: RunningServer, release_dist: Path) -> None:
    nt = (release_dist / "emigre.nt").read_text("utf-8")
    people_in_2022 = {
        line.split("> <")[2].split("/")[-1].rstrip("> .")
        for line in nt.splitlines()
        if "/ns#emigrant>" in line and "/emigration/" in line
    }
    wave_2022 = identifiers(
        get(server, verb="ListIdentifiers", metadataPrefix="oai_dc", set="wave:2022")
    )
    expected = _wave_members(release_dist, "2022")
    assert sorted(wave_2022) == sorted(f"{PREFIX}{ref}" for ref in expected)
    assert f"{PREFIX}person/ulitskaya" in wave_2022
    assert {ref.split("/")[1] for ref in expected if ref.startswith("person/")} <= people_in_2022
    places = identifiers(
        get(server, verb="ListIdentifiers", metadataPrefix="oai_dc", set="kind:place")
    )
    assert places and all(i.startswith(f"{PREFIX}place/") for i in places)
    everything = identifiers(
        get(server, verb="ListIdentifiers", metadataPrefix="oai_dc", set="kind")
    )
    assert len(everything) == len(records(release_dist)) + len(tombstones(release_dist))
    waves = identifiers(get(server, verb="ListIdentifiers", metadataPrefix="oai_dc", set="wave"))
    assert set(wave_2022) < set(waves)


def test_from_and_until(server: RunningServer, release_dist: Path) -> None:
    total = len(records(release_dist)) + len(tombstones(release_dist))
    root = get(server, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "1970-01-01"})
    assert len(identifiers(root)) == total
    root = get(
        server, verb="ListIdentifiers", metadataPrefix="oai_dc", until="1970-01-01T00:00:00Z"
    )
    assert len(identifiers(root)) == total
    root = get(
        server, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "1970-01-01T00:00:01Z"}
    )
    assert error_code(root) == "noRecordsMatch"


# -- resumption tokens ----------------------------------------------------------------------------


def _pages(server: RunningServer, verb: str, **arguments: str) -> Iterator[etree._Element]:
    root = get(server, verb=verb, **arguments)
    while True:
        yield root
        token = root.find(f".//{OAI}resumptionToken")
        if token is None or not token.text:
            return
        root = get(server, verb=verb, resumptionToken=token.text)


def test_pages_carry_tokens_with_size_and_cursor(
    small_pages: RunningServer, release_dist: Path
) -> None:
    total = len(records(release_dist)) + len(tombstones(release_dist))
    seen: list[str] = []
    cursors = []
    for page in _pages(small_pages, "ListRecords", metadataPrefix="oai_dc"):
        found = identifiers(page)
        assert len(found) <= SMALL_PAGE
        seen += found
        token = page.find(f".//{OAI}resumptionToken")
        assert token is not None, "every page of a split list has a token element"
        assert token.get("completeListSize") == str(total)
        cursors.append(int(token.get("cursor") or -1))
    assert len(seen) == len(set(seen)) == total
    assert cursors == list(range(0, total, SMALL_PAGE))
    assert len(cursors) > 3


def test_tokens_are_stateless(small_pages: RunningServer, server: RunningServer) -> None:
    """A token issued by one server process continues the list on another serving the release."""
    first = get(small_pages, verb="ListIdentifiers", metadataPrefix="oai_dc", set="kind:person")
    token = first.find(f".//{OAI}resumptionToken")
    assert token is not None and token.text
    rest = get(server, verb="ListIdentifiers", resumptionToken=token.text)
    everyone = identifiers(
        get(server, verb="ListIdentifiers", metadataPrefix="oai_dc", set="kind:person")
    )
    assert identifiers(first) + identifiers(rest) == everyone
    rest_token = rest.find(f".//{OAI}resumptionToken")
    assert rest_token is not None and not rest_token.text
    assert rest_token.get("cursor") == str(SMALL_PAGE)


# -- errors ---------------------------------------------------------------------------------------

ERRORS: list[tuple[str, dict[str, str] | str, str]] = [
    ("no verb", {}, "badVerb"),
    ("unknown verb", {"verb": "ListEverything"}, "badVerb"),
    ("repeated verb", "verb=Identify&verb=Identify", "badVerb"),
    ("argument Identify does not take", {"verb": "Identify", "set": "kind"}, "badArgument"),
    ("missing metadataPrefix", {"verb": "ListRecords"}, "badArgument"),
    ("missing identifier", {"verb": "GetRecord", "metadataPrefix": "oai_dc"}, "badArgument"),
    ("repeated argument", "verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=rdf", "badArgument"),
    ("empty argument", {"verb": "ListRecords", "metadataPrefix": ""}, "badArgument"),
    ("from not a date", {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "yesterday"}, "badArgument"),
    ("impossible date", {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "2026-02-30"}, "badArgument"),
    ("finer than seconds", {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "2026-01-01T00:00:00.5Z"}, "badArgument"),
    ("mixed granularity", {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "2026-01-01", "until": "2026-02-01T00:00:00Z"}, "badArgument"),
    ("from after until", {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "2026-02-01", "until": "2026-01-01"}, "badArgument"),
    ("not a setSpec", {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "kind::person"}, "badArgument"),
    ("token with other arguments", {"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": "x"}, "badArgument"),
    ("garbage token", {"verb": "ListRecords", "resumptionToken": "not-a-token"}, "badResumptionToken"),
    ("ListSets never issues tokens", {"verb": "ListSets", "resumptionToken": "x"}, "badResumptionToken"),
    ("unknown format in a list", {"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
    ("unknown format of a record", {"verb": "GetRecord", "identifier": f"{PREFIX}person/ulitskaya", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
    ("unknown identifier", {"verb": "GetRecord", "identifier": f"{PREFIX}person/nobody", "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
    ("identifier of another repository", {"verb": "GetRecord", "identifier": "oai:example.org:person/ulitskaya", "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
    ("formats of an unknown item", {"verb": "ListMetadataFormats", "identifier": "ulitskaya"}, "idDoesNotExist"),
    ("no record in the range", {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2999-01-01"}, "noRecordsMatch"),
    ("unknown set", {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "wave:1812"}, "noRecordsMatch"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "arguments", "code"), ERRORS, ids=[e[0] for e in ERRORS])
def test_error_conditions(
    server: RunningServer, case: str, arguments: dict[str, str] | str, code: str
) -> None:
    query = arguments if isinstance(arguments, str) else urlencode(arguments)
    response = server.fetch(f"/oai?{query}")
    assert response.status == 200
    root = validate(response.body)
    assert error_code(root) == code, response.text
    request = root.find(f"{OAI}request")
    assert request is not None and request.text == server.url("/oai")
    if code in ("badVerb", "badArgument"):
        assert dict(request.attrib) == {}, "no arguments are echoed for badVerb or badArgument"
    else:
        assert request.get("verb") is not None


def test_tokens_of_another_verb_or_release_are_refused(small_pages: RunningServer) -> None:
    first = get(small_pages, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = first.find(f".//{OAI}resumptionToken")
    assert token is not None and token.text
    assert error_code(get(small_pages, verb="ListRecords", resumptionToken=token.text)) == (
        "badResumptionToken"
    )
    decoded = ResumptionToken.decode(token.text)
    assert (
        get(small_pages, verb="ListIdentifiers", resumptionToken=token.text).find(f".//{OAI}header")
        is not None
    ), "the control: the token itself is good"
    for changed in (
        ResumptionToken(**{**decoded.__dict__, "fingerprint": "0" * 16}),
        ResumptionToken(**{**decoded.__dict__, "offset": 10_000}),
    ):
        root = get(small_pages, verb="ListIdentifiers", resumptionToken=changed.encode())
        assert error_code(root) == "badResumptionToken"


def test_post_is_answered_as_get(server: RunningServer) -> None:
    form = "application/x-www-form-urlencoded"
    body = urlencode(
        {"verb": "GetRecord", "identifier": f"{PREFIX}person/ulitskaya", "metadataPrefix": "oai_dc"}
    )
    by_post = post(server, body.encode(), form)
    by_get = get(
        server, verb="GetRecord", identifier=f"{PREFIX}person/ulitskaya", metadataPrefix="oai_dc"
    )
    assert etree.tostring(by_post.find(f"{OAI}GetRecord")) == etree.tostring(
        by_get.find(f"{OAI}GetRecord")
    )
    assert error_code(post(server, b"verb=Identify", "text/plain")) == "badArgument"
    assert error_code(post(server, b"verb=Nope", form)) == "badVerb"
    assert error_code(post(server, b"\xff\xfe=\xff", form)) == "badArgument"


@pytest.mark.parametrize(
    "query",
    [
        "verb=%FF%FE",
        "verb=GetRecord&identifier=%00&metadataPrefix=oai_dc",
        "verb=ListRecords&resumptionToken=" + quote("W1sibm9wZSJdXQ"),
        "verb=ListRecords&resumptionToken=" + "A" * 5000,
        "verb=Identify&" + "&".join(f"a{n}=b" for n in range(200)),
        "verb=GetRecord&identifier="
        + quote("<script>alert(1)</script>")
        + "&metadataPrefix=oai_dc",
    ],
)
def test_odd_requests_get_valid_errors(server: RunningServer, query: str) -> None:
    response = server.fetch(f"/oai?{query}")
    assert response.status == 200
    root = validate(response.body)
    assert error_code(root) in ("badVerb", "badArgument", "badResumptionToken", "idDoesNotExist")
    assert b"<script" not in response.body


def test_landing_page_links_the_provider_and_the_feed(server: RunningServer) -> None:
    page = server.fetch("/", {"Accept": "text/html"}).text
    assert 'href="/oai?verb=Identify"' in page
    assert 'href="/resourcesync/changelist.xml"' in page
    feed = server.fetch("/resourcesync/changelist.xml")
    assert feed.status == 200 and feed.media_type == "application/xml"
    assert feed.body == (server.dist_dir / "resourcesync" / "changelist.xml").read_bytes()


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({"verb": "ListRecords", "metadataPrefix": "marc 21"}, "badArgument"),
        ({"verb": "GetRecord", "identifier": f"{PREFIX}x", "metadataPrefix": "a<b"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21", "set": "a b"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21", "from": "x"}, "badArgument"),
    ],
)
def test_syntax_is_checked_before_anything_is_echoed(
    server: RunningServer, arguments: dict[str, str], code: str
) -> None:
    """Values the schema's request element would refuse are badArgument, never echoed."""
    assert error_code(get(server, **arguments)) == code


def test_a_build_without_release_manifest_has_no_provider(
    release_dist: Path, tmp_path: Path
) -> None:
    """A build directory without release.json (not written by emigre build) is still served;
    only /oai says it cannot answer."""
    dist = tmp_path / "dist"
    shutil.copytree(release_dist, dist, ignore=shutil.ignore_patterns("site"))
    (dist / "release.json").unlink()
    running = start_server(dist, log_dir=tmp_path)
    try:
        assert running.fetch("/oai?verb=Identify").status == 404
        assert running.fetch("/doc/person/ulitskaya.nt").status == 200
    finally:
        stop_server(running)
