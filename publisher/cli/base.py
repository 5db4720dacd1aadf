"""The ``emigre`` group and what its commands share: option sets, settings, error handling.

Exit codes: 0 success, 1 the graph does not conform to the shapes, 2 bad data or usage,
3 any other error.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from publisher import __version__
from publisher.config import DEFAULT_BASE_IRI, BuildSettings, project_root
from publisher.errors import EmigreError

F = TypeVar("F", bound=Callable[..., Any])


def data_options(command: F) -> F:
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


def build_settings(options: dict[str, Any], out_dir: Path = Path("dist")) -> BuildSettings:
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


def repository_id(value: str | None) -> str | None:
    from publisher.oai import REPOSITORY_ID

    if value is not None and not REPOSITORY_ID.match(value):
        raise click.BadParameter(
            f"{value!r} is not a domain name", param_hint="--oai-repository-id"
        )
    return value


def progress(message: str) -> None:
    click.echo(f"  {message}", err=True)


def run_action(action: Callable[[], int]) -> None:
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
