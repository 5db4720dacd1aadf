"""The ``emigre`` command: thin click wrappers over the library. The only module importing click.

Exit codes: 0 success, 1 the graph does not conform to the shapes, 2 bad data or usage,
3 any other error.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from publisher import __version__
from publisher.build import build_release, load_graph, validate_release
from publisher.config import DEFAULT_BASE_IRI, BuildSettings, project_root
from publisher.errors import EmigreError
from publisher.validate import render_report_text

F = TypeVar("F", bound=Callable[..., Any])


def _data_options(command: F) -> F:
    root = project_root()
    options = [
        click.option(
            "--data",
            "data_dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=root / "data",
            show_default="data/ of the checkout",
            help="Directory of curated YAML records.",
        ),
        click.option(
            "--shapes",
            "shapes_dir",
            type=click.Path(file_okay=False, exists=True, path_type=Path),
            default=root / "shapes",
            show_default="shapes/ of the checkout",
            help="Directory of SHACL shapes (Turtle).",
        ),
        click.option(
            "--base-iri",
            default=DEFAULT_BASE_IRI,
            show_default=True,
            help="Base of every IRI the build mints; must end with '/'.",
        ),
        click.option(
            "--cache",
            "cache_dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=Path(".emigre-cache"),
            show_default=True,
            help="Where parsed records, rendered fragments, dump segments and SHACL results of "
            "unchanged records are kept between builds.",
        ),
        click.option(
            "--no-cache",
            is_flag=True,
            help="Use no cache: parse, render and validate every record.",
        ),
        click.option(
            "--shacl-engine",
            type=click.Choice(["auto", "pyshacl", "turbo"]),
            default="auto",
            show_default=True,
            help="pyshacl (reference), turbo (pyshacl-turbo, for large data) or auto.",
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=0),
            default=0,
            show_default=True,
            help="Worker processes for parsing, rendering and validation (0 = one per core).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _settings(options: dict[str, Any], out_dir: Path = Path("dist")) -> BuildSettings:
    base = options["base_iri"]
    if not base.endswith("/"):
        raise click.BadParameter("must end with '/'", param_hint="--base-iri")
    return BuildSettings(
        data_dir=options["data_dir"],
        shapes_dir=options["shapes_dir"],
        out_dir=out_dir,
        base_iri=base,
        cache_dir=None if options["no_cache"] else options["cache_dir"],
        workers=options["workers"],
        shacl_engine=options["shacl_engine"],
    )


def _progress(message: str) -> None:
    click.echo(f"  {message}", err=True)


def _run(action: Callable[[], int]) -> None:
    """Run a command body, mapping our errors to their exit codes (see module docstring)."""
    try:
        code = action()
    except EmigreError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(error.exit_code)
    sys.exit(code)


@click.group()
@click.version_option(__version__, prog_name="emigre")
def main() -> None:
    """Émigré: build, validate and publish the linked-data set on the exodus from Russia."""


@main.command()
@_data_options
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dist"),
    show_default=True,
    help="Output directory; replaced as a whole only when the build succeeds.",
)
@click.option(
    "--release-date",
    metavar="YYYY-MM-DD",
    default=None,
    help="Date stamped into the dataset descriptions (none by default, for reproducible builds).",
)
@click.option(
    "--site/--no-site",
    default=True,
    show_default=True,
    help="Also write site/: every document and page as files, with an nginx configuration.",
)
def build(out_dir: Path, release_date: str | None, site: bool, **options: Any) -> None:
    """Load data/, build the graph, validate it with SHACL and write the dumps to --out.

    Writes emigre.ttl, .nt, .jsonld, .rdf (each also gzipped), context.jsonld, void.ttl,
    dcat.ttl, dataset.jsonld, stats.json, build.json, lifecycle.json, validation.ttl/.txt,
    SHA256SUMS and site/ (the static site with its nginx.conf). Publishes nothing when the data
    has errors (exit 2) or the graph does not conform (exit 1).
    """

    def action() -> int:
        settings = dataclasses.replace(_settings(options, out_dir), write_site=site)
        click.echo(f"Building {settings.data_dir} -> {out_dir}", err=True)
        result = build_release(settings, release_date=release_date, progress=_progress)
        stats = result.statistics
        click.echo("Entities by kind:")
        kinds: dict[str, int] = {}
        for record in result.dataset.records:
            kinds[record.kind] = kinds.get(record.kind, 0) + 1
        for kind, count in kinds.items():
            click.echo(f"  {kind:<14}{count:>8}")
        click.echo("Wikidata link states:")
        for state, count in stats.link_states:
            click.echo(f"  {state:<14}{count:>8}")
        click.echo(f"Triples: {stats.triples}; Wikidata links: {stats.wikidata_links}")
        steps = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in result.timings.items())
        click.echo(f"Time: {sum(result.timings.values()):.2f} s ({steps})")
        click.echo(f"Wrote {len(result.files)} files to {out_dir}")
        return 0

    _run(action)


@main.command()
@_data_options
@click.option("--turtle", is_flag=True, help="Print the SHACL report as Turtle instead of a table.")
def validate(turtle: bool, **options: Any) -> None:
    """Validate the graph built from data/ against the SHACL shapes (exit 1: not conforming)."""

    def action() -> int:
        from publisher.validate import render_report_turtle

        _, run = validate_release(_settings(options))
        report = run.report
        click.echo(render_report_turtle(report) if turtle else render_report_text(report))
        return 0 if report.conforms else 1

    _run(action)


@main.command()
@_data_options
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
def stats(as_json: bool, **options: Any) -> None:
    """Print counts of the graph built from data/ (no validation, nothing written)."""

    def action() -> int:
        settings = _settings(options)
        loaded = load_graph(settings)
        statistics = loaded.statistics
        if as_json:
            click.echo(json.dumps(statistics.as_json(), indent=2))
            return 0
        click.echo(f"Records: {len(loaded.dataset.records)}")
        click.echo(f"Triples: {statistics.triples}")
        click.echo(f"Entities: {statistics.entities}")
        click.echo("Classes:")
        for class_iri, count in statistics.classes:
            click.echo(f"  {class_iri:<48}{count:>8}")
        click.echo("Wikidata link states:")
        for state, count in statistics.link_states:
            click.echo(f"  {state:<14}{count:>8}")
        return 0

    _run(action)


@main.command()
@click.option(
    "--dist",
    "dist_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path("dist"),
    show_default=True,
    help="Build directory to serve (written by emigre build).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Processes."
)
@click.option(
    "--query-timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds a SPARQL query may run before it is stopped.",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Most rows a SPARQL result may have.",
)
@click.option(
    "--max-concurrent-queries",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="SPARQL queries running or waiting at once before 429 (0 = twice the query workers).",
)
@click.option(
    "--max-request-bytes",
    type=click.IntRange(min=1024),
    default=64 * 1024,
    show_default=True,
    help="Largest SPARQL request accepted; larger ones get 413 before the body is read.",
)
def serve(
    dist_dir: Path,
    host: str,
    port: int,
    workers: int,
    query_timeout: float,
    max_rows: int,
    max_concurrent_queries: int,
    max_request_bytes: int,
) -> None:
    """Serve a build as Linked Data: documents by content negotiation, pages, SPARQL.

    IRIs of the build's base (e.g. https://w3id.org/emigre/id/person/x) are served under the
    same paths on this host (http://HOST:PORT/id/person/x).
    """
    from publisher.server.app import ServerSettings
    from publisher.server.app import serve as run_server

    def action() -> int:
        settings = ServerSettings(
            dist_dir=dist_dir,
            query_timeout=query_timeout,
            max_rows=max_rows,
            max_concurrent_queries=max_concurrent_queries,
            max_request_bytes=max_request_bytes,
        )
        click.echo(f"Serving {dist_dir} at http://{host}:{port}/ (Ctrl-C to stop)", err=True)
        run_server(settings, host, port, workers)
        return 0

    _run(action)


# --- Wikidata ------------------------------------------------------------------------------------


def _wikidata_options(command: F) -> F:
    """Options every ``emigre wikidata`` command that may reach Wikidata shares."""
    from publisher.wikidata.settings import DEFAULT_API_URL, DEFAULT_CACHE_DIR, USER_AGENT_ENV

    options = [
        click.option(
            "--user-agent",
            envvar=USER_AGENT_ENV,
            default="",
            help=f"User-Agent naming this tool and its operator, as Wikidata's policy asks "
            f"(or ${USER_AGENT_ENV}). Required unless --offline.",
        ),
        click.option(
            "--api-url",
            default=DEFAULT_API_URL,
            show_default=True,
            help="MediaWiki Action API of the Wikidata to ask.",
        ),
        click.option(
            "--wikidata-cache",
            "wikidata_cache",
            type=click.Path(file_okay=False, path_type=Path),
            default=DEFAULT_CACHE_DIR,
            show_default=True,
            help="Where Wikidata responses are cached.",
        ),
        click.option(
            "--offline",
            is_flag=True,
            help="Answer only from the cache; fail on anything not cached.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _wikidata_settings(options: dict[str, Any]) -> Any:
    from publisher.wikidata.settings import WikidataSettings

    return WikidataSettings(
        user_agent=options["user_agent"],
        api_url=options["api_url"],
        cache_dir=options["wikidata_cache"],
        offline=options["offline"],
    )


@main.group()
def wikidata() -> None:
    """Tools for Wikidata editors: candidates, diff, QuickStatements, Mix'n'match."""
