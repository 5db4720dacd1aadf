"""``emigre push`` (``publisher.push``) against real stores on 127.0.0.1.

Oxigraph server (PyPI ``oxigraph``) and Debian's Virtuoso are started by the tests
(``store_fixtures``). Faults a store cannot be asked to make (a 503, a store that drops triples,
an authentication check) come from a small proxy in front of a real Oxigraph. A server killed
mid-upload is a real SIGKILL, and the store is started again on the same directory to see
what survived; a plain PUT killed the same way is the negative control that shows the check
can fail.

Two builds give two different graphs: the fixture data (``built_dist``) and the server tests'
release (``release_dist``: a record renamed, one withdrawn, one added).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import server_fixtures
from conftest import REPO_ROOT, RunEmigre
from hypothesis import given, settings
from hypothesis import strategies as st
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
from publisher.cli import push_command
from publisher.config import BuildSettings
from publisher.push import (
    AUTH_KINDS,
    PRESETS,
    Credentials,
    PushError,
    PushSettings,
    push_release,
    store_endpoint,
    swap_update,
)
from publisher.push.body import TripleCounter, count_triples

release_dist = server_fixtures.release_dist

GRAPH = "http://example.org/emigre-test/graph"
#: The graph in which a push records what the target holds.
MARKER = GRAPH + "#emigre-push"
#: Every graph a test makes starts with this (so a listing can ignore the rest).
PREFIX = "http://example.org/emigre-test/"


def _has_oxigraph() -> bool:
    return shutil.which("oxigraph") is not None


needs_oxigraph = pytest.mark.skipif(
    not _has_oxigraph(), reason="oxigraph is not installed (.ci/install installs it)"
)
needs_virtuoso = pytest.mark.skipif(
    shutil.which("virtuoso-t") is None, reason="virtuoso-opensource is not installed"
)


@pytest.fixture
def oxigraph(tmp_path: Path) -> Iterator[OxigraphServer]:
    """An in-memory Oxigraph server, killed after the test."""
    server = OxigraphServer(None, tmp_path / "oxigraph.log").start()
    yield server
    server.kill()


@pytest.fixture
def disk_oxigraph(tmp_path: Path) -> Iterator[OxigraphServer]:
    """A disk-backed Oxigraph server (it can be killed and started again), killed after."""
    server = OxigraphServer(tmp_path / "store", tmp_path / "oxigraph.log").start()
    yield server
    server.kill()


@pytest.fixture
def proxy_for(request: pytest.FixtureRequest) -> Iterator[object]:
    """``proxy_for(upstream_base)``: a FaultProxy, closed after the test."""
    proxies: list[FaultProxy] = []

    def make(upstream: str) -> FaultProxy:
        proxies.append(FaultProxy(upstream))
        return proxies[-1]

    yield make
    for proxy in proxies:
        proxy.close()


def _oxigraph_settings(base: str, **options: object) -> PushSettings:
    endpoint = store_endpoint("oxigraph", base)
    return PushSettings(endpoint=endpoint, graph=GRAPH, backoff=0.05, **options)  # type: ignore[arg-type]


def _push_cli(
    run_emigre: RunEmigre, dist: Path, base: str, *options: str
) -> subprocess.CompletedProcess[str]:
    return run_emigre("push", "--dist", dist, "--endpoint", base, "--graph", GRAPH, *options)


def _distinct_lines(dist: Path) -> int:
    return len({line for line in (dist / "emigre.nt").read_bytes().splitlines() if line.strip()})


# --- Oxigraph: the push itself ------------------------------------------------------------------


@pytest.mark.slow
@needs_oxigraph
def test_push_into_an_empty_target_loads_it_directly(
    oxigraph: OxigraphServer, built_dist: Path
) -> None:
    messages: list[str] = []
    uploads: list[tuple[int, int]] = []
    report = push_release(
        built_dist, _oxigraph_settings(oxigraph.base), messages.append, lambda *a: uploads.append(a)
    )
    expected = _distinct_lines(built_dist)
    assert (report.before, report.after, report.expected) == (0, expected, expected)
    assert report.method == "load"
    assert report.staging_graph is None and report.staged is None
    assert report.gzip is False  # auto: not on loopback
    assert graph_triples(f"{oxigraph.base}/store", GRAPH) == dump_triples(built_dist)
    assert named_graphs(f"{oxigraph.base}/query", PREFIX) == {GRAPH, MARKER}
    size = (built_dist / "emigre.nt").stat().st_size
    assert uploads[0] == (0, size) and uploads[-1] == (size, size)
    assert any(f"to <{GRAPH}> (it is empty)" in message for message in messages)
    assert set(report.seconds) == {"count", "upload", "verify target", "mark"}
    assert report.marked


@pytest.mark.slow
@needs_oxigraph
def test_always_stage_loads_a_staging_graph_first(
    oxigraph: OxigraphServer, built_dist: Path
) -> None:
    messages: list[str] = []
    report = push_release(
        built_dist, _oxigraph_settings(oxigraph.base, direct_load=False), messages.append
    )
    expected = _distinct_lines(built_dist)
    assert (report.before, report.staged, report.after) == (0, expected, expected)
    assert report.method == "DELETE/INSERT" and not report.staging_left
    assert report.staging_graph is not None
    assert report.staging_graph.startswith(GRAPH + "#emigre-staging-")
    assert graph_triples(f"{oxigraph.base}/store", GRAPH) == dump_triples(built_dist)
    # The staging graph is gone: dropped after the swap.
    assert named_graphs(f"{oxigraph.base}/query", PREFIX) == {GRAPH, MARKER}
    assert any("deleting and inserting the difference" in message for message in messages)


@pytest.mark.slow
@needs_oxigraph
def test_the_swap_update_makes_the_target_the_staging_graph(oxigraph: OxigraphServer) -> None:
    """Triples only in the target go, triples only in staging come, shared ones stay; twice
    is the same as once."""
    staging, target = PREFIX + "staging", PREFIX + "target"
    _put(oxigraph, staging, b"<x:a> <x:p> <x:shared> .\n<x:a> <x:p> <x:new> .\n")
    _put(oxigraph, target, b"<x:a> <x:p> <x:shared> .\n<x:a> <x:p> <x:old> .\n")
    _put(oxigraph, PREFIX + "other", b"<x:a> <x:p> <x:old> .\n")
    for _ in range(2):
        response = requests.post(
            f"{oxigraph.base}/update", data={"update": swap_update(staging, target)}, timeout=30
        )
        assert response.status_code == 204, response.text
        assert graph_triples(f"{oxigraph.base}/store", target) == graph_triples(
            f"{oxigraph.base}/store", staging
        )
    assert sparql_count(f"{oxigraph.base}/query", target) == 2
    # Other graphs are not touched.
    assert sparql_count(f"{oxigraph.base}/query", PREFIX + "other") == 1


def _put(server: OxigraphServer, graph: str, triples: bytes) -> None:
    response = requests.put(
        f"{server.base}/store",
        params={"graph": graph},
        data=triples,
        headers={"Content-Type": "application/n-triples"},
        timeout=30,
    )
    assert response.status_code in (201, 204), response.text


@pytest.mark.slow
@needs_oxigraph
def test_second_push_replaces_the_graph(
    oxigraph: OxigraphServer, built_dist: Path, release_dist: Path, run_emigre: RunEmigre
) -> None:
    first = _push_cli(run_emigre, release_dist, oxigraph.base)
    assert first.returncode == 0, first.stderr
    assert "(loaded directly: the target was empty)" in first.stdout
    second = _push_cli(run_emigre, built_dist, oxigraph.base)
    assert second.returncode == 0, second.stderr
    old, new = _distinct_lines(release_dist), _distinct_lines(built_dist)
    assert old != new
    assert f"target before   {old:>12,} triples" in second.stdout
    assert f"target after    {new:>12,} (replaced by DELETE/INSERT)" in second.stdout
    # Replaced, not merged: exactly the second build's triples.
    assert graph_triples(f"{oxigraph.base}/store", GRAPH) == dump_triples(built_dist)
    assert named_graphs(f"{oxigraph.base}/query", PREFIX) == {GRAPH, MARKER}
    # The same build pushed again changes nothing, and still verifies.
    again = _push_cli(run_emigre, built_dist, oxigraph.base)
    assert again.returncode == 0, again.stderr
    assert sparql_count(f"{oxigraph.base}/query", GRAPH) == new


def _unread_bytes(server: OxigraphServer) -> int:
    """Bytes waiting in the receive queues of the server's connections (``/proc/net/tcp``)."""
    local = f"0100007F:{server.port:04X}"
    waiting = 0
    for row in Path("/proc/net/tcp").read_text("ascii").splitlines()[1:]:
        fields = row.split()
        if fields[1] == local and fields[3] == "01":  # 01: ESTABLISHED
            waiting += int(fields[4].split(":")[1], 16)
    return waiting


