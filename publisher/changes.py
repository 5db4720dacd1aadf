"""The change feed: ResourceSync (ANSI/NISO Z39.99-2017) documents written from a release manifest.

A harvester that keeps a copy of the dataset polls one document, the Change List, and fetches
what changed since its last visit. ResourceSync is the OAI's own standard for this (the sibling
of OAI-PMH, for web resources instead of metadata records), its documents are sitemaps that any
XML tool reads, and a Python client exists (``resync``). Files, under ``dist/resourcesync/`` and
served as they are::

    source-description.xml   also at /.well-known/resourcesync: points to the capability list
    capabilitylist.xml       the capabilities: a Resource List and a Change List
    resourcelist.xml         every current record's N-Triples document, with its datestamp
    changelist.xml           every record's latest change: created, updated, or deleted (a
                             tombstone), in the order they happened

A resource is a record's N-Triples document (``{base}doc/{kind}/{slug}.nt``, the bytes whose
hash ``publisher.releases`` keeps); its other formats change with it. Each entry of the Change
List carries ``rs:md change`` and ``datetime`` (the record's datestamp: the release that made
the change). Only the latest change of each record is listed, so the Change List always covers
the whole history from the first release (``from``) to this one (``until``): a harvester applies
the entries whose ``datetime`` is after its last visit. Beyond 50,000 entries (the sitemap
limit) a list becomes an index (``sitemapindex``) of numbered parts, in chronological order.
Nothing here reads a clock: the lists are dated by the release.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

from publisher import iris
from publisher.formats import NTRIPLES
from publisher.releases import ReleaseManifest

DIRECTORY = "resourcesync"
SOURCE_DESCRIPTION = "source-description.xml"
CAPABILITY_LIST = "capabilitylist.xml"
RESOURCE_LIST = "resourcelist.xml"
CHANGE_LIST = "changelist.xml"
#: Names of the files this module writes (a server serves these and nothing else).
FILE_NAME = re.compile(r"^[a-z]+(?:-[a-z]+)*(?:-[0-9]+)?\.xml$")
MEDIA_TYPE = "application/xml"
#: Where the Source Description is also published (ResourceSync §6.3.2), under the site's root.
WELL_KNOWN = ".well-known/resourcesync"
#: URLs per sitemap document (the sitemaps.org limit, which ResourceSync keeps).
SITEMAP_LIMIT = 50_000
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
RS_NS = "http://www.openarchives.org/rs/terms/"


@dataclass(frozen=True, order=True)
class Change:
    """One Change List entry: when, which document, and what happened to it."""

    datetime: str
    url: str
    change: str  # created | updated | deleted


def document_of(base: str, ref: str) -> str:
    """The URL of a record's N-Triples document: the resource a change is about.

    >>> document_of("https://w3id.org/emigre/", "person/x")
    'https://w3id.org/emigre/doc/person/x.nt'
    """
    kind, _, slug = ref.partition("/")
    return iris.document_url(base, kind, slug, NTRIPLES.extension)


def changes_of(manifest: ReleaseManifest, base: str) -> list[Change]:
    """Every record's latest change, oldest first (then by URL)."""
    changes = [
        Change(
            state.datestamp,
            document_of(base, ref),
            "created" if state.created == state.datestamp else "updated",
        )
        for ref, state in manifest.records.items()
    ]
    changes += [
        Change(tombstone.datestamp, document_of(base, ref), "deleted")
        for ref, tombstone in manifest.tombstones.items()
    ]
    return sorted(changes)


def write_change_feed(manifest: ReleaseManifest, out_dir: Path, base: str) -> list[Path]:
    """Write the ResourceSync documents into ``out_dir/resourcesync/``; returns the files."""
    directory = out_dir / DIRECTORY
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        SOURCE_DESCRIPTION: render_source_description(base),
        CAPABILITY_LIST: render_capability_list(base),
    }
    at = manifest.timestamp
    resources = sorted(
        (document_of(base, ref), state.datestamp) for ref, state in manifest.records.items()
    )
    files.update(
        render_list(
            base,
            RESOURCE_LIST,
            [_resource_url(url, lastmod) for url, lastmod in resources],
            lambda start, stop: {"capability": "resourcelist", "at": at},
        )
    )
    changes = changes_of(manifest, base)

    def interval(start: int, stop: int) -> dict[str, str]:
        last = at if stop >= len(changes) else changes[stop - 1].datetime
        return {
            "capability": "changelist",
            "from": changes[start].datetime if start < len(changes) else at,
            "until": last,
        }

    files.update(render_list(base, CHANGE_LIST, [_change_url(c) for c in changes], interval))
    written = []
    for name, text in sorted(files.items()):
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def resourcesync_url(base: str, name: str) -> str:
    """The URL of one of the ResourceSync documents."""
    return iris.resourcesync_url(base, name)


