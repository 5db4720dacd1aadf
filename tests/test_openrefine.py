"""A real reconciliation client: OpenRefine 3.6 (Debian ``openrefine``), headless on 127.0.0.1,
reconciles a column of names in several spellings against ``emigre serve`` and fetches our
values into new columns, all through OpenRefine's own HTTP API.

The steps (``../shared/notes/components.md`` §1.8): a CSRF token, a project from an uploaded CSV,
``/command/core/reconcile`` with the standard-service configuration built from our manifest (and
the ``engine`` field, without which the job never ends), polling ``get-processes``, then the
judgments and candidates OpenRefine recorded (``get-rows``: cells point into ``pool.recons``).
Then ``/command/core/extend-data``, which calls our data extension for the matched cells.

The server serves a build of the checkout's ``data/`` (real people: stage names and the mentions
kept from sources are there). OpenRefine gets a data directory of its own and is always stopped
with its whole process group; its JVM is told to send any HTTPS it might attempt (Wikidata and
the rest of the internet) to a closed port on 127.0.0.1 (``JAVA_TOOL_OPTIONS`` proxy settings).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from server_fixtures import RunningServer, build_release, free_port, start_server, stop_server

from publisher.config import project_root

pytestmark = pytest.mark.slow

REFINE = Path("/usr/share/openrefine/refine")
STARTUP_SECONDS = 120.0
JOB_SECONDS = 60.0
#: HTTPS (Wikidata, and any other service on the internet) goes through a proxy on a closed
#: port of 127.0.0.1: refused at once. Plain HTTP stays direct: our server is plain HTTP on
#: 127.0.0.1, and OpenRefine's client sent even that to the proxy when http.proxyHost was set.
NO_NETWORK = "-Dhttps.proxyHost=127.0.0.1 -Dhttps.proxyPort=9"

#: (name, born) -> what OpenRefine must record: the matched record, or None for no match (then
#: the first candidate, if any). Cyrillic, French with the surname first, scholarly, a stage
#: name, a real name behind a stage name, the 2022 article's "Ivan Kuprin", a surname alone
#: (a candidate, not a match; its birth year moves the score), and a name we do not have.
ROWS: list[tuple[str, str, str | None, str | None]] = [
    ("Людмила Улицкая", "", "person/ulitskaya", None),
    ("Oulitskaïa Ludmila", "", "person/ulitskaya", None),
    ("Ljudmila Ulickaja", "", "person/ulitskaya", None),
    ("Monetochka", "", "person/monetochka", None),
    ("Елизавета Гырдымова", "", "person/monetochka", None),
    ("Ivan Kuprin", "", "person/kuprin", None),
    ("Улицкая", "1943", None, "person/ulitskaya"),
    ("Улицкая", "1960", None, None),
    ("Xyzzy Qwerty", "", None, None),
]


@pytest.fixture(scope="module")
def emigre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """``python -m publisher serve`` on a build of the checkout's ``data/``."""
    root = tmp_path_factory.mktemp("openrefine-emigre")
    dist = build_release(project_root() / "data", root / "dist")
    logs = root / "logs"
    logs.mkdir()
    running = start_server(dist, log_dir=logs)
    yield running
    stop_server(running)


@dataclass
class Refine:
    """A running OpenRefine: its URL and an HTTP session."""

    url: str
    session: requests.Session

    def token(self) -> str:
        response = self.session.get(f"{self.url}/command/core/get-csrf-token", timeout=30)
        response.raise_for_status()
        return str(response.json()["token"])

    def command(self, name: str, project: str | None = None, **form: str) -> dict[str, Any]:
        params = {"csrf_token": self.token(), **({"project": project} if project else {})}
        response = self.session.post(
            f"{self.url}/command/core/{name}", params=params, data=form, timeout=60
        )
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        assert answer.get("code") in ("ok", "pending"), answer
        return answer

    def get(self, name: str, **params: str) -> dict[str, Any]:
        response = self.session.get(f"{self.url}/command/core/{name}", params=params, timeout=60)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def wait_for_jobs(self, project: str) -> None:
        deadline = time.monotonic() + JOB_SECONDS
        while time.monotonic() < deadline:
            if not self.get("get-processes", project=project)["processes"]:
                return
            time.sleep(0.2)
        raise AssertionError(
            f"OpenRefine's jobs did not finish: {self.get('get-processes', project=project)}"
        )


@pytest.fixture(scope="module")
def refine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Refine]:
    """OpenRefine, headless on 127.0.0.1 with an empty data directory; stopped afterwards."""
    if not REFINE.exists():
        pytest.skip(f"no OpenRefine at {REFINE} (Debian openrefine; .ci/install installs it)")
    workspace = tmp_path_factory.mktemp("openrefine")
    port = free_port()
    log_path = workspace / "refine.log"
    command = [str(REFINE), "-i", "127.0.0.1", "-p", str(port), "-d", str(workspace / "data")]
    command += ["-m", "1024M", "-x", "refine.headless=true", "run"]
    (workspace / "data").mkdir()
    environment = {**os.environ, "JAVA_TOOL_OPTIONS": NO_NETWORK}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,  # the script and its JVM: stopped together below
        )
    try:
        session = requests.Session()
        session.trust_env = False  # no proxy between us and 127.0.0.1
        client = Refine(f"http://127.0.0.1:{port}", session)
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert process.poll() is None, log_path.read_text("utf-8", "replace")[-3000:]
            with contextlib.suppress(requests.RequestException):
                client.token()
                break
            assert time.monotonic() < deadline, log_path.read_text("utf-8", "replace")[-3000:]
            time.sleep(0.25)
        yield client
    finally:
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 15)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=wait)
                break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def _csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "born"])
    writer.writerows((name, born) for name, born, _, _ in ROWS)
    return out.getvalue().encode("utf-8")


