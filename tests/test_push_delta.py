"""``emigre push`` by the release diff (``publisher.push.delta``) against a real Oxigraph server.

Two builds: the fixture data (``built_dist``) and the server tests' release data built with
``--previous-release`` pointing at it (``diff_dist``: a record renamed, one withdrawn, one
added), so ``diff_dist`` carries the diff that turns the first dump into the second.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import server_fixtures
from conftest import RunEmigre
from requests.auth import HTTPDigestAuth
from store_fixtures import (
    FaultProxy,
    OxigraphServer,
    VirtuosoServer,
    dump_triples,
    graph_triples,
    named_graphs,
    sparql_count,
)

from publisher.build import build_release
from publisher.config import BuildSettings
from publisher.push import PushError, PushSettings, push_release, store_endpoint
from publisher.push.delta import (
    Marker,
    marker_from_rows,
    marker_graph_iri,
    read_delta,
    sha256_ni,
)
from publisher.releases import dump_sha256

GRAPH = "http://example.org/emigre-test/delta"
MARKER = GRAPH + "#emigre-push"
PREFIX = "http://example.org/emigre-test/"

needs_oxigraph = pytest.mark.skipif(
    shutil.which("oxigraph") is None, reason="oxigraph is not installed (.ci/install installs it)"
)
needs_virtuoso = pytest.mark.skipif(
    shutil.which("virtuoso-t") is None, reason="virtuoso-opensource is not installed"
)


@pytest.fixture(scope="module")
def diff_dist(built_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release data built with ``built_dist`` as the previous release."""
    root = tmp_path_factory.mktemp("delta")
    data_dir = server_fixtures.write_release_data(root / "data")
    settings = BuildSettings(data_dir=data_dir, out_dir=root / "dist", cache_dir=None, workers=1)
    build_release(settings, previous_release=built_dist)
    return root / "dist"


@pytest.fixture
def oxigraph(tmp_path: Path) -> Iterator[OxigraphServer]:
    server = OxigraphServer(None, tmp_path / "oxigraph.log").start()
    yield server
    server.kill()


def _settings(base: str, **options: object) -> PushSettings:
    endpoint = store_endpoint("oxigraph", base)
    return PushSettings(endpoint=endpoint, graph=GRAPH, backoff=0.05, **options)  # type: ignore[arg-type]


