"""publisher.validate: the report as data, its rendering, and the errors it raises.

These tests use tiny shapes of their own; tests/test_shapes.py exercises the real shapes/.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from publisher.validate import (
    ValidationReport,
    ValidationResult,
    ValidationRunError,
    load_shapes,
    render_report_text,
    render_report_turtle,
    validate_graph,
)

ROOT = Path(__file__).resolve().parent.parent

PREFIXES = """\
@prefix emigre: <https://w3id.org/emigre/ns#> .
@prefix schema: <http://schema.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix shapes: <https://w3id.org/emigre/shapes#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

#: A person needs an @en name (a violation) and should have a birth date (a warning).
SHAPES = (
    PREFIXES
    + """
shapes:PersonShape a sh:NodeShape ;
    sh:targetClass schema:Person ;
    sh:property shapes:PersonShape-name, shapes:PersonShape-birthDate .

shapes:PersonShape-name a sh:PropertyShape ;
    sh:path schema:name ;
    sh:minCount 1 ;
    sh:languageIn ( "en" ) ;
    sh:message "schema:name needs an English value" .

shapes:PersonShape-birthDate a sh:PropertyShape ;
    sh:path schema:birthDate ;
    sh:minCount 1 ;
    sh:severity sh:Warning ;
    sh:message "schema:birthDate is missing" .

shapes:KnowsShape a sh:NodeShape ;
    sh:targetClass schema:Person ;
    sh:property shapes:KnowsShape-inverse .

shapes:KnowsShape-inverse a sh:PropertyShape ;
    sh:path ( schema:knows [ sh:inversePath schema:knows ] ) ;
    sh:maxCount 0 ;
    sh:message "nobody is known back" .
"""
)

DATA = (
    PREFIXES
    + """
<https://w3id.org/emigre/id/person/b> a schema:Person ;
    schema:name "Б"@ru ;
    schema:birthDate "1950"^^xsd:gYear .

<https://w3id.org/emigre/id/person/a> a schema:Person ;
    schema:name "A"@en .
"""
)

PERSON_A = "https://w3id.org/emigre/id/person/a"
PERSON_B = "https://w3id.org/emigre/id/person/b"
SHAPE = "https://w3id.org/emigre/shapes#"


@pytest.fixture(scope="module")
def shapes() -> Graph:
    """The tiny shapes graph above."""
    return Graph().parse(data=SHAPES, format="turtle")


@pytest.fixture
def report(shapes: Graph) -> ValidationReport:
    """DATA validated against the tiny shapes: one violation and one warning."""
    return validate_graph(Graph().parse(data=DATA, format="turtle"), shapes)


def test_results_are_data_sorted_by_severity_then_focus_node(report: ValidationReport) -> None:
    assert report.results == (
        ValidationResult(
            focus_node=PERSON_B,
            path="http://schema.org/name",
            message="schema:name needs an English value",
            severity="Violation",
            source_shape=f"{SHAPE}PersonShape-name",
            value='"Б"@ru',
        ),
        ValidationResult(
            focus_node=PERSON_A,
            path="http://schema.org/birthDate",
            message="schema:birthDate is missing",
            severity="Warning",
            source_shape=f"{SHAPE}PersonShape-birthDate",
            value=None,
        ),
    )
    assert not report.conforms


def test_warnings_alone_conform(shapes: Graph) -> None:
    data = Graph().parse(
        data=PREFIXES
        + '<https://w3id.org/emigre/id/person/a> a schema:Person ; schema:name "A"@en .',
        format="turtle",
    )
    report = validate_graph(data, shapes)
    assert report.conforms
    assert [result.severity for result in report.results] == ["Warning"]


def test_report_and_result_are_frozen(report: ValidationReport) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.conforms = True  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.results[0].message = "changed"  # type: ignore[misc]


def test_sort_key_orders_unknown_severities_last() -> None:
    def result(severity: str, focus: str) -> ValidationResult:
        return ValidationResult(focus, None, "m", severity, "s", None)

    results = [result("Custom", "a"), result("Info", "a"), result("Violation", "z")]
    results += [result("Warning", "b"), result("Violation", "a")]
    ordered = sorted(results, key=ValidationResult.sort_key)
    assert [(r.severity, r.focus_node) for r in ordered] == [
        ("Violation", "a"),
        ("Violation", "z"),
        ("Warning", "b"),
        ("Info", "a"),
        ("Custom", "a"),
    ]


def test_text_report_is_a_table_with_a_summary(report: ValidationReport) -> None:
    expected = (
        "severity   focus node                           path              message\n"
        "---------  -----------------------------------  ----------------  -------\n"
        "Violation  https://w3id.org/emigre/id/person/b  schema:name       "
        'schema:name needs an English value (value: "Б"@ru)\n'
        "Warning    https://w3id.org/emigre/id/person/a  schema:birthDate  "
        "schema:birthDate is missing\n"
        "\n"
        "2 results (1 violation, 1 warning, 0 infos): the graph does not conform.\n"
    )
    assert render_report_text(report) == expected


def test_text_report_of_a_conforming_graph() -> None:
    report = ValidationReport(conforms=True, results=(), report_graph=Graph())
    assert render_report_text(report) == "0 results: the graph conforms.\n"


