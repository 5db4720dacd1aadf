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


def _repository_id(value: str | None) -> str | None:
    from publisher.oai import REPOSITORY_ID

    if value is not None and not REPOSITORY_ID.match(value):
        raise click.BadParameter(
            f"{value!r} is not a domain name", param_hint="--oai-repository-id"
        )
    return value


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
    metavar="YYYY-MM-DD[Thh:mm:ssZ]",
    default=None,
    help="Date (or UTC time) of this release: stamped into the dataset descriptions and given "
    "as datestamp to every new or changed record. None by default: an unreleased build, all "
    "datestamps 1970-01-01T00:00:00Z.",
)
@click.option(
    "--previous-release",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Build directory of the last release (may be --out): unchanged records keep its "
    "datestamps, withdrawn ones stay tombstones, and release-diff.json compares with it.",
)
@click.option(
    "--site/--no-site",
    default=True,
    show_default=True,
    help="Also write site/: every document and page as files, with an nginx configuration.",
)
def build(
    out_dir: Path,
    release_date: str | None,
    previous_release: Path | None,
    site: bool,
    **options: Any,
) -> None:
    """Load data/, build the graph, validate it with SHACL and write the dumps to --out.

    Writes emigre.ttl, .nt, .jsonld, .rdf (each also gzipped), context.jsonld, void.ttl,
    dcat.ttl, dataset.jsonld, stats.json, build.json, lifecycle.json, validation.ttl/.txt,
    release.json (datestamps), release-diff.json (and its .nt files), SHA256SUMS, resourcesync/
    (the change feed) and site/ (the static site with its nginx.conf). Publishes nothing when
    the data has errors (exit 2) or the graph does not conform (exit 1).
    """

    def action() -> int:
        settings = dataclasses.replace(_settings(options, out_dir), write_site=site)
        click.echo(f"Building {settings.data_dir} -> {out_dir}", err=True)
        result = build_release(
            settings,
            release_date=release_date,
            progress=_progress,
            previous_release=previous_release,
        )
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
@click.option(
    "--oai-page-size",
    type=click.IntRange(min=1, max=10_000),
    default=100,
    show_default=True,
    help="OAI-PMH records (or headers) per response; longer lists continue with a "
    "resumption token.",
)
@click.option(
    "--oai-repository-id",
    default=None,
    callback=lambda _ctx, _param, value: _repository_id(value),
    help="Repository part of OAI identifiers (oai:ID:person/slug), a domain name; default: "
    "the host of the build's base IRI.",
)
@click.option(
    "--oai-admin-email",
    default=None,
    help="Contact address OAI-PMH Identify reports (required by the protocol; default: an "
    "undeliverable placeholder, unconfigured@example.invalid).",
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
    oai_page_size: int,
    oai_repository_id: str | None,
    oai_admin_email: str | None,
) -> None:
    """Serve a build as Linked Data: documents by content negotiation, pages, SPARQL, OAI-PMH.

    IRIs of the build's base (e.g. https://w3id.org/emigre/id/person/x) are served under the
    same paths on this host (http://HOST:PORT/id/person/x). /reconcile is a reconciliation
    service for OpenRefine (its index is built at start-up).
    """
    from publisher.oai import OaiSettings
    from publisher.server.app import ServerSettings
    from publisher.server.app import serve as run_server

    def action() -> int:
        settings = ServerSettings(
            dist_dir=dist_dir,
            query_timeout=query_timeout,
            max_rows=max_rows,
            max_concurrent_queries=max_concurrent_queries,
            max_request_bytes=max_request_bytes,
            oai_settings=OaiSettings(
                page_size=oai_page_size,
                repository_id=oai_repository_id,
                admin_email=oai_admin_email or OaiSettings().admin_email,
            ),
        )
        click.echo(f"Serving {dist_dir} at http://{host}:{port}/ (Ctrl-C to stop)", err=True)
        run_server(settings, host, port, workers)
        return 0

    _run(action)


# --- Push ----------------------------------------------------------------------------------------


