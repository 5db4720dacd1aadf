"""The build: data files -> records -> graph -> SHACL validation -> ``dist/``, atomically.

A build that does not load, or whose graph does not conform, raises before anything is written;
outputs go to a temporary directory next to the target that replaces it only when complete.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from publisher import __version__
from publisher.catalog import Catalog
from publisher.changes import write_change_feed
from publisher.checksums import write_checksums
from publisher.config import BuildSettings
from publisher.describe import DatasetStatistics, write_descriptions
from publisher.dump import write_dumps
from publisher.errors import BuildError, ValidationFailed
from publisher.fragments import Fragment, render_fragments
from publisher.model.lifecycle import Lifecycle, load_lifecycle
from publisher.model.loader import load_dataset
from publisher.model.records import Dataset
from publisher.model.reference import load_reference_table
from publisher.releases import PreviousRelease, record_contents, release_timestamp, write_release
from publisher.server.documents import DocumentRenderer
from publisher.shacl_run import ValidationRun, validate_fragments
from publisher.site.context import PageContext
from publisher.site.static import write_static_site
from publisher.validate import ValidationReport, render_report_text, render_report_turtle

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass
class Timings:
    """Seconds spent per step, in the order the steps ran."""

    steps: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str, progress: Progress) -> Iterator[None]:
        progress(f"{name}...")
        start = time.perf_counter()
        yield
        self.steps[name] = time.perf_counter() - start

    @property
    def total(self) -> float:
        return sum(self.steps.values())


@dataclass(frozen=True)
class LoadedGraph:
    """What every command starts from: the records and each one's rendered fragment."""

    dataset: Dataset
    fragments: list[Fragment]
    lifecycle: Lifecycle

    @property
    def statistics(self) -> DatasetStatistics:
        """Counts over the whole graph."""
        return DatasetStatistics.combine(fragment.statistics for fragment in self.fragments)


@dataclass(frozen=True)
class BuildResult:
    """What a finished build reports."""

    dataset: Dataset
    statistics: DatasetStatistics
    report: ValidationReport
    files: tuple[Path, ...]
    timings: dict[str, float]


def load_graph(
    settings: BuildSettings, timings: Timings | None = None, progress: Progress = _quiet
) -> LoadedGraph:
    """Load and check the records, then build the graph of each. Raises DataErrors."""
    timings = timings or Timings()
    with timings.step("load records", progress):
        reference = load_reference_table(settings.reference_table)
        dataset = load_dataset(settings.data_dir, reference, settings.cache_dir, settings.workers)
        lifecycle = load_lifecycle(settings.data_dir, {record.ref for record in dataset.records})
    with timings.step("build graph", progress):
        fragments = render_fragments(
            dataset, settings.base_iri, settings.cache_dir, settings.workers
        )
    return LoadedGraph(dataset, fragments, lifecycle)


def validate_release(
    settings: BuildSettings, timings: Timings | None = None, progress: Progress = _quiet
) -> tuple[LoadedGraph, ValidationRun]:
    """Load, build and validate; never writes outputs (except the validation cache)."""
    timings = timings or Timings()
    loaded = load_graph(settings, timings, progress)
    with timings.step("validate (SHACL)", progress):
        run = validate_fragments(loaded.fragments, settings)
    progress(
        f"validated {run.validated_records} records with {run.engine}"
        f" ({run.cached_records} unchanged since a conforming run)"
    )
    return loaded, run


def build_release(
    settings: BuildSettings,
    release_date: str | None = None,
    progress: Progress = _quiet,
    previous_release: Path | None = None,
) -> BuildResult:
    """Build, validate and publish into ``settings.out_dir``; atomic and deterministic.

    ``previous_release`` is the build directory of the last release (it may be ``out_dir``):
    unchanged records keep its datestamps, and the release diff compares with it
    (``publisher.releases``).

    Raises DataErrors (bad records), ValidationFailed (graph does not conform), ReleaseError
    (bad release date or previous release) or BuildError; in every failing case the previous
    ``out_dir`` is left as it was.
    """
    release_timestamp(release_date)  # a bad date fails before the long steps
    previous = PreviousRelease.open(previous_release) if previous_release else None
    timings = Timings()
    loaded, run = validate_release(settings, timings, progress)
    report = run.report
    if not report.conforms:
        raise ValidationFailed(render_report_text(report))
    statistics = loaded.statistics
    with staging_directory(settings.out_dir) as staging:
        with timings.step("write dumps", progress):
            files = write_dumps(
                loaded.fragments,
                staging,
                settings.base_iri,
                settings.cache_dir,
                settings.workers,
            )
            # The descriptions date the release by its day (xsd:date), whatever time it names.
            day = release_date[:10] if release_date else None
            files += write_descriptions(statistics, staging, settings.base_iri, day)
            (staging / "validation.ttl").write_text(render_report_turtle(report), encoding="utf-8")
            (staging / "validation.txt").write_text(render_report_text(report), encoding="utf-8")
            files += [staging / "validation.ttl", staging / "validation.txt"]
            files.append(write_manifest(staging, settings.base_iri, release_date))
            lifecycle_path = staging / "lifecycle.json"
            lifecycle_path.write_text(
                json.dumps(loaded.lifecycle.as_json(), indent=2, sort_keys=True) + "\n",
                encoding="utf-8",
            )
            files.append(lifecycle_path)
        with timings.step("write release diff and change feed", progress):
            contents = record_contents(
                loaded.fragments, settings.base_iri, settings.cache_dir, settings.workers
            )
            manifest, release_files = write_release(
                contents, loaded.lifecycle, staging, release_date, previous
            )
            files += release_files
            files.append(write_checksums(files, staging))
            files += write_change_feed(manifest, staging, settings.base_iri)
        if settings.write_site:
            with timings.step("write static site", progress):
                catalog = Catalog.open(staging, settings.base_iri)
                files += write_static_site(
                    catalog,
                    DocumentRenderer(catalog),
                    staging / "site",
                    PageContext(base=settings.base_iri, dist_dir=staging),
                    served_root=settings.out_dir.resolve() / "site",
                    workers=settings.workers,
                )
        published = tuple(settings.out_dir / path.relative_to(staging) for path in files)
    return BuildResult(loaded.dataset, statistics, report, published, dict(timings.steps))


MANIFEST = "build.json"


def write_manifest(out_dir: Path, base: str, release_date: str | None) -> Path:
    """``build.json``: what a reader of ``dist/`` needs to know (the base IRI the IRIs use)."""
    manifest = {"base_iri": base, "release_date": release_date, "version": __version__}
    path = out_dir / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_manifest(dist_dir: Path) -> dict[str, str | None]:
    """The manifest of a build directory; raises BuildError when there is none."""
    path = dist_dir / MANIFEST
    try:
        manifest: dict[str, str | None] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BuildError(f"{path}: not a build directory (run emigre build): {error}") from error
    return manifest


@contextmanager
def staging_directory(target: Path) -> Iterator[Path]:
    """A fresh directory beside ``target`` that replaces it when the block succeeds.

    On failure the staging directory is removed and ``target`` is untouched. The swap is two
    renames on the same file system (old aside, new in place), then the old copy is removed.
    """
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    os.chmod(staging, 0o755)
    previous: Path | None = None
    try:
        if target.exists():
            previous = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.rename(target, previous / target.name)
        os.rename(staging, target)
    except OSError as error:
        if previous is not None and not target.exists():
            os.rename(previous / target.name, target)
        shutil.rmtree(staging, ignore_errors=True)
        raise BuildError(f"could not publish {target}: {error}") from error
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)
