"""Serving speed: `emigre serve` against nginx on the static site, and SPARQL against pyoxigraph.

    python3 benchmarks/serve.py [--dist DIST] [--seconds 10] [--connections 50]

With no --dist the real data is built into benchmarks/out/dist-real (with its static site).
Measures, in one run on this machine:
- entity documents with content negotiation (`/doc/{kind}/{slug}` with rotating Accept headers)
  on `emigre serve --workers 2` and on nginx serving dist/site with the generated configuration:
  requests/s and latency percentiles from wrk (Debian package wrk), 50 connections;
- the median latency of entity lookups (/id → 303) and of DESCRIBE over HTTP;
- each example query in examples/queries/ over HTTP against pyoxigraph in-process on the same
  data (median of repeated runs), and the ratio.
Traffic goes to 127.0.0.1 only. Results are printed and written to benchmarks/out/serve.json.
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

import pyoxigraph

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
JS_MODULES = (
    "/usr/lib/nginx/modules/ngx_http_js_module.so",
    "/usr/share/nginx/modules/ngx_http_js_module.so",
)
ACCEPTS = (
    "text/turtle",
    "text/html,application/xhtml+xml,*/*;q=0.8",
    "application/ld+json",
    "application/n-triples",
)


def free_ports(count: int) -> list[int]:
    """Distinct free ports (the sockets stay open until all are chosen)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def wait_for(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds} s")


def document_paths(dist: Path, limit: int = 2000) -> list[str]:
    """Record documents to request: from site/ when written, else from the N-Triples dump."""
    if (dist / "site" / "doc").is_dir():
        paths = sorted((dist / "site" / "doc").glob("*/*.ttl"))[:limit]
        return [f"/doc/{p.parent.name}/{p.stem}" for p in paths]
    base = json.loads((dist / "build.json").read_text("utf-8"))["base_iri"]
    pattern = re.compile(rf"^<{re.escape(base)}id/(person|place|work|group)/([a-z0-9-]+)> ")
    found: list[str] = []
    with (dist / "emigre.nt").open(encoding="utf-8") as lines:
        for line in lines:
            match = pattern.match(line)
            if match and (not found or found[-1] != f"/doc/{match[1]}/{match[2]}"):
                found.append(f"/doc/{match[1]}/{match[2]}")
                if len(found) >= limit:
                    break
    return found


