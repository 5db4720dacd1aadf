"""SHACL validation of a whole build, entity by entity, in parallel, with a cache.

pyshacl holds the data in rdflib and takes time in proportion to it, so a graph of millions of
triples is validated as many small graphs: each record's own triples (the entity, its events,
claims, citations and quotations). That is all the shapes in ``shapes/`` look at: they check
references by IRI, never by the class of the node referred to (adding the types of referenced
nodes would even be wrong: a typed node without its name would fail the name shapes).
A record whose chunk content and shapes are unchanged since a run that conformed is not
validated again: the cache keeps the SHA-256 of each conforming chunk.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Graph, Literal
from rdflib.namespace import RDF, SH

from publisher.config import BuildSettings
from publisher.fragments import Fragment, ensure_rendered
from publisher.validate import (
    ValidationReport,
    ValidationResult,
    load_shapes,
    turbo_available,
    validate_ntriples,
)

#: Entities per pyshacl call: large enough to amortise pyshacl's per-call set-up, small enough
#: to keep rdflib's memory in check.
CHUNK_ENTITIES = 400
#: Triples per call of the Rust engine, whose cost per triple grows with the size of a call
#: (8 µs at 100,000 triples, 12 µs at 800,000: benchmarks/README.md).
TURBO_BATCH_TRIPLES = 100_000
#: Below this many triples everything is validated in this process, in one call.
IN_PROCESS_TRIPLES = 60_000
#: From this many triples to validate, ``auto`` picks the Rust engine when it is installed.
AUTO_TURBO_TRIPLES = 200_000

_CACHE_FILE = "shacl-conforming.txt"


def _fingerprint(fragment: Fragment, shapes_digest: str) -> str:
    """The fragment digest already covers the record's content and the rendering code."""
    return hashlib.sha256(f"{shapes_digest} {fragment.digest}".encode()).hexdigest()


def shapes_fingerprint(shapes_dir: Path) -> str:
    """SHA-256 over every shapes file: a change to the shapes invalidates the cache."""
    digest = hashlib.sha256()
    for path in sorted(shapes_dir.glob("*.ttl")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


_worker_shapes: Graph | None = None


_worker_engine = "pyshacl"


def _init_worker(shapes_dir: str, engine: str) -> None:
    global _worker_shapes, _worker_engine
    _worker_shapes = load_shapes(Path(shapes_dir))
    _worker_engine = engine


def _validate_chunk(ntriples: str) -> ValidationReport:
    """Validate a chunk sent as N-Triples text (cheap to pass between processes)."""
    assert _worker_shapes is not None
    return validate_ntriples(ntriples, _worker_shapes, _worker_engine)


def _as_ntriples(fragments: Iterable[Fragment]) -> str:
    return "".join(fragment.ntriples for fragment in fragments)


def _merge(reports: list[ValidationReport]) -> ValidationReport:
    """One report for a whole build, whatever its batches (and however many came from the cache).

    The report graph has one ``sh:ValidationReport`` node with every batch's results, so
    ``validation.ttl`` is the same for a build that validated every record in eight batches and
    for a rebuild that validated one record, or none.
    """
    merged = Graph()
    report_node = BNode()
    conforms = all(report.conforms for report in reports)
    merged.add((report_node, RDF.type, SH.ValidationReport))
    merged.add((report_node, SH.conforms, Literal(conforms)))
    for report in reports:
        graph = report.report_graph
        nodes = set(graph.subjects(RDF.type, SH.ValidationReport))
        for subject, predicate, obj in graph:
            if subject not in nodes:
                merged.add((subject, predicate, obj))
            elif predicate == SH.result:
                merged.add((report_node, predicate, obj))
    results: list[ValidationResult] = sorted(
        {result for report in reports for result in report.results},
        key=ValidationResult.sort_key,
    )
    return ValidationReport(conforms=conforms, results=tuple(results), report_graph=merged)


def choose_engine(requested: str, triples: int) -> str:
    """The engine to run: ``auto`` takes the Rust engine for large graphs when it is installed.

    >>> choose_engine("pyshacl", 10**7)
    'pyshacl'
    >>> choose_engine("auto", 1000)
    'pyshacl'
    """
    if requested != "auto":
        return requested
    return "turbo" if triples >= AUTO_TURBO_TRIPLES and turbo_available() else "pyshacl"


def _batches(pending: list[tuple[str, Fragment]], engine: str) -> list[list[tuple[str, Fragment]]]:
    """The calls to make: CHUNK_ENTITIES records (pyshacl) or TURBO_BATCH_TRIPLES triples each."""
    if engine == "pyshacl":
        return [
            pending[start : start + CHUNK_ENTITIES]
            for start in range(0, len(pending), CHUNK_ENTITIES)
        ]
    batches: list[list[tuple[str, Fragment]]] = []
    batch: list[tuple[str, Fragment]] = []
    triples = 0
    for item in pending:
        batch.append(item)
        triples += item[1].statistics.triples
        if triples >= TURBO_BATCH_TRIPLES:
            batches.append(batch)
            batch, triples = [], 0
    if batch:
        batches.append(batch)
    return batches


@dataclass(frozen=True)
class ValidationRun:
    """A report and how it was made."""

    report: ValidationReport
    engine: str
    validated_records: int
    cached_records: int


def validate_fragments(fragments: list[Fragment], settings: BuildSettings) -> ValidationRun:
    """Validate every record's graph against ``settings.shapes_dir``; see the module docstring."""
    shapes_digest = shapes_fingerprint(settings.shapes_dir)
    cache_path = settings.cache_dir / _CACHE_FILE if settings.cache_dir else None
    cached: set[str] = set()
    if cache_path and cache_path.exists():
        cached = set(cache_path.read_text(encoding="ascii").split())

    pending: list[tuple[str, Fragment]] = []
    conforming: set[str] = set()
    for fragment in fragments:
        fingerprint = _fingerprint(fragment, shapes_digest) if cache_path else ""
        if fingerprint and fingerprint in cached:
            conforming.add(fingerprint)
        else:
            pending.append((fingerprint, fragment))

    total = sum(fragment.statistics.triples for _, fragment in pending)
    engine = choose_engine(settings.shacl_engine, total)
    workers = settings.workers or os.cpu_count() or 1
    ensure_rendered((fragment for _, fragment in pending), settings.workers)
    batches = _batches(pending, engine)
    reports: list[ValidationReport] = []
    if total <= IN_PROCESS_TRIPLES or len(batches) <= 1 or workers == 1:
        _init_worker(str(settings.shapes_dir), engine)
        for batch in batches:
            reports.append(_validate_chunk(_as_ntriples(fragment for _, fragment in batch)))
            if reports[-1].conforms:
                conforming.update(fp for fp, _ in batch)
    else:
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, _init_worker, (str(settings.shapes_dir), engine)) as pool:
            payloads = (_as_ntriples(fragment for _, fragment in batch) for batch in batches)
            for batch, report in zip(batches, pool.imap(_validate_chunk, payloads), strict=True):
                reports.append(report)
                if report.conforms:
                    conforming.update(fp for fp, _ in batch)
    if cache_path and conforming != cached:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        lines = sorted(fp for fp in conforming if fp)
        cache_path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="ascii")
    return ValidationRun(_merge(reports), engine, len(pending), len(fragments) - len(pending))
