"""What the SPARQL endpoint admits, decided before a query runs: pure functions, no sockets.

- :class:`SparqlSettings`: the limits (time, rows, request size, concurrency), one table.
- :class:`SparqlError` and its subclasses: every refusal, each with its HTTP status and headers,
  so the web layer maps all of them in one ``except`` (STYLE.md rule 4).
- :func:`parse_protocol_request`: the SPARQL 1.1 Protocol (§2.1) — which request carries which
  query, and which requests are refused (updates, wrong media types, two queries, non-UTF-8).
- :func:`inspect_operation` and :func:`admit_query`: a lexer that reads the query the way a SPARQL
  parser does (strings, IRIs, comments, ``<`` as less-than) and finds the query form, updates,
  ``SERVICE``, ``LOAD`` and ``FROM``/``FROM NAMED``. The endpoint never fetches anything a query
  names: ``SERVICE`` and updates are refused (403), graphs that are not in the store are refused
  (400) instead of being looked up elsewhere. Syntax errors beyond the lexer's reach are reported
  by Oxigraph when the query runs (also 400).
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, urljoin

from publisher.errors import EmigreError

QueryForm = Literal["SELECT", "CONSTRUCT", "ASK", "DESCRIBE"]
QUERY_FORMS: tuple[QueryForm, ...] = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
#: Words that start (or only occur in) SPARQL Update operations (SPARQL 1.1 Update §3).
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH", "USING"}
)

#: Response header announcing the row cap on every SPARQL response.
MAX_ROWS_HEADER = "X-Emigre-Max-Rows"
#: Response header announcing the time limit (seconds) on every SPARQL response.
TIMEOUT_HEADER = "X-Emigre-Query-Timeout"
#: Response header with the number of rows (solutions or triples) of a successful answer.
RESULT_ROWS_HEADER = "X-Emigre-Result-Rows"


@dataclass(frozen=True)
class SparqlSettings:
    """The endpoint's limits. Every value is announced in the service description."""

    #: Seconds a query may run (from the moment a worker receives it to its serialized answer).
    query_timeout: float = 10.0
    #: Result rows (SELECT solutions, CONSTRUCT/DESCRIBE triples) an answer may have. A query
    #: with more is refused with 422, never truncated.
    max_rows: int = 10_000
    #: Largest request body or query text, in bytes; larger requests get 413.
    max_request_bytes: int = 64 * 1024
    #: Worker processes running queries (0: the number of CPUs, at most 4).
    workers: int = 0
    #: Queries running or waiting for a worker at once (0: twice the workers); more get 429.
    max_concurrent_queries: int = 0
    #: Seconds a client is told to wait (``Retry-After``) when the endpoint is busy.
    retry_after: int = 2
    #: Refuse ``FROM``/``FROM NAMED`` naming a graph that is not in the store (else: empty graph).
    refuse_unknown_from: bool = True
    #: Refuse ``default-graph-uri``/``named-graph-uri`` naming a graph not in the store (else:
    #: empty graph). The W3C protocol tests name an absent ``data0.rdf`` and expect 2xx.
    refuse_unknown_dataset_params: bool = True
    #: Forbid IP sockets in worker processes (seccomp, else a network namespace): a second lock
    #: behind the refusal of SERVICE.
    isolate_workers: bool = True
    #: Each worker loads the dump into an in-memory store (about 5x faster queries than the
    #: on-disk store opened read-only, measured at 3.4 M triples; costs the dump's size in memory
    #: per worker and its load time at start and after a timeout). Off: share the on-disk store.
    memory_store: bool = True

    @property
    def worker_count(self) -> int:
        """The number of worker processes."""
        return self.workers if self.workers > 0 else max(1, min(4, os.cpu_count() or 1))

    @property
    def concurrency(self) -> int:
        """Queries admitted at once (running or waiting)."""
        if self.max_concurrent_queries > 0:
            return self.max_concurrent_queries
        return 2 * self.worker_count


def limit_headers(settings: SparqlSettings) -> dict[str, str]:
    """Headers announcing the limits, for every response of the endpoint (errors included).

    >>> limit_headers(SparqlSettings())
    {'X-Emigre-Max-Rows': '10000', 'X-Emigre-Query-Timeout': '10'}
    """
    return {
        MAX_ROWS_HEADER: str(settings.max_rows),
        TIMEOUT_HEADER: f"{settings.query_timeout:g}",
    }