class KillMidUpload:
    """An upload progress callback that kills the server once it is inside the upload: after
    32 KiB are sent and the server has read them, with the rest of the dump not sent yet."""

    def __init__(self, server: OxigraphServer) -> None:
        self.server = server
        self.killed_at: int | None = None

    def __call__(self, sent: int, total: int) -> None:
        if self.killed_at is None and sent >= 32 * 1024:
            deadline = time.monotonic() + 30
            while _unread_bytes(self.server):
                assert time.monotonic() < deadline, "the server reads nothing"
                time.sleep(0.01)
            self.killed_at = sent
            self.server.kill()


@pytest.mark.slow
@needs_oxigraph
def test_server_killed_mid_upload_keeps_the_old_graph(
    disk_oxigraph: OxigraphServer, built_dist: Path, release_dist: Path
) -> None:
    push_release(built_dist, _oxigraph_settings(disk_oxigraph.base))
    size = (release_dist / "emigre.nt").stat().st_size
    kill = KillMidUpload(disk_oxigraph)
    settings = _oxigraph_settings(disk_oxigraph.base, chunk_size=16 * 1024, retries=1)
    with pytest.raises(PushError, match="was not changed") as failure:
        push_release(release_dist, settings, upload_progress=kill)
    assert "upload to <" in str(failure.value)
    assert kill.killed_at is not None and kill.killed_at < size
    disk_oxigraph.start()  # on the same directory
    assert graph_triples(f"{disk_oxigraph.base}/store", GRAPH) == dump_triples(built_dist)
    assert named_graphs(f"{disk_oxigraph.base}/query", PREFIX) == {GRAPH, MARKER}