def test_text_report_compacts_literal_datatypes() -> None:
    result = ValidationResult(
        focus_node=PERSON_A,
        path=None,
        message="bad date",
        severity="Violation",
        source_shape=f"{SHAPE}X",
        value='"1950"^^<http://www.w3.org/2001/XMLSchema#gYear>',
    )
    text = render_report_text(ValidationReport(False, (result,), Graph()))
    assert f'Violation  {PERSON_A}  -     bad date (value: "1950"^^xsd:gYear)' in text
    assert text.endswith(
        "1 result (1 violation, 0 warnings, 0 infos): the graph does not conform.\n"
    )


def test_complex_paths_render_in_sparql_syntax(shapes: Graph) -> None:
    data = Graph().parse(
        data=PREFIXES
        + f"""
        <{PERSON_A}> a schema:Person ; schema:name "A"@en ; schema:birthDate "1950"^^xsd:gYear ;
            schema:knows <{PERSON_B}> .
        <{PERSON_B}> a schema:Person ; schema:name "B"@en ; schema:birthDate "1950"^^xsd:gYear ;
            schema:knows <{PERSON_A}> .
        """,
        format="turtle",
    )
    paths = {result.path for result in validate_graph(data, shapes).results}
    assert paths == {"<http://schema.org/knows>/^<http://schema.org/knows>"}


def test_blank_nodes_are_reported_with_a_label(shapes: Graph) -> None:
    data = Graph().parse(
        data=PREFIXES + '[] a schema:Person ; schema:name "x"@de .', format="turtle"
    )
    violation = validate_graph(data, shapes).results[0]
    assert violation.focus_node.startswith("_:")


def test_turtle_report_is_stable_and_is_the_report_graph(shapes: Graph) -> None:
    first = validate_graph(Graph().parse(data=DATA, format="turtle"), shapes)
    second = validate_graph(Graph().parse(data=DATA, format="turtle"), shapes)
    text = render_report_turtle(first)
    assert text == render_report_turtle(second)
    assert isomorphic(Graph().parse(data=text, format="turtle"), first.report_graph)
    assert "@prefix shapes: <https://w3id.org/emigre/shapes#> ." in text


def test_turtle_report_is_the_same_in_another_process(report: ValidationReport) -> None:
    """Hash randomization must not reach the output (bnode labels, set order)."""
    script = textwrap.dedent(
        """
        import sys
        from rdflib import Graph
        from tests.test_validate import DATA, SHAPES
        from publisher.validate import render_report_turtle, validate_graph
        shapes = Graph().parse(data=SHAPES, format="turtle")
        data = Graph().parse(data=DATA, format="turtle")
        sys.stdout.write(render_report_turtle(validate_graph(data, shapes)))
        """
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert outputs == {render_report_turtle(report)}


def test_load_shapes_reads_every_turtle_file(tmp_path: Path) -> None:
    (tmp_path / "a.ttl").write_text(SHAPES, encoding="utf-8")
    (tmp_path / "b.ttl").write_text(
        PREFIXES + "shapes:Other a sh:NodeShape ; sh:targetClass schema:Place .", encoding="utf-8"
    )
    (tmp_path / "notes.txt").write_text("not a shape", encoding="utf-8")
    graph = load_shapes(tmp_path)
    assert isomorphic(
        graph,
        Graph()
        .parse(data=SHAPES, format="turtle")
        .parse(data=(tmp_path / "b.ttl").read_text(encoding="utf-8"), format="turtle"),
    )


def test_load_shapes_refuses_an_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(ValidationRunError, match="no SHACL shapes"):
        load_shapes(tmp_path)
    with pytest.raises(ValidationRunError, match="no SHACL shapes"):
        load_shapes(tmp_path / "missing")


def test_load_shapes_names_the_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "broken.ttl").write_text("shapes:X a sh:NodeShape", encoding="utf-8")
    with pytest.raises(ValidationRunError, match=r"broken\.ttl: cannot read the shapes"):
        load_shapes(tmp_path)


def test_a_failure_to_run_raises(shapes: Graph) -> None:
    broken = Graph().parse(
        data=PREFIXES
        + """
        shapes:Broken a sh:NodeShape ;
            sh:targetClass schema:Person ;
            sh:sparql [ sh:select "SELECT $this WHERE { this is not SPARQL }" ] .
        """,
        format="turtle",
    )
    with pytest.raises(ValidationRunError, match="could not run"):
        validate_graph(Graph().parse(data=DATA, format="turtle"), broken)


def test_project_shapes_load() -> None:
    assert len(load_shapes(ROOT / "shapes")) > 0


# -- the two engines agree ------------------------------------------------------------------------

_EXAMPLES = sorted((Path(__file__).parent / "shapes").glob("*/*.ttl"))


def _signature(report: ValidationReport) -> set[tuple[str, str | None, str, str]]:
    """What must match between engines (blank-node labels may differ, so they are masked)."""
    return {
        (
            "_:b" if r.focus_node.startswith("_:") else r.focus_node,
            r.path,
            r.source_shape,
            r.severity,
        )
        for r in report.results
    }


@pytest.mark.parametrize("example", _EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_turbo_engine_agrees_with_pyshacl(example: Path) -> None:
    from publisher.validate import load_shapes, validate_ntriples

    shapes = load_shapes(Path(__file__).parent.parent / "shapes")
    graph = Graph()
    graph.parse(example, format="turtle")
    text = graph.serialize(format="nt")
    reference = validate_ntriples(text, shapes, "pyshacl")
    fast = validate_ntriples(text, shapes, "turbo")
    assert fast.conforms == reference.conforms
    assert _signature(fast) == _signature(reference)
