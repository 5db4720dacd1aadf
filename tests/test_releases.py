"""Datestamps, the release manifest and the release diff (``publisher.releases``).

Unit tests of the datestamp rules, a property test of the sorted-lines diff, and builds of two
releases of the fixture data (``build_release``, as ``emigre build`` runs it): what changed gets
the new release's timestamp, what did not keeps the old one, what left is a tombstone, and the
same inputs give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.build import build_release
from publisher.catalog import Catalog
from publisher.config import DEFAULT_BASE_IRI, BuildSettings
from publisher.formats import NTRIPLES
from publisher.model.dates import PartialDate
from publisher.model.lifecycle import Lifecycle, Renamed, Withdrawn
from publisher.model.records import Ref
from publisher.releases import (
    UNRELEASED,
    RecordContent,
    ReleaseError,
    ReleaseManifest,
    diff_sorted_lines,
    release_timestamp,
    stamp_release,
)
from publisher.server.documents import DocumentRenderer

A = "2026-11-20T00:00:00Z"
B = "2026-12-01T00:00:00Z"
C = "2027-01-05T00:00:00Z"


def contents(**hashes: str) -> list[RecordContent]:
    return [RecordContent(ref.replace("__", "/"), sha, ("2022",)) for ref, sha in hashes.items()]


# -- datestamp rules ------------------------------------------------------------------------------


def test_release_dates() -> None:
    assert release_timestamp("2026-11-20") == A
    assert release_timestamp("2026-11-20T09:30:00Z") == "2026-11-20T09:30:00Z"
    for bad in ("2026-02-30", "20.11.2026", "2026-11-20T09:30:00", "2026-11-20T25:00:00Z", ""):
        with pytest.raises(ReleaseError):
            release_timestamp(bad)


def test_unchanged_records_keep_their_datestamp_and_changed_ones_get_the_release() -> None:
    first = stamp_release(contents(person__a="1", person__b="2"), Lifecycle(), A, None)
    assert {ref: s.datestamp for ref, s in first.records.items()} == {"person/a": A, "person/b": A}
    second = stamp_release(
        contents(person__a="1", person__b="3", person__c="4"), Lifecycle(), B, first
    )
    states = second.records
    assert (states["person/a"].datestamp, states["person/a"].created) == (A, A)
    assert (states["person/b"].datestamp, states["person/b"].created) == (B, A)
    assert (states["person/c"].datestamp, states["person/c"].created) == (B, B)
    assert second.previous_release == A
    third = stamp_release(
        contents(person__a="1", person__b="3", person__c="4"), Lifecycle(), C, second
    )
    assert {s.datestamp for s in third.records.values()} == {A, B}, "nothing changed in C"


def test_records_that_leave_become_tombstones_for_good() -> None:
    first = stamp_release(
        contents(person__a="1", person__b="2", person__c="3"), Lifecycle(), A, None
    )
    lifecycle = Lifecycle(
        renamed=(Renamed(Ref("person", "b"), Ref("person", "d"), PartialDate.parse("2026-11")),),
        withdrawn=(Withdrawn(Ref("person", "c"), PartialDate.parse("2026-11-25")),),
    )
    second = stamp_release(contents(person__a="1", person__d="2"), lifecycle, B, first)
    assert set(second.records) == {"person/a", "person/d"}
    b, c = second.tombstones["person/b"], second.tombstones["person/c"]
    assert (b.datestamp, b.renamed_to, b.withdrawn, b.waves) == (
        B,
        "person/d",
        "2026-11",
        ("2022",),
    )
    assert (c.datestamp, c.withdrawn) == (B, "2026-11-25")
    # Deleted without a lifecycle entry: still a tombstone; and tombstones outlive releases.
    third = stamp_release(contents(person__d="2"), lifecycle, C, second)
    assert third.tombstones["person/a"].datestamp == C
    assert third.tombstones["person/b"].datestamp == B
    assert third.tombstones["person/c"].datestamp == B


def test_a_build_without_release_date_is_not_a_release() -> None:
    first = stamp_release(contents(person__a="1"), Lifecycle(), A, None)
    undated = stamp_release(contents(person__a="2"), Lifecycle(), None, first)
    assert undated.records["person/a"].datestamp == UNRELEASED
    assert undated.release is None and undated.previous_release is None
    after = stamp_release(contents(person__a="2"), Lifecycle(), B, undated)
    assert after.records["person/a"].datestamp == B, "nothing carried over from an undated build"


def test_a_release_before_the_previous_one_is_refused() -> None:
    first = stamp_release(contents(person__a="1"), Lifecycle(), B, None)
    with pytest.raises(ReleaseError, match="before the previous release"):
        stamp_release(contents(person__a="1"), Lifecycle(), A, first)
    again = stamp_release(contents(person__a="1"), Lifecycle(), B, first)
    assert again == first, "the same release built again is the same manifest"


def test_manifest_round_trips() -> None:
    lifecycle = Lifecycle(withdrawn=(Withdrawn(Ref("person", "z"), None),))
    manifest = stamp_release(contents(person__a="1", place__b="2"), lifecycle, A, None)
    text = manifest.render()
    assert ReleaseManifest.parse(text, "x") == manifest
    assert text.count("\n") == 12, "one line per record and tombstone"
    with pytest.raises(ReleaseError, match="not a release manifest"):
        ReleaseManifest.parse('{"format": "other"}', "x")


# -- the diff of two sorted dumps -----------------------------------------------------------------

_lines = st.lists(st.text(alphabet="abcé<> .", min_size=1, max_size=12), max_size=60)


@settings(max_examples=200, deadline=None)
@given(old=_lines, new=_lines, common=_lines)
def test_diff_of_sorted_lines(
    tmp_path_factory: pytest.TempPathFactory, old: list[str], new: list[str], common: list[str]
) -> None:
    work = tmp_path_factory.mktemp("diff")
    before = sorted({f"{line} .\n" for line in old + common})
    after = sorted({f"{line} .\n" for line in new + common})
    (work / "old.nt").write_text("".join(before), "utf-8")
    (work / "new.nt").write_text("".join(after), "utf-8")
    added, removed = io.BytesIO(), io.BytesIO()
    counts = diff_sorted_lines(work / "old.nt", work / "new.nt", added, removed)
    expected_added = sorted(set(after) - set(before))
    expected_removed = sorted(set(before) - set(after))
    assert added.getvalue().decode() == "".join(expected_added)
    assert removed.getvalue().decode() == "".join(expected_removed)
    assert counts == (len(expected_added), len(expected_removed))


def test_diff_of_long_equal_stretches(tmp_path: Path) -> None:
    """Large files that differ in a few lines: the block comparison must not skip a change."""
    lines = [f'<s{n:07d}> <p> "{"x" * (n % 50)}" .\n' for n in range(200_000)]
    changed = list(lines)
    changed[5] = changed[5].replace("<p>", "<q>")
    del changed[150_000]
    changed.append("<t> <p> <o> .\n")
    (tmp_path / "old.nt").write_text("".join(lines), "utf-8")
    (tmp_path / "new.nt").write_text("".join(sorted(changed)), "utf-8")
    added, removed = io.BytesIO(), io.BytesIO()
    assert diff_sorted_lines(tmp_path / "old.nt", tmp_path / "new.nt", added, removed) == (2, 2)
    assert removed.getvalue().decode() == lines[5] + lines[150_000]


# -- two releases built ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_releases(
    tmp_path_factory: pytest.TempPathFactory, fixture_data_dir: Path
) -> tuple[Path, Path, Path]:
    """Release A of the fixture data, then release B with one record changed and one withdrawn;
    returns (data of B, dist of A, dist of B)."""
    work = tmp_path_factory.mktemp("releases")
    data = work / "data"
    shutil.copytree(fixture_data_dir, data)
    build_release(BuildSettings(data_dir=data, out_dir=work / "a", write_site=False), "2026-11-20")
    _edit(data)
    build_release(
        BuildSettings(data_dir=data, out_dir=work / "b", write_site=False),
        "2026-12-01",
        previous_release=work / "a",
    )
    return data, work / "a", work / "b"


def _edit(data: Path) -> None:
    person = data / "people" / "ulitskaya.yaml"
    person.write_text(
        person.read_text("utf-8").replace("Russian novelist", "Russian writer"), "utf-8"
    )
    (data / "people" / "nikita-seleznev.yaml").unlink()
    lifecycle = {"withdrawn": [{"ref": "person/nikita-seleznev", "date": "2026-11-30"}]}
    (data / "lifecycle.yaml").write_text(yaml.safe_dump(lifecycle), "utf-8")


def test_second_release_stamps_and_diffs(two_releases: tuple[Path, Path, Path]) -> None:
    _, a, b = two_releases
    manifest = json.loads((b / "release.json").read_text("utf-8"))
    assert manifest["release"] == B and manifest["previous_release"] == A
    stamps = {ref: state["datestamp"] for ref, state in manifest["records"].items()}
    assert stamps.pop("person/ulitskaya") == B
    assert set(stamps.values()) == {A}
    assert manifest["tombstones"] == {
        "person/nikita-seleznev": {
            "datestamp": B,
            "renamed_to": None,
            "waves": ["2022"],
            "withdrawn": "2026-11-30",
        }
    }
    diff = json.loads((b / "release-diff.json").read_text("utf-8"))
    assert diff["records"] == {
        "added": [],
        "changed": ["person/ulitskaya"],
        "withdrawn": ["person/nikita-seleznev"],
    }
    added = (b / "release-diff-added.nt").read_text("utf-8")
    removed = (b / "release-diff-removed.nt").read_text("utf-8")
    assert (
        added
        == '<https://w3id.org/emigre/id/person/ulitskaya> <http://schema.org/description> "Russian writer"@en .\n'
    )
    assert '"Russian novelist"@en .\n' in removed
    assert all("nikita-seleznev" in line or "ulitskaya" in line for line in removed.splitlines())
    assert diff["triples"]["added"] == 1 and diff["triples"]["removed"] == len(removed.splitlines())
    old = set((a / "emigre.nt").read_text("utf-8").splitlines(keepends=True))
    new = set((b / "emigre.nt").read_text("utf-8").splitlines(keepends=True))
    assert set(added.splitlines(keepends=True)) == new - old
    assert set(removed.splitlines(keepends=True)) == old - new
    first = json.loads((a / "release-diff.json").read_text("utf-8"))
    assert first["previous_release"] is None and first["triples"] is None
    assert "person/ulitskaya" in first["records"]["added"]
    for name in ("release.json", "release-diff.json", "release-diff-added.nt"):
        assert name in (b / "SHA256SUMS").read_text("utf-8")


def test_hashes_are_those_of_the_published_documents(two_releases: tuple[Path, Path, Path]) -> None:
    _, _, b = two_releases
    manifest = json.loads((b / "release.json").read_text("utf-8"))
    renderer = DocumentRenderer(Catalog.open(b, DEFAULT_BASE_IRI))
    for ref, state in manifest["records"].items():
        document = renderer.render(f"{DEFAULT_BASE_IRI}id/{ref}", NTRIPLES)
        assert document is not None, ref
        assert hashlib.sha256(document.body).hexdigest() == state["sha256"], ref


def test_same_inputs_same_bytes(two_releases: tuple[Path, Path, Path], tmp_path: Path) -> None:
    """Release B built again (from a copy of A, with a cache) is byte-identical."""
    data, a, b = two_releases
    shutil.copytree(a, tmp_path / "previous")
    settings_ = BuildSettings(
        data_dir=data, out_dir=tmp_path / "b", cache_dir=tmp_path / "cache", write_site=False
    )
    for _ in range(2):  # without, then with the cache's hashes
        build_release(settings_, "2026-12-01", previous_release=tmp_path / "previous")
        for path in sorted(b.rglob("*")):
            if path.is_file():
                rebuilt = tmp_path / "b" / path.relative_to(b)
                assert rebuilt.read_bytes() == path.read_bytes(), path.name


def test_the_previous_release_may_be_the_output_directory(
    two_releases: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    data, a, b = two_releases
    shutil.copytree(a, tmp_path / "dist")
    settings_ = BuildSettings(data_dir=data, out_dir=tmp_path / "dist", write_site=False)
    build_release(settings_, "2026-12-01", previous_release=tmp_path / "dist")
    assert (tmp_path / "dist" / "release.json").read_bytes() == (b / "release.json").read_bytes()


def _cli_build(data: Path, out: Path, *options: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "publisher", "build", "--data", str(data), "--out", str(out)]
    argv += ["--no-cache", "--no-site", *options]
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)


def test_bad_release_options_exit_2(two_releases: tuple[Path, Path, Path], tmp_path: Path) -> None:
    data, a, _ = two_releases
    done = _cli_build(data, tmp_path / "x", "--release-date", "2026-13-01")
    assert done.returncode == 2 and "release date '2026-13-01'" in done.stderr
    done = _cli_build(
        data, tmp_path / "x", "--release-date", "2026-11-01", "--previous-release", str(a)
    )
    assert done.returncode == 2 and "dated before the previous release" in done.stderr
    (tmp_path / "empty").mkdir()
    done = _cli_build(data, tmp_path / "x", "--previous-release", str(tmp_path / "empty"))
    assert done.returncode == 2 and "not a build directory" in done.stderr
    assert not (tmp_path / "x").exists(), "nothing published"


def test_source_date_epoch_dates_a_build_without_release_date(
    two_releases: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    """The reproducible-builds convention: ``SOURCE_DATE_EPOCH`` dates the release unless
    ``--release-date`` says otherwise; a value that is not whole seconds is refused (exit 2)."""
    data, _, _ = two_releases

    def build(out: Path, epoch: str, *options: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "publisher", "build", "--data", str(data), "--out", str(out)]
        argv += ["--no-cache", "--no-site", *options]
        env = {**os.environ, "SOURCE_DATE_EPOCH": epoch}
        return subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env)

    done = build(tmp_path / "a", "1764201600")
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "a" / "release.json").read_text("utf-8"))
    assert manifest["release"] == "2025-11-27T00:00:00Z"
    done = build(tmp_path / "b", "1764201600", "--release-date", "2026-01-02")
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "b" / "release.json").read_text("utf-8"))
    assert manifest["release"] == "2026-01-02T00:00:00Z"
    done = build(tmp_path / "c", "yesterday")
    assert done.returncode == 2 and "SOURCE_DATE_EPOCH='yesterday'" in done.stderr
    assert not (tmp_path / "c").exists()