# --- Errors: one class per outcome, each with its HTTP status -----------------------------------


class SparqlError(EmigreError):
    """A request the endpoint does not answer with results; ``status`` and ``headers`` say how."""

    status = 400

    def __init__(self, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})


class ProtocolError(SparqlError):
    """The request does not follow the SPARQL Protocol (two queries, no query, bad encoding)."""


class MethodNotAllowed(SparqlError):
    """Only GET, HEAD and POST reach the endpoint."""

    status = 405


class UnsupportedMediaType(SparqlError):
    """A POST body that is neither a form nor ``application/sparql-query``, or not UTF-8."""

    status = 415


class RequestTooLarge(SparqlError):
    """The request body or the query is larger than ``max_request_bytes``."""

    status = 413


class QuerySyntaxError(SparqlError):
    """The text is not a SPARQL query; the message is the parser's."""


class UnknownGraph(SparqlError):
    """``FROM``/``FROM NAMED`` or a dataset parameter names a graph that is not in the store."""


class UpdateRefused(SparqlError):
    """The endpoint is read-only: SPARQL Update, including LOAD, is refused."""

    status = 403


class FederationRefused(SparqlError):
    """``SERVICE`` would make the server call another host: refused."""

    status = 403


class TooManyRows(SparqlError):
    """The answer has more rows than ``max_rows``: refused rather than silently truncated."""

    status = 422


class QueryTimeout(SparqlError):
    """The query ran past ``query_timeout``; its worker was killed. Nothing partial is sent."""

    status = 504


class EndpointBusy(SparqlError):
    """Too many queries at once; ``Retry-After`` says when to come back."""

    status = 429


class QueryFailed(SparqlError):
    """The query could not be evaluated (store error, worker died)."""

    status = 500


# --- Request size -----------------------------------------------------------------------------


def check_content_length(value: str | None, limit: int) -> None:
    """Refuse a body whose declared ``Content-Length`` exceeds ``limit``, before reading it.

    >>> check_content_length("100", 1000)
    >>> try:
    ...     check_content_length("20000000", 65536)
    ... except RequestTooLarge as error:
    ...     print(error.status, error)
    413 request body of 20000000 bytes is larger than the 65536 bytes this endpoint accepts
    """
    if value is None:
        return
    if not value.strip().isdigit():
        raise ProtocolError(f"Content-Length {value!r} is not a number of bytes")
    length = int(value)
    if length > limit:
        raise RequestTooLarge(
            f"request body of {length} bytes is larger than the {limit} bytes this endpoint accepts"
        )


async def read_limited_body(chunks: AsyncIterable[bytes], limit: int) -> bytes:
    """The body from a stream of chunks, stopping with 413 as soon as it exceeds ``limit``.

    For bodies without ``Content-Length`` (chunked): nothing past ``limit`` is buffered.
    """
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise RequestTooLarge(
                f"request body is larger than the {limit} bytes this endpoint accepts"
            )
        parts.append(chunk)
    return b"".join(parts)


# --- The SPARQL 1.1 Protocol ------------------------------------------------------------------


@dataclass(frozen=True)
class ProtocolRequest:
    """A query operation as the Protocol carries it (SPARQL 1.1 Protocol §2.1)."""

    query: str
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()


_FORM = "application/x-www-form-urlencoded"
_QUERY_BODY = "application/sparql-query"
_UPDATE_BODY = "application/sparql-update"
_READ_ONLY = (
    "this endpoint is read-only: SPARQL Update is refused. Download a dump and load it into "
    "your own store to change the data."
)


