"""Releases: each record's datestamp, the release manifest and the diff against the last release.

A harvester asks "what changed since I last looked?"; OAI-PMH (``publisher.oai``) and the change
feed (``publisher.changes``) answer from the datestamps this module computes. A record's
datestamp is the release in which its published content last changed: the SHA-256 of its
document's N-Triples (sorted, each line once: the bytes of ``/doc/{kind}/{slug}.nt``) is
compared with the hash in the previous release's manifest. Unchanged records keep their
datestamp, new and changed ones get this release's timestamp (``--release-date``, never the
wall clock: the same inputs give the same bytes). A record that leaves the dataset (withdrawn,
renamed or deleted) becomes a tombstone, dated by the release that first published its absence,
and stays one in every later release (OAI-PMH ``deletedRecord`` = ``persistent``).

The build writes, beside the dumps::

    release.json               the manifest: release timestamp, every record's datestamp,
                               creation, content hash and waves; every tombstone
    release-diff.json          records added, changed and withdrawn since the previous release,
                               and how many triples were added and removed
    release-diff-added.nt      those triples, sorted N-Triples (only with a previous release)
    release-diff-removed.nt

The previous release is a build directory passed explicitly (``emigre build --previous-release
DIST``, which may be the directory the build replaces): an input like the data, never picked up
from wherever the build happens to write. A build without a release date is not a release: all
its datestamps are :data:`UNRELEASED`, and no later build carries datestamps over from it.

Hashes are cached by fragment digest (``releases.sqlite``), so a rebuild after one edit hashes
one record, not 100,000.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from publisher import iris
from publisher.cache import open_cache
from publisher.checksums import read_checksums, sha256_file
from publisher.dump import DUMP_STEM
from publisher.errors import EmigreError
from publisher.fragments import Fragment, ensure_rendered
from publisher.model.lifecycle import Lifecycle
from publisher.namespaces import EMIGRE_NS

MANIFEST_FILE = "release.json"
DIFF_FILE = "release-diff.json"
DIFF_ADDED_FILE = "release-diff-added.nt"
DIFF_REMOVED_FILE = "release-diff-removed.nt"
MANIFEST_FORMAT = "emigre-release/1"
DIFF_FORMAT = "emigre-release-diff/1"
#: The datestamp of every record of a build without a release date (the Unix epoch).
UNRELEASED = "1970-01-01T00:00:00Z"
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CACHE_FILE = "releases.sqlite"
_SCHEMA = "CREATE TABLE contents(digest TEXT PRIMARY KEY, sha256 TEXT NOT NULL, waves TEXT);"
_WAVE_LINK = f"> <{EMIGRE_NS}wave> <"


class ReleaseError(EmigreError):
    """A release date or previous release that cannot be used (a usage error: exit 2)."""

    exit_code = 2


def release_timestamp(release_date: str | None) -> str | None:
    """The UTC timestamp of a release date: a day is taken at midnight UTC.

    >>> release_timestamp("2026-11-20")
    '2026-11-20T00:00:00Z'
    >>> release_timestamp("2026-11-20T15:30:00Z")
    '2026-11-20T15:30:00Z'
    >>> release_timestamp(None) is None
    True
    """
    if release_date is None:
        return None
    timestamp = f"{release_date}T00:00:00Z" if _DATE.match(release_date) else release_date
    if not _TIMESTAMP.match(timestamp) or not _valid_timestamp(timestamp):
        raise ReleaseError(
            f"release date {release_date!r}: expected a date, YYYY-MM-DD, or a UTC time, "
            "YYYY-MM-DDThh:mm:ssZ"
        )
    return timestamp


#: The reproducible-builds variable (https://reproducible-builds.org/specs/source-date-epoch/):
#: seconds since 1970-01-01 UTC. A build given no release date takes it from there, so a CI
#: pipeline that sets it (to the last commit's time) publishes dated, reproducible releases.
SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"


def release_date_from_epoch(value: str) -> str:
    """A ``SOURCE_DATE_EPOCH`` value as a release time (UTC).

    >>> release_date_from_epoch("1764201600")
    '2025-11-27T00:00:00Z'
    """
    from datetime import UTC, datetime

    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 11:
        raise ReleaseError(
            f"{SOURCE_DATE_EPOCH}={value!r}: expected whole seconds since 1970-01-01 UTC"
        )
    return datetime.fromtimestamp(int(text), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _valid_timestamp(text: str) -> bool:
    from datetime import datetime

    try:
        datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return False
    return True


# -- the manifest ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordState:
    """A record as one release publishes it."""

    #: When its published content last changed (the release that changed it).
    datestamp: str
    #: The release that first published it.
    created: str
    #: SHA-256 of its document as sorted N-Triples.
    sha256: str
    #: Slugs of the emigration waves its document places it in.
    waves: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tombstone:
    """A record that was published once and is no longer."""

    #: The release that first published its absence.
    datestamp: str
    #: The date ``data/lifecycle.yaml`` gives for its withdrawal or rename (a day, month or
    #: year), if any.
    withdrawn: str | None = None
    #: The reference it was renamed to, for a renamed record.
    renamed_to: str | None = None
    #: Its waves when it was last published (so set-selective harvesters see it go).
    waves: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReleaseManifest:
    """``release.json``: every record's and every tombstone's state in one release."""

    #: The release timestamp; None for a build without a release date.
    release: str | None
    #: The release whose manifest datestamps were carried over from, if any.
    previous_release: str | None
    records: dict[str, RecordState] = field(default_factory=dict)
    tombstones: dict[str, Tombstone] = field(default_factory=dict)

    @property
    def timestamp(self) -> str:
        """The release timestamp, or :data:`UNRELEASED`."""
        return self.release or UNRELEASED

    def render(self) -> str:
        """The manifest as JSON text: sorted, one record per line (diffs between releases read
        well), byte-identical for the same manifest."""
        lines = [
            "{",
            f'"format": {json.dumps(MANIFEST_FORMAT)},',
            f'"release": {json.dumps(self.release)},',
            f'"previous_release": {json.dumps(self.previous_release)},',
            '"records": {',
        ]
        lines += _entries(
            (ref, {"datestamp": s.datestamp, "created": s.created, "sha256": s.sha256,
                   "waves": list(s.waves)})
            for ref, s in sorted(self.records.items())
        )  # fmt: skip
        lines.append("},")
        lines.append('"tombstones": {')
        lines += _entries(
            (ref, {"datestamp": t.datestamp, "withdrawn": t.withdrawn,
                   "renamed_to": t.renamed_to, "waves": list(t.waves)})
            for ref, t in sorted(self.tombstones.items())
        )  # fmt: skip
        lines += ["}", "}"]
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, text: str, where: str) -> ReleaseManifest:
        """Read what :meth:`render` wrote; ReleaseError names ``where`` when it is not that."""
        try:
            raw = json.loads(text)
            if raw.get("format") != MANIFEST_FORMAT:
                raise ValueError(f"format is {raw.get('format')!r}, not {MANIFEST_FORMAT!r}")
            records = {
                ref: RecordState(
                    str(v["datestamp"]), str(v["created"]), str(v["sha256"]), tuple(v["waves"])
                )
                for ref, v in raw["records"].items()
            }
            tombstones = {
                ref: Tombstone(
                    str(v["datestamp"]), v["withdrawn"], v["renamed_to"], tuple(v["waves"])
                )
                for ref, v in raw["tombstones"].items()
            }
            return cls(raw["release"], raw["previous_release"], records, tombstones)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ReleaseError(f"{where}: not a release manifest: {error}") from error


def _entries(items: Iterable[tuple[str, dict[str, Any]]]) -> list[str]:
    lines = [f"{json.dumps(ref)}: {json.dumps(value, sort_keys=True)}" for ref, value in items]
    return [line + ("," if index < len(lines) - 1 else "") for index, line in enumerate(lines)]


def read_manifest(dist_dir: Path) -> ReleaseManifest:
    """The release manifest of a build directory; ReleaseError when it has none."""
    path = dist_dir / MANIFEST_FILE
    try:
        text = path.read_text("utf-8")
    except OSError as error:
        raise ReleaseError(f"{path}: no release manifest (a build of this version writes one): "
                           f"{error.strerror}") from error  # fmt: skip
    return ReleaseManifest.parse(text, str(path))


# -- record contents ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordContent:
    """What a release needs to know of one record's document: its hash and its waves."""

    ref: str
    sha256: str
    waves: tuple[str, ...]


