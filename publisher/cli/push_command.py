"""``emigre push``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from publisher.cli.base import main, progress, run_action

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
    "--direct-load/--always-stage",
    default=True,
    show_default=True,
    help="Load an empty target directly, without a staging graph, when the store loads a PUT "
    "in one transaction (oxigraph): as fast as a plain PUT, and all or nothing.",
)
@click.option(
    "--incremental/--full",
    default=True,
    show_default=True,
    help="When the target holds the release the build's diff applies to (emigre build "
    "--previous-release; the push's marker graph says so), push only the diff.",
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
    direct_load: bool,
    incremental: bool,
    retries: int,
    timeout: float,
) -> None:
    """Load the build's N-Triples dump into a triple store's named graph, verified.

    The dump goes by Graph Store Protocol PUT to a staging graph, is counted there with SPARQL
    COUNT, then replaces the target in one SPARQL update (COPY, or on Oxigraph a DELETE/INSERT
    of the difference) and is counted again. An empty target on a store whose loads are
    atomic (Oxigraph) is loaded directly and counted; a target that holds the release the
    build's diff applies to gets only the diff. A push that fails at any step exits 3
    with the reason and leaves the published graph as it was.
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
            direct_load=direct_load,
            incremental=incremental,
        )
        click.echo(f"Pushing {dist_dir} to {target.gsp_url}", err=True)
        bar = _UploadBar()
        try:
            report = push_release(dist_dir, settings, progress, bar)
        finally:
            bar.close()
        click.echo(f"Pushed {report.dump} to <{report.graph}>")
        click.echo(f"  target before   {report.before:>12,} triples")
        if report.staged is None:
            how = "loaded directly: the target was empty"
            click.echo(f"  the dump has    {report.expected:>12,} triples")
        elif report.method == "diff":
            how = "by the release diff"
            click.echo(f"  diff staged     {report.staged:>12,} triples added or removed")
        else:
            how = f"replaced by {report.method}"
            click.echo(f"  staged          {report.staged:>12,} (the dump has {report.expected:,})")
        click.echo(f"  target after    {report.after:>12,} ({how})")
        if report.staging_left:
            click.echo(f"  warning: the staging graph <{report.staging_graph}> is still there")
        sent = "gzip" if report.gzip else "uncompressed"
        click.echo(f"  uploaded        {report.uploaded_bytes:>12,} bytes ({sent})")
        steps = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in report.seconds.items())
        click.echo(f"Time: {sum(report.seconds.values()):.2f} s ({steps})")
        return 0

    run_action(action)
