"""The review file of ``emigre wikidata reconcile``: candidates for a curator to decide on.

One row per record and candidate (a record with no candidate gets one row without, so that a
curator can still mark it ``no-item``), written twice with the same content: as TSV for a
spreadsheet and as JSON for tools. The last three columns are the curator's, and are written
empty:

- ``decision``: ``accept`` (this item is the record), ``candidate`` (a possible match worth
  publishing as unverified), ``reject``, or ``no-item`` (Wikidata has no item for the record);
- ``status``: ``verified`` (checked against two independent sources) or ``single-source``;
- ``evidence``: where the curator checked (required for ``accept`` and ``no-item``).

``emigre wikidata accept FILE`` (:mod:`publisher.wikidata.accept`) reads either form back.
Reconciling never writes into ``data/``: candidates found by a search are not links.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publisher.errors import DataError, DataErrors, EmigreError, Location
from publisher.graph.build import LINKABLE_KINDS
from publisher.model.loader import load_dataset
from publisher.model.records import Dataset, Ref
from publisher.model.reference import load_reference_table
from publisher.wikidata.candidates import CandidateSource, Feature, find_candidates
from publisher.wikidata.client import WikidataClient
from publisher.wikidata.settings import WikidataSettings

#: The columns, in order; the last three are the curator's.
COLUMNS = (
    "ref",
    "name",
    "candidate",
    "label",
    "description",
    "score",
    "features",
    "decision",
    "status",
    "evidence",
)
CURATOR_COLUMNS = ("decision", "status", "evidence")
#: What a curator may decide about a row (empty: not decided, the row is skipped).
DECISIONS = ("accept", "candidate", "reject", "no-item")
#: How well an accepted ID was checked (the reference table's statuses).
STATUSES = ("verified", "single-source")
_QID = re.compile(r"^Q[1-9][0-9]*$")
_REF = re.compile(r"^([a-z]+)/([a-z0-9]+(?:-[a-z0-9]+)*)$")
ABOUT = (
    "Candidates for Wikidata links, proposed by emigre wikidata reconcile. Candidates are NOT "
    "links: fill in decision (accept, candidate, reject, no-item), status (verified, "
    "single-source) and evidence (where you checked; required for accept and no-item), then "
    "run emigre wikidata accept on this file."
)


class NotPending(EmigreError):
    """A record asked for by name is unknown or has a link state other than pending."""

    exit_code = 2


@dataclass(frozen=True)
class ReviewRow:
    """One record and one candidate item (or none), with the curator's decision."""

    ref: str
    name: str
    candidate: str = ""
    label: str = ""
    description: str = ""
    score: int | None = None
    #: Why the score is what it is, one line (the TSV's ``features`` column).
    explanation: str = ""
    #: The same, structured (empty when read from a TSV).
    features: tuple[Feature, ...] = ()
    decision: str = ""
    status: str = ""
    evidence: str = ""
    #: Where the row starts in the file it was read from (0 for rows not read from a file).
    line: int = 0

    def cells(self) -> list[str]:
        """The row's TSV cells, in ``COLUMNS`` order."""
        score = "" if self.score is None else str(self.score)
        return [
            self.ref,
            self.name,
            self.candidate,
            self.label,
            self.description,
            score,
            self.explanation,
            self.decision,
            self.status,
            self.evidence,
        ]

    def as_json(self) -> dict[str, Any]:
        """The row as the JSON review file holds it."""
        return {
            "ref": self.ref,
            "name": self.name,
            "candidate": self.candidate,
            "label": self.label,
            "description": self.description,
            "score": self.score,
            "features": [feature.as_json() for feature in self.features],
            "decision": self.decision,
            "status": self.status,
            "evidence": self.evidence,
        }


# -- making the rows ------------------------------------------------------------------------------


def pending_records(dataset: Dataset, refs: Iterable[str] = ()) -> list[Ref]:
    """The records to reconcile: every pending record of a kind that links to Wikidata, or only
    ``refs`` (each must name such a record; a DataErrors names those that do not)."""
    pending = [
        record.ref
        for record in dataset.records
        if record.kind in LINKABLE_KINDS and record.link_state == "pending"
    ]
    wanted = list(dict.fromkeys(refs))
    if not wanted:
        return pending
    by_ref = {str(record.ref): record for record in dataset.records}
    problems = []
    for ref in wanted:
        record = by_ref.get(ref)
        if record is None:
            problems.append(f"{ref}: no such record")
        elif record.ref not in pending:
            problems.append(f"{ref}: link state {record.link_state}, not pending")
    if problems:
        raise NotPending("nothing to reconcile for " + "; ".join(problems))
    return [ref for ref in pending if str(ref) in wanted]


