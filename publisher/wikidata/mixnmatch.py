"""The Mix'n'match catalogue: our entities as a TSV for Mix'n'match's import, so Wikidata editors
can match them to items (https://meta.wikimedia.org/wiki/Mix%27n%27match/Import).

One header row, ``id name desc url type``; one row per entity a Wikidata editor would match:
people, groups (bands and organizations, not groups of people described together), our
organizations and works. Places, occupations, sources and waves are left out: places and
occupations link to items already, sources and waves are ours. ``id`` is ``kind/slug`` (frozen,
like our IRIs), ``url`` the entity's IRI, ``type`` the item of its class where the reference
table has one (``Q5`` human for people). ``desc`` says what a matcher needs to tell namesakes
apart: our description, occupations, birth and death years, the emigration's year and
destinations, all as published (withheld claims never, coarse ones at the year and country).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from publisher import iris
from publisher.model.dates import PartialDate
from publisher.model.loader import load_dataset
from publisher.model.records import Dataset, Record, Ref
from publisher.model.reference import load_reference_table
from publisher.wikidata.statements import HUMAN, published_date, published_place

COLUMNS = ("id", "name", "desc", "url", "type")
#: Record type -> the item of its class (reference table: "musical group / band", "literary
#: work", "film"). Types without a checked class get an empty ``type``.
TYPE_ITEMS: dict[str, str] = {
    "Person": HUMAN,
    "MusicGroup": "Q215380",
    "Book": "Q7725634",
    "Movie": "Q11424",
}
#: Kinds in the catalogue; groups of type PersonGroup are left out (see the module docstring).
CATALOGUE_KINDS = ("person", "group", "organization", "work")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class CatalogueEntry:
    """One row of the catalogue."""

    id: str
    name: str
    desc: str
    url: str
    type: str


def _clean(text: str) -> str:
    """One line of text: tabs and line breaks become single spaces."""
    return _WHITESPACE.sub(" ", text).strip()


def _years(values: Iterable[str]) -> str:
    return "/".join(dict.fromkeys(values))


def describe(record: Record, records: Mapping[Ref, Record]) -> str:
    """What tells this entity apart, in a short English phrase list."""
    description = _clean(dict(record.description).get("en", ""))
    parts = [description] if description else []
    years: dict[str, list[str]] = {"birth_date": [], "death_date": []}
    occupations: list[str] = []
    for claim in record.claims:
        if claim.privacy == "withheld":
            continue
        if claim.property in years and isinstance(claim.value, PartialDate):
            date = published_date(claim.value, claim.privacy)
            if date is not None:
                years[claim.property].append(str(date.year))
        elif claim.property == "occupation" and isinstance(claim.value, Ref):
            occupation = records.get(claim.value)
            label = occupation.english_name() if occupation else claim.value.slug
            if label.casefold() not in description.casefold() and label not in occupations:
                occupations.append(label)
    if occupations:
        parts.append(", ".join(occupations))
    if years["birth_date"]:
        parts.append(f"born {_years(years['birth_date'])}")
    if years["death_date"]:
        parts.append(f"died {_years(years['death_date'])}")
    # Emigrations told by two sources are one phrase per year, with every destination.
    emigrations: dict[str, list[str]] = {}
    for emigration in record.emigrations:
        if emigration.privacy == "withheld":
            continue
        date = published_date(emigration.date, emigration.privacy)
        when = ""
        if date is not None:
            when = f" c. {date.year}" if emigration.approximate else f" {date.year}"
        places = emigrations.setdefault(when, [])
        for destination in emigration.destinations:
            place = published_place(destination, emigration.privacy, records)
            if place is not None and place in records:
                name = records[place].english_name()
                if name not in places:
                    places.append(name)
    for when, places in emigrations.items():
        where = f" to {', '.join(places)}" if places else ""
        if when or where:
            parts.append(f"emigrated{when}{where}")
    if record.kind == "work" and record.date is not None:
        parts.append(str(record.date.year))
    return _clean("; ".join(parts))


def catalogue_entries(dataset: Dataset, base: str) -> list[CatalogueEntry]:
    """The catalogue's rows, in dataset order (kind, then slug)."""
    records = dataset.by_ref()
    entries = []
    for record in dataset.records:
        if record.kind not in CATALOGUE_KINDS or record.type == "PersonGroup":
            continue
        entries.append(
            CatalogueEntry(
                id=f"{record.kind}/{record.slug}",
                name=_clean(record.english_name()),
                desc=describe(record, records),
                url=iris.entity_iri(base, record.kind, record.slug),
                type=TYPE_ITEMS.get(record.type or "Person", ""),
            )
        )
    return entries


def render_catalogue_tsv(entries: Iterable[CatalogueEntry]) -> str:
    """The rows as Mix'n'match's TSV: a header, then one line per entry."""
    lines = ["\t".join(COLUMNS)]
    for entry in entries:
        lines.append(
            "\t".join(
                _clean(cell) for cell in (entry.id, entry.name, entry.desc, entry.url, entry.type)
            )
        )
    return "\n".join(lines) + "\n"


def load_catalogue(data_dir: Path, reference_table: Path, base: str) -> list[CatalogueEntry]:
    """The catalogue of the records under ``data_dir`` (raises DataErrors for bad records)."""
    dataset = load_dataset(data_dir, load_reference_table(reference_table), workers=1)
    return catalogue_entries(dataset, base)
