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
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyoxigraph
from pyoxigraph import Literal, NamedNode, Triple
from rdflib import Graph, URIRef
from rdflib import Literal as RdfLiteral

from publisher.config import BuildSettings
from publisher.graph.build import EntityGraph
from publisher.graph.terms import term_text
from publisher.validate import (
    ValidationReport,
    ValidationResult,
    load_shapes,
    validate_graph,
)

#: Entities per pyshacl call: large enough to amortise pyshacl's per-call set-up, small enough
#: to keep rdflib's memory in check.
CHUNK_ENTITIES = 400
#: Below this many triples everything is validated in this process, in one call.
IN_PROCESS_TRIPLES = 60_000

_CACHE_FILE = "shacl-conforming.txt"


def _to_rdflib(triples: Iterable[Triple]) -> Graph:
    graph = Graph()
    add = graph.add
    for triple in triples:
        obj = triple.object
        if isinstance(obj, NamedNode):
            rdf_obj: URIRef | RdfLiteral = URIRef(obj.value)
        elif isinstance(obj, Literal) and obj.language:
            rdf_obj = RdfLiteral(obj.value, lang=obj.language)
        elif isinstance(obj, Literal):
            rdf_obj = RdfLiteral(obj.value, datatype=URIRef(obj.datatype.value))
        else:
            raise ValueError(f"blank node or quoted triple in {triple}")
        add((URIRef(term_text(triple.subject)), URIRef(triple.predicate.value), rdf_obj))
    return graph


def _fingerprint(triples: Sequence[Triple], shapes_digest: str) -> str:
    digest = hashlib.sha256(shapes_digest.encode())
    for line in sorted(str(triple) for triple in triples):
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def shapes_fingerprint(shapes_dir: Path) -> str:
    """SHA-256 over every shapes file: a change to the shapes invalidates the cache."""
    digest = hashlib.sha256()
    for path in sorted(shapes_dir.glob("*.ttl")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


_worker_shapes: Graph | None = None


def _init_worker(shapes_dir: str) -> None:
    global _worker_shapes
    _worker_shapes = load_shapes(Path(shapes_dir))


def _validate_chunk(ntriples: str) -> ValidationReport:
    """Validate a chunk sent as N-Triples text (cheap to pass between processes)."""
    assert _worker_shapes is not None
    quads = pyoxigraph.parse(ntriples.encode("utf-8"), format=pyoxigraph.RdfFormat.N_TRIPLES)
    return validate_graph(_to_rdflib(quad.triple for quad in quads), _worker_shapes)


def _as_ntriples(chunks: Iterable[list[Triple]]) -> str:
    return "".join(f"{triple} .\n" for chunk in chunks for triple in chunk)


def _merge(reports: list[ValidationReport]) -> ValidationReport:
    if len(reports) == 1:
        return reports[0]
    merged = Graph()
    for report in reports:
        merged += report.report_graph
    results: list[ValidationResult] = sorted(
        {result for report in reports for result in report.results},
        key=ValidationResult.sort_key,
    )
    return ValidationReport(
        conforms=all(report.conforms for report in reports),
        results=tuple(results),
        report_graph=merged,
    )


def validate_entity_graphs(graphs: list[EntityGraph], settings: BuildSettings) -> ValidationReport:
    """Validate every record's graph against ``settings.shapes_dir``; see the module docstring."""
    shapes_digest = shapes_fingerprint(settings.shapes_dir)
    cache_path = settings.cache_dir / _CACHE_FILE if settings.cache_dir else None
    cached: set[str] = set()
    if cache_path and cache_path.exists():
        cached = set(cache_path.read_text(encoding="ascii").split())

    pending: list[tuple[str, list[Triple]]] = []
    conforming: set[str] = set()
    for graph in graphs:
        chunk = list(graph.triples)
        fingerprint = _fingerprint(chunk, shapes_digest) if cache_path else ""
        if fingerprint and fingerprint in cached:
            conforming.add(fingerprint)
        else:
            pending.append((fingerprint, chunk))

    batches: list[list[tuple[str, list[Triple]]]] = [
        pending[start : start + CHUNK_ENTITIES] for start in range(0, len(pending), CHUNK_ENTITIES)
    ]
    total = sum(len(chunk) for _, chunk in pending)
    reports: list[ValidationReport] = []
    if total <= IN_PROCESS_TRIPLES or len(batches) <= 1:
        _init_worker(str(settings.shapes_dir))
        if pending:
            reports.append(_validate_chunk(_as_ntriples(chunk for _, chunk in pending)))
            if reports[-1].conforms:
                conforming.update(fp for fp, _ in pending)
    else:
        workers = settings.workers or os.cpu_count() or 1
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, _init_worker, (str(settings.shapes_dir),)) as pool:
            payloads = [_as_ntriples(chunk for _, chunk in batch) for batch in batches]
            for batch, report in zip(batches, pool.imap(_validate_chunk, payloads), strict=True):
                reports.append(report)
                if report.conforms:
                    conforming.update(fp for fp, _ in batch)
    if not reports:
        reports.append(ValidationReport(conforms=True, results=(), report_graph=Graph()))
    if cache_path:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        lines = sorted(fp for fp in conforming if fp)
        cache_path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="ascii")
    return _merge(reports)
