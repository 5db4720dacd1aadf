"""Views of whole pages: a record with its facts and the links pointing at it, browse lists.

A view is plain data (frozen dataclasses of strings and lists) built from the catalog; the
templates in ``templates/`` only lay it out.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from pyoxigraph import NamedNode

from publisher import iris
from publisher.catalog import Catalog
from publisher.graph.terms import RDF_TYPE
from publisher.namespaces import OWL_NS, RDF_NS
from publisher.site.context import PageContext
from publisher.site.facts import (
    ALT_NAME,
    CITATION,
    DESCRIPTION,
    NAME,
    ClaimGroup,
    EmigrationView,
    Pairs,
    PersecutionView,
    QuoteView,
    Value,
    claim_groups,
    claim_view,
    emigration_view,
    nodes,
    p,
    pairs_of,
    persecution_view,
    quote_view,
    texts,
    value_of,
)
from publisher.site.link_states import FACET as LINK_STATE_FACET
from publisher.site.link_states import wikidata_values
from publisher.site.links import Alternate, alternates, page_url, record_of
from publisher.site.wording import (
    KIND_WORDS,
    LINK_STATE_WORDS,
    STATE_SLUGS,
    inverse_words,
    language_name,
    local_name,
    property_words,
    split_camel,
)


class PageNotFound(LookupError):
    """No page answers this request (an unknown record, facet or value): a 404."""


EMIGRANT, DESTINATION, ORIGIN = p("emigre:emigrant"), p("emigre:destination"), p("emigre:origin")
WAVE, CONTAINED_IN = p("emigre:wave"), p("schema:containedInPlace")
CLAIM_PROPERTY, CLAIM_VALUE = p("emigre:claimProperty"), p("emigre:claimValue")
CITED_SOURCE, EXCERPT = p("emigre:citedSource"), p("emigre:excerpt")
SAME_AS = (f"{OWL_NS}sameAs", p("schema:sameAs"))
LINK_STATE = p("emigre:wikidataLinkState")
CANDIDATE = p("emigre:wikidataCandidate")

#: Predicates shown in the page's header, or not at all, rather than among the details.
_NOT_DETAILS = {
    f"{RDF_NS}type",
    NAME,
    ALT_NAME,
    DESCRIPTION,
    *SAME_AS,
    LINK_STATE,
    CANDIDATE,
    p("schema:mainEntityOfPage"),
    p("emigre:datePrecision"),
    p("emigre:endDatePrecision"),
}
#: Links from another record's node that only say "this node belongs to that record".
_MENTIONS = {EMIGRANT, p("emigre:persecuted"), p("emigre:claimSubject"), p("schema:creator")}


@dataclass(frozen=True)
class LinkItem:
    """A record linking here, through which fact, with what excerpt."""

    record: Value
    via: Value | None = None
    excerpt: Value | None = None
    #: A sort key (the date of an event).
    note: str | None = None
    #: Whether ``via`` is a fact of its own (listed even when the record is listed already).
    distinct: bool = False


@dataclass(frozen=True)
class LinkGroup:
    """Links with one meaning ("mentioned in", "also went to Tbilisi")."""

    heading: str
    items: list[LinkItem]


@dataclass(frozen=True)
class EntityView:
    """Everything an entity page shows."""

    iri: str
    kind: str
    slug: str
    name: str
    classes: list[str]
    names: list[Value]
    alternate_names: list[Value]
    descriptions: list[Value]
    wikidata: list[Value]
    link_state: str | None
    #: The report page of the record's link state.
    link_state_url: str | None
    #: Possible matches a curator noted: unverified, never shown as links of the record.
    candidates: list[Value]
    details: list[tuple[str, list[Value]]]
    emigrations: list[EmigrationView]
    persecutions: list[PersecutionView]
    claim_groups: list[ClaimGroup]
    quotes: list[QuoteView]
    link_groups: list[LinkGroup]
    related: list[tuple[str, list[Value]]]
    alternates: list[Alternate]
    document_url: str
    see_also: list[Value]

    @property
    def kind_words(self) -> str:
        """The kind of record, for the page's eyebrow line."""
        return KIND_WORDS.get(self.kind, (self.kind, self.kind))[0]


