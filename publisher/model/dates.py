"""Partial dates: a year, a month or a day, as curators write them and sources give them."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

Precision = Literal["year", "month", "day"]

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")

#: Wikidata's time precisions (https://www.wikidata.org/wiki/Help:Dates#Precision).
WIKIDATA_PRECISION: dict[Precision, int] = {"year": 9, "month": 10, "day": 11}


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date known to the year, the month or the day.

    >>> PartialDate.parse("2022-03")
    PartialDate(text='2022-03', precision='month')
    >>> PartialDate.parse("2022-03-01").coarsened().text
    '2022'
    """

    text: str
    precision: Precision

    @classmethod
    def parse(cls, value: object) -> PartialDate:
        """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; raise ValueError for anything else."""
        if isinstance(value, dt.date):  # YAML turns an unquoted 2022-03-01 into a date
            value = value.isoformat()
        if isinstance(value, int):
            value = str(value)
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not a date (write YYYY, YYYY-MM or YYYY-MM-DD)")
        match = _DATE.match(value)
        if not match:
            raise ValueError(f"{value!r} is not a date (write YYYY, YYYY-MM or YYYY-MM-DD)")
        year, month, day = match.groups()
        if day is not None:
            try:
                dt.date(int(year), int(month), int(day))
            except ValueError:
                raise ValueError(f"{value!r} is not a date") from None
            return cls(value, "day")
        if month is not None:
            if not 1 <= int(month) <= 12:
                raise ValueError(f"{value!r} is not a date (month {month})")
            return cls(value, "month")
        return cls(value, "year")

    def not_after(self, other: PartialDate) -> bool:
        """True unless this date is certainly later than ``other`` (coarse dates may overlap).

        >>> PartialDate.parse("2022").not_after(PartialDate.parse("2021-05"))
        False
        >>> PartialDate.parse("2022-03").not_after(PartialDate.parse("2022"))
        True
        """
        width = min(len(self.text), len(other.text))
        return self.text[:width] <= other.text[:width]

    def coarsened(self) -> PartialDate:
        """The year alone: what a ``coarse`` claim publishes."""
        return PartialDate(self.text[:4], "year")

    @property
    def year(self) -> int:
        """The year."""
        return int(self.text[:4])
