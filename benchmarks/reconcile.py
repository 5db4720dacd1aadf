"""Reconciliation speed: batches of 10 queries against `emigre serve` over HTTP.

    python3 benchmarks/reconcile.py [--dist benchmarks/out/dist-100000] [--batches 300] [--seed 1]

The default build is the 100,000-person synthetic data set (`run.py --sizes 100000 --keep`
writes it). Measures, in one run on this machine:

- start-up: from launching `emigre serve` (one process) until `/reconcile` answers (everything
  the server loads: the catalog, the SPARQL workers' stores, the OAI-PMH repository, the
  reconciliation index), and the server's resident memory then; the index build alone, in this
  process (`EntityIndex.build` on an opened catalog): its time, how much the resident memory
  grows, and (a second build under tracemalloc) what the index keeps and its peak while built;
- batches of 10 queries, POSTed form-encoded on one keep-alive connection as OpenRefine does,
  one after the other: median, p90, p99 and maximum latency over `--batches` batches. Each
  query names a random person in one of the spellings below, with type Person; a third of them
  also give a property taken from the person's own values (fetched by data extension first);
- whether each query's first candidate was the person it named, and how many were sure matches;
- suggest (a name being typed) and data extension (10 ids, 4 properties): median latency.

Spellings of "Synthetic Person 00042" / "Синтетический Человек 00042": English as published,
Cyrillic as published, the Cyrillic romanised (scholarly, German and French schemes of
`publisher.names`), surname first, and one letter dropped (a typo).
Traffic goes to 127.0.0.1 only. Results are printed and written to benchmarks/out/reconcile.json.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import tracemalloc
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
sys.path.insert(0, str(ROOT))

from publisher.names import SCHEMES  # noqa: E402

BATCH_SIZE = 10
STYLES = ("english", "cyrillic", "scholarly", "german", "french", "surname-first", "typo")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of a process (``VmRSS``, or the peak ``VmHWM``), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def romanise(text: str, scheme: str) -> str:
    """A Cyrillic text in one of publisher.names' schemes, words capitalised."""
    table = SCHEMES[scheme]
    return " ".join(
        "".join(table.get(c, c) for c in word.lower()).capitalize() for word in text.split()
    )


def spelling(number: int, style: str) -> str:
    digits = f"{number:05d}"
    if style == "english":
        return f"Synthetic Person {digits}"
    if style == "cyrillic":
        return f"Синтетический Человек {digits}"
    if style in ("scholarly", "german", "french"):
        return romanise(f"Синтетический Человек {digits}", style)
    if style == "surname-first":
        return f"Person {digits} Synthetic"
    return f"Synthetc Person {digits}"


