"""The properties a reconciliation query can match on and data extension can fetch.

One table (``PROPERTIES``) feeds query conditions (how a client's value compares with ours, see
``publisher.reconcile.scoring``), data extension (what a value becomes in the response), property
suggestions and proposals, and ``docs/reconciliation.md`` (a test checks it lists them all).
``publisher.reconcile.records`` reads their values from the catalog.

Values are kept as plain strings: dates in their ISO form at the precision published
(``1943-02-21``, ``2022-03``, ``1922``), years as digits, records by id (``place/berlin``),
Wikidata items by QID, link states by their keyword (``needs-review``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

#: What a property's values are: a (partial) date, a year, one of our records, a Wikidata item,
#: free text, or a Wikidata link state.
ValueKind = Literal["date", "year", "entity", "wikidata", "text", "state"]

_PERSON = ("person",)
_LINKED = ("person", "group", "organization", "place", "work", "occupation")
_EMIGRANTS = ("person", "group")


@dataclass(frozen=True)
class Property:
    """One property of the service."""

    id: str
    name: str
    description: str
    value_kind: ValueKind
    #: Record kinds that have values of it (for proposals and suggestions).
    kinds: tuple[str, ...]
    #: For record values: the kinds those records are.
    target_kinds: tuple[str, ...] = ()
    #: Points a candidate loses when its value contradicts the query's (see ``scoring``).
    contradiction_penalty: float = 20.0
    #: A match on it identifies the record by itself (the score becomes 100).
    identifying: bool = False

    def as_json(self) -> dict[str, str]:
        """``{"id", "name", "description"}`` as suggestions and proposals list it."""
        return {"id": self.id, "name": self.name, "description": self.description}


PROPERTIES: dict[str, Property] = {
    p.id: p
    for p in (
        Property(
            "birthDate",
            "birth date",
            "Date of birth, at the precision published.",
            "date",
            _PERSON,
            contradiction_penalty=30,
        ),
        Property(
            "birthYear", "birth year", "Year of birth.", "year", _PERSON, contradiction_penalty=30
        ),
        Property(
            "deathDate",
            "death date",
            "Date of death, at the precision published.",
            "date",
            _PERSON,
            contradiction_penalty=30,
        ),
        Property("birthPlace", "birth place", "Place of birth.", "entity", _PERSON, ("place",)),
        Property(
            "occupation",
            "occupation",
            "Occupations, as sources give them.",
            "entity",
            _PERSON,
            ("occupation",),
            10,
        ),
        Property(
            "destination",
            "emigrated to",
            "Destinations of emigrations (a city also matches its country).",
            "entity",
            _EMIGRANTS,
            ("place",),
            10,
        ),
        Property(
            "origin",
            "emigrated from",
            "Places emigrations started from.",
            "entity",
            _EMIGRANTS,
            ("place",),
            10,
        ),
        Property(
            "emigrationYear",
            "year of emigration",
            "Years emigrations started.",
            "year",
            _EMIGRANTS,
            contradiction_penalty=15,
        ),
        Property(
            "wave",
            "emigration wave",
            "Waves of emigration (1917-1922, the 1922 philosophers' ships, Soviet-era, 2022).",
            "entity",
            _EMIGRANTS,
            ("wave",),
            15,
        ),
        Property(
            "residence", "residence", "Places of residence.", "entity", _PERSON, ("place",), 5
        ),
        Property(
            "memberOf",
            "member of",
            "Groups and organizations.",
            "entity",
            _PERSON,
            ("group", "organization"),
            5,
        ),
        Property(
            "country", "country", "The country a city is in.", "entity", ("place",), ("place",), 30
        ),
        Property(
            "wikidataId",
            "Wikidata ID",
            "The Wikidata item, where the link was checked.",
            "wikidata",
            _LINKED,
            contradiction_penalty=60,
            identifying=True,
        ),
        Property(
            "linkState",
            "Wikidata link state",
            "verified, needs-review, pending or no-item.",
            "state",
            _LINKED,
            contradiction_penalty=0,
        ),
        Property(
            "description",
            "description",
            "Our short description (English).",
            "text",
            _LINKED,
            contradiction_penalty=0,
        ),
        Property(
            "alternateName",
            "alternate names",
            "Other names and spellings.",
            "text",
            _LINKED,
            contradiction_penalty=0,
        ),
        Property(
            "nameRu",
            "name in Russian",
            "The name in Russian.",
            "text",
            _LINKED,
            contradiction_penalty=0,
        ),
    )
}

_QID = re.compile(r"(?:^|[/:])(Q[1-9][0-9]*)$")
_DATE = re.compile(r"^\s*([+-]?\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T[0-9:.]+Z?)?\s*$")
_DOTTED_DATE = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*$")
LINK_STATES = ("verified", "needs-review", "pending", "no-item")


def find_property(spelling: str) -> Property | None:
    """The property with this id (any case), or None.

    >>> find_property("birthyear").id, find_property("P569")
    ('birthYear', None)
    """
    wanted = spelling.strip().casefold()
    return next((p for p in PROPERTIES.values() if p.id.casefold() == wanted), None)


def unknown_property(property_id: str) -> Property:
    """A property we do not have, as a client named it: no record has values of it.

    >>> unknown_property("P569").kinds
    ()
    """
    return Property(property_id, property_id, "Not a property of this service.", "text", ())


def wikidata_id(value: str) -> str | None:
    """The QID in ``Q42``, ``wd:Q42`` or an entity or page IRI, or None.

    >>> wikidata_id("http://www.wikidata.org/entity/Q131861"), wikidata_id("Berlin")
    ('Q131861', None)
    """
    match = _QID.search(value.strip())
    return match.group(1) if match else None


def parse_date(value: str | float) -> tuple[int, int | None, int | None] | None:
    """(year, month, day) of a date as clients send it: ISO at any precision, with a time or not,
    ``dd.mm.yyyy``, or a year as a number; None when it is not a date.

    >>> parse_date("1943-02-21"), parse_date("1943-02-21T00:00:00Z"), parse_date(1943.0)
    ((1943, 2, 21), (1943, 2, 21), (1943, None, None))
    >>> parse_date("21.02.1943"), parse_date("2022-03"), parse_date("soon")
    ((1943, 2, 21), (2022, 3, None), None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return (int(value), None, None) if float(value).is_integer() else None
    dotted = _DOTTED_DATE.match(value)
    if dotted:
        return int(dotted.group(3)), int(dotted.group(2)), int(dotted.group(1))
    match = _DATE.match(value)
    if not match:
        return None
    year, month, day = match.groups()
    return int(year), int(month) if month else None, int(day) if day else None


def link_state(value: str) -> str | None:
    """Our keyword for a link state in any spelling (``Needs review``, ``NeedsReview`` ...).

    >>> link_state("NeedsReview"), link_state("no item"), link_state("maybe")
    ('needs-review', 'no-item', None)
    """
    folded = re.sub(r"[^a-z]", "", value.casefold())
    return next((s for s in LINK_STATES if s.replace("-", "") == folded), None)
