"""Every refusal of the SPARQL endpoint: one class per outcome, each with its HTTP status and
headers, so the web layer maps all of them in one ``except`` (STYLE.md rule 4).
"""

from __future__ import annotations

from collections.abc import Mapping

from publisher.errors import EmigreError


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