class Client:
    """One keep-alive HTTP connection to the server."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> object:
        body = urllib.parse.urlencode(form).encode() if form else None
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise SystemExit(f"{method} {path}: {response.status} {data[:300]!r}")
        return json.loads(data)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def index_build(dist: Path) -> dict[str, float]:
    """Open the catalog and build the index in this process: times and resident memory."""
    from publisher.build import read_manifest
    from publisher.catalog import Catalog
    from publisher.reconcile.index import EntityIndex

    base = str(read_manifest(dist)["base_iri"])
    started = time.monotonic()
    catalog = Catalog.open(dist, base)
    opened = time.monotonic()
    before = rss_mb(os.getpid())
    index = EntityIndex.build(catalog)
    built = time.monotonic()
    after = rss_mb(os.getpid())
    records, words = len(index), len(index.words)
    del index
    gc.collect()
    # Once more under tracemalloc: what the index keeps (RSS also counts freed scratch space).
    tracemalloc.start()
    index = EntityIndex.build(catalog)
    gc.collect()
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(index) == records  # (alive until measured)
    return {
        "records": records,
        "words": words,
        "catalog_open_s": round(opened - started, 1),
        "index_build_s": round(built - opened, 1),
        "index_rss_growth_mb": round(after - before),
        "index_kept_mb": round(kept / 2**20),
        "index_build_peak_mb": round(peak / 2**20),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dist", type=Path, default=OUT / "dist-100000")
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--people", type=int, default=100_000, help="people in the data (synthetic-person-N)"
    )
    parser.add_argument("--no-in-process", action="store_true", help="skip the in-process build")
    args = parser.parse_args()
    dist: Path = args.dist
    if not (dist / "emigre.nt").exists():
        raise SystemExit(f"{dist} is not a build (run benchmarks/run.py --sizes 100000 --keep)")
    results: dict[str, object] = {"dist": str(dist), "nproc": os.cpu_count()}
    results["load_before"] = os.getloadavg()[0]
    port = free_port()
    started = time.monotonic()
    server = subprocess.Popen(
        [sys.executable, "-m", "publisher", "serve", "--dist", str(dist), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=(OUT / "reconcile-serve.log").open("w"),
        start_new_session=True,
    )
    try:
        while True:
            try:
                client = Client(port)
                manifest = client.request("GET", "/reconcile")
                break
            except (OSError, http.client.HTTPException):
                if server.poll() is not None or time.monotonic() - started > 900:
                    raise SystemExit("the server did not start; see reconcile-serve.log") from None
                time.sleep(0.1)
        results["startup_s"] = round(time.monotonic() - started, 1)
        results["server_rss_mb"] = round(rss_mb(server.pid))
        assert isinstance(manifest, dict) and manifest["batchSize"] >= BATCH_SIZE
        print(f"server answered after {results['startup_s']} s", flush=True)

        generator = random.Random(args.seed)
        people = [generator.randrange(args.people) for _ in range(args.batches * BATCH_SIZE)]
        # The properties of the people who will be queried with one (not timed).
        with_property = set(people[::3])
        facts: dict[int, dict[str, list[dict[str, object]]]] = {}
        chosen = sorted(with_property)
        for start in range(0, len(chosen), 100):
            ids = [f"person/synthetic-person-{n:05d}" for n in chosen[start : start + 100]]
            extension = {
                "ids": ids,
                "properties": [{"id": p} for p in ("birthYear", "occupation", "destination")],
            }
            rows = client.request("POST", "/reconcile", {"extend": json.dumps(extension)})
            assert isinstance(rows, dict)
            for record_id, values in rows["rows"].items():
                facts[int(record_id.rsplit("-", 1)[1])] = values

        def query(number: int, index: int) -> dict[str, object]:
            style = STYLES[index % len(STYLES)]
            found: dict[str, object] = {"query": spelling(number, style), "type": "Person"}
            values = facts.get(number, {}) if number in with_property else {}
            for property_id in ("birthYear", "occupation", "destination"):
                if values.get(property_id):
                    value = values[property_id][0]
                    v = value.get("int", value.get("id"))
                    found["properties"] = [{"pid": property_id, "v": v}]
                    break
            return found

        timings: list[float] = []
        first_right = sure = total = 0
        for batch_number in range(args.batches):
            members = people[batch_number * BATCH_SIZE : (batch_number + 1) * BATCH_SIZE]
            batch = {
                f"q{i}": query(n, batch_number * BATCH_SIZE + i) for i, n in enumerate(members)
            }
            form = {"queries": json.dumps(batch, ensure_ascii=False)}
            began = time.perf_counter()
            answer = client.request("POST", "/reconcile", form)
            timings.append((time.perf_counter() - began) * 1000)
            assert isinstance(answer, dict)
            for i, number in enumerate(members):
                candidates = answer[f"q{i}"]["result"]
                total += 1
                if candidates and candidates[0]["id"] == f"person/synthetic-person-{number:05d}":
                    first_right += 1
                    sure += bool(candidates[0]["match"])
        results["batch_ms"] = {
            "batches": len(timings),
            "median": round(statistics.median(timings), 1),
            "p90": round(percentile(timings, 0.9), 1),
            "p99": round(percentile(timings, 0.99), 1),
            "max": round(max(timings), 1),
            "first_batch": round(timings[0], 1),
        }
        results["queries"] = {"total": total, "first_right": first_right, "sure_matches": sure}
        print("batches of 10:", results["batch_ms"], results["queries"], flush=True)

        def median_ms(action: object, repeat: int = 50) -> float:
            samples = []
            for _ in range(repeat):
                began = time.perf_counter()
                action()  # type: ignore[operator]
                samples.append((time.perf_counter() - began) * 1000)
            return round(statistics.median(samples), 1)

        prefixes = [
            "Synthetic Person 0421",
            "Синтетический Чел",
            "Synth",
            "person/synthetic-person-00042",
        ]
        results["suggest_ms"] = {
            prefix: median_ms(
                lambda prefix=prefix: client.request(
                    "GET", "/reconcile/suggest/entity?" + urllib.parse.urlencode({"prefix": prefix})
                ),
                20,
            )
            for prefix in prefixes
        }
        ids = [f"person/synthetic-person-{n:05d}" for n in people[:10]]
        extension = {
            "ids": ids,
            "properties": [{"id": p} for p in ("birthDate", "occupation", "destination", "wave")],
        }
        results["extend_10_ids_ms"] = median_ms(
            lambda: client.request("POST", "/reconcile", {"extend": json.dumps(extension)})
        )
        results["server_peak_rss_mb"] = round(rss_mb(server.pid, "VmHWM"))
    finally:
        os.killpg(server.pid, 15)
        server.wait(30)
    results["load_after"] = os.getloadavg()[0]
    if not args.no_in_process:
        results["in_process"] = index_build(dist)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "reconcile.json").write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
