"""Resumption tokens that hold their whole query: no state on the server, valid across restarts.

A token is the query (verb, metadataPrefix, from, until, set), the offset of the next page and
the fingerprint of the release it was issued for, as URL-safe base64 of compact JSON. Any
server process serving the same release continues the list from it, whatever its page size;
a token from another release (its records and datestamps may differ, so offsets would skip or
repeat records) is ``badResumptionToken``, and the harvester starts the list again (OAI-PMH
§3.5).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from publisher.oai.protocol import OaiError

_VERSION = 1


@dataclass(frozen=True)
class ResumptionToken:
    """Where a list continues."""

    verb: str
    metadata_prefix: str
    start: str | None
    end: str | None
    set_spec: str | None
    offset: int
    fingerprint: str

    def encode(self) -> str:
        """The token's text (characters a URL carries unescaped).

        >>> token = ResumptionToken("ListRecords", "oai_dc", None, None, "kind:person", 100, "ab")
        >>> ResumptionToken.decode(token.encode()) == token
        True
        """
        fields = [
            _VERSION,
            self.verb,
            self.metadata_prefix,
            self.start,
            self.end,
            self.set_spec,
            self.offset,
            self.fingerprint,
        ]
        text = json.dumps(fields, separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, text: str) -> ResumptionToken:
        """A token's fields, or ``badResumptionToken`` when the text is not a token of ours."""
        try:
            padded = text + "=" * (-len(text) % 4)
            fields = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
            version, verb, prefix, start, end, set_spec, offset, fingerprint = fields
            optional = (start, end, set_spec)
            if (
                version != _VERSION
                or not all(isinstance(v, str) for v in (verb, prefix, fingerprint))
                or not all(v is None or isinstance(v, str) for v in optional)
                or type(offset) is not int
                or offset <= 0
            ):
                raise ValueError("unexpected fields")
        except (ValueError, TypeError, UnicodeError, binascii.Error) as error:
            raise OaiError("badResumptionToken", "not a resumption token of this server") from error
        return cls(verb, prefix, start, end, set_spec, offset, fingerprint)