def record_contents(
    fragments: Sequence[Fragment], base: str, cache_dir: Path | None = None, workers: int = 0
) -> list[RecordContent]:
    """The content of every fragment's document, reusing hashes cached by fragment digest."""
    stored: dict[str, tuple[str, str]] = {}
    version = _code_version()
    if cache_dir is not None:
        with closing(open_cache(cache_dir / _CACHE_FILE, version, _SCHEMA)) as db:
            stored = {row[0]: (row[1], row[2]) for row in db.execute("SELECT * FROM contents")}
    missing = [fragment for fragment in fragments if fragment.digest not in stored]
    ensure_rendered(missing, workers)
    fresh = {fragment.digest: _content_of(fragment, base) for fragment in missing}
    contents = []
    for fragment in fragments:
        ref = f"{fragment.kind}/{fragment.slug}"
        known = fresh.get(fragment.digest)
        if known is None:
            sha256, waves = stored[fragment.digest]
            known = (sha256, tuple(waves.split()))
        contents.append(RecordContent(ref, known[0], known[1]))
    if cache_dir is not None and (fresh or len(stored) != len(fragments)):
        gone = stored.keys() - {fragment.digest for fragment in fragments}
        with closing(open_cache(cache_dir / _CACHE_FILE, version, _SCHEMA)) as db:
            db.execute("BEGIN")
            db.executemany("DELETE FROM contents WHERE digest = ?", ((d,) for d in gone))
            db.executemany(
                "INSERT OR REPLACE INTO contents VALUES (?, ?, ?)",
                ((digest, sha, " ".join(waves)) for digest, (sha, waves) in fresh.items()),
            )
            db.execute("COMMIT")
    return contents


