"""Fetch what our records link to: the entity JSON of every Wikidata ID in ``data/``, cached by the
client so the editors' tools (diff, QuickStatements) can then work offline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from publisher.model.loader import load_dataset
from publisher.model.records import Dataset
from publisher.model.reference import load_reference_table
from publisher.wikidata.client import WikidataClient
from publisher.wikidata.entities import FetchedEntity, FetchState
from publisher.wikidata.settings import WikidataSettings

#: The states in the order a summary lists them.
STATES: tuple[FetchState, ...] = ("found", "redirected", "missing")


@dataclass(frozen=True)
class LinkedEntities:
    """The fetched entity of every linked ID, and which records link to it."""

    #: Keyed by the ID in our records, in ID order.
    entities: dict[str, FetchedEntity]
    #: ID -> the records linking to it ("person/bunin"), sorted.
    records: dict[str, tuple[str, ...]]

    def counts(self) -> dict[FetchState, int]:
        """How many IDs are in each state (every state listed, in :data:`STATES` order)."""
        counts = dict.fromkeys(STATES, 0)
        for entity in self.entities.values():
            counts[entity.state] += 1
        return counts

    def in_state(self, state: FetchState) -> list[FetchedEntity]:
        """The entities in ``state``, in ID order."""
        return [entity for entity in self.entities.values() if entity.state == state]


def linked_ids(dataset: Dataset) -> dict[str, tuple[str, ...]]:
    """Every Wikidata ID the records link to -> the records linking to it, in ID order.

    IDs sort by number (Q30 before Q159), so the requests and the summary are the same every run.
    """
    records: dict[str, list[str]] = {}
    for record in dataset.records:
        if record.wikidata:
            records.setdefault(record.wikidata, []).append(str(record.ref))
    order = sorted(records, key=lambda entity_id: (entity_id[0], int(entity_id[1:])))
    return {entity_id: tuple(sorted(records[entity_id])) for entity_id in order}


def fetch_linked_entities(
    settings: WikidataSettings,
    data_dir: Path,
    reference_table: Path,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> LinkedEntities:
    """Load the records under ``data_dir`` and fetch (or read from the cache) every entity they
    link to. Raises DataErrors for bad records, WikidataError when Wikidata cannot answer."""
    with WikidataClient(settings, sleep=sleep) as client:  # refuses bad settings before loading
        dataset = load_dataset(data_dir, load_reference_table(reference_table), workers=1)
        records = linked_ids(dataset)
        entities = client.get_entities(records)
    return LinkedEntities(entities, records)
