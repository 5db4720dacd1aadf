"""Our sourced claims as Wikidata statements: property, value, qualifiers and one reference block
per source, or the reason a claim cannot be stated on Wikidata.

Only what the build publishes becomes a statement: withheld claims and events are left out
entirely, coarse ones are stated at their published precision (the year, the country), by the
same rules as the graph (``published_place``, ``published_date``; a test compares the two).

What becomes what (property IDs from ``reference/wikidata-ids.tsv`` unless marked):

============================  =====================================================
ours                          Wikidata
============================  =====================================================
claim (``CLAIM_PROPERTIES``)  its ``wikidata_property`` (P569, P570, P19, P20, P106,
                              P551, P108, P463, P800, P50, P57, P175, P144); ``date``
                              and ``end_date`` as qualifiers P580/P582
emigration of a person        P551 residence for each destination, the emigration's
                              date as P580 start time on the first destination (the
                              later ones started later: "Denmark, later the U.S.");
                              P793 significant event with P585 point in time when the
                              reference table has an item for "emigration"
persecution                   P793 with P585 (or P580/P582) when the reference table
                              has an item for its type
source of a citation          S1476 title, S50 author (a linked person) or S2093
                              author name string (*from memory*), S577 publication
                              date, S854 URL, S813 retrieved
============================  =====================================================

A value that needs an item we have no checked ID for, a text value where Wikidata wants an item,
a property Wikidata lacks, and an approximate date (Wikidata says "circa" with a qualifier whose
item is not in the reference table) make a claim *not expressible*, with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from publisher import iris
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
    Record,
    Ref,
)
from publisher.model.reference import ReferenceEntry
from publisher.wikidata.values import (
    ItemValue,
    MonolingualValue,
    Snak,
    StringValue,
    TimeValue,
    Value,
)

# Properties and items (reference table unless marked).
INSTANCE_OF = "P31"
HUMAN = "Q5"
RESIDENCE = "P551"
SIGNIFICANT_EVENT = "P793"
START_TIME = "P580"
END_TIME = "P582"
POINT_IN_TIME = "P585"
TITLE = "P1476"
AUTHOR = "P50"
#: "author name string": not in the reference table; from memory of Help:Sources.
AUTHOR_NAME_STRING = "P2093"
PUBLICATION_DATE = "P577"
REFERENCE_URL = "P854"
RETRIEVED = "P813"

#: Claim properties whose values exclude each other (one birth date, one birth place): a
#: different value on Wikidata is a conflict, not another value.
SINGLE_VALUED = frozenset({"P569", "P570", "P19", "P20"})

#: Our event types -> the label a row of the reference table must have for its item to be the
#: value of P793 "significant event". No such row exists yet, so these are not expressible
#: until a curator checks an item and adds it (e.g. ``event	emigration	Q…	verified``).
EVENT_ITEM_LABELS: dict[str, str] = {
    "emigration": "emigration",
    "wanted-list": "wanted list",
    "foreign-agent": "foreign agent",
    "criminal-case": "criminal case",
    "sentence-in-absentia": "sentence in absentia",
    "expulsion": "expulsion",
}

#: Hosts of Wikimedia projects: Wikidata does not take them as sources (Help:Sources; its
#: "imported from Wikimedia project" P143 marks bot imports, not a source).
WIKIMEDIA_HOSTS = (
    "wikipedia.org",
    "wikimedia.org",
    "wikidata.org",
    "wikisource.org",
    "wikiquote.org",
    "wikinews.org",
    "wikibooks.org",
    "wikiversity.org",
    "wikivoyage.org",
    "wiktionary.org",
)
_BRACKETED = re.compile(r"\s*\[[^\]]*\]\s*$")


@dataclass(frozen=True)
class Reference:
    """One reference block: what Wikidata needs to know of one of our sources."""

    source: Ref
    snaks: tuple[Snak, ...]
    #: The source's URL, when it has one (what identifies it on Wikidata first).
    url: str | None
    #: The source's title (what identifies it when there is no URL).
    title: str


@dataclass(frozen=True)
class Statement:
    """A claim of ours as a Wikidata statement on the subject's item."""

    subject: Ref
    #: The subject's item (None when the record is not linked).
    item: str | None
    #: Where it comes from, as our IRIs name it: ``claim/balagov-birth-date-enwiki``.
    origin: str
    property: str
    value: Value
    #: Our value as we name it (``place/berlin``, ``1991-07-28``).
    our_value: str
    qualifiers: tuple[Snak, ...]
    #: One block per distinct source Wikidata accepts, in the order the claim cites them.
    references: tuple[Reference, ...]
    #: Every source the claim cites (also those Wikidata does not accept).
    sources: tuple[Ref, ...]
    #: Sources left out of ``references``, and why.
    unusable_sources: tuple[tuple[Ref, str], ...] = ()
    #: Our other claims that give another value (our sources disagree).
    disputed_by: tuple[str, ...] = ()
    #: What was left out on the way (an approximate start date, a later destination's date).
    notes: tuple[str, ...] = ()
    #: The file and line of the claim or event.
    line: int = 0


