"""What the client hands to the rest of the package: one fetched Wikidata item, as Wikidata sent it.

The entity JSON is kept as Wikidata's own structure (``labels``, ``aliases``, ``descriptions``,
``claims`` with ``mainsnak``/``qualifiers``/``references``), not converted, so the diff and the
QuickStatements writer read the same fields an editor sees in ``Special:EntityData``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

#: ``found``: the item exists under the ID asked for. ``redirected``: the ID was merged into
#: ``entity_id``. ``missing``: Wikidata has no such item (deleted or never created).
FetchState = Literal["found", "redirected", "missing"]


@dataclass(frozen=True)
class FetchedEntity:
    """One item as fetched for an ID we asked for."""

    #: The ID we asked for (as in our data).
    requested_id: str
    state: FetchState
    #: The ID the data belong to: the redirect target when ``redirected``, else ``requested_id``.
    entity_id: str
    #: Wikidata's entity JSON (one value of ``entities`` in ``wbgetentities``), None when missing.
    data: dict[str, Any] | None = None
    #: Revision the data were read at, when Wikidata said (``lastrevid``).
    revision: int | None = None
