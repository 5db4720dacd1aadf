"""Content negotiation: which of our formats answers a request (DESIGN §6, protocols notes d1).

Pure functions over strings and :mod:`publisher.formats`; no web framework, no sockets. The web
layer calls :func:`negotiate` for ``/id`` and ``/doc`` requests, :func:`format_from_extension` and
:func:`format_from_query` for explicit choices, and sends ``Vary: Accept`` (:data:`VARY`) and the
``Link`` values of :func:`vary_and_alternates` with every document.

Decisions, each tested in ``tests/test_conneg.py``:

- ``Accept`` is parsed by the grammar of RFC 9110 §12.5.1 (media ranges, parameters, quoted
  strings, q-values with at most three decimals). Anything else raises :class:`AcceptError`, a
  ``ValueError`` with a short reason; the caller chooses between 400 and the default. Two
  leniencies, both for the JDK's ``HttpURLConnection`` default ``text/html, image/gif, image/jpeg,
  *; q=.2, */*; q=.2``: a lone ``*`` means ``*/*`` and ``q=.2`` means ``q=0.2``.
- For each offered format the most specific matching range decides its q (RFC 9110 §12.5.1);
  the highest q wins and q=0 excludes. Parameters are ignored except ``charset``, which must be
  UTF-8 (the only charset we send) and then makes the range more specific.
- A format's media type aliases (``application/x-turtle``, ``application/xhtml+xml``) count only
  when named exactly: a wildcard has to cover the type we actually send.
- Weak aliases, named exactly and ranked below a real media type of equal q:
  ``application/json`` means JSON-LD, because JSON-LD is JSON (JSON-LD 1.1 §9) and plain JSON
  clients, such as a browser's ``fetch`` or Wikibase's EntityData users, can read it;
  ``application/xml`` and ``text/xml`` mean RDF/XML, which is XML. ``text/plain`` is *not*
  N-Triples: N-Triples has had its own type since RDF 1.1 and ``text/plain`` mostly means
  "any text" (rapper lists it at q=0.5).
- A client that names an RDF media type (even one we do not serve, such as ``application/trig``)
  and neither ``text/html`` nor ``application/xhtml+xml`` never gets HTML, whatever its
  ``*/*;q=0.1`` says: rapper, rdflib and SPARQLWrapper must not be handed a web page.
- Ties at the same q and the same explicitness (named type > weak alias > ``type/*`` > ``*/*``)
  go to HTML when the client named HTML (a browser) and ``prefer_html_for_browsers`` is true,
  then to ``default``, then to the order of ``offered`` (our preference, Turtle first).
- No ``Accept``, an empty one and curl's bare ``*/*`` all get ``default``: HTML for pages,
  following the common Linked Data practice (Pubby, LodView) of showing people a page; pass
  ``default=TURTLE`` where machines are the expected callers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from publisher.formats import (
    ALL_FORMATS,
    FORMATS_BY_EXTENSION,
    FORMATS_BY_MEDIA_TYPE,
    FORMATS_BY_NAME,
    HTML,
    JSONLD,
    RDF_FORMATS,
    RDFXML,
    Format,
)

#: Longer headers are refused: real clients send well under 1 kB (rapper's guessing one: 800 B).
MAX_HEADER_LENGTH = 4096
#: More media ranges are refused: the longest real header we know (rapper's) has 25.
MAX_RANGES = 64
#: The ``Vary`` value of every negotiated response (DESIGN §3).
VARY = "Accept"

_TCHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_UTF8 = frozenset({"utf-8", "utf8"})
#: Media types that mean "this client wants RDF": ours and the other RDF syntaxes clients list.
_RDF_MEDIA_TYPES = frozenset(
    {m for fmt in RDF_FORMATS for m in fmt.media_types}
    | {"text/n3", "application/n3", "text/rdf+n3", "application/rdf+n3", "application/turtle"}
    | {"application/n-quads", "text/x-nquads", "application/trig", "application/x-trig"}
    | {"application/trix", "application/x-json+ld", "text/rdf"}
)
#: Named exactly, these select a format, but lose a tie against one of its own media types.
_WEAK_ALIASES: dict[str, tuple[str, ...]] = {
    JSONLD.name: ("application/json",),
    RDFXML.name: ("application/xml", "text/xml"),
}
_QUERY_ALIASES: dict[str, Format] = {"json-ld": JSONLD, "xml": RDFXML}

# How explicitly the deciding range named a format; higher wins ties at equal q.
_ANY, _TYPE_WILDCARD, _WEAK_ALIAS, _NAMED = 0, 1, 2, 3


class AcceptError(ValueError):
    """An ``Accept`` header that is not valid RFC 9110 syntax, or is too large to read."""

    def __init__(self, reason: str, element: str | None = None) -> None:
        self.reason = reason
        self.element = element
        where = "Accept header" if element is None else f"Accept header, {_shorten(element)}"
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class MediaRange:
    """One element of an ``Accept`` header: type and subtype (lower case), parameters, q."""

    type: str
    subtype: str
    #: Parameters other than q, names in lower case, values unquoted, in header order.
    params: tuple[tuple[str, str], ...] = ()
    q: float = 1.0

    @property
    def essence(self) -> str:
        """``type/subtype`` without parameters.

        >>> MediaRange("text", "turtle", (("charset", "utf-8"),)).essence
        'text/turtle'
        """
        return f"{self.type}/{self.subtype}"

    def __str__(self) -> str:
        """The range as it would be written in a header.

        >>> str(MediaRange("application", "ld+json", (("profile", "a b"),), 0.5))
        'application/ld+json;profile="a b";q=0.5'
        """
        parts = [self.essence, *(f"{n}={_quote(v)}" for n, v in self.params)]
        if self.q != 1.0:
            parts.append(f"q={self.q:g}")
        return ";".join(parts)


def parse_accept(header: str) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header, in header order.

    Empty list elements are skipped (RFC 9110 §5.6.1.2), so ``""`` gives ``[]``.

    >>> [str(r) for r in parse_accept("Text/HTML, */*; Q=0.8")]
    ['text/html', '*/*;q=0.8']
    >>> parse_accept("text/")
    Traceback (most recent call last):
    ...
    publisher.server.conneg.AcceptError: Accept header, 'text/': missing subtype
    """
    if len(header) > MAX_HEADER_LENGTH:
        raise AcceptError(f"longer than {MAX_HEADER_LENGTH} characters")
    for char in header:
        if not (" " <= char <= "~" or char == "\t"):
            raise AcceptError(f"character {char!r} is not printable ASCII")
    ranges: list[MediaRange] = []
    for element in _split(header, ","):
        element = element.strip(" \t")
        if not element:
            continue
        if len(ranges) == MAX_RANGES:
            raise AcceptError(f"more than {MAX_RANGES} media ranges")
        ranges.append(_parse_range(element))
    return ranges


