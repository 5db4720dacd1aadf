"""Our sourced claims against the statements Wikidata has, for every linked entity.

Each of our statements (``publisher.wikidata.statements``) gets one status:

- ``on-wikidata``: a statement of the property with the same value (a date at least as precise
  as ours and equal at our precision) that is not deprecated;
- ``conflicting``: the property takes one value (birth and death dates and places) and Wikidata
  has another, or Wikidata has our value deprecated;
- ``missing``: none of the above (a date Wikidata has only less precisely is missing too: ours
  says more);
- ``not-expressible``: no statement can say it (see ``Unexpressible``).

The link itself is checked too: an item merged into another (``redirected``), deleted
(``deleted``), one whose labels and aliases share no name key (``publisher.names``) with our
names (``label-mismatch``), and a person whose item is not an instance of human, or a
non-person whose item is (``type-mismatch``).

For statements Wikidata has, the diff also says which of our reference blocks it lacks (a block
is there when a reference of the statement has our URL, or our title) and which of our
qualifiers it lacks: what QuickStatements may still add.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from publisher.errors import EmigreError
from publisher.model.dates import PartialDate
from publisher.model.loader import load_dataset
from publisher.model.records import Dataset, Record, Ref
from publisher.model.reference import load_reference_table
from publisher.names import normalize_name
from publisher.wikidata.client import WikidataClient
from publisher.wikidata.entities import FetchedEntity, FetchState
from publisher.wikidata.entity_statements import (
    WikidataStatement,
    WikidataTime,
    WikidataValue,
    describe_wikidata_value,
    read_statements,
)
from publisher.wikidata.fetch import linked_ids
from publisher.wikidata.settings import WikidataSettings
from publisher.wikidata.statements import (
    HUMAN,
    INSTANCE_OF,
    REFERENCE_URL,
    SINGLE_VALUED,
    TITLE,
    Reference,
    Statement,
    StatementSettings,
    Unexpressible,
    dataset_proposals,
    event_items_from_reference,
)
from publisher.wikidata.values import (
    ItemValue,
    MonolingualValue,
    Snak,
    StringValue,
    TimeValue,
    Value,
)

DiffStatus = Literal["on-wikidata", "missing", "conflicting", "not-expressible"]
LinkProblemKind = Literal["redirected", "deleted", "label-mismatch", "type-mismatch"]
DIFF_STATUSES: tuple[DiffStatus, ...] = ("on-wikidata", "missing", "conflicting", "not-expressible")
LINK_PROBLEMS: tuple[LinkProblemKind, ...] = (
    "redirected",
    "deleted",
    "label-mismatch",
    "type-mismatch",
)


class DiffError(EmigreError):
    """The diff cannot run: an entity it needs was not fetched."""

    exit_code = 3


# --- comparing values -------------------------------------------------------------------------

Agreement = Literal["same", "coarser", "different"]
_OUR_PRECISION = {"year": 9, "month": 10, "day": 11}


def compare_dates(ours: TimeValue, theirs: WikidataTime) -> Agreement:
    """``same``: Wikidata's date is at least as precise and agrees at our precision;
    ``coarser``: it agrees at its own, lower precision; ``different`` otherwise.

    >>> from publisher.model.dates import PartialDate
    >>> day = WikidataTime(1991, 7, 28, 11, "+1991-07-28T00:00:00Z/11")
    >>> compare_dates(TimeValue(PartialDate.parse("1991")), day)
    'same'
    >>> compare_dates(TimeValue(PartialDate.parse("1992")), day)
    'different'
    >>> compare_dates(TimeValue(PartialDate.parse("1991-07-28")),
    ...               WikidataTime(1991, 0, 0, 9, "+1991-00-00T00:00:00Z/9"))
    'coarser'
    """
    date = ours.date
    ours_precision = _OUR_PRECISION[date.precision]
    parts = [int(part) for part in date.text.split("-")]
    year = parts[0]
    if theirs.precision < 9:
        # Decades (8), centuries (7), millennia (6): our year must fall in Wikidata's span.
        width = {8: 10, 7: 100, 6: 1000}.get(theirs.precision)
        if width is None:
            return "coarser"
        if width == 10:
            agrees = year // 10 == theirs.year // 10
        else:
            agrees = (year - 1) // width == (theirs.year - 1) // width
        return "coarser" if agrees else "different"
    theirs_parts = [theirs.year, theirs.month, theirs.day][: theirs.precision - 8]
    common = min(ours_precision, theirs.precision) - 8
    if parts[:common] != theirs_parts[:common]:
        return "different"
    return "same" if theirs.precision >= ours_precision else "coarser"


def compare_values(
    ours: Value, theirs: WikidataValue | None, redirects: Mapping[str, str]
) -> Agreement:
    """How Wikidata's value relates to ours (items compared after following merges)."""
    if theirs is None:
        return "different"
    if isinstance(ours, TimeValue):
        return compare_dates(ours, theirs) if isinstance(theirs, WikidataTime) else "different"
    if isinstance(ours, ItemValue) and isinstance(theirs, ItemValue):
        same = redirects.get(ours.item, ours.item) == redirects.get(theirs.item, theirs.item)
        return "same" if same else "different"
    if isinstance(ours, MonolingualValue) and isinstance(theirs, MonolingualValue):
        return "same" if ours == theirs else "different"
    if isinstance(ours, StringValue) and isinstance(theirs, StringValue):
        return "same" if ours.text == theirs.text else "different"
    return "different"


