"""A local stand-in for Wikidata: a threaded HTTP server on 127.0.0.1 that answers the MediaWiki
Action API (``/w/api.php``) and ``Special:EntityData`` from a dictionary of entity JSON in
Wikidata's own formats, and can be scripted to fail the way Wikidata fails.

No test reaches the internet: the Wikidata client is pointed at :attr:`WikidataReplay.api_url`.

API (plain class, usable outside pytest)::

    replay = WikidataReplay(entities=None, redirects=None, missing=(), reject_generic_user_agents=True)
    replay.start(); ...; replay.stop()        # or: with WikidataReplay(...) as replay: ...
    replay = WikidataReplay.from_fixtures()   # tests/fixtures/wikidata (see load_fixture_entities)

    replay.api_url            # "http://127.0.0.1:PORT/w/api.php"
    replay.entity_data_url    # "http://127.0.0.1:PORT/wiki/Special:EntityData/" (+ "Q46602.json")
    replay.base_url           # "http://127.0.0.1:PORT"

    replay.entities           # dict: ID -> entity JSON (one value of ``entities``); edit it
                              # before requests are made, or use the methods below
    replay.add_entity(entity) # add or replace one entity JSON (keyed by its "id")
    replay.redirect(from_id, to_id)   # from_id was merged into to_id (its entity is dropped)
    replay.mark_missing(entity_id)    # deleted: wbgetentities answers {"id": .., "missing": ""}

    # Scripted answers, first in first out, each for the next request (any path); ``times``
    # queues the same answer that many times. Unscripted requests get the normal answer.
    replay.script_maxlag(times=1, lag=7, retry_after=5)          # HTTP 200, error code "maxlag",
                                                                 # Retry-After + X-Database-Lag
    replay.script_rate_limit(times=1, retry_after=3)             # HTTP 429 (retry_after None: no header;
                                                                 # a str is sent as is, e.g. an HTTP date)
    replay.script_server_error(times=1, status=503, retry_after=None)  # 5xx HTML error page
    replay.script_slow(times=1, delay=2.0)                       # the normal answer, after ``delay`` s
    replay.script_api_error(code, info, times=1, **extra)        # HTTP 200 {"error": {"code", "info",
                                                                 # **extra}}, MediaWiki-API-Error header
    replay.script_response(status, body, headers=None, times=1)  # anything: body is bytes, str or JSON

    replay.requests           # list[RecordedRequest], every request in arrival order
    replay.api_requests(action=None)  # those to /w/api.php, optionally only one ``action``
    replay.clear_requests()

    RecordedRequest: method, path, params (dict[str, str]: query string and form body),
                     headers (dict[str, str], names lower-cased), status (of the answer; a
                     slow one may be sent after the client gave up)

Fixtures (``tests/fixtures/wikidata``, see its README): the entities of the 17 IDs that
``tests/fixtures/data`` links to (Q30 Q35 Q64 Q159 Q183 Q230 Q649 Q994 Q46602 Q80966 Q131861
Q138908 Q1281618 Q1974774 Q2526255 Q6625963 Q30346628) and Q4115189 (Wikidata's sandbox item),
with our records' names as labels; the FICTIONAL ``Q9999999901`` redirects to Q4115189 and the
FICTIONAL ``Q9999999902`` is missing.

What it answers (format=json, formatversion=2, as www.wikidata.org does):

- ``action=wbgetentities&ids=Q1|Q2`` (``props``, ``languages``, ``redirects`` honoured):
  ``{"entities": {ID: entity, ...}, "success": 1}``, keyed by the ID asked for. A redirected ID
  (``redirects=yes``, the default) is answered with the target's entity, whose ``"id"`` is the
  target, plus ``"redirects": {"from": asked, "to": target}``; with ``redirects=no`` it is
  missing. A missing ID: ``{"id": ID, "missing": ""}``. More than 50 IDs: the ``toomanyvalues``
  error; a malformed ID: ``no-such-entity``.
- ``action=wbsearchentities&search=..&language=..`` (``type=item``, ``limit`` (default 7, at most
  50), ``continue``): case-insensitive prefix matches on labels, then aliases, in ``language``,
  in the real result-item format (``id``, ``title``, ``concepturi``, ``url``, ``display``,
  ``label``, ``description``, ``match``, ``aliases`` when an alias matched), plus
  ``search-continue`` when more results remain.
- ``/wiki/Special:EntityData/ID.json``: ``{"entities": {ID: entity}}``; 301 to the target of a
  redirect; 404 for a missing ID.
- A request without a User-Agent, or with a library's default one (``python-requests/…``,
  ``python-urllib/…``), is refused with 403 as Wikimedia's User-Agent policy does, unless
  ``reject_generic_user_agents=False``.

The pytest fixture ``wikidata_replay`` (function scope) is a started
``WikidataReplay.from_fixtures()``, stopped after the test. Test modules bring it in as they do
the server fixtures::

    import wikidata_replay as replay_fixtures
    from wikidata_replay import WikidataReplay

    wikidata_replay = replay_fixtures.wikidata_replay
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

FIXTURE_DIR = Path(__file__).resolve().parent / "fixtures" / "wikidata"

#: Wikibase's limit on ``ids`` per wbgetentities request (for clients without the apihighlimits right).
MAX_IDS = 50
MAX_SEARCH_LIMIT = 50
DEFAULT_SEARCH_LIMIT = 7
DEFAULT_PROPS = ("info", "sitelinks", "aliases", "labels", "descriptions", "claims", "datatype")
#: Keys of an entity that ``props=info`` selects.
INFO_KEYS = ("pageid", "ns", "title", "lastrevid", "modified")
ENTITY_ID = re.compile(r"^[QPL][1-9][0-9]*$")
GENERIC_USER_AGENT = re.compile(r"^(python-requests|python-urllib|curl|wget)/", re.IGNORECASE)
DOCREF = (
    "See https://www.wikidata.org/w/api.php for API usage. Subscribe to the mediawiki-api-announce "
    "mailing list at &lt;https://lists.wikimedia.org/postorius/lists/mediawiki-api-announce."
    "lists.wikimedia.org/&gt; for notice of API deprecations and breaking changes."
)
SERVED_BY = "mw-api-ext.replay"


@dataclass(frozen=True)
class RecordedRequest:
    """One request the replay received."""

    method: str
    path: str
    #: Query-string and form-body parameters (the last value of a repeated name).
    params: dict[str, str]
    #: Header names lower-cased.
    headers: dict[str, str]
    #: The HTTP status of the answer (sent late, or never, for a slow answer a client gave up on).
    status: int


@dataclass(frozen=True)
class _Scripted:
    """An answer queued for the next request: a fixed response, or the normal one delayed."""

    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    #: Seconds to wait before answering (then the normal answer if ``normal``).
    delay: float = 0.0
    normal: bool = False


@dataclass
class _Answer:
    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)


def load_fixture_entities(
    directory: Path = FIXTURE_DIR,
) -> tuple[dict[str, dict[str, Any]], dict[str, str], list[str]]:
    """The recorded-format fixtures: ``(entities, redirects, missing)``.

    ``entities/*.json`` are ``Special:EntityData`` documents (``{"entities": {ID: entity}}``) of
    IDs from the reference table; ``fictional.json`` holds the fictional redirect and missing IDs.
    """
    entities: dict[str, dict[str, Any]] = {}
    for path in sorted((directory / "entities").glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        entities.update(document["entities"])
    fictional = json.loads((directory / "fictional.json").read_text(encoding="utf-8"))
    redirects = {
        entry["from"]: entry["to"]
        for entry in fictional["redirects"]
        if isinstance(entry, dict)  # the file's "_comment" strings are skipped
    }
    missing = [entry["id"] for entry in fictional["missing"] if isinstance(entry, dict)]
    return entities, redirects, missing


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _api_error(code: str, info: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "info": info, **extra, "docref": DOCREF}, "servedby": SERVED_BY}


def _error_page(status: int) -> bytes:
    phrase = HTTPStatus(status).phrase
    return (
        '<!DOCTYPE html><html lang="en"><meta charset="utf-8"><title>Wikimedia Error</title>'
        f"<p>Our servers are currently under maintenance or experiencing a technical issue "
        f"({status} {phrase}).</p></html>"
    ).encode()


class WikidataReplay:
    """The replay server; see the module docstring for its API."""

    def __init__(
        self,
        entities: Mapping[str, dict[str, Any]] | None = None,
        redirects: Mapping[str, str] | None = None,
        missing: Iterable[str] = (),
        *,
        reject_generic_user_agents: bool = True,
    ) -> None:
        self._lock = threading.Lock()
        self.entities: dict[str, dict[str, Any]] = copy.deepcopy(dict(entities or {}))
        self.redirects: dict[str, str] = dict(redirects or {})
        for entity_id in missing:
            self.mark_missing(entity_id)
        self.reject_generic_user_agents = reject_generic_user_agents
        self.requests: list[RecordedRequest] = []
        self._script: list[_Scripted] = []
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def from_fixtures(cls, directory: Path = FIXTURE_DIR, **options: Any) -> WikidataReplay:
        """A replay holding the fixtures of ``tests/fixtures/wikidata`` (not yet started)."""
        entities, redirects, missing = load_fixture_entities(directory)
        return cls(entities, redirects, missing, **options)

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> WikidataReplay:
        """Listen on 127.0.0.1 on a free port and answer in a background thread."""
        replay = self
        self._stopping.clear()

        class Handler(_Handler):
            pass

        Handler.replay = replay
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering; slow answers still waiting are abandoned."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None

    def __enter__(self) -> WikidataReplay:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the replay is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/w/api.php"

    @property
    def entity_data_url(self) -> str:
        return f"{self.base_url}/wiki/Special:EntityData/"

    # --- the data ----------------------------------------------------------------------------

    def add_entity(self, entity: Mapping[str, Any]) -> None:
        """Add or replace one entity (Wikidata's entity JSON, with its ``"id"``)."""
        with self._lock:
            entity_id = entity["id"]
            self.entities[entity_id] = copy.deepcopy(dict(entity))
            self.redirects.pop(entity_id, None)

    def redirect(self, from_id: str, to_id: str) -> None:
        """``from_id`` was merged into ``to_id``: it now redirects there."""
        with self._lock:
            self.entities.pop(from_id, None)
            self.redirects[from_id] = to_id

    def mark_missing(self, entity_id: str) -> None:
        """``entity_id`` was deleted (or never existed)."""
        with self._lock:
            self.entities.pop(entity_id, None)
            self.redirects.pop(entity_id, None)

    # --- scripting ---------------------------------------------------------------------------

    def _queue(self, answer: _Scripted, times: int) -> None:
        with self._lock:
            self._script.extend([answer] * times)

    def script_maxlag(self, times: int = 1, *, lag: int = 7, retry_after: int | None = 5) -> None:
        """The next ``times`` requests get Wikidata's maxlag error (HTTP 200)."""
        body = _api_error(
            "maxlag",
            f"Waiting for 10.64.48.35: {lag} seconds lagged.",
            host="10.64.48.35",
            lag=lag,
            type="db",
        )
        headers = [
            ("Content-Type", "application/json; charset=utf-8"),
            ("MediaWiki-API-Error", "maxlag"),
            ("X-Database-Lag", str(lag)),
        ]
        if retry_after is not None:
            headers.append(("Retry-After", str(retry_after)))
        self._queue(_Scripted(200, _json_bytes(body), tuple(headers)), times)

    def script_rate_limit(self, times: int = 1, *, retry_after: int | str | None = 3) -> None:
        """The next ``times`` requests get 429 Too Many Requests."""
        headers = [("Content-Type", "text/html; charset=utf-8")]
        if retry_after is not None:
            headers.append(("Retry-After", str(retry_after)))
        self._queue(_Scripted(429, _error_page(429), tuple(headers)), times)

    def script_server_error(
        self, times: int = 1, *, status: int = 503, retry_after: int | None = None
    ) -> None:
        """The next ``times`` requests get a 5xx error page."""
        headers = [("Content-Type", "text/html; charset=utf-8")]
        if retry_after is not None:
            headers.append(("Retry-After", str(retry_after)))
        self._queue(_Scripted(status, _error_page(status), tuple(headers)), times)

    def script_slow(self, times: int = 1, *, delay: float = 2.0) -> None:
        """The next ``times`` requests get their normal answer after ``delay`` seconds."""
        self._queue(_Scripted(delay=delay, normal=True), times)

    def script_api_error(self, code: str, info: str, times: int = 1, **extra: Any) -> None:
        """The next ``times`` API requests get ``{"error": {"code": code, "info": info}}``."""
        body = _json_bytes(_api_error(code, info, **extra))
        headers = (
            ("Content-Type", "application/json; charset=utf-8"),
            ("MediaWiki-API-Error", code),
        )
        self._queue(_Scripted(200, body, headers), times)

    def script_response(
        self,
        status: int,
        body: bytes | str | Any,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` requests get exactly this (a non-bytes, non-str body is JSON)."""
        all_headers = dict(headers or {})
        if isinstance(body, str):
            data = body.encode("utf-8")
        elif isinstance(body, bytes):
            data = body
        else:
            data = _json_bytes(body)
            all_headers.setdefault("Content-Type", "application/json; charset=utf-8")
        self._queue(_Scripted(status, data, tuple(all_headers.items())), times)

    # --- the log -----------------------------------------------------------------------------

    def api_requests(self, action: str | None = None) -> list[RecordedRequest]:
        """Requests to ``/w/api.php``, optionally only those with ``action``."""
        with self._lock:
            return [
                request
                for request in self.requests
                if request.path == "/w/api.php"
                and (action is None or request.params.get("action") == action)
            ]

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # --- answering ---------------------------------------------------------------------------

    def _next_script(self) -> _Scripted | None:
        with self._lock:
            return self._script.pop(0) if self._script else None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def answer(
        self, method: str, path: str, params: dict[str, str], headers: dict[str, str]
    ) -> tuple[_Answer, float]:
        """The answer to one request, and the seconds to wait before sending it."""
        scripted = self._next_script()
        delay = 0.0
        if scripted is not None:
            delay = scripted.delay
            if not scripted.normal:
                return _Answer(scripted.status, scripted.body, list(scripted.headers)), delay
        user_agent = headers.get("user-agent", "")
        if self.reject_generic_user_agents and (
            not user_agent.strip() or GENERIC_USER_AGENT.match(user_agent)
        ):
            body = b"Please set a user-agent and respect our robot policy https://w.wiki/4wJS."
            return _Answer(403, body, [("Content-Type", "text/plain; charset=utf-8")]), delay
        with self._lock:
            if path == "/w/api.php":
                return self._api(method, params), delay
            if path.startswith("/wiki/Special:EntityData/"):
                return self._entity_data(path.removeprefix("/wiki/Special:EntityData/")), delay
        return _Answer(404, _error_page(404), [("Content-Type", "text/html; charset=utf-8")]), delay

    def _api(self, method: str, params: dict[str, str]) -> _Answer:
        action = params.get("action", "")
        if action == "wbgetentities":
            body = self._get_entities(params)
        elif action == "wbsearchentities":
            body = self._search(params)
        elif not action:  # api.php without an action shows its help page
            page = b"<!DOCTYPE html><title>MediaWiki API help</title>"
            return _Answer(200, page, [("Content-Type", "text/html; charset=utf-8")])
        else:
            body = _api_error("badvalue", f'Unrecognized value for parameter "action": {action}.')
        headers = [("Content-Type", "application/json; charset=utf-8")]
        if "error" in body:
            headers.append(("MediaWiki-API-Error", body["error"]["code"]))
        return _Answer(200, _json_bytes(body), headers)

    def _resolve(self, entity_id: str, follow: bool) -> dict[str, Any] | None:
        if entity_id in self.redirects:
            return self.entities.get(self.redirects[entity_id]) if follow else None
        return self.entities.get(entity_id)

    def _get_entities(self, params: dict[str, str]) -> dict[str, Any]:
        if "sites" in params or "titles" in params:
            return _api_error("param-illegal", "The replay answers ids only.")
        if not params.get("ids"):
            return _api_error(
                "param-missing",
                'Either provide the item "ids" or pairs of "sites" and "titles" for corresponding pages.',
            )
        ids = list(dict.fromkeys(params["ids"].split("|")))
        if len(ids) > MAX_IDS:
            return _api_error(
                "toomanyvalues",
                f'Too many values supplied for parameter "ids". The limit is {MAX_IDS}.',
                limit=MAX_IDS,
                lowlimit=MAX_IDS,
                highlimit=500,
                parameter="ids",
            )
        for entity_id in ids:
            if not ENTITY_ID.match(entity_id):
                return _api_error(
                    "no-such-entity",
                    f'Could not find an entity with the ID "{entity_id}".',
                    id=entity_id,
                )
        props = params.get("props", "|".join(DEFAULT_PROPS)).split("|")
        languages = set(params["languages"].split("|")) if params.get("languages") else None
        follow = params.get("redirects", "yes") == "yes"
        entities: dict[str, Any] = {}
        for entity_id in ids:
            entity = self._resolve(entity_id, follow)
            if entity is None:
                entities[entity_id] = {"id": entity_id, "missing": ""}
                continue
            record = _select(entity, props, languages)
            if entity["id"] != entity_id:
                record["redirects"] = {"from": entity_id, "to": entity["id"]}
            entities[entity_id] = record
        return {"entities": entities, "success": 1}

    def _search(self, params: dict[str, str]) -> dict[str, Any]:
        for name in ("search", "language"):
            if not params.get(name):
                return _api_error("missingparam", f'The "{name}" parameter must be set.')
        text = params["search"]
        language = params["language"]
        if params.get("type", "item") != "item":
            return {"searchinfo": {"search": text}, "search": [], "success": 1}
        try:
            limit = min(int(params.get("limit", DEFAULT_SEARCH_LIMIT)), MAX_SEARCH_LIMIT)
            offset = int(params.get("continue", 0))
        except ValueError:
            return _api_error("badinteger", 'Invalid value for parameter "limit" or "continue".')
        needle = text.casefold()
        matches: list[tuple[int, int, dict[str, Any]]] = []
        for entity_id, entity in self.entities.items():
            if not entity_id.startswith("Q"):
                continue
            label = entity.get("labels", {}).get(language, {}).get("value")
            aliases = [a["value"] for a in entity.get("aliases", {}).get(language, [])]
            item = _search_item(entity, language)
            if label and label.casefold().startswith(needle):
                item["match"] = {"type": "label", "language": language, "text": label}
                rank = 0 if label.casefold() == needle else 1
            else:
                alias = next((a for a in aliases if a.casefold().startswith(needle)), None)
                if alias is None:
                    continue
                item["match"] = {"type": "alias", "language": language, "text": alias}
                item["aliases"] = [alias]
                rank = 2
            matches.append((rank, int(entity_id[1:]), item))
        matches.sort(key=lambda match: match[:2])
        page = [item for _, _, item in matches[offset : offset + limit]]
        body: dict[str, Any] = {"searchinfo": {"search": text}, "search": page}
        if offset + limit < len(matches):
            body["search-continue"] = offset + limit
        body["success"] = 1
        return body

    def _entity_data(self, name: str) -> _Answer:
        entity_id, _, extension = name.partition(".")
        if extension != "json" or not ENTITY_ID.match(entity_id):
            return _Answer(400, _error_page(400), [("Content-Type", "text/html; charset=utf-8")])
        if entity_id in self.redirects:
            location = f"/wiki/Special:EntityData/{self.redirects[entity_id]}.json"
            return _Answer(301, b"", [("Location", location)])
        entity = self.entities.get(entity_id)
        if entity is None:
            return _Answer(404, _error_page(404), [("Content-Type", "text/html; charset=utf-8")])
        body = _json_bytes({"entities": {entity_id: entity}})
        return _Answer(200, body, [("Content-Type", "application/json; charset=utf-8")])


def _select(entity: dict[str, Any], props: list[str], languages: set[str] | None) -> dict[str, Any]:
    """The parts of an entity that ``props`` and ``languages`` ask for, as Wikibase does."""
    record: dict[str, Any] = {"type": entity.get("type", "item"), "id": entity["id"]}
    for prop in props:
        if prop == "info":
            record.update({key: entity[key] for key in INFO_KEYS if key in entity})
        elif prop in ("labels", "descriptions", "aliases") and prop in entity:
            values = entity[prop]
            record[prop] = {
                lang: value
                for lang, value in values.items()
                if languages is None or lang in languages
            }
        elif prop == "datatype" and "datatype" in entity:
            record["datatype"] = entity["datatype"]
        elif prop in ("claims", "sitelinks") and prop in entity:
            record[prop] = copy.deepcopy(entity[prop])
    return record


def _search_item(entity: dict[str, Any], language: str) -> dict[str, Any]:
    entity_id = entity["id"]
    item: dict[str, Any] = {"id": entity_id, "title": entity.get("title", entity_id)}
    if "pageid" in entity:
        item["pageid"] = entity["pageid"]
    item.update(
        {
            "concepturi": f"http://www.wikidata.org/entity/{entity_id}",
            "repository": "wikidata",
            "url": f"//www.wikidata.org/wiki/{entity_id}",
        }
    )
    display: dict[str, Any] = {}
    label = entity.get("labels", {}).get(language)
    description = entity.get("descriptions", {}).get(language)
    if label:
        display["label"] = {"value": label["value"], "language": label["language"]}
        item["label"] = label["value"]
    if description:
        display["description"] = {
            "value": description["value"],
            "language": description["language"],
        }
        item["description"] = description["value"]
    item["display"] = display
    return item


class _Handler(BaseHTTPRequestHandler):
    """Parses a request, asks the replay, records and sends the answer."""

    replay: WikidataReplay
    # HTTP/1.0: one request per connection, so no idle keep-alive thread outlives a test.
    protocol_version = "HTTP/1.0"
    server_version = "WikidataReplay/1"

    def _handle(self) -> None:
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        if self.command == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            form = self.rfile.read(length).decode("utf-8", "replace")
            params.update(parse_qsl(form, keep_blank_values=True))
        headers = {name.lower(): value for name, value in self.headers.items()}
        answer, delay = self.replay.answer(self.command, url.path, params, headers)
        # Recorded before a slow answer's wait, so the log is complete when a client gives up.
        self.replay._record(RecordedRequest(self.command, url.path, params, headers, answer.status))
        if delay and self.replay._stopping.wait(delay):
            return  # stopped while waiting
        try:
            self.send_response(answer.status)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)
        except OSError:
            pass  # the client gave up (a timeout test): nothing to answer to

    do_GET = _handle
    do_POST = _handle
    do_HEAD = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def wikidata_replay() -> Iterator[WikidataReplay]:
    """A started :class:`WikidataReplay` holding ``tests/fixtures/wikidata``; stopped after the test."""
    with WikidataReplay.from_fixtures() as replay:
        yield replay
