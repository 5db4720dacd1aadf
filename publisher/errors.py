"""Typed errors. Each names the place it comes from; ``cli`` maps them to exit codes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class EmigreError(Exception):
    """Base class of every error this package raises on purpose."""

    exit_code = 3


@dataclass(frozen=True)
class Location:
    """A place in a data file: path, line (1-based, 0 when unknown) and the record's slug."""

    path: Path
    line: int = 0
    record: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: record {self.record!r}" if self.record else where


class DataError(EmigreError):
    """A problem in the curated records: names the file, line and record."""

    exit_code = 2

    def __init__(self, location: Location, message: str) -> None:
        self.location = location
        self.message = message
        super().__init__(f"{location}: {message}")

    def __reduce__(self) -> tuple[type[DataError], tuple[Location, str]]:
        # Parsed files (with their errors) cross process boundaries and live in the cache.
        return (DataError, (self.location, self.message))


class DataErrors(EmigreError):
    """Several data errors found in one pass, reported together so a curator fixes them at once."""

    exit_code = 2

    def __init__(self, errors: list[DataError]) -> None:
        self.errors = sorted(errors, key=lambda e: (str(e.location.path), e.location.line))
        super().__init__("\n".join(str(e) for e in self.errors))


class ValidationFailed(EmigreError):
    """The graph does not conform to the SHACL shapes; nothing was published."""

    exit_code = 1

    def __init__(self, summary: str) -> None:
        super().__init__(summary)


class BuildError(EmigreError):
    """The build could not finish for a reason other than the data (disk, serializer)."""

    exit_code = 3
