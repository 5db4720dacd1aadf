"""Every SHACL shape has a conforming and a violating example (DESIGN.md §5, STYLE.md "Tests").

For each node shape and each SPARQL-based constraint in ``shapes/`` named ``shapes:<name>``:
``tests/shapes/<name>/ok.ttl`` conforms to all the shapes, and ``tests/shapes/<name>/bad.ttl``
does not, every result coming from that shape (the node shape or one of its property shapes) or,
for a SPARQL-based constraint, from that constraint. The examples are small graphs in the style of
docs/model.md.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from publisher.model.properties import CLAIM_PROPERTIES
from publisher.namespaces import SCHEMA
from publisher.validate import (
    SHAPES_NS,
    ValidationReport,
    load_shapes,
    render_report_text,
    validate_graph,
)

ROOT = Path(__file__).resolve().parent.parent
SHAPES_DIR = ROOT / "shapes"
EXAMPLES_DIR = Path(__file__).resolve().parent / "shapes"
ONTOLOGY = ROOT / "ontology" / "emigre.ttl"

EMIGRE = Namespace("https://w3id.org/emigre/ns#")
SHAPES = Namespace(SHAPES_NS)

#: Every class docs/model.md publishes; each must be the target of at least one shape.
PUBLISHED_CLASSES = (
    SCHEMA.Person,
    SCHEMA.MusicGroup,
    SCHEMA.Organization,
    EMIGRE.PersonGroup,
    SCHEMA.NewsMediaOrganization,
    SCHEMA.GovernmentOrganization,
    SCHEMA.PerformingArtsTheater,
    SCHEMA.Festival,
    SCHEMA.NGO,
    SCHEMA.Country,
    SCHEMA.City,
    SCHEMA.Place,
    SCHEMA.Book,
    SCHEMA.Movie,
    SCHEMA.MusicRecording,
    SCHEMA.CreativeWork,
    SCHEMA.NewsArticle,
    SCHEMA.WebPage,
    EMIGRE.EmigrationWave,
    SCHEMA.Occupation,
    EMIGRE.Emigration,
    EMIGRE.Persecution,
    EMIGRE.Claim,
    EMIGRE.Citation,
    SCHEMA.Quotation,
)

#: Constraint parameters a node shape can hold itself (beside sh:property and sh:sparql): a
#: shape holding one reports its own results, so it needs its own message.
DIRECT_PARAMETERS = (
    SH["and"],
    SH["class"],
    SH.closed,
    SH.datatype,
    SH.hasValue,
    SH["in"],
    SH.node,
    SH.nodeKind,
    SH["not"],
    SH["or"],
    SH.pattern,
    SH.xone,
)


@cache
def shapes_graph() -> Graph:
    """All of shapes/*.ttl, read once."""
    return load_shapes(SHAPES_DIR)


def shape_names() -> list[str]:
    """Local names of every node shape and every SPARQL-based constraint."""
    graph = shapes_graph()
    nodes = set(graph.subjects(RDF.type, SH.NodeShape)) | set(graph.objects(None, SH.sparql))
    return sorted(_local(node) for node in nodes if isinstance(node, URIRef))


def _local(node: Node) -> str:
    text = str(node)
    return text[len(SHAPES_NS) :] if text.startswith(SHAPES_NS) else text


def _validate_example(name: str, kind: str) -> ValidationReport:
    path = EXAMPLES_DIR / name / f"{kind}.ttl"
    assert path.is_file(), f"shape {name} has no example {path.relative_to(ROOT)}"
    return validate_graph(Graph().parse(path, format="turtle"), shapes_graph())


def _expected_origins(name: str) -> set[Node]:
    """Where the results of shape ``name`` may come from.

    Its property shapes, its SPARQL constraints, and the shape itself when it holds constraint
    parameters of its own; for a SPARQL constraint, the constraint alone.
    """
    graph = shapes_graph()
    shape = SHAPES[name]
    if (None, SH.sparql, shape) in graph:
        return {shape}
    origins: set[Node] = {*graph.objects(shape, SH.property), *graph.objects(shape, SH.sparql)}
    if any((shape, parameter, None) in graph for parameter in DIRECT_PARAMETERS):
        origins.add(shape)
    return origins


def _origins(report: ValidationReport) -> set[Node]:
    """The SPARQL constraint, or else the shape, that each result comes from."""
    graph = report.report_graph
    return {
        graph.value(result, SH.sourceConstraint)
        or graph.value(result, SH.sourceShape)
        or SH.nothing
        for result in graph.subjects(RDF.type, SH.ValidationResult)
    }


@pytest.mark.parametrize("name", shape_names())
def test_ok_example_conforms(name: str) -> None:
    report = _validate_example(name, "ok")
    assert report.conforms, render_report_text(report)
    assert report.results == ()


@pytest.mark.parametrize("name", shape_names())
def test_bad_example_violates_only_its_shape(name: str) -> None:
    report = _validate_example(name, "bad")
    assert not report.conforms
    strangers = sorted(_local(origin) for origin in _origins(report) - _expected_origins(name))
    assert strangers == [], render_report_text(report)
    assert {result.severity for result in report.results} == {"Violation"}


@pytest.mark.parametrize("name", shape_names())
def test_bad_example_breaks_every_constraint_of_its_shape(name: str) -> None:
    """Each property shape and SPARQL constraint of the shape fails at least once in bad.ttl."""
    report = _validate_example(name, "bad")
    unbroken = sorted(_local(origin) for origin in _expected_origins(name) - _origins(report))
    assert unbroken == [], render_report_text(report)


def test_every_shape_has_an_ok_and_a_bad_example() -> None:
    names = shape_names()
    missing = [
        f"{name}/{kind}.ttl"
        for name in names
        for kind in ("ok", "bad")
        if not (EXAMPLES_DIR / name / f"{kind}.ttl").is_file()
    ]
    stale = sorted(
        path.name for path in EXAMPLES_DIR.iterdir() if path.is_dir() and path.name not in names
    )
    assert missing == [], "shapes without examples in tests/shapes/"
    assert stale == [], "examples in tests/shapes/ for shapes that do not exist"


def test_every_shape_and_constraint_is_named() -> None:
    """Named shapes keep reports deterministic (no blank-node labels) and examples findable."""
    graph = shapes_graph()
    anonymous = sorted(
        f"{_local(subject)} {_local(predicate)}"
        for predicate in (SH.property, SH.sparql)
        for subject, value in graph.subject_objects(predicate)
        # shapes nested in an sh:or only decide the outcome of their named parent
        if isinstance(subject, URIRef)
        and not (isinstance(value, URIRef) and str(value).startswith(SHAPES_NS))
    )
    targeted = {
        subject
        for predicate in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
        for subject in graph.subjects(predicate, None)
    }
    anonymous += sorted(str(node) for node in targeted if not isinstance(node, URIRef))
    assert anonymous == []


def test_every_shape_has_a_message_and_a_severity() -> None:
    graph = shapes_graph()
    reporting = (
        set(graph.subjects(RDF.type, SH.PropertyShape))
        | set(graph.objects(None, SH.sparql))
        | {
            shape
            for shape in graph.subjects(RDF.type, SH.NodeShape)
            if any((shape, parameter, None) in graph for parameter in DIRECT_PARAMETERS)
        }
    )
    lacking = sorted(
        _local(shape)
        for shape in reporting
        if (shape, SH.message, None) not in graph or graph.value(shape, SH.severity) != SH.Violation
    )
    assert lacking == []


@pytest.mark.parametrize("cls", PUBLISHED_CLASSES, ids=str)
def test_every_published_class_is_targeted(cls: URIRef) -> None:
    assert (None, SH.targetClass, cls) in shapes_graph()


def _in_list(shape: URIRef) -> set[Node]:
    graph = shapes_graph()
    values = graph.value(shape, SH["in"])
    assert values is not None, f"{_local(shape)} has no sh:in"
    return set(Collection(graph, values))


@pytest.mark.parametrize(
    ("shape", "cls", "excluded"),
    [
        (SHAPES["EmigrationShape-circumstance"], EMIGRE.EmigrationCircumstance, set()),
        (SHAPES["PersecutionShape-persecutionType"], EMIGRE.PersecutionType, set()),
        (SHAPES["LinkStateShape-linkState"], EMIGRE.WikidataLinkState, set()),
        (SHAPES["DatePrecisionShape-datePrecision"], EMIGRE.DatePrecision, set()),
        (SHAPES["DatePrecisionShape-endDatePrecision"], EMIGRE.DatePrecision, set()),
        (SHAPES["ProvenanceShape-privacy"], EMIGRE.PrivacyLevel, {EMIGRE.Withheld}),
    ],
    ids=lambda value: _local(value) if isinstance(value, URIRef) else "",
)
def test_closed_sets_match_the_ontology(shape: URIRef, cls: URIRef, excluded: set[URIRef]) -> None:
    ontology = Graph().parse(ONTOLOGY, format="turtle")
    assert _in_list(shape) == set(ontology.subjects(RDF.type, cls)) - excluded


def test_claim_properties_match_the_claim_table() -> None:
    prefixes = {"schema": str(SCHEMA), "emigre": str(EMIGRE)}
    expected = set()
    for prop in CLAIM_PROPERTIES.values():
        prefix, _, local = prop.predicate.partition(":")
        expected.add(URIRef(prefixes[prefix] + local))
    assert _in_list(SHAPES["ClaimShape-claimProperty"]) == expected


def test_shapes_hold_no_rules() -> None:
    """validate_graph runs pySHACL in place; that is only safe while no shape writes triples."""
    assert (None, SH.rule, None) not in shapes_graph()


def test_shapes_conform_to_shacl_shacl() -> None:
    conforms, _graph, text = pyshacl.validate(
        Graph(), shacl_graph=shapes_graph(), meta_shacl=True, advanced=True, inference="none"
    )
    assert conforms, text


def test_validation_leaves_the_data_graph_unchanged() -> None:
    data = Graph().parse(EXAMPLES_DIR / "NameShape" / "bad.ttl", format="turtle")
    before = set(data)
    validate_graph(data, shapes_graph())
    assert set(data) == before