def entity_view(catalog: Catalog, ctx: PageContext, iri: str) -> EntityView:
    """The view of a record's page; ``PageNotFound`` for anything else."""
    split = iris.split_entity_iri(catalog.base, iri)
    if split is None or split[0] not in iris.ENTITY_KINDS or not catalog.exists(iri):
        raise PageNotFound(f"no record {iri}")
    kind, slug = split
    pairs = pairs_of(catalog, iri)
    minted = catalog.minted_nodes(iri)
    by_kind: dict[str, list[str]] = defaultdict(list)
    for node in minted:
        node_split = iris.split_entity_iri(catalog.base, node)
        if node_split:
            by_kind[node_split[0]].append(node)
    claims = [claim_view(catalog, ctx, node) for node in by_kind["claim"]]
    claimed = {(claim.property_iri, claim.value_term) for claim in claims}
    names = texts(pairs, NAME)
    english = catalog.label(iri)
    states = [local_name(node) for node in nodes(pairs, LINK_STATE)]
    return EntityView(
        iri=iri,
        kind=kind,
        slug=slug,
        name=english,
        classes=[
            words for c in catalog.types(iri) if (words := split_camel(local_name(c))) != kind
        ],
        names=[n for n in names if n.text != english or n.lang != "en"],
        alternate_names=texts(pairs, ALT_NAME),
        descriptions=texts(pairs, DESCRIPTION),
        wikidata=_wikidata(pairs),
        link_state=LINK_STATE_WORDS.get(states[0], states[0]) if states else None,
        link_state_url=(
            iris.browse_url(ctx.root, LINK_STATE_FACET, STATE_SLUGS[states[0]])
            if states and states[0] in STATE_SLUGS
            else None
        ),
        candidates=wikidata_values(nodes(pairs, CANDIDATE)),
        details=_details(catalog, ctx, pairs, claimed, english),
        emigrations=sorted(
            (emigration_view(catalog, ctx, n) for n in by_kind["emigration"]),
            key=lambda e: e.sort_key,
        ),
        persecutions=sorted(
            (persecution_view(catalog, ctx, n) for n in by_kind["persecution"]),
            key=lambda e: e.sort_key,
        ),
        claim_groups=claim_groups(claims),
        quotes=[quote_view(catalog, ctx, n) for n in by_kind["quotation"]],
        link_groups=_link_groups(catalog, ctx, iri, kind, set(catalog.document_nodes(iri))),
        related=_related(catalog, ctx, iri),
        alternates=alternates(ctx, kind, slug),
        document_url=iris.document_url(ctx.root, kind, slug),
        see_also=_see_also(catalog, ctx, iri, kind, slug),
    )


def _see_also(catalog: Catalog, ctx: PageContext, iri: str, kind: str, slug: str) -> list[Value]:
    """Browse pages about this record (departures to a place, a wave's timeline), and its kind."""
    links = []
    if kind == "place" and emigrations_in(catalog, "destination", iri):
        url = iris.browse_url(ctx.root, "destination", slug)
        links.append(Value(f"Departures to {catalog.label(iri)}: chart and table", url))
    if kind == "wave":
        url = iris.browse_url(ctx.root, "wave", slug)
        links.append(Value("Everyone in this wave, on a timeline", url))
    plural = KIND_WORDS.get(kind, (kind, kind))[1]
    links.append(Value(f"All {plural}", iris.browse_url(ctx.root, kind)))
    return links


def _wikidata(pairs: Pairs) -> list[Value]:
    return wikidata_values([node for predicate in SAME_AS for node in nodes(pairs, predicate)])


def _details(
    catalog: Catalog,
    ctx: PageContext,
    pairs: Pairs,
    claimed: set[tuple[str, str]],
    name: str,
) -> list[tuple[str, list[Value]]]:
    """Direct properties not shown elsewhere (a claim already shows its own direct triple)."""
    details = []
    for predicate in sorted(pairs, key=property_words):
        if predicate in _NOT_DETAILS:
            continue
        values = [
            Value(language_name(term.value))
            if predicate == p("schema:inLanguage")
            else value_of(catalog, ctx, term)
            for term in pairs[predicate]
            if (predicate, str(term)) not in claimed
            and not (predicate == p("schema:headline") and term.value == name)
        ]
        if values:
            details.append((property_words(predicate), values))
    return details