def reference_present(reference: Reference, statement: WikidataStatement) -> bool:
    """True when one of the statement's references cites the same source as ours: the same
    URL (S854), or the same title (S1476, case aside). Stricter than QuickStatements' own
    check (an identical block): a block that differs only in its retrieval date is not added
    again."""
    for block in statement.references:
        for snak in block:
            value = snak.value
            if (
                snak.property == REFERENCE_URL
                and reference.url
                and isinstance(value, StringValue)
                and value.text == reference.url
            ):
                return True
            if (
                snak.property == TITLE
                and isinstance(value, MonolingualValue)
                and value.text.casefold() == reference.title.casefold()
            ):
                return True
    return False


# --- the report -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkProblem:
    """Something wrong with the link of one record to its item."""

    kind: LinkProblemKind
    detail: str


@dataclass(frozen=True)
class ClaimDiff:
    """One of our statements (or unexpressible claims) against Wikidata."""

    subject: Ref
    item: str
    origin: str
    property: str | None
    status: DiffStatus
    our_value: str
    #: Wikidata's values of the property (with their rank when not normal).
    wikidata_values: tuple[str, ...]
    sources: tuple[Ref, ...]
    note: str = ""
    #: The statement (None when not expressible).
    statement: Statement | None = None
    #: Reference blocks Wikidata lacks: all of ours when missing, those the matching statement
    #: lacks when on Wikidata, none otherwise.
    references_to_add: tuple[Reference, ...] = ()
    #: Qualifiers to state with them (those the matching statement lacks when on Wikidata).
    qualifiers_to_add: tuple[Snak, ...] = ()
    #: The value's item has a link problem (the statement should wait until it is fixed).
    value_problem: str = ""
    line: int = 0


@dataclass(frozen=True)
class EntityDiff:
    """One linked record: its link problems and its claims against its item."""

    record: Ref
    name: str
    item: str
    state: FetchState
    #: The item the data belong to (the merge target when redirected).
    entity_id: str
    problems: tuple[LinkProblem, ...]
    claims: tuple[ClaimDiff, ...]


@dataclass(frozen=True)
class DiffReport:
    """Every linked record, in dataset order."""

    entities: tuple[EntityDiff, ...] = field(default=())

    def claims(self) -> list[ClaimDiff]:
        """Every claim row, in order."""
        return [claim for entity in self.entities for claim in entity.claims]


def _names(record: Record) -> Iterable[str]:
    for texts in (record.name, record.alternate_names, record.historical_names):
        for _, text in texts:
            yield text


def _wikidata_names(entity: Mapping[str, Any]) -> list[str]:
    names = [label.get("value", "") for label in (entity.get("labels") or {}).values()]
    for aliases in (entity.get("aliases") or {}).values():
        names.extend(alias.get("value", "") for alias in aliases)
    return [name for name in names if name]


def _item_values(statements: Sequence[WikidataStatement]) -> list[str]:
    return [
        statement.main.value.item
        for statement in statements
        if statement.rank != "deprecated" and isinstance(statement.main.value, ItemValue)
    ]


