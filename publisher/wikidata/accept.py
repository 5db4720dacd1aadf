"""Apply a curator's decisions from a review file to the records and the reference table.

``emigre wikidata accept FILE`` reads the rows a curator marked (:mod:`publisher.wikidata.review`)
and, for each record:

- ``accept``: appends the ID to the reference table (``reference/wikidata-ids.tsv``) with the
  curator's status and evidence, unless the table has it already, and writes ``wikidata: Q…``
  into the record's file;
- ``no-item``: writes ``link_state: no-item``;
- ``candidate``: adds the ID to the record's ``wikidata_candidates`` (published as an
  unverified possible match, never as a link);
- ``reject``: removes the ID from ``wikidata_candidates`` if it was noted there; otherwise, like
  an undecided row, changes nothing.

It checks every row before it writes anything and refuses the whole file (naming file and line
of each problem) on a decision without the evidence it needs, an ID another record uses, a
record that already has another ID, an unknown record, or contradictory rows. Record files are
edited line by line (:mod:`publisher.wikidata.record_text`). After writing, the data are loaded
again with the new table; if they do not load, every file is put back as it was.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from publisher.errors import DataError, DataErrors, Location
from publisher.graph.build import LINKABLE_KINDS
from publisher.model.loader import load_dataset
from publisher.model.records import Record
from publisher.model.reference import ReferenceEntry, load_reference_table
from publisher.wikidata.candidates import qid_number
from publisher.wikidata.record_text import edit_record_text
from publisher.wikidata.review import ReviewRow, read_review

#: The reference table's ``kind`` column for each kind of record.
TABLE_KINDS = {
    "person": "person",
    "group": "group",
    "organization": "org",
    "place": "place",
    "work": "work",
    "occupation": "class",
}


@dataclass
class AcceptResult:
    """What applying a review file did (or, with ``dry_run``, would do)."""

    #: (record, ID) linked.
    linked: list[tuple[str, str]] = field(default_factory=list)
    #: Records marked as having no Wikidata item.
    no_item: list[str] = field(default_factory=list)
    #: (record, ID) noted as possible matches.
    candidates: list[tuple[str, str]] = field(default_factory=list)
    #: (record, ID) of noted possible matches removed because the curator rejects them.
    unnoted: list[tuple[str, str]] = field(default_factory=list)
    #: IDs appended to the reference table.
    table_rows: list[str] = field(default_factory=list)
    #: Accepted IDs the table had already: (ID, its status there).
    already_in_table: list[tuple[str, str]] = field(default_factory=list)
    rejected: int = 0
    undecided: int = 0
    #: Files written (none with ``dry_run``).
    files: list[Path] = field(default_factory=list)


@dataclass
class _Plan:
    """What one record ends up with."""

    record: Record
    accept: tuple[str, ReviewRow] | None = None
    no_item: ReviewRow | None = None
    candidates: list[str] = field(default_factory=list)
    #: Noted candidates the curator now rejects.
    rejected: list[str] = field(default_factory=list)


def accept_review(
    review: Path, data_dir: Path, reference_table: Path, *, dry_run: bool = False
) -> AcceptResult:
    """Apply the decisions of ``review`` to ``data_dir`` and ``reference_table``: all or none.

    Raises DataErrors naming the review file's lines when any row cannot be applied (nothing
    is written then), and when the data do not load before or after.
    """
    rows = read_review(review)
    reference = load_reference_table(reference_table)
    dataset = load_dataset(data_dir, reference)
    records = {str(record.ref): record for record in dataset.records}
    linked = {record.wikidata: str(record.ref) for record in dataset.records if record.wikidata}
    result = AcceptResult()
    plans: dict[str, _Plan] = {}
    accepted_by_id: dict[str, ReviewRow] = {}
    errors: list[DataError] = []

    for row in rows:

        def fail(message: str, row: ReviewRow = row) -> None:
            errors.append(DataError(Location(review, row.line, row.ref), message))

        if row.decision in ("", "reject"):  # a rejected noted candidate is removed
            result.undecided += row.decision == ""
            result.rejected += row.decision == "reject"
            noted = records.get(row.ref)
            if noted is not None and row.candidate in noted.wikidata_candidates:
                plans.setdefault(row.ref, _Plan(noted)).rejected.append(row.candidate)
            continue
        record = records.get(row.ref)
        if record is None:
            fail(f"{row.decision}: unknown record {row.ref} (no such file in {data_dir})")
            continue
        if record.kind not in LINKABLE_KINDS:
            fail(f"{row.decision}: a {record.kind} record has no Wikidata link state")
            continue
        plan = plans.setdefault(row.ref, _Plan(record))
        qid = row.candidate
        if row.decision in ("accept", "candidate") and not qid:
            fail(f"{row.decision}: the row has no candidate ID")
            continue
        if row.decision in ("accept", "no-item") and not row.evidence:
            fail(f"{row.decision}: evidence is required (where you checked)")
        if qid and row.decision in ("accept", "candidate") and linked.get(qid, row.ref) != row.ref:
            fail(f"{row.decision}: {qid} is already the ID of {linked[qid]}")
            continue
        if row.decision == "accept":
            if not row.status:
                fail("accept: status is required (verified or single-source)")
            if record.wikidata and record.wikidata != qid:
                fail(f"accept: {row.ref} already has the ID {record.wikidata}")
            elif record.link_state == "no-item":
                fail(f"accept: {row.ref} is marked no-item; remove link_state first")
            other = accepted_by_id.setdefault(qid, row)
            if other is not row and other.ref != row.ref:
                fail(f"accept: {qid} is also accepted for {other.ref} (line {other.line})")
            if plan.accept and plan.accept[0] != qid:
                first, first_row = plan.accept
                fail(f"accept: {row.ref} also accepts {first} (line {first_row.line})")
            plan.accept = plan.accept or (qid, row)
        elif row.decision == "no-item":
            if record.wikidata:
                fail(f"no-item: {row.ref} has the ID {record.wikidata}")
            plan.no_item = plan.no_item or row
        else:
            if record.wikidata or record.link_state == "no-item":
                fail(f"candidate: {row.ref} is not pending (link state {record.link_state})")
            if qid not in plan.candidates:
                plan.candidates.append(qid)
    for ref, plan in plans.items():
        for qid in plan.candidates:
            accepted = accepted_by_id.get(qid)
            if accepted is not None and accepted.ref != ref:
                errors.append(
                    DataError(
                        Location(review, accepted.line, accepted.ref),
                        f"accept: {qid} is noted as a possible match of {ref} in the same file",
                    )
                )
        if plan.accept and plan.no_item:
            errors.append(
                DataError(
                    Location(review, plan.no_item.line, ref),
                    f"no-item contradicts accept of {plan.accept[0]} (line {plan.accept[1].line})",
                )
            )
    if errors:
        raise DataErrors(errors)

    new_files, table_text = _planned_edits(plans, reference_table, reference, result)
    if dry_run:
        return result
    written = _write_all({**new_files, reference_table: table_text} if table_text else new_files)
    result.files = sorted(written)
    try:
        load_dataset(data_dir, load_reference_table(reference_table))
    except DataErrors:
        _write_all(written)  # the old contents: the data loaded before, so they will again
        result.files = []
        raise
    return result


def _planned_edits(
    plans: dict[str, _Plan],
    reference_table: Path,
    reference: dict[str, ReferenceEntry],
    result: AcceptResult,
) -> tuple[dict[Path, str], str | None]:
    """The new text of every record file to change and of the table (None: unchanged)."""
    files: dict[Path, str] = {}
    table_lines: list[str] = []
    for ref in sorted(plans):
        plan = plans[ref]
        record = plan.record
        changes: dict[str, str | None] = {}
        if plan.accept:
            qid, row = plan.accept
            result.linked.append((ref, qid))
            if record.wikidata != qid:
                changes = {"wikidata": qid, "wikidata_candidates": None}
            entry = reference.get(qid)
            if entry is not None:
                result.already_in_table.append((qid, entry.status))
            elif qid not in result.table_rows:
                result.table_rows.append(qid)
                table_lines.append(_table_line(record, qid, row))
        elif plan.no_item:
            result.no_item.append(ref)
            if record.link_state != "no-item":
                changes = {"link_state": "no-item", "wikidata_candidates": None}
        elif plan.candidates or plan.rejected:
            kept = {*record.wikidata_candidates, *plan.candidates} - set(plan.rejected)
            merged = sorted(kept, key=qid_number)
            result.candidates.extend((ref, qid) for qid in plan.candidates)
            result.unnoted.extend((ref, qid) for qid in plan.rejected)
            if tuple(merged) != record.wikidata_candidates:
                changes = {"wikidata_candidates": f"[{', '.join(merged)}]" if merged else None}
        if changes:
            text = _read(record.path)
            files[record.path] = edit_record_text(text, changes, str(record.path))
    if not table_lines:
        return files, None
    table = _read(reference_table)
    if table and not table.endswith("\n"):
        table += "\n"
    return files, table + "".join(table_lines)


def _table_line(record: Record, qid: str, row: ReviewRow) -> str:
    """A row of the reference table: kind, label, wikidata_id, status, evidence, note."""
    note = f"accepted for {record.ref} with emigre wikidata accept"
    if row.label and row.label != record.english_name():
        note += f"; Wikidata label {row.label}"
    cells = [TABLE_KINDS[record.kind], record.english_name(), qid, row.status, row.evidence, note]
    # The table is read without quoting: a tab or line break in a cell would shift columns.
    return "\t".join(" ".join(cell.split()) for cell in cells) + "\n"


def _read(path: Path) -> str:
    """A file's text with its line endings as they are (no newline translation)."""
    return path.read_bytes().decode("utf-8")


def _write_all(contents: dict[Path, str]) -> dict[Path, str]:
    """Write every file (each through a temporary file and a rename, renamed only once all
    are written); returns the old content of each, to put back."""
    old = {path: _read(path) for path in contents}
    staged: list[tuple[Path, Path]] = []
    try:
        for path, text in contents.items():
            handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                stream.write(text)
            os.chmod(name, path.stat().st_mode & 0o777)
            staged.append((Path(name), path))
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, target in staged:
        os.replace(temporary, target)
    return old
