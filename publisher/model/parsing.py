"""Parse many record files fast: in parallel, and not again while a file is unchanged.

A rebuild after one edit should not re-read 100,000 YAML files. Parsed records are kept in a
pickle keyed by each file's path, size and modification time, and by a digest of the parsing
code itself (a new loader never trusts records parsed by an old one).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
from pathlib import Path

from publisher.errors import DataError
from publisher.model.loader import parse_record_file
from publisher.model.records import Record

#: Below this many files to parse, a process pool costs more than it saves.
PARALLEL_FILES = 2_000
_CACHE_FILE = "records.pickle"

Parsed = tuple[Record | None, list[DataError]]


def _code_digest() -> str:
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in ("loader.py", "records.py", "dates.py", "properties.py", "parsing.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def _stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_mtime_ns, status.st_size


def _parse_many(files: list[tuple[Path, str]]) -> list[Parsed]:
    return [parse_record_file(path, kind) for path, kind in files]


def parse_files(
    files: list[tuple[Path, str]], cache_dir: Path | None = None, workers: int = 0
) -> list[Parsed]:
    """Parse ``files`` (path, kind), reusing cached results for unchanged files."""
    code = _code_digest()
    cache_path = cache_dir / _CACHE_FILE if cache_dir else None
    cached: dict[str, tuple[tuple[int, int], Parsed]] = {}
    if cache_path and cache_path.exists():
        try:
            with cache_path.open("rb") as handle:
                stored_code, stored = pickle.load(handle)
            if stored_code == code:
                cached = stored
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError):
            cached = {}  # a damaged cache is only a slower build
    results: list[Parsed | None] = []
    stamps: list[tuple[int, int]] = []
    todo: list[int] = []
    for index, (path, _) in enumerate(files):
        stamp = _stamp(path)
        stamps.append(stamp)
        hit = cached.get(str(path))
        if hit is not None and hit[0] == stamp:
            results.append(hit[1])
        else:
            results.append(None)
            todo.append(index)
    pending = [files[index] for index in todo]
    if len(pending) >= PARALLEL_FILES:
        count = workers or os.cpu_count() or 1
        size = max(1, -(-len(pending) // (count * 8)))
        chunks = [pending[start : start + size] for start in range(0, len(pending), size)]
        with multiprocessing.get_context("fork").Pool(count) as pool:
            parsed = [item for chunk in pool.map(_parse_many, chunks) for item in chunk]
    else:
        parsed = _parse_many(pending)
    for index, item in zip(todo, parsed, strict=True):
        results[index] = item
    final = [item for item in results if item is not None]
    if cache_path and todo:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        entries = {
            str(path): (stamp, item)
            for (path, _), stamp, item in zip(files, stamps, final, strict=True)
        }
        temporary = cache_path.with_suffix(".tmp")
        with temporary.open("wb") as handle:
            pickle.dump((code, entries), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, cache_path)
    return final
