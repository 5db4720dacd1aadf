"""Reconciliation: matching other people's lists of names against our records.

A W3C Reconciliation Service API service (version 0.2, which OpenRefine speaks, and the
1.0-draft routes), framework-free; ``emigre serve`` mounts it at ``/reconcile``
(``docs/reconciliation.md``). The modules, from the bottom up:

- ``properties``, ``entity_types``: the closed sets of properties and types clients name;
- ``records``: what each record is, read from the catalog in one pass;
- ``words``, ``index``: the in-memory index built at start-up (dictionaries, no scans);
- ``scoring``: scores from 0 to 100 and the features that explain them, as pure functions;
- ``search``: word-prefix search (suggestions, and the site's search box);
- ``matching``: one query's candidates, scored and ranked;
- ``parsing``, ``service``, ``preview``, ``protocol``: requests in, JSON and HTML out.
"""

from __future__ import annotations

from publisher.reconcile.index import EntityIndex, entity_index
from publisher.reconcile.matching import Candidate, Matcher, Query
from publisher.reconcile.protocol import ReconcileEndpoint, Reply
from publisher.reconcile.service import ReconciliationService, ServiceSettings

__all__ = [
    "Candidate",
    "EntityIndex",
    "Matcher",
    "Query",
    "ReconcileEndpoint",
    "ReconciliationService",
    "Reply",
    "ServiceSettings",
    "entity_index",
]