# -- links pointing at a record -------------------------------------------------------------------


def _phrase(catalog: Catalog, predicate: str, subject: str, label: str) -> str | None:
    """What an incoming link means, as a heading; None for links not worth listing."""
    if predicate == DESTINATION:
        return f"Went to {label}"
    if predicate == ORIGIN:
        return f"Left from {label}"
    if predicate == WAVE:
        return "Emigrations in this wave"
    if predicate == p("emigre:actor"):
        return f"Persecutions by {label}"
    if predicate == CITED_SOURCE:
        return "Facts cited to this source"
    if predicate == CLAIM_VALUE:
        props = nodes(pairs_of(catalog, subject), CLAIM_PROPERTY)
        return inverse_words(props[0]).capitalize() if props else "Mentioned in"
    if predicate in _MENTIONS:
        return "Mentioned in"
    if predicate in (p("schema:citation"), p("emigre:conflictsWith"), *SAME_AS):
        return None
    return inverse_words(predicate).capitalize()


def _link_groups(
    catalog: Catalog, ctx: PageContext, iri: str, kind: str, own: set[str]
) -> list[LinkGroup]:
    label = catalog.label(iri)
    groups: dict[str, dict[tuple[str, str], LinkItem]] = defaultdict(dict)
    for link in catalog.incoming(iri):
        if link.node in own:
            continue
        heading = _phrase(catalog, link.predicate, link.node, label)
        record = record_of(catalog, link.node)
        if heading is None or record is None or record == iri:
            continue
        _add(groups[heading], record, _link_item(catalog, ctx, link.node, record))
    if kind == "place":  # departures to and from the places within count for this one
        moves = {DESTINATION: f"Went to {label}", ORIGIN: f"Left from {label}"}
        for place in _places_within(catalog, iri):
            for link in catalog.incoming(place):
                record = record_of(catalog, link.node)
                if link.predicate in moves and record:
                    item = _link_item(catalog, ctx, link.node, record)
                    _add(groups[moves[link.predicate]], record, item)
    also = list(_also_went(catalog, ctx, iri)) if kind in ("person", "group") else []

    def rank(heading: str) -> tuple[int, str]:
        return (0 if heading.startswith(("Went", "Left")) else 2, heading)

    ordered = [
        LinkGroup(heading, sorted(groups[heading].values(), key=_item_key))
        for heading in sorted(groups, key=rank)
        if heading != "Mentioned in"
    ]
    ordered.extend(also)
    if "Mentioned in" in groups:
        ordered.append(
            LinkGroup("Mentioned in", sorted(groups["Mentioned in"].values(), key=_item_key))
        )
    return ordered


def _add(group: dict[tuple[str, str], LinkItem], record: str, item: LinkItem) -> None:
    """Add a link: one per record, unless it points at a distinct fact (an event, a citation)."""
    if item.via is not None and item.distinct:
        group[(record, item.via.url or item.via.text)] = item
    elif (record, "") not in group or item.via is not None:
        group[(record, "")] = item


def _item_key(item: LinkItem) -> tuple[str, str, str]:
    return (item.record.text, item.note or "", item.via.text if item.via else "")