def parse_protocol_request(
    method: str,
    content_type: str | None,
    url_params: Sequence[tuple[str, str]],
    body: bytes,
    *,
    max_request_bytes: int = SparqlSettings.max_request_bytes,
) -> ProtocolRequest | None:
    """The query a request carries, None for a request without one (GET ``/sparql`` bare).

    ``url_params`` are the URL's query parameters in order, repeated names repeated. Raises
    :class:`MethodNotAllowed` (405), :class:`UnsupportedMediaType` (415), :class:`RequestTooLarge`
    (413), :class:`UpdateRefused` (403) for ``update=`` and ``application/sparql-update``, and
    :class:`ProtocolError` (400) for two queries, a missing query in a POST, or bad UTF-8.

    >>> parse_protocol_request("GET", None, [("query", "ASK {}")], b"")
    ProtocolRequest(query='ASK {}', default_graph_uris=(), named_graph_uris=())
    >>> parse_protocol_request("POST", "application/sparql-query", [], b"ASK {}").query
    'ASK {}'
    >>> parse_protocol_request("GET", None, [], b"") is None
    True
    """
    verb = method.upper()
    if verb not in ("GET", "HEAD", "POST"):
        raise MethodNotAllowed(
            f"{verb} is not a SPARQL Protocol operation: send queries with GET or POST",
            headers={"Allow": "GET, HEAD, POST"},
        )
    if len(body) > max_request_bytes:
        raise RequestTooLarge(
            f"request body of {len(body)} bytes is larger than the {max_request_bytes} bytes "
            "this endpoint accepts"
        )
    params = list(url_params)
    direct_query: str | None = None
    if verb == "POST":
        media_type, charset = _media_type(content_type)
        if media_type == _UPDATE_BODY:
            raise UpdateRefused(_READ_ONLY)
        if media_type not in (_FORM, _QUERY_BODY):
            shown = "no Content-Type" if media_type is None else f"Content-Type {media_type}"
            raise UnsupportedMediaType(
                f"a POST with {shown} is not a SPARQL query: send the query as {_QUERY_BODY} "
                f"or as the query= field of an {_FORM} form"
            )
        if charset not in (None, "utf-8", "utf8"):
            raise UnsupportedMediaType(f"the request body must be UTF-8, not {charset}")
        text = _utf8(body)
        if media_type == _FORM:
            params.extend(parse_qsl(text, keep_blank_values=True))
        else:
            direct_query = text
    if any(name == "update" for name, _ in params):
        raise UpdateRefused(_READ_ONLY)
    queries = [value for name, value in params if name == "query"]
    if direct_query is not None:
        queries.append(direct_query)
    if len(queries) > 1:
        raise ProtocolError("the request carries more than one query: send exactly one")
    if not queries:
        if verb == "POST":
            raise ProtocolError("the request carries no query: send one in query=")
        return None
    query = queries[0]
    if len(query.encode("utf-8")) > max_request_bytes:
        raise RequestTooLarge(
            f"the query is larger than the {max_request_bytes} bytes this endpoint accepts"
        )
    return ProtocolRequest(
        query=query,
        default_graph_uris=tuple(v for n, v in params if n == "default-graph-uri"),
        named_graph_uris=tuple(v for n, v in params if n == "named-graph-uri"),
    )


def _media_type(content_type: str | None) -> tuple[str | None, str | None]:
    """``(media type, charset)`` of a Content-Type, both in lower case.

    >>> _media_type('Application/SPARQL-Query; charset="UTF-16"')
    ('application/sparql-query', 'utf-16')
    """
    if not content_type or not content_type.strip():
        return None, None
    essence, *parameters = content_type.split(";")
    charset = None
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return essence.strip().lower(), charset


def _utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolError(
            f"the request body is not UTF-8 (byte {error.start}): SPARQL requests must be UTF-8"
        ) from error


# --- Lexing: the tokens of SPARQL 1.1 Query §19.8 ----------------------------------------------

_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_PREFIX = f"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PN_LOCAL = (
    f"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
)
_PNAME = re.compile(f"(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?")
_VAR = re.compile(f"[?$][{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*")
_BNODE = re.compile(f"_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?")
_LANGTAG = re.compile(r"@[a-zA-Z]+(?:--?[a-zA-Z0-9]+)*")
_IRIREF = re.compile(r"<((?:[^<>\"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*)>")
_WHITESPACE = re.compile(r"[ \t\r\n]+")
_PUNCTUATION = (
    "<<(", ")>>", "{|", "|}", "^^", "&&", "||", "!=", "<=", ">=", "<<", ">>",
    "{", "}", "(", ")", "[", "]", ".", ",", ";", "=", "<", ">", "!", "+", "-", "*", "/", "^",
    "|", "?", "~",
)  # fmt: skip
_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_PLX_ESCAPE = re.compile(r"\\([_~.\-!$&'()*+,;=/?#@%])")

