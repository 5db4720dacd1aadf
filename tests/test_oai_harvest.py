"""A stock OAI-PMH harvester (oaipmh-scythe) harvests the real server, in full and incrementally.

Two releases of the fixture data are built with ``python -m publisher build``: release A
(2026-11-20), then release B (2026-12-01T12:00:00Z, ``--previous-release`` A) in which one
record changed and one was withdrawn. Each is served by ``python -m publisher serve`` with five
records per page, so every list runs through resumption tokens. The harvester takes everything
from A, then asks B only for what changed since the newest datestamp it has.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from oaipmh_scythe import Scythe
from oaipmh_scythe.config import HTTPConfig
from oaipmh_scythe.exceptions import BadResumptionToken, NoRecordsMatch
from oaipmh_scythe.models import Header, Record
from server_fixtures import RunningServer, start_server, stop_server, write_release_data

pytestmark = pytest.mark.slow

PREFIX = "oai:w3id.org:"
PAGE_SIZE = 5
RELEASE_A = "2026-11-20"
RELEASE_B = "2026-12-01T12:00:00Z"
CHANGED = "person/ulitskaya"
WITHDRAWN = "person/nikita-seleznev"


def build(data: Path, out: Path, *options: str) -> Path:
    """``python -m publisher build --data DATA --out OUT --no-cache --no-site OPTIONS``."""
    argv = [sys.executable, "-m", "publisher", "build", "--data", str(data), "--out", str(out)]
    argv += ["--no-cache", "--no-site", *options]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return out


@dataclass(frozen=True)
class Releases:
    """The two builds and a server on each."""

    a: Path
    b: Path
    server_a: RunningServer
    server_b: RunningServer


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Releases]:
    work = tmp_path_factory.mktemp("harvest")
    data = write_release_data(work / "data")
    dist_a = build(data, work / "release-a", "--release-date", RELEASE_A)
    person = data / "people" / "ulitskaya.yaml"
    person.write_text(
        person.read_text("utf-8").replace("Russian novelist", "Russian novelist and writer"),
        "utf-8",
    )
    (data / "people" / "nikita-seleznev.yaml").unlink()
    lifecycle = yaml.safe_load((data / "lifecycle.yaml").read_text("utf-8"))
    lifecycle["withdrawn"].append({"ref": WITHDRAWN, "date": "2026-11-30"})
    (data / "lifecycle.yaml").write_text(yaml.safe_dump(lifecycle), "utf-8")
    dist_b = build(
        data, work / "release-b", "--release-date", RELEASE_B, "--previous-release", str(dist_a)
    )
    logs = work / "logs"
    logs.mkdir()
    server_a = start_server(dist_a, "--oai-page-size", str(PAGE_SIZE), log_dir=logs)
    try:
        server_b = start_server(dist_b, "--oai-page-size", str(PAGE_SIZE), log_dir=logs)
    except BaseException:
        stop_server(server_a)
        raise
    yield Releases(dist_a, dist_b, server_a, server_b)
    stop_server(server_a)
    stop_server(server_b)


def items(dist: Path) -> dict[str, bool]:
    """Every item of a release (record or tombstone): reference -> deleted."""
    manifest = json.loads((dist / "release.json").read_text("utf-8"))
    return {
        **dict.fromkeys(manifest["records"], False),
        **dict.fromkeys(manifest["tombstones"], True),
    }


def harvest(server: RunningServer, method: str = "GET", **arguments: str) -> list[Record]:
    config = HTTPConfig(http_method=method, timeout=60)
    with Scythe(server.url("/oai"), http_config=config) as scythe:
        return [r for r in scythe.list_records(**arguments) if isinstance(r, Record)]  # type: ignore[arg-type]


def test_full_harvest_of_each_release(releases: Releases) -> None:
    for dist, server in ((releases.a, releases.server_a), (releases.b, releases.server_b)):
        expected = items(dist)
        assert len(expected) > 4 * PAGE_SIZE, "enough items for several pages"
        harvested = harvest(server, metadata_prefix="oai_dc")
        by_id = {record.header.identifier: record for record in harvested}
        assert len(by_id) == len(harvested), "no record twice"
        assert sorted(by_id) == sorted(f"{PREFIX}{ref}" for ref in expected)
        for ref, deleted in expected.items():
            record = by_id[f"{PREFIX}{ref}"]
            assert record.deleted is deleted
            if not deleted:
                assert record.metadata["identifier"] == [f"https://w3id.org/emigre/id/{ref}"]
                assert record.metadata["title"]


def test_harvest_in_rdf_by_post(releases: Releases) -> None:
    harvested = harvest(releases.server_b, method="POST", metadata_prefix="rdf")
    assert len(harvested) == len(items(releases.b))
    ulitskaya = next(r for r in harvested if r.header.identifier == f"{PREFIX}{CHANGED}")
    assert b"Russian novelist and writer" in bytes(ulitskaya)


def test_incremental_harvest_returns_only_what_changed(releases: Releases) -> None:
    first = harvest(releases.server_a, metadata_prefix="oai_dc")
    newest = max(record.header.datestamp or "" for record in first)
    assert newest == f"{RELEASE_A}T00:00:00Z"
    after = datetime.strptime(newest, "%Y-%m-%dT%H:%M:%SZ") + timedelta(seconds=1)
    since = after.strftime("%Y-%m-%dT%H:%M:%SZ")
    changes = harvest(releases.server_b, metadata_prefix="oai_dc", from_=since)
    assert {(r.header.identifier, r.deleted) for r in changes} == {
        (f"{PREFIX}{CHANGED}", False),
        (f"{PREFIX}{WITHDRAWN}", True),
    }
    assert {r.header.datestamp for r in changes} == {RELEASE_B}
    changed = next(r for r in changes if not r.deleted)
    assert changed.metadata["description"] == ["Russian novelist and writer"]
    # The same by day granularity, and within a set: the tombstone keeps its wave.
    by_day = harvest(releases.server_b, metadata_prefix="oai_dc", from_="2026-11-21")
    assert {r.header.identifier for r in by_day} == {r.header.identifier for r in changes}
    in_wave = harvest(releases.server_b, metadata_prefix="oai_dc", from_=since, set_="wave:2022")
    assert {r.header.identifier for r in in_wave} == {r.header.identifier for r in changes}
    # Unchanged records kept release A's datestamp in B.
    everything = harvest(releases.server_b, metadata_prefix="oai_dc")
    unchanged = [
        r for r in everything if r.header.identifier not in {c.header.identifier for c in changes}
    ]
    assert unchanged and {r.header.datestamp for r in unchanged} == {newest}
    with Scythe(releases.server_b.url("/oai")) as scythe, pytest.raises(NoRecordsMatch):
        list(scythe.list_records(metadata_prefix="oai_dc", from_="2026-12-01T12:00:01Z"))


def test_a_token_of_the_previous_release_is_refused(releases: Releases) -> None:
    with Scythe(releases.server_a.url("/oai")) as scythe:
        first_page = scythe.harvest({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"})
    token = first_page.xml.find(".//{http://www.openarchives.org/OAI/2.0/}resumptionToken")
    assert token is not None and token.text
    with Scythe(releases.server_b.url("/oai")) as scythe, pytest.raises(BadResumptionToken):
        list(scythe.list_identifiers(resumption_token=token.text))
    with Scythe(releases.server_a.url("/oai")) as scythe:
        headers = list(scythe.list_identifiers(resumption_token=token.text))
    assert headers and all(isinstance(h, Header) for h in headers), "the control: A takes it"
