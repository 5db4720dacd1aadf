"""Deterministic dumps: the same triples always give byte-identical files.

Triples are sorted by their N-Triples form before any serializer sees them, so pyoxigraph's
streaming serializers write subjects in a stable order; gzip headers carry no name or time.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph
from pyoxigraph import Triple

from publisher import iris
from publisher.formats import JSONLD, NTRIPLES, RDF_FORMATS, RDFXML, TURTLE, Format
from publisher.jsonld import assemble_jsonld, jsonld_context, render_jsonld
from publisher.namespaces import PREFIXES

DUMP_STEM = "emigre"


def sort_triples(triples: Iterable[Triple]) -> list[Triple]:
    """Triples in N-Triples line order (which also keeps each subject's triples together)."""
    return sorted(triples, key=str)


def serialize(triples: Sequence[Triple], fmt: Format, context: str | dict[str, object]) -> bytes:
    """One document in ``fmt`` from already sorted triples."""
    if fmt is JSONLD:
        return render_jsonld(triples, context).encode("utf-8")
    if fmt is NTRIPLES:
        # One line per triple, already in order: join instead of a serializer round trip.
        return "".join(f"{triple} .\n" for triple in triples).encode("utf-8")
    assert fmt.oxigraph_format is not None
    output = pyoxigraph.serialize(triples, format=fmt.oxigraph_format, prefixes=PREFIXES)
    assert output is not None
    return output


def write_gzip(path: Path, data: bytes) -> Path:
    """``path`` + ``.gz`` with a reproducible header (no file name, time 0)."""
    target = path.with_name(path.name + ".gz")
    with (
        target.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as handle,
    ):
        handle.write(data)
    return target


def write_dumps(
    sorted_lines: Sequence[str], jsonld_nodes: Sequence[str], out_dir: Path, base: str
) -> list[Path]:
    """Write every RDF format, each gzipped too, and the JSON-LD context. Returns the files.

    ``sorted_lines`` are the dataset's N-Triples lines in order; ``jsonld_nodes`` its JSON-LD
    node objects as text, sorted by IRI. Turtle and RDF/XML are streamed by pyoxigraph from the
    N-Triples text, so all four dumps hold the same triples in the same order.
    """
    written: list[Path] = []
    context_path = out_dir / "context.jsonld"
    context_path.write_text(json.dumps(jsonld_context(), indent=2) + "\n", encoding="utf-8")
    written.append(context_path)
    ntriples = "".join(f"{line}\n" for line in sorted_lines).encode("utf-8")
    outputs: dict[Format, bytes] = {NTRIPLES: ntriples}
    for fmt in (TURTLE, RDFXML):
        assert fmt.oxigraph_format is not None
        quads = pyoxigraph.parse(ntriples, format=pyoxigraph.RdfFormat.N_TRIPLES)
        data = pyoxigraph.serialize(
            (quad.triple for quad in quads), format=fmt.oxigraph_format, prefixes=PREFIXES
        )
        assert data is not None
        outputs[fmt] = data
    outputs[JSONLD] = assemble_jsonld(jsonld_nodes, iris.context_url(base)).encode("utf-8")
    paths = []
    for fmt in RDF_FORMATS:
        path = out_dir / f"{DUMP_STEM}.{fmt.extension}"
        path.write_bytes(outputs[fmt])
        paths.append(path)
    # zlib releases the GIL: compress the four dumps at once.
    with ThreadPoolExecutor(max_workers=4) as pool:
        compressed = list(pool.map(lambda p: write_gzip(p, outputs[_format_of(p)]), paths))
    for path, gz_path in zip(paths, compressed, strict=True):
        written.extend((path, gz_path))
    return written


def _format_of(path: Path) -> Format:
    return next(fmt for fmt in RDF_FORMATS if path.name.endswith(f".{fmt.extension}"))


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_checksums(paths: Iterable[Path], out_dir: Path) -> Path:
    """``SHA256SUMS`` in the format ``sha256sum -c`` reads (files hashed in parallel threads)."""
    files = list(paths)
    with ThreadPoolExecutor(max_workers=4) as pool:
        digests = list(pool.map(sha256_file, files))
    lines = sorted(
        f"{digest}  {path.relative_to(out_dir).as_posix()}"
        for path, digest in zip(files, digests, strict=True)
    )
    target = out_dir / "SHA256SUMS"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target
