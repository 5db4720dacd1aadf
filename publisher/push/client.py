"""The HTTP side of a push: Graph Store PUT and DELETE, SPARQL COUNT and SPARQL Update.

One :class:`GraphStoreClient` per push, over one ``requests`` session (so digest authentication
negotiates once). Requests that can be repeated safely (PUT, DELETE, queries, ``DROP``) are
retried on a connection error, a timeout or a 5xx answer (but 501 and 505, which will not
change), with exponential back-off (honouring
a ``Retry-After`` up to the longest back-off); a 4xx answer is final. Updates are retried only
when running them twice does no harm (``COPY``, ``DROP SILENT``).

Counts are ``SELECT (COUNT(*) AS ?n)``, never rows: Virtuoso caps a result at 10,000 rows
silently (status 200). A count is trusted only when the answer is one complete JSON result:
Virtuoso flags a partial ("anytime") answer only in ``X-SQL-State``, and Oxigraph ends a
cancelled streaming answer with a message after a 200.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth

from publisher import __version__
from publisher.push.body import DumpBody
from publisher.push.endpoints import Credentials, PushError, StoreEndpoint

RESULTS_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
USER_AGENT = f"emigre/{__version__} (emigre push)"
#: Characters of an error body quoted in a message.
QUOTED_BODY = 300
#: 5xx answers worth another attempt (not 501 Not Implemented, 505 Version Not Supported...).
RETRIED_STATUSES = frozenset({500, 502, 503, 504, 507, 509})


class BearerAuth(AuthBase):
    """``Authorization: Bearer TOKEN`` on every request."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def requests_auth(credentials: Credentials) -> AuthBase | None:
    """The ``requests`` authentication object for the credentials (None: no authentication)."""
    if credentials.kind == "basic":
        return HTTPBasicAuth(credentials.user, credentials.password)
    if credentials.kind == "digest":
        return HTTPDigestAuth(credentials.user, credentials.password)
    if credentials.kind == "bearer":
        return BearerAuth(credentials.token)
    return None


