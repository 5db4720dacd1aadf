"""Build the RDF of each record: the entity, its events and claims, and their citations.

The output is one ``EntityGraph`` per record. Nodes minted from a record (events, claims,
citations, quotations) belong to that record's graph only, so the graphs never overlap: the
dataset is their union, a page is one of them, and validation can run per entity.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode, Triple

from publisher import iris
from publisher.graph.terms import (
    OWL_SAME_AS,
    PRECISION_NODES,
    RDF_TYPE,
    XSD_BOOLEAN,
    curie,
    date_literal,
    emigre,
    schema,
)
from publisher.model.dates import PartialDate
from publisher.model.properties import CLAIM_PROPERTIES
from publisher.model.records import (
    Citation,
    Claim,
    Dataset,
    Emigration,
    LangText,
    Persecution,
    Privacy,
    Quote,
    Record,
    Ref,
)
from publisher.namespaces import WIKIDATA_ENTITY

#: Record kind and type -> its class.
CLASS_BY_TYPE: dict[str, str] = {
    "Person": "schema:Person",
    "MusicGroup": "schema:MusicGroup",
    "Organization": "schema:Organization",
    "PersonGroup": "emigre:PersonGroup",
    "NewsMediaOrganization": "schema:NewsMediaOrganization",
    "GovernmentOrganization": "schema:GovernmentOrganization",
    "PerformingArtsTheater": "schema:PerformingArtsTheater",
    "Festival": "schema:Festival",
    "NGO": "schema:NGO",
    "Place": "schema:Place",
    "Country": "schema:Country",
    "City": "schema:City",
    "CreativeWork": "schema:CreativeWork",
    "Book": "schema:Book",
    "Movie": "schema:Movie",
    "MusicRecording": "schema:MusicRecording",
    "NewsArticle": "schema:NewsArticle",
    "WebPage": "schema:WebPage",
    "EmigrationWave": "emigre:EmigrationWave",
    "Occupation": "schema:Occupation",
}
LINK_STATE_NODES = {
    "verified": "Verified",
    "needs-review": "NeedsReview",
    "pending": "Pending",
    "no-item": "NoItem",
}
PRIVACY_NODES = {"public": "Public", "coarse": "Coarse", "withheld": "Withheld"}
CIRCUMSTANCE_NODES = {
    "fled": "Fled",
    "did-not-return": "DidNotReturn",
    "expelled": "Expelled",
    "defected": "Defected",
    "left-after-case-closed": "LeftAfterCaseClosed",
    "relocated": "Relocated",
}
PERSECUTION_NODES = {
    "wanted-list": "WantedList",
    "foreign-agent": "ForeignAgentDesignation",
    "criminal-case": "CriminalCase",
    "fine": "Fine",
    "treason-risk": "TreasonRisk",
    "dismissal": "Dismissal",
    "cancelled-production": "CancelledProduction",
    "extremism-screening": "ExtremismScreening",
    "sentence-in-absentia": "SentenceInAbsentia",
    "assault": "Assault",
    "event-cancelled": "EventCancelled",
    "blacklist": "Blacklist",
    "denunciation": "Denunciation",
    "expulsion": "Expulsion",
}
PERSECUTION_LABELS = {
    "wanted-list": "wanted list",
    "foreign-agent": "foreign-agent designation",
    "criminal-case": "criminal case",
    "fine": "fine",
    "treason-risk": "risk of a treason charge",
    "dismissal": "dismissal",
    "cancelled-production": "cancelled production",
    "extremism-screening": "screening for extremism",
    "sentence-in-absentia": "sentence in absentia",
    "assault": "assault",
    "event-cancelled": "event cancelled",
    "blacklist": "blacklist",
    "denunciation": "public denunciation",
    "expulsion": "expulsion",
}
#: Kinds whose records carry a Wikidata link state.
LINKABLE_KINDS = ("person", "group", "organization", "place", "work", "occupation")


@dataclass(frozen=True)
class EntityGraph:
    """The triples describing one record and every node minted from it."""

    kind: str
    slug: str
    iri: str
    triples: tuple[Triple, ...]


class _Writer:
    """Collects the triples of one record."""

    def __init__(self, base: str, records: dict[Ref, Record]) -> None:
        self.base = base
        self.records = records
        self.triples: list[Triple] = []

    def add(self, subject: NamedNode, predicate: NamedNode, obj: NamedNode | Literal) -> None:
        self.triples.append(Triple(subject, predicate, obj))

    def node(self, ref: Ref) -> NamedNode:
        return NamedNode(iris.entity_iri(self.base, ref.kind, ref.slug))

    def texts(self, subject: NamedNode, predicate: NamedNode, texts: LangText) -> None:
        for language, text in texts:
            self.add(subject, predicate, Literal(text, language=language))

    def date(self, subject: NamedNode, date: PartialDate | None, end: PartialDate | None) -> None:
        if date is not None:
            self.add(subject, schema("startDate"), date_literal(date))
            self.add(subject, emigre("datePrecision"), emigre(PRECISION_NODES[date.precision]))
        if end is not None:
            self.add(subject, schema("endDate"), date_literal(end))
            self.add(subject, emigre("endDatePrecision"), emigre(PRECISION_NODES[end.precision]))

    def name_of(self, ref: Ref) -> str:
        record = self.records.get(ref)
        return record.english_name() if record else str(ref)

    def citations(
        self, subject: NamedNode, kind: str, slug: str, cites: Iterable[Citation]
    ) -> None:
        for index, cite in enumerate(cites, start=1):
            node = NamedNode(iris.citation_iri(self.base, kind, slug, index))
            source = self.records.get(cite.source)
            language = (source.language if source else None) or "en"
            self.add(subject, schema("citation"), node)
            self.add(node, RDF_TYPE, emigre("Citation"))
            self.add(
                node,
                schema("name"),
                Literal(f"Citation of {self.name_of(cite.source)}", language="en"),
            )
            self.add(node, emigre("citedSource"), self.node(cite.source))
            self.add(node, emigre("excerpt"), Literal(cite.excerpt, language=language))
            if cite.mentioned_as:
                self.add(node, emigre("mentionedAs"), Literal(cite.mentioned_as))

    # -- coarsening ------------------------------------------------------------------------------

    def published_place(self, ref: Ref, privacy: Privacy) -> Ref | None:
        """The place as published: a coarse claim names the country, not the city."""
        if privacy != "coarse":
            return ref
        record = self.records.get(ref)
        if record is None or record.type not in ("City", "Place") or record.country is None:
            return ref if record is not None and record.type != "City" else None
        return record.country

    @staticmethod
    def published_date(date: PartialDate | None, privacy: Privacy) -> PartialDate | None:
        if date is None or privacy != "coarse":
            return date
        return date.coarsened()


def _conflicts(claims: Iterable[Claim]) -> dict[str, list[str]]:
    """Claims on the same property with different values: each names the others."""
    by_property: dict[str, list[Claim]] = {}
    for claim in claims:
        by_property.setdefault(claim.property, []).append(claim)
    conflicts: dict[str, list[str]] = {}
    for group in by_property.values():
        for claim in group:
            others = [other.key for other in group if other.value != claim.value]
            if (others and CLAIM_PROPERTIES[claim.property].value_kind == "date") or (
                others and claim.property in ("birth_place", "death_place")
            ):
                conflicts[claim.key] = others
    return conflicts


def build_entity(record: Record, records: dict[Ref, Record], base: str) -> EntityGraph:
    """The triples of one record. Withheld claims and events produce nothing."""
    writer = _Writer(base, records)
    subject = writer.node(record.ref)
    add = writer.add
    add(subject, RDF_TYPE, curie(CLASS_BY_TYPE[record.type or "Person"]))
    writer.texts(subject, schema("name"), record.name)
    writer.texts(subject, schema("alternateName"), record.alternate_names)
    writer.texts(subject, schema("alternateName"), record.historical_names)
    writer.texts(subject, schema("description"), record.description)
    add(
        subject,
        schema("mainEntityOfPage"),
        NamedNode(iris.document_url(base, record.kind, record.slug)),
    )
    if record.kind in LINKABLE_KINDS:
        add(subject, emigre("wikidataLinkState"), emigre(LINK_STATE_NODES[record.link_state]))
    if record.wikidata:
        item = NamedNode(f"{WIKIDATA_ENTITY}{record.wikidata}")
        add(subject, OWL_SAME_AS, item)
        add(subject, schema("sameAs"), item)
    # Possible matches a curator noted: our own term, never a sameAs (docs/decisions.md).
    for candidate in record.wikidata_candidates:
        add(subject, emigre("wikidataCandidate"), NamedNode(f"{WIKIDATA_ENTITY}{candidate}"))
    if record.country:
        add(subject, schema("containedInPlace"), writer.node(record.country))
    for creator in record.creators:
        add(subject, schema("creator"), writer.node(creator))
    if record.kind == "source":
        _source(writer, subject, record)
    elif record.kind == "wave":
        writer.date(subject, record.date, record.end_date)
    elif record.date is not None:
        add(subject, schema("dateCreated"), date_literal(record.date))

    published_claims = [claim for claim in record.claims if claim.privacy != "withheld"]
    conflicts = _conflicts(published_claims)
    for claim in published_claims:
        _claim(writer, subject, record, claim, conflicts.get(claim.key, []))
    for emigration in record.emigrations:
        if emigration.privacy != "withheld":
            _emigration(writer, subject, record, emigration)
    for persecution in record.persecutions:
        if persecution.privacy != "withheld":
            _persecution(writer, subject, record, persecution)
    for quote in record.quotes:
        _quote(writer, subject, record, quote)
    return EntityGraph(record.kind, record.slug, str(subject.value), tuple(writer.triples))


def _source(writer: _Writer, subject: NamedNode, record: Record) -> None:
    writer.texts(subject, schema("headline"), record.title)
    if record.author:
        writer.add(subject, schema("author"), writer.node(record.author))
    if record.author_name:
        writer.add(subject, schema("author"), Literal(record.author_name))
    if record.publisher_name:
        writer.add(subject, schema("publisher"), Literal(record.publisher_name))
    if record.date:
        writer.add(subject, schema("datePublished"), date_literal(record.date))
    if record.url:
        writer.add(subject, schema("url"), NamedNode(record.url))
    if record.locator:
        writer.add(subject, emigre("locator"), Literal(record.locator))
    if record.language:
        writer.add(subject, schema("inLanguage"), Literal(record.language))


def _privacy(writer: _Writer, node: NamedNode, privacy: Privacy) -> None:
    writer.add(node, emigre("privacy"), emigre(PRIVACY_NODES[privacy]))


def _claim(
    writer: _Writer, subject: NamedNode, record: Record, claim: Claim, conflicts: list[str]
) -> None:
    prop = CLAIM_PROPERTIES[claim.property]
    slug = iris.node_slug(record.slug, claim.key)
    node = NamedNode(iris.entity_iri(writer.base, "claim", slug))
    predicate = curie(prop.predicate)
    value: NamedNode | Literal | None
    values: list[NamedNode | Literal] = []
    if isinstance(claim.value, Ref):
        place = (
            writer.published_place(claim.value, claim.privacy)
            if claim.value.kind == "place"
            else claim.value
        )
        value = writer.node(place) if place else None
        label = writer.name_of(place) if place else "(withheld)"
        if value is not None:
            values.append(value)
    elif isinstance(claim.value, PartialDate):
        date = writer.published_date(claim.value, claim.privacy)
        assert date is not None
        value = date_literal(date)
        values.append(value)
        label = date.text
    else:
        values.extend(Literal(text, language=language) for language, text in claim.value)
        label = dict(claim.value).get("en") or claim.value[0][1]
    add = writer.add
    add(node, RDF_TYPE, emigre("Claim"))
    add(
        node,
        schema("name"),
        Literal(
            f"{record.english_name()}: {claim.property.replace('_', ' ')} {label}", language="en"
        ),
    )
    add(node, emigre("claimSubject"), subject)
    add(node, emigre("claimProperty"), predicate)
    for item in values:
        add(node, emigre("claimValue"), item)
        add(subject, predicate, item)
    if isinstance(claim.value, PartialDate):
        published = writer.published_date(claim.value, claim.privacy)
        assert published is not None
        add(node, emigre("datePrecision"), emigre(PRECISION_NODES[published.precision]))
    else:
        writer.date(
            node,
            writer.published_date(claim.date, claim.privacy),
            writer.published_date(claim.end_date, claim.privacy),
        )
    if claim.approximate:
        add(node, emigre("approximateDate"), Literal("true", datatype=XSD_BOOLEAN))
    for other in conflicts:
        other_slug = iris.node_slug(record.slug, other)
        add(
            node,
            emigre("conflictsWith"),
            NamedNode(iris.entity_iri(writer.base, "claim", other_slug)),
        )
    _privacy(writer, node, claim.privacy)
    writer.citations(node, "claim", slug, claim.cites)


def _emigration(writer: _Writer, subject: NamedNode, record: Record, event: Emigration) -> None:
    slug = iris.node_slug(record.slug, event.key)
    node = NamedNode(iris.entity_iri(writer.base, "emigration", slug))
    date = writer.published_date(event.date, event.privacy)
    add = writer.add
    add(node, RDF_TYPE, emigre("Emigration"))
    when = f" ({date.text})" if date else ""
    add(
        node, schema("name"), Literal(f"Emigration of {record.english_name()}{when}", language="en")
    )
    add(node, emigre("emigrant"), subject)
    if event.origin:
        origin = writer.published_place(event.origin, event.privacy)
        if origin:
            add(node, emigre("origin"), writer.node(origin))
    seen: set[Ref] = set()
    for destination in event.destinations:
        place = writer.published_place(destination, event.privacy)
        if place and place not in seen:
            seen.add(place)
            add(node, emigre("destination"), writer.node(place))
    writer.date(node, date, None)
    if event.approximate:
        add(node, emigre("approximateDate"), Literal("true", datatype=XSD_BOOLEAN))
    if event.circumstance:
        add(node, emigre("circumstance"), emigre(CIRCUMSTANCE_NODES[event.circumstance]))
    if event.wave:
        add(node, emigre("wave"), writer.node(event.wave))
    for other in event.conflicts_with:
        other_slug = iris.node_slug(record.slug, other)
        add(
            node,
            emigre("conflictsWith"),
            NamedNode(iris.entity_iri(writer.base, "emigration", other_slug)),
        )
    _privacy(writer, node, event.privacy)
    writer.citations(node, "emigration", slug, event.cites)


def _persecution(writer: _Writer, subject: NamedNode, record: Record, event: Persecution) -> None:
    slug = iris.node_slug(record.slug, event.key)
    node = NamedNode(iris.entity_iri(writer.base, "persecution", slug))
    date = writer.published_date(event.date, event.privacy)
    end = writer.published_date(event.end_date, event.privacy)
    add = writer.add
    add(node, RDF_TYPE, emigre("Persecution"))
    when = f" ({date.text})" if date else ""
    label = PERSECUTION_LABELS[event.type].capitalize()
    add(node, schema("name"), Literal(f"{label}: {record.english_name()}{when}", language="en"))
    add(node, emigre("persecuted"), subject)
    add(node, emigre("persecutionType"), emigre(PERSECUTION_NODES[event.type]))
    if event.actor:
        add(node, emigre("actor"), writer.node(event.actor))
    writer.texts(node, emigre("charge"), event.charge)
    writer.texts(node, emigre("penalty"), event.penalty)
    if event.work:
        add(node, emigre("affectedWork"), writer.node(event.work))
    for supporter in event.supporters:
        add(node, emigre("supporter"), writer.node(supporter))
    writer.date(node, date, end)
    if event.approximate:
        add(node, emigre("approximateDate"), Literal("true", datatype=XSD_BOOLEAN))
    _privacy(writer, node, event.privacy)
    writer.citations(node, "persecution", slug, event.cites)


def _quote(writer: _Writer, subject: NamedNode, record: Record, quote: Quote) -> None:
    node = NamedNode(
        iris.entity_iri(writer.base, "quotation", iris.node_slug(record.slug, quote.key))
    )
    add = writer.add
    add(node, RDF_TYPE, schema("Quotation"))
    add(node, schema("name"), Literal(f"Quotation of {record.english_name()}", language="en"))
    writer.texts(node, schema("text"), quote.text)
    add(node, schema("creator"), subject)
    add(node, schema("isPartOf"), writer.node(quote.source))


def build_graphs(dataset: Dataset, base: str) -> list[EntityGraph]:
    """The graph of every record, in the dataset's order."""
    records = dataset.by_ref()
    return [build_entity(record, records, base) for record in dataset.records]
