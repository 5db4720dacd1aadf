"""The closed set of claim properties: what a value must be, and what it becomes.

One table feeds the loader (value checks), the graph builder (the predicate of the direct triple)
and the Wikidata tools (the property a claim corresponds to).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ValueKind = Literal["date", "entity", "text"]


@dataclass(frozen=True)
class ClaimProperty:
    """One claim property: its value kind, allowed target kinds, predicate and Wikidata property."""

    name: str
    value_kind: ValueKind
    #: The predicate of the direct triple, as ``prefix:local``.
    predicate: str
    #: Kinds a reference value may point to (entity properties only).
    target_kinds: tuple[str, ...] = ()
    #: The Wikidata property the claim corresponds to, when one exists (from the reference table).
    wikidata_property: str | None = None


CLAIM_PROPERTIES: dict[str, ClaimProperty] = {
    p.name: p
    for p in (
        ClaimProperty("birth_date", "date", "schema:birthDate", (), "P569"),
        ClaimProperty("death_date", "date", "schema:deathDate", (), "P570"),
        ClaimProperty("birth_place", "entity", "schema:birthPlace", ("place",), "P19"),
        ClaimProperty("death_place", "entity", "schema:deathPlace", ("place",), "P20"),
        ClaimProperty("occupation", "entity", "schema:hasOccupation", ("occupation",), "P106"),
        ClaimProperty("residence", "entity", "schema:homeLocation", ("place",), "P551"),
        ClaimProperty("employer", "entity", "schema:worksFor", ("organization",), "P108"),
        ClaimProperty("member_of", "entity", "schema:memberOf", ("group", "organization"), "P463"),
        ClaimProperty("award", "text", "schema:award", (), "P166"),
        ClaimProperty("notable_work", "entity", "schema:workExample", ("work",), "P800"),
        ClaimProperty("founder", "entity", "schema:founder", ("person", "group"), None),
        ClaimProperty("author", "entity", "schema:author", ("person", "group"), "P50"),
        ClaimProperty("director", "entity", "schema:director", ("person",), "P57"),
        ClaimProperty("performer", "entity", "schema:performer", ("person", "group"), "P175"),
        ClaimProperty("based_on", "entity", "schema:isBasedOn", ("work",), "P144"),
        ClaimProperty("shown_at", "entity", "emigre:shownAt", ("organization",), None),
        ClaimProperty("identity_note", "text", "schema:disambiguatingDescription", (), None),
    )
}
