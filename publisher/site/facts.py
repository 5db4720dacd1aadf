"""The facts of a page, read from the graph into plain values templates can show.

Each event, claim or quotation becomes a frozen view with its citations (source, excerpt, the
name the source used), so a template never touches RDF and every value it prints is a string
that autoescaping will escape.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode

from publisher import iris
from publisher.catalog import Catalog
from publisher.graph.terms import curie
from publisher.namespaces import EMIGRE_NS, XSD_NS
from publisher.site.context import PageContext
from publisher.site.links import node_anchor, page_url, safe_href
from publisher.site.wording import DateText, literal_date, property_words, term_words


def p(name: str) -> str:
    """The IRI of ``schema:x`` or ``emigre:x`` (a misspelt emigre term fails)."""
    return curie(name).value


NAME, ALT_NAME, DESCRIPTION = p("schema:name"), p("schema:alternateName"), p("schema:description")
CITATION, TEXT = p("schema:citation"), p("schema:text")
START, END = p("schema:startDate"), p("schema:endDate")
PRIVACY, APPROXIMATE = p("emigre:privacy"), p("emigre:approximateDate")
CONFLICTS = p("emigre:conflictsWith")
COARSE = p("emigre:Coarse")


@dataclass(frozen=True)
class Value:
    """A value as shown: text, optionally a link, a language and a machine-readable date."""

    text: str
    url: str | None = None
    lang: str | None = None
    iso: str | None = None
    #: An IRI kept as text because it may not be linked (not http(s), or not ours).
    code: bool = False


Pairs = dict[str, list[NamedNode | Literal]]


def pairs_of(catalog: Catalog, iri: str) -> Pairs:
    """The node's outgoing values grouped by predicate (N-Triples order within each)."""
    grouped: Pairs = defaultdict(list)
    for predicate, obj in catalog.outgoing(iri):
        grouped[predicate].append(obj)
    return grouped


def value_of(
    catalog: Catalog, ctx: PageContext, term: NamedNode | Literal, approximate: bool = False
) -> Value:
    """How one RDF term reads on a page."""
    if isinstance(term, NamedNode):
        if term.value.startswith(EMIGRE_NS):
            return Value(term_words(term.value))
        if iris.split_entity_iri(catalog.base, term.value):
            url = page_url(catalog, ctx, term.value)
            label = catalog.label(term.value)
            return Value(label, url) if url else Value(term.value, code=True)
        href = safe_href(term.value)
        return Value(term.value, href, code=href is None)
    date = literal_date(term, approximate)
    if date is not None:
        return Value(str(date), iso=date.iso)
    if term.datatype.value == f"{XSD_NS}boolean":
        return Value("yes" if term.value in ("true", "1") else "no")
    return Value(term.value, lang=term.language or None)


def texts(pairs: Pairs, predicate: str) -> list[Value]:
    """Language-tagged texts of one predicate, English first, then by language."""
    found = [term for term in pairs.get(predicate, []) if isinstance(term, Literal)]
    ordered = sorted(found, key=lambda t: (t.language != "en", t.language or "", t.value))
    return [Value(t.value, lang=t.language or None) for t in ordered]


def first_date(pairs: Pairs, predicate: str, approximate: bool = False) -> DateText | None:
    """The first date literal of ``predicate``, as words."""
    for term in pairs.get(predicate, []):
        if isinstance(term, Literal):
            date = literal_date(term, approximate)
            if date is not None:
                return date
    return None


def nodes(pairs: Pairs, predicate: str) -> list[str]:
    """The IRIs ``predicate`` points at."""
    return [term.value for term in pairs.get(predicate, []) if isinstance(term, NamedNode)]


def refs(catalog: Catalog, ctx: PageContext, pairs: Pairs, predicate: str) -> list[Value]:
    """The values of ``predicate`` as shown, in order."""
    return [value_of(catalog, ctx, term) for term in pairs.get(predicate, [])]


