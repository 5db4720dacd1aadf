"""Validate the published graph against the SHACL shapes in ``shapes/`` (DESIGN.md §5).

Validation returns a report, whether or not the graph conforms; only a failure to run (unreadable
shapes, an error inside the SHACL engine) raises ``ValidationRunError``, as pySHACL does. The report
is data (focus node, path, message, severity, source shape, value) and renders as a readable table
or as Turtle.

Validation is fast because it runs without inference and without cloning the data graph. A large
graph can still be validated per chunk: the shapes check references by IRI only, never by the class
of the node referred to, so the caller may split the graph by entity (an entity with its events,
claims, citations and quotations) and validate each part on its own, then merge the results.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyshacl
from pyshacl.errors import ReportableRuntimeError
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from publisher.errors import EmigreError
from publisher.namespaces import PREFIXES

#: The namespace of the shape IRIs (``shapes/*.ttl``).
SHAPES_NS = "https://w3id.org/emigre/shapes#"

#: Prefixes of the rendered reports: the published prefixes, SHACL's and our shapes'.
REPORT_PREFIXES: dict[str, str] = {**PREFIXES, "sh": str(SH), "shapes": SHAPES_NS}

#: Severities, most severe first: the order of the report.
SEVERITIES: tuple[str, ...] = ("Violation", "Warning", "Info")

_LOCAL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_TYPED_LITERAL = re.compile(r"\^\^<([^>]*)>$")
_BRACKETED_IRI = re.compile(r"<([^>]*)>")


class ValidationRunError(EmigreError):
    """Validation could not run: the shapes are missing or unreadable, or the engine failed."""

    exit_code = 3


@dataclass(frozen=True)
class ValidationResult:
    """One SHACL validation result, as plain text.

    IRIs are given in full, blank nodes as ``_:label`` and literal values in N-Triples form
    (``"2022"^^<http://www.w3.org/2001/XMLSchema#gYear>``). ``severity`` is the local name of the
    SHACL severity: ``Violation``, ``Warning`` or ``Info``.
    """

    focus_node: str
    path: str | None
    message: str
    severity: str
    source_shape: str
    value: str | None

    def sort_key(self) -> tuple[int, str, str, str, str, str]:
        """The report order: severity (most severe first), focus node, path, message, shape."""
        rank = SEVERITIES.index(self.severity) if self.severity in SEVERITIES else len(SEVERITIES)
        return (
            rank,
            self.focus_node,
            self.path or "",
            self.message,
            self.source_shape,
            self.value or "",
        )


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of one validation: whether the graph conforms, and every result, sorted."""

    conforms: bool
    results: tuple[ValidationResult, ...]
    report_graph: Graph


def load_shapes(shapes_dir: Path) -> Graph:
    """Read every ``*.ttl`` file of ``shapes_dir`` (in name order) into one shapes graph.

    Raises ``ValidationRunError`` naming the file when one cannot be parsed, and when the
    directory holds no shapes at all (validating against nothing would always conform).
    """
    files = sorted(shapes_dir.glob("*.ttl")) if shapes_dir.is_dir() else []
    if not files:
        raise ValidationRunError(f"{shapes_dir}: no SHACL shapes (*.ttl) found")
    shapes = Graph()
    for path in files:
        try:
            shapes.parse(path, format="turtle")
        except Exception as error:  # rdflib raises parser-specific exception types
            raise ValidationRunError(f"{path}: cannot read the shapes: {error}") from error
    return shapes


def validate_graph(data: Graph, shapes: Graph) -> ValidationReport:
    """Validate ``data`` against ``shapes``; return the report, sorted deterministically.

    Only a failure to run raises (``ValidationRunError``). For a large graph, call this once per
    chunk (the caller may split the graph by entity, see the module docstring).
    """
    try:
        conforms, report_graph, _text = pyshacl.validate(
            data,
            shacl_graph=shapes,
            # No ontology mixed in and no RDFS/OWL inference: the shapes list every class they
            # target, and inference would clone and grow the data graph (slow on large graphs).
            ont_graph=None,
            inference="none",
            # SHACL Advanced Features: the SPARQL-based targets of NoBlankNodeShape and
            # DateOrderShape need them (SPARQL-based constraints run either way).
            advanced=True,
            # Advanced mode otherwise clones the data graph in case SHACL rules write to it.
            # The shapes hold no sh:rule (tests/test_shapes.py checks it), so nothing writes.
            inplace=True,
            # Report every result, not just the first.
            abort_on_first=False,
            # sh:Warning and sh:Info results are reported but do not make the graph fail.
            allow_warnings=True,
            allow_infos=True,
            # The shapes are checked against SHACL-SHACL by the tests, not on every run.
            meta_shacl=False,
            js=False,
            debug=False,
        )
    except ReportableRuntimeError as error:
        raise ValidationRunError(f"SHACL validation could not run: {error}") from error
    except Exception as error:  # a bad SPARQL query in a shape surfaces as a parser exception
        raise ValidationRunError(f"SHACL validation could not run: {error!r}") from error
    return _report(bool(conforms), report_graph)


def _report(conforms: bool, report_graph: object) -> ValidationReport:
    if not isinstance(report_graph, Graph):
        raise ValidationRunError("SHACL validation returned no report graph")
    results = sorted(
        (
            _result(report_graph, node)
            for node in report_graph.subjects(RDF.type, SH.ValidationResult)
        ),
        key=ValidationResult.sort_key,
    )
    return ValidationReport(conforms=conforms, results=tuple(results), report_graph=report_graph)


#: SHACL engines. ``pyshacl`` is the reference; ``turbo`` (PyPI ``pyshacl-turbo``, a Rust engine
#: behind pySHACL's API) gives the same results (tests/test_validate.py compares them on every
#: shape example and on the real data) about 100 times faster, for large builds.
ENGINES: tuple[str, ...] = ("pyshacl", "turbo")


def turbo_available() -> bool:
    """Whether the optional Rust engine is installed (``pip install 'emigre[fast]'``)."""
    try:
        import pyshacl_turbo  # noqa: F401
    except ImportError:
        return False
    return True


_compiled: dict[int, object] = {}


def validate_ntriples(ntriples: str, shapes: Graph, engine: str = "pyshacl") -> ValidationReport:
    """Validate a graph given as N-Triples text with the chosen engine (see ``ENGINES``).

    Text is what worker processes receive, and the Rust engine reads it without building an
    rdflib graph first.
    """
    if engine == "pyshacl":
        data = Graph()
        data.parse(data=ntriples, format="nt")
        return validate_graph(data, shapes)
    if engine != "turbo":
        raise ValidationRunError(f"unknown SHACL engine {engine!r}: use one of {ENGINES}")
    try:
        import pyshacl_turbo
        from pyshacl_turbo.rdf import Input
    except ImportError as error:
        raise ValidationRunError(
            "the turbo SHACL engine needs pyshacl-turbo: pip install 'emigre[fast]'"
        ) from error
    compiled = _compiled.get(id(shapes))
    try:
        if compiled is None:
            # Same options as validate_graph: SHACL-AF for the SPARQL-based targets.
            compiled = _compiled[id(shapes)] = pyshacl_turbo.compile_shapes(  # type: ignore[no-untyped-call]
                shapes, advanced=True
            )
        conforms, report_graph, _text = compiled.validate(  # type: ignore[attr-defined]
            Input(ntriples, "nt", None, {}),
            inference="none",
            abort_on_first=False,
            allow_warnings=True,
            allow_infos=True,
        )
    except Exception as error:  # the engine reports failures to run as runtime errors
        raise ValidationRunError(f"SHACL validation (turbo) could not run: {error!r}") from error
    return _report(bool(conforms), report_graph)


def render_report_text(report: ValidationReport) -> str:
    """The report as a table (severity, focus node, path, message) and a summary line.

    >>> print(render_report_text(ValidationReport(True, (), Graph())), end="")
    0 results: the graph conforms.
    """
    lines: list[str] = []
    if report.results:
        header = ("severity", "focus node", "path", "message")
        rows = [header, *(_row(result) for result in report.results)]
        widths = [max(len(row[column]) for row in rows) for column in range(len(header) - 1)]
        rule = (*("-" * width for width in widths), "-" * len(header[-1]))
        for row in (rows[0], rule, *rows[1:]):
            cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
            lines.append("  ".join([*cells, row[-1]]).rstrip())
        lines.append("")
    lines.append(_summary(report))
    return "\n".join(lines) + "\n"


def render_report_turtle(report: ValidationReport) -> str:
    """The SHACL report graph as Turtle, byte-stable for the same results.

    The report's own nodes are blank nodes, so the graph is canonicalized (rdflib.compare) before
    it is written: the same results always give the same labels, and the writer sorts the rest.
    """
    canonical = Graph()
    for prefix, namespace in REPORT_PREFIXES.items():
        canonical.bind(prefix, namespace, override=True, replace=True)
    for triple in to_canonical_graph(report.report_graph):
        canonical.add(triple)
    return canonical.serialize(format="turtle")


def _result(graph: Graph, node: Node) -> ValidationResult:
    focus = graph.value(node, SH.focusNode)
    path = graph.value(node, SH.resultPath)
    value = graph.value(node, SH.value)
    severity = graph.value(node, SH.resultSeverity)
    shape = graph.value(node, SH.sourceShape)
    messages = sorted(str(message) for message in graph.objects(node, SH.resultMessage))
    component = graph.value(node, SH.sourceConstraintComponent)
    return ValidationResult(
        focus_node=_term_text(focus),
        path=None if path is None else _path_text(graph, path),
        message="; ".join(messages) or f"constraint {_term_text(component)} failed",
        severity=_local_name(severity) if isinstance(severity, URIRef) else _term_text(severity),
        source_shape=_term_text(shape),
        value=None if value is None else _term_text(value),
    )


def _term_text(term: Node | None) -> str:
    """A term as plain text: an IRI in full, a blank node as ``_:label``, a literal as N-Triples.

    >>> _term_text(Literal("2022", datatype=URIRef("http://www.w3.org/2001/XMLSchema#gYear")))
    '"2022"^^<http://www.w3.org/2001/XMLSchema#gYear>'
    """
    if isinstance(term, Literal):
        return term.n3()
    if isinstance(term, BNode):
        return f"_:{term}"
    return "" if term is None else str(term)


def _path_text(graph: Graph, path: Node) -> str:
    """A SHACL property path: an IRI path as the IRI, any other in SPARQL syntax.

    >>> from rdflib.collection import Collection
    >>> graph, steps = Graph(), [URIRef("http://schema.org/knows"), URIRef("http://schema.org/name")]
    >>> _path_text(graph, Collection(graph, BNode(), steps).uri)
    '<http://schema.org/knows>/<http://schema.org/name>'
    """
    if isinstance(path, BNode):
        return _path_step(graph, path)
    return _term_text(path)


def _path_step(graph: Graph, path: Node) -> str:
    if not isinstance(path, BNode):
        return f"<{path}>" if isinstance(path, URIRef) else _term_text(path)
    if (path, RDF.first, None) in graph:
        return "/".join(_path_step(graph, step) for step in graph.items(path))
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(_path_step(graph, step) for step in graph.items(alternatives)) + ")"
    for predicate, text in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "({})*"),
        (SH.oneOrMorePath, "({})+"),
        (SH.zeroOrOnePath, "({})?"),
    ):
        inner = graph.value(path, predicate)
        if inner is not None:
            return text.format(_path_step(graph, inner))
    return _term_text(path)