class _UploadBar:
    """A click progress bar of the bytes uploaded; a new bar for each attempt."""

    def __init__(self) -> None:
        self.bar: Any = None

    def __call__(self, sent: int, total: int) -> None:
        if sent == 0 or self.bar is None:
            self.close()
            label = f"  uploading {total / 1e6:,.1f} MB"
            self.bar = click.progressbar(length=total, label=label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(sent - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@main.command()
@click.option(
    "--dist",
    "dist_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path("dist"),
    show_default=True,
    help="Build directory whose emigre.nt is pushed.",
)
@click.option(
    "--store",
    type=click.Choice(["oxigraph", "virtuoso", "generic"]),
    default="oxigraph",
    show_default=True,
    help="Kind of store: oxigraph (/store, /query, /update), virtuoso (/sparql-graph-crud-auth, "
    "/sparql, /sparql-auth, digest auth) or generic (give the URLs).",
)
@click.option(
    "--endpoint",
    metavar="URL",
    default=None,
    help="Base URL of the store, to which the preset's paths are added "
    "[default: http://127.0.0.1:7878 for oxigraph, http://127.0.0.1:8890 for virtuoso].",
)
@click.option(
    "--gsp-url", metavar="URL", default=None, help="Graph Store Protocol URL (overrides the preset)"
)
@click.option(
    "--query-url", metavar="URL", default=None, help="SPARQL query URL (overrides the preset)"
)
@click.option(
    "--update-url",
    metavar="URL",
    default=None,
    help="SPARQL update URL (overrides the preset). Without one (generic), the target is "
    "replaced by a GSP PUT, which is not atomic on every store.",
)
@click.option(
    "--graph",
    metavar="IRI",
    default=None,
    help="Target named graph [default: the build's dataset IRI, BASE_IRI + 'id/dataset'].",
)
@click.option(
    "--auth",
    type=click.Choice(["none", "basic", "digest", "bearer"]),
    default=None,
    help="Authentication [default: bearer with --token; with --user, the store's own (digest "
    "for virtuoso) or basic; else none].",
)
@click.option("--user", envvar="EMIGRE_PUSH_USER", default="", help="User ($EMIGRE_PUSH_USER).")
@click.option(
    "--password",
    envvar="EMIGRE_PUSH_PASSWORD",
    default="",
    help="Password ($EMIGRE_PUSH_PASSWORD; prefer the variable: options show in ps).",
)
@click.option(
    "--token", envvar="EMIGRE_PUSH_TOKEN", default="", help="Bearer token ($EMIGRE_PUSH_TOKEN)."
)
@click.option(
    "--gzip/--no-gzip",
    "gzip",
    default=None,
    help="Compress the upload [default: when the store decodes gzip (oxigraph) and is not on "
    "this machine].",
)
@click.option(
    "--bulk-staging/--no-bulk-staging",
    default=True,
    show_default=True,
    help="Load the staging graph with Oxigraph's bulk loader (no_transaction): much faster "
    "on a disk-backed Oxigraph, a little slower on an in-memory one (oxigraph only).",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Further attempts after a 5xx answer, a timeout or a connection error.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=3600.0,
    show_default=True,
    help="Seconds the store may stay silent on one request (large loads take minutes).",
)
def push(
    dist_dir: Path,
    store: str,
    endpoint: str | None,
    gsp_url: str | None,
    query_url: str | None,
    update_url: str | None,
    graph: str | None,
    auth: Any,
    user: str,
    password: str,
    token: str,
    gzip: bool | None,
    bulk_staging: bool,
    retries: int,
    timeout: float,
) -> None:
    """Load the build's N-Triples dump into a triple store's named graph, verified.

    The dump goes by Graph Store Protocol PUT to a staging graph, is counted there with SPARQL
    COUNT, then replaces the target (SPARQL COPY) and is counted again. A push that fails at
    any step exits 3 with the reason and leaves the published graph as it was.
    """
    from publisher.push import (
        PushSettings,
        choose_credentials,
        push_release,
        store_endpoint,
    )

    def action() -> int:
        target = store_endpoint(
            store,
            endpoint,
            gsp_url=gsp_url,
            query_url=query_url,
            update_url=update_url,
            credentials=choose_credentials(store, auth, user, password, token),
        )
        settings = PushSettings(
            endpoint=target,
            graph=graph,
            gzip="auto" if gzip is None else "on" if gzip else "off",
            timeout=timeout,
            retries=retries,
            bulk_staging=bulk_staging,
        )
        click.echo(f"Pushing {dist_dir} to {target.gsp_url}", err=True)
        bar = _UploadBar()
        try:
            report = push_release(dist_dir, settings, _progress, bar)
        finally:
            bar.close()
        click.echo(f"Pushed {report.dump} to <{report.graph}>")
        click.echo(f"  target before   {report.before:>12,} triples")
        click.echo(f"  staged          {report.staged:>12,} (the dump has {report.expected:,})")
        click.echo(f"  target after    {report.after:>12,} (replaced by {report.replaced_by})")
        if report.staging_left:
            click.echo(f"  warning: the staging graph <{report.staging_graph}> is still there")
        sent = "gzip" if report.gzip else "uncompressed"
        click.echo(f"  uploaded        {report.uploaded_bytes:>12,} bytes ({sent})")
        steps = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in report.seconds.items())
        click.echo(f"Time: {sum(report.seconds.values()):.2f} s ({steps})")
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


@wikidata.command("fetch")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=project_root() / "data",
    show_default="data/ of the checkout",
    help="Directory of curated YAML records.",
)
@_wikidata_options
def wikidata_fetch(data_dir: Path, **options: Any) -> None:
    """Fetch and cache the entity JSON of every Wikidata ID the records link to.

    Prints how many IDs were found, redirected (merged into another item) and missing (deleted),
    and names the redirected and missing ones with the records that link to them.
    """
    from publisher.wikidata.fetch import fetch_linked_entities

    def action() -> int:
        settings = _wikidata_settings(options)
        linked = fetch_linked_entities(settings, data_dir, BuildSettings().reference_table)
        click.echo(f"Wikidata IDs linked from {data_dir}: {len(linked.entities)}")
        for state, count in linked.counts().items():
            click.echo(f"  {state:<14}{count:>8}")
        for entity in linked.in_state("redirected"):
            records = ", ".join(linked.records[entity.requested_id])
            click.echo(f"redirected: {entity.requested_id} -> {entity.entity_id} ({records})")
        for entity in linked.in_state("missing"):
            records = ", ".join(linked.records[entity.requested_id])
            click.echo(f"missing: {entity.requested_id} ({records})")
        click.echo(f"Cache: {settings.cache_dir}")
        return 0

    _run(action)