def reconcile(
    dataset: Dataset,
    source: CandidateSource,
    refs: Iterable[Ref],
    *,
    search_limit: int = 10,
    keep: int = 5,
    progress: Callable[[str], None] | None = None,
) -> list[ReviewRow]:
    """The review rows of ``refs``: each record's candidates, best first, curator columns empty.

    Rows come in the dataset's order (kind, slug), so a rerun on the same answers gives the
    same file.
    """
    records = dataset.by_ref()
    linked = {record.wikidata: record.ref for record in dataset.records if record.wikidata}
    rows: list[ReviewRow] = []
    for ref in sorted(refs, key=lambda r: (r.kind, r.slug)):
        record = records[ref]
        if progress:
            progress(f"{ref}: searching")
        candidates = find_candidates(
            record, records, source, linked=linked, search_limit=search_limit, keep=keep
        )
        name = record.english_name()
        if not candidates:
            rows.append(ReviewRow(str(ref), name, explanation="no item found by any spelling"))
        for candidate in candidates:
            rows.append(
                ReviewRow(
                    ref=str(ref),
                    name=name,
                    candidate=candidate.qid,
                    label=candidate.label,
                    description=candidate.description,
                    score=candidate.score,
                    explanation=candidate.explain(),
                    features=candidate.features,
                )
            )
    return rows


def run_reconcile(
    settings: WikidataSettings,
    data_dir: Path,
    reference_table: Path,
    refs: Iterable[str] = (),
    *,
    search_limit: int = 10,
    keep: int = 5,
    progress: Callable[[str], None] | None = None,
) -> list[ReviewRow]:
    """Load the records and reconcile the pending ones (or ``refs``) against Wikidata.

    Raises DataErrors for bad records, NotPending for ``refs`` that are not pending,
    WikidataError when Wikidata cannot answer.
    """
    with WikidataClient(settings) as client:  # refuses bad settings before loading
        dataset = load_dataset(data_dir, load_reference_table(reference_table), workers=1)
        wanted = pending_records(dataset, refs)
        return reconcile(
            dataset, client, wanted, search_limit=search_limit, keep=keep, progress=progress
        )


# -- writing ------------------------------------------------------------------------------------


def render_tsv(rows: Iterable[ReviewRow]) -> str:
    """The TSV review file: a header, then one line per row (cells with tabs, newlines or
    quotes are quoted, as spreadsheets expect)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(row.cells())
    return buffer.getvalue()


def render_json(rows: Iterable[ReviewRow]) -> str:
    """The JSON review file: what it is, the columns, the allowed values and the rows."""
    document = {
        "about": ABOUT,
        "columns": list(COLUMNS),
        "decisions": list(DECISIONS),
        "statuses": list(STATUSES),
        "rows": [row.as_json() for row in rows],
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def write_review(rows: list[ReviewRow], stem: Path) -> tuple[Path, Path]:
    """Write ``STEM.tsv`` and ``STEM.json``; returns their paths."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    tsv, json_path = stem.with_name(f"{stem.name}.tsv"), stem.with_name(f"{stem.name}.json")
    tsv.write_text(render_tsv(rows), encoding="utf-8")
    json_path.write_text(render_json(rows), encoding="utf-8")
    return tsv, json_path


# -- reading ------------------------------------------------------------------------------------


