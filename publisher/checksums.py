"""``SHA256SUMS``: the build's checksums, written once and read by everything that needs a
file's digest (the site's download list, the server's ``/dumps/``, releases and ``emigre push``).

The format is what ``sha256sum -c`` reads: ``{hex digest}  {path relative to the build}`` per
line (a ``*`` instead of the second space marks binary mode, and is read too).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CHECKSUMS_FILE = "SHA256SUMS"
_LINE = re.compile(r"([0-9a-f]{64}) [ *](\S+)")


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_checksums(paths: Iterable[Path], out_dir: Path) -> Path:
    """``SHA256SUMS`` of ``paths`` in ``out_dir`` (files hashed in parallel threads)."""
    files = list(paths)
    with ThreadPoolExecutor(max_workers=4) as pool:
        digests = list(pool.map(sha256_file, files))
    lines = sorted(
        f"{digest}  {path.relative_to(out_dir).as_posix()}"
        for path, digest in zip(files, digests, strict=True)
    )
    target = out_dir / CHECKSUMS_FILE
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def read_checksums(dist_dir: Path) -> dict[str, str]:
    """The digests listed in ``dist_dir``'s ``SHA256SUMS``, by relative path (empty when it has
    none); lines that are not checksum lines are skipped.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     _ = (Path(directory) / CHECKSUMS_FILE).write_text(
    ...         "ab" * 32 + "  emigre.nt\\n" + "cd" * 32 + " *dumps/x.gz\\nnot a line\\n")
    ...     sorted(read_checksums(Path(directory)))
    ['dumps/x.gz', 'emigre.nt']
    """
    try:
        text = (dist_dir / CHECKSUMS_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    listed = {}
    for line in text.splitlines():
        match = _LINE.fullmatch(line.strip())
        if match:
            digest, name = match.groups()
            listed[name] = digest
    return listed