def _wikidata_data_option(command: F) -> F:
    """``--data``, for the Wikidata commands that read the records."""
    return click.option(
        "--data",
        "data_dir",
        type=click.Path(file_okay=False, exists=True, path_type=Path),
        default=project_root() / "data",
        show_default="data/ of the checkout",
        help="Directory of curated YAML records.",
    )(command)


def _retrieved_date(value: str | None) -> Any:
    from publisher.model.dates import PartialDate

    if value is None:
        return None
    try:
        date = PartialDate.parse(value)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--retrieved") from None
    if date.precision != "day":
        raise click.BadParameter("give the day: YYYY-MM-DD", param_hint="--retrieved")
    return date


@wikidata.command("diff")
@_wikidata_data_option
@_wikidata_options
@click.option(
    "--tsv",
    "tsv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the report as TSV (one row per link problem and per claim) to this file.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the report as JSON to this file.",
)
def wikidata_diff(
    data_dir: Path, tsv_path: Path | None, json_path: Path | None, **options: Any
) -> None:
    """Compare our sourced claims with the statements of every linked Wikidata item.

    Each claim is on-wikidata, missing, conflicting (Wikidata has another birth or death date
    or place, or our value deprecated) or not-expressible (no property, no item for the value);
    links that were merged (redirected), deleted, or whose item's labels or type do not fit our
    record are flagged. Prints a summary; --tsv and --json write the whole report.
    """
    from publisher.wikidata.diff import (
        render_diff_json,
        render_diff_summary,
        render_diff_tsv,
        run_diff,
    )

    def action() -> int:
        run = run_diff(_wikidata_settings(options), data_dir, BuildSettings().reference_table)
        if tsv_path is not None:
            tsv_path.write_text(render_diff_tsv(run.report), encoding="utf-8")
        if json_path is not None:
            json_path.write_text(render_diff_json(run.report), encoding="utf-8")
        click.echo(render_diff_summary(run.report), nl=False)
        return 0

    _run(action)