def link_problems(record: Record, fetched: FetchedEntity) -> list[LinkProblem]:
    """What is wrong with a record's link, judged from the fetched item."""
    if fetched.state == "missing" or fetched.data is None:
        return [LinkProblem("deleted", f"{fetched.requested_id} does not exist on Wikidata")]
    problems: list[LinkProblem] = []
    if fetched.state == "redirected":
        problems.append(
            LinkProblem(
                "redirected",
                f"{fetched.requested_id} was merged into {fetched.entity_id}: link "
                f"{fetched.entity_id} (reference table and record) after checking it",
            )
        )
    entity = fetched.data
    theirs = _wikidata_names(entity)
    if theirs:
        our_keys = set().union(*(normalize_name(name) for name in _names(record)))
        their_keys = set().union(*(normalize_name(name) for name in theirs))
        if not our_keys & their_keys:
            shown = ", ".join(sorted(set(theirs))[:5])
            problems.append(
                LinkProblem(
                    "label-mismatch",
                    f"none of our names matches a label or alias of {fetched.entity_id} ({shown})",
                )
            )
    classes = _item_values(read_statements(entity, INSTANCE_OF))
    if record.kind == "person" and HUMAN not in classes:
        shown = ", ".join(classes) or "none"
        problems.append(
            LinkProblem(
                "type-mismatch",
                f"{fetched.entity_id} is not an instance of human (P31 {HUMAN}); P31: {shown}",
            )
        )
    elif record.kind != "person" and HUMAN in classes:
        problems.append(
            LinkProblem(
                "type-mismatch",
                f"{fetched.entity_id} is a human (P31 {HUMAN}), our record is a {record.kind}",
            )
        )
    return problems


def _describe(statement: WikidataStatement) -> str:
    shown = describe_wikidata_value(statement.main)
    return shown if statement.rank == "normal" else f"{shown} ({statement.rank})"


def compare_statement(
    statement: Statement,
    item: str,
    entity: Mapping[str, Any],
    redirects: Mapping[str, str],
) -> ClaimDiff:
    """One of our statements against the item's statements of the same property."""
    theirs = read_statements(entity, statement.property)
    agreements = [
        (candidate, compare_values(statement.value, candidate.main.value, redirects))
        if candidate.main.snaktype == "value"
        else (candidate, "different")
        for candidate in theirs
    ]
    active = [(c, a) for c, a in agreements if c.rank != "deprecated"]
    valued = [(c, a) for c, a in active if c.main.snaktype != "somevalue"]
    same = [c for c, a in active if a == "same"]
    base = ClaimDiff(
        subject=statement.subject,
        item=item,
        origin=statement.origin,
        property=statement.property,
        status="missing",
        our_value=statement.our_value,
        wikidata_values=tuple(_describe(c) for c in theirs),
        sources=statement.sources,
        statement=statement,
        line=statement.line,
    )
    notes = list(statement.notes)
    if statement.disputed_by:
        notes.append("our sources disagree: " + ", ".join(statement.disputed_by))
    if same:
        match = same[0]
        qualifiers, qualifier_notes = _qualifiers_to_add(statement.qualifiers, match, redirects)
        notes.extend(qualifier_notes)
        missing_refs = tuple(r for r in statement.references if not reference_present(r, match))
        return _with(
            base,
            status="on-wikidata",
            references_to_add=missing_refs,
            qualifiers_to_add=qualifiers if missing_refs else (),
            notes=notes,
        )
    if any(a == "same" for c, a in agreements if c.rank == "deprecated"):
        notes.append("Wikidata has this value deprecated")
        return _with(base, status="conflicting", notes=notes)
    coarser = [c for c, a in valued if a == "coarser"]
    different = [c for c, a in valued if a == "different"]
    if statement.property in SINGLE_VALUED and different:
        return _with(base, status="conflicting", notes=notes)
    if coarser:
        notes.append("Wikidata has it less precisely: " + ", ".join(_describe(c) for c in coarser))
    return _with(
        base,
        status="missing",
        references_to_add=statement.references,
        qualifiers_to_add=statement.qualifiers,
        notes=notes,
    )


