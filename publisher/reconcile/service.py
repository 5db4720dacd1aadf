"""The reconciliation service's operations, as JSON-ready values: manifests, reconciliation,
suggestions, property proposals, data extension and previews.

Framework-free: ``publisher.reconcile.protocol`` reads HTTP requests into calls of these methods,
``publisher.server.app`` moves the bytes. Ids are record ids (``person/ulitskaya``): the
manifest's ``identifierSpace`` (``{base}id/``) followed by the id is the record's IRI, and the
view URL (``{root}id/{{id}}``) is the record on this server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from publisher import __version__
from publisher.namespaces import EMIGRE_NS
from publisher.reconcile.entity_types import DEFAULT_TYPES, TYPES, find_type, types_of
from publisher.reconcile.index import EntityIndex
from publisher.reconcile.matching import MAX_LIMIT, Candidate, Matcher, Query
from publisher.reconcile.parsing import ExtendRequest
from publisher.reconcile.preview import (
    PREVIEW_HEIGHT,
    PREVIEW_WIDTH,
    render_missing,
    render_preview,
)
from publisher.reconcile.properties import PROPERTIES, Property
from publisher.reconcile.records import Entity
from publisher.reconcile.search import typed_search

#: Wikidata's reconciliation service, named in extension results that are Wikidata items, so
#: that OpenRefine records them as reconciled against Wikidata.
WIKIDATA_SERVICE = "https://wikidata.reconci.link/en/api"
#: Suggestions: people and groups before the records that describe them.
SUGGEST_KIND_WEIGHTS = {"person": 1.0, "group": 1.0, "organization": 0.9, "place": 0.8}
SUGGEST_LIMIT = 10

Json = dict[str, object]


@dataclass(frozen=True)
class ServiceSettings:
    """What the manifest announces."""

    name: str = "Émigré: the cultural exodus from Russia"
    #: Most queries in one request (the manifest's ``batchSize``; more get 413).
    batch_size: int = 50


class ReconciliationService:
    """The operations over one index."""

    def __init__(self, index: EntityIndex, settings: ServiceSettings | None = None) -> None:
        self.index = index
        self.settings = settings or ServiceSettings()
        self.matcher = Matcher(index)

    # -- manifests -------------------------------------------------------------------------------

    def manifest(self, root: str) -> Json:
        """The 0.2 manifest, with URLs under ``root`` (``http://host:port/``)."""
        service_url = f"{root}reconcile"
        return {
            "versions": ["0.2"],
            "name": self.settings.name,
            "identifierSpace": self.index.id_space,
            "schemaSpace": EMIGRE_NS,
            "serviceVersion": __version__,
            "defaultTypes": [TYPES[t].as_json() for t in DEFAULT_TYPES],
            "view": {"url": f"{root}id/{{{{id}}}}"},
            "preview": {
                "url": f"{service_url}/preview?id={{{{id}}}}",
                "width": PREVIEW_WIDTH,
                "height": PREVIEW_HEIGHT,
            },
            "suggest": {
                kind: {"service_url": service_url, "service_path": f"/suggest/{kind}"}
                for kind in ("entity", "type", "property")
            },
            "extend": {
                "propose_properties": {
                    "service_url": service_url,
                    "service_path": "/propose_properties",
                },
                "property_settings": [
                    {
                        "name": "limit",
                        "label": "Limit",
                        "type": "number",
                        "default": 0,
                        "help_text": "Most values per record (0 for all).",
                    }
                ],
            },
            "batchSize": self.settings.batch_size,
        }

    def manifest_v1(self, root: str) -> Json:
        """The 1.0-draft manifest (its routes are under ``{root}reconcile/v1/``)."""
        return {
            "versions": ["1.0-draft"],
            "name": self.settings.name,
            "lang": "en",
            "identifierSpace": self.index.id_space,
            "schemaSpace": EMIGRE_NS,
            "serviceVersion": __version__,
            "defaultTypes": [TYPES[t].as_json() for t in DEFAULT_TYPES],
            "view": {"url": f"{root}id/{{id}}"},
            "preview": {"width": PREVIEW_WIDTH, "height": PREVIEW_HEIGHT},
            "suggest": {"entity": True, "property": True, "type": True},
            "extend": {
                "proposeProperties": True,
                "propertySettings": [
                    {
                        "type": "number",
                        "id": "limit",
                        "name": "Limit",
                        "default": 0,
                        "helpText": "Most values per record (0 for all).",
                    }
                ],
            },
            "standardizedScore": True,
            "batchSize": self.settings.batch_size,
        }

    # -- reconciliation --------------------------------------------------------------------------

    def reconcile(self, queries: Mapping[str, Query]) -> Json:
        """A 0.2 result batch: ``{"q0": {"result": [candidate, ...]}, ...}``."""
        return {
            key: {"result": [self.candidate(c) for c in self.matcher.candidates(query)]}
            for key, query in queries.items()
        }

    def reconcile_v1(self, queries: list[Query]) -> Json:
        """A 1.0-draft result batch: ``{"results": [{"candidates": [...]}, ...]}``."""
        return {
            "results": [
                {"candidates": [self.candidate(c) for c in self.matcher.candidates(query)]}
                for query in queries
            ]
        }

    def candidate(self, candidate: Candidate) -> Json:
        """A candidate as both versions write it."""
        entity = candidate.entity
        return {
            "id": entity.id,
            "name": entity.label,
            "description": self.summary(entity),
            "type": [t.as_json() for t in types_of(entity.kind, entity.classes)],
            "score": candidate.score,
            "match": candidate.match,
            "features": [feature.as_json() for feature in candidate.features],
        }

    def summary(self, entity: Entity) -> str:
        """A line telling a record from its namesakes: description, birth, emigration, country."""
        facts = entity.facts
        parts = [entity.description] if entity.description else []
        if facts.get("birthDate"):
            parts.append("born " + " or ".join(facts["birthDate"]))
        years = facts.get("emigrationYear", ())
        places = [self.index.label(p) for p in facts.get("destination", ())]
        if years or places:
            where = f" to {', '.join(places)}" if places else ""
            parts.append(f"emigrated{' ' + ', '.join(years) if years else ''}{where}")
        if entity.kind == "place" and facts.get("country"):
            parts.append("in " + ", ".join(self.index.label(c) for c in facts["country"]))
        return "; ".join(parts)

    # -- suggest ---------------------------------------------------------------------------------

    def suggest_entities(
        self, prefix: str, type_id: str | None = None, cursor: int = 0, limit: int = SUGGEST_LIMIT
    ) -> Json:
        """Records whose names begin with ``prefix`` (an id, IRI or QID: that record first)."""
        allowed = None
        if type_id:
            allowed = self.matcher.members(find_type(type_id))
        wanted = cursor + min(limit, MAX_LIMIT)
        numbers: list[int] = []
        exact = self.index.lookup(prefix) if prefix.strip() else None
        if exact is not None and (allowed is None or exact in allowed):
            numbers.append(exact)
        for number, _ in typed_search(
            self.index, prefix, wanted, SUGGEST_KIND_WEIGHTS, 0.7, allowed
        ):
            if number not in numbers:
                numbers.append(number)
        result = []
        for number in numbers[cursor:wanted]:
            entity = self.index.entities[number]
            result.append(
                {
                    "id": entity.id,
                    "name": entity.label,
                    "description": self.summary(entity),
                    "notable": [t.as_json() for t in types_of(entity.kind, entity.classes)],
                }
            )
        return {"result": result}

    def suggest_types(self, prefix: str, cursor: int = 0, limit: int = SUGGEST_LIMIT) -> Json:
        """Types whose id or name has a word beginning with ``prefix`` (all for an empty one)."""
        wanted = prefix.strip().casefold()
        found = [
            t.as_json(with_broader=True)
            for t in TYPES.values()
            if _begins_a_word(wanted, t.id, t.name)
        ]
        return {"result": found[cursor : cursor + min(limit, MAX_LIMIT)]}

    def suggest_properties(
        self, prefix: str, type_id: str | None = None, cursor: int = 0, limit: int = SUGGEST_LIMIT
    ) -> Json:
        """Properties whose id or name has a word beginning with ``prefix``."""
        wanted = prefix.strip().casefold()
        found = [
            p.as_json()
            for p in self._properties_of(type_id)
            if _begins_a_word(wanted, p.id, p.name)
        ]
        return {"result": found[cursor : cursor + min(limit, MAX_LIMIT)]}

    def propose_properties(self, type_id: str | None, limit: int | None) -> Json:
        """The properties records of a type have (data extension's proposals)."""
        found = [p.as_json() for p in self._properties_of(type_id)]
        answer: Json = {"properties": found[:limit] if limit else found}
        if type_id:
            answer["type"] = type_id
        if limit:
            answer["limit"] = limit
        return answer

    def _properties_of(self, type_id: str | None) -> list[Property]:
        if not type_id:
            return list(PROPERTIES.values())
        entity_type = find_type(type_id)
        if entity_type is None:
            return []
        kinds = {t.kind for t in (entity_type, *(TYPES[b] for b in entity_type.broader)) if t.kind}
        return [p for p in PROPERTIES.values() if kinds.intersection(p.kinds)]

    # -- data extension --------------------------------------------------------------------------

    def _values(self, entity: Entity | None, prop: Property, limit: int) -> list[Json]:
        if entity is None:
            return []
        ours = entity.values(prop.id)
        values: list[Json] = []
        for value in ours[:limit] if limit else ours:
            if prop.value_kind == "entity":
                values.append({"id": value, "name": self.index.label(value)})
            elif prop.value_kind == "wikidata":
                values.append({"id": value, "name": entity.label})
            elif prop.value_kind == "year":
                values.append({"int": int(value)})
            elif prop.value_kind == "date" and len(value) == 10:
                values.append({"date": f"{value}T00:00:00Z"})
            else:
                values.append({"str": value})
        return values

    def _meta(self, request: ExtendRequest) -> list[Json]:
        meta: list[Json] = []
        for prop, _ in request.properties:
            entry: Json = {"id": prop.id, "name": prop.name}
            if prop.value_kind == "entity" and prop.target_kinds:
                kind_type = find_type(prop.target_kinds[0])
                if kind_type is not None:
                    entry["type"] = kind_type.as_json()
            if prop.value_kind == "wikidata":
                entry["service"] = WIKIDATA_SERVICE
            meta.append(entry)
        return meta

    def _entity(self, identifier: str) -> Entity | None:
        number = self.index.lookup(identifier)
        return self.index.entities[number] if number is not None else None

    def extend(self, request: ExtendRequest) -> Json:
        """A 0.2 extension result: ``{"meta": [...], "rows": {id: {property: [values]}}}``.
        Dates published at day precision are dates, others text (``1922``, ``2022-03``)."""
        rows: Json = {}
        for identifier in request.ids:
            entity = self._entity(identifier)
            rows[identifier] = {
                prop.id: self._values(entity, prop, limit) for prop, limit in request.properties
            }
        return {"meta": self._meta(request), "rows": rows}

    def extend_v1(self, request: ExtendRequest) -> Json:
        """A 1.0-draft extension result (rows as a list of ``{id, properties: [...]}``)."""
        rows = []
        for identifier in request.ids:
            entity = self._entity(identifier)
            rows.append(
                {
                    "id": identifier,
                    "properties": [
                        {"id": prop.id, "values": self._values(entity, prop, limit)}
                        for prop, limit in request.properties
                    ],
                }
            )
        return {"meta": self._meta(request), "rows": rows}

    # -- preview ---------------------------------------------------------------------------------

    def preview(self, identifier: str, root: str) -> tuple[bool, str]:
        """(found, HTML card) for a record id."""
        entity = self._entity(identifier)
        if entity is None:
            return False, render_missing(identifier)
        others = [n.text for n in entity.names if n.role == "name" and n.text != entity.label]
        meta = [t.name for t in types_of(entity.kind, entity.classes)]
        meta.append(entity.id)
        meta += [f"Wikidata {qid}" for qid in entity.facts.get("wikidataId", ())]
        return True, render_preview(
            name=entity.label,
            other_names=others,
            url=f"{root}id/{entity.id}",
            meta=meta,
            summary=self.summary(entity),
        )


def _begins_a_word(prefix: str, *texts: str) -> bool:
    if not prefix:
        return True
    for text in texts:
        folded = text.casefold()
        if folded.startswith(prefix) or any(w.startswith(prefix) for w in folded.split()):
            return True
    return False
