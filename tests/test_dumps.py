"""The dumps in ``dist/``: read by independent parsers, equal as RDF, complete and reproducible.

Each RDF dump is parsed strictly by pyoxigraph and by raptor's ``rapper`` (Debian
raptor2-utils). The JSON-LD dump is turned into RDF by PyLD and by jsonld.js in safe mode
(``tests/js/canonize.mjs``), both with an offline document loader, and compared with the Turtle
dump as RDF. Graphs are compared with pyoxigraph, which (like RDF 1.1) holds ``"x"`` and
``"x"^^xsd:string`` to be one term; rdflib keeps them apart.
"""

from __future__ import annotations

import difflib
import gzip
import itertools
import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest
import yaml
from pyld import jsonld
from pyoxigraph import (
    BlankNode,
    CanonicalizationAlgorithm,
    Dataset,
    Literal,
    NamedNode,
    Quad,
    RdfFormat,
    parse,
)

from publisher import iris
from publisher.build import build_release
from publisher.config import DEFAULT_BASE_IRI, BuildSettings
from publisher.jsonld import jsonld_context

REPO_ROOT = Path(__file__).resolve().parent.parent
CANONIZE_JS = REPO_ROOT / "tests" / "js" / "canonize.mjs"
CONTEXT_URL = iris.context_url(DEFAULT_BASE_IRI)

SCHEMA = "http://schema.org/"
EMIGRE = "https://w3id.org/emigre/ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"

#: RDF dump -> (pyoxigraph's format, rapper's name of the syntax).
RDF_DUMPS: dict[str, tuple[RdfFormat, str]] = {
    "emigre.ttl": (RdfFormat.TURTLE, "turtle"),
    "emigre.nt": (RdfFormat.N_TRIPLES, "ntriples"),
    "emigre.rdf": (RdfFormat.RDF_XML, "rdfxml"),
}
DUMP_FILES = ("emigre.ttl", "emigre.nt", "emigre.jsonld", "emigre.rdf")
JSONLD_READERS = ("emigre.jsonld via PyLD", "emigre.jsonld via jsonld.js")

#: What the withheld claims and event of person/fictional-test-person say (values, excerpts)
#: and the slugs their nodes would have: none may appear in any output file.
WITHHELD_TEXTS = (
    "1901-02-03",
    "1930-04-05",
    "WITHHELD-SENTINEL-NOTE",
    "withheld birth date",
    "withheld note",
    "withheld residence",
    "withheld move",
)
WITHHELD_NODE_SLUGS = (
    "fictional-test-person-birth-date-withheld",
    "fictional-test-person-note-withheld",
    "fictional-test-person-residence-withheld",
    "fictional-test-person-hidden-move",
)

Graph = frozenset[Quad]


def entity(kind: str, slug: str) -> NamedNode:
    """The IRI of one of our nodes under the default base."""
    return NamedNode(iris.entity_iri(DEFAULT_BASE_IRI, kind, slug))


