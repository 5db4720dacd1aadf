"""The Wikidata links report: records by link state, each with its link or its possible matches.

Curators use it to see what is left to reconcile (pending) and to check (needs review); readers
see how far the links can be trusted. Everything comes from the graph: a record's state is its
``emigre:wikidataLinkState``, its link its ``owl:sameAs``, its possible matches its
``emigre:wikidataCandidate``, which pages always call unverified.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import NamedNode

from publisher import iris
from publisher.catalog import Catalog
from publisher.site.context import PageContext
from publisher.site.facts import NAME, Value, nodes, p, pairs_of, texts
from publisher.site.links import page_url
from publisher.site.wording import KIND_WORDS, LINK_STATE_WORDS, STATE_SLUGS, local_name

#: The browse facet of the report (``/browse/link-state[/{state}]``).
FACET = "link-state"
STATE_BY_SLUG = {slug: state for state, slug in STATE_SLUGS.items()}
#: The states the overview lists record by record: what curators still have to do.
OPEN_STATES = ("Pending", "NeedsReview")
#: Records listed per state on the overview; the state's own page lists them all.
OVERVIEW_LIMIT = 100
LINK_STATE = p("emigre:wikidataLinkState")
CANDIDATE = p("emigre:wikidataCandidate")
SAME_AS = p("schema:sameAs")


@dataclass(frozen=True)
class LinkStateEntry:
    """A record as the report lists it: name, kind, its link or its possible matches."""

    record: Value
    kind: str
    names: list[Value]
    wikidata: list[Value]
    candidates: list[Value]


@dataclass(frozen=True)
class LinkStateGroup:
    """The records in one link state (the first ``len(entries)`` of ``count``)."""

    slug: str
    words: str
    url: str
    count: int
    entries: list[LinkStateEntry]

    @property
    def more(self) -> int:
        """How many records the group has beyond those listed."""
        return self.count - len(self.entries)


def state_url(ctx: PageContext, state: str | None = None) -> str:
    """The report's URL, or the page of one state (``Pending``)."""
    return iris.browse_url(ctx.root, FACET, STATE_SLUGS[state] if state else None)


def wikidata_values(iris_: list[str]) -> list[Value]:
    """Wikidata item IRIs as links to their pages, by ID (other IRIs are left out)."""
    values = []
    for entity in sorted(set(iris_)):
        url = iris.wikidata_page_url(entity)
        if url:
            values.append(Value(local_name(entity), url))
    return values


def _in_state(catalog: Catalog, state: str) -> list[tuple[int, str]]:
    """(kind's place in ``ENTITY_KINDS``, IRI) of the records in ``state``."""
    found = catalog.store.quads_for_pattern(
        None, NamedNode(LINK_STATE), NamedNode(p(f"emigre:{state}"))
    )
    order = {kind: index for index, kind in enumerate(iris.ENTITY_KINDS)}
    records = []
    for quad in found:
        if isinstance(quad.subject, NamedNode):
            split = iris.split_entity_iri(catalog.base, quad.subject.value)
            if split and split[0] in order:
                records.append((order[split[0]], quad.subject.value))
    return records


def records_in_state(catalog: Catalog, state: str) -> list[str]:
    """The records whose link state is ``state`` (``Pending``), by kind, then name."""
    keyed = [(kind, catalog.label(iri), iri) for kind, iri in _in_state(catalog, state)]
    return [iri for _, _, iri in sorted(keyed)]


def link_state_entry(catalog: Catalog, ctx: PageContext, iri: str) -> LinkStateEntry:
    """How one record appears in the report."""
    pairs = pairs_of(catalog, iri)
    split = iris.split_entity_iri(catalog.base, iri)
    kind = split[0] if split else ""
    return LinkStateEntry(
        record=Value(catalog.label(iri), page_url(catalog, ctx, iri)),
        kind=KIND_WORDS.get(kind, (kind, kind))[0],
        names=[n for n in texts(pairs, NAME) if n.lang != "en"],
        wikidata=wikidata_values(nodes(pairs, SAME_AS)),
        candidates=wikidata_values(nodes(pairs, CANDIDATE)),
    )


def link_state_group(
    catalog: Catalog, ctx: PageContext, state: str, limit: int | None = None
) -> LinkStateGroup:
    """The records in ``state``, the first ``limit`` of them (all when None) as entries."""
    found = records_in_state(catalog, state)
    listed = found if limit is None else found[:limit]
    return state_group(
        ctx, state, len(found), [link_state_entry(catalog, ctx, iri) for iri in listed]
    )


def state_group(
    ctx: PageContext, state: str, count: int, entries: list[LinkStateEntry]
) -> LinkStateGroup:
    """A group of ``count`` records in ``state``, of which ``entries`` are listed."""
    return LinkStateGroup(
        slug=STATE_SLUGS[state],
        words=LINK_STATE_WORDS[state],
        url=state_url(ctx, state),
        count=count,
        entries=entries,
    )


def state_counts(catalog: Catalog, ctx: PageContext) -> list[tuple[str, str, int]]:
    """(words, URL, number of records) of every link state, in ``STATE_SLUGS`` order."""
    return [
        (LINK_STATE_WORDS[state], state_url(ctx, state), len(_in_state(catalog, state)))
        for state in STATE_SLUGS
    ]
