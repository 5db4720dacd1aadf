"""Fixtures of the end-to-end server tests: a release built from the fixture data, and the real
server (``python -m publisher serve``) on 127.0.0.1, started as a subprocess and stopped after.

Test modules import the fixtures they use (``from server_fixtures import server``). pytest then
holds one copy of a session fixture per importing module; the copies share one build and one
server per configuration through :data:`_SHARED`, and each stops the server at the end of the
session (stopping twice is harmless).

The release data are ``tests/fixtures/data`` copied and changed (nothing is written to the
checkout): ``person/rachmaninoff`` renamed to ``person/sergei-rachmaninoff``, ``person/bunin``
withdrawn (its file deleted; nothing referred to it), both in ``lifecycle.yaml``, and a fictional
person whose name and strings carry HTML and script payloads (:data:`XSS_NAME`).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURE_DATA_DIR = REPO_ROOT / "tests" / "fixtures" / "data"

#: ``(old reference, new reference)`` of the renamed record.
RENAMED = ("person/rachmaninoff", "person/sergei-rachmaninoff")
#: The withdrawn record.
WITHDRAWN = "person/bunin"
XSS_SLUG = "xss-test-person"
#: The name of the XSS record: a script element, an event handler, and a stray end tag.
XSS_NAME = (
    'Xss <script>window.__xss=1</script> <img src=x onerror="window.__xss=2"> </script> Person'
)
XSS_DESCRIPTION = "Payload </script><script>window.__xss=3</script>"
#: Excerpts carry payloads that would open dialogs, so the browser tests can listen for them.
XSS_EXCERPT = 'excerpt <script>alert(4)</script> <svg onload="alert(5)"></svg> </script>'

#: Options of the server with small limits (time, rows): see ``limited_server``.
LIMITED_QUERY_TIMEOUT = 1.0
LIMITED_MAX_ROWS = 20

#: How long a server may take to answer after it is started.
STARTUP_SECONDS = 60.0


# --- The release -------------------------------------------------------------------------------


def write_release_data(target: Path) -> Path:
    """Copy the fixture data to ``target`` with one rename, one withdrawal and the XSS record."""
    shutil.copytree(FIXTURE_DATA_DIR, target)
    old_slug, new_slug = (ref.split("/", 1)[1] for ref in RENAMED)
    renamed = yaml.safe_load((target / "people" / f"{old_slug}.yaml").read_text("utf-8"))
    renamed["slug"] = new_slug
    _write_yaml(target / "people" / f"{new_slug}.yaml", renamed)
    (target / "people" / f"{old_slug}.yaml").unlink()
    withdrawn_slug = WITHDRAWN.split("/", 1)[1]
    (target / "people" / f"{withdrawn_slug}.yaml").unlink()
    _write_yaml(
        target / "lifecycle.yaml",
        {
            "renamed": [{"from": RENAMED[0], "to": RENAMED[1], "date": "2026-11"}],
            "withdrawn": [{"ref": WITHDRAWN, "date": "2026-11-20"}],
        },
    )
    _write_yaml(
        target / "people" / f"{XSS_SLUG}.yaml",
        {
            "slug": XSS_SLUG,
            "name": {"en": XSS_NAME},
            "alternate_names": [{"en": "Xss Test Person"}],
            "description": {"en": XSS_DESCRIPTION},
            "link_state": "no-item",
            "emigrations": [
                {
                    "key": "2022",
                    "date": "2022",
                    "to": ["place/germany"],
                    "wave": "wave/2022",
                    "cite": [{"source": "source/fictional-test-source", "excerpt": XSS_EXCERPT}],
                }
            ],
        },
    )
    return target


def _write_yaml(path: Path, value: object) -> None:
    text = yaml.safe_dump(value, allow_unicode=True, sort_keys=False)
    path.write_text(text, "utf-8")
    assert yaml.safe_load(path.read_text("utf-8")) == value, f"{path} does not load back"


def build_release(data_dir: Path, out_dir: Path) -> Path:
    """``python -m publisher build --data DATA --out OUT --no-cache``; fails the test on error."""
    options = ["--data", str(data_dir), "--out", str(out_dir), "--no-cache"]
    completed = subprocess.run(
        [sys.executable, "-m", "publisher", "build", *options],
        cwd=out_dir.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, f"build failed:\n{completed.stdout}\n{completed.stderr}"
    return out_dir


# --- Servers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    """A response read whole: status, headers (case-insensitive), body."""

    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (bytes that are not UTF-8 replaced)."""
        return self.body.decode("utf-8", "replace")

    @property
    def media_type(self) -> str:
        """The Content-Type without parameters, in lower case ('' when absent)."""
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()