def _with(
    base: ClaimDiff, *, status: DiffStatus, notes: Sequence[str], **changes: Any
) -> ClaimDiff:
    return replace(base, status=status, note="; ".join(notes), **changes)


def _qualifiers_to_add(
    ours: Sequence[Snak], statement: WikidataStatement, redirects: Mapping[str, str]
) -> tuple[tuple[Snak, ...], list[str]]:
    """Our qualifiers the statement lacks; one it has with another value is not added twice."""
    add: list[Snak] = []
    notes: list[str] = []
    for snak in ours:
        existing = [q for q in statement.qualifiers if q.property == snak.property]
        if not existing:
            add.append(snak)
            continue
        agreements = [compare_values(snak.value, q.value, redirects) for q in existing]
        if "same" not in agreements and "coarser" not in agreements:
            shown = ", ".join(describe_wikidata_value(q) for q in existing)
            notes.append(f"Wikidata's {snak.property} qualifier is {shown}")
    return tuple(add), notes


def _unexpressible_diff(proposal: Unexpressible, item: str) -> ClaimDiff:
    return ClaimDiff(
        subject=proposal.subject,
        item=item,
        origin=proposal.origin,
        property=proposal.property,
        status="not-expressible",
        our_value=proposal.our_value,
        wikidata_values=(),
        sources=proposal.sources,
        note=proposal.reason,
        line=proposal.line,
    )


def diff_dataset(
    dataset: Dataset,
    fetched: Mapping[str, FetchedEntity],
    settings: StatementSettings | None = None,
) -> DiffReport:
    """Compare every linked record with its fetched item.

    ``fetched`` must hold every ID the records link to (``linked_ids``): subjects, and the
    items of values (places, occupations) so that merges and deletions of those are seen too.
    """
    settings = settings or StatementSettings()
    linked = [record for record in dataset.records if record.wikidata]
    absent = sorted({r.wikidata for r in linked if r.wikidata not in fetched}, key=str)
    if absent:
        raise DiffError(f"no fetched Wikidata entity for {', '.join(map(str, absent))}")
    redirects = {
        entity_id: entity.entity_id
        for entity_id, entity in fetched.items()
        if entity.state == "redirected"
    }
    problems_by_item: dict[str, list[LinkProblem]] = {}
    for record in linked:
        assert record.wikidata is not None
        problems_by_item[record.wikidata] = link_problems(record, fetched[record.wikidata])
    proposals = dataset_proposals(dataset, settings)
    entities: list[EntityDiff] = []
    for record in linked:
        assert record.wikidata is not None
        entity = fetched[record.wikidata]
        claims: list[ClaimDiff] = []
        if entity.state != "missing" and entity.data is not None:
            for proposal in proposals.get(record.ref, []):
                if isinstance(proposal, Unexpressible):
                    claims.append(_unexpressible_diff(proposal, record.wikidata))
                    continue
                claim = compare_statement(proposal, record.wikidata, entity.data, redirects)
                if isinstance(proposal.value, ItemValue):
                    value_problems = problems_by_item.get(proposal.value.item, [])
                    if value_problems:
                        detail = "; ".join(f"{p.kind}: {p.detail}" for p in value_problems)
                        claim = replace(claim, value_problem=detail)
                claims.append(claim)
        entities.append(
            EntityDiff(
                record=record.ref,
                name=record.english_name(),
                item=record.wikidata,
                state=entity.state,
                entity_id=entity.entity_id,
                problems=tuple(problems_by_item[record.wikidata]),
                claims=tuple(claims),
            )
        )
    return DiffReport(tuple(entities))


@dataclass(frozen=True)
class DiffRun:
    """A diff of the records in a data directory: the records, the settings their statements
    were made with, and the report."""

    dataset: Dataset
    settings: StatementSettings
    report: DiffReport


