"""``emigre push``: load a build into a triple store over the SPARQL 1.1 Graph Store Protocol.

The dump goes to a staging graph first, is counted there, and only then replaces the target
graph in one SPARQL update, so a push that fails at any step leaves the published graph as it
was; an empty target on a store whose loads are atomic is loaded directly
(:mod:`publisher.push.release`). Which URLs a store has, and what it accepts, is in
:mod:`publisher.push.endpoints`; the streamed, counted request body in :mod:`publisher.push.body`;
the HTTP requests, retries and authentication in :mod:`publisher.push.client` (with
``publisher.wikidata``, the only code that imports ``requests``). docs/deploy.md shows the
commands for Oxigraph server and Virtuoso.
"""

from publisher.push.endpoints import (
    AUTH_KINDS,
    PRESETS,
    Credentials,
    PushError,
    PushUsageError,
    StoreEndpoint,
    choose_credentials,
    staging_graph_iri,
    store_endpoint,
)
from publisher.push.release import (
    PushMethod,
    PushReport,
    PushSettings,
    default_graph,
    push_release,
    swap_update,
)

__all__ = [
    "AUTH_KINDS",
    "PRESETS",
    "Credentials",
    "PushError",
    "PushMethod",
    "PushReport",
    "PushSettings",
    "PushUsageError",
    "StoreEndpoint",
    "choose_credentials",
    "default_graph",
    "push_release",
    "staging_graph_iri",
    "store_endpoint",
    "swap_update",
]
