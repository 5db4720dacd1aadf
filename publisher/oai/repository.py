"""The repository an OAI-PMH provider serves: items, their datestamps and sets, and selections.

Items are the records of a release and its tombstones, as the release manifest
(``dist/release.json``, ``publisher.releases``) lists them: nothing is computed from a clock.
An item's identifier is ``oai:{repository id}:{kind}/{slug}``; the repository id is the host of
the base IRI (``oai:w3id.org:person/ulitskaya``) unless configured. Its sets are
``kind:{kind}`` and ``wave:{slug}`` for each emigration wave its document places it in; the
parents ``kind`` and ``wave`` hold the items of all their children (OAI-PMH §2.7.2).

Items are kept in datestamp order, so ``from``/``until`` is a binary search; a selection is
remembered while harvesters page through it.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from publisher import config, iris
from publisher.catalog import Catalog
from publisher.oai.protocol import DateRange
from publisher.releases import MANIFEST_FILE, ReleaseManifest, record_iri

#: Identify must name an administrator (OAI-PMH §4.2); a reserved, undeliverable address (RFC
#: 2606) says plainly that none was configured (``emigre serve --oai-admin-email``).
DEFAULT_ADMIN_EMAIL = "unconfigured@example.invalid"
DEFAULT_PAGE_SIZE = 100
#: A repository identifier: a domain name (the oai-identifier scheme's ``repositoryIdentifier``).
REPOSITORY_ID = re.compile(r"^[A-Za-z0-9]+(?:[.-][A-Za-z0-9]+)*$")
#: Names of the sets by kind.
KIND_SET_NAMES = {
    "person": "People",
    "group": "Groups",
    "organization": "Organizations",
    "place": "Places",
    "work": "Works",
    "source": "Sources",
    "wave": "Emigration waves",
    "occupation": "Occupations",
}
_SELECTIONS_KEPT = 16


@dataclass(frozen=True)
class OaiSettings:
    """What ``emigre serve --oai-…`` configures."""

    #: Records or headers per response; longer lists continue with a resumption token.
    page_size: int = DEFAULT_PAGE_SIZE
    #: The repository part of identifiers; None: the host of the base IRI.
    repository_id: str | None = None
    admin_email: str = DEFAULT_ADMIN_EMAIL
    repository_name: str = config.DATASET_TITLE

    def to_environment(self) -> dict[str, str]:
        """The settings as environment variables (for uvicorn's worker processes)."""
        return {
            "EMIGRE_OAI_PAGE_SIZE": str(self.page_size),
            "EMIGRE_OAI_REPOSITORY_ID": self.repository_id or "",
            "EMIGRE_OAI_ADMIN_EMAIL": self.admin_email,
        }

    @classmethod
    def from_environment(cls, environment: Mapping[str, str]) -> OaiSettings:
        """What :meth:`to_environment` wrote (defaults where a variable is absent)."""
        return cls(
            page_size=int(environment.get("EMIGRE_OAI_PAGE_SIZE") or DEFAULT_PAGE_SIZE),
            repository_id=environment.get("EMIGRE_OAI_REPOSITORY_ID") or None,
            admin_email=environment.get("EMIGRE_OAI_ADMIN_EMAIL") or DEFAULT_ADMIN_EMAIL,
        )


@dataclass(frozen=True)
class Item:
    """A record or tombstone as OAI-PMH lists it."""

    ref: str
    datestamp: str
    sets: tuple[str, ...]
    deleted: bool

    def in_set(self, spec: str) -> bool:
        """Whether the item is in set ``spec`` or in one of its subsets.

        >>> Item("person/x", "2026-01-01T00:00:00Z", ("kind:person",), False).in_set("kind")
        True
        """
        return any(own == spec or own.startswith(f"{spec}:") for own in self.sets)


class OaiRepository:
    """The items of one release, with the catalog their metadata is rendered from."""

    def __init__(
        self,
        catalog: Catalog,
        manifest: ReleaseManifest,
        fingerprint: str,
        settings: OaiSettings | None = None,
    ) -> None:
        self.catalog = catalog
        self.manifest = manifest
        self.settings = settings or OaiSettings()
        self.fingerprint = fingerprint
        self.repository_id = self.settings.repository_id or urlsplit(catalog.base).hostname or ""
        self.prefix = f"oai:{self.repository_id}:"
        items = [
            Item(ref, state.datestamp, _sets(ref, state.waves), False)
            for ref, state in manifest.records.items()
        ]
        items += [
            Item(ref, tombstone.datestamp, _sets(ref, tombstone.waves), True)
            for ref, tombstone in manifest.tombstones.items()
        ]
        self.items = sorted(items, key=lambda item: (item.datestamp, item.ref))
        self._datestamps = [item.datestamp for item in self.items]
        self._by_ref = {item.ref: item for item in self.items}
        self._selections: OrderedDict[tuple[str | None, str | None, str | None], list[Item]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()
        self._sets: list[tuple[str, str]] | None = None

    @classmethod
    def open(
        cls, dist_dir: Path, catalog: Catalog, settings: OaiSettings | None = None
    ) -> OaiRepository | None:
        """The repository of a build directory (its ``release.json``) and its opened catalog;
        None for a build directory without a release manifest (not written by ``emigre
        build``, or by a version before it wrote one)."""
        try:
            data = (dist_dir / MANIFEST_FILE).read_bytes()
        except FileNotFoundError:
            return None
        manifest = ReleaseManifest.parse(data.decode("utf-8"), str(dist_dir / MANIFEST_FILE))
        return cls(catalog, manifest, hashlib.sha256(data).hexdigest()[:16], settings)

    # -- identifiers and items -------------------------------------------------------------------

    def identifier(self, item: Item) -> str:
        """The OAI identifier of an item."""
        return f"{self.prefix}{item.ref}"

    def item(self, identifier: str) -> Item | None:
        """The item an identifier names, or None (unknown, or not one of ours)."""
        if not identifier.startswith(self.prefix):
            return None
        return self._by_ref.get(identifier[len(self.prefix) :])

    def iri(self, item: Item) -> str:
        """The entity IRI of an item."""
        return record_iri(self.catalog.base, item.ref)

    @property
    def earliest_datestamp(self) -> str:
        """The oldest datestamp of any item (the release's own for an empty repository)."""
        return self.items[0].datestamp if self.items else self.manifest.timestamp

    # -- sets ------------------------------------------------------------------------------------

    def sets(self) -> list[tuple[str, str]]:
        """(setSpec, setName) of every set, parents first."""
        if self._sets is None:
            found: list[tuple[str, str]] = [("kind", "Records by kind")]
            found += [(f"kind:{kind}", KIND_SET_NAMES[kind]) for kind in iris.ENTITY_KINDS]
            found.append(("wave", "Records by emigration wave"))
            waves = {spec[5:] for item in self.items for spec in item.sets if spec[:5] == "wave:"}
            waves |= {
                item.ref[5:] for item in self.items if item.ref[:5] == "wave/" and not item.deleted
            }
            for slug in sorted(waves):
                name = self.catalog.label(iris.entity_iri(self.catalog.base, "wave", slug))
                found.append((f"wave:{slug}", name))
            self._sets = found
        return self._sets

    def has_set(self, spec: str) -> bool:
        """Whether ``spec`` is one of :meth:`sets`."""
        return any(own == spec for own, _ in self.sets())

    # -- selections ------------------------------------------------------------------------------

    def select(self, dates: DateRange, set_spec: str | None) -> list[Item]:
        """The items with a datestamp in ``dates`` and in ``set_spec``, in datestamp order."""
        key = (dates.start, dates.end, set_spec)
        with self._lock:
            kept = self._selections.get(key)
            if kept is not None:
                self._selections.move_to_end(key)
                return kept
        low = bisect.bisect_left(self._datestamps, dates.start) if dates.start else 0
        high = bisect.bisect_right(self._datestamps, dates.end) if dates.end else len(self.items)
        chosen = self.items[low:high]
        if set_spec is not None:
            chosen = [item for item in chosen if item.in_set(set_spec)]
        with self._lock:
            self._selections[key] = chosen
            while len(self._selections) > _SELECTIONS_KEPT:
                self._selections.popitem(last=False)
        return chosen


def _sets(ref: str, waves: tuple[str, ...]) -> tuple[str, ...]:
    kind = ref.partition("/")[0]
    return (f"kind:{kind}", *(f"wave:{slug}" for slug in waves))