def run_diff(
    wikidata: WikidataSettings,
    data_dir: Path,
    reference_table: Path,
    *,
    retrieved: PartialDate | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DiffRun:
    """Load the records, fetch (or read from the cache) every item they link to, and diff.

    ``retrieved`` is the date our sources were read (S813 on references with a URL). Raises
    DataErrors for bad records, WikidataError when Wikidata (or the cache, offline) cannot
    answer.
    """
    with WikidataClient(wikidata, sleep=sleep) as client:  # refuses bad settings before loading
        reference = load_reference_table(reference_table)
        dataset = load_dataset(data_dir, reference, workers=1)
        fetched = client.get_entities(linked_ids(dataset))
    settings = StatementSettings(
        retrieved=retrieved, event_items=event_items_from_reference(reference)
    )
    return DiffRun(dataset, settings, diff_dataset(dataset, fetched, settings))


# --- rendering --------------------------------------------------------------------------------

TSV_COLUMNS = (
    "record",
    "item",
    "check",
    "status",
    "origin",
    "property",
    "ours",
    "wikidata",
    "sources",
    "note",
)


def _cell(text: str) -> str:
    return re.sub(r"[\t\r\n]+", " ", text)


def render_diff_tsv(report: DiffReport) -> str:
    """The report as TSV: one row per link problem (``check`` = link), one per claim."""
    rows = ["\t".join(TSV_COLUMNS)]
    for entity in report.entities:
        for problem in entity.problems:
            rows.append(
                "\t".join(
                    _cell(cell)
                    for cell in (
                        str(entity.record),
                        entity.item,
                        "link",
                        problem.kind,
                        "",
                        "",
                        entity.name,
                        entity.entity_id,
                        "",
                        problem.detail,
                    )
                )
            )
        for claim in entity.claims:
            note = "; ".join(n for n in (claim.note, claim.value_problem) if n)
            rows.append(
                "\t".join(
                    _cell(cell)
                    for cell in (
                        str(entity.record),
                        entity.item,
                        "claim",
                        claim.status,
                        claim.origin,
                        claim.property or "",
                        claim.our_value,
                        " | ".join(claim.wikidata_values),
                        " ".join(str(source) for source in claim.sources),
                        note,
                    )
                )
            )
    return "\n".join(rows) + "\n"


def diff_as_json(report: DiffReport) -> dict[str, Any]:
    """The report as a JSON-ready dict (entities, their problems and claims, and counts)."""
    counts = {status: 0 for status in DIFF_STATUSES}
    problem_counts = {kind: 0 for kind in LINK_PROBLEMS}
    entities = []
    for entity in report.entities:
        for problem in entity.problems:
            problem_counts[problem.kind] += 1
        claims = []
        for claim in entity.claims:
            counts[claim.status] += 1
            claims.append(
                {
                    "origin": claim.origin,
                    "property": claim.property,
                    "status": claim.status,
                    "ours": claim.our_value,
                    "wikidata": list(claim.wikidata_values),
                    "sources": [str(source) for source in claim.sources],
                    "note": claim.note,
                    "value_problem": claim.value_problem,
                    "references_to_add": [str(r.source) for r in claim.references_to_add],
                }
            )
        entities.append(
            {
                "record": str(entity.record),
                "name": entity.name,
                "item": entity.item,
                "state": entity.state,
                "entity_id": entity.entity_id,
                "problems": [{"kind": p.kind, "detail": p.detail} for p in entity.problems],
                "claims": claims,
            }
        )
    return {"claims": counts, "link_problems": problem_counts, "entities": entities}


def render_diff_json(report: DiffReport) -> str:
    """The report as JSON text (stable key order, UTF-8 kept)."""
    return json.dumps(diff_as_json(report), ensure_ascii=False, indent=2) + "\n"


def render_diff_summary(report: DiffReport) -> str:
    """A short text for the terminal: counts, then every link problem and every conflict."""
    data = diff_as_json(report)
    lines = [f"Linked entities: {len(report.entities)}", "Claims:"]
    lines.extend(f"  {status:<16}{count:>6}" for status, count in data["claims"].items())
    lines.append("Link problems:")
    lines.extend(f"  {kind:<16}{count:>6}" for kind, count in data["link_problems"].items())
    for entity in report.entities:
        for problem in entity.problems:
            lines.append(f"{entity.record} ({entity.item}): {problem.kind}: {problem.detail}")
        for claim in entity.claims:
            if claim.status == "conflicting":
                theirs = ", ".join(claim.wikidata_values)
                lines.append(
                    f"{entity.record} ({entity.item}): conflicting {claim.property}: ours "
                    f"{claim.our_value}, Wikidata {theirs} ({claim.origin})"
                )
    return "\n".join(lines) + "\n"