def negotiate(
    accept: str | None,
    offered: Sequence[Format] = ALL_FORMATS,
    *,
    default: Format = HTML,
    prefer_html_for_browsers: bool = True,
) -> Format | None:
    """The offered format that best fits ``accept``, or None when none is acceptable (406).

    ``offered`` is in our order of preference. Raises :class:`AcceptError` for a malformed header.

    >>> negotiate("application/rdf+xml, text/turtle;q=0.9, */*;q=0.1").name
    'rdfxml'
    >>> negotiate("*/*").name, negotiate("*/*", default=RDF_FORMATS[0]).name
    ('html', 'turtle')
    >>> negotiate("image/png") is None
    True
    """
    ranges = parse_accept(accept) if accept is not None else []
    preference = [default, *(fmt for fmt in offered if fmt != default)]
    if not ranges:
        return next((fmt for fmt in preference if fmt in offered), None)
    named = {r.essence for r in ranges if r.q > 0}
    html_named = any(m in named for fmt in offered if not fmt.is_rdf for m in fmt.media_types)
    rdf_client = not html_named and not named.isdisjoint(_RDF_MEDIA_TYPES)
    best: tuple[float, int, bool, int] | None = None
    chosen: Format | None = None
    for fmt in offered:
        if rdf_client and not fmt.is_rdf:
            continue
        match = _best_match(fmt, ranges)
        if match is None or match[0] == 0:
            continue
        q, explicitness = match
        browser_bonus = prefer_html_for_browsers and html_named and not fmt.is_rdf
        key = (q, explicitness, browser_bonus, -preference.index(fmt))
        if best is None or key > best:
            best, chosen = key, fmt
    return chosen