def require_program(name: str) -> str:
    """The path of an external program; fails (not skips) when missing, so CI cannot skip it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run `bash .ci/install`", pytrace=False)
    return path


def canonical(quads: Iterable[Quad]) -> Graph:
    """The quads as a set after canonicalization (blank node labels would not matter)."""
    dataset = Dataset(quads)
    dataset.canonicalize(CanonicalizationAlgorithm.UNSTABLE)
    return frozenset(dataset)


def assert_same_graph(actual: Graph, expected: Graph, actual_name: str, expected_name: str) -> None:
    """Fail with the quads one graph has and the other lacks, in N-Triples order."""
    missing = sorted(str(quad) for quad in expected - actual)
    extra = sorted(str(quad) for quad in actual - expected)
    if not missing and not extra:
        return
    limit = 40
    lines = [
        f"{actual_name} is not the graph of {expected_name}: "
        f"{len(missing)} quads missing (-), {len(extra)} extra (+)"
    ]
    lines += [f"- {quad}" for quad in missing[:limit]]
    lines += [f"+ {quad}" for quad in extra[:limit]]
    if len(missing) > limit or len(extra) > limit:
        lines.append(f"... (first {limit} of each shown)")
    raise AssertionError("\n".join(lines))


def objects(graph: Graph, subject: NamedNode, predicate: str) -> set[Any]:
    """The objects of ``subject predicate ?o`` in ``graph``."""
    return {
        quad.object
        for quad in graph
        if quad.subject == subject and quad.predicate == NamedNode(predicate)
    }


# -- readers: each turns one dump into quads --------------------------------------------------


def read_rdf_dump(path: Path) -> list[Quad]:
    """A dump parsed strictly: no base IRI (a relative IRI is an error), no named graphs."""
    fmt = RDF_DUMPS[path.name][0]
    return list(parse(path=path, format=fmt, lenient=False, without_named_graphs=True))


def offline_document_loader(context_file: Path) -> Callable[..., dict[str, Any]]:
    """A PyLD document loader that serves our context from a file and refuses any other URL."""
    context = json.loads(context_file.read_text(encoding="utf-8"))

    def load(url: str, options: object = None) -> dict[str, Any]:
        if url != CONTEXT_URL:
            raise ValueError(f"offline document loader refuses {url}")
        return {
            "contextUrl": None,
            "documentUrl": url,
            "document": context,
            "contentType": "application/ld+json",
        }

    return load


def pyld_nquads(document: Any, context_file: Path) -> str:
    """The document as N-Quads, expanded and converted by PyLD."""
    options = {
        "format": "application/n-quads",
        "documentLoader": offline_document_loader(context_file),
    }
    return str(jsonld.to_rdf(document, options))


def run_canonize_js(document: Path, context_file: Path) -> subprocess.CompletedProcess[str]:
    """``node tests/js/canonize.mjs DOCUMENT CONTEXT``: jsonld.js, safe mode, URDNA2015."""
    node = require_program("node")
    return subprocess.run(
        [node, str(CANONIZE_JS), str(document), str(context_file)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def read_nquads(text: str) -> list[Quad]:
    """N-Quads text parsed strictly."""
    return list(parse(text, RdfFormat.N_QUADS, lenient=False))


def read_with_pyld(dist: Path) -> list[Quad]:
    document = json.loads((dist / "emigre.jsonld").read_text(encoding="utf-8"))
    return read_nquads(pyld_nquads(document, dist / "context.jsonld"))


def read_with_jsonld_js(dist: Path) -> list[Quad]:
    result = run_canonize_js(dist / "emigre.jsonld", dist / "context.jsonld")
    assert result.returncode == 0, f"jsonld.js (safe mode) rejected emigre.jsonld:\n{result.stderr}"
    return read_nquads(result.stdout)


READERS: dict[str, Callable[[Path], list[Quad]]] = {
    **{name: lambda dist, name=name: read_rdf_dump(dist / name) for name in RDF_DUMPS},
    JSONLD_READERS[0]: read_with_pyld,
    JSONLD_READERS[1]: read_with_jsonld_js,
}


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nt_lines(built_dist: Path) -> list[str]:
    """The lines of ``emigre.nt`` (split on LF only, as ``wc -l`` counts them)."""
    data = (built_dist / "emigre.nt").read_bytes()
    assert data.endswith(b"\n"), "emigre.nt must end with a newline"
    return data[:-1].decode("utf-8").split("\n")


@pytest.fixture(scope="module")
def quads_of(built_dist: Path) -> Callable[[str], list[Quad]]:
    """``quads_of(reader)``: the quads one reader (see READERS) gets from the dump, cached."""
    cache: dict[str, list[Quad]] = {}

    def quads(reader: str) -> list[Quad]:
        if reader not in cache:
            cache[reader] = READERS[reader](built_dist)
        return cache[reader]

    return quads


@pytest.fixture(scope="module")
def turtle_graph(quads_of: Callable[[str], list[Quad]]) -> Graph:
    """The Turtle dump, canonicalized: the reference every other reading is compared with."""
    return canonical(quads_of("emigre.ttl"))


# -- every RDF dump, two parsers ---------------------------------------------------------------


@pytest.mark.parametrize("name", RDF_DUMPS)
def test_dump_parses_strictly_with_pyoxigraph_to_the_same_graph(
    name: str,
    quads_of: Callable[[str], list[Quad]],
    nt_lines: list[str],
    turtle_graph: Graph,
) -> None:
    quads = quads_of(name)
    assert len(quads) == len(nt_lines)
    assert_same_graph(canonical(quads), turtle_graph, name, "emigre.ttl")


@pytest.mark.parametrize("name", RDF_DUMPS)
def test_dump_parses_with_rapper(name: str, built_dist: Path, nt_lines: list[str]) -> None:
    rapper = require_program("rapper")
    syntax = RDF_DUMPS[name][1]
    result = subprocess.run(
        [rapper, "-i", syntax, "-c", str(built_dist / name)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr.lower(), result.stderr
    match = re.search(r"Parsing returned (\d+) triples", result.stderr)
    assert match, result.stderr
    assert int(match.group(1)) == len(nt_lines)


@pytest.mark.parametrize("name", DUMP_FILES)
def test_gzip_holds_the_same_bytes_with_a_reproducible_header(name: str, built_dist: Path) -> None:
    packed = (built_dist / f"{name}.gz").read_bytes()
    assert gzip.decompress(packed) == (built_dist / name).read_bytes()
    # RFC 1952 §2.3: FLG bit 3 is FNAME, bytes 4-7 are MTIME; neither may vary between builds.
    assert not packed[3] & 0x08, "the gzip header carries a file name"
    assert packed[4:8] == b"\0\0\0\0", "the gzip header carries a modification time"


def test_sha256sums_verify_and_cover_every_file(built_dist: Path) -> None:
    sha256sum = require_program("sha256sum")
    result = subprocess.run(
        [sha256sum, "--check", "--strict", "SHA256SUMS"],
        cwd=built_dist,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    listed = {
        line.split("  ", 1)[1]
        for line in (built_dist / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    }
    present = {path.name for path in built_dist.iterdir() if path.is_file()} - {"SHA256SUMS"}
    assert listed == present


def test_ntriples_is_sorted_with_one_triple_per_line(nt_lines: list[str]) -> None:
    # Code point order of the lines is byte order of their UTF-8, i.e. `LC_ALL=C sort`.
    unsorted = [(a, b) for a, b in itertools.pairwise(nt_lines) if a > b]
    assert not unsorted, f"emigre.nt is not sorted, e.g.:\n{unsorted[0][0]}\n{unsorted[0][1]}"
    assert len(set(nt_lines)) == len(nt_lines), "emigre.nt repeats a line"
    not_one = [line for line in nt_lines if len(read_nquads(line)) != 1]
    assert not not_one, f"lines that are not exactly one triple: {not_one[:5]}"


@pytest.mark.parametrize("reader", READERS)
def test_no_blank_nodes(reader: str, quads_of: Callable[[str], list[Quad]]) -> None:
    blank = [
        str(quad)
        for quad in quads_of(reader)
        if isinstance(quad.subject, BlankNode) or isinstance(quad.object, BlankNode)
    ]
    assert not blank, f"{reader} has blank nodes:\n" + "\n".join(blank[:20])


# -- JSON-LD: two processors, compared with the Turtle dump as RDF -----------------------------


@pytest.mark.parametrize("reader", JSONLD_READERS)
def test_jsonld_is_the_graph_of_the_turtle_dump(
    reader: str,
    quads_of: Callable[[str], list[Quad]],
    nt_lines: list[str],
    turtle_graph: Graph,
) -> None:
    quads = quads_of(reader)
    assert len(quads) == len(nt_lines)
    assert_same_graph(canonical(quads), turtle_graph, reader, "emigre.ttl")


def test_jsonld_refers_to_the_published_context(built_dist: Path) -> None:
    document = json.loads((built_dist / "emigre.jsonld").read_text(encoding="utf-8"))
    assert document["@context"] == CONTEXT_URL
    published = json.loads((built_dist / "context.jsonld").read_text(encoding="utf-8"))
    assert published == jsonld_context()


def test_jsonld_js_safe_mode_rejects_an_unmapped_term(built_dist: Path, tmp_path: Path) -> None:
    """Negative control: the jsonld.js check fails when the document has a term it would drop."""
    document = json.loads((built_dist / "emigre.jsonld").read_text(encoding="utf-8"))
    intact = tmp_path / "intact.jsonld"
    intact.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    document["@graph"][0]["unmappedTerm"] = "x"
    broken = tmp_path / "broken.jsonld"
    broken.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")

    assert run_canonize_js(intact, built_dist / "context.jsonld").returncode == 0
    result = run_canonize_js(broken, built_dist / "context.jsonld")
    assert result.returncode != 0, "safe mode accepted a term the context does not map"
    assert "unmappedTerm" in result.stderr
    assert result.stdout == ""


def test_document_loaders_refuse_other_urls(built_dist: Path, tmp_path: Path) -> None:
    document = {"@context": "https://example.org/context.jsonld", "@id": "https://example.org/x"}
    with pytest.raises(jsonld.JsonLdError):
        pyld_nquads(document, built_dist / "context.jsonld")
    path = tmp_path / "remote-context.jsonld"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = run_canonize_js(path, built_dist / "context.jsonld")
    assert result.returncode != 0
    assert "refuses https://example.org/context.jsonld" in result.stderr


def test_graph_comparison_reports_what_differs(turtle_graph: Graph) -> None:
    """Negative control for the comparison itself, and the one term equality it relies on."""
    lost = min(turtle_graph, key=str)
    with pytest.raises(AssertionError, match=re.escape(f"- {lost}")):
        assert_same_graph(turtle_graph - {lost}, turtle_graph, "damaged", "emigre.ttl")
    assert Literal("x") == Literal("x", datatype=NamedNode(f"{XSD}string"))


# -- what the fixture data set must and must not produce ---------------------------------------


def test_withheld_claims_appear_in_no_output(built_dist: Path, fixture_data_dir: Path) -> None:
    record_text = (fixture_data_dir / "people" / "fictional-test-person.yaml").read_text("utf-8")
    absent_from_fixture = [text for text in WITHHELD_TEXTS if text not in record_text]
    assert not absent_from_fixture, "the fixture no longer has these withheld values"
    leaks = []
    # Every file: the dumps, the descriptions and the static site's pages and documents.
    for path in sorted(p for p in built_dist.rglob("*") if p.is_file()):
        data = path.read_bytes()
        text = (gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8", "replace")
        leaks += [
            f"{path.relative_to(built_dist)}: {needle!r}"
            for needle in (*WITHHELD_TEXTS, *WITHHELD_NODE_SLUGS, f"{EMIGRE}Withheld")
            if needle in text
        ]
    assert not leaks, "withheld content published:\n" + "\n".join(leaks)


def test_withheld_claims_leave_no_triple(turtle_graph: Graph) -> None:
    person = entity("person", "fictional-test-person")
    assert objects(turtle_graph, person, f"{SCHEMA}homeLocation") == set()
    assert objects(turtle_graph, person, f"{SCHEMA}birthDate") == {
        Literal("1900", datatype=NamedNode(f"{XSD}gYear"))
    }
    public_claim = entity("claim", "fictional-test-person-birth-date-public")
    assert objects(turtle_graph, public_claim, f"{EMIGRE}conflictsWith") == set()
    emigrations = {
        quad.subject
        for quad in turtle_graph
        if quad.predicate == NamedNode(f"{EMIGRE}emigrant") and quad.object == person
    }
    assert emigrations == set()


def test_coarse_emigration_is_published_as_country_and_year(
    turtle_graph: Graph, fixture_data_dir: Path
) -> None:
    record = yaml.safe_load((fixture_data_dir / "people" / "smyslov.yaml").read_text("utf-8"))
    (recorded,) = record["emigrations"]
    assert (recorded["privacy"], recorded["date"]) == ("coarse", "2022-03")
    assert (recorded["from"], recorded["to"]) == ("place/moscow", ["place/tbilisi"])

    node = entity("emigration", "smyslov-2022")
    assert objects(turtle_graph, node, f"{EMIGRE}destination") == {entity("place", "georgia")}
    assert objects(turtle_graph, node, f"{EMIGRE}origin") == {entity("place", "russia")}
    assert objects(turtle_graph, node, f"{SCHEMA}startDate") == {
        Literal("2022", datatype=NamedNode(f"{XSD}gYear"))
    }
    assert objects(turtle_graph, node, f"{EMIGRE}datePrecision") == {
        NamedNode(f"{EMIGRE}YearPrecision")
    }
    assert objects(turtle_graph, node, f"{EMIGRE}privacy") == {NamedNode(f"{EMIGRE}Coarse")}


@pytest.mark.parametrize("reader", READERS)
def test_strings_that_stress_serializers_survive(
    reader: str, quads_of: Callable[[str], list[Quad]], fixture_data_dir: Path
) -> None:
    record = yaml.safe_load(
        (fixture_data_dir / "people" / "fictional-test-person.yaml").read_text("utf-8")
    )
    expected = {
        Literal(text, language=language)
        for field in ("description", "name")
        for language, text in record[field].items()
    }
    (note,) = (claim for claim in record["claims"] if claim["key"] == "identity-note")
    expected |= {Literal(text, language=language) for language, text in note["value"].items()}
    expected.add(Literal(note["cite"][0]["mentioned_as"]))
    assert "\n" in note["value"]["en"], "the fixture lost its newline"

    published = {quad.object for quad in quads_of(reader) if isinstance(quad.object, Literal)}
    assert not expected - published, f"{reader} lost or changed: {expected - published}"


# -- determinism -----------------------------------------------------------------------------


@pytest.mark.slow
def test_second_build_is_byte_identical(
    built_dist: Path,
    fixture_data_dir: Path,
    run_emigre: Callable[..., subprocess.CompletedProcess[str]],
    tmp_path: Path,
) -> None:
    """The CLI, with another worker count, rebuilds the library's ``dist/`` byte for byte."""
    out_dir = tmp_path / "dist"
    result = run_emigre(
        "build", "--data", fixture_data_dir, "--out", out_dir, "--no-cache", "--workers", "2"
    )
    assert result.returncode == 0, result.stderr

    def files(root: Path) -> set[str]:
        # site/nginx.conf names the absolute path it serves from: the one file that differs
        # between two output directories by design.
        return {
            path.relative_to(root).as_posix()
            for path in root.rglob("*")
            if path.is_file() and path.relative_to(root).as_posix() != "site/nginx.conf"
        }

    assert files(out_dir) == files(built_dist)
    differing = [
        name
        for name in sorted(files(built_dist))
        if (built_dist / name).read_bytes() != (out_dir / name).read_bytes()
    ]
    if differing:
        first = differing[0]
        diff = difflib.unified_diff(
            (built_dist / first).read_text("utf-8", errors="replace").splitlines(),
            (out_dir / first).read_text("utf-8", errors="replace").splitlines(),
            "first build",
            "second build",
            lineterm="",
        )
        details = "\n".join(list(diff)[:40])
        pytest.fail(f"files differ between builds: {differing}\n{first}:\n{details}")