def wrk(url: str, paths: list[str], seconds: int, connections: int) -> dict[str, float]:
    script = Path(tempfile.mkdtemp()) / "rotate.lua"
    lua_paths = ",".join(json.dumps(p) for p in paths)
    lua_accepts = ",".join(json.dumps(a) for a in ACCEPTS)
    script.write_text(
        f"paths = {{{lua_paths}}}\naccepts = {{{lua_accepts}}}\ncounter = 0\n"
        "request = function()\n  counter = counter + 1\n"
        "  local path = paths[(counter % #paths) + 1]\n"
        "  local accept = accepts[(counter % #accepts) + 1]\n"
        '  return wrk.format("GET", path, {["Accept"] = accept})\nend\n',
        encoding="utf-8",
    )
    completed = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    )
    text = completed.stdout

    def millis(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    return {
        "requests_per_s": float(rate.group(1)) if rate else float("nan"),
        "p50_ms": millis("50"),
        "p99_ms": millis("99"),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
    }


def median_ms(action, repeat: int = 15) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def fetch(url: str, accept: str, data: bytes | None = None) -> bytes:
    request = urllib.request.Request(url, data=data, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.read()


def engine_ms(url: str, data: bytes, repeat: int) -> float:
    """Median of the time the query took in its worker (the endpoint's Server-Timing header)."""
    timings = []
    for _ in range(repeat):
        request = urllib.request.Request(
            url, data=data, headers={"Accept": "application/sparql-results+json"}
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            timing = response.headers["Server-Timing"]
        timings.append(float(timing.partition("dur=")[2]))
    return statistics.median(timings)


def start_nginx(dist: Path, port: int) -> subprocess.Popen[bytes]:
    sys.path.insert(0, str(ROOT))
    from publisher.site import nginx

    module = next((m for m in JS_MODULES if Path(m).is_file()), None)
    if module is None or shutil.which("nginx") is None:
        raise SystemExit("nginx with njs is needed (bash .ci/install)")
    runtime = Path(tempfile.mkdtemp(prefix="emigre-nginx-"))
    lifecycle = json.loads((dist / "lifecycle.json").read_text("utf-8"))
    conf = nginx.render_nginx_conf(
        (dist / "site").resolve(),
        f"127.0.0.1:{port}",
        lifecycle,
        runtime_dir=runtime,
        js_module=module,
        user="root" if os.geteuid() == 0 else None,
    )
    (runtime / "nginx.conf").write_text(conf, "utf-8")
    return subprocess.Popen(
        [
            "nginx",
            "-p",
            str(runtime),
            "-c",
            str(runtime / "nginx.conf"),
            "-e",
            str(runtime / "e.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--dist", type=Path, help="a build directory with its site/ (default: build the real data)"
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=7, help="runs per example query")
    parser.add_argument(
        "--query-timeout", type=float, default=120.0, help="the server's SPARQL time limit (s)"
    )
    args = parser.parse_args()
    dist = args.dist
    if dist is None:
        dist = OUT / "dist-real"
        subprocess.run(
            [sys.executable, "-m", "publisher", "build", "--out", str(dist)], check=True, cwd=ROOT
        )
    results: dict[str, object] = {"dist": str(dist), "nproc": os.cpu_count()}
    server_port, nginx_port = free_ports(2)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "publisher",
            "serve",
            "--dist",
            str(dist),
            "--port",
            str(server_port),
            "--workers",
            "2",
            "--query-timeout",
            str(args.query_timeout),
        ],
        stdout=subprocess.DEVNULL,
        stderr=(OUT / "serve.log").open("w"),
        start_new_session=True,
    )
    has_site = (dist / "site").is_dir()
    web = start_nginx(dist, nginx_port) if has_site else None
    try:
        server_url, nginx_url = f"http://127.0.0.1:{server_port}", f"http://127.0.0.1:{nginx_port}"
        wait_for(f"{server_url}/robots.txt", seconds=900)
        if web is not None:
            wait_for(f"{nginx_url}/robots.txt")
        paths = document_paths(dist)
        for path in paths[:200]:  # warm both: the server renders each document once
            for accept in ACCEPTS:
                fetch(server_url + path, accept)
        results["server"] = wrk(server_url, paths, args.seconds, args.connections)
        print("server", results["server"], flush=True)
        if web is not None:
            results["nginx"] = wrk(nginx_url, paths, args.seconds, args.connections)
        sample = paths[len(paths) // 2]
        kind, slug = sample.split("/")[2:4]
        iri = f"{json.loads((dist / 'build.json').read_text())['base_iri']}id/{kind}/{slug}"

        def lookup() -> None:
            request = urllib.request.Request(
                f"{server_url}/id/{kind}/{slug}", headers={"Accept": "text/turtle"}, method="HEAD"
            )
            opener = urllib.request.build_opener(NoRedirect)
            try:
                opener.open(request, timeout=30)
            except urllib.error.HTTPError as error:
                assert error.code == 303, error.code

        describe = urllib.parse.urlencode({"query": f"DESCRIBE <{iri}>"}).encode()
        results["lookup_median_ms"] = median_ms(lookup)
        results["describe_median_ms"] = median_ms(
            lambda: fetch(f"{server_url}/sparql", "text/turtle", describe)
        )
        store = pyoxigraph.Store()
        store.bulk_load(path=str(dist / "emigre.nt"), format=pyoxigraph.RdfFormat.N_TRIPLES)
        queries = {}
        for path in sorted((ROOT / "examples" / "queries").glob("*.rq")):
            text = path.read_text("utf-8")
            if "SERVICE" in text.upper().split("WHERE", 1)[-1]:
                continue
            body = urllib.parse.urlencode({"query": text}).encode()
            try:
                # Steady state: every query worker of both server processes has run it once.
                for _ in range(8):
                    fetch(f"{server_url}/sparql", "application/sparql-results+json", body)
                _run_local(store, text)
            except urllib.error.HTTPError as error:
                queries[path.name] = {"http_status": error.code}
                print(path.name, "failed:", error.code, flush=True)
                continue
            http_ms = median_ms(
                lambda body=body: fetch(
                    f"{server_url}/sparql", "application/sparql-results+json", body
                ),
                args.repeat,
            )
            local_ms = median_ms(lambda text=text: _run_local(store, text), args.repeat)
            queries[path.name] = {
                "http_ms": http_ms,
                "worker_ms": engine_ms(f"{server_url}/sparql", body, args.repeat),
                "in_process_ms": local_ms,
                "ratio": http_ms / local_ms,
            }
        results["queries"] = queries
    finally:
        for process in (server, web):
            if process is not None:
                os.killpg(process.pid, 15)
                process.wait(10)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "serve.json").write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    print(json.dumps(results, indent=2))


def _run_local(store: pyoxigraph.Store, text: str) -> None:
    result = store.query(text)
    # The same serialization work the endpoint does.
    result.serialize(format=pyoxigraph.QueryResultsFormat.JSON)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


if __name__ == "__main__":
    main()