def _create_project(refine: Refine) -> str:
    options = {
        "separator": ",",
        "headerLines": 1,
        "guessCellValueTypes": False,
        "processQuotes": True,
        "storeBlankCellsAsNulls": True,
        "encoding": "UTF-8",
    }
    response = refine.session.post(
        f"{refine.url}/command/core/create-project-from-upload",
        params={"csrf_token": refine.token()},
        files={"project-file": ("names.csv", _csv(), "text/csv")},
        data={
            "project-name": "emigre names",
            "format": "text/line-based/*sv",
            "options": json.dumps(options),
        },
        allow_redirects=False,
        timeout=60,
    )
    assert response.status_code == 302, response.text[:500]
    project = response.headers["Location"].rsplit("project=", 1)[1]
    assert project.isdigit(), response.headers["Location"]
    return project


def _rows(refine: Refine, project: str) -> tuple[list[dict[str, Any]], dict[str, Any], list[str]]:
    rows = refine.get("get-rows", project=project, start="0", limit="100")
    models = refine.get("get-models", project=project)
    columns = sorted(models["columnModel"]["columns"], key=lambda c: c["cellIndex"])
    names = [""] * (max(c["cellIndex"] for c in columns) + 1)
    for column in columns:
        names[column["cellIndex"]] = column["name"]
    return rows["rows"], rows["pool"]["recons"], names


def test_openrefine_reconciles_names_in_any_spelling(emigre: RunningServer, refine: Refine) -> None:
    manifest = requests.get(emigre.url("/reconcile"), timeout=30).json()
    project = _create_project(refine)
    config = {
        "mode": "standard-service",
        "service": emigre.url("/reconcile"),
        "identifierSpace": manifest["identifierSpace"],
        "schemaSpace": manifest["schemaSpace"],
        "type": manifest["defaultTypes"][0],
        "autoMatch": True,
        "columnDetails": [
            {"column": "born", "propertyName": "birth year", "propertyID": "birthYear"}
        ],
        "limit": 0,
    }
    refine.command(
        "reconcile",
        project,
        columnName="name",
        config=json.dumps(config),
        engine=json.dumps({"facets": [], "mode": "row-based"}),
    )
    refine.wait_for_jobs(project)
    rows, recons, _ = _rows(refine, project)
    assert len(rows) == len(ROWS)
    scores: dict[str, float] = {}
    for row, (name, born, matched, first) in zip(rows, ROWS, strict=True):
        cell = row["cells"][0]
        assert cell["v"] == name
        recon = recons[cell["r"]]
        assert recon["service"] == emigre.url("/reconcile"), recon
        assert recon["identifierSpace"] == manifest["identifierSpace"]
        if matched is not None:
            assert (recon["j"], recon["m"]["id"]) == ("matched", matched), (name, recon)
            continue
        assert recon["j"] == "none", (name, recon)
        candidates = recon.get("c", [])
        if first is not None:
            assert candidates and candidates[0]["id"] == first, (name, candidates)
        if name == "Xyzzy Qwerty":
            assert candidates == [], candidates
        scores[born] = (
            next((c["score"] for c in candidates if c["id"] == "person/ulitskaya"), 0.0)
            if name == "Улицкая"
            else 0.0
        )
    # OpenRefine sent the birth year column, and it moved the score both ways.
    assert scores["1943"] > scores["1960"], scores

    # Data extension: OpenRefine asks for our values for the matched cells.
    extension = {
        "properties": [
            {"id": "birthYear", "name": "birth year"},
            {"id": "wikidataId", "name": "Wikidata ID"},
            {"id": "destination", "name": "emigrated to"},
        ]
    }
    refine.command(
        "extend-data",
        project,
        baseColumnName="name",
        endpoint=emigre.url("/reconcile"),
        identifierSpace=manifest["identifierSpace"],
        schemaSpace=manifest["schemaSpace"],
        extension=json.dumps(extension),
        columnInsertIndex="1",
        engine=json.dumps({"facets": [], "mode": "row-based"}),
    )
    refine.wait_for_jobs(project)
    rows, recons, names = _rows(refine, project)
    by_name = {name: i for i, name in enumerate(names)}
    assert {"birth year", "Wikidata ID", "emigrated to"} <= set(by_name), names

    def cell(row: int, column: str) -> dict[str, Any] | None:
        cells = rows[row]["cells"]
        index = by_name[column]
        return cells[index] if index < len(cells) else None

    ulitskaya = cell(0, "birth year")
    assert ulitskaya is not None and ulitskaya["v"] in (1943, "1943"), ulitskaya
    germany = cell(0, "emigrated to")
    assert germany is not None and germany["v"] == "Germany"
    assert recons[germany["r"]]["m"]["id"] == "place/germany"
    monetochka = cell(3, "Wikidata ID")
    assert monetochka is not None, rows[3]
    wikidata = recons[monetochka["r"]]
    assert wikidata["m"]["id"] == "Q32361743" and wikidata["j"] == "matched"
    assert cell(6, "birth year") is None  # not matched: nothing fetched