@dataclass(frozen=True)
class Unexpressible:
    """A claim of ours that no Wikidata statement can say, and why."""

    subject: Ref
    item: str | None
    origin: str
    #: The Wikidata property it would be, when there is one.
    property: str | None
    our_value: str
    reason: str
    sources: tuple[Ref, ...]
    line: int = 0


Proposal = Statement | Unexpressible


@dataclass(frozen=True)
class StatementSettings:
    """What the statements depend on besides the records."""

    #: The date our sources were read, for S813 "retrieved" on references with a URL. None:
    #: no S813 (the wall clock is never used: the output must not change by itself).
    retrieved: PartialDate | None = None
    #: Event type (``emigration`` or a persecution type) -> the item for P793.
    event_items: Mapping[str, str] = field(default_factory=dict)


def event_items_from_reference(reference: Mapping[str, ReferenceEntry]) -> dict[str, str]:
    """The P793 items the reference table has: rows whose label (without a ``[bonus]``-style
    suffix) is one of ``EVENT_ITEM_LABELS``."""
    by_label = {
        _BRACKETED.sub("", entry.label).casefold(): entry.wikidata_id
        for entry in sorted(reference.values(), key=lambda entry: entry.line)
    }
    return {
        event: by_label[label.casefold()]
        for event, label in EVENT_ITEM_LABELS.items()
        if label.casefold() in by_label
    }


# --- publication rules (the graph's, see publisher/graph/build.py) ----------------------------


def published_place(ref: Ref, privacy: Privacy, records: Mapping[Ref, Record]) -> Ref | None:
    """The place as published: a coarse claim names the country, not the city (None: nothing
    publishable, a coarse city without a country)."""
    if privacy != "coarse":
        return ref
    record = records.get(ref)
    if record is None or record.type not in ("City", "Place") or record.country is None:
        return ref if record is not None and record.type != "City" else None
    return record.country


def published_date(date: PartialDate | None, privacy: Privacy) -> PartialDate | None:
    """The date as published: a coarse claim gives the year alone."""
    if date is None or privacy != "coarse":
        return date
    return date.coarsened()


# --- references -------------------------------------------------------------------------------


def _pick_text(texts: LangText, language: str | None) -> tuple[str, str] | None:
    """The text in ``language``, else in English, else the first; as (language, text)."""
    by_language = dict(texts)
    for wanted in (language, "en"):
        if wanted and wanted in by_language:
            return wanted, by_language[wanted]
    return texts[0] if texts else None


