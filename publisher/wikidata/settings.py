"""How the Wikidata client is configured: who we say we are, where we send requests, and where
responses are cached.

Wikidata's User-Agent policy asks every tool to name itself and give a way to reach its operator
(https://meta.wikimedia.org/wiki/User-Agent_policy); the client refuses to run without one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

#: Where a User-Agent is read from when no option gives one.
USER_AGENT_ENV = "EMIGRE_WIKIDATA_USER_AGENT"
DEFAULT_API_URL = "https://www.wikidata.org/w/api.php"
DEFAULT_CACHE_DIR = Path(".emigre-cache") / "wikidata"


@dataclass(frozen=True)
class WikidataSettings:
    """Everything the client needs; the CLI fills it from options and the environment."""

    #: e.g. "EmigreBot/0.1 (https://example.org/emigre; curator@example.org)". Empty: refuse.
    user_agent: str = field(default_factory=lambda: os.environ.get(USER_AGENT_ENV, ""))
    #: The MediaWiki Action API endpoint (a replay server's URL in tests).
    api_url: str = DEFAULT_API_URL
    #: Responses are kept here, so a second run (and ``offline``) needs no network.
    cache_dir: Path = DEFAULT_CACHE_DIR
    #: Answer only from the cache; a request the cache cannot answer is an error.
    offline: bool = False
    #: Seconds before a request is given up (connect and read).
    timeout: float = 30.0
    #: Wikidata's ``maxlag`` parameter: back off when replication lag exceeds this many seconds.
    maxlag: int = 5
    #: Attempts per request (429, maxlag and 5xx are retried with back-off).
    max_attempts: int = 5
    #: Longest wait between attempts (seconds), whatever ``Retry-After`` says.
    max_backoff: float = 60.0
