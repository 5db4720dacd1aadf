"""Parse many record files fast: in parallel, and not again while a file is unchanged.

A rebuild after one edit should not re-read 100,000 YAML files. Each file's parse result is
kept in ``records.sqlite`` in the cache directory, keyed by the file's path, size and
modification time, with the SHA-256 of its bytes; the cache is tied to a digest of the parsing
code itself (a new loader never trusts records parsed by an old one). A rebuild reads every
entry but writes back only the files that changed. Worker processes return each result pickled
once, as bytes: the same bytes go into the cache, so nothing is pickled twice.

The SHA-256 of a record's file is its provenance (``source_digest``): what a record's rendered
fragment is keyed by, far cheaper than hashing the record's contents.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import io
import multiprocessing
import os
import pickle
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from publisher import heap
from publisher.cache import open_cache
from publisher.errors import DataError
from publisher.model.loader import parse_record_file
from publisher.model.records import Record

#: Below this many files to parse, a process pool costs more than it saves.
PARALLEL_FILES = 2_000
_CACHE_FILE = "records.sqlite"
_SCHEMA = """
CREATE TABLE parsed(
    path TEXT PRIMARY KEY,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    result BLOB NOT NULL
);
"""

Parsed = tuple[Record | None, list[DataError]]
#: The SHA-256 of a file's bytes and its parse result, pickled.
_Packed = tuple[str, bytes]


def code_digest() -> str:
    """A digest of the code that turns a file into a record."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in ("loader.py", "records.py", "dates.py", "properties.py", "parsing.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


class _Pickler(pickle.Pickler):
    """Pickles a parse result with its file's path as a reference to the file being loaded."""

    def reducer_override(self, obj: object) -> tuple[Callable[[str], Path], tuple[str]]:
        # Called for objects of other than the built-in types only: records, not their strings.
        if isinstance(obj, Path):
            return (_path, (str(obj),))
        return NotImplemented  # type: ignore[no-any-return]  # pickle's "as usual"


#: The file whose parse result is being unpickled: its records share its one path object.
_loading: list[Path] = []


def _path(text: str) -> Path:
    return _loading[0] if _loading and str(_loading[0]) == text else Path(text)


def _unpack(data: bytes, path: Path) -> Parsed:
    _loading[:] = [path]
    try:
        result: Parsed = pickle.loads(data)
    finally:
        _loading.clear()
    return result


def _pack(result: Parsed) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, pickle.HIGHEST_PROTOCOL).dump(result)
    return buffer.getvalue()


def _parse_many(files: list[tuple[Path, str]]) -> list[_Packed]:
    packed: list[_Packed] = []
    for path, kind in files:
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        packed.append((sha, _pack(parse_record_file(path, kind))))
    return packed


def _parse(pending: list[tuple[Path, str]], workers: int) -> list[_Packed]:
    if len(pending) < PARALLEL_FILES:
        return _parse_many(pending)
    count = workers or os.cpu_count() or 1
    size = max(1, -(-len(pending) // (count * 8)))
    chunks = [pending[start : start + size] for start in range(0, len(pending), size)]
    # Workers collect their own garbage: only this process's long-lived records are exempt.
    with multiprocessing.get_context("fork").Pool(count, gc.enable) as pool:
        return [item for chunk in pool.map(_parse_many, chunks) for item in chunk]


def parse_files(
    files: list[tuple[Path, str]], cache_dir: Path | None = None, workers: int = 0
) -> list[Parsed]:
    """Parse ``files`` (path, kind), reusing cached results for unchanged files."""
    with heap.long_lived():
        return _parse_files(files, cache_dir, workers)


def _parse_files(
    files: list[tuple[Path, str]], cache_dir: Path | None, workers: int
) -> list[Parsed]:
    stored: dict[str, tuple[int, int, str, bytes]] = {}
    if cache_dir is not None:
        (cache_dir / "records.pickle").unlink(missing_ok=True)  # the cache of earlier versions
        with closing(open_cache(cache_dir / _CACHE_FILE, code_digest(), _SCHEMA)) as db:
            stored = {row[0]: row[1:] for row in db.execute("SELECT * FROM parsed")}
    keys = [str(path) for path, _ in files]
    stamps: list[tuple[int, int]] = []
    packed: list[_Packed | None] = []
    todo: list[int] = []
    for index, key in enumerate(keys):
        status = os.stat(key)
        stamp = (status.st_mtime_ns, status.st_size)
        stamps.append(stamp)
        hit = stored.get(key)
        if hit is not None and (hit[0], hit[1]) == stamp:
            packed.append((hit[2], hit[3]))
        else:
            packed.append(None)
            todo.append(index)
    fresh = _parse([files[index] for index in todo], workers)
    for index, item in zip(todo, fresh, strict=True):
        packed[index] = item
    results: list[Parsed] = []
    sources: dict[str, tuple[Record, str]] = {}
    for (path, _), key, entry in zip(files, keys, packed, strict=True):
        assert entry is not None
        parsed = _unpack(entry[1], path)
        results.append(parsed)
        if parsed[0] is not None:
            sources[key] = (parsed[0], entry[0])
    _sources.clear()
    _sources.update(sources)
    if cache_dir is not None and (todo or len(stored) != len(keys)):
        gone = stored.keys() - set(keys)
        rows = [
            (keys[i], *stamps[i], *fresh_item) for i, fresh_item in zip(todo, fresh, strict=True)
        ]
        with closing(open_cache(cache_dir / _CACHE_FILE, code_digest(), _SCHEMA)) as db:
            db.execute("BEGIN")
            db.executemany("DELETE FROM parsed WHERE path = ?", ((key,) for key in gone))
            db.executemany("INSERT OR REPLACE INTO parsed VALUES (?, ?, ?, ?, ?)", rows)
            db.execute("COMMIT")
    return results


#: Path of each file parsed last -> (its record as parsed, the SHA-256 of the file's bytes).
_sources: dict[str, tuple[Record, str]] = {}
#: What a record may differ in from the record parsed from its file (``checks.apply_link_states``
#: sets them from the reference table; the digest of a fragment covers them separately).
_LINK_FIELDS = ("link_state", "wikidata")
_CONTENT_FIELDS = tuple(f.name for f in dataclasses.fields(Record) if f.name not in _LINK_FIELDS)


def source_digest(record: Record) -> str | None:
    """The SHA-256 of the file ``record`` was parsed from, by the last ``parse_files``.

    Only for that file's record as parsed, or a copy of it that differs in its Wikidata link
    only; None for any other record (one built in memory, or parsed by an earlier call).
    """
    entry = _sources.get(str(record.path))
    if entry is None:
        return None
    parsed, sha = entry
    if parsed is record or all(
        getattr(record, name) is getattr(parsed, name) for name in _CONTENT_FIELDS
    ):
        return sha
    return None