def read_review(path: Path) -> list[ReviewRow]:
    """The rows of a review file (``.tsv`` or ``.json``), each with its line.

    Raises DataErrors naming file and line for anything malformed: a missing column, an unknown
    decision or status, a malformed reference or item ID.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")  # spreadsheets may save a BOM
    except (OSError, UnicodeDecodeError) as error:
        message = f"cannot read the review file: {error}"
        raise DataErrors([DataError(Location(path), message)]) from None
    if path.suffix == ".json":
        raw_rows = _json_rows(path, text)
    elif path.suffix == ".tsv":
        raw_rows = _tsv_rows(path, text)
    else:
        raise DataErrors([DataError(Location(path), "a review file ends in .tsv or .json")])
    errors: list[DataError] = []
    rows = [_row(path, line, cells, errors) for line, cells in raw_rows]
    if errors:
        raise DataErrors(errors)
    return rows


def _tsv_rows(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text), delimiter="\t")
    header = next(reader, None)
    if header is None or any(column not in header for column in COLUMNS):
        missing = [c for c in COLUMNS if header is None or c not in header]
        raise DataErrors([DataError(Location(path, 1), f"missing columns: {', '.join(missing)}")])
    rows = []
    line = reader.line_num + 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            rows.append((line, dict(zip(header, cells, strict=False))))
        line = reader.line_num + 1
    return rows


def _json_rows(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    """The row objects of a JSON review file with the line each starts on."""
    try:
        document = json.loads(text)
    except ValueError as error:
        raise DataErrors([DataError(Location(path), f"not JSON: {error}")]) from None
    rows = document.get("rows") if isinstance(document, dict) else None
    if not isinstance(rows, list):
        raise DataErrors([DataError(Location(path, 1), 'no "rows" list')])
    starts = _row_offsets(text)
    lines = [text.count("\n", 0, offset) + 1 for offset in starts]
    if len(lines) != len(rows):  # the walk below could not follow the layout: count rows
        lines = [0] * len(rows)
    found = []
    for index, (line, row) in enumerate(zip(lines, rows, strict=True)):
        if not isinstance(row, dict):
            where = Location(path, line) if line else Location(path)
            raise DataErrors([DataError(where, f"row {index + 1} is not an object")])
        found.append((line, row))
    return found


def _row_offsets(text: str) -> list[int]:
    """Where each element of the top-level ``"rows"`` array starts (walks the top level only)."""
    decoder = json.JSONDecoder()
    ws = re.compile(r"[ \t\r\n]*")

    def skip(position: int) -> int:
        match = ws.match(text, position)
        return match.end() if match else position

    position = skip(0)
    if text[position : position + 1] != "{":
        return []
    position = skip(position + 1)
    while position < len(text) and text[position] != "}":
        key, position = decoder.raw_decode(text, position)
        position = skip(position)
        position = skip(position + 1)  # the colon
        if key == "rows" and text[position : position + 1] == "[":
            offsets = []
            position = skip(position + 1)
            while position < len(text) and text[position] != "]":
                offsets.append(position)
                _, position = decoder.raw_decode(text, position)
                position = skip(position)
                if text[position : position + 1] == ",":
                    position = skip(position + 1)
            return offsets
        _, position = decoder.raw_decode(text, position)
        position = skip(position)
        if text[position : position + 1] == ",":
            position = skip(position + 1)
    return []


def _text(cells: dict[str, Any], column: str) -> str:
    value = cells.get(column)
    if value is None:
        return ""
    return " ".join(str(value).split())


def _row(path: Path, line: int, cells: dict[str, Any], errors: list[DataError]) -> ReviewRow:
    ref = _text(cells, "ref")
    where = Location(path, line, ref or None)

    def fail(message: str) -> None:
        errors.append(DataError(where, message))

    if not _REF.match(ref):
        fail(f"ref {ref!r} is not a record reference (kind/slug)")
    candidate = _text(cells, "candidate")
    if candidate and not _QID.match(candidate):
        fail(f"candidate {candidate!r} is not a Wikidata item ID")
    decision = _text(cells, "decision").lower()
    if decision and decision not in DECISIONS:
        fail(f"decision {decision!r} is not one of {', '.join(DECISIONS)} (or empty)")
    status = _text(cells, "status").lower()
    if status and status not in STATUSES:
        fail(f"status {status!r} is not one of {', '.join(STATUSES)}")
    score_text = _text(cells, "score")
    score = int(score_text) if score_text.isdigit() else None
    features = cells.get("features")
    structured: tuple[Feature, ...] = ()
    explanation = ""
    if isinstance(features, list):
        structured = tuple(
            Feature(str(f.get("id", "")), f.get("value"), str(f.get("note", "")))
            for f in features
            if isinstance(f, dict)
        )
    elif isinstance(features, str):
        explanation = features
    return ReviewRow(
        ref=ref,
        name=_text(cells, "name"),
        candidate=candidate,
        label=_text(cells, "label"),
        description=_text(cells, "description"),
        score=score,
        explanation=explanation,
        features=structured,
        decision=decision,
        status=status,
        evidence=_text(cells, "evidence"),
        line=line,
    )