def wikimedia_project(source: Record) -> bool:
    """True when the source is a Wikimedia project (Wikidata does not accept it as a source)."""
    if source.url:
        host = (urlsplit(source.url).hostname or "").casefold()
        if any(host == domain or host.endswith("." + domain) for domain in WIKIMEDIA_HOSTS):
            return True
    return (source.publisher_name or "").casefold() in ("wikipedia", "wikidata", "wikimedia")


def reference_for(
    source: Record, records: Mapping[Ref, Record], settings: StatementSettings
) -> Reference:
    """The reference block citing one of our sources.

    S1476 is the title in the source's language (its name when it has no title); S50 when the
    author is a record linked to Wikidata, else S2093 with the author's name; S577 the
    publication date at its precision; S854 the URL; S813 the retrieval date of the settings,
    only with a URL (it says when a web page was read).
    """
    title = _pick_text(source.title, source.language) or _pick_text(source.name, source.language)
    assert title is not None  # every record has a name
    snaks = [Snak(TITLE, MonolingualValue(title[0], title[1]))]
    author = records.get(source.author) if source.author else None
    if author is not None and author.wikidata:
        snaks.append(Snak(AUTHOR, ItemValue(author.wikidata)))
    elif author is not None:
        snaks.append(Snak(AUTHOR_NAME_STRING, StringValue(author.english_name())))
    elif source.author_name:
        snaks.append(Snak(AUTHOR_NAME_STRING, StringValue(source.author_name)))
    if source.date is not None:
        snaks.append(Snak(PUBLICATION_DATE, TimeValue(source.date)))
    if source.url:
        snaks.append(Snak(REFERENCE_URL, StringValue(source.url)))
        if settings.retrieved is not None:
            snaks.append(Snak(RETRIEVED, TimeValue(settings.retrieved)))
    return Reference(source.ref, tuple(snaks), source.url, title[1])


def _references(
    cites: Sequence[Citation], records: Mapping[Ref, Record], settings: StatementSettings
) -> tuple[tuple[Reference, ...], tuple[Ref, ...], tuple[tuple[Ref, str], ...]]:
    """One reference per distinct source Wikidata accepts; every source; the refused ones."""
    sources = tuple(dict.fromkeys(cite.source for cite in cites))
    references: list[Reference] = []
    unusable: list[tuple[Ref, str]] = []
    for ref in sources:
        source = records[ref]
        if wikimedia_project(source):
            unusable.append((ref, "a Wikimedia project, which Wikidata does not take as a source"))
        else:
            references.append(reference_for(source, records, settings))
    return tuple(references), sources, tuple(unusable)


# --- statements of one record -----------------------------------------------------------------


class _Builder:
    """Collects the proposals of one record."""

    def __init__(
        self, record: Record, records: Mapping[Ref, Record], settings: StatementSettings
    ) -> None:
        self.record = record
        self.records = records
        self.settings = settings
        self.proposals: list[Proposal] = []

    def item_of(self, ref: Ref) -> str | None:
        record = self.records.get(ref)
        return record.wikidata if record is not None else None

    def unexpressible(
        self,
        origin: str,
        prop: str | None,
        our_value: str,
        reason: str,
        cites: Sequence[Citation],
        line: int,
    ) -> None:
        sources = tuple(dict.fromkeys(cite.source for cite in cites))
        self.proposals.append(
            Unexpressible(
                self.record.ref,
                self.record.wikidata,
                origin,
                prop,
                our_value,
                reason,
                sources,
                line,
            )
        )

    def statement(
        self,
        origin: str,
        prop: str,
        value: Value,
        our_value: str,
        qualifiers: Sequence[Snak],
        cites: Sequence[Citation],
        line: int,
        disputed_by: Sequence[str] = (),
        notes: Sequence[str] = (),
    ) -> None:
        references, sources, unusable = _references(cites, self.records, self.settings)
        self.proposals.append(
            Statement(
                subject=self.record.ref,
                item=self.record.wikidata,
                origin=origin,
                property=prop,
                value=value,
                our_value=our_value,
                qualifiers=tuple(qualifiers),
                references=references,
                sources=sources,
                unusable_sources=unusable,
                disputed_by=tuple(disputed_by),
                notes=tuple(notes),
                line=line,
            )
        )

    def time_qualifiers(
        self, pairs: Sequence[tuple[str, PartialDate | None]], approximate: bool
    ) -> tuple[list[Snak], list[str]]:
        """Qualifiers for the dates given; an approximate date is left out, with a note."""
        snaks: list[Snak] = []
        notes: list[str] = []
        for prop, date in pairs:
            if date is None:
                continue
            if approximate:
                notes.append(f"approximate date {date.text} left out of {prop}")
            else:
                snaks.append(Snak(prop, TimeValue(date)))
        return snaks, notes