def test_a_triple_two_claims_imply_is_written_once(fixture_data_dir: Path, tmp_path: Path) -> None:
    """Two claims of one value (cited for different dates) give one ``performer`` triple: the
    dump is a set, and its count is what a store holds (the real data has such a pair)."""
    data = tmp_path / "data"
    shutil.copytree(fixture_data_dir, data)
    work = data / "works" / "death-no-more.yaml"
    text = work.read_text(encoding="utf-8")
    claim = text[text.index("- key: performer-ic3peak") :]
    work.write_text(text + claim.replace("performer-ic3peak", "performer-ic3peak-again"), "utf-8")
    out = tmp_path / "dist"
    build_release(BuildSettings(data_dir=data, out_dir=out, cache_dir=None, workers=1))
    lines = (out / "emigre.nt").read_text("utf-8").splitlines()
    performer = [line for line in lines if "death-no-more> <http://schema.org/performer>" in line]
    assert len(performer) == 1
    assert len(set(lines)) == len(lines)
    store = pyoxigraph.Store()
    store.bulk_load(path=str(out / "emigre.nt"), format=pyoxigraph.RdfFormat.N_TRIPLES)
    statistics = json.loads((out / "stats.json").read_text("utf-8"))
    assert statistics["triples"] == len(store) == len(lines)
