"""The service over HTTP, framework-free: requests in (method, path, parameters, body), replies
out (status, bytes, media type, headers).

Routes under ``/reconcile`` (Reconciliation Service API 0.2, what OpenRefine speaks):

===============================  ===========================================================
``GET|POST /reconcile``          the manifest; with ``queries=`` a query batch; with
                                 ``extend=`` data extension (form-encoded or query string)
``GET /reconcile/suggest/X``     suggestions of entities, types or properties (``prefix=``)
``GET /reconcile/preview``       an HTML card of one record (``id=``)
``GET .../propose_properties``   properties to fetch for a type (``type=``, ``limit=``)
===============================  ===========================================================

and the 1.0-draft routes under ``/reconcile/v1``: ``GET /`` (manifest), ``POST /match`` and
``POST /extend`` (JSON bodies), ``GET /suggest/{entity,type,property}``, ``GET /preview``,
``GET /extend/propose``.

Errors are JSON (``{"status", "error", "message"}``), never a stack trace: 400 for malformed
JSON or a query the schemas refuse, 413 for a body over the size limit (refused on its
``Content-Length`` before it is read) or a batch over ``batchSize``, 404 for unknown paths, 405
for a wrong method, 415 for a body that is neither form-encoded nor JSON.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from publisher.reconcile.parsing import (
    RequestError,
    bad,
    parse_batch,
    parse_extend,
    parse_json,
    parse_v1_batch,
)
from publisher.reconcile.service import ReconciliationService

JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"
_TITLES = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    413: "Request too large",
    415: "Unsupported media type",
}
#: Longest ``prefix`` of a suggestion request that is looked at.
MAX_PREFIX_CHARS = 200


@dataclass(frozen=True)
class Reply:
    """What to answer."""

    status: int
    body: bytes
    media_type: str
    headers: Mapping[str, str] = field(default_factory=dict)


def json_reply(value: object, status: int = 200, cache: str = "no-store") -> Reply:
    """A JSON body (UTF-8, compact)."""
    data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Reply(status, data, JSON_TYPE, {"Cache-Control": cache})


def error_reply(status: int, message: str, headers: Mapping[str, str] | None = None) -> Reply:
    """A JSON error body."""
    body = {"status": status, "error": _TITLES.get(status, "Error"), "message": message}
    reply = json_reply(body, status)
    return Reply(status, reply.body, reply.media_type, {**reply.headers, **(headers or {})})


class ReconcileEndpoint:
    """The HTTP face of a ``ReconciliationService``."""

    def __init__(self, service: ReconciliationService, max_request_bytes: int) -> None:
        self.service = service
        self.max_request_bytes = max_request_bytes

    # -- bodies ----------------------------------------------------------------------------------

    def refuse_length(self, content_length: str | None) -> Reply | None:
        """413 (or 400) for a declared body size we will not read; None to go on."""
        if content_length is None:
            return None
        if not content_length.strip().isdigit():
            return error_reply(400, f"Content-Length {content_length!r} is not a number of bytes")
        if int(content_length) > self.max_request_bytes:
            return error_reply(413, self._too_large(int(content_length)))
        return None

    def _too_large(self, size: int | None) -> str:
        actual = f"of {size} bytes " if size is not None else ""
        return f"request body {actual}is larger than the {self.max_request_bytes} bytes accepted"

    async def read_body(self, chunks: AsyncIterable[bytes]) -> bytes | None:
        """The body, or None as soon as it exceeds the limit (nothing more is buffered)."""
        parts: list[bytes] = []
        size = 0
        async for chunk in chunks:
            size += len(chunk)
            if size > self.max_request_bytes:
                return None
            parts.append(chunk)
        return b"".join(parts)

    # -- dispatch --------------------------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]],
        content_type: str | None,
        body: bytes | None,
        root: str,
    ) -> Reply:
        """Answer one request. ``path`` is what follows ``/reconcile/`` (``""`` for the
        endpoint itself); ``body`` is None when it was too large to read; ``root`` is the
        server's URL ending in ``/``."""
        if body is None:
            return error_reply(413, self._too_large(None))
        route = path.strip("/")
        try:
            if route.startswith("v1") and route[2:3] in ("", "/"):
                return self._v1(method, route[3:], query, content_type, body, root)
            form = {**dict(query), **_form(method, content_type, body)}
            return self._v02(method, route, form, root)
        except RequestError as error:
            return error_reply(error.status, error.message)

    def _v02(self, method: str, route: str, form: Mapping[str, str], root: str) -> Reply:
        service = self.service
        if route == "":
            if "queries" in form:
                data = parse_json(form["queries"], "queries")
                batch = parse_batch(data, service.settings.batch_size)
                return json_reply(service.reconcile(batch))
            if "extend" in form:
                return json_reply(
                    service.extend(parse_extend(parse_json(form["extend"], "extend")))
                )
            return json_reply(service.manifest(root), cache="public, max-age=300")
        if method != "GET":
            return error_reply(405, "Use GET.", {"Allow": "GET, HEAD"})
        if route.startswith("suggest/"):
            return self._suggest(route.removeprefix("suggest/"), form)
        if route == "preview":
            return self._preview(form, root)
        if route == "propose_properties":
            return self._propose(form)
        return error_reply(404, f"No such route: /reconcile/{route}")

    def _v1(
        self,
        method: str,
        route: str,
        query: Sequence[tuple[str, str]],
        content_type: str | None,
        body: bytes,
        root: str,
    ) -> Reply:
        service = self.service
        form = dict(query)
        if route in ("match", "extend"):
            if method != "POST":
                return error_reply(405, "Use POST with a JSON body.", {"Allow": "POST"})
            data = _payload(content_type, body, "queries" if route == "match" else "extend")
            if route == "match":
                batch = parse_v1_batch(data, service.settings.batch_size)
                return json_reply(service.reconcile_v1(batch))
            return json_reply(service.extend_v1(parse_extend(data)))
        if method != "GET":
            return error_reply(405, "Use GET.", {"Allow": "GET, HEAD"})
        if route == "":
            return json_reply(service.manifest_v1(root), cache="public, max-age=300")
        if route.startswith("suggest/"):
            return self._suggest(route.removeprefix("suggest/"), form)
        if route == "preview":
            return self._preview(form, root)
        if route == "extend/propose":
            return self._propose(form)
        return error_reply(404, f"No such route: /reconcile/v1/{route}")

    # -- routes ----------------------------------------------------------------------------------

    def _suggest(self, what: str, form: Mapping[str, str]) -> Reply:
        if what not in ("entity", "type", "property"):
            return error_reply(404, f"No suggestions of {what!r}: entity, type or property.")
        if "prefix" not in form:
            raise bad("prefix: required (the text typed so far)")
        prefix = form["prefix"][:MAX_PREFIX_CHARS]
        cursor = _count(form.get("cursor"), "cursor", 0)
        limit = _count(form.get("limit"), "limit", 10)
        type_id = form.get("type") or None
        if what == "entity":
            value = self.service.suggest_entities(prefix, type_id, cursor, limit)
        elif what == "type":
            value = self.service.suggest_types(prefix, cursor, limit)
        else:
            value = self.service.suggest_properties(prefix, type_id, cursor, limit)
        return json_reply(value, cache="public, max-age=300")

    def _preview(self, form: Mapping[str, str], root: str) -> Reply:
        if "id" not in form:
            raise bad("id: required (the id of a record, e.g. person/ulitskaya)")
        found, page = self.service.preview(form["id"], root)
        return Reply(
            200 if found else 404,
            page.encode("utf-8"),
            HTML_TYPE,
            {"Cache-Control": "public, max-age=300"},
        )

    def _propose(self, form: Mapping[str, str]) -> Reply:
        limit = _count(form.get("limit"), "limit", 0)
        value = self.service.propose_properties(form.get("type") or None, limit or None)
        return json_reply(value, cache="public, max-age=300")


