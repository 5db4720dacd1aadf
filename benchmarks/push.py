"""Push speed: `emigre push` against a plain `curl -T` PUT of the same dump into the same store.

    python3 benchmarks/push.py [--dist benchmarks/out/dist-100000] [--repeat 3]
                               [--store memory|disk] [--lines N]
                               [--scenario first|replace|diff|all] [--transactional]

Each measurement gets a fresh `oxigraph serve` on 127.0.0.1 (in memory, or on a new directory
with --store disk): like with like. Two scenarios:

- **first**: the store is empty; a push loads the empty target directly (one transactional
  PUT, then COUNT);
- **replace**: the target already holds the previous release (loaded before the clock starts,
  with the bulk loader): here the dump with every 100th line left out and every 100th line
  (the 50th, 150th, …) changed, a 2 % change. A push of a build without a diff loads a staging
  graph, counts it, swaps it in (DELETE/INSERT of the difference), counts the target and drops
  the staging graph;
- **diff**: the same store, marked as holding that previous release (as a push would have left
  it), and a build that carries the diff from it (benchmarks/out/push-diff-*: the dump, and
  the diff's two files and release-diff.json as `emigre build --previous-release` writes them):
  the push stages and applies only the diff.

For each repetition, in alternating order:

- **curl**: `curl -T emigre.nt -H 'Content-Type: application/n-triples' URL/store?graph=G`,
  the plain upload a library would otherwise do (no verification: Oxigraph replaces the graph
  in one transaction, with whatever body it was given);
- **push**: `python -m publisher push --dist … --endpoint URL --graph G` (wall time of the whole
  command, Python start-up and the verification counts included), and its own step times.

--lines N pushes the first N lines of the dump (a valid, smaller N-Triples file) from a sample
build directory in benchmarks/out/, for the disk-backed store, whose loads are much slower.
--transactional adds a third measurement, `push --no-bulk-staging` (replace only). Results are
printed and written to benchmarks/out/push-{store}[-N].json. The issue's target: push
≤ 1.25 × curl.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from publisher.checksums import sha256_file
from publisher.push.delta import marker_update

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
GRAPH = "https://w3id.org/emigre/id/dataset"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def count(base: str, graph: str) -> int:
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    request = urllib.request.Request(
        f"{base}/query",
        data=urllib.parse.urlencode({"query": query}).encode(),
        headers={"Accept": "application/sparql-results+json"},
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        return int(json.load(response)["results"]["bindings"][0]["n"]["value"])


class Oxigraph:
    """A fresh `oxigraph serve` (in memory or on a new directory), stopped on exit."""

    def __init__(self, disk: bool) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.directory = Path(tempfile.mkdtemp(prefix="push-bench-", dir=OUT)) if disk else None
        command = [
            shutil.which("oxigraph") or "oxigraph",
            "serve",
            "--bind",
            f"127.0.0.1:{self.port}",
        ]
        if self.directory is not None:
            command += ["--location", str(self.directory)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def __enter__(self) -> Oxigraph:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base}/query?query=ASK%7B%7D", timeout=2):
                    return self
            except OSError:
                time.sleep(0.1)
        raise SystemExit("oxigraph did not start")

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)


def sample_dist(dist: Path, lines: int) -> Path:
    """A build directory holding the first ``lines`` lines of the dump (and build.json)."""
    target = OUT / f"push-sample-{lines}"
    dump = target / "emigre.nt"
    if not dump.exists():
        target.mkdir(parents=True, exist_ok=True)
        with (dist / "emigre.nt").open("rb") as source, (target / ".part").open("wb") as out:
            for _, line in zip(range(lines), source, strict=False):
                out.write(line)
        (target / ".part").rename(dump)
        shutil.copy(dist / "build.json", target / "build.json")
    return target


def previous_release(dist: Path) -> Path:
    """A previous release 2 % away from the dump: every 100th line left out, and every 100th
    line from the 50th on with another subject (``…-old``)."""
    previous = dist / "previous.nt"
    if not previous.exists():
        with (dist / "emigre.nt").open("rb") as source, (dist / ".part").open("wb") as out:
            for number, line in enumerate(source, 1):
                if number % 100 == 50:
                    out.write(line.replace(b">", b"-old>", 1))
                elif number % 100:
                    out.write(line)
        (dist / ".part").rename(previous)
    return previous


def diff_build(dist: Path, previous: Path) -> Path:
    """A build directory holding the dump and the diff from ``previous`` to it, as
    ``emigre build --previous-release`` writes them (the dump itself is a hard link)."""
    target = OUT / f"push-diff-{dist.name}"
    if (target / "release-diff.json").exists():
        return target
    target.mkdir(parents=True, exist_ok=True)
    if not (target / "emigre.nt").exists():
        os.link(dist / "emigre.nt", target / "emigre.nt")
    for name in ("build.json", "SHA256SUMS"):
        if (dist / name).exists():
            shutil.copy(dist / name, target / name)
    added = removed = 0
    with (
        (dist / "emigre.nt").open("rb") as source,
        (target / "release-diff-added.nt").open("wb") as added_file,
        (target / "release-diff-removed.nt").open("wb") as removed_file,
    ):
        for number, line in enumerate(source, 1):
            if number % 100 == 0:
                added_file.write(line)
                added += 1
            elif number % 100 == 50:
                added_file.write(line)
                removed_file.write(line.replace(b">", b"-old>", 1))
                added += 1
                removed += 1
    diff = {
        "format": "emigre-release-diff/1",
        "triples": {
            "added": added,
            "removed": removed,
            "added_file": "release-diff-added.nt",
            "removed_file": "release-diff-removed.nt",
            "from_dump_sha256": sha256_file(previous),
        },
    }
    (target / "release-diff.json").write_text(json.dumps(diff, indent=1) + "\n", "utf-8")
    return target


def line_count(path: Path) -> int:
    with path.open("rb") as lines:
        return sum(1 for _ in lines)


def curl_put(base: str, dump: Path, query: str = "") -> float:
    url = f"{base}/store?graph={urllib.parse.quote(GRAPH, safe='')}{query}"
    start = time.perf_counter()
    subprocess.run(
        [
            "curl",
            "-sS",
            "--fail",
            "-o",
            "/dev/null",
            "-T",
            str(dump),
            "-H",
            "Content-Type: application/n-triples",
            url,
        ],
        check=True,
    )
    return time.perf_counter() - start


class Store(Oxigraph):
    """A fresh Oxigraph for one measurement; for ``replace`` and ``diff``, holding the previous
    release (for ``diff``, marked as a push marks it)."""

    def __init__(self, disk: bool, previous: Path | None, marked: bool = False) -> None:
        super().__init__(disk)
        self.previous = previous
        self.marked = marked

    def __enter__(self) -> Store:
        super().__enter__()
        if self.previous is not None:
            curl_put(self.base, self.previous, "&no_transaction")
            if self.marked:
                update = marker_update(GRAPH, sha256_file(self.previous), line_count(self.previous))
                request = urllib.request.Request(
                    f"{self.base}/update", data=urllib.parse.urlencode({"update": update}).encode()
                )
                urllib.request.urlopen(request, timeout=600).read()
        return self


def time_curl(dist: Path, disk: bool, previous: Path | None) -> dict[str, float]:
    with Store(disk, previous) as store:
        seconds = curl_put(store.base, dist / "emigre.nt")
        return {"seconds": seconds, "triples": count(store.base, GRAPH)}


def time_push(
    dist: Path, disk: bool, previous: Path | None, *options: str, marked: bool = False
) -> dict[str, object]:
    with Store(disk, previous, marked) as store:
        start = time.perf_counter()
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "publisher",
                "push",
                "--dist",
                str(dist),
                "--endpoint",
                store.base,
                "--graph",
                GRAPH,
                *options,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - start
        if completed.returncode != 0:
            raise SystemExit(f"push failed:\n{completed.stdout}\n{completed.stderr}")
        # "Time: 3.10 s (count 0.01 s, upload 1.20 s, ...)": the push's own step times.
        listed = completed.stdout.split("Time:", 1)[1].split("(", 1)[1]
        steps = {
            name: float(value) for name, value in re.findall(r"([a-z][a-z ]*) ([0-9.]+) s", listed)
        }
        return {"seconds": seconds, "triples": count(store.base, GRAPH), "steps": steps}


def measure(
    dist: Path,
    disk: bool,
    previous: Path | None,
    repeat: int,
    transactional: bool,
    push_dist: Path | None = None,
) -> list[dict[str, object]]:
    """Alternating curl and push; ``push_dist`` (with a diff) is pushed into a marked store."""
    runs: list[dict[str, object]] = []
    for repetition in range(repeat):
        load = os.getloadavg()[0]
        kinds = ["curl", "push"] if repetition % 2 == 0 else ["push", "curl"]
        if transactional and previous is not None:
            kinds.append("push --no-bulk-staging")
        run: dict[str, object] = {"load_before": load}
        for kind in kinds:
            if kind == "curl":
                run[kind] = time_curl(dist, disk, previous)
            elif push_dist is not None:
                run[kind] = time_push(push_dist, disk, previous, marked=True)
            else:
                run[kind] = time_push(dist, disk, previous, *kind.split()[1:])
            result = run[kind]
            assert isinstance(result, dict)
            print(
                f"  {repetition + 1}. {kind:<20} {result['seconds']:7.2f} s  "
                f"{result['triples']:,} triples  {result.get('steps', '')}"
            )
        runs.append(run)
    return runs


def summarize(runs: list[dict[str, object]]) -> dict[str, object]:
    summary: dict[str, object] = {}
    curl = [r["curl"]["seconds"] for r in runs]  # type: ignore[index]
    summary["curl_median_seconds"] = statistics.median(curl)
    for kind in ("push", "push --no-bulk-staging"):
        if kind not in runs[0]:
            continue
        pushed = [r[kind]["seconds"] for r in runs]  # type: ignore[index]
        ratios = [p / c for p, c in zip(pushed, curl, strict=True)]
        summary[kind] = {
            "median_seconds": statistics.median(pushed),
            "ratios": ratios,
            "median_ratio": statistics.median(ratios),
        }
        print(
            f"  {kind}: median {statistics.median(pushed):.2f} s; ratio to curl "
            f"{', '.join(f'{r:.2f}' for r in ratios)} (median {statistics.median(ratios):.2f}; "
            f"target ≤ 1.25)"
        )
    print(f"  curl: median {statistics.median(curl):.2f} s")
    return summary


def main(argv: list[str] | None = None) -> int:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=OUT / "dist-100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--store", choices=["memory", "disk"], default="memory")
    parser.add_argument("--lines", type=int, default=0, help="push only the dump's first N lines")
    parser.add_argument("--scenario", choices=["first", "replace", "diff", "all"], default="all")
    parser.add_argument(
        "--transactional", action="store_true", help="also time push --no-bulk-staging"
    )
    args = parser.parse_args(argv)
    if not (args.dist / "emigre.nt").exists():
        raise SystemExit(f"{args.dist}/emigre.nt missing: run benchmarks/run.py --keep first")
    dist = sample_dist(args.dist, args.lines) if args.lines else args.dist
    disk = args.store == "disk"
    size = (dist / "emigre.nt").stat().st_size
    print(f"{dist}/emigre.nt: {size:,} bytes; Oxigraph {args.store}; {args.repeat} repetitions")
    scenarios = ["first", "replace", "diff"] if args.scenario == "all" else [args.scenario]
    results: dict[str, object] = {}
    for scenario in scenarios:
        previous = previous_release(dist) if scenario != "first" else None
        push_dist = diff_build(dist, previous) if scenario == "diff" and previous else None
        print(f"{scenario}:")
        runs = measure(dist, disk, previous, args.repeat, args.transactional, push_dist)
        results[scenario] = {"runs": runs, "summary": summarize(runs)}
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    result = {
        "commit": commit,
        "dist": str(dist),
        "bytes": size,
        "store": args.store,
        "scenarios": results,
    }
    name = f"push-{args.store}" + (f"-{args.lines}" if args.lines else "") + ".json"
    (OUT / name).write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    print(f"wrote {OUT / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
