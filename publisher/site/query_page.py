"""The SPARQL query page: an editor, the example queries, and results as a table.

Works without JavaScript: the form submits with GET, and a browser's query comes back as this
page with the answer in a table and links to download it in every format.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode

from publisher import iris
from publisher.site import pages
from publisher.site.context import PageContext

#: ``?format=`` values offered in the form and as download links.
SOLUTION_DOWNLOADS = (
    ("json", "SPARQL JSON"),
    ("xml", "SPARQL XML"),
    ("csv", "CSV"),
    ("tsv", "TSV"),
)
GRAPH_DOWNLOADS = (
    ("ttl", "Turtle"),
    ("jsonld", "JSON-LD"),
    ("nt", "N-Triples"),
    ("rdf", "RDF/XML"),
)


class QueryAnswer(Protocol):
    """What the SPARQL service returns (``publisher.server.sparql.QueryResult``)."""

    body: bytes
    content_type: str
    rows: int
    seconds: float


@dataclass(frozen=True)
class Cell:
    """One table cell: the text, a link for our own IRIs, a note (language or datatype)."""

    text: str
    href: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class ResultTable:
    """An answer ready for the template."""

    caption: str
    variables: tuple[str, ...] = ()
    rows: tuple[tuple[Cell, ...], ...] = ()
    boolean: bool | None = None
    text: str | None = None
    downloads: tuple[tuple[str, str], ...] = field(default=())


def _cell(term: dict[str, Any] | None, ctx: PageContext) -> Cell:
    if term is None:
        return Cell("")
    value = str(term.get("value", ""))
    if term.get("type") == "uri":
        split = iris.split_entity_iri(ctx.base, value)
        href = f"{ctx.root}doc/{split[0]}/{split[1]}" if split else None
        return Cell(value, href=href if href else (value if value.startswith("http") else None))
    if term.get("type") == "literal":
        language = term.get("xml:lang")
        datatype = term.get("datatype")
        note = f"@{language}" if language else (datatype.rsplit("#", 1)[-1] if datatype else None)
        return Cell(value, note=note)
    return Cell(value)


def result_table(ctx: PageContext, query: str, answer: QueryAnswer) -> ResultTable:
    """Turn a SPARQL answer (JSON for SELECT/ASK, Turtle for graphs) into a table."""
    graph = not answer.content_type.startswith("application/sparql-results+json")
    choices = GRAPH_DOWNLOADS if graph else SOLUTION_DOWNLOADS
    downloads = tuple(
        (label, f"{iris.sparql_url(ctx.root)}?{urlencode({'query': query, 'format': name})}")
        for name, label in choices
    )
    timing = f"in {answer.seconds:.2f} s"
    if graph:
        return ResultTable(
            f"{answer.rows} triples {timing}",
            text=answer.body.decode("utf-8"),
            downloads=downloads,
        )
    data = json.loads(answer.body)
    if "boolean" in data:
        return ResultTable(f"Answer {timing}", boolean=bool(data["boolean"]), downloads=downloads)
    variables = tuple(data["head"]["vars"])
    rows = tuple(
        tuple(_cell(binding.get(var), ctx) for var in variables)
        for binding in data["results"]["bindings"]
    )
    return ResultTable(f"{len(rows)} rows {timing}", variables, rows, downloads=downloads)


def example_links(ctx: PageContext) -> list[tuple[str, str]]:
    """(title, URL that runs it) for every ``*.rq`` example; the title is its first comment."""
    directory: Path | None = ctx.queries_dir
    if directory is None or not directory.is_dir():
        return []
    links = []
    for path in sorted(directory.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        first = next((line for line in text.splitlines() if line.startswith("#")), path.stem)
        title = first.lstrip("# ").strip() or path.stem
        links.append((title, f"{iris.sparql_url(ctx.root)}?{urlencode({'query': text})}"))
    return links


def render_query_page(
    ctx: PageContext,
    query: str,
    answer: QueryAnswer | None,
    *,
    error: str | None = None,
    timeout: float = 10.0,
    max_rows: int = 10_000,
) -> str:
    """The query page, with the answer to ``query`` when there is one."""
    table = result_table(ctx, query, answer) if answer is not None else None
    formats = [*SOLUTION_DOWNLOADS, *GRAPH_DOWNLOADS]
    return pages.render_template(
        ctx,
        "sparql.html",
        current=iris.sparql_url(ctx.root),
        page_title="SPARQL query",
        endpoint=iris.sparql_url(ctx.root),
        query_text=query or _default_query(ctx),
        formats=formats,
        table=table,
        error=error,
        examples=example_links(ctx),
        timeout=f"{timeout:g}",
        max_rows=f"{max_rows:,}",
    )


def _default_query(ctx: PageContext) -> str:
    return (
        "PREFIX schema: <http://schema.org/>\n"
        "PREFIX emigre: <https://w3id.org/emigre/ns#>\n\n"
        "SELECT ?person ?name ?destination WHERE {\n"
        "  ?emigration emigre:emigrant ?person ; emigre:destination ?place .\n"
        '  ?person schema:name ?name . FILTER (lang(?name) = "en")\n'
        '  ?place schema:name ?destination . FILTER (lang(?destination) = "en")\n'
        "}\nORDER BY ?name\nLIMIT 100\n"
    )
