"""OAI-PMH responses: one request in, one XML document out, for each of the six verbs.

:func:`respond` is the whole provider: it parses the request (``protocol``), answers it from the
repository (``repository``, ``metadata``) and writes the envelope the OAI-PMH schema describes
(§3.2): ``responseDate``, ``request`` (the base URL, with the arguments unless the request was
``badVerb`` or ``badArgument``), then the verb's element or the errors. Every value that comes
from the data or the request is escaped; protocol errors are answered with HTTP 200 (§3.6).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from publisher.oai.metadata import METADATA_FORMATS, xml_text
from publisher.oai.protocol import (
    GRANULARITY,
    OaiError,
    OaiRequest,
    check_set_spec,
    parse_date_range,
    parse_request,
)
from publisher.oai.repository import Item, OaiRepository
from publisher.oai.tokens import ResumptionToken

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
MEDIA_TYPE = "text/xml; charset=utf-8"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class HttpRequest:
    """What the provider needs of an HTTP request."""

    method: str
    base_url: str
    query: Sequence[tuple[str, str]] = ()
    content_type: str | None = None
    body: bytes = b""


def request_pairs(request: HttpRequest) -> list[tuple[str, str]]:
    """The (name, value) pairs of a GET's query string or a POST's form body (§3.1.1.2).

    >>> request_pairs(HttpRequest("POST", "", (), FORM, b"verb=Identify"))
    [('verb', 'Identify')]
    """
    if request.method != "POST":
        return list(request.query)
    media = (request.content_type or "").split(";")[0].strip().lower()
    if media != FORM:
        raise OaiError("badArgument", f"a POST request must be {FORM}, not {media or 'empty'}")
    try:
        text = request.body.decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    except (UnicodeDecodeError, ValueError) as error:
        raise OaiError("badArgument", f"the form body cannot be read: {error}") from error


def respond(
    repository: OaiRepository, request: HttpRequest, now: Callable[[], datetime] | None = None
) -> bytes:
    """The response document to one request (UTF-8 XML)."""
    moment = (now or (lambda: datetime.now(UTC)))()
    parsed: OaiRequest | None = None
    try:
        parsed = parse_request(request_pairs(request))
        body = _VERBS[parsed.verb](repository, parsed, request.base_url)
    except OaiError as error:
        echoed = parsed if error.code not in ("badVerb", "badArgument") else None
        body = f'<error code="{error.code}">{xml_text(error.message)}</error>'
        return _envelope(moment, request.base_url, echoed, body)
    return _envelope(moment, request.base_url, parsed, body)


def _envelope(moment: datetime, base_url: str, request: OaiRequest | None, body: str) -> bytes:
    attributes = ""
    if request is not None:
        pairs = [("verb", request.verb), *sorted(request.arguments.items())]
        attributes = "".join(f' {name}="{xml_text(value)}"' for name, value in pairs)
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<OAI-PMH xmlns="{OAI_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        f' xsi:schemaLocation="{OAI_NS} {OAI_SCHEMA}">\n'
        f"<responseDate>{moment.strftime('%Y-%m-%dT%H:%M:%SZ')}</responseDate>\n"
        f"<request{attributes}>{xml_text(base_url)}</request>\n"
        f"{body}\n"
        "</OAI-PMH>\n"
    )
    return text.encode("utf-8")


# -- the verbs ------------------------------------------------------------------------------------


def _identify(repository: OaiRepository, request: OaiRequest, base_url: str) -> str:
    settings = repository.settings
    return (
        "<Identify>"
        f"<repositoryName>{xml_text(settings.repository_name)}</repositoryName>"
        f"<baseURL>{xml_text(base_url)}</baseURL>"
        "<protocolVersion>2.0</protocolVersion>"
        f"<adminEmail>{xml_text(settings.admin_email)}</adminEmail>"
        f"<earliestDatestamp>{repository.earliest_datestamp}</earliestDatestamp>"
        "<deletedRecord>persistent</deletedRecord>"
        f"<granularity>{GRANULARITY}</granularity>"
        "</Identify>"
    )


def _list_metadata_formats(repository: OaiRepository, request: OaiRequest, base_url: str) -> str:
    identifier = request.get("identifier")
    if identifier is not None and repository.item(identifier) is None:
        raise OaiError("idDoesNotExist", f"no item {identifier!r} in this repository")
    formats = "".join(
        "<metadataFormat>"
        f"<metadataPrefix>{fmt.prefix}</metadataPrefix>"
        f"<schema>{fmt.schema}</schema>"
        f"<metadataNamespace>{fmt.namespace}</metadataNamespace>"
        "</metadataFormat>"
        for fmt in METADATA_FORMATS.values()
    )
    return f"<ListMetadataFormats>{formats}</ListMetadataFormats>"


def _list_sets(repository: OaiRepository, request: OaiRequest, base_url: str) -> str:
    if request.get("resumptionToken") is not None:
        raise OaiError("badResumptionToken", "the list of sets is never split")
    sets = "".join(
        f"<set><setSpec>{xml_text(spec)}</setSpec><setName>{xml_text(name)}</setName></set>"
        for spec, name in repository.sets()
    )
    return f"<ListSets>{sets}</ListSets>"


def _get_record(repository: OaiRepository, request: OaiRequest, base_url: str) -> str:
    identifier = request.arguments["identifier"]
    item = repository.item(identifier)
    if item is None:
        raise OaiError("idDoesNotExist", f"no item {identifier!r} in this repository")
    prefix = _metadata_prefix(request.arguments["metadataPrefix"])
    return f"<GetRecord>{_record(repository, item, prefix)}</GetRecord>"


def _list_identifiers(repository: OaiRepository, request: OaiRequest, base_url: str) -> str:
    return _list(repository, request, lambda item, prefix: _header(repository, item))


def _list_records(repository: OaiRepository, request: OaiRequest, base_url: str) -> str:
    return _list(repository, request, lambda item, prefix: _record(repository, item, prefix))


def _list(
    repository: OaiRepository, request: OaiRequest, render: Callable[[Item, str], str]
) -> str:
    """ListIdentifiers and ListRecords: a page of the selection, and where the next begins."""
    text = request.get("resumptionToken")
    if text is not None:
        token = ResumptionToken.decode(text)
        if token.verb != request.verb or token.metadata_prefix not in METADATA_FORMATS:
            raise OaiError("badResumptionToken", f"not a resumption token of {request.verb}")
        if token.fingerprint != repository.fingerprint:
            raise OaiError(
                "badResumptionToken",
                "the token is from another release of the repository: start the list again",
            )
        prefix, offset = token.metadata_prefix, token.offset
        dates = parse_date_range(token.start, token.end)
        set_spec = token.set_spec
    else:
        prefix = _metadata_prefix(request.arguments["metadataPrefix"])
        dates = parse_date_range(request.get("from"), request.get("until"))
        set_spec = request.get("set")
        if set_spec is not None:
            check_set_spec(set_spec)
        offset = 0
    selection = repository.select(dates, set_spec)
    if offset >= len(selection):
        if text is not None:
            raise OaiError("badResumptionToken", "the token points past the end of the list")
        why = "no such set" if set_spec and not repository.has_set(set_spec) else "no items"
        raise OaiError("noRecordsMatch", f"{why}: the selection is empty")
    page = selection[offset : offset + repository.settings.page_size]
    parts = [render(item, prefix) for item in page]
    following = offset + len(page)
    if following < len(selection) or offset > 0:
        token_text = ""
        if following < len(selection):
            token_text = ResumptionToken(
                request.verb,
                prefix,
                dates.start,
                dates.end,
                set_spec,
                following,
                repository.fingerprint,
            ).encode()
        parts.append(
            f'<resumptionToken completeListSize="{len(selection)}" cursor="{offset}">'
            f"{token_text}</resumptionToken>"
        )
    return f"<{request.verb}>{''.join(parts)}</{request.verb}>"


def _metadata_prefix(prefix: str) -> str:
    if prefix not in METADATA_FORMATS:
        known = ", ".join(METADATA_FORMATS)
        raise OaiError("cannotDisseminateFormat", f"{prefix!r} is not a format here ({known})")
    return prefix


def _header(repository: OaiRepository, item: Item) -> str:
    status = ' status="deleted"' if item.deleted else ""
    sets = "".join(f"<setSpec>{xml_text(spec)}</setSpec>" for spec in item.sets)
    return (
        f"<header{status}><identifier>{xml_text(repository.identifier(item))}</identifier>"
        f"<datestamp>{item.datestamp}</datestamp>{sets}</header>"
    )


def _record(repository: OaiRepository, item: Item, prefix: str) -> str:
    header = _header(repository, item)
    if item.deleted:
        return f"<record>{header}</record>"
    metadata = METADATA_FORMATS[prefix].render(repository.catalog, repository.iri(item))
    if metadata is None:
        raise RuntimeError(f"{item.ref} is in release.json but not in the dump")
    return f"<record>{header}<metadata>{metadata}</metadata></record>"


_VERBS: dict[str, Callable[[OaiRepository, OaiRequest, str], str]] = {
    "Identify": _identify,
    "ListMetadataFormats": _list_metadata_formats,
    "ListSets": _list_sets,
    "GetRecord": _get_record,
    "ListIdentifiers": _list_identifiers,
    "ListRecords": _list_records,
}
