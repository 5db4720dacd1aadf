"""The values of Wikidata statements as we state them: items, dates at their precision, strings
and monolingual texts, and a property-value pair (a qualifier or part of a reference).

They are plain frozen dataclasses: the statements module builds them from our records, the
diff compares them with Wikidata's, and the QuickStatements writer renders them.
"""

from __future__ import annotations

from dataclasses import dataclass

from publisher.model.dates import PartialDate


@dataclass(frozen=True, order=True)
class ItemValue:
    """An item, e.g. ``Q64``."""

    item: str


@dataclass(frozen=True, order=True)
class TimeValue:
    """A date at its precision (Gregorian calendar)."""

    date: PartialDate


@dataclass(frozen=True, order=True)
class StringValue:
    """A plain string (URL, author name)."""

    text: str


@dataclass(frozen=True, order=True)
class MonolingualValue:
    """A text in one language (a title)."""

    language: str
    text: str


Value = ItemValue | TimeValue | StringValue | MonolingualValue


def describe_value(value: Value) -> str:
    """A value as a person reads it in a report.

    >>> describe_value(TimeValue(PartialDate.parse("2022-03")))
    '2022-03'
    >>> describe_value(MonolingualValue("en", "Title"))
    'en:Title'
    """
    if isinstance(value, ItemValue):
        return value.item
    if isinstance(value, TimeValue):
        return value.date.text
    if isinstance(value, MonolingualValue):
        return f"{value.language}:{value.text}"
    return value.text


@dataclass(frozen=True)
class Snak:
    """One property-value pair: a qualifier or part of a reference."""

    property: str
    value: Value
