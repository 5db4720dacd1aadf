"""The Wikidata client: the only code in the package that sends requests to Wikidata.

It asks the MediaWiki Action API (https://www.wikidata.org/w/api.php) two things:

- ``wbgetentities``: the entity JSON of items we link to, at most 50 IDs a request (Wikibase's
  limit for clients without the ``apihighlimits`` right), with ``redirects=yes``, so an item that
  was merged into another answers with the other's data (its ``"id"`` is the target, and
  ``"redirects": {"from", "to"}`` says so) and a deleted one answers ``"missing"``;
- ``wbsearchentities``: candidate items for a name.

It behaves as Wikimedia's API etiquette asks (https://www.mediawiki.org/wiki/API:Etiquette):
a descriptive User-Agent (it refuses to run without one), ``maxlag`` on every request
(https://www.mediawiki.org/wiki/Manual:Maxlag_parameter), no parallel requests, and waits before
retrying a ``maxlag`` error, a 429 or a 5xx: ``Retry-After`` when Wikidata sends it, else an
exponential back-off, never longer than ``max_backoff``. Every request has a timeout. Answers are
kept on disk (``http_cache``), so a second run and an ``offline`` run send nothing.

Entities are cached one per file, as the answer to a request for that ID alone, whatever batch
fetched them: a run that asks for one more ID than the last fetches that one ID.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from publisher.errors import EmigreError
from publisher.wikidata.entities import FetchedEntity
from publisher.wikidata.http_cache import ResponseCache
from publisher.wikidata.settings import USER_AGENT_ENV, WikidataSettings

#: IDs per ``wbgetentities`` request (Wikibase refuses more with ``toomanyvalues``).
MAX_IDS_PER_REQUEST = 50
#: Most results ``wbsearchentities`` gives in one request.
MAX_SEARCH_LIMIT = 50
#: Seconds before the first retry when Wikidata says nothing; doubled for each further one.
FIRST_BACKOFF = 1.0
#: Item, property and lexeme IDs, as Wikibase writes them.
ENTITY_ID = re.compile(r"^[QPL][1-9][0-9]*$")
#: API error codes that mean "later", not "never".
RETRYABLE_API_ERRORS = frozenset({"maxlag", "ratelimited", "readonly"})


class WikidataError(EmigreError):
    """Something went wrong asking Wikidata (an API error, retries used up, an offline cache
    miss, an answer we cannot read); the message names the request."""

    exit_code = 3


class WikidataUsageError(EmigreError):
    """The client was set up or called wrongly (no User-Agent, a malformed ID, a bad limit)."""

    exit_code = 2


class _Retry(Exception):
    """An attempt failed in a way worth retrying: why, and how long Wikidata asked us to wait."""

    def __init__(self, problem: str, wait: float | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.wait = wait


class WikidataClient:
    """Fetches entities and searches Wikidata with caching, back-off and a User-Agent.

    ``sleep`` is how the client waits between attempts (tests pass a function that records the
    waits instead of waiting). Close the client (or use it in a ``with`` block) to close its
    HTTP connections.
    """

    def __init__(
        self, settings: WikidataSettings, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        if not settings.offline and not settings.user_agent.strip():
            raise WikidataUsageError(
                "a User-Agent is required to ask Wikidata: give --user-agent or set "
                f"${USER_AGENT_ENV} to name this tool and how to reach you, e.g. "
                "'EmigreBot/0.1 (https://example.org/emigre; you@example.org)' "
                "(https://meta.wikimedia.org/wiki/User-Agent_policy)"
            )
        if settings.max_attempts < 1:
            raise WikidataUsageError(
                f"max_attempts must be at least 1, not {settings.max_attempts}"
            )
        self.settings = settings
        self.cache = ResponseCache(settings.cache_dir)
        self._sleep = sleep
        #: Opened on the first request that the cache cannot answer (never when offline).
        self._session: requests.Session | None = None

    def __enter__(self) -> WikidataClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections (the client opens new ones if used again)."""
        if self._session is not None:
            self._session.close()
            self._session = None

    # --- what callers ask ----------------------------------------------------------------------

    def get_entities(self, ids: Iterable[str]) -> dict[str, FetchedEntity]:
        """The entity of every ID, keyed by the ID asked for, in the order first asked.

        Duplicates are asked once. A merged item is ``redirected`` (``entity_id`` is the item it
        was merged into, ``data`` that item's JSON); a deleted or unknown one is ``missing``.
        """
        wanted = list(dict.fromkeys(ids))
        malformed = [entity_id for entity_id in wanted if not ENTITY_ID.match(entity_id)]
        if malformed:
            raise WikidataUsageError(f"not Wikidata IDs: {', '.join(map(repr, malformed))}")
        fetched: dict[str, FetchedEntity] = {}
        uncached: list[str] = []
        for entity_id in wanted:
            answer = self._cached(self._entities_params([entity_id]))
            if answer is None:
                uncached.append(entity_id)
            else:
                request = f"wbgetentities {entity_id} (cached)"
                entity = _entity_for(entity_id, _entities(answer, request), request)
                fetched[entity_id] = _fetched_entity(entity_id, entity, request)
        if uncached and self.settings.offline:
            raise WikidataError(
                f"wbgetentities {_list_ids(uncached)}: offline, and the cache "
                f"{self.settings.cache_dir} does not hold them"
            )
        for batch in _batches(uncached, MAX_IDS_PER_REQUEST):
            params = self._entities_params(batch)
            request = f"wbgetentities {_list_ids(batch)}"
            entities = _entities(self._ask(params, request), request)
            batch_entities = {
                entity_id: _entity_for(entity_id, entities, request) for entity_id in batch
            }
            # Read every entity before caching any: an answer we cannot read is not kept.
            for entity_id, entity in batch_entities.items():
                fetched[entity_id] = _fetched_entity(entity_id, entity, request)
            for entity_id, entity in batch_entities.items():
                single = {"entities": {entity_id: entity}, "success": 1}
                self.cache.write(self.settings.api_url, self._entities_params([entity_id]), single)
        return {entity_id: fetched[entity_id] for entity_id in wanted}

    def search(self, text: str, *, language: str = "en", limit: int = 10) -> list[dict[str, Any]]:
        """Items whose label or alias in ``language`` starts with ``text``: the ``search`` list
        of ``wbsearchentities`` as Wikidata sends it (``id``, ``label``, ``description``,
        ``match``, ``aliases``...), best first."""
        if not 1 <= limit <= MAX_SEARCH_LIMIT:
            raise WikidataUsageError(f"search limit must be 1 to {MAX_SEARCH_LIMIT}, not {limit}")
        params = {
            "action": "wbsearchentities",
            "search": text,
            "language": language,
            "uselang": language,
            "type": "item",
            "limit": str(limit),
            **self._common_params(),
        }
        request = f"wbsearchentities {text!r} ({language})"
        answer = self._cached(params)
        if answer is None:
            if self.settings.offline:
                raise WikidataError(
                    f"{request}: offline, and the cache {self.settings.cache_dir} has no answer"
                )
            answer = self._ask(params, request)
            _search_results(answer, request)  # an answer we cannot read is not kept
            self.cache.write(self.settings.api_url, params, answer)
        return _search_results(answer, request)

    # --- requests ------------------------------------------------------------------------------

    def _common_params(self) -> dict[str, str]:
        return {"format": "json", "formatversion": "2", "maxlag": str(self.settings.maxlag)}

    def _entities_params(self, ids: Sequence[str]) -> dict[str, str]:
        return {
            "action": "wbgetentities",
            "ids": "|".join(ids),
            "redirects": "yes",
            **self._common_params(),
        }

    def _cached(self, params: dict[str, str]) -> Any | None:
        try:
            return self.cache.read(self.settings.api_url, params)
        except ValueError as error:
            raise WikidataError(str(error)) from None

    def _ask(self, params: dict[str, str], request: str) -> dict[str, Any]:
        """The JSON answer to one API request, retried as Wikidata asks; raises WikidataError."""
        settings = self.settings
        problem = ""
        for attempt in range(1, settings.max_attempts + 1):
            try:
                return self._attempt(params, request)
            except _Retry as retry:
                problem = retry.problem
                if attempt == settings.max_attempts:
                    break
                wait = retry.wait if retry.wait is not None else FIRST_BACKOFF * 2 ** (attempt - 1)
                self._sleep(min(max(wait, 0.0), settings.max_backoff))
        raise WikidataError(
            f"{request} at {settings.api_url}: gave up after {settings.max_attempts} "
            f"attempt(s); last: {problem}"
        )

    def _attempt(self, params: dict[str, str], request: str) -> dict[str, Any]:
        if self._session is None:
            self._session = requests.Session()
            self._session.headers.update(
                {"User-Agent": self.settings.user_agent, "Accept": "application/json"}
            )
        timeout = self.settings.timeout
        try:
            response = self._session.get(self.settings.api_url, params=params, timeout=timeout)
        except requests.Timeout:
            raise _Retry(f"no answer within {timeout:g} s") from None
        except requests.ConnectionError as error:
            raise _Retry(f"connection failed: {error}") from None
        with response:
            status = response.status_code
            retry_after = _retry_after(response.headers.get("Retry-After"))
            if status == 429 or status >= 500:
                raise _Retry(f"HTTP {status} {response.reason}", retry_after)
            if status != 200:
                raise WikidataError(
                    f"{request} at {self.settings.api_url}: HTTP {status} {response.reason}: "
                    f"{_excerpt(response.text)}"
                )
            try:
                body = response.json()
            except ValueError:
                raise WikidataError(
                    f"{request} at {self.settings.api_url}: the answer is not JSON: "
                    f"{_excerpt(response.text)}"
                ) from None
        if not isinstance(body, dict):
            raise WikidataError(f"{request}: the answer is not a JSON object")
        api_error = body.get("error")
        if isinstance(api_error, dict):
            code = str(api_error.get("code", "?"))
            info = str(api_error.get("info", ""))
            if code in RETRYABLE_API_ERRORS:
                raise _Retry(f"API error {code}: {info}", retry_after)
            raise WikidataError(
                f"{request} at {self.settings.api_url}: Wikidata answered error {code}: {info}"
            )
        return body