TokenKind = Literal["word", "var", "iri", "pname", "bnode", "string", "number", "langtag", "punct"]


@dataclass(frozen=True)
class Token:
    """A lexical token: its kind, its text (for an IRI: without ``<>``) and its offset."""

    kind: TokenKind
    text: str
    offset: int

    def is_word(self, *words: str) -> bool:
        """Whether this is one of the (case-insensitive) keywords ``words``."""
        return self.kind == "word" and self.text.upper() in words


@dataclass
class _Frame:
    """An open bracket. Inside an ``expr`` frame, ``<`` after an operand is less-than."""

    kind: Literal["top", "pattern", "expr", "list"]
    closer: str = ""
    select_clause: bool = False
    modifiers: bool = False


_CLOSERS = {"{": "}", "{|": "|}", "[": "]"}
_OPERAND_KINDS = frozenset({"var", "iri", "pname", "string", "number", "langtag"})
#: Words after which ``(`` in a group opens a collection or list, not an expression.
_NOT_CALLS = frozenset({"A", "TRUE", "FALSE", "VALUES", "UNDEF"})


def tokenize(text: str) -> list[Token]:
    """The tokens of a SPARQL query or update, without whitespace and comments.

    ``<`` is lexed as a SPARQL parser sees it: an IRI where a term may start, the less-than
    operator after an operand inside an expression. Raises :class:`QuerySyntaxError` for text
    no SPARQL parser accepts (an unclosed string or bracket, a stray character).

    >>> [t.text for t in tokenize('ASK { FILTER(1<2 && "#" != "a") } # SERVICE')]
    ['ASK', '{', 'FILTER', '(', '1', '<', '2', '&&', '#', '!=', 'a', ')', '}']
    >>> [t.kind for t in tokenize("SELECT * { ?s <http://x/p?a=1> ex:o }")][3:]
    ['var', 'iri', 'pname', 'punct']
    """
    tokens: list[Token] = []
    frames = [_Frame("top")]
    position = 0
    while position < len(text):
        char = text[position]
        if char in " \t\r\n":
            match = _WHITESPACE.match(text, position)
            assert match is not None
            position = match.end()
            continue
        if char == "#":
            end = text.find("\n", position)
            position = len(text) if end < 0 else end + 1
            continue
        if char in "'\"":
            token, position = _lex_string(text, position)
        elif char == "<":
            token, position = _lex_angle(text, position, frames[-1], tokens)
        else:
            token, position = _lex_other(text, position)
        _track_frames(token, tokens, frames, text)
        tokens.append(token)
    if len(frames) > 1:
        raise _syntax_error(text, len(text), f"missing {frames[-1].closer!r} at the end")
    return tokens


def _lex_string(text: str, start: int) -> tuple[Token, int]:
    quote = text[start]
    long_quote = text.startswith(quote * 3, start)
    delimiter = quote * 3 if long_quote else quote
    position = start + len(delimiter)
    while position < len(text):
        char = text[position]
        if char == "\\":
            position += 2
            continue
        if not long_quote and char in "\r\n":
            break
        if text.startswith(delimiter, position):
            end = position + len(delimiter)
            return Token("string", text[start + len(delimiter) : position], start), end
        position += 1
    raise _syntax_error(text, start, "string is not closed")


def _lex_angle(text: str, start: int, frame: _Frame, tokens: list[Token]) -> tuple[Token, int]:
    after_operand = bool(tokens) and _ends_operand(tokens[-1])
    if frame.kind != "expr" or not after_operand:
        match = _IRIREF.match(text, start)
        if match is not None:
            return Token("iri", match.group(1), start), match.end()
    for punct in ("<<(", "<<", "<=", "<") if not after_operand else ("<=", "<"):
        if text.startswith(punct, start):
            return Token("punct", punct, start), start + len(punct)
    raise AssertionError("unreachable: text[start] is '<'")