def _link_item(catalog: Catalog, ctx: PageContext, node: str, record: str) -> LinkItem:
    """A link from ``node`` (a record or a fact of one) as listed on the target's page."""
    record_value = Value(catalog.label(record), page_url(catalog, ctx, record))
    if node == record:
        return LinkItem(record_value)
    url = page_url(catalog, ctx, node)
    pairs = pairs_of(catalog, node)
    kind = (iris.split_entity_iri(catalog.base, node) or ("", ""))[0]
    if kind == "citation":  # name the fact it supports, quote the excerpt
        cited = [link.node for link in catalog.incoming(node) if link.predicate == CITATION]
        fact = cited[0] if cited else node
        excerpts = texts(pairs, EXCERPT)
        fact_label = catalog.label(fact).removeprefix(f"{record_value.text}: ")
        fact_value = Value(fact_label, page_url(catalog, ctx, fact))
        return LinkItem(record_value, fact_value, excerpts[0] if excerpts else None, distinct=True)
    if kind == "quotation":
        quoted = texts(pairs, p("schema:text"))
        return LinkItem(
            record_value, Value("quotation", url), quoted[0] if quoted else None, distinct=True
        )
    if kind == "emigration":
        view = emigration_view(catalog, ctx, node)
        places = ", ".join(d.text for d in view.destinations)
        when = str(view.date) if view.date else "date not known"
        text = f"{when}, to {places}" if places else when
        return LinkItem(record_value, Value(text, url), note=view.sort_key[0], distinct=True)
    if kind == "persecution":
        persecution = persecution_view(catalog, ctx, node)
        when = str(persecution.date) if persecution.date else "date not known"
        text = f"{', '.join(persecution.kinds)}, {when}"
        return LinkItem(record_value, Value(text, url), distinct=True)
    return LinkItem(record_value, Value("sources", url))


def _places_within(catalog: Catalog, place: str) -> list[str]:
    """Places inside ``place`` (cities of a country), transitively; not ``place`` itself."""
    found: list[str] = []
    todo = [place]
    while todo:
        current = todo.pop()
        for link in catalog.incoming(current):
            if link.predicate == CONTAINED_IN and link.node not in found and link.node != place:
                found.append(link.node)
                todo.append(link.node)
    return sorted(found)


def _emigrations_to(catalog: Catalog, place: str) -> list[str]:
    return sorted(link.node for link in catalog.incoming(place) if link.predicate == DESTINATION)


def country_of(catalog: Catalog, place: str) -> str:
    """The outermost place containing ``place`` (itself when it is in none)."""
    seen = {place}
    while True:
        outer = nodes(pairs_of(catalog, place), CONTAINED_IN)
        if not outer or outer[0] in seen:
            return place
        place = outer[0]
        seen.add(place)


#: People listed per destination on a person's page; the rest are one link away (the browse page).
ALSO_WENT_LIMIT = 12


@functools.lru_cache(maxsize=4096)
def _people_to(catalog: Catalog, ctx: PageContext, place: str) -> tuple[LinkItem, ...]:
    """Everyone whose emigration went to ``place`` or somewhere in it, sorted; once per place."""
    people: dict[str, LinkItem] = {}
    for target in (place, *_places_within(catalog, place)):
        for emigration in _emigrations_to(catalog, target):
            record = record_of(catalog, emigration)
            if record and record not in people:
                people[record] = LinkItem(
                    Value(catalog.label(record), page_url(catalog, ctx, record))
                )
    return tuple(sorted(people.values(), key=_item_key))


def _also_went(catalog: Catalog, ctx: PageContext, iri: str) -> Iterator[LinkGroup]:
    """Others whose emigration has the same destination; for a city, then others who went
    elsewhere in its country. Each person is listed once, under the closest place, and at most
    ``ALSO_WENT_LIMIT`` per place (with a link to the full list), so a page costs the same
    whatever the size of the dataset.
    """
    destinations: list[str] = []
    for emigration in catalog.minted_nodes(iri):
        for place in nodes(pairs_of(catalog, emigration), DESTINATION):
            for target in (place, country_of(catalog, place)):
                if target not in destinations:
                    destinations.append(target)
    own_page = page_url(catalog, ctx, iri)
    listed: set[str | None] = {own_page}
    for place in destinations:
        everyone = _people_to(catalog, ctx, place)
        items = [item for item in everyone if item.record.url not in listed]
        shown = items[:ALSO_WENT_LIMIT]
        listed.update(item.record.url for item in shown)
        if len(items) > len(shown):
            split = iris.split_entity_iri(catalog.base, place)
            more = iris.browse_url(ctx.root, "destination", split[1]) if split else None
            shown.append(LinkItem(Value(f"and {len(items) - len(shown)} more", more)))
        if shown:
            yield LinkGroup(f"Also went to {catalog.label(place)}", shown)


