"""OAI-PMH harvest speed: a full ListRecords harvest with a stock harvester (oaipmh-scythe).

    python3 benchmarks/oai.py [--dist DIST] [--page-size 100 500] [--prefix oai_dc]

DIST (default benchmarks/out/dist-100000-oai: the 100,000-person synthetic data built with
``emigre build --no-site --release-date …``) is served by ``python -m publisher serve`` on
127.0.0.1 with each ``--oai-page-size`` in turn; for each, oaipmh-scythe harvests every record
(``Scythe(url).list_records(metadata_prefix=…)``, following resumption tokens) and the wall
time from the first request to the last record is measured, with the number of records and
requests, the records per second, and the 1-minute load average before and after (the machine
is shared: a load above the core count means the figures are pessimistic). The server's start
(loading the dump into its stores) is timed separately and not counted.

Results are printed and written to benchmarks/out/oai.json. Target: under 60 s for the full
oai_dc harvest of the 100,000-person dist.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from oaipmh_scythe import Scythe
from oaipmh_scythe.config import HTTPConfig

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(dist: Path, page_size: int, log: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    """Start the server and wait until it answers; returns it, its /oai URL, seconds to start."""
    port = free_port()
    argv = [sys.executable, "-m", "publisher", "serve", "--dist", str(dist), "--port", str(port)]
    argv += ["--oai-page-size", str(page_size)]
    started = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}/oai"
    while process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}?verb=Identify", timeout=5) as response:
                if response.status == 200:
                    return process, url, time.perf_counter() - started
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server did not start: {log.read_text('utf-8', 'replace')[-2000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def settle(seconds: float) -> None:
    """Wait until the 1-minute load average falls below the core count, or ``seconds`` pass
    (the server's SPARQL workers load the dump in the background after it answers)."""
    deadline = time.monotonic() + seconds
    cores = os.cpu_count() or 1
    while time.monotonic() < deadline and os.getloadavg()[0] > cores:
        time.sleep(2)


def harvest(url: str, prefix: str) -> dict[str, float]:
    """One full ListRecords harvest; counts records, deleted ones and requests."""
    requests = 0
    records = deleted = 0
    config = HTTPConfig(timeout=300)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with Scythe(url, http_config=config) as scythe:
        original = scythe._request

        def counted(query: dict[str, str]) -> object:
            nonlocal requests
            requests += 1
            return original(query)

        scythe._request = counted  # type: ignore[method-assign]
        for record in scythe.list_records(metadata_prefix=prefix):
            records += 1
            deleted += bool(getattr(record, "deleted", False))
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 2),
        "records": records,
        "deleted": deleted,
        "requests": requests,
        "records_per_s": round(records / seconds, 1),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=OUT / "dist-100000-oai")
    parser.add_argument("--page-size", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--prefix", default="oai_dc")
    parser.add_argument(
        "--settle", type=float, default=120, help="seconds to wait for a quiet machine"
    )
    args = parser.parse_args()
    if not (args.dist / "release.json").is_file():
        raise SystemExit(f"{args.dist}: no release.json (build it with emigre build --no-site)")
    results: dict[str, object] = {"dist": str(args.dist), "nproc": os.cpu_count(), "runs": []}
    for page_size in args.page_size:
        log = OUT / f"oai-serve-{page_size}.log"
        process, url, startup = start(args.dist, page_size, log)
        try:
            settle(args.settle)
            run = {
                "page_size": page_size,
                "prefix": args.prefix,
                "server_start_s": round(startup, 1),
            }
            run.update(harvest(url, args.prefix))
        finally:
            stop(process)
        print(json.dumps(run), flush=True)
        results["runs"].append(run)  # type: ignore[union-attr]
    (OUT / "oai.json").write_text(json.dumps(results, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