def is_approximate(pairs: Pairs) -> bool:
    """Whether the node's date is flagged approximate."""
    return any(isinstance(t, Literal) and t.value == "true" for t in pairs.get(APPROXIMATE, []))


def is_coarse(pairs: Pairs) -> bool:
    """Whether the node is published at reduced precision (privacy ``coarse``)."""
    return COARSE in nodes(pairs, PRIVACY)


# -- citations ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CitationView:
    """One source for one fact: the source, the supporting excerpt, the name the source used."""

    anchor: str
    source: Value | None
    excerpt: Value | None
    mentioned_as: str | None


@dataclass(frozen=True)
class SourceCitations:
    """The citations of one fact that cite the same source, in IRI order."""

    source: Value | None
    citations: list[CitationView]


def citations_of(catalog: Catalog, ctx: PageContext, pairs: Pairs) -> list[SourceCitations]:
    """The citations of an event, claim or quotation, grouped by source (first cited first)."""
    groups: dict[str, SourceCitations] = {}
    for citation in sorted(nodes(pairs, CITATION)):
        cited = pairs_of(catalog, citation)
        sources = refs(catalog, ctx, cited, p("emigre:citedSource"))
        excerpts = texts(cited, p("emigre:excerpt"))
        mentioned = [t.value for t in cited.get(p("emigre:mentionedAs"), [])]
        source = sources[0] if sources else None
        key = source.url or source.text if source else ""
        group = groups.setdefault(key, SourceCitations(source, []))
        group.citations.append(
            CitationView(
                node_anchor(catalog, citation),
                source,
                excerpts[0] if excerpts else None,
                mentioned[0] if mentioned else None,
            )
        )
    return list(groups.values())


# -- events ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmigrationView:
    """A departure: who, when (at its precision), from where, to where, how, in which wave."""

    anchor: str
    emigrant: Value
    date: DateText | None
    origin: Value | None
    destinations: list[Value]
    circumstance: str | None
    waves: list[Value]
    coarse: bool
    conflicts: list[Value]
    citations: list[SourceCitations]

    @property
    def sort_key(self) -> tuple[str, str]:
        """Dated ones by date, undated last."""
        return (self.date.iso if self.date else "9999", self.anchor)


def emigration_view(catalog: Catalog, ctx: PageContext, iri: str) -> EmigrationView:
    """The view of one ``emigre:Emigration``."""
    pairs = pairs_of(catalog, iri)
    origins = refs(catalog, ctx, pairs, p("emigre:origin"))
    emigrants = refs(catalog, ctx, pairs, p("emigre:emigrant"))
    circumstances = [term_words(node) for node in nodes(pairs, p("emigre:circumstance"))]
    return EmigrationView(
        anchor=node_anchor(catalog, iri),
        emigrant=emigrants[0] if emigrants else Value(iri, code=True),
        date=first_date(pairs, START, is_approximate(pairs)),
        origin=origins[0] if origins else None,
        destinations=refs(catalog, ctx, pairs, p("emigre:destination")),
        circumstance=", ".join(circumstances) or None,
        waves=refs(catalog, ctx, pairs, p("emigre:wave")),
        coarse=is_coarse(pairs),
        conflicts=refs(catalog, ctx, pairs, CONFLICTS),
        citations=citations_of(catalog, ctx, pairs),
    )


@dataclass(frozen=True)
class PersecutionView:
    """A persecution: what kind, when, by whom, the charge and penalty, the work it hit."""

    anchor: str
    persecuted: list[Value]
    kinds: list[str]
    date: DateText | None
    end: DateText | None
    actors: list[Value]
    charges: list[Value]
    penalties: list[Value]
    works: list[Value]
    supporters: list[Value]
    coarse: bool
    citations: list[SourceCitations]

    @property
    def sort_key(self) -> tuple[str, str]:
        """Dated ones by date, undated last."""
        return (self.date.iso if self.date else "9999", self.anchor)


