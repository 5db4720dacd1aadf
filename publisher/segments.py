"""Dumps in segments: cut by content, rendered one by one, reusable one by one.

Every dump lists the graph's subjects in one order: N-Triples line order for N-Triples, Turtle
and RDF/XML, IRI order for JSON-LD's node objects. That sequence is cut into segments by
content: a segment starts at the first subject and at every subject whose CRC-32 is a multiple
of SEGMENT_SUBJECTS, so where the cuts fall depends only on the subjects there, and adding or
removing a subject moves no cut elsewhere (content-defined chunking). Each segment is rendered
on its own: its N-Triples lines; its Turtle and RDF/XML as pyoxigraph writes them, less the
prefix header and closing tag every segment repeats; its JSON-LD node objects; and each of those
again as its own gzip member. A dump is a header, its segments and a footer; a ``.gz`` dump is
the gzip members of the same pieces one after another, which RFC 1952 §2.2 defines as one file
that decompresses to their concatenation (``gzip -d``, ``zcat``, Python's ``gzip``).

pyoxigraph's streaming writers write one subject at a time and carry nothing from one subject
to the next, so each uncompressed dump is byte for byte what serializing the whole graph at once
gives (``tests/test_incremental.py`` checks it).
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
import zlib
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple

from publisher.errors import BuildError
from publisher.jsonld import assemble_jsonld
from publisher.namespaces import PREFIXES

#: Subjects per segment on average (a cut wherever a subject's CRC-32 is a multiple of it):
#: about 6,000 triples or 1 MB of N-Triples. A one-record edit renders a few segments again.
SEGMENT_SUBJECTS = 1024
#: The gzip level of every member, as ``gzip -6`` (gzip's default).
GZIP_LEVEL = 6

#: (sort key, text): a subject's N-Triples lines, or its JSON-LD node object.
Item = tuple[str, str]


@dataclass(frozen=True)
class Family:
    """Dumps that list the same items in the same order, and so share their segments."""

    name: str
    #: The uncompressed dumps; each also has a ``.gz``.
    files: tuple[str, ...]
    #: A subject's sort key. N-Triples lines start with "<IRI> ", so line order is the order of
    #: IRI + ">" (">" sorts after "-" and digits); JSON-LD node objects are sorted by IRI.
    key: Callable[[str], str]
    subject: Callable[[str], str]
    #: Whether a piece depends on its segment being the first (JSON-LD: no comma before it).
    positional: bool
    #: A segment's items from its piece of the first file: the inverse of ``render_segment``.
    split: Callable[[str], list[Item]]

    @property
    def all_files(self) -> tuple[str, ...]:
        """The uncompressed dumps, then their ``.gz``: the columns of ``Segment.sizes``."""
        return (*self.files, *(f"{name}.gz" for name in self.files))


def _blocks(text: str) -> list[Item]:
    """N-Triples text as one item per subject (a subject IRI cannot contain ">")."""
    items: list[Item] = []
    subject = ""
    lines: list[str] = []
    for line in text.split("\n")[:-1]:
        current = line[1 : line.index(">")]
        if current != subject and lines:
            items.append((f"{subject}>", "".join(lines)))
            lines = []
        subject = current
        lines.append(f"{line}\n")
    if lines:
        items.append((f"{subject}>", "".join(lines)))
    return items


def _nodes(text: str) -> list[Item]:
    """JSON-LD node objects, written ", "-separated, as one item each (their text as is)."""
    decoder = json.JSONDecoder()
    items: list[Item] = []
    position = 2 if text.startswith(", ") else 0
    while True:
        node, end = decoder.raw_decode(text, position)
        items.append((str(node["id"]), text[position:end]))
        if end == len(text):
            return items
        if text[end : end + 2] != ", ":
            raise BuildError("a kept JSON-LD segment is not a list of node objects")
        position = end + 2


TRIPLES = Family(
    "triples",
    ("emigre.nt", "emigre.ttl", "emigre.rdf"),
    key=lambda subject: f"{subject}>",
    subject=lambda key: key[:-1],
    positional=False,
    split=_blocks,
)
NODES = Family(
    "nodes",
    ("emigre.jsonld",),
    key=lambda subject: subject,
    subject=lambda key: key,
    positional=True,
    split=_nodes,
)
FAMILIES = (TRIPLES, NODES)


def is_cut(subject: str) -> bool:
    """Whether a segment starts at ``subject`` (unless it is the first subject of all)."""
    return zlib.crc32(subject.encode("utf-8")) % SEGMENT_SUBJECTS == 0


def cut(items: Iterable[Item], family: Family) -> list[list[Item]]:
    """Sorted items in segments: one starts at the first item and at each cut subject."""
    segments: list[list[Item]] = []
    for item in items:
        if not segments or is_cut(family.subject(item[0])):
            segments.append([item])
        else:
            segments[-1].append(item)
    return segments


def merge_repeated(items: list[Item], family: Family) -> tuple[list[Item], bool]:
    """Sorted items with the items of a subject that occurs twice merged; whether there were any.

    Two records never mint the same IRI when their checks pass; should they, the subject's
    N-Triples lines are merged in line order, as sorting all lines would place them, each line
    once (a graph is a set).
    """
    repeated = any(a[0] == b[0] for a, b in itertools.pairwise(items))
    if not repeated or family.positional:  # JSON-LD lists a repeated node twice, in text order
        return items, repeated
    merged: list[Item] = []
    for key, group in itertools.groupby(items, key=lambda item: item[0]):
        texts = [text for _, text in group]
        if len(texts) > 1:
            lines = sorted({line for text in texts for line in text.split("\n")[:-1]})
            texts = ["".join(f"{line}\n" for line in lines)]
        merged.append((key, texts[0]))
    return merged, True


# -- rendering ------------------------------------------------------------------------------------


def gzip_member(data: bytes) -> bytes:
    """One gzip member with a reproducible header (no file name, time 0)."""
    return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)


def _serialize(ntriples: bytes, fmt: RdfFormat) -> bytes:
    # Quads of the default graph go straight from the parser to the writer, without a Python loop.
    quads = pyoxigraph.parse(ntriples, format=RdfFormat.N_TRIPLES)
    output = pyoxigraph.serialize(quads, format=fmt, prefixes=PREFIXES)
    assert output is not None
    return output


_RDFXML_FOOTER = b"</rdf:RDF>"
_frames: dict[str, tuple[bytes, bytes]] = {}


def _pyoxigraph_frames() -> dict[str, tuple[bytes, bytes]]:
    """What pyoxigraph writes around the subjects of a graph: (header, footer) by dump."""
    if not _frames:
        sample = Triple(NamedNode("urn:x:s"), NamedNode("urn:x:p"), Literal("o"))
        turtle = pyoxigraph.serialize([sample], format=RdfFormat.TURTLE, prefixes=PREFIXES)
        rdfxml = pyoxigraph.serialize([], format=RdfFormat.RDF_XML, prefixes=PREFIXES)
        assert turtle is not None and rdfxml is not None
        if not rdfxml.endswith(_RDFXML_FOOTER):
            raise BuildError(f"unexpected RDF/XML from pyoxigraph {pyoxigraph.__version__}")
        _frames["emigre.ttl"] = (turtle[: turtle.index(b"<urn:x:s>")], b"")
        _frames["emigre.rdf"] = (rdfxml[: -len(_RDFXML_FOOTER)], _RDFXML_FOOTER)
    return _frames


def frame(name: str, context_url: str, empty: bool) -> tuple[bytes, bytes]:
    """The header and footer of file ``name`` (a dump or its ``.gz``); ``empty``: no triples."""
    if name.endswith(".gz"):
        header, footer = frame(name[: -len(".gz")], context_url, empty)
        if not header and not footer and empty:
            return b"", gzip_member(b"")  # a gzip file has at least one member
        return (
            gzip_member(header) if header else b"",
            gzip_member(footer) if footer else b"",
        )
    if name == "emigre.jsonld":
        document = assemble_jsonld([], context_url).encode("utf-8")
        footer = b"]}\n"
        assert document.endswith(b"[" + footer)
        return document[: -len(footer)], footer
    if name == "emigre.ttl" and empty:
        return b"", b""  # pyoxigraph writes no prefixes for an empty graph
    return _pyoxigraph_frames().get(name, (b"", b""))


def _strip(output: bytes, name: str) -> bytes:
    header, footer = _pyoxigraph_frames()[name]
    if not output.startswith(header) or not output.endswith(footer):
        raise BuildError(f"{name}: pyoxigraph wrote a header or footer other than expected")
    return output[len(header) : len(output) - len(footer)]


def render_segment(family_name: str, texts: Sequence[str], first: bool) -> list[bytes]:
    """A segment's piece of each dump of its family, then each piece gzipped."""
    if family_name == TRIPLES.name:
        ntriples = "".join(texts).encode("utf-8")
        pieces = [
            ntriples,
            _strip(_serialize(ntriples, RdfFormat.TURTLE), "emigre.ttl"),
            _strip(_serialize(ntriples, RdfFormat.RDF_XML), "emigre.rdf"),
        ]
    else:
        pieces = [(("" if first else ", ") + ", ".join(texts)).encode("utf-8")]
    return pieces + [gzip_member(piece) for piece in pieces]


