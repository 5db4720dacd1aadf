"""``emigre build``, ``validate`` and ``stats``.

The library is imported inside each command: pyshacl and the build's modules take 0.4 s to
import, which every other command (``push``, ``serve``, ``--help``) would pay for nothing.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import click

from publisher.cli.base import build_settings, data_options, main, progress, run_action


@main.command()
@data_options
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
    "as datestamp to every new or changed record. Default: $SOURCE_DATE_EPOCH (seconds since "
    "1970, the reproducible-builds convention) when set, else an unreleased build with all "
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
        from publisher.build import build_release
        from publisher.releases import SOURCE_DATE_EPOCH, release_date_from_epoch

        settings = dataclasses.replace(build_settings(options, out_dir), write_site=site)
        click.echo(f"Building {settings.data_dir} -> {out_dir}", err=True)
        date = release_date
        epoch = os.environ.get(SOURCE_DATE_EPOCH)
        if date is None and epoch is not None:
            date = release_date_from_epoch(epoch)
            click.echo(f"Release date {date} (from ${SOURCE_DATE_EPOCH})", err=True)
        result = build_release(
            settings,
            release_date=date,
            progress=progress,
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

    run_action(action)


@main.command()
@data_options
@click.option("--turtle", is_flag=True, help="Print the SHACL report as Turtle instead of a table.")
def validate(turtle: bool, **options: Any) -> None:
    """Validate the graph built from data/ against the SHACL shapes (exit 1: not conforming)."""

    def action() -> int:
        from publisher.build import validate_release
        from publisher.validate import render_report_text, render_report_turtle

        _, run = validate_release(build_settings(options))
        report = run.report
        click.echo(render_report_turtle(report) if turtle else render_report_text(report))
        return 0 if report.conforms else 1

    run_action(action)


@main.command()
@data_options
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
def stats(as_json: bool, **options: Any) -> None:
    """Print counts of the graph built from data/ (no validation, nothing written)."""

    def action() -> int:
        from publisher.build import load_graph

        settings = build_settings(options)
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

    run_action(action)
