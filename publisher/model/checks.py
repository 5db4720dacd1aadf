"""Checks across records: references resolve, slugs and IDs are unique, nothing withheld leaks.

They run after every file parsed, so one pass reports every problem of the whole data set.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from publisher.errors import DataError, Location
from publisher.iris import node_slug
from publisher.model.records import Claim, Emigration, Persecution, Quote, Record, Ref
from publisher.model.reference import LINK_STATE_BY_STATUS, ReferenceEntry


def _error(record: Record, line: int, message: str) -> DataError:
    return DataError(Location(record.path, line, record.slug), message)


def record_references(record: Record) -> Iterator[tuple[int, str, Ref]]:
    """Every reference a record makes: (line, field, target)."""
    for field, ref in (("country", record.country), ("author", record.author)):
        if ref:
            yield record.line, field, ref
    for ref in record.creators:
        yield record.line, "creators", ref
    for claim in record.claims:
        if isinstance(claim.value, Ref):
            yield claim.line, f"claim {claim.key!r}: value", claim.value
    for emigration in record.emigrations:
        what = f"emigration {emigration.key!r}"
        for ref in emigration.destinations:
            yield emigration.line, f"{what}: to", ref
        for field, maybe in (("from", emigration.origin), ("wave", emigration.wave)):
            if maybe:
                yield emigration.line, f"{what}: {field}", maybe
    for persecution in record.persecutions:
        what = f"persecution {persecution.key!r}"
        for field, maybe in (("actor", persecution.actor), ("work", persecution.work)):
            if maybe:
                yield persecution.line, f"{what}: {field}", maybe
        for ref in persecution.supporters:
            yield persecution.line, f"{what}: supporters", ref
    for quote in record.quotes:
        yield quote.line, f"quote {quote.key!r}: source", quote.source
    items: tuple[Claim | Emigration | Persecution, ...] = (
        *record.claims,
        *record.emigrations,
        *record.persecutions,
    )
    for item in items:
        for cite in item.cites:
            yield cite.line, "cite.source", cite.source


def referenced(record: Record) -> list[Ref]:
    """The records ``record`` refers to, some maybe more than once.

    The targets of ``record_references`` without their places, found faster: this runs for
    every record of every build.
    """
    refs: list[Ref] = [*record.creators]
    if record.country:
        refs.append(record.country)
    if record.author:
        refs.append(record.author)
    for claim in record.claims:
        if isinstance(claim.value, Ref):
            refs.append(claim.value)
        refs += [cite.source for cite in claim.cites]
    for emigration in record.emigrations:
        refs += emigration.destinations
        if emigration.origin:
            refs.append(emigration.origin)
        if emigration.wave:
            refs.append(emigration.wave)
        refs += [cite.source for cite in emigration.cites]
    for persecution in record.persecutions:
        if persecution.actor:
            refs.append(persecution.actor)
        if persecution.work:
            refs.append(persecution.work)
        refs += persecution.supporters
        refs += [cite.source for cite in persecution.cites]
    refs += [quote.source for quote in record.quotes]
    return refs


def check_unique_slugs(records: list[Record]) -> list[DataError]:
    """Two records of one kind may not share a slug (the IRI would be the same)."""
    errors: list[DataError] = []
    first: dict[tuple[str, str], Record] = {}
    for record in records:
        other = first.setdefault((record.kind, record.slug), record)
        if other is not record:
            errors.append(
                _error(record, record.line, f"duplicate slug {record.ref}: also in {other.path}")
            )
    return errors


def check_references(records: list[Record]) -> list[DataError]:
    """Every ``kind/slug`` must name a record that exists."""
    known = {(record.kind, record.slug) for record in records}
    # Name the places only in the records that have an unknown reference.
    return [
        _error(record, line, f"{field}: unknown reference {ref}")
        for record in records
        if not all((ref.kind, ref.slug) in known for ref in referenced(record))
        for line, field, ref in record_references(record)
        if (ref.kind, ref.slug) not in known
    ]


def apply_link_states(
    records: list[Record], reference: dict[str, ReferenceEntry]
) -> tuple[list[Record], list[DataError]]:
    """Derive each record's Wikidata link state from the reference table.

    An ID must be in the table (verified or single-source) and may be used by one record only;
    another record's ID is no possible match (``wikidata_candidates``) of a record.
    """
    errors: list[DataError] = []
    used: dict[str, Record] = {}
    linked: list[Record] = []
    for record in records:
        if record.wikidata is None:
            linked.append(record)
            continue
        entry = reference.get(record.wikidata)
        if entry is None:
            errors.append(
                _error(
                    record,
                    record.line,
                    f"wikidata: {record.wikidata} is not in the reference table of checked IDs "
                    "(reference/wikidata-ids.tsv); remove it and leave the entity pending",
                )
            )
            linked.append(dataclasses.replace(record, wikidata=None))
            continue
        other = used.setdefault(record.wikidata, record)
        if other is not record:
            errors.append(
                _error(
                    record, record.line, f"wikidata: {record.wikidata} is also used by {other.ref}"
                )
            )
        state = LINK_STATE_BY_STATUS[entry.status]
        linked.append(dataclasses.replace(record, link_state=state))
    for record in linked:
        for candidate in record.wikidata_candidates:
            if candidate in used:
                errors.append(
                    _error(
                        record,
                        record.line,
                        f"wikidata_candidates: {candidate} is the checked ID of "
                        f"{used[candidate].ref}, not a possible match of this record",
                    )
                )
    return linked, errors


def check_node_slugs(records: list[Record]) -> list[DataError]:
    """Events and claims get IRIs from record slug and key; two may not collide."""
    errors: list[DataError] = []
    seen: dict[tuple[str, str], Record] = {}
    for record in records:
        groups: list[tuple[str, tuple[Claim | Emigration | Persecution | Quote, ...]]] = [
            ("claim", record.claims),
            ("emigration", record.emigrations),
            ("persecution", record.persecutions),
            ("quotation", record.quotes),
        ]
        for node_kind, items in groups:
            for item in items:
                slot = (node_kind, node_slug(record.slug, item.key))
                other = seen.setdefault(slot, record)
                if other is not record:
                    errors.append(
                        _error(
                            record,
                            item.line,
                            f"{node_kind} IRI {slot[1]} collides with {other.ref}",
                        )
                    )
    return errors


def check_withheld_leaks(records: list[Record]) -> list[DataError]:
    """A withheld detail must not reappear in what is published about the same record.

    A withheld claim or event names a place or a date; if a public excerpt or quote of the same
    record spells that place's name or that date, publishing the excerpt would publish the
    withheld detail.
    """
    by_ref: dict[Ref, Record] = {}
    errors: list[DataError] = []
    for record in records:
        if not _withholds(record):
            continue
        by_ref = by_ref or {other.ref: other for other in records}  # once, if ever
        withheld: list[tuple[int, str, list[str]]] = []
        published_texts: list[str] = []
        for claim in record.claims:
            secrets: list[str] = []
            if isinstance(claim.value, Ref) and claim.value in by_ref:
                target = by_ref[claim.value]
                secrets.extend(text for _, text in (*target.name, *target.alternate_names))
            for date in (claim.date, claim.end_date):
                if date and date.precision != "year":
                    secrets.append(date.text)
            if claim.privacy == "withheld":
                withheld.append((claim.line, f"claim {claim.key!r}", secrets))
            else:
                published_texts.extend(cite.excerpt for cite in claim.cites)
        for emigration in record.emigrations:
            if emigration.privacy == "withheld":
                secrets = []
                for ref in (*emigration.destinations, emigration.origin):
                    if ref and ref in by_ref:
                        secrets.extend(text for _, text in by_ref[ref].name)
                withheld.append((emigration.line, f"emigration {emigration.key!r}", secrets))
            else:
                published_texts.extend(cite.excerpt for cite in emigration.cites)
        for persecution in record.persecutions:
            if persecution.privacy != "withheld":
                published_texts.extend(cite.excerpt for cite in persecution.cites)
        published_texts.extend(text for quote in record.quotes for _, text in quote.text)
        haystack = "\n".join(published_texts).casefold()
        for line, what, secrets in withheld:
            for secret in secrets:
                if len(secret) >= 3 and secret.casefold() in haystack:
                    errors.append(
                        _error(
                            record,
                            line,
                            f"{what} is withheld, but {secret!r} appears in a published excerpt "
                            "or quote of this record: it would leak",
                        )
                    )
                    break
    return errors


def _withholds(record: Record) -> bool:
    """Whether a record has a withheld claim or emigration (most have none: nothing can leak)."""
    for claim in record.claims:
        if claim.privacy == "withheld":
            return True
    return any(emigration.privacy == "withheld" for emigration in record.emigrations)
