#!/usr/bin/env python3
"""Time ``emigre build`` on synthetic data sets of growing size, and a one-record rebuild.

    python3 benchmarks/run.py [--sizes 1000 10000 100000] [--seed 1] [--workers N]

For each size: generate the data (``benchmarks/generate.py``; kept in ``benchmarks/out/`` and
reused while the generator and seed are unchanged), run ``python -m publisher build`` in a
subprocess with a fresh cache directory, then change one claim date in one person record and
build again with the same cache (the incremental case), and restore the record.

Reported per build: wall time; the build's own step times (its ``Time: ...`` line); peak memory
as (a) the largest single process (``/usr/bin/time -v``, else ``getrusage(RUSAGE_CHILDREN)``,
which is the max over processes, not their sum) and (b) the peak of the whole process tree
(the build and its validation workers) sampled from ``/proc`` every 0.2 s, as the sum of RSS
(counts pages shared after fork once per process, so an upper bound) and the sum of PSS
(shares those pages out; the better figure for "how much memory does the build need").

Results are printed as a table and merged into ``benchmarks/out/results.json`` (keyed by size).
A size whose estimated time (linear from the previous size) exceeds ``--max-estimate`` is skipped.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (benchmarks/generate.py)

GNU_TIME = Path("/usr/bin/time")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


# -- memory sampling ------------------------------------------------------------------------------


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may hold spaces and parentheses: split after the last ')'
        fields = stat[stat.rfind(b")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def _tree(root: int) -> list[int]:
    children = _children_map()
    pids, stack = [], [root]
    while stack:
        pid = stack.pop()
        pids.append(pid)
        stack.extend(children.get(pid, ()))
    return pids


def _rss_pss_kb(pid: int) -> tuple[int, int]:
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except (OSError, ValueError):
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
                rss = pss = int(handle.read().split()[1]) * PAGE_KB
        except (OSError, ValueError):
            pass
    return rss, pss


class TreeSampler(threading.Thread):
    """Samples the RSS and PSS of a process and all its descendants every ``interval`` s."""

    def __init__(self, root: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.stop = threading.Event()
        self.peak_rss_kb = 0
        self.peak_pss_kb = 0
        self.peak_processes = 0
        self.samples = 0

    def run(self) -> None:
        while not self.stop.is_set():
            pids = _tree(self.root)
            rss = pss = 0
            live = 0
            for pid in pids:
                r, p = _rss_pss_kb(pid)
                if r:
                    live += 1
                rss += r
                pss += p
            self.peak_rss_kb = max(self.peak_rss_kb, rss)
            self.peak_pss_kb = max(self.peak_pss_kb, pss)
            self.peak_processes = max(self.peak_processes, live)
            self.samples += 1
            self.stop.wait(self.interval)


# -- one build ------------------------------------------------------------------------------------

_TIME_LINE = re.compile(r"^Time: ([0-9.]+) s \((.*)\)\s*$", re.MULTILINE)
_TRIPLES = re.compile(r"^Triples: ([0-9]+)", re.MULTILINE)
_MAXRSS = re.compile(r"Maximum resident set size \(kbytes\): ([0-9]+)")


def parse_steps(output: str) -> tuple[float | None, dict[str, float]]:
    """The build's ``Time: T s (step a s, step b s, ...)`` line as (T, {step: seconds})."""
    match = _TIME_LINE.search(output)
    if not match:
        return None, {}
    steps: dict[str, float] = {}
    for part in match.group(2).split(", "):
        name, _, _unit = part.rstrip().rpartition(" ")  # "... 1.23 s" -> drop the unit
        name, _, value = name.rpartition(" ")
        try:
            steps[name] = float(value)
        except ValueError:
            continue
    return float(match.group(1)), steps


