"""Per-record pieces of every output, reused while nothing they depend on has changed.

A record's graph depends on the record itself and on a few facts of the records it points to
(their names, types, countries and languages, and the name of a place's country: see
``graph.build``). The digest of those inputs, of the base IRI and of the code that renders them
names a ``Fragment``: the record's N-Triples, one block per subject in line order, its JSON-LD
node objects and its statistics. The record itself is identified by the SHA-256 of its file
(``parsing.source_digest``), so digesting 100,000 records hashes a few facts each.

A rebuild after one edit renders one fragment. The others come from ``fragments.sqlite`` in the
cache directory, which keeps only each digest's statistics (marshalled: ten times faster to read
than a pickled dataclass). Their text is rendered again only if something asks for it
(``Fragment.blocks``; ``ensure_rendered`` renders many in parallel), which a rebuild does not:
validation is cached by digest, and the dumps keep their own segments.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import marshal
import multiprocessing
import os
import pickle
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import Triple

from publisher import heap
from publisher.cache import open_cache
from publisher.describe import DatasetStatistics, compute_statistics
from publisher.graph.build import build_entity
from publisher.graph.terms import term_text
from publisher.jsonld import node_json, node_objects
from publisher.model import parsing
from publisher.model.checks import referenced
from publisher.model.records import Dataset, Record, Ref

#: Below this many records to render, a process pool costs more than it saves.
PARALLEL_RECORDS = 3_000
_CACHE_FILE = "fragments.sqlite"
_SCHEMA = "CREATE TABLE fragments(digest TEXT PRIMARY KEY, statistics BLOB NOT NULL);"

#: (subject IRI, its N-Triples lines, each ending in " .\n"), in N-Triples line order.
Block = tuple[str, str]
#: (node IRI, node object as JSON text), sorted by IRI.
Node = tuple[str, str]
#: What rendering a record needs besides the record: every record by reference, the base IRI.
_Context = tuple[dict[Ref, Record], str]
_Rendered = tuple[tuple[Block, ...], tuple[Node, ...]]


class _Text:
    """A fragment's text: rendered already, or rendered from its record on first use."""

    __slots__ = ("_record", "_value")

    def __init__(self, value: _Rendered | None, record: tuple[Record, _Context] | None = None):
        self._value = value
        self._record = record

    @property
    def source(self) -> tuple[Record, _Context] | None:
        """The record (and its context) the text is still to be rendered from."""
        return self._record

    def get(self) -> _Rendered:
        if self._value is None:
            assert self._record is not None
            record, (records, base) = self._record
            self._value = _render_text(build_entity(record, records, base).triples)[:2]
            self._record = None
        return self._value

    def set(self, value: _Rendered) -> None:
        self._value, self._record = value, None

    def __reduce__(self) -> tuple[type[_Text], tuple[_Rendered]]:
        return (_Text, (self.get(),))


@dataclass(frozen=True)
class Fragment:
    """What one record contributes to the outputs."""

    kind: str
    slug: str
    digest: str
    statistics: DatasetStatistics
    text: _Text = field(repr=False, compare=False)

    @property
    def blocks(self) -> tuple[Block, ...]:
        """(subject IRI, N-Triples lines of that subject), in N-Triples line order."""
        return self.text.get()[0]

    @property
    def jsonld_nodes(self) -> tuple[Node, ...]:
        """(node IRI, node object as JSON text), sorted by IRI."""
        return self.text.get()[1]

    @property
    def ntriples(self) -> str:
        """The record's graph as N-Triples text (sorted lines)."""
        return "".join(text for _, text in self.blocks)

    @property
    def lines(self) -> tuple[str, ...]:
        """N-Triples lines (each ending in " ."), sorted."""
        text = self.ntriples
        return tuple(text[:-1].split("\n")) if text else ()


def code_digest() -> str:
    """A digest of the code a fragment is rendered by (and of the code records are parsed by)."""
    digest = hashlib.sha256(parsing.code_digest().encode())
    package = Path(__file__).parent
    for relative in (
        "fragments.py",
        "jsonld.py",
        "describe.py",
        "iris.py",
        "namespaces.py",
        "graph/build.py",
        "graph/terms.py",
        "vocab.py",
        "model/records.py",
        "model/dates.py",
        "model/properties.py",
    ):
        digest.update((package / relative).read_bytes())
    return digest.hexdigest()


