"""Generate :mod:`publisher.vocab`, the closed Python vocabulary, from ``ontology/emigre.ttl``.

The ontology is the single source of the ``emigre:`` terms. This module turns it into an rdflib
``DefinedNamespace`` with ``_fail = True``, so that a misspelt term (``EMIGRE.Emigratoin``) raises
instead of silently minting a new IRI. ``tests/test_vocab.py`` fails when the checked-in module
drifts from the ontology; regenerate it with ``python3 -m publisher.vocabgen``.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from publisher.namespaces import EMIGRE_NS

__all__ = [
    "DEFAULT_ONTOLOGY_PATH",
    "DEFAULT_VOCAB_PATH",
    "Term",
    "TermKind",
    "VocabError",
    "main",
    "read_terms",
    "read_version",
    "render_vocab_module",
    "write_vocab_module",
]

_REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ONTOLOGY_PATH = _REPO_ROOT / "ontology" / "emigre.ttl"
DEFAULT_VOCAB_PATH = _REPO_ROOT / "publisher" / "vocab.py"

_HEADER = "# Generated from ontology/emigre.ttl by publisher.vocabgen; do not edit."
# Only plain release numbers, so the version can be written into Python source unescaped.
_VERSION_PATTERN = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")

_CLASS_TYPES = frozenset({OWL.Class, RDFS.Class})
_PROPERTY_TYPES = frozenset(
    {RDF.Property, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}
)
_INDIVIDUAL_TYPES = frozenset({OWL.NamedIndividual})


class VocabError(ValueError):
    """The ontology cannot be turned into a vocabulary module; the message names file and term."""


class TermKind(Enum):
    """What a term is; the generated module lists the kinds in this order."""

    CLASS = "Classes"
    PROPERTY = "Properties"
    INDIVIDUAL = "Individuals"


@dataclass(frozen=True, order=True)
class Term:
    """One ``emigre:`` term: its local name, its kind and its English label."""

    name: str
    kind: TermKind
    label: str


def read_version(graph: Graph, source: Path) -> str:
    """Return the ``owl:versionInfo`` of the one ``owl:Ontology`` in ``graph``."""
    ontologies = sorted(str(s) for s in graph.subjects(RDF.type, OWL.Ontology))
    if len(ontologies) != 1:
        raise VocabError(f"{source}: expected one owl:Ontology, found {len(ontologies)}")
    versions = sorted(str(v) for v in graph.objects(URIRef(ontologies[0]), OWL.versionInfo))
    if len(versions) != 1:
        raise VocabError(
            f"{source}: ontology <{ontologies[0]}>: expected one owl:versionInfo, "
            f"found {len(versions)}"
        )
    if not _VERSION_PATTERN.fullmatch(versions[0]):
        raise VocabError(
            f"{source}: ontology <{ontologies[0]}>: owl:versionInfo {versions[0]!r} "
            "is not of the form MAJOR.MINOR.PATCH"
        )
    return versions[0]


def read_terms(graph: Graph, source: Path) -> list[Term]:
    """Return every typed ``emigre:`` term of ``graph``, sorted by kind and then by name.

    A term is a subject in the ``emigre:`` namespace with an ``rdf:type``. Each must be exactly one
    of class, property or named individual, have a local name usable as a Python attribute and
    exactly one English ``rdfs:label``.
    """
    subjects = {
        s
        for s in graph.subjects(RDF.type, None)
        if isinstance(s, URIRef) and str(s).startswith(EMIGRE_NS)
    }
    terms = [_read_term(graph, source, iri) for iri in subjects]
    kind_order = list(TermKind)
    return sorted(terms, key=lambda t: (kind_order.index(t.kind), t.name))


def _read_term(graph: Graph, source: Path, iri: URIRef) -> Term:
    name = str(iri)[len(EMIGRE_NS) :]
    where = f"{source}: term <{iri}>"
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        raise VocabError(f"{where}: local name {name!r} is not a public Python identifier")
    types = set(graph.objects(iri, RDF.type))
    kinds = [
        kind
        for kind, kind_types in (
            (TermKind.CLASS, _CLASS_TYPES),
            (TermKind.PROPERTY, _PROPERTY_TYPES),
            (TermKind.INDIVIDUAL, _INDIVIDUAL_TYPES),
        )
        if types & kind_types
    ]
    if len(kinds) != 1:
        raise VocabError(
            f"{where}: must be exactly one of owl:Class, a property or owl:NamedIndividual"
        )
    labels = [
        label
        for label in graph.objects(iri, RDFS.label)
        if isinstance(label, Literal) and label.language == "en"
    ]
    if len(labels) != 1:
        raise VocabError(f"{where}: expected one English rdfs:label, found {len(labels)}")
    return Term(name=name, kind=kinds[0], label=_one_line(str(labels[0])))


def _one_line(text: str) -> str:
    """Collapse whitespace so that a label fits in a one-line comment.

    >>> _one_line("  emigration\\n wave ")
    'emigration wave'
    """
    return " ".join(text.split())


def _render_term(term: Term) -> str:
    """Render one class attribute of the namespace.

    >>> _render_term(Term("Emigration", TermKind.CLASS, "emigration"))
    '    Emigration: URIRef  # emigration'
    """
    return f"    {term.name}: URIRef  # {term.label}"


def render_vocab_module(ontology_path: Path) -> str:
    """Parse the ontology at ``ontology_path`` and return the source of ``publisher/vocab.py``.

    The output depends only on the ontology's triples: terms are grouped as classes, properties
    and individuals and sorted by name within each group. Raises :class:`VocabError` when the
    ontology lacks a version or a term lacks an English label or a usable name.
    """
    graph = Graph()
    graph.parse(ontology_path, format="turtle")
    version = read_version(graph, ontology_path)
    terms = read_terms(graph, ontology_path)
    if not terms:
        raise VocabError(f"{ontology_path}: no terms in {EMIGRE_NS}")

    lines = [
        _HEADER,
        f'"""The closed Émigré vocabulary <{EMIGRE_NS}>, version {version}.',
        "",
        "A misspelt term raises AttributeError instead of minting a new IRI.",
        '"""',
        "",
        "from rdflib.namespace import DefinedNamespace, Namespace",
        "from rdflib.term import URIRef",
        "",
        f'ONTOLOGY_VERSION: str = "{version}"',
        "",
        "",
        "class EMIGRE(DefinedNamespace):",
        '    """Classes, properties and individuals of the Émigré ontology."""',
        "",
        f'    _NS = Namespace("{EMIGRE_NS}")',
        "    _fail = True",
    ]
    for kind in TermKind:
        group = [term for term in terms if term.kind is kind]
        if group:
            lines += ["", f"    # {kind.value}"]
            lines += [_render_term(term) for term in group]
    return "\n".join(lines) + "\n"


def write_vocab_module(ontology_path: Path, out_path: Path) -> None:
    """Render the vocabulary module from ``ontology_path`` and write it to ``out_path``."""
    source = render_vocab_module(ontology_path)
    out_path.write_text(source, encoding="utf-8", newline="\n")


def main() -> int:
    """Regenerate ``publisher/vocab.py`` from ``ontology/emigre.ttl``; return the exit status."""
    write_vocab_module(DEFAULT_ONTOLOGY_PATH, DEFAULT_VOCAB_PATH)
    print(f"wrote {DEFAULT_VOCAB_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