def render_list(
    base: str,
    name: str,
    urls: Sequence[str],
    md_of: Callable[[int, int], dict[str, str]],
) -> dict[str, str]:
    """The document ``name`` holding ``urls`` (rendered ``<url>`` elements), or beyond
    :data:`SITEMAP_LIMIT` an index ``name`` of parts ``name-N.xml``: file name -> text.

    ``md_of(start, stop)`` gives the ``rs:md`` attributes of the document holding
    ``urls[start:stop]`` (the index gets those of the whole list).
    """
    up = _ln("up", resourcesync_url(base, CAPABILITY_LIST))
    whole = _md(md_of(0, len(urls)))
    if len(urls) <= SITEMAP_LIMIT:
        return {name: _document("urlset", [up, whole], urls)}
    stem = name.removesuffix(".xml")
    index = _ln("index", resourcesync_url(base, name))
    documents: dict[str, str] = {}
    entries: list[str] = []
    for number, start in enumerate(range(0, len(urls), SITEMAP_LIMIT), start=1):
        stop = min(start + SITEMAP_LIMIT, len(urls))
        part = f"{stem}-{number}.xml"
        md = _md(md_of(start, stop))
        documents[part] = _document("urlset", [up, index, md], urls[start:stop])
        entries.append(f"<sitemap><loc>{_escape(resourcesync_url(base, part))}</loc>{md}</sitemap>")
    documents[name] = _document("sitemapindex", [up, whole], entries)
    return documents


# -- rendering -----------------------------------------------------------------------------------


def _md(attributes: dict[str, str]) -> str:
    text = " ".join(f"{key}={quoteattr(value)}" for key, value in attributes.items())
    return f"<rs:md {text}/>"


def _ln(rel: str, href: str) -> str:
    return f"<rs:ln rel={quoteattr(rel)} href={quoteattr(href)}/>"


def _document(root: str, head: Iterable[str], body: Iterable[str]) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<{root} xmlns="{SITEMAP_NS}" xmlns:rs="{RS_NS}">',
        *head,
        *body,
        f"</{root}>",
    ]
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_source_description(base: str) -> str:
    """The Source Description (``/.well-known/resourcesync``): where the capability list is."""
    body = [
        f"<url><loc>{_escape(resourcesync_url(base, CAPABILITY_LIST))}</loc>"
        f"{_md({'capability': 'capabilitylist'})}"
        f"{_ln('describedby', iris.dump_url(base, 'void.ttl'))}</url>"
    ]
    return _document("urlset", [_md({"capability": "description"})], body)


def render_capability_list(base: str) -> str:
    """The Capability List: this source offers a Resource List and a Change List."""
    body = [
        f"<url><loc>{_escape(resourcesync_url(base, name))}</loc>{_md({'capability': cap})}</url>"
        for name, cap in ((RESOURCE_LIST, "resourcelist"), (CHANGE_LIST, "changelist"))
    ]
    head = [
        _ln("up", f"{base}{WELL_KNOWN}"),
        _ln("describedby", iris.dump_url(base, "void.ttl")),
        _md({"capability": "capabilitylist"}),
    ]
    return _document("urlset", head, body)


def _resource_url(url: str, lastmod: str) -> str:
    return (
        f"<url><loc>{_escape(url)}</loc><lastmod>{lastmod}</lastmod>"
        f"{_md({'type': NTRIPLES.media_type})}</url>"
    )


def _change_url(item: Change) -> str:
    attributes = {"change": item.change, "datetime": item.datetime}
    if item.change != "deleted":
        attributes["type"] = NTRIPLES.media_type
    return f"<url><loc>{_escape(item.url)}</loc>{_md(attributes)}</url>"