def _lex_other(text: str, start: int) -> tuple[Token, int]:
    char = text[start]
    patterns: tuple[tuple[TokenKind, re.Pattern[str]], ...] = ()
    if char in "?$":
        patterns = (("var", _VAR),)
    elif char == "_":
        patterns = (("bnode", _BNODE), ("word", _WORD))
    elif char == "@":
        patterns = (("langtag", _LANGTAG),)
    elif char.isdigit() or (char == "." and text[start + 1 : start + 2].isdigit()):
        patterns = (("number", _NUMBER),)
    else:
        patterns = (("pname", _PNAME), ("word", _WORD))
    for kind, pattern in patterns:
        match = pattern.match(text, start)
        if match is not None:
            return Token(kind, match.group(0), start), match.end()
    for punct in _PUNCTUATION:
        if text.startswith(punct, start):
            return Token("punct", punct, start), start + len(punct)
    if char == "\\":
        raise _syntax_error(text, start, "a \\u escape is allowed only in strings and IRIs")
    raise _syntax_error(text, start, f"unexpected character {char!r}")


def _ends_operand(token: Token) -> bool:
    return (
        token.kind in _OPERAND_KINDS
        or (token.kind == "punct" and token.text in (")", ")>>"))
        or token.is_word("TRUE", "FALSE")
    )


def _track_frames(token: Token, tokens: list[Token], frames: list[_Frame], text: str) -> None:
    """Open and close brackets, and remember where ``(`` starts an expression."""
    frame = frames[-1]
    if token.kind == "word":
        word = token.text.upper()
        if word == "SELECT":
            frame.select_clause = True
        elif word == "WHERE":
            frame.select_clause = False
        elif word in ("BY", "HAVING"):
            frame.modifiers = True
        return
    if token.kind != "punct":
        return
    if token.text in _CLOSERS:
        frame.select_clause = False
        frames.append(_Frame("pattern", _CLOSERS[token.text]))
    elif token.text in ("(", "<<("):
        # A triple term ``<<( s p o )>>`` holds terms, like a list.
        kind = "list" if token.text == "<<(" else _paren_kind(frame, tokens)
        frames.append(_Frame(kind, ")"))
    elif token.text in ("}", "|}", ")", ")>>", "]"):
        closer = ")" if token.text == ")>>" else token.text
        if len(frames) == 1 or frame.closer != closer:
            raise _syntax_error(text, token.offset, f"unexpected {token.text!r}")
        frames.pop()


def _paren_kind(frame: _Frame, tokens: list[Token]) -> Literal["expr", "list"]:
    """Whether a ``(`` opens an expression or a list (collection, path group, VALUES row)."""
    if frame.kind in ("top", "expr") or frame.select_clause or frame.modifiers:
        return "expr"
    previous = tokens[-1] if tokens else None
    if previous is None:
        return "list"
    if previous.kind == "word" and previous.text.upper() not in _NOT_CALLS:
        return "expr"  # FILTER(, BIND(, a built-in call such as regex(
    before = tokens[-2] if len(tokens) > 1 else None
    if previous.kind in ("iri", "pname") and before is not None and before.is_word("FILTER"):
        return "expr"  # FILTER ex:function(
    return "list"


def _syntax_error(text: str, offset: int, message: str) -> QuerySyntaxError:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return QuerySyntaxError(f"error at {line}:{column}: {message}")


# --- Inspection ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inspection:
    """What a SPARQL operation is and what it names outside the store."""

    kind: Literal["query", "update"]
    #: The query form, None for an update.
    form: QueryForm | None
    #: Update operations, in order (``INSERT``, ``LOAD``...).
    update_operations: tuple[str, ...] = ()
    #: ``SERVICE`` targets: IRIs, or ``?var`` for a variable.
    services: tuple[str, ...] = ()
    #: ``FROM`` graph IRIs.
    from_graphs: tuple[str, ...] = ()
    #: ``FROM NAMED`` graph IRIs.
    from_named_graphs: tuple[str, ...] = ()
    #: ``LOAD`` source IRIs.
    loads: tuple[str, ...] = ()


