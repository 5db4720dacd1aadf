"""The only place where IRIs and URLs are minted (DESIGN §3)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

#: Kinds of curated records, in the order pages and summaries list them.
ENTITY_KINDS = (
    "person",
    "group",
    "organization",
    "place",
    "work",
    "source",
    "wave",
    "occupation",
)
#: Kinds of nodes minted from within a record (events, claims and their citations).
NODE_KINDS = ("emigration", "persecution", "claim", "quotation", "citation")


def entity_iri(base: str, kind: str, slug: str) -> str:
    """The IRI of a thing.

    >>> entity_iri("https://w3id.org/emigre/", "person", "ulitskaya")
    'https://w3id.org/emigre/id/person/ulitskaya'
    """
    return f"{base}id/{kind}/{slug}"


def document_url(base: str, kind: str, slug: str, extension: str | None = None) -> str:
    """The URL of the document describing a thing, optionally of one format.

    >>> document_url("https://w3id.org/emigre/", "person", "ulitskaya", "ttl")
    'https://w3id.org/emigre/doc/person/ulitskaya.ttl'
    """
    url = f"{base}doc/{kind}/{slug}"
    return f"{url}.{extension}" if extension else url


def node_slug(record_slug: str, key: str) -> str:
    """The slug of an event or claim minted from a record and the item's key.

    >>> node_slug("glukhovsky", "wanted-list-2022")
    'glukhovsky-wanted-list-2022'
    """
    return f"{record_slug}-{key}"


def citation_iri(base: str, cited_kind: str, cited_slug: str, index: int) -> str:
    """The IRI of the n-th (1-based) citation of an event or claim.

    >>> citation_iri("https://w3id.org/emigre/", "claim", "balagov-birth-date", 1)
    'https://w3id.org/emigre/id/citation/claim-balagov-birth-date-1'
    """
    return entity_iri(base, "citation", f"{cited_kind}-{cited_slug}-{index}")


def dataset_iri(base: str) -> str:
    """The IRI of the dataset itself (VoID, DCAT, schema.org Dataset)."""
    return f"{base}id/dataset"


def dump_url(base: str, filename: str) -> str:
    """The download URL of a dump file."""
    return f"{base}dumps/{filename}"


def context_url(base: str) -> str:
    """The URL where the JSON-LD ``@context`` of the dumps is published."""
    return f"{base}context.jsonld"


def split_entity_iri(base: str, iri: str) -> tuple[str, str] | None:
    """Kind and slug of one of our IRIs, or None.

    >>> split_entity_iri("https://w3id.org/emigre/", "https://w3id.org/emigre/id/place/riga")
    ('place', 'riga')
    """
    prefix = f"{base}id/"
    if not iri.startswith(prefix):
        return None
    kind, _, slug = iri[len(prefix) :].partition("/")
    return (kind, slug) if kind and SLUG_PATTERN.match(slug) else None


# -- paths of the human-facing site (pages, search, static files) -----------------------------
# ``root`` is where the site is served: "/" for root-relative links that work both on the local
# server and on the static site, or a prefix such as "/emigre/".

WIKIDATA_PAGE = "https://www.wikidata.org/wiki/"


def browse_url(root: str, facet: str, value: str | None = None, page: int = 1) -> str:
    """The browse page of a kind (``person``), or of one wave or destination; page 2 onwards of
    a long list adds ``/page/N``.

    >>> browse_url("/", "destination", "georgia")
    '/browse/destination/georgia'
    >>> browse_url("/", "person", page=3)
    '/browse/person/page/3'
    """
    url = f"{root}browse/{facet}/{value}" if value else f"{root}browse/{facet}"
    return f"{url}/page/{page}" if page > 1 else url


def search_url(root: str, query: str | None = None) -> str:
    """The search page, optionally with a query.

    >>> search_url("/", "Улицкая")
    '/search?q=%D0%A3%D0%BB%D0%B8%D1%86%D0%BA%D0%B0%D1%8F'
    """
    return f"{root}search?{urlencode({'q': query})}" if query else f"{root}search"


def sparql_url(root: str, query: str | None = None) -> str:
    """The SPARQL endpoint, optionally with a query (a GET link that runs it).

    >>> sparql_url("/", "ASK {}")
    '/sparql?query=ASK+%7B%7D'
    """
    return f"{root}sparql?{urlencode({'query': query})}" if query else f"{root}sparql"


def oai_url(root: str) -> str:
    """The OAI-PMH base URL (served by ``emigre serve`` only).

    >>> oai_url("/")
    '/oai'
    """
    return f"{root}oai"


def resourcesync_url(root: str, name: str) -> str:
    """A ResourceSync document of the change feed (``publisher.changes``); a root path or the
    base IRI.

    >>> resourcesync_url("https://w3id.org/emigre/", "changelist.xml")
    'https://w3id.org/emigre/resourcesync/changelist.xml'
    """
    return f"{root}resourcesync/{name}"


def static_url(root: str, name: str) -> str:
    """A static file of the site (the style sheet).

    >>> static_url("/", "style.css")
    '/static/style.css'
    """
    return f"{root}static/{name}"


def wikidata_page_url(entity: str) -> str | None:
    """The human page of a Wikidata entity IRI, or None for any other IRI.

    >>> wikidata_page_url("http://www.wikidata.org/entity/Q183")
    'https://www.wikidata.org/wiki/Q183'
    """
    match = re.fullmatch(r"https?://www\.wikidata\.org/entity/(Q[0-9]+)", entity)
    return f"{WIKIDATA_PAGE}{match.group(1)}" if match else None
