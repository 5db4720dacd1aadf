"""The ontology (ontology/emigre.ttl) and the vocabulary generated from it (publisher/vocab.py)."""

from __future__ import annotations

import csv
import difflib
import doctest
import re
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD, Namespace

from publisher import vocabgen
from publisher.namespaces import EMIGRE_NS
from publisher.vocab import EMIGRE, ONTOLOGY_VERSION
from publisher.vocabgen import (
    DEFAULT_ONTOLOGY_PATH,
    DEFAULT_VOCAB_PATH,
    VocabError,
    render_vocab_module,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_PATH = REPO_ROOT / "ontology" / "emigre.ttl"
VOCAB_PATH = REPO_ROOT / "publisher" / "vocab.py"
WIKIDATA_TABLE = REPO_ROOT / "reference" / "wikidata-ids.tsv"
DOCS = [REPO_ROOT / "docs" / "model.md", REPO_ROOT / "docs" / "data-format.md"]

ONTOLOGY_IRI = URIRef("https://w3id.org/emigre/ns")
SCHEMA = Namespace("http://schema.org/")
DCTERMS = Namespace("http://purl.org/dc/terms/")
VANN = Namespace("http://purl.org/vocab/vann/")
CC0 = URIRef("https://creativecommons.org/publicdomain/zero/1.0/")
WIKIDATA_IRI = re.compile(r"https?://(?:www\.)?wikidata\.org/")
WIKIDATA_ID = re.compile(r"[PQ][1-9][0-9]*")
PROPERTY_TYPES = {RDF.Property, OWL.ObjectProperty, OWL.DatatypeProperty}


@pytest.fixture(scope="module")
def ontology() -> Graph:
    """The ontology parsed with rdflib (read-only)."""
    graph = Graph()
    graph.parse(ONTOLOGY_PATH, format="turtle")
    return graph


def emigre_terms(graph: Graph) -> set[URIRef]:
    """Every typed subject in the emigre: namespace."""
    return {
        s
        for s in graph.subjects(RDF.type, None)
        if isinstance(s, URIRef) and str(s).startswith(EMIGRE_NS)
    }


def languages(graph: Graph, subject: URIRef, predicate: URIRef) -> list[str]:
    """The sorted language tags of the literals ``subject predicate ?o``."""
    return sorted(
        str(o.language) for o in graph.objects(subject, predicate) if isinstance(o, Literal)
    )


def properties(graph: Graph) -> set[URIRef]:
    return {t for t in emigre_terms(graph) if set(graph.objects(t, RDF.type)) & PROPERTY_TYPES}


def test_default_paths_point_at_the_repository() -> None:
    assert DEFAULT_ONTOLOGY_PATH == ONTOLOGY_PATH
    assert DEFAULT_VOCAB_PATH == VOCAB_PATH


def test_vocab_module_is_generated_from_the_ontology() -> None:
    expected = render_vocab_module(ONTOLOGY_PATH)
    actual = VOCAB_PATH.read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(
            actual.splitlines(keepends=True),
            expected.splitlines(keepends=True),
            "publisher/vocab.py",
            "render_vocab_module(ontology/emigre.ttl)",
        )
    )
    assert actual == expected, (
        f"publisher/vocab.py is stale; run `python3 -m publisher.vocabgen`:\n{diff}"
    )


def test_rendering_is_deterministic() -> None:
    assert render_vocab_module(ONTOLOGY_PATH) == render_vocab_module(ONTOLOGY_PATH)


def test_ontology_parses_strictly_with_pyoxigraph_to_the_same_graph(ontology: Graph) -> None:
    triples = list(
        pyoxigraph.parse(path=ONTOLOGY_PATH, format=pyoxigraph.RdfFormat.TURTLE, lenient=False)
    )
    ntriples = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES)
    assert ntriples is not None
    from_oxigraph = Graph().parse(data=ntriples, format="nt")
    assert isomorphic(from_oxigraph, ontology)


