"""``emigre wikidata …``: the tools for Wikidata editors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from publisher.cli.base import F, main, progress, run_action
from publisher.config import DEFAULT_BASE_IRI, BuildSettings, project_root

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

    run_action(action)


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

    run_action(action)


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

    run_action(action)


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

    run_action(action)


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
            progress=progress,
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

    run_action(action)


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

    run_action(action)
