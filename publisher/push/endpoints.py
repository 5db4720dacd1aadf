"""Where a push goes: the store's three URLs, its credentials, and what the store can take.

A store that speaks the SPARQL 1.1 Graph Store HTTP Protocol (GSP,
https://www.w3.org/TR/sparql11-http-rdf-update/) has a GSP URL that takes ``PUT ?graph=IRI``, a
SPARQL query URL for the counts, and usually a SPARQL update URL for ``COPY``. Presets give the
paths of the stores we test against; any URL can be given explicitly instead:

============  ==========================  ==========  ================  ======  =====  =============
preset        GSP                         query       update            auth    gzip   swap
============  ==========================  ==========  ================  ======  =====  =============
oxigraph      ``/store``                  ``/query``  ``/update``       none    yes    DELETE/INSERT
virtuoso      ``/sparql-graph-crud-auth`` ``/sparql`` ``/sparql-auth``  digest  no     COPY
generic       (give ``--gsp-url``)        (give)      (optional)        none    no     COPY
============  ==========================  ==========  ================  ======  =====  =============

What the presets know (Oxigraph server 0.5.13 and Debian's Virtuoso 7.2.5, tested here):

- Oxigraph decodes ``Content-Encoding: gzip`` request bodies, but **only the first member** of a
  multi-member gzip file, and still answers 201: our ``.nt.gz`` dumps are multi-member (one
  member per segment), so a push compresses the N-Triples again as one member.
- Virtuoso does not decode ``Content-Encoding: gzip`` (500, "unsupported type text/plain"), and
  loads **nothing** from a chunked request body while answering 201: a push always sends
  ``Content-Length``. Its writable GSP endpoint and its authenticated update endpoint use HTTP
  digest authentication (``dba``/``dba`` on a new database); the public ``/sparql`` refuses
  updates with a 500.
- Oxigraph loads a GSP PUT body in **one transaction**: a body it cannot parse to the end, or a
  server killed mid-load, leaves nothing of it (tests/test_push.py), and readers sampled during
  a PUT of 343,446 triples over a graph of 1,000 saw only the old graph. What a PUT cannot do is
  count before it publishes: a proxy that forwards part of a body gets that part published. So
  a push loads only an **empty** target directly (``atomic_load``), where a wrong count is
  undone by dropping the target again; a published graph is replaced from a counted staging
  graph.
- Oxigraph runs ``COPY`` as ``DROP`` plus ``INSERT … WHERE``, which writes every triple again;
  one update that deletes from the target what the staging graph lacks and inserts what the
  target lacks gives the same graph in one transaction, and writes only the difference
  (``swap``; benchmarks/README.md, "Push").

Other stores, with explicit URLs (not tested here): Apache Jena Fuseki ``/{ds}/data`` (GSP),
``/{ds}/query``, ``/{ds}/update``; GraphDB ``/repositories/{id}/rdf-graphs/service`` (GSP),
``/repositories/{id}`` (query), ``/repositories/{id}/statements`` (update).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from publisher.errors import EmigreError

AuthKind = Literal["none", "basic", "digest", "bearer"]
GzipMode = Literal["auto", "on", "off"]
#: How the staging graph replaces the target: SPARQL ``COPY``, or one update that deletes and
#: inserts only the difference (:func:`publisher.push.release.swap_update`).
SwapKind = Literal["COPY", "DELETE/INSERT"]
AUTH_KINDS: tuple[AuthKind, ...] = ("none", "basic", "digest", "bearer")


class PushError(EmigreError):
    """A push failed; the message says at which step and why. The published graph is intact
    unless the message says otherwise."""

    exit_code = 3


class PushUsageError(PushError):
    """The push was asked for something that cannot work (a missing URL, a malformed IRI)."""

    exit_code = 2


@dataclass(frozen=True)
class StorePreset:
    """Paths and abilities of one kind of store, relative to the server's base URL."""

    name: str
    gsp_path: str | None
    query_path: str | None
    update_path: str | None
    auth: AuthKind
    #: The store decodes a single-member ``Content-Encoding: gzip`` request body.
    accepts_gzip: bool
    #: A GSP PUT into an empty graph is one transaction: all of the body or none of it.
    atomic_load: bool
    swap: SwapKind
    #: Where the store listens out of the box (None: no default).
    default_base_url: str | None
    description: str


PRESETS: dict[str, StorePreset] = {
    preset.name: preset
    for preset in (
        StorePreset(
            "oxigraph",
            "/store",
            "/query",
            "/update",
            "none",
            True,
            True,
            "DELETE/INSERT",
            "http://127.0.0.1:7878",
            "Oxigraph server (0.4+)",
        ),
        StorePreset(
            "virtuoso",
            "/sparql-graph-crud-auth",
            "/sparql",
            "/sparql-auth",
            "digest",
            False,
            False,
            "COPY",
            "http://127.0.0.1:8890",
            "OpenLink Virtuoso 7 (writes need a user with SPARQL_UPDATE, e.g. dba)",
        ),
        StorePreset(
            "generic",
            None,
            None,
            None,
            "none",
            False,
            False,
            "COPY",
            None,
            "any GSP store, explicit URLs",
        ),
    )
}


@dataclass(frozen=True)
class Credentials:
    """How to authenticate to every URL of the store (one store, one set of credentials)."""

    kind: AuthKind = "none"
    user: str = ""
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if self.kind not in AUTH_KINDS:
            raise PushUsageError(f"unknown authentication {self.kind!r}")
        if self.kind in ("basic", "digest") and not self.user:
            raise PushUsageError(f"{self.kind} authentication needs a user name")
        if self.kind == "bearer" and not self.token:
            raise PushUsageError("bearer authentication needs a token")


