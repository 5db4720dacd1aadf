"""Documents of records in every RDF format, rendered once and kept (bodies and their ETags).

Framework-free: the web layer asks for (IRI, format) and gets bytes, an ETag and the record that
owns the IRI; the static site writer asks for the same documents to write them to files.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from publisher.catalog import Catalog
from publisher.dump import serialize
from publisher.formats import Format
from publisher.jsonld import jsonld_context


@dataclass(frozen=True)
class Document:
    """A rendered document: its body, media type and a strong ETag."""

    body: bytes
    media_type: str
    etag: str


class DocumentRenderer:
    """Renders and caches RDF documents of records (a bounded LRU; thread-safe)."""

    def __init__(self, catalog: Catalog, capacity: int = 4096) -> None:
        self.catalog = catalog
        self.capacity = capacity
        self._cache: OrderedDict[tuple[str, str], Document] = OrderedDict()
        self._lock = threading.Lock()
        self._context = jsonld_context()

    def render(self, iri: str, fmt: Format) -> Document | None:
        """The document of record ``iri`` in ``fmt`` (an RDF format), or None if unknown."""
        key = (iri, fmt.name)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        triples = self.catalog.document_triples(iri)
        if not triples:
            return None
        # Documents embed their JSON-LD context, so they stand alone wherever they are served.
        body = serialize(triples, fmt, self._context)
        document = Document(body, fmt.media_type, etag_of(body))
        with self._lock:
            self._cache[key] = document
            while len(self._cache) > self.capacity:
                self._cache.popitem(last=False)
        return document


def etag_of(body: bytes) -> str:
    """A strong ETag from the content (quoted, as HTTP wants)."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
