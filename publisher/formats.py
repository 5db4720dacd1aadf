"""The one table of document formats: name, media types, file extension, serializer.

It feeds the dumps, the static site, content negotiation and every ``--format`` option.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import RdfFormat


@dataclass(frozen=True)
class Format:
    """A document format we publish."""

    name: str
    extension: str
    #: The first is the one we send; the others are accepted aliases.
    media_types: tuple[str, ...]
    #: pyoxigraph's serializer, or None when we write it ourselves (JSON-LD, HTML).
    oxigraph_format: RdfFormat | None
    is_rdf: bool = True

    @property
    def media_type(self) -> str:
        """The media type we answer with."""
        return self.media_types[0]


TURTLE = Format("turtle", "ttl", ("text/turtle", "application/x-turtle"), RdfFormat.TURTLE)
NTRIPLES = Format("ntriples", "nt", ("application/n-triples",), RdfFormat.N_TRIPLES)
JSONLD = Format("jsonld", "jsonld", ("application/ld+json",), None)
RDFXML = Format("rdfxml", "rdf", ("application/rdf+xml",), RdfFormat.RDF_XML)
HTML = Format("html", "html", ("text/html", "application/xhtml+xml"), None, is_rdf=False)

#: RDF formats, in the order dumps are written and alternates are listed.
RDF_FORMATS: tuple[Format, ...] = (TURTLE, NTRIPLES, JSONLD, RDFXML)
ALL_FORMATS: tuple[Format, ...] = (*RDF_FORMATS, HTML)
FORMATS_BY_NAME: dict[str, Format] = {f.name: f for f in ALL_FORMATS}
FORMATS_BY_EXTENSION: dict[str, Format] = {f.extension: f for f in ALL_FORMATS}
FORMATS_BY_MEDIA_TYPE: dict[str, Format] = {m: f for f in ALL_FORMATS for m in f.media_types}