def _local_name(iri: URIRef) -> str:
    """The part of an IRI after its last ``#`` or ``/``.

    >>> _local_name(URIRef("http://www.w3.org/ns/shacl#Violation"))
    'Violation'
    """
    return re.split(r"[#/]", str(iri))[-1]


def _compact(text: str) -> str:
    """Shorten IRIs with the report prefixes: a whole IRI, a path's ``<IRI>``s, a datatype.

    >>> _compact("http://schema.org/name")
    'schema:name'
    >>> _compact("<https://w3id.org/emigre/ns#conflictsWith>/<http://schema.org/name>")
    'emigre:conflictsWith/schema:name'
    >>> _compact('"2022"^^<http://www.w3.org/2001/XMLSchema#gYear>')
    '"2022"^^xsd:gYear'
    >>> _compact("https://w3id.org/emigre/id/person/ulitskaya")
    'https://w3id.org/emigre/id/person/ulitskaya'
    """
    if text.startswith('"'):
        typed = _TYPED_LITERAL.search(text)
        if typed is None:
            return text
        return text[: typed.start()] + "^^" + _compact_iri(typed.group(1))
    if text.startswith(("<", "^", "(")):
        return _BRACKETED_IRI.sub(lambda match: _compact_iri(match.group(1)), text)
    return _compact_iri(text, bracket=False)