@dataclass(frozen=True)
class StoreEndpoint:
    """The URLs a push uses. Without ``update_url`` the target is replaced by a GSP PUT."""

    gsp_url: str
    query_url: str
    update_url: str | None = None
    credentials: Credentials = field(default_factory=Credentials)
    accepts_gzip: bool = False
    atomic_load: bool = False
    swap: SwapKind = "COPY"
    preset: str = "generic"

    def __post_init__(self) -> None:
        for name in ("gsp_url", "query_url", "update_url"):
            url = getattr(self, name)
            if url is not None:
                _check_http_url(url, name.replace("_", "-"))


def store_endpoint(
    preset: str = "oxigraph",
    base_url: str | None = None,
    *,
    gsp_url: str | None = None,
    query_url: str | None = None,
    update_url: str | None = None,
    credentials: Credentials | None = None,
) -> StoreEndpoint:
    """The endpoint of a preset at ``base_url`` (default: where the store listens out of the
    box); explicit URLs replace the preset's paths. Credentials default to none.

    >>> store_endpoint("oxigraph", "http://127.0.0.1:7878/").query_url
    'http://127.0.0.1:7878/query'
    >>> store_endpoint("virtuoso", "http://127.0.0.1:8890").gsp_url
    'http://127.0.0.1:8890/sparql-graph-crud-auth'
    """
    chosen = PRESETS.get(preset)
    if chosen is None:
        raise PushUsageError(f"unknown store {preset!r}; known: {', '.join(PRESETS)}")
    base = (base_url or chosen.default_base_url or "").rstrip("/")

    def resolve(explicit: str | None, path: str | None, option: str) -> str | None:
        if explicit:
            return explicit
        if path is None:
            return None
        if not base:
            raise PushUsageError(f"give the store's base URL (--endpoint) or --{option}")
        return base + path

    gsp = resolve(gsp_url, chosen.gsp_path, "gsp-url")
    query = resolve(query_url, chosen.query_path, "query-url")
    if gsp is None or query is None:
        raise PushUsageError(f"the {preset} store needs --gsp-url and --query-url")
    return StoreEndpoint(
        gsp_url=gsp,
        query_url=query,
        update_url=resolve(update_url, chosen.update_path, "update-url"),
        credentials=credentials or Credentials(),
        accepts_gzip=chosen.accepts_gzip,
        atomic_load=chosen.atomic_load,
        swap=chosen.swap,
        preset=preset,
    )


def choose_credentials(
    preset: str,
    kind: AuthKind | None = None,
    user: str = "",
    password: str = "",
    token: str = "",
) -> Credentials:
    """Credentials of the given kind or, without one, of the kind the values call for: bearer
    with a token, the preset's own kind (basic unless it has one) with a user, else none.

    >>> choose_credentials("virtuoso", user="dba", password="dba").kind
    'digest'
    >>> choose_credentials("oxigraph", token="t").kind
    'bearer'
    """
    if kind is None:
        if token:
            kind = "bearer"
        elif user:
            own = PRESETS[preset].auth if preset in PRESETS else "none"
            kind = own if own != "none" else "basic"
        else:
            kind = "none"
    return Credentials(kind, user, password, token)


def use_gzip(mode: GzipMode, endpoint: StoreEndpoint) -> bool:
    """Whether to gzip the upload: always (``on``), never (``off``), or (``auto``) when the
    store decodes it and is not on this machine, where compressing only costs time.

    >>> use_gzip("auto", store_endpoint("oxigraph", "http://127.0.0.1:7878"))
    False
    >>> use_gzip("auto", store_endpoint("oxigraph", "https://sparql.example.org"))
    True
    >>> use_gzip("auto", store_endpoint("virtuoso", "https://sparql.example.org"))
    False
    """
    if mode == "on":
        return True
    if mode == "off":
        return False
    return endpoint.accepts_gzip and not _is_loopback(endpoint.gsp_url)


#: Characters that may not appear in an IRI reference written between ``<`` and ``>`` in
#: SPARQL (IRIREF, https://www.w3.org/TR/sparql11-query/#rIRIREF), plus whitespace.
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def check_graph_iri(iri: str) -> str:
    """``iri`` when it is an absolute IRI that can be written as ``<iri>`` in SPARQL.

    >>> check_graph_iri("https://w3id.org/emigre/id/dataset")
    'https://w3id.org/emigre/id/dataset'
    >>> check_graph_iri("http://x/g> } ; DROP ALL ; #")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    publisher.push.endpoints.PushUsageError: not an absolute IRI usable as a graph name: ...
    """
    if not _SCHEME.match(iri) or _IRI_FORBIDDEN.search(iri):
        raise PushUsageError(f"not an absolute IRI usable as a graph name: {iri!r}")
    return iri


def staging_graph_iri(target: str, fingerprint: str) -> str:
    """The staging graph of a push of one release to ``target``: the target's IRI with the
    fragment ``#emigre-staging-{fingerprint}`` (or ``-emigre-staging-…`` appended to a fragment
    the target already has). The same release pushed again to the same target uses the same
    staging graph, so a push that died leaves at most one staging graph, which the next push
    replaces; two pushes to one target must not run at once.

    >>> staging_graph_iri("https://w3id.org/emigre/id/dataset", "1bb7b01837cf")
    'https://w3id.org/emigre/id/dataset#emigre-staging-1bb7b01837cf'
    >>> staging_graph_iri("http://example.org/g#v1", "1bb7b01837cf")
    'http://example.org/g#v1-emigre-staging-1bb7b01837cf'
    """
    separator = "-" if "#" in target else "#"
    return check_graph_iri(f"{target}{separator}emigre-staging-{fingerprint}")


def _check_http_url(url: str, option: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PushUsageError(f"--{option}: not an http(s) URL: {url!r}")


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