def run_build(
    code: Path,
    data: Path,
    dist: Path,
    cache: Path | None,
    log: Path,
    workers: int | None,
    timeout: float | None,
) -> dict[str, Any]:
    """Run one ``python -m publisher build`` and measure it (``cache`` None: ``--no-cache``)."""
    command = [
        sys.executable, "-m", "publisher", "build", "--data", str(data), "--out", str(dist),
        *(["--cache", str(cache)] if cache else ["--no-cache"]), "--shapes", str(code / "shapes"),
        # The build target is the dumps: the static site is measured by benchmarks/serve.py.
        "--no-site",
    ]  # fmt: skip
    if workers is not None:
        command += ["--workers", str(workers)]
    time_file = log.with_suffix(".time")
    if GNU_TIME.exists():
        command = [str(GNU_TIME), "-v", "-o", str(time_file), *command]
    log.parent.mkdir(parents=True, exist_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    with open(log, "w", encoding="utf-8") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=code,  # python -m puts the working directory first on sys.path: the snapshot
            start_new_session=True,
        )
        sampler = TreeSampler(process.pid)
        sampler.start()
        timed_out = False
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(process.pid, signal.SIGTERM)  # the session this script started
            code = process.wait()
        wall = time.perf_counter() - start
        sampler.stop.set()
        sampler.join()
    output = log.read_text(encoding="utf-8", errors="replace")
    total, steps = parse_steps(output)
    triples = _TRIPLES.search(output)
    note = next((line.strip() for line in output.splitlines() if "validated" in line), None)
    max_single_kb: int | None = None
    if time_file.exists():
        match = _MAXRSS.search(time_file.read_text(encoding="utf-8", errors="replace"))
        max_single_kb = int(match.group(1)) if match else None
    if max_single_kb is None:
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        max_single_kb = after if after > before else None  # only meaningful if it grew
    return {
        "exit_code": code,
        "timed_out": timed_out,
        "wall_s": round(wall, 2),
        "reported_total_s": total,
        "steps_s": steps,
        "triples": int(triples.group(1)) if triples else None,
        "validation_note": note,  # the build's own line on what it validated, if any
        "peak_single_process_mb": round(max_single_kb / 1024, 1) if max_single_kb else None,
        "peak_tree_rss_mb": round(sampler.peak_rss_kb / 1024, 1),
        "peak_tree_pss_mb": round(sampler.peak_pss_kb / 1024, 1),
        "peak_processes": sampler.peak_processes,
        # other work on the machine skews the times: the 1-minute load average before and after
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "log": str(log.relative_to(REPO)) if log.is_relative_to(REPO) else str(log),
    }


# -- data sets ------------------------------------------------------------------------------------


def snapshot_code(out: Path) -> tuple[Path, str]:
    """A private copy of the code the builds run (``publisher/``, ``ontology/``, ``shapes/``).

    Other people edit the checkout while a benchmark runs; a change to the code or the shapes
    between the full build and the rebuild would change the cache keys and void the cache, and
    a change during a build would mix two versions. The builds import the copy (it is their
    working directory, first on ``sys.path``), so one run measures one version of the code.
    Returns the copy and a digest of its contents.
    """
    target = out / "code"
    shutil.rmtree(target, ignore_errors=True)
    digest = hashlib.sha256()
    for name in ("publisher", "ontology", "shapes"):
        source = REPO / name
        shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        for path in sorted((target / name).rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(target)).encode())
                digest.update(path.read_bytes())
    return target, digest.hexdigest()[:16]


def _generator_digest() -> str:
    return hashlib.sha256(Path(generate.__file__).read_bytes()).hexdigest()[:16]


def ensure_data(out: Path, people: int, seed: int) -> tuple[Path, float | None]:
    """The data directory for ``people``, generated unless an up-to-date copy exists."""
    data = out / f"data-{people}-seed{seed}"
    marker = data / ".generated.json"
    wanted = {"people": people, "seed": seed, "generator": _generator_digest()}
    if marker.exists() and json.loads(marker.read_text(encoding="utf-8")) == wanted:
        return data, None
    start = time.perf_counter()
    generate.generate(people, data, seed)
    seconds = time.perf_counter() - start
    marker.write_text(json.dumps(wanted) + "\n", encoding="utf-8")
    return data, seconds


_BIRTH_DATE = re.compile(r'(property: birth_date\n  value: ")([0-9]{4})')