def _code_version() -> str:
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def _content_of(fragment: Fragment, base: str) -> tuple[str, tuple[str, ...]]:
    """SHA-256 of the fragment's lines, each once (as the document serves them), and its waves."""
    digest = hashlib.sha256()
    waves: set[str] = set()
    previous = ""
    wave_prefix = f"{_WAVE_LINK}{base}id/wave/"
    for _, text in fragment.blocks:
        for line in text.splitlines(keepends=True):
            if line != previous:  # a triple built twice is published once
                digest.update(line.encode("utf-8"))
                previous = line
        start = text.find(wave_prefix)
        while start >= 0:
            end = text.index(">", start + len(wave_prefix))
            waves.add(text[start + len(wave_prefix) : end])
            start = text.find(wave_prefix, end)
    return digest.hexdigest(), tuple(sorted(waves))


# -- datestamps -----------------------------------------------------------------------------------


def stamp_release(
    contents: Iterable[RecordContent],
    lifecycle: Lifecycle,
    release: str | None,
    previous: ReleaseManifest | None,
) -> ReleaseManifest:
    """This release's manifest: datestamps carried over from ``previous`` where nothing changed.

    ``previous`` counts only when it is a release (it has a timestamp) and this build is one;
    a release dated before it is refused.
    """
    base = previous if previous is not None and previous.release and release else None
    if base is not None and release is not None and base.release and release < base.release:
        raise ReleaseError(f"release {release} is dated before the previous release {base.release}")
    now = release or UNRELEASED
    records: dict[str, RecordState] = {}
    for content in contents:
        before = base.records.get(content.ref) if base else None
        if before is not None and before.sha256 == content.sha256:
            stamp, created = before.datestamp, before.created
        else:
            stamp, created = now, before.created if before else now
        records[content.ref] = RecordState(stamp, created, content.sha256, content.waves)
    withdrawn = {str(item.ref): item for item in lifecycle.withdrawn}
    renamed = {str(item.old): item for item in lifecycle.renamed}
    gone: set[str] = set(withdrawn) | set(renamed)
    if base is not None:
        gone |= set(base.records) | set(base.tombstones)
    tombstones: dict[str, Tombstone] = {}
    for ref in sorted(gone - set(records)):
        was = base.tombstones.get(ref) if base else None
        last = base.records.get(ref) if base else None
        tombstone = was or Tombstone(now, waves=last.waves if last else ())
        if ref in withdrawn:
            date = withdrawn[ref].date
            tombstone = replace(tombstone, withdrawn=date.text if date else None)
        if ref in renamed:
            date = renamed[ref].date
            tombstone = replace(
                tombstone, withdrawn=date.text if date else None, renamed_to=str(renamed[ref].new)
            )
        tombstones[ref] = tombstone
    previous_release = base.release if base else None
    if base is not None and base.release == release:
        previous_release = base.previous_release  # the same release built again
    return ReleaseManifest(release, previous_release, records, tombstones)