class GraphStoreClient:
    """The requests a push makes to one store. Every failure raises :class:`PushError`."""

    def __init__(
        self,
        endpoint: StoreEndpoint,
        *,
        timeout: float,
        connect_timeout: float,
        retries: int,
        backoff: float,
        max_backoff: float,
        progress: Callable[[str], None],
    ) -> None:
        self.endpoint = endpoint
        self.timeout = (connect_timeout, timeout)
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.progress = progress
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.auth = requests_auth(endpoint.credentials)

    def close(self) -> None:
        self.session.close()

    # --- Graph Store Protocol --------------------------------------------------------------

    def put_graph(
        self,
        graph: str,
        body: DumpBody,
        *,
        content_encoding: str | None = None,
        parameters: Mapping[str, str] | None = None,
    ) -> None:
        """Replace ``graph`` by the body (GSP PUT); retried as a whole on a failure.

        A digest challenge is answered on a small request first (HEAD), so the dump is not
        sent once only to be refused.
        """
        headers = {"Content-Type": N_TRIPLES}
        if content_encoding:
            headers["Content-Encoding"] = content_encoding
        params = {"graph": graph, **(parameters or {})}
        what = f"upload to <{graph}>"
        if self.endpoint.credentials.kind != "none":
            self._authenticate(graph, what)
        response = self._send(
            "PUT", self.endpoint.gsp_url, what, params=params, data=body, headers=headers
        )
        self._check(response, what)
        if not body.complete:
            raise PushError(
                f"{what}: the store answered {response.status_code} before reading "
                f"the whole dump ({body.path})"
            )

    def _authenticate(self, graph: str, what: str) -> None:
        """A HEAD on the graph: answers a digest challenge, and fails early on a 401 or 403
        (any other answer will do; a store that does not answer is left to the PUT)."""
        try:
            response = self._send(
                "HEAD", self.endpoint.gsp_url, what, retry=False, params={"graph": graph}
            )
        except PushError:
            return
        if response.status_code in (401, 403):
            self._check(response, what)

    def delete_graph(self, graph: str) -> None:
        """Remove ``graph`` (GSP DELETE); a graph that is not there is fine."""
        what = f"delete <{graph}>"
        response = self._send("DELETE", self.endpoint.gsp_url, what, params={"graph": graph})
        if response.status_code != 404:
            self._check(response, what)

    # --- SPARQL ----------------------------------------------------------------------------

    def count_triples(self, graph: str) -> int:
        """Triples in ``graph`` (0 when it does not exist), by SPARQL ``COUNT``."""
        return self.count_matches(f"GRAPH <{graph}> {{ ?s ?p ?o }}", f"count <{graph}>")

    def count_matches(self, where: str, what: str) -> int:
        """The solutions of ``SELECT (COUNT(*) AS ?n) WHERE { where }``."""
        response = self._query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}", what)
        return _count_from_results(response, what)

    def select_rows(self, query: str, what: str) -> list[dict[str, str]]:
        """The rows of a small SELECT, each variable's value as a string (the marker)."""
        response = self._query(query, what)
        try:
            bindings = response.json()["results"]["bindings"]
            return [{name: str(value["value"]) for name, value in row.items()} for row in bindings]
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise PushError(
                f"{what}: not a SPARQL JSON result ({error}){_quote_body(response)}"
            ) from error

    def _query(self, query: str, what: str) -> requests.Response:
        response = self._send(
            "POST",
            self.endpoint.query_url,
            what,
            data={"query": query},
            headers={"Accept": RESULTS_JSON},
        )
        self._check(response, what)
        state = response.headers.get("X-SQL-State")
        if state:
            message = response.headers.get("X-SQL-Message", "")
            raise PushError(f"{what}: the store flagged a partial answer ({state} {message})")
        return response

    def update(self, update: str, *, retry: bool) -> None:
        """Run a SPARQL Update; ``retry`` only for updates that may run twice."""
        if self.endpoint.update_url is None:
            raise PushError("the store has no SPARQL update URL")
        what = f"SPARQL update {update.split(maxsplit=1)[0]}"
        response = self._send(
            "POST",
            self.endpoint.update_url,
            what,
            retry=retry,
            data={"update": update},
            # Virtuoso answers updates with a result set; any answer will do.
            headers={"Accept": f"{RESULTS_JSON}, */*;q=0.1"},
        )
        self._check(response, what)

    def drop_graph(self, graph: str) -> None:
        """Remove ``graph`` if it exists: SPARQL ``DROP SILENT`` or, without update, GSP DELETE."""
        if self.endpoint.update_url is None:
            self.delete_graph(graph)
        else:
            self.update(f"DROP SILENT GRAPH <{graph}>", retry=True)

    # --- Requests, retries, errors ---------------------------------------------------------

    def _send(
        self, method: str, url: str, what: str, *, retry: bool = True, **kwargs: Any
    ) -> requests.Response:
        attempts = 1 + (self.retries if retry else 0)
        for attempt in range(1, attempts + 1):
            delay: float | None = None
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as error:
                reason = _describe_exception(error)
            else:
                if response.status_code not in RETRIED_STATUSES:
                    return response
                reason = f"HTTP {response.status_code}{_quote_body(response)}"
                delay = _retry_after(response)
            if attempt == attempts:
                tries = f" (after {attempts} attempts)" if attempts > 1 else ""
                raise PushError(f"{what}: {reason}{tries}")
            wait = min(
                self.max_backoff, delay if delay is not None else self.backoff * 2 ** (attempt - 1)
            )
            self.progress(
                f"{what} failed ({reason}); attempt {attempt + 1} of {attempts} in {wait:.1f} s"
            )
            time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _check(response: requests.Response, what: str = "request") -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        if status in (401, 403):
            raise PushError(
                f"{what}: HTTP {status}: the store refused the credentials or the operation "
                f"(check --auth, --user, --password or --token){_quote_body(response)}"
            )
        raise PushError(f"{what}: HTTP {status}{_quote_body(response)}")


def _count_from_results(response: requests.Response, what: str) -> int:
    try:
        results = response.json()
        bindings = results["results"]["bindings"]
        if len(bindings) != 1:
            raise ValueError(f"{len(bindings)} rows")
        value = int(bindings[0]["n"]["value"])
    except (ValueError, KeyError, TypeError, IndexError) as error:
        raise PushError(
            f"{what}: not a SPARQL JSON count ({error}){_quote_body(response)}"
        ) from error
    if value < 0:
        raise PushError(f"{what}: a negative count ({value})")
    return value


def _quote_body(response: requests.Response) -> str:
    """The start of an error answer as one line (markup removed), for a message."""
    text = re.sub(r"<[^>]*>", " ", response.text[: QUOTED_BODY * 10])
    text = " ".join(text.split())[:QUOTED_BODY]
    return f": {text}" if text else ""


def _describe_exception(error: Exception) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text[:QUOTED_BODY]}"


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None