def persecution_view(catalog: Catalog, ctx: PageContext, iri: str) -> PersecutionView:
    """The view of one ``emigre:Persecution``."""
    pairs = pairs_of(catalog, iri)
    return PersecutionView(
        anchor=node_anchor(catalog, iri),
        persecuted=refs(catalog, ctx, pairs, p("emigre:persecuted")),
        kinds=[term_words(node) for node in nodes(pairs, p("emigre:persecutionType"))],
        date=first_date(pairs, START, is_approximate(pairs)),
        end=first_date(pairs, END),
        actors=refs(catalog, ctx, pairs, p("emigre:actor")),
        charges=texts(pairs, p("emigre:charge")),
        penalties=texts(pairs, p("emigre:penalty")),
        works=refs(catalog, ctx, pairs, p("emigre:affectedWork")),
        supporters=refs(catalog, ctx, pairs, p("emigre:supporter")),
        coarse=is_coarse(pairs),
        citations=citations_of(catalog, ctx, pairs),
    )


# -- claims ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimView:
    """One sourced statement: its value, when it holds, the claims it conflicts with."""

    anchor: str
    property_iri: str
    value: Value
    value_term: str
    start: DateText | None
    end: DateText | None
    coarse: bool
    conflicts: list[Value]
    citations: list[SourceCitations]


@dataclass(frozen=True)
class ClaimGroup:
    """The claims of one property; ``disagree`` when sources give conflicting values."""

    property: str
    claims: list[ClaimView]
    disagree: bool


#: Properties shown first on a page, in this order; the rest follow alphabetically.
_PROPERTY_ORDER = tuple(
    p(name)
    for name in (
        "schema:hasOccupation",
        "schema:birthDate",
        "schema:birthPlace",
        "schema:deathDate",
        "schema:deathPlace",
        "schema:homeLocation",
    )
)


def claim_view(catalog: Catalog, ctx: PageContext, iri: str) -> ClaimView:
    """The view of one ``emigre:Claim``."""
    pairs = pairs_of(catalog, iri)
    properties = nodes(pairs, p("emigre:claimProperty"))
    values = pairs.get(p("emigre:claimValue"), [])
    value = value_of(catalog, ctx, values[0]) if values else Value("(no value)")
    return ClaimView(
        anchor=node_anchor(catalog, iri),
        property_iri=properties[0] if properties else "",
        value=value,
        value_term=str(values[0]) if values else "",
        start=first_date(pairs, START),
        end=first_date(pairs, END),
        coarse=is_coarse(pairs),
        conflicts=refs(catalog, ctx, pairs, CONFLICTS),
        citations=citations_of(catalog, ctx, pairs),
    )


def claim_groups(claims: Iterable[ClaimView]) -> list[ClaimGroup]:
    """Claims grouped by property: the usual ones first, each group in value order."""
    grouped: dict[str, list[ClaimView]] = defaultdict(list)
    for claim in claims:
        grouped[claim.property_iri].append(claim)

    def order(prop: str) -> tuple[int, str]:
        rank = _PROPERTY_ORDER.index(prop) if prop in _PROPERTY_ORDER else len(_PROPERTY_ORDER)
        return (rank, property_words(prop))

    return [
        ClaimGroup(
            property_words(prop),
            sorted(grouped[prop], key=lambda c: (c.value.text, c.anchor)),
            any(claim.conflicts for claim in grouped[prop]),
        )
        for prop in sorted(grouped, key=order)
    ]


# -- quotations -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteView:
    """A quotation in each of its languages, with its speaker and source."""

    anchor: str
    texts: list[Value]
    speakers: list[Value]
    sources: list[Value]
    citations: list[SourceCitations]


def quote_view(catalog: Catalog, ctx: PageContext, iri: str) -> QuoteView:
    """The view of one ``schema:Quotation``."""
    pairs = pairs_of(catalog, iri)
    return QuoteView(
        anchor=node_anchor(catalog, iri),
        texts=texts(pairs, TEXT),
        speakers=refs(catalog, ctx, pairs, p("schema:creator")),
        sources=refs(catalog, ctx, pairs, p("schema:isPartOf")),
        citations=citations_of(catalog, ctx, pairs),
    )