# -- the release diff -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseDiff:
    """What changed between the previous release and this one."""

    release: str | None
    previous_release: str | None
    added: tuple[str, ...]
    changed: tuple[str, ...]
    withdrawn: tuple[str, ...]
    #: Triples added and removed; None without a previous release to compare with.
    triples_added: int | None = None
    triples_removed: int | None = None
    #: SHA-256 of the previous release's N-Triples dump, the one the diff applies to (so a
    #: store known to hold exactly that dump can be updated by the diff: ``emigre push``).
    previous_dump_sha256: str | None = None

    def as_json(self) -> dict[str, Any]:
        """``release-diff.json``."""
        triples = None
        if self.triples_added is not None:
            triples = {
                "added": self.triples_added,
                "removed": self.triples_removed,
                "added_file": DIFF_ADDED_FILE,
                "removed_file": DIFF_REMOVED_FILE,
                "from_dump_sha256": self.previous_dump_sha256,
            }
        return {
            "format": DIFF_FORMAT,
            "release": self.release,
            "previous_release": self.previous_release,
            "records": {
                "added": list(self.added),
                "changed": list(self.changed),
                "withdrawn": list(self.withdrawn),
            },
            "triples": triples,
        }


def diff_records(current: ReleaseManifest, previous: ReleaseManifest | None) -> ReleaseDiff:
    """Records added, changed (another hash) and withdrawn (published before, not now)."""
    before = previous.records if previous else {}
    added = sorted(ref for ref in current.records if ref not in before)
    changed = sorted(
        ref
        for ref, state in current.records.items()
        if ref in before and before[ref].sha256 != state.sha256
    )
    withdrawn = sorted(ref for ref in before if ref not in current.records)
    return ReleaseDiff(
        current.release,
        previous.release if previous else None,
        tuple(added),
        tuple(changed),
        tuple(withdrawn),
    )


def diff_sorted_lines(old: Path, new: Path, added: BinaryIO, removed: BinaryIO) -> tuple[int, int]:
    """Write the lines only in ``new`` to ``added`` and those only in ``old`` to ``removed``.

    Both files are sorted N-Triples (byte order of UTF-8 is code point order, the order the
    dumps are sorted in). Long equal stretches are compared a block at a time (memcmp), so two
    dumps of 500 MB that differ in a few records are compared in about a second. Returns the
    number of lines added and removed.
    """
    with (
        old.open("rb") as old_file,
        new.open("rb") as new_file,
        _mapped(old_file) as a,
        _mapped(new_file) as b,
    ):
        return _merge(a, b, added, removed)


@contextmanager
def _mapped(handle: BinaryIO) -> Iterator[bytes | mmap.mmap]:
    """The file's bytes, memory-mapped (an empty file cannot be mapped)."""
    if handle.seek(0, 2) == 0:
        yield b""
        return
    with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        yield mapped