def _marker(server: OxigraphServer) -> Marker | None:
    query = (
        f"SELECT ?source ?triples WHERE {{ GRAPH <{MARKER}> {{ <{GRAPH}> "
        "<http://purl.org/dc/terms/source> ?source ; <http://rdfs.org/ns/void#triples> ?triples "
        "} }"
    )
    response = requests.post(
        f"{server.base}/query",
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    rows = [
        {name: value["value"] for name, value in row.items()}
        for row in response.json()["results"]["bindings"]
    ]
    return marker_from_rows(rows)


def _update(server: OxigraphServer, update: str) -> None:
    response = requests.post(f"{server.base}/update", data={"update": update}, timeout=30)
    assert response.status_code == 204, response.text


# --- The diff the build writes --------------------------------------------------------------


def test_the_build_names_the_dump_its_diff_applies_to(built_dist: Path, diff_dist: Path) -> None:
    delta = read_delta(diff_dist)
    assert delta is not None
    assert delta.from_sha256 == dump_sha256(built_dist)
    old, new = dump_triples(built_dist), dump_triples(diff_dist)
    assert (delta.added_triples, delta.removed_triples) == (len(new - old), len(old - new))
    assert delta.added_triples and delta.removed_triples
    # A build without a previous release has no diff to push.
    assert read_delta(built_dist) is None


def test_an_old_diff_without_the_dump_digest_is_not_used(diff_dist: Path, tmp_path: Path) -> None:
    old = tmp_path / "dist"
    shutil.copytree(diff_dist, old)
    diff = json.loads((old / "release-diff.json").read_text("utf-8"))
    del diff["triples"]["from_dump_sha256"]
    (old / "release-diff.json").write_text(json.dumps(diff), "utf-8")
    assert read_delta(old) is None


@pytest.mark.parametrize(
    "rows",
    [
        [],
        [{"source": sha256_ni("ab" * 32), "triples": "1"}] * 2,
        [{"source": "urn:sha256:" + "ab" * 32, "triples": "1"}],
        [{"source": sha256_ni("ab" * 32), "triples": "many"}],
        [{"source": sha256_ni("ab" * 32), "triples": "-1"}],
        [{"source": "ni:///sha-256;AAAA", "triples": "1"}],
    ],
)
def test_a_marker_is_exactly_one_dump_and_one_count(rows: list[dict[str, str]]) -> None:
    assert marker_from_rows(rows) is None


def test_marker_graph_beside_a_fragment() -> None:
    assert marker_graph_iri("http://example.org/g#v1") == "http://example.org/g#v1-emigre-push"


# --- Pushing it -----------------------------------------------------------------------------


@pytest.mark.slow
@needs_oxigraph
def test_a_target_holding_the_previous_release_gets_the_diff_alone(
    oxigraph: OxigraphServer, built_dist: Path, diff_dist: Path
) -> None:
    first = push_release(built_dist, _settings(oxigraph.base))
    assert first.method == "load" and first.marked
    assert _marker(oxigraph) == Marker(dump_sha256(built_dist), first.after)

    messages: list[str] = []
    second = push_release(diff_dist, _settings(oxigraph.base), messages.append)
    delta = read_delta(diff_dist)
    assert delta is not None
    assert second.method == "diff" and second.marked and not second.staging_left
    assert second.staged == delta.added_triples + delta.removed_triples
    assert second.uploaded_bytes == delta.added.stat().st_size + delta.removed.stat().st_size
    assert second.uploaded_bytes < second.dump_bytes / 3
    # Exactly the new dump, as a full push would leave it; the diff's graphs are gone.
    assert graph_triples(f"{oxigraph.base}/store", GRAPH) == dump_triples(diff_dist)
    assert second.after == second.expected == len(dump_triples(diff_dist))
    assert named_graphs(f"{oxigraph.base}/query", PREFIX) == {GRAPH, MARKER}
    assert _marker(oxigraph) == Marker(dump_sha256(diff_dist), second.after)
    assert any("applying the release diff" in message for message in messages)

    # The same build again: the target holds the new release now, not the diff's base.
    messages.clear()
    third = push_release(diff_dist, _settings(oxigraph.base), messages.append)
    assert third.method == "DELETE/INSERT"
    assert any("is not marked as holding the release" in message for message in messages)
    assert graph_triples(f"{oxigraph.base}/store", GRAPH) == dump_triples(diff_dist)


@pytest.mark.slow
@needs_oxigraph
def test_a_diff_that_only_adds_stages_one_graph(
    oxigraph: OxigraphServer, built_dist: Path, tmp_path: Path
) -> None:
    """A release that only adds triples: nothing to remove, nothing staged for it."""
    dist = tmp_path / "dist"
    dist.mkdir()
    extra = b"<http://example.org/emigre-test/s> <http://example.org/emigre-test/p> <x:o> .\n"
    (dist / "emigre.nt").write_bytes((built_dist / "emigre.nt").read_bytes() + extra)
    (dist / "release-diff-added.nt").write_bytes(extra)
    (dist / "release-diff-removed.nt").write_bytes(b"")
    triples = {"added": 1, "removed": 0, "from_dump_sha256": dump_sha256(built_dist)}
    (dist / "release-diff.json").write_text(json.dumps({"triples": triples}), "utf-8")
    push_release(built_dist, _settings(oxigraph.base))
    messages: list[str] = []
    report = push_release(dist, _settings(oxigraph.base), messages.append)
    assert report.method == "diff" and report.staged == 1
    assert not any("release-diff-removed.nt" in message for message in messages)
    assert graph_triples(f"{oxigraph.base}/store", GRAPH) == dump_triples(dist)
    assert named_graphs(f"{oxigraph.base}/query", PREFIX) == {GRAPH, MARKER}


@pytest.mark.slow
@needs_oxigraph
def test_a_target_changed_behind_the_pushes_gets_the_whole_dump(
    oxigraph: OxigraphServer, built_dist: Path, diff_dist: Path
) -> None:
    """Same count, same marker, but one triple of the diff's additions is already there (and
    another triple gone to keep the count): the diff would not give the new dump."""
    push_release(built_dist, _settings(oxigraph.base))
    delta = read_delta(diff_dist)
    assert delta is not None
    added = delta.added.read_text("utf-8").splitlines()[0]
    kept = sorted(dump_triples(built_dist) & dump_triples(diff_dist))[0]
    _update(oxigraph, f"DELETE DATA {{ GRAPH <{GRAPH}> {{ {kept} }} }}")
    _update(oxigraph, f"INSERT DATA {{ GRAPH <{GRAPH}> {{ {added} }} }}")
    assert sparql_count(f"{oxigraph.base}/query", GRAPH) == len(dump_triples(built_dist))

    messages: list[str] = []
    report = push_release(diff_dist, _settings(oxigraph.base), messages.append)
    assert report.method == "DELETE/INSERT"
    assert any("differs from the release the diff applies to" in m for m in messages)
    assert graph_triples(f"{oxigraph.base}/store", GRAPH) == dump_triples(diff_dist)
    assert named_graphs(f"{oxigraph.base}/query", PREFIX) == {GRAPH, MARKER}


@pytest.mark.slow
@needs_oxigraph
def test_a_count_that_differs_from_the_marker_gets_the_whole_dump(
    oxigraph: OxigraphServer, built_dist: Path, diff_dist: Path
) -> None:
    push_release(built_dist, _settings(oxigraph.base))
    _update(oxigraph, f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <x:s> <x:p> <x:o> }} }}")
    report = push_release(diff_dist, _settings(oxigraph.base))
    assert report.method == "DELETE/INSERT"
    assert graph_triples(f"{oxigraph.base}/store", GRAPH) == dump_triples(diff_dist)