@pytest.mark.slow
@needs_oxigraph
def test_server_killed_mid_load_into_an_empty_target_leaves_it_empty(
    disk_oxigraph: OxigraphServer, built_dist: Path
) -> None:
    """What the direct load rests on: Oxigraph commits a PUT body whole or not at all."""
    kill = KillMidUpload(disk_oxigraph)
    settings = _oxigraph_settings(disk_oxigraph.base, chunk_size=16 * 1024, retries=1)
    with pytest.raises(PushError, match="upload to <") as failure:
        push_release(built_dist, settings, upload_progress=kill)
    size = (built_dist / "emigre.nt").stat().st_size
    assert kill.killed_at is not None and kill.killed_at < size
    # The store was dead, so the push could not drop the target and says so.
    assert "the target's state is unknown" in str(failure.value)
    disk_oxigraph.start()  # on the same directory
    assert sparql_count(f"{disk_oxigraph.base}/query", GRAPH) == 0
    assert named_graphs(f"{disk_oxigraph.base}/query", PREFIX) == set()


@pytest.mark.slow
@needs_oxigraph
def test_an_unparsable_dump_loads_nothing_into_an_empty_target(
    oxigraph: OxigraphServer, built_dist: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(built_dist, broken)
    with (broken / "emigre.nt").open("ab") as dump:
        dump.write(b"<http://example.org/s> not-an-iri <http://example.org/o> .\n")
    with pytest.raises(PushError, match=r"HTTP 400.*emptied again, as it was before"):
        push_release(broken, _oxigraph_settings(oxigraph.base))
    assert sparql_count(f"{oxigraph.base}/query", GRAPH) == 0
    assert named_graphs(f"{oxigraph.base}/query", PREFIX) == set()


# --- Oxigraph behind a fault-injecting proxy ----------------------------------------------------


@pytest.mark.slow
@needs_oxigraph
def test_a_store_that_drops_triples_fails_verification(
    oxigraph: OxigraphServer, proxy_for, built_dist: Path, release_dist: Path, run_emigre: RunEmigre
) -> None:
    push_release(built_dist, _oxigraph_settings(oxigraph.base))
    proxy = proxy_for(oxigraph.base)
    proxy.truncate_puts = True
    result = _push_cli(run_emigre, release_dist, proxy.base)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "verification failed" in result.stderr
    assert f"the target <{GRAPH}> was not changed" in result.stderr
    assert len(proxy.puts()) == 1
    assert graph_triples(f"{oxigraph.base}/store", GRAPH) == dump_triples(built_dist)
    # The half-loaded staging graph was dropped.
    assert named_graphs(f"{oxigraph.base}/query", PREFIX) == {GRAPH, MARKER}


@pytest.mark.slow
@needs_oxigraph
def test_a_direct_load_that_loses_triples_is_undone(
    oxigraph: OxigraphServer, proxy_for, built_dist: Path, run_emigre: RunEmigre
) -> None:
    proxy = proxy_for(oxigraph.base)
    proxy.truncate_puts = True
    result = _push_cli(run_emigre, built_dist, proxy.base)
    assert result.returncode == 3, result.stdout + result.stderr
    assert f"verification failed: the target <{GRAPH}> holds" in result.stderr
    assert "was emptied again, as it was before" in result.stderr
    assert len(proxy.puts()) == 1
    assert sparql_count(f"{oxigraph.base}/query", GRAPH) == 0
    assert named_graphs(f"{oxigraph.base}/query", PREFIX) == set()


@pytest.mark.slow
@needs_oxigraph
def test_negative_control_a_plain_put_publishes_what_the_store_kept(
    oxigraph: OxigraphServer, proxy_for, built_dist: Path, release_dist: Path
) -> None:
    """What verification is for: the same proxy, a plain PUT, a 2xx, and half a graph."""
    push_release(built_dist, _oxigraph_settings(oxigraph.base))
    proxy = proxy_for(oxigraph.base)
    proxy.truncate_puts = True
    response = requests.put(
        f"{proxy.base}/store",
        params={"graph": GRAPH},
        data=(release_dist / "emigre.nt").read_bytes(),
        headers={"Content-Type": "application/n-triples"},
        timeout=60,
    )
    assert response.status_code == 204
    kept = sparql_count(f"{oxigraph.base}/query", GRAPH)
    assert 0 < kept < _distinct_lines(release_dist) * 2 // 3


@pytest.mark.slow
@needs_oxigraph
def test_retries_after_a_503(
    oxigraph: OxigraphServer, proxy_for, built_dist: Path, run_emigre: RunEmigre
) -> None:
    proxy = proxy_for(oxigraph.base)
    proxy.failing_puts = 1
    result = _push_cli(run_emigre, built_dist, proxy.base)
    assert result.returncode == 0, result.stderr
    assert "HTTP 503" in result.stderr and "attempt 2 of 4" in result.stderr
    assert len(proxy.puts()) == 2
    assert graph_triples(f"{oxigraph.base}/store", GRAPH) == dump_triples(built_dist)


@pytest.mark.slow
@needs_oxigraph
def test_gives_up_after_the_retries(
    oxigraph: OxigraphServer, proxy_for, built_dist: Path, release_dist: Path
) -> None:
    push_release(built_dist, _oxigraph_settings(oxigraph.base))
    proxy = proxy_for(oxigraph.base)
    proxy.failing_puts = 100
    with pytest.raises(PushError, match=r"HTTP 503.*after 3 attempts.*was not changed"):
        push_release(release_dist, _oxigraph_settings(proxy.base, retries=2))
    assert len(proxy.puts()) == 3
    assert graph_triples(f"{oxigraph.base}/store", GRAPH) == dump_triples(built_dist)


@pytest.mark.slow
@needs_oxigraph
@pytest.mark.parametrize(
    ("options", "header"),
    [
        (["--token", "s3cret"], "Bearer s3cret"),
        (["--auth", "basic", "--user", "pusher", "--password", "pa:ss"], "Basic cHVzaGVyOnBhOnNz"),
    ],
    ids=["bearer", "basic"],
)
def test_authentication(
    oxigraph: OxigraphServer,
    proxy_for,
    built_dist: Path,
    run_emigre: RunEmigre,
    options: list[str],
    header: str,
) -> None:
    proxy = proxy_for(oxigraph.base)
    proxy.required_authorization = header
    result = _push_cli(run_emigre, built_dist, proxy.base, *options)
    assert result.returncode == 0, result.stderr
    assert {request.headers.get("Authorization") for request in proxy.seen} == {header}
    assert {request.method for request in proxy.seen} >= {"POST", "PUT", "HEAD"}
    # Negative control: the proxy does refuse other credentials, before anything is sent.
    proxy.seen.clear()
    wrong = _push_cli(run_emigre, built_dist, proxy.base, "--token", "wrong")
    assert wrong.returncode == 3
    assert "HTTP 401" in wrong.stderr and "refused the credentials" in wrong.stderr
    assert proxy.puts() == []


@pytest.mark.slow
@needs_oxigraph
def test_without_an_update_url_the_target_is_replaced_by_put(
    oxigraph: OxigraphServer, built_dist: Path, release_dist: Path, run_emigre: RunEmigre
) -> None:
    generic = [
        "--store",
        "generic",
        "--gsp-url",
        f"{oxigraph.base}/store",
        "--query-url",
        f"{oxigraph.base}/query",
    ]
    assert run_emigre("push", "--dist", release_dist, "--graph", GRAPH, *generic).returncode == 0
    result = run_emigre("push", "--dist", built_dist, "--graph", GRAPH, *generic)
    assert result.returncode == 0, result.stderr
    assert "(replaced by PUT)" in result.stdout
    assert "not atomic" in result.stderr
    assert graph_triples(f"{oxigraph.base}/store", GRAPH) == dump_triples(built_dist)
    assert named_graphs(f"{oxigraph.base}/query", PREFIX) == {GRAPH}


@pytest.mark.slow
@needs_oxigraph
def test_gzip_upload_is_one_gzip_member(
    oxigraph: OxigraphServer, proxy_for, built_dist: Path
) -> None:
    """The build's .nt.gz has a member per segment, and Oxigraph reads only the first."""
    proxy = proxy_for(oxigraph.base)
    report = push_release(built_dist, _oxigraph_settings(proxy.base, gzip="on"))
    assert report.gzip and report.after == report.expected
    (put,) = proxy.puts()
    assert put.headers["Content-Encoding"] == "gzip"
    assert put.headers["Content-Length"] == str(len(put.body)) == str(report.uploaded_bytes)
    decompressor = zlib.decompressobj(31)
    assert decompressor.decompress(put.body) == (built_dist / "emigre.nt").read_bytes()
    assert decompressor.eof and decompressor.unused_data == b""
    assert graph_triples(f"{oxigraph.base}/store", GRAPH) == dump_triples(built_dist)


# --- Usage, without a store ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--store", "generic"], "needs --gsp-url and --query-url"),
        (["--graph", "http://x/g> } ; DROP ALL ; #"], "not an absolute IRI"),
        (["--graph", "no-scheme"], "not an absolute IRI"),
        (["--endpoint", "ftp://127.0.0.1/"], "not an http(s) URL"),
        (["--auth", "digest"], "needs a user name"),
        (["--auth", "bearer"], "needs a token"),
    ],
)
def test_usage_errors_exit_2(
    built_dist: Path, run_emigre: RunEmigre, options: list[str], message: str
) -> None:
    # Port 9 (discard) on loopback: nothing is sent, the options are refused first.
    result = run_emigre("push", "--dist", built_dist, "--endpoint", "http://127.0.0.1:9", *options)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr


def test_a_directory_without_a_dump_is_refused(tmp_path: Path, run_emigre: RunEmigre) -> None:
    result = run_emigre("push", "--dist", tmp_path, "--endpoint", "http://127.0.0.1:9")
    assert result.returncode == 2
    assert "no N-Triples dump" in result.stderr


def test_an_unreachable_store_exits_3(built_dist: Path, run_emigre: RunEmigre) -> None:
    closed = server_fixtures.free_port()
    result = run_emigre(
        "push", "--dist", built_dist, "--endpoint", f"http://127.0.0.1:{closed}", "--retries", "0"
    )
    assert result.returncode == 3
    assert "ConnectionError" in result.stderr


def test_cli_choices_are_the_librarys() -> None:
    params = {param.name: param for param in push_command.push.params}
    assert list(params["store"].type.choices) == list(PRESETS)  # type: ignore[attr-defined]
    assert tuple(params["auth"].type.choices) == AUTH_KINDS  # type: ignore[attr-defined]


def test_credentials_are_not_printed() -> None:
    text = repr(Credentials("basic", "user", password="pw-secret", token="tok-secret"))
    assert "pw-secret" not in text and "tok-secret" not in text and "user" in text


def test_counter_counts_what_a_store_keeps(built_dist: Path, release_dist: Path) -> None:
    for dist in (built_dist, release_dist):
        assert count_triples(dist / "emigre.nt") == len(dump_triples(dist))


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(
        st.sampled_from([b"<a> <b> <c> .", b"<a> <b> <d> .", b"", b"# c", b"  <e> <b> <c> ."]),
        max_size=30,
    ),
    cuts=st.lists(st.integers(min_value=0, max_value=500), max_size=6),
)
def test_counter_ignores_how_the_bytes_are_cut(lines: list[bytes], cuts: list[int]) -> None:
    data = b"\n".join(sorted(lines))
    counter = TripleCounter()
    start = 0
    for cut in sorted(cut for cut in cuts if cut <= len(data)):
        counter.feed(data[start:cut])
        start = cut
    counter.feed(data[start:])
    expected = len({line.strip() for line in lines if line.strip() and not line.startswith(b"#")})
    assert counter.finish() == expected