def _facts(ref: Ref, records: dict[Ref, Record]) -> str:
    """What ``build_entity`` reads of a record another record points at, as text."""
    target = records.get(ref)
    if target is None:
        return f"{ref}\x1f-"
    # A coarse claim on a city publishes its country, labelled with the country's name.
    country = records.get(target.country) if target.country else None
    country_name = repr(country.name) if country else ""
    return "\x1f".join(
        (
            str(ref),
            repr(target.name),
            target.type or "",
            str(target.country or ""),
            target.language or "",
            country_name,
        )
    )


def record_digests(records: Iterable[Record], by_ref: dict[Ref, Record], base: str) -> list[str]:
    """The digest of everything each record's fragment is rendered from."""
    prefix = f"{code_digest()}\x1e{base}"
    facts: dict[tuple[str, str], str] = {}
    digests: list[str] = []
    for record in records:
        source = parsing.source_digest(record)
        content = f"file {source}" if source else f"record {_content_digest(record)}"
        dependencies: set[str] = set()
        for ref in referenced(record):
            key = (ref.kind, ref.slug)  # a tuple hashes in C, a Ref in Python
            fact = facts.get(key)
            if fact is None:
                fact = facts[key] = _facts(ref, by_ref)
            dependencies.add(fact)
        payload = "\x1e".join(
            (prefix, record.kind, record.slug, content, record.link_state, record.wikidata or "")
        )
        digest = hashlib.sha256(payload.encode())
        digest.update("\x1e".join(sorted(dependencies)).encode())
        digests.append(digest.hexdigest())
    return digests


def record_digest(record: Record, records: dict[Ref, Record], base: str) -> str:
    """The digest of everything one record's fragment is rendered from."""
    return record_digests([record], records, base)[0]


def _content_digest(record: Record) -> str:
    """A record's content, hashed field by field (for records not parsed from a file)."""

    def strip(value: object) -> object:
        # The path and line numbers are where the record was read, not what it says.
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return tuple(
                (item.name, strip(getattr(value, item.name)))
                for item in dataclasses.fields(value)
                if item.name not in ("path", "line")
            )
        if isinstance(value, tuple):
            return tuple(strip(item) for item in value)
        return value

    return hashlib.sha256(pickle.dumps(strip(record), protocol=5)).hexdigest()


def _render_text(
    triples: Iterable[Triple],
) -> tuple[tuple[Block, ...], tuple[Node, ...], list[Triple]]:
    """Blocks and JSON-LD nodes of a record's triples; also the triples, sorted.

    A graph is a set: a triple two claims both imply (the same author, cited for two different
    years) is written once, so the dumps, their counts and the stores they are loaded into agree.
    """
    by_text = {str(triple): triple for triple in triples}
    unsorted = list(by_text.values())
    texts = list(by_text)
    order = sorted(range(len(texts)), key=texts.__getitem__)
    ordered = [unsorted[index] for index in order]
    blocks: list[Block] = []
    subject: str | None = None
    lines: list[str] = []
    for index in order:
        triple = unsorted[index]
        value = term_text(triple.subject)
        if value != subject:
            if subject is not None:
                blocks.append((subject, "".join(lines)))
            subject, lines = value, []
        lines.append(f"{texts[index]} .\n")
    if subject is not None:
        blocks.append((subject, "".join(lines)))
    nodes = tuple((str(node["id"]), node_json(node)) for node in node_objects(ordered))
    return tuple(blocks), nodes, ordered


def render_fragment(record: Record, records: dict[Ref, Record], base: str, digest: str) -> Fragment:
    """Build one record's graph and render its pieces."""
    blocks, nodes, triples = _render_text(build_entity(record, records, base).triples)
    return Fragment(
        kind=record.kind,
        slug=record.slug,
        digest=digest,
        statistics=compute_statistics(triples, base),
        text=_Text((blocks, nodes)),
    )