def test_ontology_has_no_blank_nodes(ontology: Graph) -> None:
    assert not [t for t in ontology if any(not isinstance(n, URIRef | Literal) for n in t)]


def test_ontology_header(ontology: Graph) -> None:
    assert set(ontology.subjects(RDF.type, OWL.Ontology)) == {ONTOLOGY_IRI}
    assert list(ontology.objects(ONTOLOGY_IRI, OWL.versionInfo)) == [Literal(ONTOLOGY_VERSION)]
    assert list(ontology.objects(ONTOLOGY_IRI, OWL.versionIRI)) == [
        URIRef(f"{ONTOLOGY_IRI}/{ONTOLOGY_VERSION}")
    ]
    assert list(ontology.objects(ONTOLOGY_IRI, DCTERMS.license)) == [CC0]
    assert list(ontology.objects(ONTOLOGY_IRI, VANN.preferredNamespacePrefix)) == [
        Literal("emigre")
    ]
    assert list(ontology.objects(ONTOLOGY_IRI, VANN.preferredNamespaceUri)) == [Literal(EMIGRE_NS)]
    for predicate in (DCTERMS.title, DCTERMS.description):
        assert languages(ontology, ONTOLOGY_IRI, predicate) == ["en", "ru"], predicate


def test_vocabulary_matches_the_terms_the_docs_use(ontology: Graph) -> None:
    """Every emigre: term in docs/ is defined, and every defined term is documented."""
    documented = {
        name for doc in DOCS for name in re.findall(r"emigre:([A-Za-z]+)", doc.read_text("utf-8"))
    }
    defined = {str(t)[len(EMIGRE_NS) :] for t in emigre_terms(ontology)}
    assert documented - defined == set(), "used in docs/ but not defined in the ontology"
    assert defined - documented == set(), "defined in the ontology but not documented in docs/"


def test_every_emigre_iri_in_the_ontology_is_a_defined_term(ontology: Graph) -> None:
    used = {
        node
        for triple in ontology
        for node in triple
        if isinstance(node, URIRef) and str(node).startswith(EMIGRE_NS)
    }
    assert used - emigre_terms(ontology) == set()


def test_every_term_has_one_english_and_one_russian_label_and_comment(ontology: Graph) -> None:
    problems = []
    for term in sorted(emigre_terms(ontology)):
        for predicate in (RDFS.label, RDFS.comment):
            found = languages(ontology, term, predicate)
            if found != ["en", "ru"]:
                problems.append(f"{term} {predicate}: languages {found}")
        if list(ontology.objects(term, RDFS.isDefinedBy)) != [ONTOLOGY_IRI]:
            problems.append(f"{term}: rdfs:isDefinedBy is not <{ONTOLOGY_IRI}>")
    assert problems == []


def test_every_property_has_one_domain_and_one_range(ontology: Graph) -> None:
    # One each: several rdfs:domain (or rdfs:range) statements mean the intersection of the classes.
    problems = [
        f"{prop}: {len(list(ontology.objects(prop, predicate)))} x {predicate}"
        for prop in sorted(properties(ontology))
        for predicate in (RDFS.domain, RDFS.range)
        if len(list(ontology.objects(prop, predicate))) != 1
    ]
    assert problems == []
    assert len(properties(ontology)) > 20


def test_datatype_properties_range_over_datatypes(ontology: Graph) -> None:
    datatypes = {RDF.langString, XSD.string, XSD.boolean}
    for prop in ontology.subjects(RDF.type, OWL.DatatypeProperty):
        assert set(ontology.objects(prop, RDFS.range)) <= datatypes, prop


def test_individuals_are_typed_with_a_defined_class(ontology: Graph) -> None:
    classes = set(ontology.subjects(RDF.type, OWL.Class))
    individuals = set(ontology.subjects(RDF.type, OWL.NamedIndividual))
    assert individuals
    for individual in individuals:
        types = set(ontology.objects(individual, RDF.type)) - {OWL.NamedIndividual}
        assert len(types) == 1 and types <= classes, individual