def format_from_extension(name: str) -> Format | None:
    """The format of a file name or URL path by its extension (case-sensitive, as on a static host).

    >>> format_from_extension("/doc/person/ulitskaya.ttl").name
    'turtle'
    >>> format_from_extension("ulitskaya.TTL"), format_from_extension("ttl")
    (None, None)
    """
    last_segment = name.rpartition("/")[2]
    _, dot, extension = last_segment.rpartition(".")
    if not dot:
        return None
    return FORMATS_BY_EXTENSION.get(extension)


def format_from_query(value: str) -> Format | None:
    """The format named by a ``?format=`` value: a name, an extension, an alias or a media type.

    >>> [format_from_query(v).name for v in ("ttl", "JSON-LD", "xml", "application/n-triples")]
    ['turtle', 'jsonld', 'rdfxml', 'ntriples']
    >>> format_from_query("trig") is None
    True
    """
    key = value.strip().lower()
    return (
        FORMATS_BY_EXTENSION.get(key)
        or FORMATS_BY_NAME.get(key)
        or _QUERY_ALIASES.get(key)
        or FORMATS_BY_MEDIA_TYPE.get(key)
    )


def vary_and_alternates(
    base_url_without_ext: str, current: Format, formats: Sequence[Format] = ALL_FORMATS
) -> list[str]:
    """``Link`` values pointing to the document in every other format (``Vary`` is :data:`VARY`).

    >>> vary_and_alternates("https://w3id.org/emigre/doc/place/riga", HTML)[0]
    '<https://w3id.org/emigre/doc/place/riga.ttl>; rel="alternate"; type="text/turtle"'
    """
    if any(c in '<>"' or not " " < c <= "~" for c in base_url_without_ext):
        raise ValueError(f"not a URL for a Link header: {base_url_without_ext!r}")
    return [
        f'<{base_url_without_ext}.{fmt.extension}>; rel="alternate"; type="{fmt.media_type}"'
        for fmt in formats
        if fmt != current
    ]


def _best_match(fmt: Format, ranges: Sequence[MediaRange]) -> tuple[float, int] | None:
    """q and explicitness of ``fmt``, or None when no range matches any of its media types.

    Each media type takes its most specific matching range (RFC 9110 §12.5.1), the highest q
    among equals. The most specific of those decide: their highest q, but 0 when they refuse
    the type we send (``text/html;q=0, application/xhtml+xml`` refuses HTML).
    """
    weak = _WEAK_ALIASES.get(fmt.name, ())
    # (specificity, q, explicitness, is the type we send)
    matches: list[tuple[tuple[int, int], float, int, bool]] = []
    for media_type in (*fmt.media_types, *weak):
        is_sent = media_type == fmt.media_type
        found = [
            (specificity, media_range.q)
            for media_range in ranges
            if (specificity := _specificity(media_range, media_type)) is not None
            and (is_sent or specificity[0] == _NAMED)  # a wildcard must cover what we send
        ]
        if found:
            specificity, q = max(found)
            explicitness = _WEAK_ALIAS if media_type in weak else specificity[0]
            matches.append((specificity, q, explicitness, is_sent))
    if not matches:
        return None
    top = max(match[0] for match in matches)
    decisive = [match for match in matches if match[0] == top]
    if any(is_sent and q == 0 for _, q, _, is_sent in decisive):
        return (0.0, _ANY)
    return max((q, explicitness) for _, q, explicitness, _ in decisive)


