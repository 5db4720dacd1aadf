"""Wikidata's statements as the entity JSON holds them (``claims`` with ``mainsnak``,
``qualifiers`` and ``references``, as ``wbgetentities`` and ``Special:EntityData`` send them),
read into plain values the diff can compare with ours.

Time values keep their precision; a day-precision date in the Julian calendar (Wikidata's
``calendarmodel`` Q1985786, common for Russian dates before 1918) is converted to the Gregorian
day, the calendar our dates are in. Value types we do not state (quantities, coordinates) are
read as None.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from publisher.wikidata.values import ItemValue, MonolingualValue, StringValue

GREGORIAN = "http://www.wikidata.org/entity/Q1985727"
JULIAN = "http://www.wikidata.org/entity/Q1985786"
_TIME = re.compile(r"^([+-])(\d+)-(\d\d)-(\d\d)T")


@dataclass(frozen=True)
class WikidataTime:
    """A time value as Wikidata holds it (calendar converted to Gregorian for day precision)."""

    year: int
    month: int
    day: int
    precision: int
    #: The value as Wikidata writes it, for reports.
    text: str


WikidataValue = ItemValue | WikidataTime | StringValue | MonolingualValue


@dataclass(frozen=True)
class WikidataSnak:
    """One snak of Wikidata: its value, or None for somevalue/novalue and types we do not read."""

    property: str
    value: WikidataValue | None
    #: ``value``, ``somevalue`` or ``novalue``.
    snaktype: str


@dataclass(frozen=True)
class WikidataStatement:
    """One statement of the item, read from the entity JSON."""

    main: WikidataSnak
    rank: str
    qualifiers: tuple[WikidataSnak, ...]
    references: tuple[tuple[WikidataSnak, ...], ...]


def _julian_to_gregorian(year: int, month: int, day: int) -> dt.date | None:
    """A Julian-calendar day as the Gregorian date of the same day (None outside 1..9999)."""
    a = (14 - month) // 12
    y = year + 4800 - a
    m = month + 12 * a - 3
    julian_day = day + (153 * m + 2) // 5 + 365 * y + y // 4 - 32083
    try:
        return dt.date.fromordinal(julian_day - 1721425)
    except (ValueError, OverflowError):
        return None


def read_time(value: Mapping[str, Any]) -> WikidataTime | None:
    """A Wikidata time value; day-precision Julian dates are converted to Gregorian.

    >>> read_time({"time": "+1870-04-10T00:00:00Z", "precision": 11,
    ...            "calendarmodel": "http://www.wikidata.org/entity/Q1985786"}).day
    22
    """
    match = _TIME.match(str(value.get("time", "")))
    if not match:
        return None
    sign, year_text, month_text, day_text = match.groups()
    year = int(year_text) * (-1 if sign == "-" else 1)
    month, day = int(month_text), int(day_text)
    precision = int(value.get("precision", 11))
    text = f"{value['time']}/{precision}"
    if precision >= 11 and value.get("calendarmodel") == JULIAN and month and day:
        gregorian = _julian_to_gregorian(year, month, day)
        if gregorian is not None:
            year, month, day = gregorian.year, gregorian.month, gregorian.day
            text += " (Julian)"
    return WikidataTime(year, month, day, precision, text)


def _read_value(datavalue: Mapping[str, Any]) -> WikidataValue | None:
    kind = datavalue.get("type")
    value = datavalue.get("value")
    if kind == "wikibase-entityid" and isinstance(value, dict) and "id" in value:
        return ItemValue(str(value["id"]))
    if kind == "time" and isinstance(value, dict):
        return read_time(value)
    if kind == "string" and isinstance(value, str):
        return StringValue(value)
    if kind == "monolingualtext" and isinstance(value, dict):
        return MonolingualValue(str(value.get("language", "")), str(value.get("text", "")))
    return None


def _read_snak(snak: Mapping[str, Any]) -> WikidataSnak:
    snaktype = str(snak.get("snaktype", "value"))
    datavalue = snak.get("datavalue")
    value = _read_value(datavalue) if snaktype == "value" and isinstance(datavalue, dict) else None
    return WikidataSnak(str(snak.get("property", "")), value, snaktype)


def _snaks(grouped: Mapping[str, Any] | None, order: Sequence[str] | None) -> list[WikidataSnak]:
    if not grouped:
        return []
    return [
        _read_snak(snak) for prop in (order or sorted(grouped)) for snak in grouped.get(prop, [])
    ]


def read_statements(entity: Mapping[str, Any], prop: str) -> list[WikidataStatement]:
    """The statements of one property in an entity JSON, in Wikidata's order."""
    statements = []
    for claim in (entity.get("claims") or {}).get(prop, []):
        statements.append(
            WikidataStatement(
                main=_read_snak(claim.get("mainsnak", {})),
                rank=str(claim.get("rank", "normal")),
                qualifiers=tuple(_snaks(claim.get("qualifiers"), claim.get("qualifiers-order"))),
                references=tuple(
                    tuple(_snaks(reference.get("snaks"), reference.get("snaks-order")))
                    for reference in claim.get("references", [])
                ),
            )
        )
    return statements


def describe_wikidata_value(snak: WikidataSnak) -> str:
    """A snak's value as a report shows it."""
    if snak.snaktype != "value":
        return snak.snaktype
    value = snak.value
    if value is None:
        return "(a value of another type)"
    if isinstance(value, WikidataTime):
        return value.text
    if isinstance(value, ItemValue):
        return value.item
    if isinstance(value, MonolingualValue):
        return f"{value.language}:{value.text}"
    return value.text
