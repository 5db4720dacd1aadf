"""Where a node of the graph is shown: the page URL of any IRI, and the alternates of a page.

Records have pages (``/doc/{kind}/{slug}``). Events, claims, quotations and citations are shown
inside the page of the record they were minted from, under an anchor named after their IRI
(``/doc/person/ulitskaya#emigration-ulitskaya-2022``), which is also where their IRIs
dereference to.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from publisher import iris
from publisher.catalog import OWNER_LINKS, Catalog
from publisher.formats import ALL_FORMATS
from publisher.graph.terms import curie
from publisher.site.context import PageContext

_OWNER_PREDICATES = frozenset(curie(name).value for name in OWNER_LINKS)
_FORMAT_LABELS = {
    "turtle": "Turtle",
    "ntriples": "N-Triples",
    "jsonld": "JSON-LD",
    "rdfxml": "RDF/XML",
    "html": "HTML",
}


def anchor(kind: str, slug: str) -> str:
    """The fragment a minted node has on its record's page.

    >>> anchor("emigration", "ulitskaya-2022")
    'emigration-ulitskaya-2022'
    """
    return f"{kind}-{slug}"


def record_of(catalog: Catalog, iri: str) -> str | None:
    """The record whose page shows ``iri`` (see ``Catalog.record_of``)."""
    return catalog.record_of(iri)


def page_url(catalog: Catalog, ctx: PageContext, iri: str) -> str | None:
    """The root-relative URL where ``iri`` is shown, or None when it has no page here."""
    record = record_of(catalog, iri)
    if record is None:
        return None
    split = iris.split_entity_iri(catalog.base, record)
    assert split is not None
    url = iris.document_url(ctx.root, *split)
    if record == iri:
        return url
    node = iris.split_entity_iri(catalog.base, iri)
    assert node is not None
    return f"{url}#{anchor(*node)}"


def node_anchor(catalog: Catalog, iri: str) -> str:
    """The fragment of a minted node (its kind and slug), or "" for anything else."""
    split = iris.split_entity_iri(catalog.base, iri)
    return anchor(*split) if split else ""


@dataclass(frozen=True)
class Alternate:
    """A ``<link rel=alternate>``: one format of a record's document."""

    url: str
    media_type: str
    label: str
    extension: str


def alternates(ctx: PageContext, kind: str, slug: str) -> list[Alternate]:
    """Every format of a record's document (the formats table's order)."""
    return [
        Alternate(
            iris.document_url(ctx.root, kind, slug, fmt.extension),
            fmt.media_type,
            _FORMAT_LABELS.get(fmt.name, fmt.name),
            fmt.extension,
        )
        for fmt in ALL_FORMATS
    ]


def safe_href(url: str) -> str | None:
    """``url`` if it is an absolute http(s) URL a page may link to, else None.

    Data can hold any IRI; a ``javascript:`` or ``data:`` one must never become a link.

    >>> safe_href("https://en.wikipedia.org/wiki/Zemfira")
    'https://en.wikipedia.org/wiki/Zemfira'
    >>> safe_href("javascript:alert(1)") is None
    True
    """
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None
