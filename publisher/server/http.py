"""HTTP details shared by every route, framework-free: dates, ETags, CORS, error bodies.

One place maps our outcomes to statuses and headers (STYLE.md rule 4); the web layer in
``app.py`` only moves these values into responses.
"""

from __future__ import annotations

import email.utils
import html
import json
from dataclasses import dataclass, field

from publisher.formats import Format
from publisher.server.conneg import VARY, AcceptError, negotiate

#: Headers every response carries (reads are public data: any origin may read them).
COMMON_HEADERS: dict[str, str] = {
    "Vary": VARY,
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": (
        "ETag, Link, Content-Location, Last-Modified, Retry-After, Server-Timing, "
        "X-Emigre-Max-Rows, X-Emigre-Query-Timeout, X-Emigre-Result-Rows"
    ),
    "X-Content-Type-Options": "nosniff",
}
CORS_PREFLIGHT_HEADERS: dict[str, str] = {
    "Access-Control-Allow-Methods": "GET, HEAD, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Content-Type, If-None-Match, If-Modified-Since",
    "Access-Control-Max-Age": "86400",
}


def http_date(timestamp: float) -> str:
    """An IMF-fixdate (RFC 9110 §5.6.7).

    >>> http_date(0)
    'Thu, 01 Jan 1970 00:00:00 GMT'
    """
    return email.utils.formatdate(timestamp, usegmt=True)


def parse_http_date(value: str) -> float | None:
    """The timestamp of an HTTP date, or None when it is not one."""
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.timestamp()


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, as RFC 9110 §13.1.2 wants).

    >>> etag_matches('W/"a", "b"', '"a"'), etag_matches("*", '"x"'), etag_matches(None, '"x"')
    (True, True, False)
    """
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


def not_modified(
    if_none_match: str | None, if_modified_since: str | None, etag: str, last_modified: float
) -> bool:
    """Whether a conditional GET may be answered 304 (ETag first, then the date)."""
    if if_none_match is not None:
        return etag_matches(if_none_match, etag)
    if if_modified_since:
        since = parse_http_date(if_modified_since)
        return since is not None and int(last_modified) <= since
    return False


@dataclass(frozen=True)
class ErrorBody:
    """A small error response: never a stack trace."""

    status: int
    body: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)


TITLES = {
    400: "Bad request",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    410: "Gone",
    413: "Request too large",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
    504: "Query timed out",
}


def error_body(
    status: int, message: str, accept: str | None, headers: dict[str, str] | None = None
) -> ErrorBody:
    """An error as a small HTML page for browsers, JSON for everyone else."""
    title = TITLES.get(status, "Error")
    try:
        wants_html = negotiate(accept, default=_html()) == _html() if accept else True
    except AcceptError:
        wants_html = False
    if wants_html:
        page = (
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{status} {html.escape(title)}</title>"
            '<link rel="stylesheet" href="/static/style.css"></head>'
            f"<body><main><h1>{status} {html.escape(title)}</h1><p>{html.escape(message)}</p>"
            '<p><a href="/">Émigré home</a></p></main></body></html>\n'
        )
        return ErrorBody(status, page.encode("utf-8"), "text/html; charset=utf-8", headers or {})
    payload = {"status": status, "error": title, "message": message}
    data = (json.dumps(payload, ensure_ascii=False) + "\n").encode("utf-8")
    return ErrorBody(status, data, "application/json", headers or {})


def _html() -> Format:
    from publisher.formats import HTML

    return HTML


def content_type(fmt: Format) -> str:
    """The Content-Type we send for a format (UTF-8 for the text formats)."""
    return (
        f"{fmt.media_type}; charset=utf-8" if fmt.media_type.startswith("text/") else fmt.media_type
    )
