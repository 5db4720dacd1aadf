"""OAI-PMH 2.0 data provider: every record of a release, in ``oai_dc`` and RDF/XML.

Framework-free: ``publisher.server.app`` hands :func:`respond` the request's method, query or
form body and base URL, and sends back the XML it returns. Modules: ``protocol`` (verbs,
arguments, errors), ``tokens`` (stateless resumption tokens), ``repository`` (items, datestamps,
sets, from ``release.json``), ``metadata`` (``oai_dc`` and ``rdf``), ``responses`` (the XML).
How to harvest: ``docs/harvesting.md``.
"""

from publisher.oai.repository import REPOSITORY_ID, OaiRepository, OaiSettings
from publisher.oai.responses import MEDIA_TYPE, HttpRequest, respond

__all__ = ["MEDIA_TYPE", "REPOSITORY_ID", "HttpRequest", "OaiRepository", "OaiSettings", "respond"]