def pick_record(data: Path, people: int) -> Path:
    """A person in the middle of the set with a birth-date claim (and no conflicting one)."""
    width = max(5, len(str(people - 1)))
    for offset in range(people):
        index = (people // 2 + offset) % people
        path = data / "people" / f"synthetic-person-{index:0{width}d}.yaml"
        text = path.read_text(encoding="utf-8")
        if _BIRTH_DATE.search(text) and "birth-date-other" not in text:
            return path
    raise SystemExit(f"no person with a birth date in {data}")


def change_claim_date(text: str) -> str:
    """Move the birth-date claim one year earlier (same format, still a valid date)."""
    return _BIRTH_DATE.sub(lambda m: f"{m.group(1)}{int(m.group(2)) - 1:04d}", text, count=1)


def differing_files(built: Path, reference: Path) -> list[str]:
    """Files of two build directories that differ (or exist in one only), compared by SHA-256."""

    def digests(root: Path) -> dict[str, str]:
        found = {}
        for path in sorted(root.rglob("*")):
            if path.is_file():
                digest = hashlib.sha256()
                with path.open("rb") as handle:
                    for block in iter(lambda: handle.read(1 << 22), b""):
                        digest.update(block)
                found[path.relative_to(root).as_posix()] = digest.hexdigest()
        return found

    ours, theirs = digests(built), digests(reference)
    return sorted(
        name for name in ours.keys() | theirs.keys() if ours.get(name) != theirs.get(name)
    )


# -- report ---------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    memory_kb = 0
    with open("/proc/meminfo", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next((line.split(":", 1)[1].strip() for line in handle
                        if line.startswith("model name")), "")  # fmt: skip
    except OSError:
        pass
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "publisher"],
        cwd=REPO, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "affinity_cpus": len(os.sched_getaffinity(0)),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "commit": commit + (" (publisher/ modified)" if dirty else ""),
    }


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(results: dict[str, Any], sizes: list[int]) -> str:
    """The measurements of ``sizes`` (results.json may hold older ones too)."""
    header = (
        f"{'people':>8} {'case':<8} {'triples':>9} {'wall s':>8} {'load':>7} {'graph':>7} "
        f"{'shacl':>8} {'dumps':>7} {'peak 1 proc MB':>14} {'tree RSS MB':>11} "
        f"{'tree PSS MB':>11} {'exit':>4}"
    )
    lines = [header, "-" * len(header)]
    for size in sorted({str(size) for size in sizes} & set(results["sizes"]), key=int):
        entry = results["sizes"][size]
        if "skipped" in entry:
            lines.append(f"{int(size):>8} skipped: {entry['skipped']}")
            continue
        for case in ("full", "rebuild"):
            run = entry.get(case)
            if not run:
                continue
            steps = run["steps_s"]

            def step(prefix: str, steps: dict[str, float] = steps) -> float | None:
                return next((v for k, v in steps.items() if k.startswith(prefix)), None)

            lines.append(
                f"{int(size):>8} {case:<8} {run['triples'] or '-':>9} {run['wall_s']:>8.1f} "
                f"{_fmt(step('load')):>7} {_fmt(step('build')):>7} {_fmt(step('validate')):>8} "
                f"{_fmt(step('write')):>7} {_fmt(run['peak_single_process_mb'], 0):>14} "
                f"{_fmt(run['peak_tree_rss_mb'], 0):>11} {_fmt(run['peak_tree_pss_mb'], 0):>11} "
                f"{run['exit_code']:>4}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None, help="passed to emigre build")
    parser.add_argument("--out", type=Path, default=HERE / "out", help="work directory")
    parser.add_argument(
        "--max-estimate", type=float, default=480.0,
        help="skip a size whose full build is estimated (linearly) to take longer (s)",
    )  # fmt: skip
    parser.add_argument("--timeout", type=float, default=None, help="kill a build after (s)")
    parser.add_argument("--no-rebuild", action="store_true", help="skip the one-record rebuild")
    parser.add_argument("--keep", action="store_true", help="keep dist and cache directories")
    parser.add_argument(
        "--verify", action="store_true",
        help="after the rebuild, build the same data with --no-cache and compare every file",
    )  # fmt: skip
    args = parser.parse_args(argv)

    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    results_path = out / "results.json"
    results: dict[str, Any] = {"sizes": {}}
    if results_path.exists():
        results = json.loads(results_path.read_text(encoding="utf-8"))
    results["machine"] = machine()
    code, code_digest = snapshot_code(out)
    results["machine"]["code_sha256"] = code_digest
    previous: tuple[int, float] | None = None
    for people in sorted(args.sizes):
        if previous is not None:
            estimate = previous[1] * people / previous[0]
            if estimate > args.max_estimate:
                note = (
                    f"estimated {estimate:.0f} s from {previous[0]} people "
                    f"(> {args.max_estimate:.0f} s)"
                )
                print(f"== {people} people: skipped, {note}", file=sys.stderr)
                results["sizes"][str(people)] = {"people": people, "skipped": note}
                continue
        data, generated = ensure_data(out, people, args.seed)
        gen_note = f"generated in {generated:.1f} s" if generated is not None else "cached"
        print(f"== {people} people ({data.name}, {gen_note})", file=sys.stderr)
        entry: dict[str, Any] = {
            "people": people,
            "seed": args.seed,
            "measured": {key: results["machine"][key] for key in ("date", "commit", "code_sha256")},
        }
        if generated is not None:
            entry["generate_s"] = round(generated, 2)
        cache = out / f"cache-{people}"
        dist = out / f"dist-{people}"
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(dist, ignore_errors=True)
        logs = out / "logs"
        full = run_build(code, data, dist, cache, logs / f"build-{people}-full.log", args.workers,
                         args.timeout)  # fmt: skip
        entry["full"] = full
        print(f"   full build: {full['wall_s']:.1f} s, exit {full['exit_code']}", file=sys.stderr)
        if full["exit_code"] == 0 and not args.no_rebuild:
            record = pick_record(data, people)
            original = record.read_text(encoding="utf-8")
            try:
                record.write_text(change_claim_date(original), encoding="utf-8")
                rebuild = run_build(code, data, dist, cache, logs / f"build-{people}-rebuild.log",
                                    args.workers, args.timeout)  # fmt: skip
                if args.verify and rebuild["exit_code"] == 0:
                    clean_dist = out / f"dist-{people}-clean"
                    shutil.rmtree(clean_dist, ignore_errors=True)
                    clean = run_build(code, data, clean_dist, None,
                                      logs / f"build-{people}-clean.log", args.workers,
                                      args.timeout)  # fmt: skip
                    differing = differing_files(dist, clean_dist) if clean["exit_code"] == 0 else []
                    rebuild["identical_to_clean_build"] = clean["exit_code"] == 0 and not differing
                    rebuild["differing_files"] = differing
                    shutil.rmtree(clean_dist, ignore_errors=True)
            finally:
                record.write_text(original, encoding="utf-8")
            rebuild["changed_record"] = str(record.relative_to(data))
            entry["rebuild"] = rebuild
            print(f"   rebuild after changing {record.name}: {rebuild['wall_s']:.1f} s, "
                  f"exit {rebuild['exit_code']}", file=sys.stderr)  # fmt: skip
            if "identical_to_clean_build" in rebuild:
                verdict = (
                    "byte-identical to"
                    if rebuild["identical_to_clean_build"]
                    else f"DIFFERENT ({', '.join(rebuild['differing_files'])}) from"
                )
                print(f"   rebuild is {verdict} a --no-cache build of the same data",
                      file=sys.stderr)  # fmt: skip
        if not args.keep:
            shutil.rmtree(cache, ignore_errors=True)
            shutil.rmtree(dist, ignore_errors=True)
        results["sizes"][str(people)] = entry
        results_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n",
                                encoding="utf-8")  # fmt: skip
        if full["exit_code"] != 0:
            print(f"   build failed; see {full['log']}", file=sys.stderr)
            previous = None
            break
        previous = (people, full["wall_s"])
    results_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")  # fmt: skip
    info = results["machine"]
    print(f"\n{info['date']}; {info['nproc']} CPUs ({info['cpu']}), {info['memory_gb']} GB; "
          f"Python {info['python']}; commit {info['commit']}")  # fmt: skip
    print(table(results, args.sizes))
    print(f"\nresults: {results_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