# --- Virtuoso -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    """Virtuoso on free 127.0.0.1 ports with a new database (dba/dba), stopped after."""
    server = VirtuosoServer(tmp_path_factory.mktemp("virtuoso"))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="module")
def dist_over_row_cap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build of 400 synthetic people (benchmarks/generate.py): 14,283 triples, more than
    Virtuoso's 10,000-row result cap."""
    root = tmp_path_factory.mktemp("over-cap")
    subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "benchmarks" / "generate.py"),
            "--people",
            "400",
            "--out",
            str(root / "data"),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    settings = BuildSettings(
        data_dir=root / "data",
        out_dir=root / "dist",
        cache_dir=None,
        workers=1,
        shacl_engine="turbo",
        write_site=False,
    )
    build_release(settings)
    return root / "dist"


@pytest.mark.slow
@needs_virtuoso
def test_virtuoso_push_with_digest_authentication(
    virtuoso: VirtuosoServer,
    built_dist: Path,
    dist_over_row_cap: Path,
    proxy_for,
    run_emigre: RunEmigre,
) -> None:
    login = ["--store", "virtuoso", "--user", "dba", "--password", "dba"]
    query = f"{virtuoso.base}/sparql"
    big = _distinct_lines(dist_over_row_cap)
    assert big > 10_000

    first = _push_cli(run_emigre, dist_over_row_cap, virtuoso.base, *login)
    assert first.returncode == 0, first.stderr
    assert f"target after    {big:>12,} (replaced by COPY)" in first.stdout
    assert sparql_count(query, GRAPH) == big
    # Negative control: listing the rows would have been wrong, silently.
    listing = requests.post(
        query,
        data={"query": f"SELECT * WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert listing.status_code == 200
    assert len(listing.json()["results"]["bindings"]) == 10_000

    # A second push replaces: the small build's triples, not the sum.
    second = _push_cli(run_emigre, built_dist, virtuoso.base, *login)
    assert second.returncode == 0, second.stderr
    small = _distinct_lines(built_dist)
    assert f"target before   {big:>12,} triples" in second.stdout
    assert sparql_count(query, GRAPH) == small
    crud = f"{virtuoso.base}/sparql-graph-crud-auth"
    assert graph_triples(crud, GRAPH, auth=HTTPDigestAuth("dba", "dba")) == dump_triples(built_dist)
    assert named_graphs(query, PREFIX) == {GRAPH, MARKER}

    # Failed pushes leave it as it is: wrong password; a store that drops triples.
    wrong = _push_cli(
        run_emigre,
        dist_over_row_cap,
        virtuoso.base,
        "--store",
        "virtuoso",
        "--user",
        "dba",
        "--password",
        "not-the-password",
    )
    assert wrong.returncode == 3 and "HTTP 401" in wrong.stderr
    proxy = proxy_for(virtuoso.base)
    proxy.truncate_puts = True
    dropped = _push_cli(run_emigre, dist_over_row_cap, proxy.base, *login)
    assert dropped.returncode == 3 and "verification failed" in dropped.stderr
    assert sparql_count(query, GRAPH) == small
    assert named_graphs(query, PREFIX) == {GRAPH, MARKER}