@wikidata.command("quickstatements")
@_wikidata_data_option
@_wikidata_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["v1", "csv"]),
    default="v1",
    show_default=True,
    help="QuickStatements V1 (tab-separated commands) or CSV (for QuickStatements 3).",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of standard output.",
)
@click.option(
    "--retrieved",
    metavar="YYYY-MM-DD",
    default=None,
    help="The day our sources were read: S813 (retrieved) on every reference with a URL. "
    "Without it no S813 is written (the output never depends on the clock).",
)
@click.option(
    "--create",
    "create",
    metavar="person/SLUG",
    multiple=True,
    help="Create an item for this person (repeatable). Only for records marked "
    "link_state: no-item (checked: Wikidata has none).",
)
def wikidata_quickstatements(
    data_dir: Path,
    output_format: str,
    out_path: Path | None,
    retrieved: str | None,
    create: tuple[str, ...],
    **options: Any,
) -> None:
    """Write QuickStatements for the sourced statements Wikidata lacks.

    One line per statement and source, with its qualifiers (start time, point in time) and one
    reference block (title, author, publication date, URL, retrieved). Never a value Wikidata
    already has with that source, a conflicting value, a withheld claim, a coarse one beyond
    its published year and country, or an item with a link problem. What is left out is listed
    on standard error.
    """
    from publisher.model.records import Ref
    from publisher.wikidata.diff import run_diff
    from publisher.wikidata.quickstatements import plan_quickstatements, render_quickstatements

    refs = []
    for value in create:
        kind, _, slug = value.partition("/")
        if not kind or not slug:
            raise click.BadParameter(f"{value!r}: write kind/slug", param_hint="--create")
        refs.append(Ref(kind, slug))
    date = _retrieved_date(retrieved)

    def action() -> int:
        run = run_diff(
            _wikidata_settings(options), data_dir, BuildSettings().reference_table, retrieved=date
        )
        plan = plan_quickstatements(run.dataset, run.report, run.settings, refs)
        text = render_quickstatements(plan, output_format)
        if out_path is not None:
            out_path.write_text(text, encoding="utf-8")
        else:
            click.echo(text, nl=False)
        for skipped in plan.skipped:
            where = "".join(f" {part}" for part in (skipped.origin, skipped.property) if part)
            click.echo(f"skipped {skipped.record}{where}: {skipped.reason}", err=True)
        created = sum(len(creation.statements) for creation in plan.creations)
        click.echo(
            f"{len(plan.edits)} statement lines, {len(plan.creations)} items created "
            f"({created} lines), {len(plan.skipped)} skipped, {plan.not_expressible} claims not "
            "expressible (see emigre wikidata diff)",
            err=True,
        )
        return 0

    _run(action)


@wikidata.command("mixnmatch")
@_wikidata_data_option
@click.option(
    "--base-iri",
    default=DEFAULT_BASE_IRI,
    show_default=True,
    help="Base of the entity IRIs in the url column; must end with '/'.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of standard output.",
)
def wikidata_mixnmatch(data_dir: Path, base_iri: str, out_path: Path | None) -> None:
    """Write the Mix'n'match catalogue: a TSV (id, name, desc, url, type) of our people, groups,
    organizations and works, for Mix'n'match's import."""
    from publisher.wikidata.mixnmatch import load_catalogue, render_catalogue_tsv

    if not base_iri.endswith("/"):
        raise click.BadParameter("must end with '/'", param_hint="--base-iri")

    def action() -> int:
        entries = load_catalogue(data_dir, BuildSettings().reference_table, base_iri)
        text = render_catalogue_tsv(entries)
        if out_path is not None:
            out_path.write_text(text, encoding="utf-8")
        else:
            click.echo(text, nl=False)
        click.echo(f"{len(entries)} entries", err=True)
        return 0

    _run(action)


def _reference_option(command: F) -> F:
    """``--reference``: the table of checked Wikidata IDs the records may use."""
    return click.option(
        "--reference",
        "reference_table",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        default=BuildSettings().reference_table,
        show_default="reference/wikidata-ids.tsv of the checkout",
        help="The reference table of checked Wikidata IDs.",
    )(command)


