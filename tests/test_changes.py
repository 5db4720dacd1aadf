"""The change feed (``publisher.changes``): ResourceSync documents, polled by a real client.

The end-to-end test builds two releases of the fixture data with the base IRI of a local server
(``http://127.0.0.1:PORT/``), so every URL in the feed points at ``python -m publisher serve``.
The ResourceSync reference client (``resync-sync``, from the ``resync`` package) makes a baseline
copy of release A through ``/.well-known/resourcesync``, then, with release B served on the same
port, an incremental sync from the Change List: the copy must then hold exactly B's documents,
with the withdrawn record's deleted.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from lxml import etree
from resync.capability_list import CapabilityList
from resync.change_list import ChangeList
from resync.resource_list import ResourceList
from resync.source_description import SourceDescription
from server_fixtures import RunningServer, free_port, release_dist, stop_server
from test_static_site import nginx_site, static_site

from publisher import changes
from publisher.model.dates import PartialDate
from publisher.model.lifecycle import Lifecycle, Withdrawn
from publisher.model.records import Ref
from publisher.releases import RecordContent, stamp_release

__all__ = ["nginx_site", "release_dist", "static_site"]

A = "2026-11-20T00:00:00Z"
B = "2026-12-01T00:00:00Z"
BASE = "https://w3id.org/emigre/"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
RS = "{http://www.openarchives.org/rs/terms/}"
RESYNC = shutil.which("resync-sync") or str(Path(sys.executable).parent / "resync-sync")


def manifests() -> tuple[object, object]:
    first = stamp_release(
        [RecordContent(f"person/p{n}", str(n), ()) for n in range(5)], Lifecycle(), A, None
    )
    second = stamp_release(
        [RecordContent("person/p0", "changed", ()), *(RecordContent(f"person/p{n}", str(n), ()) for n in (1, 2, 3)), RecordContent("person/new", "x", ())],
        Lifecycle(withdrawn=(Withdrawn(Ref("person", "p4"), PartialDate.parse("2026-11-30")),)),
        B,
        first,
    )  # fmt: skip
    return first, second


def test_changes_are_the_latest_of_each_record_in_order() -> None:
    _, second = manifests()
    listed = changes.changes_of(second, BASE)  # type: ignore[arg-type]
    assert [(c.datetime, c.url.rsplit("/", 1)[1], c.change) for c in listed] == [
        (A, "p1.nt", "created"),
        (A, "p2.nt", "created"),
        (A, "p3.nt", "created"),
        (B, "new.nt", "created"),
        (B, "p0.nt", "updated"),
        (B, "p4.nt", "deleted"),
    ]


def test_documents_parse_with_the_reference_client(tmp_path: Path) -> None:
    _, second = manifests()
    files = changes.write_change_feed(second, tmp_path, BASE)  # type: ignore[arg-type]
    names = sorted(path.name for path in files)
    assert names == [
        "capabilitylist.xml",
        "changelist.xml",
        "resourcelist.xml",
        "source-description.xml",
    ]
    folder = tmp_path / changes.DIRECTORY
    description = SourceDescription()
    description.parse(str_data=(folder / changes.SOURCE_DESCRIPTION).read_text("utf-8"))
    assert [r.uri for r in description] == [f"{BASE}resourcesync/capabilitylist.xml"]
    capabilities = CapabilityList()
    capabilities.parse(str_data=(folder / changes.CAPABILITY_LIST).read_text("utf-8"))
    assert capabilities.capability_info("changelist").uri == f"{BASE}resourcesync/changelist.xml"
    assert (
        capabilities.capability_info("resourcelist").uri == f"{BASE}resourcesync/resourcelist.xml"
    )
    change_list = ChangeList()
    change_list.parse(str_data=(folder / changes.CHANGE_LIST).read_text("utf-8"))
    assert change_list.md["md_from"] == A and change_list.md["md_until"] == B
    assert [(r.uri.rsplit("/", 1)[1], r.change) for r in change_list][-3:] == [
        ("new.nt", "created"),
        ("p0.nt", "updated"),
        ("p4.nt", "deleted"),
    ]
    resource_list = ResourceList()
    resource_list.parse(str_data=(folder / changes.RESOURCE_LIST).read_text("utf-8"))
    assert sorted(r.uri.rsplit("/", 1)[1] for r in resource_list) == [
        "new.nt",
        "p0.nt",
        "p1.nt",
        "p2.nt",
        "p3.nt",
    ]
    assert resource_list.md["md_at"] == B


def test_long_lists_become_an_index_of_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(changes, "SITEMAP_LIMIT", 2)
    _, second = manifests()
    changes.write_change_feed(second, tmp_path, BASE)  # type: ignore[arg-type]
    folder = tmp_path / changes.DIRECTORY
    index = etree.parse(str(folder / changes.CHANGE_LIST)).getroot()
    assert index.tag == f"{SITEMAP}sitemapindex"
    parts = [e.text for e in index.iter(f"{SITEMAP}loc")]
    assert parts == [f"{BASE}resourcesync/changelist-{n}.xml" for n in (1, 2, 3)]
    intervals = [
        (md.get("from"), md.get("until")) for md in index.findall(f"{SITEMAP}sitemap/{RS}md")
    ]
    assert intervals == [(A, A), (A, B), (B, B)]
    seen = []
    for number in (1, 2, 3):
        part = ChangeList()
        part.parse(str_data=(folder / f"changelist-{number}.xml").read_text("utf-8"))
        seen += [(r.uri, r.change) for r in part]
    whole = changes.changes_of(second, BASE)  # type: ignore[arg-type]
    assert seen == [(c.url, c.change) for c in whole]
    assert (folder / "resourcelist-3.xml").is_file() and not (
        folder / "resourcelist-4.xml"
    ).exists()


# -- a real client against the real server --------------------------------------------------------


def _build(data: Path, out: Path, base: str, *options: str) -> Path:
    argv = [sys.executable, "-m", "publisher", "build", "--data", str(data), "--out", str(out)]
    argv += ["--base-iri", base, "--no-cache", "--no-site", *options]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return out


def _serve(dist: Path, port: int, logs: Path) -> RunningServer:
    """``python -m publisher serve`` on a given port (the one the build's IRIs name)."""
    argv = [sys.executable, "-m", "publisher", "serve", "--dist", str(dist), "--host", "127.0.0.1"]
    argv += ["--port", str(port)]
    log_path = logs / f"serve-{dist.name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = RunningServer(port, dist, process, log_path, argv)
    expected = (dist / "SHA256SUMS").read_bytes()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if server.fetch("/SHA256SUMS", timeout=2).body == expected:
                return server
        except OSError:
            pass
        time.sleep(0.1)
    stop_server(server)
    raise AssertionError(f"the server did not start:\n{server.log()}")


def _sync(work: Path, *arguments: str) -> str:
    done = subprocess.run(
        [RESYNC, *arguments], cwd=work, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.mark.slow
def test_reference_client_syncs_baseline_then_changes(
    tmp_path: Path, port: int, fixture_data_dir: Path
) -> None:
    base = f"http://127.0.0.1:{port}/"
    data = tmp_path / "data"
    shutil.copytree(fixture_data_dir, data)
    dist_a = _build(data, tmp_path / "a", base, "--release-date", "2026-11-20")
    person = data / "people" / "ulitskaya.yaml"
    person.write_text(
        person.read_text("utf-8").replace("Russian novelist", "Russian writer"), "utf-8"
    )
    (data / "people" / "nikita-seleznev.yaml").unlink()
    (data / "lifecycle.yaml").write_text(
        yaml.safe_dump({"withdrawn": [{"ref": "person/nikita-seleznev", "date": "2026-11-30"}]}),
        "utf-8",
    )
    dist_b = _build(
        data,
        tmp_path / "b",
        base,
        "--release-date",
        "2026-12-01",
        "--previous-release",
        str(dist_a),
    )
    copy = tmp_path / "copy"
    mapping = f"{base}={copy}"
    server = _serve(dist_a, port, tmp_path)
    try:
        _sync(tmp_path, "--baseline", "--delete", mapping)
        assert _copied(copy) == _published(server)
        assert (copy / "doc" / "person" / "nikita-seleznev.nt").is_file()
    finally:
        stop_server(server)
    server = _serve(dist_b, port, tmp_path)
    try:
        changelist = f"{base}resourcesync/changelist.xml"
        # --from: the datetime of release A, as a poller that saw A would keep it.
        _sync(
            tmp_path,
            "--incremental",
            "--delete",
            "--changelist-uri",
            changelist,
            "--from",
            A,
            mapping,
        )
        assert not (copy / "doc" / "person" / "nikita-seleznev.nt").exists(), (
            "the tombstone deleted it"
        )
        assert b'"Russian writer"@en' in (copy / "doc" / "person" / "ulitskaya.nt").read_bytes()
        assert _copied(copy) == _published(server)
        well_known = server.fetch("/.well-known/resourcesync")
        assert well_known.status == 200 and well_known.media_type == "application/xml"
        assert server.fetch("/resourcesync/../build.json").status == 404
        assert server.fetch("/resourcesync/nothing.xml").status == 404
    finally:
        stop_server(server)


def _copied(copy: Path) -> dict[str, bytes]:
    return {p.relative_to(copy).as_posix(): p.read_bytes() for p in sorted(copy.rglob("*.nt"))}


def _published(server: RunningServer) -> dict[str, bytes]:
    listed = ResourceList()
    listed.parse(str_data=server.fetch("/resourcesync/resourcelist.xml").text)
    documents = {}
    for resource in listed:
        path = resource.uri.removeprefix(server.url("/"))
        response = server.fetch(f"/{path}")
        assert response.status == 200, path
        documents[path] = response.body
    assert len(documents) > 20
    return documents


@pytest.mark.slow
def test_static_site_serves_the_feed_and_links_it(
    static_site: Path, nginx_site: RunningServer, release_dist: Path
) -> None:
    """The site written by the build links the feed files; nginx serves them as XML."""
    feed = release_dist / changes.DIRECTORY
    for name in (changes.CHANGE_LIST, changes.RESOURCE_LIST, changes.CAPABILITY_LIST):
        response = nginx_site.fetch(f"/resourcesync/{name}")
        assert response.status == 200 and response.media_type == "application/xml"
        assert response.body == (feed / name).read_bytes()
    well_known = nginx_site.fetch("/.well-known/resourcesync")
    assert well_known.status == 200 and well_known.media_type == "application/xml"
    assert well_known.body == (feed / changes.SOURCE_DESCRIPTION).read_bytes()
    landing = (static_site / "index.html").read_text("utf-8")
    assert 'href="/oai?verb=Identify"' in landing
    assert 'href="/resourcesync/changelist.xml"' in landing
    assert 'href="/.well-known/resourcesync"' in landing
