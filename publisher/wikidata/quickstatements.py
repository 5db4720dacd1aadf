"""QuickStatements for what Wikidata lacks of our sourced claims, in the V1 (tab) and CSV formats.

What is written (from the diff, ``publisher.wikidata.diff``):

- a statement Wikidata lacks (``missing``): one line per source citing it, each with the
  statement's qualifiers and ONE reference block. QuickStatements adds the statement with the
  first line and merges the next ones into it (a statement with the same property and value),
  adding their reference blocks; several ``S`` pairs on one V1 line would become one block.
- a statement Wikidata has (``on-wikidata``): one line per source none of its references cites
  (same URL, or same title), with the qualifiers it lacks. Nothing when every source is there.
- never: a conflicting value, a claim our own sources disagree on, a statement whose value item
  has a link problem, anything on an item with a link problem, a statement without a source
  Wikidata accepts (Wikipedia is not one), a withheld claim, a coarse one beyond the year or
  country it is published at, and a CREATE unless a curator names the person (``create``), who
  must be recorded as checked and absent from Wikidata (``link_state: no-item``).

Syntax (checked against the parsers of QuickStatements 3 and Magnus Manske's QuickStatements):
values are items (``Q64``), times ``+2022-03-00T00:00:00Z/10`` (precision 9 year, 10 month,
11 day; missing parts zero; Gregorian), strings ``"..."`` and monolingual texts ``en:"..."``.
Both parsers take everything between the first and the last double quote, so double quotes
inside a string are written as they are; tabs and line breaks (the separators) become spaces.
A ``|`` is kept: it separates columns only in input without any tab, and every line here has
tabs. In CSV, uppercase ``S`` starts a reference block and lowercase ``s`` continues it; empty
cells are skipped (QuickStatements 3; the legacy tool's CSV import does not skip them, use V1
there), so statements of different shapes share one header, one group of columns per property.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from publisher.errors import EmigreError
from publisher.model.records import Dataset, LangText, Record, Ref
from publisher.wikidata.diff import DiffReport
from publisher.wikidata.statements import (
    AUTHOR,
    AUTHOR_NAME_STRING,
    HUMAN,
    INSTANCE_OF,
    PUBLICATION_DATE,
    REFERENCE_URL,
    RETRIEVED,
    TITLE,
    Reference,
    Statement,
    StatementSettings,
    record_proposals,
)
from publisher.wikidata.values import (
    ItemValue,
    MonolingualValue,
    Snak,
    StringValue,
    TimeValue,
    Value,
)

#: The order of a reference block's properties (title first: every block has one, so it can
#: start the block in CSV).
REFERENCE_ORDER = (TITLE, AUTHOR, AUTHOR_NAME_STRING, PUBLICATION_DATE, REFERENCE_URL, RETRIEVED)
_PRECISION = {"year": 9, "month": 10, "day": 11}
_SEPARATORS = re.compile(r"[\t\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")


class QuickStatementsError(EmigreError):
    """A request the writer refuses: a CREATE the curator's flag cannot justify."""

    exit_code = 2


@dataclass(frozen=True)
class QuickStatement:
    """One statement command: the item (``Q…`` or ``LAST``), property, value, qualifiers and
    one reference block."""

    item: str
    property: str
    value: Value
    qualifiers: tuple[Snak, ...]
    reference: Reference
    #: Which of our records and claims it comes from (for reports, not written).
    record: Ref
    origin: str


@dataclass(frozen=True)
class ItemCreation:
    """A CREATE for one person, with the labels, descriptions and aliases of the new item; its
    statements follow as ``LAST`` commands."""

    record: Ref
    labels: LangText
    descriptions: LangText
    aliases: LangText
    statements: tuple[QuickStatement, ...]


@dataclass(frozen=True)
class Skipped:
    """Something that could have been stated and was not, and why."""

    record: Ref
    origin: str
    property: str | None
    reason: str


@dataclass(frozen=True)
class QuickStatementsPlan:
    """Everything to write, in order, and everything left out."""

    edits: tuple[QuickStatement, ...]
    creations: tuple[ItemCreation, ...]
    skipped: tuple[Skipped, ...]
    #: How many of our claims no statement can express (the diff lists them).
    not_expressible: int


# --- planning ---------------------------------------------------------------------------------