def _origin(kind: str, record: Record, key: str) -> str:
    return f"{kind}/{iris.node_slug(record.slug, key)}"


def _disputes(claims: Sequence[Claim]) -> dict[str, list[str]]:
    """Claims our sources disagree on (as the graph marks ``conflictsWith``): same property,
    another value, for dates and birth or death places."""
    disputes: dict[str, list[str]] = {}
    for claim in claims:
        kind = CLAIM_PROPERTIES[claim.property].value_kind
        if kind != "date" and claim.property not in ("birth_place", "death_place"):
            continue
        others = [
            other.key
            for other in claims
            if other.property == claim.property and other.value != claim.value
        ]
        if others:
            disputes[claim.key] = others
    return disputes


def _claim_value(
    builder: _Builder, claim: Claim, wikidata_property: str | None
) -> tuple[Value | None, str, str]:
    """The claim's published value as a Wikidata value, how we name it, and why there is no
    value when there is none."""
    if isinstance(claim.value, Ref):
        place = (
            published_place(claim.value, claim.privacy, builder.records)
            if claim.value.kind == "place"
            else claim.value
        )
        if place is None:
            return None, "(not published)", "a coarse claim on a city without a country"
        item = builder.item_of(place)
        if item is None:
            return None, str(place), f"{place} has no Wikidata ID"
        return ItemValue(item), f"{place} ({item})", ""
    if isinstance(claim.value, PartialDate):
        date = published_date(claim.value, claim.privacy) or claim.value
        if claim.approximate:
            return None, date.text, "an approximate date (Wikidata's 'circa' is not in our IDs)"
        return TimeValue(date), date.text, ""
    text = dict(claim.value).get("en") or claim.value[0][1]
    return None, text, f"{wikidata_property} takes an item, our value is text"


def _claim(builder: _Builder, claim: Claim, disputed_by: list[str]) -> None:
    origin = _origin("claim", builder.record, claim.key)
    wikidata_property = CLAIM_PROPERTIES[claim.property].wikidata_property
    value, our_value, reason = _claim_value(builder, claim, wikidata_property)
    if wikidata_property is None:
        reason = f"Wikidata has no property for {claim.property!r}"
    if wikidata_property is None or value is None:
        builder.unexpressible(origin, wikidata_property, our_value, reason, claim.cites, claim.line)
        return
    qualifiers, notes = builder.time_qualifiers(
        [
            (START_TIME, published_date(claim.date, claim.privacy)),
            (END_TIME, published_date(claim.end_date, claim.privacy)),
        ],
        claim.approximate,
    )
    builder.statement(
        origin,
        wikidata_property,
        value,
        our_value,
        qualifiers,
        claim.cites,
        claim.line,
        disputed_by=disputed_by,
        notes=notes,
    )


