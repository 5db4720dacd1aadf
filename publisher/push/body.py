"""The request body of a push: the N-Triples dump, streamed from its file and counted on the way.

The dump is never read into memory: :class:`DumpBody` yields it in chunks (with its length, so
the request has a ``Content-Length``: Virtuoso loads nothing from a chunked body) and reports
each chunk sent. While the bytes go by, :class:`TripleCounter` counts the triples the store must
end up with: the dump's lines, less blank and comment lines, less a line equal to the one before
it. A dump is sorted by N-Triples line (docs/decisions.md), so a triple written twice is two
equal lines side by side, and a store keeps it once; counting distinct adjacent lines gives
exactly what ``COUNT(*)`` in the store must answer, with no second pass over the file.

A gzipped upload is compressed here into one gzip member, in a temporary file (the length must
be known before sending). The build's ``.nt.gz`` cannot be sent as it is: it is a series of
members, and Oxigraph decodes only the first one (and answers 201).
"""

from __future__ import annotations

import os
import tempfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

#: Bytes read and sent at a time.
DEFAULT_CHUNK_SIZE = 1 << 20
#: zlib level of a gzipped upload: most of the size gain of level 6 at a fraction of its time.
GZIP_LEVEL = 1

#: Called with (bytes sent so far, bytes in all) after each chunk of an upload.
UploadProgress = Callable[[int, int], None]


def _no_progress(_: int, __: int) -> None:
    pass


class TripleCounter:
    """Counts the distinct triples of sorted N-Triples fed in arbitrary chunks.

    >>> counter = TripleCounter()
    >>> counter.feed(b"<a> <b> <c> .\\n<a> <b> <c> .\\n# a comment\\n\\n<a> <b> ")
    >>> counter.feed(b"<d> .\\n<e> <b> <d> .")
    >>> counter.finish()
    3
    """

    def __init__(self) -> None:
        self._carry = b""
        self._previous = b""
        self.triples = 0

    def feed(self, chunk: bytes) -> None:
        lines = (self._carry + chunk).split(b"\n")
        self._carry = lines.pop()
        self._count(lines)

    def finish(self) -> int:
        """Count the last line (one without a newline) and return the total."""
        self._count([self._carry])
        self._carry = b""
        return self.triples

    def _count(self, lines: list[bytes]) -> None:
        previous = self._previous
        triples = 0
        for line in lines:
            if line == previous:
                continue
            if not line or line[0] in b" \t\r#":
                stripped = line.strip()
                if not stripped or stripped.startswith(b"#"):
                    continue
                line = stripped
                if line == previous:
                    continue
            previous = line
            triples += 1
        self._previous = previous
        self.triples += triples


class DumpBody:
    """A file as a streamed request body: iterable (a fresh pass per attempt) with a length.

    After a complete pass, :attr:`complete` is true and, when counting, :attr:`triples` holds
    the dump's distinct triples (see the module docstring).
    """

    def __init__(
        self,
        path: Path,
        *,
        count_triples: bool,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        progress: UploadProgress = _no_progress,
    ) -> None:
        self.path = path
        self.size = path.stat().st_size
        self.count_triples = count_triples
        self.chunk_size = chunk_size
        self.progress = progress
        self.complete = False
        self.triples: int | None = None

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[bytes]:
        self.complete = False
        counter = TripleCounter() if self.count_triples else None
        sent = 0
        self.progress(0, self.size)
        with self.path.open("rb") as dump:
            while chunk := dump.read(self.chunk_size):
                if counter is not None:
                    counter.feed(chunk)
                yield chunk
                # The consumer asks for the next chunk once this one is on its way.
                sent += len(chunk)
                self.progress(sent, self.size)
        if counter is not None:
            self.triples = counter.finish()
        self.complete = sent == self.size


def count_triples(path: Path, chunk_size: int = DEFAULT_CHUNK_SIZE) -> int:
    """The distinct triples of a sorted N-Triples file (one pass, constant memory)."""
    counter = TripleCounter()
    with path.open("rb") as dump:
        while chunk := dump.read(chunk_size):
            counter.feed(chunk)
    return counter.finish()


def gzip_dump(path: Path, directory: Path | None = None) -> tuple[Path, int]:
    """Compress ``path`` into one gzip member in a temporary file; returns it and the dump's
    distinct triples. The caller removes the file."""
    counter = TripleCounter()
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # 31: a gzip header and trailer
    descriptor, name = tempfile.mkstemp(prefix="emigre-push-", suffix=".nt.gz", dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as out, path.open("rb") as dump:
            while chunk := dump.read(DEFAULT_CHUNK_SIZE):
                counter.feed(chunk)
                out.write(compressor.compress(chunk))
            out.write(compressor.flush())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name), counter.finish()