def _commands(
    statement: Statement,
    item: str,
    references: Sequence[Reference],
    qualifiers: Sequence[Snak],
) -> list[QuickStatement]:
    return [
        QuickStatement(
            item,
            statement.property,
            statement.value,
            tuple(qualifiers),
            reference,
            statement.subject,
            statement.origin,
        )
        for reference in references
    ]


def _unusable(statement: Statement) -> str:
    reasons = "; ".join(f"{ref}: {why}" for ref, why in statement.unusable_sources)
    return "no source Wikidata accepts" + (f" ({reasons})" if reasons else "")


def _blocked(statement: Statement) -> str:
    """Why a statement of ours must not be written whatever Wikidata has, or ''."""
    if statement.disputed_by:
        return "our sources disagree (" + ", ".join(statement.disputed_by) + ")"
    if not statement.references:
        return _unusable(statement)
    return ""


def _creation(
    record: Record,
    records: Mapping[Ref, Record],
    settings: StatementSettings,
    problem_items: Mapping[str, str],
    skipped: list[Skipped],
) -> ItemCreation:
    if record.kind != "person":
        raise QuickStatementsError(f"--create {record.ref}: only people are created")
    if record.wikidata:
        raise QuickStatementsError(
            f"--create {record.ref}: it is linked to {record.wikidata}; nothing to create"
        )
    if record.link_state != "no-item":
        raise QuickStatementsError(
            f"--create {record.ref}: {record.path}: record it as checked and absent from "
            "Wikidata first (link_state: no-item), so that no duplicate item is created"
        )
    statements: list[QuickStatement] = []
    sources: dict[Ref, Reference] = {}
    for proposal in record_proposals(record, records, settings):
        if not isinstance(proposal, Statement):
            continue
        reason = _blocked(proposal)
        if not reason and isinstance(proposal.value, ItemValue):
            reason = problem_items.get(proposal.value.item, "")
        if reason:
            skipped.append(Skipped(record.ref, proposal.origin, proposal.property, reason))
            continue
        statements.extend(_commands(proposal, "LAST", proposal.references, proposal.qualifiers))
        for reference in proposal.references:
            sources.setdefault(reference.source, reference)
    if not sources:
        raise QuickStatementsError(
            f"--create {record.ref}: no claim of it has a source Wikidata accepts"
        )
    # Every source that says anything about the person says it of a human.
    human = [
        QuickStatement("LAST", INSTANCE_OF, ItemValue(HUMAN), (), reference, record.ref, "record")
        for reference in sources.values()
    ]
    labels = {language for language, _ in record.name}
    aliases = tuple(
        (language, text)
        for language, text in record.alternate_names
        if (language, text) not in record.name and language in labels
    )
    return ItemCreation(
        record.ref, record.name, record.description, aliases, tuple(human + statements)
    )


def plan_quickstatements(
    dataset: Dataset,
    report: DiffReport,
    settings: StatementSettings | None = None,
    create: Iterable[Ref] = (),
) -> QuickStatementsPlan:
    """What to write: the statements and references Wikidata lacks (``report``), and a CREATE
    for each person in ``create``. Records without a link that have something to state are
    listed in ``skipped``."""
    settings = settings or StatementSettings()
    records = dataset.by_ref()
    wanted = list(dict.fromkeys(create))
    for ref in wanted:
        if ref not in records:
            raise QuickStatementsError(f"--create {ref}: no such record")
    edits: list[QuickStatement] = []
    skipped: list[Skipped] = []
    not_expressible = 0
    problem_items = {
        entity.item: "the value's item has a link problem: "
        + "; ".join(f"{p.kind}: {p.detail}" for p in entity.problems)
        for entity in report.entities
        if entity.problems
    }
    for entity in report.entities:
        if entity.problems:
            reason = "; ".join(f"{p.kind}: {p.detail}" for p in entity.problems)
            skipped.append(Skipped(entity.record, "", None, f"link problem: {reason}"))
            not_expressible += sum(c.status == "not-expressible" for c in entity.claims)
            continue
        for claim in entity.claims:
            statement = claim.statement
            if claim.status == "not-expressible" or statement is None:
                not_expressible += 1
                continue
            reason = _blocked(statement) if claim.status != "on-wikidata" else ""
            if claim.status == "conflicting":
                theirs = ", ".join(claim.wikidata_values)
                reason = f"Wikidata has {theirs}" + (f" ({claim.note})" if claim.note else "")
            elif statement.disputed_by:
                reason = _blocked(statement)
            elif claim.value_problem:
                reason = f"the value's item has a link problem: {claim.value_problem}"
            if reason:
                skipped.append(Skipped(claim.subject, claim.origin, claim.property, reason))
                continue
            edits.extend(
                _commands(statement, entity.item, claim.references_to_add, claim.qualifiers_to_add)
            )
    creations: list[ItemCreation] = []
    create_set = set(wanted)
    for record in dataset.records:
        if record.ref in create_set:
            creations.append(_creation(record, records, settings, problem_items, skipped))
            continue
        if record.wikidata:
            continue
        proposals = record_proposals(record, records, settings)
        not_expressible += sum(not isinstance(p, Statement) for p in proposals)
        if any(isinstance(p, Statement) and p.references for p in proposals):
            hint = (
                "; or, once checked absent, record link_state: no-item and name it with --create"
                if record.kind == "person"
                else ""
            )
            skipped.append(Skipped(record.ref, "", None, f"no Wikidata link (reconcile it{hint})"))
    return QuickStatementsPlan(
        tuple(_unique(edits)), tuple(creations), tuple(skipped), not_expressible
    )


