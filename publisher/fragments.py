"""Per-record pieces of every output, reused while nothing they depend on has changed.

A record's graph depends on the record itself and on a few facts of the records it points to
(their English names, types, countries and languages: see ``graph.build``). The digest of those
inputs, of the base IRI and of the code that renders them names a ``Fragment``: the record's
sorted N-Triples lines, its JSON-LD node objects and its statistics. A rebuild after one edit
renders one fragment and reuses the others from ``fragments.pickle`` in the cache directory; the
same digest keys the SHACL cache, so validation skips unchanged records without hashing triples.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

from publisher.describe import DatasetStatistics, compute_statistics
from publisher.graph.build import build_entity
from publisher.jsonld import node_json, node_objects
from publisher.model.records import Dataset, Record, Ref

#: Below this many records to render, a process pool costs more than it saves.
PARALLEL_RECORDS = 3_000
_CACHE_FILE = "fragments.pickle"


@dataclass(frozen=True)
class Fragment:
    """What one record contributes to the outputs."""

    kind: str
    slug: str
    digest: str
    #: N-Triples lines (each ending in " ."), sorted.
    lines: tuple[str, ...]
    #: (node IRI, node object as JSON text), sorted by IRI.
    jsonld_nodes: tuple[tuple[str, str], ...]
    statistics: DatasetStatistics

    @property
    def ntriples(self) -> str:
        """The record's graph as N-Triples text."""
        return "".join(f"{line}\n" for line in self.lines)


def _code_digest() -> str:
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for relative in (
        "fragments.py",
        "jsonld.py",
        "describe.py",
        "iris.py",
        "graph/build.py",
        "graph/terms.py",
        "vocab.py",
        "model/records.py",
    ):
        digest.update((package / relative).read_bytes())
    return digest.hexdigest()


def _dependency_facts(record: Record, records: dict[Ref, Record]) -> list[tuple[object, ...]]:
    """The facts of other records that ``build_entity`` reads for ``record``."""
    from publisher.model.checks import record_references

    facts: list[tuple[object, ...]] = []
    for ref in sorted({ref for _, _, ref in record_references(record)}, key=str):
        target = records.get(ref)
        if target is not None:
            facts.append((str(ref), target.name, target.type, target.country, target.language))
    return facts


def record_digest(record: Record, records: dict[Ref, Record], base: str, code: str) -> str:
    """The digest of everything a record's fragment is rendered from."""
    # The path and line numbers are where the record was read, not what it says.
    payload = (
        code,
        base,
        record.kind,
        record.slug,
        pickle.dumps(_content(record), protocol=5),
        _dependency_facts(record, records),
    )
    return hashlib.sha256(pickle.dumps(payload, protocol=5)).hexdigest()


def _content(record: Record) -> tuple[object, ...]:
    import dataclasses

    def strip(value: object) -> object:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return tuple(
                (field.name, strip(getattr(value, field.name)))
                for field in dataclasses.fields(value)
                if field.name not in ("path", "line")
            )
        if isinstance(value, tuple):
            return tuple(strip(item) for item in value)
        return value

    result = strip(record)
    assert isinstance(result, tuple)
    return result


def render_fragment(record: Record, records: dict[Ref, Record], base: str, digest: str) -> Fragment:
    """Build one record's graph and render its pieces."""
    graph = build_entity(record, records, base)
    triples = sorted(graph.triples, key=str)
    nodes = node_objects(triples)
    return Fragment(
        kind=record.kind,
        slug=record.slug,
        digest=digest,
        lines=tuple(f"{triple} ." for triple in triples),
        jsonld_nodes=tuple((str(node["id"]), node_json(node)) for node in nodes),
        statistics=compute_statistics(triples, base),
    )


_shared: tuple[dict[Ref, Record], str] | None = None


def _render_many(jobs: list[tuple[Record, str]]) -> list[Fragment]:
    assert _shared is not None
    records, base = _shared
    return [render_fragment(record, records, base, digest) for record, digest in jobs]


def render_fragments(
    dataset: Dataset, base: str, cache_dir: Path | None = None, workers: int = 0
) -> list[Fragment]:
    """The fragment of every record, in the dataset's order, reusing cached ones."""
    global _shared
    records = dataset.by_ref()
    code = _code_digest()
    digests = [record_digest(record, records, base, code) for record in dataset.records]
    cache_path = cache_dir / _CACHE_FILE if cache_dir else None
    cached: dict[str, Fragment] = {}
    if cache_path and cache_path.exists():
        try:
            with cache_path.open("rb") as handle:
                cached = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            cached = {}  # a damaged cache is only a slower build
    jobs = [
        (record, digest)
        for record, digest in zip(dataset.records, digests, strict=True)
        if digest not in cached
    ]
    if len(jobs) >= PARALLEL_RECORDS:
        count = workers or os.cpu_count() or 1
        size = max(1, -(-len(jobs) // (count * 8)))
        chunks = [jobs[start : start + size] for start in range(0, len(jobs), size)]
        _shared = (records, base)  # inherited by the forked workers, not pickled
        try:
            with multiprocessing.get_context("fork").Pool(count) as pool:
                rendered = [item for chunk in pool.map(_render_many, chunks) for item in chunk]
        finally:
            _shared = None
    else:
        rendered = [render_fragment(record, records, base, digest) for record, digest in jobs]
    fresh = {fragment.digest: fragment for fragment in rendered}
    fragments = [cached.get(digest) or fresh[digest] for digest in digests]
    if cache_path and (fresh or len(cached) != len(fragments)):
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache_path.with_suffix(".tmp")
        with temporary.open("wb") as handle:
            pickle.dump(
                {fragment.digest: fragment for fragment in fragments},
                handle,
                protocol=pickle.HIGHEST_PROTOCOL,
            )
        os.replace(temporary, cache_path)
    return fragments
