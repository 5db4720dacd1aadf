"""Pushing a release by its diff, when the target is known to hold the previous release.

Every push that publishes through a SPARQL update also records what it published, in the same
transaction, in a small **marker graph** beside the target (:func:`marker_graph_iri`)::

    <target> dcterms:source <ni:///sha-256;…> ;     # the dump, by its SHA-256 (RFC 6920)
             void:triples 3434460 .                  # the triples it put in the target

A build made with ``--previous-release`` carries the diff against that release: the triples
added and removed (``release-diff-added.nt``, ``release-diff-removed.nt``) and the SHA-256 of the
dump they apply to (``release-diff.json``). When the marker names that dump, the target holds
its count, every removed triple is in the target and no added one is, a push stages only the
two diff files and applies them in one update (:func:`diff_update`): the target then holds the
new dump's triples, as a full push would leave it, for the cost of the change. Otherwise the
push loads the whole dump (:mod:`publisher.push.release`).

What the checks cannot see is a change made to the target behind the pushes' back that keeps
its count and leaves the diff's triples alone (a triple replaced by another by hand);
``--full`` pushes the whole dump whatever the marker says.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from pathlib import Path

from publisher.push.endpoints import check_graph_iri
from publisher.releases import DIFF_ADDED_FILE, DIFF_FILE, DIFF_REMOVED_FILE

DCTERMS_SOURCE = "http://purl.org/dc/terms/source"
VOID_TRIPLES = "http://rdfs.org/ns/void#triples"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_NI_PREFIX = "ni:///sha-256;"


@dataclass(frozen=True)
class ReleaseDelta:
    """The diff of a build against the previous release, as ``emigre build`` wrote it."""

    #: SHA-256 (hex) of the previous release's dump: what the target must hold.
    from_sha256: str
    added: Path
    removed: Path
    added_triples: int
    removed_triples: int


@dataclass(frozen=True)
class Marker:
    """What the marker graph says the target holds."""

    sha256: str
    triples: int


def read_delta(dist_dir: Path) -> ReleaseDelta | None:
    """The build's diff against its previous release; None when it has none (no previous
    release, or a diff written before it named the dump it applies to)."""
    try:
        diff = json.loads((dist_dir / DIFF_FILE).read_text(encoding="utf-8"))
        triples = diff["triples"]
        if not isinstance(triples, dict):
            return None
        source = triples.get("from_dump_sha256")
        if not isinstance(source, str) or not _SHA256_HEX.fullmatch(source):
            return None
        delta = ReleaseDelta(
            from_sha256=source,
            added=dist_dir / DIFF_ADDED_FILE,
            removed=dist_dir / DIFF_REMOVED_FILE,
            added_triples=int(triples["added"]),
            removed_triples=int(triples["removed"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not (delta.added.is_file() and delta.removed.is_file()):
        return None
    return delta


def marker_graph_iri(target: str) -> str:
    """The marker graph of ``target``: its IRI with the fragment ``#emigre-push`` (``-emigre-push``
    appended to a fragment it has).

    >>> marker_graph_iri("https://w3id.org/emigre/id/dataset")
    'https://w3id.org/emigre/id/dataset#emigre-push'
    """
    separator = "-" if "#" in target else "#"
    return check_graph_iri(f"{target}{separator}emigre-push")


def sha256_ni(sha256: str) -> str:
    """The RFC 6920 ``ni:`` URI of a SHA-256 given in hex.

    >>> sha256_ni("00" * 32)
    'ni:///sha-256;AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
    """
    raw = bytes.fromhex(sha256)
    return _NI_PREFIX + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def sha256_from_ni(uri: str) -> str | None:
    """The hex SHA-256 of an ``ni:///sha-256;…`` URI; None for anything else.

    >>> sha256_from_ni(sha256_ni("ab" * 32)) == "ab" * 32
    True
    """
    if not uri.startswith(_NI_PREFIX):
        return None
    value = uri[len(_NI_PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except ValueError:
        return None
    return raw.hex() if len(raw) == 32 else None


def marker_update(target: str, sha256: str, triples: int) -> str:
    """SPARQL update operations that make the marker say: ``target`` holds this dump."""
    marker = marker_graph_iri(target)
    return (
        f"DROP SILENT GRAPH <{marker}> ;\n"
        f"INSERT DATA {{ GRAPH <{marker}> {{ <{target}> <{DCTERMS_SOURCE}> <{sha256_ni(sha256)}> ;"
        f' <{VOID_TRIPLES}> "{triples}"^^<{XSD_INTEGER}> }} }}'
    )


def marker_query(target: str) -> str:
    """A SELECT of the marker's statements (``?source``, ``?triples``)."""
    return (
        f"SELECT ?source ?triples WHERE {{ GRAPH <{marker_graph_iri(target)}> {{ "
        f"<{target}> <{DCTERMS_SOURCE}> ?source ; <{VOID_TRIPLES}> ?triples }} }}"
    )


def marker_from_rows(rows: list[dict[str, str]]) -> Marker | None:
    """The marker in the answer of :func:`marker_query`; None unless it is exactly one dump and
    one count."""
    if len(rows) != 1:
        return None
    sha256 = sha256_from_ni(rows[0].get("source", ""))
    try:
        triples = int(rows[0].get("triples", ""))
    except ValueError:
        return None
    if sha256 is None or triples < 0:
        return None
    return Marker(sha256, triples)


def diff_update(target: str, added: str, removed: str) -> str:
    """SPARQL update operations that apply a release diff staged in two graphs to ``target``.
    Running them twice changes nothing the second time."""
    triple = "{ ?s ?p ?o }"
    return (
        f"DELETE {{ GRAPH <{target}> {triple} }} WHERE {{ GRAPH <{removed}> {triple} }} ;\n"
        f"INSERT {{ GRAPH <{target}> {triple} }} WHERE {{ GRAPH <{added}> {triple} }}"
    )


def shared_triples_pattern(graph: str, target: str) -> str:
    """A graph pattern matching the triples of ``graph`` that ``target`` holds too."""
    return f"GRAPH <{graph}> {{ ?s ?p ?o }} GRAPH <{target}> {{ ?s ?p ?o }}"