def _emigration(builder: _Builder, event: Emigration) -> None:
    record = builder.record
    origin = _origin("emigration", record, event.key)
    date = published_date(event.date, event.privacy)
    disputed_by = list(event.conflicts_with)
    destinations: list[Ref] = []
    for destination in event.destinations:
        place = published_place(destination, event.privacy, builder.records)
        if place is not None and place not in destinations:
            destinations.append(place)
    if record.kind != "person":
        for place in destinations:
            builder.unexpressible(
                origin,
                RESIDENCE,
                str(place),
                "residence (P551) is stated for people, not groups",
                event.cites,
                event.line,
            )
    else:
        for index, place in enumerate(destinations):
            item = builder.item_of(place)
            if item is None:
                builder.unexpressible(
                    origin,
                    RESIDENCE,
                    str(place),
                    f"{place} has no Wikidata ID",
                    event.cites,
                    event.line,
                )
                continue
            notes: list[str] = []
            qualifiers: list[Snak] = []
            if index == 0:
                qualifiers, notes = builder.time_qualifiers([(START_TIME, date)], event.approximate)
            elif date is not None:
                notes.append(
                    f"a later destination: the emigration date {date.text} is not its start"
                )
            builder.statement(
                origin,
                RESIDENCE,
                ItemValue(item),
                f"{place} ({item})",
                qualifiers,
                event.cites,
                event.line,
                disputed_by=disputed_by,
                notes=notes,
            )
    _event(builder, origin, "emigration", date, None, event.approximate, event.cites, event.line)


def _persecution(builder: _Builder, event: Persecution) -> None:
    origin = _origin("persecution", builder.record, event.key)
    _event(
        builder,
        origin,
        event.type,
        published_date(event.date, event.privacy),
        published_date(event.end_date, event.privacy),
        event.approximate,
        event.cites,
        event.line,
    )


def _event(
    builder: _Builder,
    origin: str,
    event_type: str,
    date: PartialDate | None,
    end: PartialDate | None,
    approximate: bool,
    cites: Sequence[Citation],
    line: int,
) -> None:
    """P793 "significant event" with the event's item, when the reference table has one."""
    when = f" ({date.text})" if date else ""
    our_value = f"{event_type}{when}"
    item = builder.settings.event_items.get(event_type)
    if item is None:
        builder.unexpressible(
            origin,
            SIGNIFICANT_EVENT,
            our_value,
            f"no checked Wikidata item for {event_type!r} in the reference table",
            cites,
            line,
        )
        return
    if end is None:
        pairs: list[tuple[str, PartialDate | None]] = [(POINT_IN_TIME, date)]
    else:
        pairs = [(START_TIME, date), (END_TIME, end)]
    qualifiers, notes = builder.time_qualifiers(pairs, approximate)
    builder.statement(
        origin, SIGNIFICANT_EVENT, ItemValue(item), our_value, qualifiers, cites, line, notes=notes
    )


def record_proposals(
    record: Record, records: Mapping[Ref, Record], settings: StatementSettings
) -> list[Proposal]:
    """Every published claim and event of a record as a statement or as unexpressible, in the
    record's order (claims, emigrations, persecutions). Withheld ones give nothing; quotes are
    not claims and are left out."""
    builder = _Builder(record, records, settings)
    claims = [claim for claim in record.claims if claim.privacy != "withheld"]
    disputes = _disputes(claims)
    for claim in claims:
        _claim(builder, claim, disputes.get(claim.key, []))
    for emigration in record.emigrations:
        if emigration.privacy != "withheld":
            _emigration(builder, emigration)
    for persecution in record.persecutions:
        if persecution.privacy != "withheld":
            _persecution(builder, persecution)
    return builder.proposals


def dataset_proposals(
    dataset: Dataset, settings: StatementSettings, kinds: Sequence[str] | None = None
) -> dict[Ref, list[Proposal]]:
    """The proposals of every record (of ``kinds``, default all) that has any, in dataset order."""
    records = dataset.by_ref()
    proposals: dict[Ref, list[Proposal]] = {}
    for record in dataset.records:
        if kinds is not None and record.kind not in kinds:
            continue
        found = record_proposals(record, records, settings)
        if found:
            proposals[record.ref] = found
    return proposals