def _specificity(media_range: MediaRange, media_type: str) -> tuple[int, int] | None:
    """How specifically ``media_range`` matches ``media_type`` (None: it does not).

    >>> _specificity(MediaRange("text", "*"), "text/turtle")
    (1, 0)
    >>> _specificity(MediaRange("text", "turtle", (("charset", "latin1"),)), "text/turtle")
    """
    type_, _, subtype = media_type.partition("/")
    if media_range.type == "*":
        level = _ANY
    elif media_range.type != type_:
        return None
    elif media_range.subtype == "*":
        level = _TYPE_WILDCARD
    elif media_range.subtype != subtype:
        return None
    else:
        level = _NAMED
    charsets = [value.lower() for name, value in media_range.params if name == "charset"]
    if any(charset not in _UTF8 for charset in charsets):
        return None
    # Other parameters (``level``, JSON-LD's ``profile``) neither match nor refuse: we have one
    # representation per format, so only a charset we satisfy makes a range more specific.
    return (level, len(charsets))


def _parse_range(element: str) -> MediaRange:
    parts = _split(element, ";")
    essence = parts[0].strip(" \t")
    if not essence:
        raise AcceptError("parameters without a media range", element)
    if essence == "*":  # JDK HttpURLConnection
        essence = "*/*"
    type_, slash, subtype = essence.lower().partition("/")
    if not slash:
        raise AcceptError("no '/' in media range", element)
    if not subtype:
        raise AcceptError("missing subtype", element)
    if not (_is_token(type_) and _is_token(subtype)):
        raise AcceptError("type and subtype must be tokens", element)
    if type_ == "*" and subtype != "*":
        raise AcceptError("'*/subtype' is not a media range", element)
    params: list[tuple[str, str]] = []
    q: float | None = None
    for part in parts[1:]:
        part = part.strip(" \t")
        if not part:  # RFC 9110 §5.6.6 allows empty parameters
            continue
        name, equals, raw_value = part.partition("=")
        name = name.lower()
        if not equals or not _is_token(name):
            raise AcceptError(f"bad parameter {part!r}", element)
        value = _parameter_value(raw_value, element)
        if name != "q":
            params.append((name, value))
        elif q is not None:
            raise AcceptError("more than one q", element)
        else:
            q = _parse_q(raw_value, element)
    return MediaRange(type_, subtype, tuple(params), 1.0 if q is None else q)


def _parse_q(value: str, element: str) -> float:
    """A qvalue (RFC 9110 §12.4.2), in thousandths, as a float.

    >>> _parse_q("0.125", ""), _parse_q("1.000", ""), _parse_q(".2", "")
    (0.125, 1.0, 0.2)
    """
    whole, dot, fraction = value.partition(".")
    valid = (
        whole in ("0", "1", "")
        and (whole or fraction)  # ".2" is the JDK's; "." is nothing
        and (dot or not fraction)
        and len(fraction) <= 3
        and all(c in "0123456789" for c in fraction)
        and (whole != "1" or fraction.strip("0") == "")
    )
    if not valid:
        raise AcceptError(f"q={value!r} is not a number from 0 to 1 with 3 decimals", element)
    return (int(whole or "0") * 1000 + int(fraction.ljust(3, "0"))) / 1000


def _parameter_value(raw: str, element: str) -> str:
    if _is_token(raw):
        return raw
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        chars: list[str] = []
        escaped = False
        for char in raw[1:-1]:
            if escaped:
                chars.append(char)
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                break
            else:
                chars.append(char)
        else:
            if not escaped:
                return "".join(chars)
    raise AcceptError(f"bad parameter value {raw!r}", element)


def _split(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` outside quoted strings.

    >>> _split('a;b="x;y";c', ";")
    ['a', 'b="x;y"', 'c']
    """
    pieces: list[str] = []
    start, quoted, escaped = 0, False, False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            pieces.append(text[start:index])
            start = index + 1
    if quoted:
        raise AcceptError("unterminated quoted string", text)
    pieces.append(text[start:])
    return pieces


def _is_token(text: str) -> bool:
    return bool(text) and all(c in _TCHARS for c in text)


def _quote(value: str) -> str:
    if _is_token(value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _shorten(element: str) -> str:
    return repr(element if len(element) <= 40 else element[:37] + "...")
