"""Renamed and withdrawn records (``data/lifecycle.yaml``).

Entity IRIs never change once published. A renamed record keeps answering at its old IRI with a
redirect (301) to the new one; a withdrawn record answers 410 Gone and vanishes from every output
(dumps, pages, SPARQL, feeds). Its record file is deleted; this file remembers that it existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publisher.errors import DataError, DataErrors, Location
from publisher.model.dates import PartialDate
from publisher.model.loader import parse_yaml_file
from publisher.model.records import Ref

LIFECYCLE_FILE = "lifecycle.yaml"


@dataclass(frozen=True)
class Renamed:
    """An old reference that now redirects to a record."""

    old: Ref
    new: Ref
    date: PartialDate | None


@dataclass(frozen=True)
class Withdrawn:
    """A reference that answers 410 Gone."""

    ref: Ref
    date: PartialDate | None


@dataclass(frozen=True)
class Lifecycle:
    """Every renamed and withdrawn reference."""

    renamed: tuple[Renamed, ...] = ()
    withdrawn: tuple[Withdrawn, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """What the build writes to ``dist/lifecycle.json`` for servers and harvesters."""
        return {
            "renamed": {
                str(item.old): {"to": str(item.new), "date": item.date.text if item.date else None}
                for item in self.renamed
            },
            "withdrawn": {
                str(item.ref): {"date": item.date.text if item.date else None}
                for item in self.withdrawn
            },
        }


def _ref(value: Any, path: Path, line: int, errors: list[DataError]) -> Ref | None:
    if not isinstance(value, str) or value.count("/") != 1:
        errors.append(DataError(Location(path, line), f"{value!r} is not a reference (kind/slug)"))
        return None
    kind, slug = value.split("/")
    return Ref(kind, slug)


def _date(value: Any, path: Path, line: int, errors: list[DataError]) -> PartialDate | None:
    if value is None:
        return None
    try:
        return PartialDate.parse(value)
    except ValueError as error:
        errors.append(DataError(Location(path, line), f"date: {error}"))
        return None


def load_lifecycle(data_dir: Path, existing: set[Ref]) -> Lifecycle:
    """Read ``lifecycle.yaml`` (absent means nothing renamed or withdrawn) and check it.

    A renamed or withdrawn reference must not name a current record; a rename must point at one.
    """
    path = data_dir / LIFECYCLE_FILE
    if not path.exists():
        return Lifecycle()
    raw = parse_yaml_file(path) or {}
    errors: list[DataError] = []
    if not isinstance(raw, dict):
        raise DataErrors([DataError(Location(path, 1), "must be a mapping")])
    renamed: list[Renamed] = []
    withdrawn: list[Withdrawn] = []
    seen: set[Ref] = set()
    for item in raw.get("renamed") or []:
        line = item.get("__line__", 0) if isinstance(item, dict) else 0
        if not isinstance(item, dict):
            errors.append(DataError(Location(path, line), "renamed: each item needs from and to"))
            continue
        old = _ref(item.get("from"), path, line, errors)
        new = _ref(item.get("to"), path, line, errors)
        if old and new:
            if old in existing:
                errors.append(DataError(Location(path, line), f"{old} is renamed but still exists"))
            if new not in existing:
                errors.append(DataError(Location(path, line), f"{old} is renamed to unknown {new}"))
            if old in seen:
                errors.append(DataError(Location(path, line), f"{old} is listed twice"))
            seen.add(old)
            renamed.append(Renamed(old, new, _date(item.get("date"), path, line, errors)))
    for item in raw.get("withdrawn") or []:
        line = item.get("__line__", 0) if isinstance(item, dict) else 0
        ref = _ref(item.get("ref") if isinstance(item, dict) else item, path, line, errors)
        if ref:
            if ref in existing:
                errors.append(
                    DataError(Location(path, line), f"{ref} is withdrawn but its record exists")
                )
            if ref in seen:
                errors.append(DataError(Location(path, line), f"{ref} is listed twice"))
            seen.add(ref)
            date = _date(item.get("date"), path, line, errors) if isinstance(item, dict) else None
            withdrawn.append(Withdrawn(ref, date))
    if errors:
        raise DataErrors(errors)
    return Lifecycle(
        tuple(sorted(renamed, key=lambda r: str(r.old))),
        tuple(sorted(withdrawn, key=lambda w: str(w.ref))),
    )
