"""Reading a SPARQL operation the way a parser does, without running it: the tokens of SPARQL 1.1
Query §19.8 (strings, IRIs, comments, ``<`` as less-than) and what they say — the query form,
update operations, ``SERVICE``, ``LOAD`` and ``FROM``/``FROM NAMED``. Syntax errors beyond the
lexer's reach are reported by Oxigraph when the query runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin

from publisher.server.sparql_errors import QuerySyntaxError

QueryForm = Literal["SELECT", "CONSTRUCT", "ASK", "DESCRIBE"]
QUERY_FORMS: tuple[QueryForm, ...] = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
#: Words that start (or only occur in) SPARQL Update operations (SPARQL 1.1 Update §3).
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH", "USING"}
)


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