def _count(value: str | None, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    if not value.strip().isdigit():
        raise bad(f"{name}: expected a whole number, got {value!r}")
    return min(int(value), 1_000_000)


_FORM = "application/x-www-form-urlencoded"
_JSON_TYPES = ("application/json", "text/json")


def _media(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().casefold()


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise bad("the request body is not UTF-8") from None


def _parse_form(body: bytes) -> dict[str, str]:
    try:
        return dict(parse_qsl(_text(body), keep_blank_values=True, errors="strict"))
    except (UnicodeDecodeError, ValueError):
        raise bad("the form-encoded body is malformed (not UTF-8 once decoded)") from None


def _form(method: str, content_type: str | None, body: bytes) -> dict[str, str]:
    """The fields of a form-encoded POST body (none for GET or an empty body)."""
    if method != "POST" or not body:
        return {}
    if _media(content_type) in (_FORM, ""):
        return _parse_form(body)
    raise RequestError(
        415,
        f"unsupported Content-Type {_media(content_type)!r}: "
        "send 0.2 requests form-encoded (queries=..., extend=...)",
    )


def _payload(content_type: str | None, body: bytes, field: str) -> object:
    """The JSON of a 1.0-draft POST: the body itself, or a form's ``field``."""
    media = _media(content_type)
    if media == _FORM:
        fields = _parse_form(body)
        if field not in fields:
            raise bad(f"{field}: required")
        return parse_json(fields[field], field)
    if media in _JSON_TYPES or media.endswith("+json") or media == "":
        return parse_json(_text(body), "body")
    raise RequestError(415, f"unsupported Content-Type {media!r}: use application/json")