@pytest.mark.slow
@needs_oxigraph
def test_full_pushes_the_whole_dump(
    oxigraph: OxigraphServer, built_dist: Path, diff_dist: Path, run_emigre: RunEmigre
) -> None:
    push_release(built_dist, _settings(oxigraph.base))
    options = ["--endpoint", oxigraph.base, "--graph", GRAPH]
    result = run_emigre("push", "--dist", diff_dist, *options, "--full")
    assert result.returncode == 0, result.stderr
    assert "(replaced by DELETE/INSERT)" in result.stdout
    assert graph_triples(f"{oxigraph.base}/store", GRAPH) == dump_triples(diff_dist)
    # And by default, from the same starting point, the diff.
    push_release(built_dist, _settings(oxigraph.base))
    result = run_emigre("push", "--dist", diff_dist, *options)
    assert result.returncode == 0, result.stderr
    assert "(by the release diff)" in result.stdout
    assert "triples added or removed" in result.stdout


@pytest.mark.slow
@needs_oxigraph
def test_a_failed_diff_upload_leaves_the_target_as_it_was(
    oxigraph: OxigraphServer, built_dist: Path, diff_dist: Path
) -> None:
    push_release(built_dist, _settings(oxigraph.base))
    proxy = FaultProxy(oxigraph.base)
    try:
        proxy.failing_puts = 100
        with pytest.raises(PushError, match=r"HTTP 503.*was not changed"):
            push_release(diff_dist, _settings(proxy.base, retries=1))
        assert len(proxy.puts()) == 2
    finally:
        proxy.close()
    assert graph_triples(f"{oxigraph.base}/store", GRAPH) == dump_triples(built_dist)
    assert named_graphs(f"{oxigraph.base}/query", PREFIX) == {GRAPH, MARKER}
    assert _marker(oxigraph) == Marker(dump_sha256(built_dist), len(dump_triples(built_dist)))


@pytest.mark.slow
@needs_virtuoso
def test_virtuoso_gets_the_diff_too(
    built_dist: Path,
    diff_dist: Path,
    tmp_path: Path,
    run_emigre: RunEmigre,
) -> None:
    """The diff push is plain SPARQL 1.1: the same on Virtuoso, whose first push stages and
    COPYs (its loads are not known to be atomic) and writes the marker with the COPY."""
    server = VirtuosoServer(tmp_path / "virtuoso").start()
    try:
        login = ["--store", "virtuoso", "--endpoint", server.base, "--user", "dba"]
        login += ["--password", "dba", "--graph", GRAPH]
        first = run_emigre("push", "--dist", built_dist, *login)
        assert first.returncode == 0, first.stderr
        assert "(replaced by COPY)" in first.stdout
        second = run_emigre("push", "--dist", diff_dist, *login)
        assert second.returncode == 0, second.stderr
        assert "(by the release diff)" in second.stdout
        crud = f"{server.base}/sparql-graph-crud-auth"
        auth = HTTPDigestAuth("dba", "dba")
        assert graph_triples(crud, GRAPH, auth=auth) == dump_triples(diff_dist)
        assert named_graphs(f"{server.base}/sparql", PREFIX) == {GRAPH, MARKER}
    finally:
        server.stop()
