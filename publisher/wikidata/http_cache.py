"""The Wikidata client's cache on disk: one JSON file per API request.

A file is named by the SHA-256 of the normalized request (the API's URL and its parameters sorted,
without ``maxlag``, which changes how Wikidata schedules a request, not what it answers), and
holds the request and Wikidata's answer as deterministic JSON (sorted keys), so two runs that ask
the same write the same bytes. Files are written to a temporary name and renamed into place: a
run that is killed leaves either the old file or the new one, never half of one.

Entries never expire: a cache answers with what Wikidata said when it was filled. Delete the
directory (or one file) to ask again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: Parameters that do not change the answer, left out of the key.
UNKEYED_PARAMS = frozenset({"maxlag"})


def request_key(url: str, params: Mapping[str, str]) -> str:
    """The cache key of a request: the hex SHA-256 of its normalized form.

    >>> request_key("https://x/w/api.php", {"b": "2", "a": "1", "maxlag": "5"}) == request_key(
    ...     "https://x/w/api.php", {"a": "1", "b": "2"})
    True
    """
    return hashlib.sha256(_canonical(normalized_request(url, params))).hexdigest()


def normalized_request(url: str, params: Mapping[str, str]) -> dict[str, Any]:
    """The request as the cache stores it: the URL and the keyed parameters, sorted."""
    keyed = {name: params[name] for name in sorted(params) if name not in UNKEYED_PARAMS}
    return {"url": url, "params": keyed}


def _canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


class ResponseCache:
    """JSON answers of API requests, one file per request under ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, url: str, params: Mapping[str, str]) -> Path:
        """Where the answer to this request is (or would be) kept."""
        key = request_key(url, params)
        return self.directory / key[:2] / f"{key}.json"

    def read(self, url: str, params: Mapping[str, str]) -> Any | None:
        """The cached answer, or None when this request was never cached.

        Raises ValueError (naming the file) when the file is not a cache entry for this request.
        """
        path = self.path(url, params)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            entry = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not a cache entry ({error}); delete it to refetch") from None
        if not isinstance(entry, dict) or entry.get("request") != normalized_request(url, params):
            raise ValueError(f"{path}: not a cache entry for this request; delete it to refetch")
        return entry.get("response")

    def write(self, url: str, params: Mapping[str, str], response: Any) -> Path:
        """Keep ``response`` as the answer to this request (atomically); returns the file."""
        path = self.path(url, params)
        path.parent.mkdir(parents=True, exist_ok=True)
        entry = {"request": normalized_request(url, params), "response": response}
        text = json.dumps(entry, ensure_ascii=False, sort_keys=True, indent=1) + "\n"
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp"
        )
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return path
