"""What a build keeps between runs: SQLite files in the cache directory.

Each cache is one SQLite file owned by one step (parsed records, rendered fragments, dump
segments). SQLite lets a rebuild read what it needs and write back only the few entries that
changed, atomically, where a pickle of the whole cache would be read and rewritten in full. A
cache is tied to a version string (a digest of the code that wrote it and of anything else its
entries depend on): a different version, or a damaged file, is discarded and rebuilt. Losing a
cache only makes a build slower, so nothing is synced to disk.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

_META = "CREATE TABLE IF NOT EXISTS cache_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)"


def open_cache(path: Path, version: str, schema: str) -> sqlite3.Connection:
    """The cache at ``path`` with ``schema`` (SQL statements), emptied unless it has ``version``.

    Close the connection (``with closing(...)``) before forking worker processes.
    """
    for attempt in (1, 2):
        try:
            return _open(path, version, schema)
        except sqlite3.DatabaseError:
            if attempt == 2:
                raise
            path.unlink(missing_ok=True)  # damaged: only a slower build
    raise AssertionError("unreachable")


def _open(path: Path, version: str, schema: str) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, isolation_level=None, timeout=60)
    try:
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute(_META)
        row = connection.execute("SELECT value FROM cache_meta WHERE key = 'version'").fetchone()
        if row is None or row[0] != version:
            connection.close()
            path.unlink(missing_ok=True)
            connection = sqlite3.connect(path, isolation_level=None, timeout=60)
            connection.execute("PRAGMA synchronous = OFF")
            connection.execute(_META)
            connection.executescript(schema)
            connection.execute("INSERT INTO cache_meta VALUES ('version', ?)", (version,))
        return connection
    except BaseException:
        connection.close()
        raise