def reference_wikidata_ids(statuses: set[str]) -> set[str]:
    """The Wikidata IDs of reference/wikidata-ids.tsv rows with one of ``statuses``."""
    with WIKIDATA_TABLE.open(encoding="utf-8", newline="") as table:
        rows = list(csv.DictReader(table, delimiter="\t"))
    assert rows and "wikidata_id" in rows[0] and "status" in rows[0]
    return {
        wikidata_id
        for row in rows
        if row["status"] in statuses
        for wikidata_id in WIKIDATA_ID.findall(row["wikidata_id"])
    }


def test_every_wikidata_iri_is_in_the_reference_table(ontology: Graph) -> None:
    allowed = reference_wikidata_ids({"verified", "single-source"})
    wikidata_iris = {
        node
        for triple in ontology
        for node in triple
        if isinstance(node, URIRef) and WIKIDATA_IRI.match(str(node))
    }
    assert wikidata_iris, "expected some skos:closeMatch links to Wikidata"
    for iri in sorted(wikidata_iris):
        match = re.fullmatch(r"http://www\.wikidata\.org/prop/direct/(P[1-9][0-9]*)", str(iri))
        assert match, f"{iri}: only http://www.wikidata.org/prop/direct/P... is expected"
        assert match.group(1) in allowed, f"{iri}: not verified or single-source in the table"


def test_wikidata_links_are_close_matches_of_properties(ontology: Graph) -> None:
    for subject, obj in ontology.subject_objects(SKOS.closeMatch):
        assert subject in properties(ontology), subject
        assert WIKIDATA_IRI.match(str(obj)), obj


def test_vocabulary_has_every_term_and_nothing_else(ontology: Graph) -> None:
    assert {EMIGRE[str(t)[len(EMIGRE_NS) :]] for t in emigre_terms(ontology)} == set(dir(EMIGRE))
    assert EMIGRE.Emigration == URIRef(f"{EMIGRE_NS}Emigration")
    assert EMIGRE.Fled in ontology.subjects(RDF.type, OWL.NamedIndividual)


def test_misspelt_term_raises() -> None:
    with pytest.raises(AttributeError, match="Emigratoin"):
        _ = EMIGRE.Emigratoin
    with pytest.raises(AttributeError, match="emigrants"):
        _ = EMIGRE["emigrants"]


def test_schema_alignments(ontology: Graph) -> None:
    assert (EMIGRE.Emigration, RDFS.subClassOf, SCHEMA.Event) in ontology
    assert (EMIGRE.Persecution, RDFS.subClassOf, SCHEMA.Event) in ontology
    assert (EMIGRE.Citation, RDFS.subClassOf, SCHEMA.CreativeWork) in ontology
    assert (EMIGRE.excerpt, RDFS.subPropertyOf, SCHEMA.text) in ontology
    assert (EMIGRE.citedSource, RDFS.subPropertyOf, SCHEMA.isBasedOn) in ontology
    assert (EMIGRE.destination, RDFS.subPropertyOf, SCHEMA.location) in ontology


MISSING_LABEL = """\
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/emigre/ns> a owl:Ontology ; owl:versionInfo "0.1.0" .
<https://w3id.org/emigre/ns#Emigration> a owl:Class ; rdfs:label "emigration"@ru .
"""


def test_render_names_the_term_without_an_english_label(tmp_path: Path) -> None:
    path = tmp_path / "emigre.ttl"
    path.write_text(MISSING_LABEL, encoding="utf-8")
    with pytest.raises(VocabError, match=r"emigre\.ttl: term <.*#Emigration>: .*English"):
        render_vocab_module(path)


def test_vocabgen_doctests() -> None:
    assert doctest.testmod(vocabgen).failed == 0
