"""OAI-PMH 2.0 requests: which verbs take which arguments, and every error a request can earn.

Pure functions over the request's (name, value) pairs, as GET's query string or POST's
``application/x-www-form-urlencoded`` body carries them (OAI-PMH §3.1.1). Each check raises an
:class:`OaiError` with the protocol's error code (§3.6); the response then echoes no arguments
for ``badVerb`` and ``badArgument`` and the checked ones for every other error (§3.2).
Spec: http://www.openarchives.org/OAI/openarchivesprotocol.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

ErrorCode = Literal[
    "badArgument",
    "badResumptionToken",
    "badVerb",
    "cannotDisseminateFormat",
    "idDoesNotExist",
    "noRecordsMatch",
    "noMetadataFormats",
    "noSetHierarchy",
]

#: Arguments of each verb: name -> required (§4). ``resumptionToken`` is exclusive.
VERBS: dict[str, dict[str, bool]] = {
    "Identify": {},
    "ListMetadataFormats": {"identifier": False},
    "ListSets": {"resumptionToken": False},
    "ListIdentifiers": {
        "metadataPrefix": True,
        "from": False,
        "until": False,
        "set": False,
        "resumptionToken": False,
    },
    "ListRecords": {
        "metadataPrefix": True,
        "from": False,
        "until": False,
        "set": False,
        "resumptionToken": False,
    },
    "GetRecord": {"identifier": True, "metadataPrefix": True},
}
#: The granularity of our datestamps (Identify says so; requests may use it or whole days).
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
#: metadataPrefix syntax (the schema's metadataPrefixType).
METADATA_PREFIX = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+$")
#: setSpec syntax (the schema's setSpecType).
SET_SPEC = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+(?::[A-Za-z0-9\-_.!~*'()]+)*$")


class OaiError(Exception):
    """A protocol error: its code (§3.6) and a message for people."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class OaiRequest:
    """A request whose verb and argument names are valid (values are checked by the verb)."""

    verb: str
    arguments: dict[str, str]

    def get(self, name: str) -> str | None:
        """An argument's value, or None."""
        return self.arguments.get(name)


def parse_request(pairs: list[tuple[str, str]]) -> OaiRequest:
    """The verb and arguments of a request, or ``badVerb``/``badArgument``.

    >>> parse_request([("verb", "GetRecord"), ("identifier", "x"), ("metadataPrefix", "oai_dc")])
    OaiRequest(verb='GetRecord', arguments={'identifier': 'x', 'metadataPrefix': 'oai_dc'})
    >>> parse_request([("verb", "Dance")])
    Traceback (most recent call last):
    publisher.oai.protocol.OaiError: 'Dance' is not an OAI-PMH verb
    """
    verbs = [value for name, value in pairs if name == "verb"]
    if not verbs:
        raise OaiError("badVerb", "the verb argument is missing")
    if len(verbs) > 1:
        raise OaiError("badVerb", "the verb argument is repeated")
    verb = verbs[0]
    allowed = VERBS.get(verb)
    if allowed is None:
        raise OaiError("badVerb", f"{verb!r} is not an OAI-PMH verb")
    arguments: dict[str, str] = {}
    for name, value in pairs:
        if name == "verb":
            continue
        if name not in allowed:
            raise OaiError("badArgument", f"{verb} takes no argument {name!r}")
        if name in arguments:
            raise OaiError("badArgument", f"the argument {name!r} is repeated")
        if not value:
            raise OaiError("badArgument", f"the argument {name!r} is empty")
        arguments[name] = value
    if "resumptionToken" in arguments:
        if len(arguments) > 1:
            others = ", ".join(sorted(set(arguments) - {"resumptionToken"}))
            raise OaiError("badArgument", f"resumptionToken is exclusive, but {others} came too")
        return OaiRequest(verb, arguments)
    missing = [name for name, required in allowed.items() if required and name not in arguments]
    if missing:
        raise OaiError("badArgument", f"{verb} needs the argument {missing[0]!r}")
    # Syntax now, so that later errors echo only values the schema's request element accepts.
    prefix = arguments.get("metadataPrefix")
    if prefix is not None and not METADATA_PREFIX.match(prefix):
        raise OaiError("badArgument", f"metadataPrefix {prefix!r} is not a metadata prefix")
    if "set" in arguments:
        check_set_spec(arguments["set"])
    parse_date_range(arguments.get("from"), arguments.get("until"))
    return OaiRequest(verb, arguments)


@dataclass(frozen=True)
class DateRange:
    """``from`` and ``until`` as inclusive UTC timestamps (None: open)."""

    start: str | None = None
    end: str | None = None


def parse_date_range(start: str | None, end: str | None) -> DateRange:
    """Check ``from`` and ``until`` (§3.3.1): a day or a second, both of one granularity, in
    order; a day reaches from its first second to its last.

    >>> parse_date_range("2026-01-01", "2026-01-31")
    DateRange(start='2026-01-01T00:00:00Z', end='2026-01-31T23:59:59Z')
    >>> parse_date_range("2026-01-01T00:00:00Z", "2026-01-31")
    Traceback (most recent call last):
    publisher.oai.protocol.OaiError: from and until must have the same granularity
    """
    kinds = [_granularity(value, name) for value, name in ((start, "from"), (end, "until"))]
    if start is not None and end is not None and kinds[0] != kinds[1]:
        raise OaiError("badArgument", "from and until must have the same granularity")
    if start is not None and kinds[0] == "day":
        start = f"{start}T00:00:00Z"
    if end is not None and kinds[1] == "day":
        end = f"{end}T23:59:59Z"
    if start is not None and end is not None and start > end:
        raise OaiError("badArgument", f"from ({start}) is after until ({end})")
    return DateRange(start, end)


def _granularity(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    if _DAY.match(value):
        pattern, kind = "%Y-%m-%d", "day"
    elif _SECOND.match(value):
        pattern, kind = "%Y-%m-%dT%H:%M:%SZ", "second"
    else:
        raise OaiError("badArgument", f"{name} {value!r} is not YYYY-MM-DD or {GRANULARITY}")
    try:
        datetime.strptime(value, pattern)
    except ValueError as error:
        raise OaiError("badArgument", f"{name} {value!r} is not a date: {error}") from error
    return kind


def check_set_spec(value: str) -> str:
    """A setSpec as the schema allows it, or ``badArgument``.

    >>> check_set_spec("wave:1917-1922")
    'wave:1917-1922'
    """
    if not SET_SPEC.match(value):
        raise OaiError("badArgument", f"set {value!r} is not a setSpec")
    return value
