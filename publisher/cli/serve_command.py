"""``emigre serve``."""

from __future__ import annotations

from pathlib import Path

import click

from publisher.cli.base import main, repository_id, run_action


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
    callback=lambda _ctx, _param, value: repository_id(value),
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

    run_action(action)