def _unique(commands: Iterable[QuickStatement]) -> list[QuickStatement]:
    """Commands without repeats (two claims of ours can make the same line)."""
    seen: set[tuple[object, ...]] = set()
    unique: list[QuickStatement] = []
    for command in commands:
        key = (
            command.item,
            command.property,
            command.value,
            command.qualifiers,
            command.reference.snaks,
        )
        if key not in seen:
            seen.add(key)
            unique.append(command)
    return unique


# --- values in QuickStatements syntax ---------------------------------------------------------


def quote(text: str) -> str:
    """A string value: in double quotes, separators (tab, line breaks) as spaces.

    >>> quote('Say "hi"\\tthere ')
    '"Say "hi" there"'
    """
    return '"' + _SEPARATORS.sub(" ", text).strip() + '"'


def format_time(value: TimeValue) -> str:
    """A date as a QuickStatements time: missing parts zero, precision 9, 10 or 11.

    >>> from publisher.model.dates import PartialDate
    >>> format_time(TimeValue(PartialDate.parse("2022-03")))
    '+2022-03-00T00:00:00Z/10'
    >>> format_time(TimeValue(PartialDate.parse("1961")))
    '+1961-00-00T00:00:00Z/9'
    """
    date = value.date
    parts = [*date.text.split("-"), "00", "00"][:3]
    return f"+{parts[0]}-{parts[1]}-{parts[2]}T00:00:00Z/{_PRECISION[date.precision]}"


def format_value(value: Value) -> str:
    """A value in QuickStatements syntax (the same in V1 and CSV cells)."""
    if isinstance(value, ItemValue):
        return value.item
    if isinstance(value, TimeValue):
        return format_time(value)
    if isinstance(value, MonolingualValue):
        return f"{value.language}:{quote(value.text)}"
    assert isinstance(value, StringValue)
    return quote(value.text)


def _reference_snaks(reference: Reference) -> list[Snak]:
    """The block's snaks in ``REFERENCE_ORDER`` (others after, by property number)."""
    rank = {prop: index for index, prop in enumerate(REFERENCE_ORDER)}
    return sorted(
        reference.snaks,
        key=lambda snak: (rank.get(snak.property, len(rank)), int(snak.property[1:])),
    )


# --- V1 ---------------------------------------------------------------------------------------


def v1_line(command: QuickStatement) -> str:
    """One V1 command: item, property, value, qualifier pairs, then the reference's pairs."""
    cells = [command.item, command.property, format_value(command.value)]
    for snak in command.qualifiers:
        cells += [snak.property, format_value(snak.value)]
    for snak in _reference_snaks(command.reference):
        cells += ["S" + snak.property[1:], format_value(snak.value)]
    return "\t".join(cells)


def _term_lines(creation: ItemCreation) -> list[str]:
    lines = ["CREATE"]
    lines += [f"LAST\tL{language}\t{quote(text)}" for language, text in creation.labels]
    lines += [f"LAST\tD{language}\t{quote(text)}" for language, text in creation.descriptions]
    lines += [f"LAST\tA{language}\t{quote(text)}" for language, text in creation.aliases]
    return lines