def inspect_operation(text: str, base_iri: str | None = None) -> Inspection:
    """Classify a SPARQL text and list the IRIs it would make the server reach.

    Relative IRIs are resolved against ``BASE`` or, before any, ``base_iri``.

    Raises :class:`QuerySyntaxError` when the text cannot be SPARQL at all.

    >>> inspect_operation("PREFIX wd: <http://www.wikidata.org/entity/> ASK { wd:Q1 ?p ?o }").form
    'ASK'
    >>> inspect_operation("# SERVICE <x>\\nSELECT ('SERVICE <y>' AS ?s) {}").services
    ()
    >>> inspect_operation("SELECT * { SERVICE SILENT <https://q.example/s> { ?s ?p ?o } }").services
    ('https://q.example/s',)
    >>> inspect_operation("LOAD <http://example.org/g.ttl>").loads
    ('http://example.org/g.ttl',)
    """
    tokens = tokenize(text)
    prefixes: dict[str, str] = {}
    base: list[str] = [base_iri] if base_iri else []
    index = _skip_prologue(tokens, prefixes, base, text)
    if index >= len(tokens):
        raise QuerySyntaxError("the text is empty: expected SELECT, CONSTRUCT, ASK or DESCRIBE")
    first = tokens[index]
    updates: list[str] = []
    services: list[str] = []
    from_graphs: list[str] = []
    from_named: list[str] = []
    loads: list[str] = []
    for position, token in enumerate(tokens[index:], start=index):
        if token.kind != "word":
            continue
        word = token.text.upper()
        following = tokens[position + 1 : position + 3]
        if word in ("PREFIX", "BASE"):  # between update operations
            _skip_prologue(tokens[position:], prefixes, base, text)
        elif word in UPDATE_KEYWORDS:
            updates.append(word)
            if word == "LOAD":
                loads.extend(_target(following, prefixes, base, text, skip="SILENT"))
        elif word == "SERVICE":
            services.extend(_target(following, prefixes, base, text, skip="SILENT") or ["?"])
        elif word == "FROM":
            named = bool(following) and following[0].is_word("NAMED")
            graphs = _target(following, prefixes, base, text, skip="NAMED")
            (from_named if named else from_graphs).extend(graphs)
    if updates or not first.is_word(*QUERY_FORMS):
        if not updates:
            raise _syntax_error(
                text, first.offset, "expected SELECT, CONSTRUCT, ASK or DESCRIBE (or PREFIX/BASE)"
            )
        return Inspection("update", None, tuple(updates), tuple(services), loads=tuple(loads))
    form = QUERY_FORMS[QUERY_FORMS.index(first.text.upper())]
    return Inspection(
        "query", form, (), tuple(services), tuple(from_graphs), tuple(from_named), tuple(loads)
    )


def _skip_prologue(
    tokens: Sequence[Token], prefixes: dict[str, str], base: list[str], text: str
) -> int:
    """Record ``PREFIX`` and ``BASE`` declarations; the index of the first other token."""
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.is_word("BASE") and index + 1 < len(tokens) and tokens[index + 1].kind == "iri":
            base[:] = [_resolve_iri(tokens[index + 1].text, base)]
            index += 2
        elif token.is_word("PREFIX") and index + 2 < len(tokens):
            name, iri = tokens[index + 1], tokens[index + 2]
            if name.kind != "pname" or not name.text.endswith(":") or iri.kind != "iri":
                raise _syntax_error(text, name.offset, "expected 'PREFIX name: <iri>'")
            prefixes[name.text[:-1]] = _resolve_iri(iri.text, base)
            index += 3
        else:
            break
    return index


def _target(
    following: Sequence[Token], prefixes: Mapping[str, str], base: list[str], text: str, skip: str
) -> list[str]:
    """The IRI (or variable) after a keyword, skipping an optional ``SILENT``/``NAMED``."""
    tokens = list(following)
    if tokens and tokens[0].is_word(skip):
        tokens = tokens[1:]
    if not tokens:
        return []
    token = tokens[0]
    if token.kind == "var":
        return [token.text]
    if token.kind == "iri":
        return [_resolve_iri(token.text, base)]
    if token.kind == "pname":
        prefix, _, local = token.text.partition(":")
        if prefix not in prefixes:
            raise _syntax_error(text, token.offset, f"prefix {prefix + ':'!r} is not declared")
        return [prefixes[prefix] + _PLX_ESCAPE.sub(r"\1", local)]
    return []