def _compact_iri(iri: str, *, bracket: bool = True) -> str:
    for prefix, namespace in REPORT_PREFIXES.items():
        local = iri[len(namespace) :]
        if iri.startswith(namespace) and _LOCAL_NAME.fullmatch(local):
            return f"{prefix}:{local}"
    return f"<{iri}>" if bracket else iri


def _row(result: ValidationResult) -> tuple[str, str, str, str]:
    message = result.message
    if result.value is not None and result.value != result.focus_node:
        message = f"{message} (value: {_compact(result.value)})"
    path = "-" if result.path is None else _compact(result.path)
    return (result.severity, _compact(result.focus_node), path, message)


def _summary(report: ValidationReport) -> str:
    counts = Counter(result.severity for result in report.results)
    total = len(report.results)
    outcome = "the graph conforms" if report.conforms else "the graph does not conform"
    if not total:
        return f"0 results: {outcome}."
    details = ", ".join(_plural(counts[severity], severity.lower()) for severity in SEVERITIES)
    return f"{_plural(total, 'result')} ({details}): {outcome}."


def _plural(count: int, noun: str) -> str:
    """``count`` and ``noun``, plural unless there is exactly one.

    >>> _plural(1, "violation"), _plural(2, "info")
    ('1 violation', '2 infos')
    """
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