@dataclass
class RunningServer:
    """A server subprocess listening on 127.0.0.1:``port``."""

    port: int
    dist_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    command: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """The absolute URL of ``path``."""
        return self.base + path

    def fetch(
        self,
        path: str,
        headers: Mapping[str, str | bytes] | None = None,
        *,
        method: str = "GET",
        body: bytes | None = None,
        timeout: float = 30.0,
    ) -> Response:
        """Send one request with ``http.client``: the path and header values go out as given
        (no normalisation, no redirects followed; bytes values are sent raw)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            for name, value in (headers or {}).items():
                connection.putheader(name, value)
            if body is not None:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            return Response(response.status, response.headers, response.read())
        finally:
            connection.close()

    def log(self) -> str:
        """What the server wrote to stdout and stderr so far."""
        return self.log_path.read_text("utf-8", "replace")


def free_port() -> int:
    """A TCP port nothing listens on now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(
    dist_dir: Path,
    *options: str,
    log_dir: Path,
    command: Sequence[str] = (sys.executable, "-m", "publisher", "serve"),
) -> RunningServer:
    """Start ``command --dist DIST --host 127.0.0.1 --port PORT OPTIONS`` and wait until it answers.

    It has answered when ``/SHA256SUMS`` returns the file of ``dist_dir``, which proves the port
    is ours and not another program's. A port taken between choosing and binding it is retried.
    """
    expected = (dist_dir / "SHA256SUMS").read_bytes()
    failures: list[str] = []
    for _ in range(3):
        port = free_port()
        log_path = log_dir / f"server-{port}.log"
        argv = [*command, "--dist", str(dist_dir), "--host", "127.0.0.1", "--port", str(port)]
        argv += options
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=log_dir,
                start_new_session=True,  # its SPARQL workers can be stopped with it
            )
        server = RunningServer(port, dist_dir, process, log_path, argv)
        if _wait_until_serving(server, expected):
            return server
        stop_server(server)
        failures.append(f"{' '.join(argv)}:\n{server.log()[-2000:]}")
        if "address already in use" not in server.log():
            break
    raise RuntimeError("the server did not start:\n" + "\n".join(failures))


def _wait_until_serving(server: RunningServer, expected: bytes) -> bool:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            response = server.fetch("/SHA256SUMS", timeout=2)
        except OSError:
            time.sleep(0.05)
            continue
        if response.status == 200 and response.body == expected:
            return server.process.poll() is None
        time.sleep(0.05)
    return False


def stop_server(server: RunningServer) -> None:
    """Stop the server (SIGTERM, then SIGKILL to its process group) and wait for it."""
    process = server.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
    # The group is the server's own session: its SPARQL worker processes, if any outlived it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=15)


# --- Fixtures -----------------------------------------------------------------------------------

#: The build and the servers, made once per test session whichever module asks first.
_SHARED: dict[str, Any] = {}


def _shared_server(key: str, dist_dir: Path, *options: str) -> RunningServer:
    running: RunningServer | None = _SHARED.get(key)
    if running is None or running.process.poll() is not None:
        log_dir = dist_dir.parent / "logs"
        log_dir.mkdir(exist_ok=True)
        running = _SHARED[key] = start_server(dist_dir, *options, log_dir=log_dir)
    return running


@pytest.fixture(scope="session")
def release_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build (``python -m publisher build ... --no-cache``) of the release data: the fixture
    data with a renamed, a withdrawn and an XSS record (see above); the data are beside it."""
    if "release" not in _SHARED:
        data_dir = write_release_data(tmp_path_factory.mktemp("server-release") / "data")
        _SHARED["release"] = build_release(data_dir, data_dir.parent / "dist")
    dist: Path = _SHARED["release"]
    return dist


@pytest.fixture(scope="session")
def server(release_dist: Path) -> Iterator[RunningServer]:
    """``python -m publisher serve`` on the release, default settings."""
    running = _shared_server("server", release_dist)
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def limited_server(release_dist: Path) -> Iterator[RunningServer]:
    """The same release served with small limits: 1 s per query, 20 rows per answer."""
    options = ("--query-timeout", f"{LIMITED_QUERY_TIMEOUT:g}", "--max-rows", str(LIMITED_MAX_ROWS))
    running = _shared_server("limited", release_dist, *options)
    yield running
    stop_server(running)