Task = tuple[str, list[str], bool]


def render_task(task: Task) -> list[bytes]:
    """``render_segment`` of a (family name, texts, first) task, for a process pool."""
    return render_segment(*task)


# -- layout ---------------------------------------------------------------------------------------


@dataclass
class Segment:
    """Where one segment lies: its first item's key and its size in each file of its family."""

    first: str
    #: Rendered as the first segment of its dumps (matters for positional families).
    lead: bool
    #: Bytes in each of ``Family.all_files``.
    sizes: list[int]


@dataclass
class Layout:
    """The segments of each family, the frames of each file, and what the kept files were."""

    context_url: str
    segments: dict[str, list[Segment]] = field(default_factory=dict)
    #: File name -> (header size, footer size).
    frames: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: File name -> (size, mtime_ns, inode) of the kept file, to notice one changed since.
    stamps: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    def offsets(self, family: Family, name: str) -> list[int]:
        """Where each segment of ``family`` starts in file ``name``, and where the last ends."""
        column = family.all_files.index(name)
        offsets = [self.frames[name][0]]
        for segment in self.segments[family.name]:
            offsets.append(offsets[-1] + segment.sizes[column])
        return offsets

    def size(self, family: Family, name: str) -> int:
        """The size file ``name`` has if it holds what this layout says."""
        return self.offsets(family, name)[-1] + self.frames[name][1]

    def to_json(self) -> str:
        """The layout as text, for ``dumps.sqlite``."""
        segments = {
            name: [[s.first, s.lead, s.sizes] for s in items]
            for name, items in self.segments.items()
        }
        state = {
            "context_url": self.context_url,
            "segments": segments,
            "frames": self.frames,
            "stamps": self.stamps,
        }
        return json.dumps(state, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Layout:
        """The layout ``to_json`` wrote."""
        state = json.loads(text)
        return cls(
            context_url=state["context_url"],
            segments={
                name: [Segment(first, lead, sizes) for first, lead, sizes in items]
                for name, items in state["segments"].items()
            },
            frames={name: (value[0], value[1]) for name, value in state["frames"].items()},
            stamps={name: (s[0], s[1], s[2]) for name, s in state["stamps"].items()},
        )


def file_stamp(path: Path) -> tuple[int, int, int]:
    """Size, modification time and inode: what changes when a file is written to or replaced."""
    status = path.stat()
    return status.st_size, status.st_mtime_ns, status.st_ino


# -- writing files --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kept:
    """A segment as the kept dumps have it (by its index in their layout)."""

    index: int


@dataclass(frozen=True)
class Fresh:
    """A segment rendered in this build."""

    first: str
    lead: bool
    pieces: list[bytes]


Planned = Kept | Fresh


class _RangeWriter:
    """Writes one file from new bytes and ranges of a kept file (copied inside the kernel)."""

    def __init__(self, target: int, source: int | None) -> None:
        self.target = target
        self.source = source
        self.pending: tuple[int, int] | None = None  # adjacent ranges become one copy

    def write(self, data: bytes) -> None:
        self.flush()
        _write_all(self.target, data)

    def copy(self, offset: int, length: int) -> None:
        if self.pending and sum(self.pending) == offset:
            self.pending = (self.pending[0], self.pending[1] + length)
        else:
            self.flush()
            self.pending = (offset, length)

    def flush(self) -> None:
        if self.pending is None:
            return
        assert self.source is not None
        offset, length = self.pending
        self.pending = None
        end = offset + length
        while offset < end:
            try:
                copied = os.copy_file_range(self.source, self.target, end - offset, offset)
            except (AttributeError, OSError):  # not Linux, or not between these file systems
                data = os.pread(self.source, min(end - offset, 1 << 24), offset)
                _write_all(self.target, data)
                copied = len(data)
            if copied <= 0:
                raise BuildError("a kept dump is shorter than its layout says")
            offset += copied


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def write_family(
    family: Family,
    planned: Iterable[Planned],
    out_dir: Path,
    context_url: str,
    empty: bool,
    kept: tuple[Path, Layout] | None,
) -> tuple[list[Segment], dict[str, tuple[int, int]]]:
    """Write the files of ``family`` from planned segments; their new segments and frames."""
    segments: list[Segment] = []
    frames: dict[str, tuple[int, int]] = {}
    with ExitStack() as stack:
        writers: list[_RangeWriter] = []
        offsets: list[list[int]] = []
        for name in family.all_files:
            target = stack.enter_context(open(out_dir / name, "wb", buffering=0)).fileno()
            source = None
            if kept is not None:
                source = stack.enter_context(open(kept[0] / name, "rb", buffering=0)).fileno()
                offsets.append(kept[1].offsets(family, name))
            writers.append(_RangeWriter(target, source))
            header, footer = frame(name, context_url, empty)
            frames[name] = (len(header), len(footer))
            writers[-1].write(header)
        old = kept[1].segments[family.name] if kept else []
        for item in planned:
            if isinstance(item, Kept):
                segment = old[item.index]
                for column, writer in enumerate(writers):
                    start = offsets[column][item.index]
                    writer.copy(start, offsets[column][item.index + 1] - start)
                segments.append(segment)
            else:
                for writer, piece in zip(writers, item.pieces, strict=True):
                    writer.write(piece)
                segments.append(Segment(item.first, item.lead, [len(p) for p in item.pieces]))
        for name, writer in zip(family.all_files, writers, strict=True):
            writer.write(frame(name, context_url, empty)[1])
            writer.flush()
    return segments, frames
