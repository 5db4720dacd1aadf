#!/usr/bin/env python3
"""Profile one ``emigre build`` with cProfile, including the SHACL validation workers.

    python3 benchmarks/profile_build.py --data benchmarks/out/data-10000-seed1 [--top 25]

The build runs in this process (``publisher.cli.main``) under cProfile, with ``--no-cache``.
Work done in ``multiprocessing`` pool workers (parsing, SHACL validation), which a profile of the
main process sees only as waiting, is profiled in each worker and merged. The report prints the
hottest functions of the main process and of the workers, and the own time by package.

Profiles are written to ``--out`` (default ``benchmarks/out/profile/``): ``main.prof`` and
``workers.prof``, readable with ``python3 -m pstats`` or snakeviz. cProfile slows pure-Python
code down by about 1.5 to 2 times, so the absolute times are larger than in ``run.py``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import multiprocessing.pool
import os
import pstats
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _profile_pool_workers(profile_dir: Path) -> None:
    """Make every ``multiprocessing.Pool`` worker process profile itself into ``profile_dir``.

    Works whatever the build runs in its pools (record parsing, SHACL validation): the pool's
    process target, ``multiprocessing.pool.worker``, is looked up when the pool starts its
    processes, so replacing it here reaches them. A pool that is terminated (``with Pool()``
    ends with ``terminate()``) sends SIGTERM: the handler saves the profile before exiting.
    """
    original = multiprocessing.pool.worker  # type: ignore[attr-defined]

    def profiled_worker(*args: Any, **kwargs: Any) -> None:
        profile = cProfile.Profile()
        path = profile_dir / f"worker-{os.getpid()}.prof"

        def save_and_exit(_signum: int, _frame: Any) -> None:
            profile.disable()
            profile.dump_stats(path)
            os._exit(0)

        signal.signal(signal.SIGTERM, save_and_exit)
        profile.enable()
        try:
            original(*args, **kwargs)
        finally:
            profile.disable()
            profile.dump_stats(path)

    multiprocessing.pool.worker = profiled_worker  # type: ignore[attr-defined]


_PACKAGES = ("publisher", "pyshacl", "rdflib", "pyoxigraph", "yaml", "multiprocessing", "click")


def _package(filename: str) -> str:
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins"
    parts = Path(filename).parts
    for package in _PACKAGES:
        if package in parts:
            return package
    return "stdlib/other"


def by_package(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Own time (tottime) summed per package: where the CPU actually went."""
    totals: dict[str, float] = defaultdict(float)
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        totals[_package(filename)] += tottime
    return sorted(totals.items(), key=lambda item: -item[1])


def _print_stats(title: str, stats: pstats.Stats, top: int) -> None:
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"\n===== {title}: {total:.1f} s of profiled CPU =====")
    print("time by package (own time):")
    for package, seconds in by_package(stats):
        print(f"  {package:<16}{seconds:>8.1f} s  {100 * seconds / total:5.1f} %")
    for key, label in (("cumulative", "cumulative time"), ("tottime", "own time")):
        buffer = io.StringIO()
        stats.stream = buffer  # type: ignore[attr-defined]
        stats.sort_stats(key).print_stats(top)
        lines = buffer.getvalue().splitlines()
        start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
        print(f"top {top} by {label}:")
        print("\n".join(lines[start:]).rstrip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="data directory to build")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "profile")
    parser.add_argument("--workers", type=int, default=None, help="passed to emigre build")
    parser.add_argument("--top", type=int, default=25, help="functions per table")
    args = parser.parse_args(argv)

    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.prof"):
        old.unlink()
    worker_dir = out / "workers"
    worker_dir.mkdir(exist_ok=True)
    for old in worker_dir.glob("*.prof"):
        old.unlink()

    from publisher.cli import main as emigre

    _profile_pool_workers(worker_dir)
    command = [
        "build", "--data", str(args.data.resolve()), "--out", str(out / "dist"), "--no-cache",
        "--no-site",
    ]  # fmt: skip
    if args.workers is not None:
        command += ["--workers", str(args.workers)]
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    code = 0
    try:
        emigre.main(command, standalone_mode=False)
    except SystemExit as exit_:  # the command ends with sys.exit(code)
        code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        profile.disable()
    wall = time.perf_counter() - start
    profile.dump_stats(out / "main.prof")
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=HERE.parent, capture_output=True, text=True
    ).stdout.strip()
    print(f"\nprofiled build of {args.data} (code {commit}): {wall:.1f} s wall under cProfile")

    _print_stats("main process", pstats.Stats(profile), args.top)
    worker_files = sorted(worker_dir.glob("*.prof"))
    if worker_files:
        stats = pstats.Stats(str(worker_files[0]))
        for path in worker_files[1:]:
            stats.add(str(path))
        stats.dump_stats(out / "workers.prof")
        pids = {path.name.split("-")[1] for path in worker_files}
        title = f"pool worker processes ({len(pids)}, merged)"
        _print_stats(title, stats, args.top)
        for path in worker_files:
            path.unlink()
    print(
        f"\nprofiles: {out / 'main.prof'}" + (f", {out / 'workers.prof'}" if worker_files else "")
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