_shared: _Context | None = None


def _render_many(jobs: list[tuple[Record, str]]) -> list[Fragment]:
    assert _shared is not None
    records, base = _shared
    return [render_fragment(record, records, base, digest) for record, digest in jobs]


def _render(jobs: list[tuple[Record, str]], context: _Context, workers: int) -> list[Fragment]:
    """Render ``jobs`` (record, digest), in worker processes when there are many."""
    global _shared
    records, base = context
    if len(jobs) < PARALLEL_RECORDS:
        return [render_fragment(record, records, base, digest) for record, digest in jobs]
    count = workers or os.cpu_count() or 1
    size = max(1, -(-len(jobs) // (count * 8)))
    chunks = [jobs[start : start + size] for start in range(0, len(jobs), size)]
    _shared = context  # inherited by the forked workers, not pickled
    try:
        with multiprocessing.get_context("fork").Pool(count, gc.enable) as pool:
            return [item for chunk in pool.map(_render_many, chunks) for item in chunk]
    finally:
        _shared = None


def render_fragments(
    dataset: Dataset, base: str, cache_dir: Path | None = None, workers: int = 0
) -> list[Fragment]:
    """The fragment of every record, in the dataset's order, reusing cached ones."""
    with heap.long_lived():
        return _render_fragments(dataset, base, cache_dir, workers)


def _render_fragments(
    dataset: Dataset, base: str, cache_dir: Path | None, workers: int
) -> list[Fragment]:
    by_ref = dataset.by_ref()
    context: _Context = (by_ref, base)
    digests = record_digests(dataset.records, by_ref, base)
    stored: dict[str, bytes] = {}
    if cache_dir is not None:
        (cache_dir / "fragments.pickle").unlink(missing_ok=True)  # the cache of earlier versions
        with closing(open_cache(cache_dir / _CACHE_FILE, code_digest(), _SCHEMA)) as db:
            stored = dict(db.execute("SELECT digest, statistics FROM fragments"))
    jobs = [
        (record, digest)
        for record, digest in zip(dataset.records, digests, strict=True)
        if digest not in stored
    ]
    fresh = {fragment.digest: fragment for fragment in _render(jobs, context, workers)}
    fragments: list[Fragment] = []
    for record, digest in zip(dataset.records, digests, strict=True):
        fragment = fresh.get(digest)
        if fragment is None:
            statistics = DatasetStatistics(*marshal.loads(stored[digest]))
            fragment = Fragment(
                record.kind, record.slug, digest, statistics, _Text(None, (record, context))
            )
        fragments.append(fragment)
    if cache_dir is not None and (fresh or len(stored) != len(fragments)):
        gone = stored.keys() - set(digests)
        rows = [
            (digest, marshal.dumps(dataclasses.astuple(fragment.statistics)))
            for digest, fragment in fresh.items()
        ]
        with closing(open_cache(cache_dir / _CACHE_FILE, code_digest(), _SCHEMA)) as db:
            db.execute("BEGIN")
            db.executemany("DELETE FROM fragments WHERE digest = ?", ((d,) for d in gone))
            db.executemany("INSERT OR REPLACE INTO fragments VALUES (?, ?)", rows)
            db.execute("COMMIT")
    return fragments


def ensure_rendered(fragments: Iterable[Fragment], workers: int = 0) -> None:
    """Render the text of every fragment in ``fragments`` that has none yet, in parallel."""
    waiting = [(fragment, fragment.text.source) for fragment in fragments]
    jobs = [(source[0], fragment.digest) for fragment, source in waiting if source is not None]
    if not jobs:
        return
    contexts = {id(source[1]): source[1] for _, source in waiting if source is not None}
    if len(contexts) > 1:  # fragments of several datasets: one by one
        for fragment, _ in waiting:
            fragment.text.get()
        return
    todo = [fragment for fragment, source in waiting if source is not None]
    with heap.long_lived():
        rendered = _render(jobs, next(iter(contexts.values())), workers)
        for fragment, done in zip(todo, rendered, strict=True):
            fragment.text.set(done.text.get())