def _resolve_iri(iri: str, base: list[str]) -> str:
    """An IRI token's value: escapes decoded, resolved against ``BASE`` when relative.

    >>> _resolve_iri("g\\\\u0031", ["http://example.org/a/"])
    'http://example.org/a/g1'
    """
    value = _UCHAR.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), iri)
    return urljoin(base[0], value) if base and ":" not in value.split("/", 1)[0] else value


# --- Admission --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdmittedQuery:
    """A query that may run: its text, form and the dataset the Protocol asked for."""

    text: str
    form: QueryForm
    #: None: the dataset of the query's FROM clauses, else the store's. A tuple (the Protocol's
    #: ``default-graph-uri``/``named-graph-uri``): exactly these graphs, the others empty.
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    #: The IRI relative IRIs of the query resolve against (the endpoint's URL), if any.
    base_iri: str | None = None


def admit_query(
    text: str,
    known_graphs: Collection[str],
    *,
    default_graph_uris: Sequence[str] = (),
    named_graph_uris: Sequence[str] = (),
    base_iri: str | None = None,
    settings: SparqlSettings = SparqlSettings(),
) -> AdmittedQuery:
    """Decide whether a query may run; raise the :class:`SparqlError` that refuses it.

    In order: size (413), syntax the lexer sees (400), updates and LOAD (403), SERVICE (403),
    graphs outside ``known_graphs`` in FROM/FROM NAMED or the dataset parameters (400).
    ``base_iri`` (the endpoint's URL) resolves relative IRIs such as ``<s>``.

    >>> admit_query("SELECT * { ?s ?p ?o }", set()).form
    'SELECT'
    >>> try:
    ...     admit_query("INSERT DATA { <a> <b> <c> }", set())
    ... except UpdateRefused as error:
    ...     print(error.status, error.message[:42])
    403 INSERT refused: this endpoint is read-only
    """
    if len(text.encode("utf-8")) > settings.max_request_bytes:
        raise RequestTooLarge(
            f"the query is larger than the {settings.max_request_bytes} bytes this endpoint accepts"
        )
    inspection = inspect_operation(text, base_iri)
    if inspection.kind == "update":
        if inspection.loads:
            raise UpdateRefused(
                f"LOAD <{inspection.loads[0]}> refused: this endpoint never fetches documents "
                "and is read-only."
            )
        raise UpdateRefused(f"{inspection.update_operations[0]} refused: {_READ_ONLY}")
    if inspection.services:
        target = inspection.services[0]
        shown = target if target.startswith(("?", "$")) else f"<{target}>"
        raise FederationRefused(
            f"SERVICE {shown} refused: this endpoint never calls other services, so federated "
            "queries cannot run here. Run the query on your own SPARQL engine with our dump "
            "loaded (see examples/queries/federated-wikidata.rq)."
        )
    assert inspection.form is not None
    if settings.refuse_unknown_from:
        _refuse_unknown("FROM", inspection.from_graphs, known_graphs)
        _refuse_unknown("FROM NAMED", inspection.from_named_graphs, known_graphs)
    if settings.refuse_unknown_dataset_params:
        _refuse_unknown("default-graph-uri", default_graph_uris, known_graphs)
        _refuse_unknown("named-graph-uri", named_graph_uris, known_graphs)
    protocol_dataset = bool(default_graph_uris or named_graph_uris)
    return AdmittedQuery(
        text=text,
        form=inspection.form,
        default_graphs=tuple(default_graph_uris) if protocol_dataset else None,
        named_graphs=tuple(named_graph_uris) if protocol_dataset else None,
        base_iri=base_iri,
    )


def _refuse_unknown(where: str, graphs: Sequence[str], known: Collection[str]) -> None:
    for graph in graphs:
        if graph not in known:
            listed = ", ".join(f"<{g}>" for g in sorted(known)[:5]) or "none"
            raise UnknownGraph(
                f"{where} <{graph}> is not a graph of this dataset, and this endpoint never "
                "fetches graphs from elsewhere. All data is in the default graph; named graphs: "
                f"{listed}."
            )
