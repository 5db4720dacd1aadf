"""Validation of OAI-PMH responses against the protocol's XML schema, for the OAI tests.

Responses with ``oai_dc`` metadata (and those with no metadata) are validated in one pass
against ``OAI-PMH.xsd`` as published, whose payload wildcards are ``processContents="strict"``,
together with an ``oai_dc`` structure schema (``tests/fixtures/oai-pmh/``). Responses with
``rdf`` metadata are validated against a copy of the envelope whose wildcards are ``lax``, and
their ``rdf:RDF`` payloads are parsed as RDF/XML by the caller, as the schema's README says
(../shared/specs/oai-pmh/README.md).
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from lxml import etree

SCHEMAS = Path(__file__).resolve().parent / "fixtures" / "oai-pmh"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"
DC = "{http://purl.org/dc/elements/1.1/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"


@functools.cache
def strict_schema() -> etree.XMLSchema:
    """The envelope as published, with the oai_dc payload schema."""
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "oai-pmh-with-oai_dc.xsd")))


@functools.cache
def lax_schema() -> etree.XMLSchema:
    """The envelope with lax wildcards (for RDF/XML payloads, which have no schema)."""
    text = (SCHEMAS / "OAI-PMH.xsd").read_text("utf-8")
    assert text.count('processContents="strict"') == 3, "the wildcards of the schema changed"
    lax = text.replace('processContents="strict"', 'processContents="lax"')
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "OAI-PMH-lax.xsd"
        path.write_text(lax, "utf-8")
        return etree.XMLSchema(etree.parse(str(path)))


def validate(body: bytes) -> etree._Element:
    """Parse a response and validate it; fails the test with the schema's message. Returns the
    root element."""
    root = etree.fromstring(body)
    has_rdf = root.find(f".//{OAI}metadata/{RDF}RDF") is not None
    schema = lax_schema() if has_rdf else strict_schema()
    if not schema.validate(root):
        raise AssertionError(f"not a valid OAI-PMH response: {schema.error_log}\n{body[:2000]!r}")
    return root


def error_code(root: etree._Element) -> str | None:
    """The code of the response's (first) error, or None."""
    error = root.find(f"{OAI}error")
    return None if error is None else error.get("code")
