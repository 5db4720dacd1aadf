"""RDF namespaces and the prefixes we publish with. One table, used by every serializer."""

from __future__ import annotations

from rdflib import Namespace

SCHEMA = Namespace("http://schema.org/")
EMIGRE_NS = "https://w3id.org/emigre/ns#"
WD = Namespace("http://www.wikidata.org/entity/")
WDT = Namespace("http://www.wikidata.org/prop/direct/")
OWL_NS = "http://www.w3.org/2002/07/owl#"
XSD_NS = "http://www.w3.org/2001/XMLSchema#"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS_NS = "http://www.w3.org/2000/01/rdf-schema#"

#: Prefixes of the published dumps, in the order they are written.
PREFIXES: dict[str, str] = {
    "emigre": EMIGRE_NS,
    "owl": OWL_NS,
    "rdf": RDF_NS,
    "rdfs": RDFS_NS,
    "schema": str(SCHEMA),
    "wd": str(WD),
    "xsd": XSD_NS,
}

WIKIDATA_ENTITY = str(WD)
