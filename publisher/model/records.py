"""The records curators write, as frozen dataclasses. No rdflib here: the graph is built later."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

from publisher.model.dates import PartialDate

#: Text in several languages: ((language, text), ...) sorted by language.
LangText = tuple[tuple[str, str], ...]

Privacy = Literal["public", "coarse", "withheld"]
LinkState = Literal["verified", "needs-review", "pending", "no-item"]

CIRCUMSTANCES = (
    "fled",
    "did-not-return",
    "expelled",
    "defected",
    "left-after-case-closed",
    "relocated",
)
PERSECUTION_TYPES = (
    "wanted-list",
    "foreign-agent",
    "criminal-case",
    "fine",
    "treason-risk",
    "dismissal",
    "cancelled-production",
    "extremism-screening",
    "sentence-in-absentia",
    "assault",
    "event-cancelled",
    "blacklist",
    "denunciation",
    "expulsion",
)


@dataclass(frozen=True)
class Ref:
    """A reference to another record, written ``kind/slug``."""

    kind: str
    slug: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.slug}"


@dataclass(frozen=True)
class Citation:
    """A source and the words of it that support a claim."""

    source: Ref
    excerpt: str
    mentioned_as: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Claim:
    """One sourced statement about a record: ``property`` has ``value``."""

    key: str
    property: str
    #: A Ref for entity properties, a PartialDate for date properties, LangText for text.
    value: Ref | PartialDate | LangText
    cites: tuple[Citation, ...]
    date: PartialDate | None = None
    end_date: PartialDate | None = None
    approximate: bool = False
    privacy: Privacy = "public"
    line: int = 0


@dataclass(frozen=True)
class Emigration:
    """Someone leaving: from where, to where, when, why."""

    key: str
    destinations: tuple[Ref, ...]
    cites: tuple[Citation, ...]
    origin: Ref | None = None
    #: Keys of other emigrations of the same record that another source tells differently.
    conflicts_with: tuple[str, ...] = ()
    date: PartialDate | None = None
    approximate: bool = False
    circumstance: str | None = None
    wave: Ref | None = None
    privacy: Privacy = "public"
    line: int = 0


@dataclass(frozen=True)
class Persecution:
    """A measure taken against someone: a case, a designation, a ban."""

    key: str
    type: str
    cites: tuple[Citation, ...]
    date: PartialDate | None = None
    end_date: PartialDate | None = None
    approximate: bool = False
    actor: Ref | None = None
    charge: LangText = ()
    penalty: LangText = ()
    work: Ref | None = None
    supporters: tuple[Ref, ...] = ()
    privacy: Privacy = "public"
    line: int = 0


@dataclass(frozen=True)
class Quote:
    """Words a person said, as a source prints them."""

    key: str
    text: LangText
    source: Ref
    line: int = 0


@dataclass(frozen=True)
class Record:
    """One curated entity: a person, group, place, work, source, wave, organization, occupation."""

    kind: str
    slug: str
    name: LangText
    path: Path
    line: int = 1
    type: str | None = None
    alternate_names: LangText = ()
    description: LangText = ()
    wikidata: str | None = None
    link_state: LinkState = "pending"
    #: Items a curator found possibly matching (unverified, never a link): pending records only.
    wikidata_candidates: tuple[str, ...] = ()
    # place
    country: Ref | None = None
    historical_names: LangText = ()
    # work, source, wave
    date: PartialDate | None = None
    end_date: PartialDate | None = None
    creators: tuple[Ref, ...] = ()
    # source
    title: LangText = ()
    author: Ref | None = None
    author_name: str | None = None
    publisher_name: str | None = None
    url: str | None = None
    locator: str | None = None
    language: str | None = None
    # sourced content
    claims: tuple[Claim, ...] = ()
    emigrations: tuple[Emigration, ...] = ()
    persecutions: tuple[Persecution, ...] = ()
    quotes: tuple[Quote, ...] = field(default=())

    @cached_property
    def ref(self) -> Ref:
        """How other records point at this one (made once: checks and rendering ask often)."""
        return Ref(self.kind, self.slug)

    def english_name(self) -> str:
        """The English name (every record has one)."""
        return dict(self.name)["en"]


@dataclass(frozen=True)
class Dataset:
    """Every record of a build, in a stable order (kind, then slug)."""

    records: tuple[Record, ...]

    def by_ref(self) -> dict[Ref, Record]:
        """Records keyed by their reference."""
        return {record.ref: record for record in self.records}
