"""The types a reconciliation query can ask for: one per record kind, and the classes below them.

A client names a type by its id (``Person``, ``Group``, ``Place``, ``Work`` ...). The kind-level
types stand for a whole kind of record (``Group``: bands, ensembles and groups of people, whatever
their class); the narrower ones are the schema.org classes (and ours) that records carry
(``MusicGroup``, ``City``, ``Book``; see ``CLASS_BY_TYPE`` in ``publisher.graph.build``), each
with the kind-level types it falls under as ``broader``.

Ids are also understood in other spellings clients use: any case, ``schema:Person``,
``http://schema.org/Person``, ``https://schema.org/Person``, ``emigre:PersonGroup`` and our
namespace's IRIs, and record kinds (``person``).
"""

from __future__ import annotations

from dataclasses import dataclass

from publisher.graph.build import CLASS_BY_TYPE
from publisher.namespaces import EMIGRE_NS, SCHEMA


@dataclass(frozen=True)
class EntityType:
    """A type of the service: what it is called and which records it covers."""

    id: str
    name: str
    description: str
    #: The record kind the type stands for, if it is a kind-level type.
    kind: str | None = None
    #: Local names of the classes whose members are of this type (``CLASS_BY_TYPE`` keys).
    classes: tuple[str, ...] = ()
    #: Ids of the kind-level types a class-level type falls under.
    broader: tuple[str, ...] = ()

    def covers(self, kind: str, classes: tuple[str, ...]) -> bool:
        """Whether a record of ``kind`` with ``classes`` is of this type."""
        return kind == self.kind or any(name in self.classes for name in classes)

    def as_json(self, *, with_broader: bool = False) -> dict[str, object]:
        """``{"id", "name"}`` (and ``description``, ``broader`` for type suggestions)."""
        value: dict[str, object] = {"id": self.id, "name": self.name}
        if with_broader:
            value["description"] = self.description
            if self.broader:
                value["broader"] = [TYPES[b].as_json() for b in self.broader]
        return value


_KIND_TYPES = (
    EntityType("Person", "person", "A person.", "person", ("Person",)),
    EntityType("Group", "group", "A band, an ensemble or a group of people.", "group"),
    EntityType(
        "Organization", "organization", "An organization.", "organization", ("Organization",)
    ),
    EntityType("Place", "place", "A country, city or other place.", "place", ("Place",)),
    EntityType("Work", "work", "A book, film, recording or other work.", "work"),
    EntityType("Source", "source", "An article, web page or other source we cite.", "source"),
    EntityType(
        "EmigrationWave",
        "emigration wave",
        "A wave of emigration from Russia (1917-1922, 2022 ...).",
        "wave",
        ("EmigrationWave",),
    ),
    EntityType("Occupation", "occupation", "An occupation.", "occupation", ("Occupation",)),
)
#: Class-level types: (id, name, broader kind-level types).
_CLASS_TYPES = (
    ("MusicGroup", "music group", ("Group",)),
    ("PersonGroup", "group of people", ("Group",)),
    ("NewsMediaOrganization", "news media organization", ("Organization",)),
    ("GovernmentOrganization", "government organization", ("Organization",)),
    ("PerformingArtsTheater", "theatre", ("Organization",)),
    ("Festival", "festival", ("Organization",)),
    ("NGO", "non-governmental organization", ("Organization",)),
    ("Country", "country", ("Place",)),
    ("City", "city", ("Place",)),
    ("Book", "book", ("Work",)),
    ("Movie", "film", ("Work",)),
    ("MusicRecording", "music recording", ("Work",)),
    ("CreativeWork", "creative work", ("Work", "Source")),
    ("NewsArticle", "news article", ("Source",)),
    ("WebPage", "web page", ("Source",)),
)

#: Every type, by id: the kind-level types first, then the classes.
TYPES: dict[str, EntityType] = {
    **{t.id: t for t in _KIND_TYPES},
    **{
        id_: EntityType(id_, name, f"A {name} ({CLASS_BY_TYPE[id_]}).", None, (id_,), broader)
        for id_, name, broader in _CLASS_TYPES
    },
}
#: The types offered first (the manifest's ``defaultTypes``).
DEFAULT_TYPES = ("Person", "Group", "Organization", "Place", "Work")
#: The kind-level type of each record kind.
KIND_TYPES = {t.kind: t.id for t in _KIND_TYPES if t.kind}

_BY_SPELLING: dict[str, str] = {}
for _type in TYPES.values():
    for _spelling in (
        _type.id,
        f"schema:{_type.id}",
        f"emigre:{_type.id}",
        f"{SCHEMA}{_type.id}",
        f"{str(SCHEMA).replace('http:', 'https:')}{_type.id}",
        f"{EMIGRE_NS}{_type.id}",
        _type.kind or _type.id,
    ):
        _BY_SPELLING.setdefault(_spelling.casefold(), _type.id)


def find_type(spelling: str) -> EntityType | None:
    """The type a client means, in any of the spellings above; None for one we do not have.

    >>> [find_type(s).id for s in ("Person", "schema:MusicGroup", "http://schema.org/City", "work")]
    ['Person', 'MusicGroup', 'City', 'Work']
    >>> find_type("Q5") is None
    True
    """
    found = _BY_SPELLING.get(spelling.strip().casefold())
    return TYPES[found] if found else None


def types_of(kind: str, classes: tuple[str, ...]) -> list[EntityType]:
    """The types of a record: its kind-level type, then its classes' types (no repeats)."""
    found = [TYPES[KIND_TYPES[kind]]] if kind in KIND_TYPES else []
    found += [TYPES[name] for name in classes if name in TYPES and TYPES[name] not in found]
    return found
