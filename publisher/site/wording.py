"""Words for the terms and values pages show: vocabulary individuals, properties, kinds, dates.

The vocabulary's own labels are in ``ontology/emigre.ttl``; its individuals are named so that
splitting the local name reads as the label (``WantedList`` is "wanted list"), and the few that
do not are listed here. Dates are written at the precision their datatype carries: an
``xsd:gYear`` is a year, never a first of January.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyoxigraph import Literal

from publisher.graph.build import LINK_STATE_NODES
from publisher.namespaces import XSD_NS

#: Local names whose label is not their split name (see ``ontology/emigre.ttl``).
_TERM_OVERRIDES = {"Denunciation": "public denunciation"}

#: How a claim's property reads on the subject's page ("occupation: novelist").
_PROPERTY_WORDS = {
    "hasOccupation": "occupation",
    "homeLocation": "residence",
    "workExample": "notable work",
    "isBasedOn": "based on",
    "disambiguatingDescription": "identity note",
    "containedInPlace": "in",
    "inLanguage": "language",
    "datePublished": "published",
    "url": "web address",
    "shownAt": "shown at",
    "sameAs": "same as",
    "startDate": "from",
    "endDate": "until",
}

#: How the same property reads from the other end ("founder of", "lives here").
_INVERSE_WORDS = {
    "hasOccupation": "people with this occupation",
    "homeLocation": "lives here",
    "birthPlace": "born here",
    "deathPlace": "died here",
    "founder": "founder of",
    "director": "director of",
    "performer": "performer of",
    "author": "author of",
    "creator": "creator of",
    "workExample": "notable work of",
    "isBasedOn": "works based on this",
    "memberOf": "members",
    "worksFor": "people working here",
    "shownAt": "works shown here",
    "award": "awarded",
    "containedInPlace": "places within",
    "actor": "persecution by",
    "affectedWork": "persecution affecting this work",
    "supporter": "named as a supporter in",
    "isPartOf": "quotations from this source",
}

#: Kinds of records, singular and plural, as headings name them.
KIND_WORDS: dict[str, tuple[str, str]] = {
    "person": ("person", "people"),
    "group": ("group", "groups"),
    "organization": ("organization", "organizations"),
    "place": ("place", "places"),
    "work": ("work", "works"),
    "source": ("source", "sources"),
    "wave": ("emigration wave", "emigration waves"),
    "occupation": ("occupation", "occupations"),
}

#: What a Wikidata link state means for a reader.
LINK_STATE_WORDS = {
    "Verified": "verified",
    "NeedsReview": "needs review (one source only)",
    "Pending": "pending (not yet reconciled)",
    "NoItem": "no Wikidata item (checked)",
}

#: The path segment of each link state's page in the Wikidata links report: the state as
#: records name it (``needs-review``), keyed by its individual in the vocabulary (``NeedsReview``).
STATE_SLUGS = {node: state for state, node in LINK_STATE_NODES.items()}

#: Names of the languages sources are written in (``schema:inLanguage`` holds BCP 47 codes).
LANGUAGE_NAMES = {
    "cs": "Czech",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "et": "Estonian",
    "fi": "Finnish",
    "fr": "French",
    "he": "Hebrew",
    "hy": "Armenian",
    "it": "Italian",
    "ka": "Georgian",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "ru": "Russian",
    "sr": "Serbian",
    "tr": "Turkish",
    "uk": "Ukrainian",
}


def language_name(code: str) -> str:
    """A language code as a name, the code kept for precision.

    >>> language_name("ru")
    'Russian (ru)'
    """
    name = LANGUAGE_NAMES.get(code.split("-")[0].lower())
    return f"{name} ({code})" if name else code


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def local_name(iri: str) -> str:
    """The part of an IRI after its last ``#`` or ``/``.

    >>> local_name("https://w3id.org/emigre/ns#WantedList")
    'WantedList'
    """
    return re.split(r"[#/]", iri)[-1]


def split_camel(name: str) -> str:
    """A camel-case name as lower-case words.

    >>> split_camel("ForeignAgentDesignation")
    'foreign agent designation'
    """
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).lower()


def term_words(iri: str) -> str:
    """How a vocabulary individual or class reads (``emigre:NeedsReview`` is "needs review").

    >>> term_words("https://w3id.org/emigre/ns#Denunciation")
    'public denunciation'
    """
    name = local_name(iri)
    return _TERM_OVERRIDES.get(name) or split_camel(name)


def property_words(iri: str) -> str:
    """How a property reads before its value.

    >>> property_words("http://schema.org/hasOccupation")
    'occupation'
    >>> property_words("http://schema.org/birthDate")
    'birth date'
    """
    name = local_name(iri)
    return _PROPERTY_WORDS.get(name) or split_camel(name)


def inverse_words(iri: str) -> str:
    """How a property reads from its object's page (``schema:founder`` is "founder of").

    >>> inverse_words("http://schema.org/founder")
    'founder of'
    """
    name = local_name(iri)
    return _INVERSE_WORDS.get(name) or f"{split_camel(name)} of"


@dataclass(frozen=True)
class DateText:
    """A date as words at its own precision, with its machine form for ``<time datetime>``."""

    text: str
    iso: str
    precision: str
    approximate: bool = False

    @property
    def year(self) -> int:
        """The year (dates are at least year-precise)."""
        return int(self.iso.lstrip("-")[:4]) * (-1 if self.iso.startswith("-") else 1)

    def __str__(self) -> str:
        return f"about {self.text}" if self.approximate else self.text


def date_text(value: str, approximate: bool = False) -> DateText | None:
    """Words for an ISO date of year, month or day precision; None if it is not one.

    >>> str(date_text("2022-03", approximate=True))
    'about March 2022'
    >>> date_text("1943-02-21").text
    '21 February 1943'
    """
    match = re.fullmatch(r"(-?\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value)
    if not match:
        return None
    year, month, day = match.groups()
    if month and not 1 <= int(month) <= 12:
        return None
    if day:
        text, precision = f"{int(day)} {_MONTHS[int(month) - 1]} {int(year)}", "day"
    elif month:
        text, precision = f"{_MONTHS[int(month) - 1]} {int(year)}", "month"
    else:
        text, precision = str(int(year)), "year"
    return DateText(text, value, precision, approximate)


def literal_date(literal: Literal, approximate: bool = False) -> DateText | None:
    """Words for a date literal (``xsd:gYear``, ``xsd:gYearMonth``, ``xsd:date``), else None."""
    if literal.datatype.value not in (f"{XSD_NS}gYear", f"{XSD_NS}gYearMonth", f"{XSD_NS}date"):
        return None
    return date_text(literal.value, approximate)


def human_size(size: int) -> str:
    """A file size for people (SI units, as download pages use).

    >>> human_size(164537)
    '164.5 kB'
    >>> human_size(999)
    '999 bytes'
    """
    if size < 1000:
        return f"{size} bytes"
    value = size / 1000
    for unit in ("kB", "MB", "GB"):
        if value < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"