def _related(catalog: Catalog, ctx: PageContext, iri: str) -> list[tuple[str, list[Value]]]:
    """Records the document links to, by kind (places, sources, waves ...)."""
    found: dict[str, set[str]] = defaultdict(set)
    for triple in catalog.document_triples(iri):
        obj = triple.object
        if not isinstance(obj, NamedNode) or obj.value == iri:
            continue
        split = iris.split_entity_iri(catalog.base, obj.value)
        if split and split[0] in iris.ENTITY_KINDS:
            found[split[0]].add(obj.value)
    return [
        (
            KIND_WORDS[kind][1].capitalize(),
            sorted(
                (Value(catalog.label(node), page_url(catalog, ctx, node)) for node in found[kind]),
                key=lambda v: v.text,
            ),
        )
        for kind in iris.ENTITY_KINDS
        if found.get(kind)
    ]


# -- browse lists ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListEntry:
    """A record in a list: its link, other names, description and a one-line summary."""

    record: Value
    kind: str
    names: list[Value] = field(default_factory=list)
    description: Value | None = None
    summary: str | None = None
    count: int | None = None


def list_entry(catalog: Catalog, ctx: PageContext, iri: str, summary: bool = True) -> ListEntry:
    """How a record appears in browse and search lists."""
    pairs = pairs_of(catalog, iri)
    label = catalog.label(iri)
    split = iris.split_entity_iri(catalog.base, iri)
    kind = split[0] if split else ""
    descriptions = texts(pairs, DESCRIPTION)
    return ListEntry(
        record=Value(label, page_url(catalog, ctx, iri)),
        kind=KIND_WORDS.get(kind, (kind, kind))[0],
        names=[n for n in texts(pairs, NAME) if n.lang != "en"],
        description=descriptions[0] if descriptions else None,
        summary=departure_summary(catalog, iri) if summary else None,
    )


def departure_summary(catalog: Catalog, iri: str) -> str | None:
    """ "2022 → Germany; 1961 → France": a record's departures in one line, by date."""
    parts = []
    for link in catalog.incoming(iri):
        if link.predicate != EMIGRANT:
            continue
        pairs = pairs_of(catalog, link.node)
        dates = [t.value[:4] for t in pairs.get(p("schema:startDate"), [])]
        places = [catalog.label(place) for place in nodes(pairs, DESTINATION)]
        parts.append(((dates or ["?"])[0], ", ".join(places) or "destination not given"))
    return "; ".join(f"{date} → {places}" for date, places in sorted(parts)) or None


def nodes_of_class(catalog: Catalog, class_name: str) -> list[str]:
    """Every node of a class (``emigre:Emigration``, ``emigre:Persecution``), in IRI order."""
    found = catalog.store.quads_for_pattern(None, RDF_TYPE, NamedNode(p(class_name)))
    return sorted(quad.subject.value for quad in found if isinstance(quad.subject, NamedNode))


def emigrations_in(catalog: Catalog, facet: str, value_iri: str) -> list[str]:
    """Emigrations of a wave, or to a destination (including the places within it)."""
    if facet == "wave":
        return sorted(link.node for link in catalog.incoming(value_iri) if link.predicate == WAVE)
    found = set(_emigrations_to(catalog, value_iri))
    for place in _places_within(catalog, value_iri):
        found.update(_emigrations_to(catalog, place))
    return sorted(found)


def destination_places(catalog: Catalog) -> list[str]:
    """Every place someone went to, and every place containing one, in IRI order."""
    found: set[str] = set()
    for emigration in nodes_of_class(catalog, "emigre:Emigration"):
        for place in nodes(pairs_of(catalog, emigration), DESTINATION):
            while place not in found:
                found.add(place)
                outer = nodes(pairs_of(catalog, place), CONTAINED_IN)
                if not outer:
                    break
                place = outer[0]
    return sorted(found)


def destination_counts(catalog: Catalog) -> list[tuple[str, int]]:
    """(country or region, number of emigrations to it or a place within it), most first."""
    counts: dict[str, set[str]] = defaultdict(set)
    for emigration in nodes_of_class(catalog, "emigre:Emigration"):
        for place in nodes(pairs_of(catalog, emigration), DESTINATION):
            counts[country_of(catalog, place)].add(emigration)
    return sorted(
        ((place, len(found)) for place, found in counts.items()),
        key=lambda item: (-item[1], catalog.label(item[0]), item[0]),
    )