def render_v1(plan: QuickStatementsPlan) -> str:
    """The plan in the V1 format: one command a line, tab-separated, CREATE blocks last."""
    lines = [v1_line(command) for command in plan.edits]
    for creation in plan.creations:
        lines += _term_lines(creation)
        lines += [v1_line(command) for command in creation.statements]
    return "".join(line + "\n" for line in lines)


# --- CSV --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Group:
    """The columns one property's statements share: the property, its qualifiers, its
    reference properties (the first starts the block: ``S``, the others continue: ``s``)."""

    property: str
    qualifiers: tuple[str, ...]
    references: tuple[str, ...]

    def header(self) -> list[str]:
        cells = [self.property] + ["qal" + prop[1:] for prop in self.qualifiers]
        return cells + [
            ("S" if index == 0 else "s") + prop[1:] for index, prop in enumerate(self.references)
        ]

    def cells(self, command: QuickStatement) -> list[str]:
        qualifiers = {snak.property: snak for snak in command.qualifiers}
        snaks = {snak.property: snak for snak in command.reference.snaks}
        if len(qualifiers) != len(command.qualifiers) or self.references[0] not in snaks:
            raise ValueError(f"{command.origin}: a statement the CSV layout cannot hold")
        row = [format_value(command.value)]
        row += [
            format_value(qualifiers[p].value) if p in qualifiers else "" for p in self.qualifiers
        ]
        return row + [format_value(snaks[p].value) if p in snaks else "" for p in self.references]


def _groups(commands: Sequence[QuickStatement]) -> dict[str, _Group]:
    qualifiers: dict[str, set[str]] = {}
    references: dict[str, set[str]] = {}
    for command in commands:
        qualifiers.setdefault(command.property, set()).update(
            s.property for s in command.qualifiers
        )
        references.setdefault(command.property, set()).update(
            s.property for s in command.reference.snaks
        )
    rank = {prop: index for index, prop in enumerate(REFERENCE_ORDER)}
    return {
        prop: _Group(
            prop,
            tuple(sorted(qualifiers[prop], key=lambda p: int(p[1:]))),
            tuple(sorted(references[prop], key=lambda p: (rank.get(p, len(rank)), int(p[1:])))),
        )
        for prop in sorted(qualifiers, key=lambda p: int(p[1:]))
    }


def render_csv(plan: QuickStatementsPlan) -> str:
    """The plan in the CSV format: header ``qid,…``, one row per command; a CREATE is a row
    with an empty ``qid`` and the new item's labels, descriptions and aliases, its statements
    follow as rows of ``LAST``."""
    commands = list(plan.edits)
    for creation in plan.creations:
        commands.extend(creation.statements)
    groups = _groups(commands)
    term_columns: list[str] = []
    for creation in plan.creations:
        for prefix, texts in (
            ("L", creation.labels),
            ("D", creation.descriptions),
            ("A", creation.aliases),
        ):
            columns = [prefix + language for language, _ in texts]
            for column in dict.fromkeys(columns):
                needed = columns.count(column) - term_columns.count(column)
                term_columns.extend([column] * max(needed, 0))
    term_columns.sort(key=lambda column: ("LDA".index(column[0]), column[1:]))
    header = ["qid", *term_columns]
    offsets: dict[str, int] = {}
    for prop, group in groups.items():
        offsets[prop] = len(header)
        header += group.header()

    def row(command: QuickStatement) -> list[str]:
        cells = [command.item] + [""] * (len(header) - 1)
        group = groups[command.property]
        start = offsets[command.property]
        cells[start : start + len(group.header())] = group.cells(command)
        return cells

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for command in plan.edits:
        writer.writerow(row(command))
    for creation in plan.creations:
        cells = [""] * len(header)
        used: dict[str, int] = {}
        for prefix, texts in (
            ("L", creation.labels),
            ("D", creation.descriptions),
            ("A", creation.aliases),
        ):
            for language, text in texts:
                column = prefix + language
                index = [i for i, name in enumerate(header) if name == column][used.get(column, 0)]
                used[column] = used.get(column, 0) + 1
                cells[index] = _SEPARATORS.sub(" ", text).strip()
        writer.writerow(cells)
        for command in creation.statements:
            writer.writerow(row(command))
    return buffer.getvalue()


def render_quickstatements(plan: QuickStatementsPlan, format: str) -> str:
    """The plan as ``v1`` or ``csv``."""
    if format == "v1":
        return render_v1(plan)
    if format == "csv":
        return render_csv(plan)
    raise ValueError(f"unknown QuickStatements format {format!r}")