def _merge(
    a: bytes | mmap.mmap, b: bytes | mmap.mmap, added: BinaryIO, removed: BinaryIO
) -> tuple[int, int]:
    i = j = 0
    size_a, size_b = len(a), len(b)
    block = 1 << 16
    counts = [0, 0]
    while i < size_a and j < size_b:
        n = min(block, size_a - i, size_b - j)
        if a[i : i + n] == b[j : j + n]:
            end = a.rfind(b"\n", i, i + n)
            if end >= 0:
                step = end + 1 - i
                i, j = i + step, j + step
                block = min(block * 2, 1 << 22)
                continue
        block = max(block // 4, 256)
        end_a, end_b = a.find(b"\n", i), b.find(b"\n", j)
        end_a = size_a if end_a < 0 else end_a + 1
        end_b = size_b if end_b < 0 else end_b + 1
        line_a, line_b = a[i:end_a], b[j:end_b]
        if line_a == line_b:
            i, j = end_a, end_b
        elif line_a < line_b:
            removed.write(line_a)
            counts[1] += 1
            i = end_a
        else:
            added.write(line_b)
            counts[0] += 1
            j = end_b
    for rest, target, index, start in ((a, removed, 1, i), (b, added, 0, j)):
        for line in _lines(rest, start):
            target.write(line)
            counts[index] += 1
    return counts[0], counts[1]


def _lines(data: bytes | mmap.mmap, start: int) -> Iterator[bytes]:
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end + 1
        yield data[start:end]
        start = end


# -- writing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviousRelease:
    """A previous build directory: its manifest and its N-Triples dump."""

    path: Path
    manifest: ReleaseManifest
    #: SHA-256 of its ``emigre.nt``.
    dump_sha256: str

    @classmethod
    def open(cls, path: Path) -> PreviousRelease:
        """Read a previous build directory now (before a build replaces it); ReleaseError if it
        is not one."""
        if not (path / f"{DUMP_STEM}.nt").is_file():
            raise ReleaseError(f"{path}: not a build directory (no {DUMP_STEM}.nt)")
        return cls(path, read_manifest(path), dump_sha256(path))


def dump_sha256(dist_dir: Path) -> str:
    """The SHA-256 (hex) of the build's ``emigre.nt``: from its ``SHA256SUMS``, or computed when
    that does not list it."""
    name = f"{DUMP_STEM}.nt"
    return read_checksums(dist_dir).get(name) or sha256_file(dist_dir / name)


def write_release(
    contents: Sequence[RecordContent],
    lifecycle: Lifecycle,
    out_dir: Path,
    release_date: str | None,
    previous: PreviousRelease | None,
) -> tuple[ReleaseManifest, list[Path]]:
    """Write the manifest and the release diff into ``out_dir`` (whose dump is written already).

    Returns the manifest and the files written.
    """
    before = previous.manifest if previous else None
    manifest = stamp_release(contents, lifecycle, release_timestamp(release_date), before)
    files = [out_dir / MANIFEST_FILE, out_dir / DIFF_FILE]
    files[0].write_text(manifest.render(), encoding="utf-8")
    diff = diff_records(manifest, previous.manifest if previous else None)
    if previous is not None:
        added_path, removed_path = out_dir / DIFF_ADDED_FILE, out_dir / DIFF_REMOVED_FILE
        with added_path.open("wb") as added, removed_path.open("wb") as removed:
            counts = diff_sorted_lines(
                previous.path / f"{DUMP_STEM}.nt", out_dir / f"{DUMP_STEM}.nt", added, removed
            )
        diff = ReleaseDiff(
            diff.release,
            diff.previous_release,
            diff.added,
            diff.changed,
            diff.withdrawn,
            *counts,
            previous_dump_sha256=previous.dump_sha256,
        )
        files += [added_path, removed_path]
    text = json.dumps(diff.as_json(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    files[1].write_text(text, encoding="utf-8")
    return manifest, files


def record_iri(base: str, ref: str) -> str:
    """The IRI of a record reference (``person/x``).

    >>> record_iri("https://w3id.org/emigre/", "person/x")
    'https://w3id.org/emigre/id/person/x'
    """
    kind, _, slug = ref.partition("/")
    return iris.entity_iri(base, kind, slug)