def _retry_after(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks for: delta-seconds or an HTTP date (RFC 9110
    §10.2.3); None when absent or unreadable.

    >>> _retry_after("5"), _retry_after(None), _retry_after("soon")
    (5.0, None, None)
    >>> _retry_after("Wed, 21 Oct 2015 07:28:00 GMT")  # in the past: no wait
    0.0
    """
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _search_results(answer: Any, request: str) -> list[dict[str, Any]]:
    results = answer.get("search") if isinstance(answer, dict) else None
    if not isinstance(results, list):
        raise WikidataError(f"{request}: the answer has no 'search' list")
    return results


def _entities(answer: Any, request: str) -> dict[str, Any]:
    entities = answer.get("entities") if isinstance(answer, dict) else None
    if not isinstance(entities, dict):
        raise WikidataError(f"{request}: the answer has no 'entities' object")
    return entities


def _entity_for(entity_id: str, entities: dict[str, Any], request: str) -> dict[str, Any]:
    """The answer's record for ``entity_id``: under its key, or (should Wikibase key a
    redirect by its target) the record whose ``redirects.from`` names it."""
    entity = entities.get(entity_id)
    if entity is None:
        entity = next(
            (
                value
                for value in entities.values()
                if isinstance(value, dict)
                and isinstance(value.get("redirects"), dict)
                and value["redirects"].get("from") == entity_id
            ),
            None,
        )
    if not isinstance(entity, dict):
        raise WikidataError(f"{request}: the answer has no entity for {entity_id}")
    return entity


def _fetched_entity(entity_id: str, entity: dict[str, Any], request: str) -> FetchedEntity:
    # formatversion=2 still writes "missing": "" for items; accept any value, as true means it too.
    if "missing" in entity:
        return FetchedEntity(entity_id, "missing", entity_id)
    target = entity.get("id")
    redirect = entity.get("redirects")
    if isinstance(redirect, dict) and isinstance(redirect.get("to"), str):
        target = redirect["to"]
    if not isinstance(target, str) or not ENTITY_ID.match(target):
        raise WikidataError(f"{request}: the entity for {entity_id} has no valid 'id'")
    revision = entity.get("lastrevid")
    return FetchedEntity(
        requested_id=entity_id,
        state="found" if target == entity_id else "redirected",
        entity_id=target,
        data=entity,
        revision=revision if isinstance(revision, int) else None,
    )


def _batches(ids: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _list_ids(ids: Sequence[str]) -> str:
    """IDs for a message: all of a few, the first and last of many.

    >>> _list_ids(["Q1", "Q2"]), _list_ids([f"Q{n}" for n in range(1, 51)])
    ('Q1|Q2', '50 IDs (Q1 … Q50)')
    """
    if len(ids) <= 5:
        return "|".join(ids)
    return f"{len(ids)} IDs ({ids[0]} … {ids[-1]})"


def _excerpt(text: str, length: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"
