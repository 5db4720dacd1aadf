"""The table of checked Wikidata IDs: the only IDs a record may link to."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from publisher.model.records import LinkState

_ID = re.compile(r"\b[QP][0-9]+\b")

#: Status in the table -> the link state of an entity linked to that ID.
LINK_STATE_BY_STATUS: dict[str, LinkState] = {
    "verified": "verified",
    "single-source": "needs-review",
}


@dataclass(frozen=True)
class ReferenceEntry:
    """One checked ID: what it names and how well it was checked."""

    wikidata_id: str
    label: str
    status: str
    line: int


def load_reference_table(path: Path) -> dict[str, ReferenceEntry]:
    """IDs from the reference table with status verified or single-source, keyed by ID.

    A row may list two IDs ("Q3238445 / Q47913"); each is usable.
    """
    entries: dict[str, ReferenceEntry] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        for line, row in enumerate(reader, start=2):
            status = (row.get("status") or "").strip()
            if status not in LINK_STATE_BY_STATUS:
                continue
            for wikidata_id in _ID.findall(row.get("wikidata_id") or ""):
                entries[wikidata_id] = ReferenceEntry(
                    wikidata_id, (row.get("label") or "").strip(), status, line
                )
    return entries