@wikidata.command("reconcile")
@_wikidata_data_option
@_reference_option
@_wikidata_options
@click.option(
    "--out",
    "out_stem",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("wikidata-review"),
    show_default=True,
    help="Where to write the review file: OUT.tsv and OUT.json (never inside --data).",
)
@click.option(
    "--ref",
    "refs",
    metavar="KIND/SLUG",
    multiple=True,
    help="Reconcile only this record (repeatable); by default every pending record.",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 50),
    default=10,
    show_default=True,
    help="Search results asked for per spelling of a name.",
)
@click.option(
    "--keep",
    type=click.IntRange(1, 50),
    default=5,
    show_default=True,
    help="Candidates kept per record, best first.",
)
def wikidata_reconcile(
    data_dir: Path,
    reference_table: Path,
    out_stem: Path,
    refs: tuple[str, ...],
    limit: int,
    keep: int,
    **options: Any,
) -> None:
    """Propose Wikidata candidates for every pending record, for a curator to review.

    Searches Wikidata for every spelling of each name (English, Russian, other languages,
    alternate names), fetches the items found and scores each 0-100 on name (across scripts),
    type (P31), birth year (P569), occupations (P106) and places (P19, P20, P27, P551), with
    the features that explain the score. Writes OUT.tsv and OUT.json with empty decision,
    status and evidence columns. Writes nothing into data/: candidates are not links until
    emigre wikidata accept applies a curator's decisions.
    """
    from publisher.wikidata.review import run_reconcile, write_review

    resolved = out_stem.resolve()
    if resolved.is_relative_to(data_dir.resolve()):
        raise click.BadParameter("may not be inside --data", param_hint="--out")

    def action() -> int:
        rows = run_reconcile(
            _wikidata_settings(options),
            data_dir,
            reference_table,
            refs,
            search_limit=limit,
            keep=keep,
            progress=_progress,
        )
        tsv, json_path = write_review(rows, out_stem)
        records = len({row.ref for row in rows})
        with_candidates = len({row.ref for row in rows if row.candidate})
        click.echo(
            f"{records} pending records, {with_candidates} with candidates, "
            f"{sum(1 for row in rows if row.candidate)} candidates"
        )
        click.echo(f"Wrote {tsv} and {json_path}: fill in decision, status and evidence, then")
        click.echo(f"  emigre wikidata accept {tsv}")
        return 0

    _run(action)


@wikidata.command("accept")
@click.argument("review_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@_wikidata_data_option
@_reference_option
@click.option("--dry-run", is_flag=True, help="Check the decisions and report; write nothing.")
def wikidata_accept(
    review_file: Path, data_dir: Path, reference_table: Path, dry_run: bool
) -> None:
    """Apply the decisions a curator marked in a review file (TSV or JSON).

    accept: the ID is added to the reference table with the row's status and evidence, and
    written into the record (wikidata: Q...); no-item: the record gets link_state: no-item;
    candidate: the ID joins the record's wikidata_candidates (published as an unverified
    possible match, never a link); reject removes a noted possible match; undecided rows change
    nothing. All rows or none:
    a decision without evidence (accept, no-item) or status (accept), an ID another record
    uses, a record that has another ID, or an unknown record is reported with its line, and
    nothing is written (exit 2). Record files change by one line; the rest stays as it was.
    """
    from publisher.wikidata.accept import accept_review

    def action() -> int:
        result = accept_review(review_file, data_dir, reference_table, dry_run=dry_run)
        verb = "Would link" if dry_run else "Linked"
        for ref, qid in result.linked:
            click.echo(f"{verb} {ref} to {qid}")
        for ref in result.no_item:
            click.echo(f"{'Would mark' if dry_run else 'Marked'} {ref} no-item")
        for ref, qid in result.candidates:
            click.echo(f"{'Would note' if dry_run else 'Noted'} {qid} as a possible match of {ref}")
        for ref, qid in result.unnoted:
            click.echo(f"{'Would remove' if dry_run else 'Removed'} {qid} from {ref}'s candidates")
        for qid in result.table_rows:
            click.echo(f"{'Would add' if dry_run else 'Added'} {qid} to {reference_table}")
        for qid, status in result.already_in_table:
            click.echo(f"{qid} is in the reference table already ({status}): left as it is")
        click.echo(f"{result.rejected} rejected, {result.undecided} undecided rows")
        return 0

    _run(action)
