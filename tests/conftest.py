"""Fixtures shared by the test files: the fixture data set, one build of it, and the CLI.

Expensive results are session-scoped and read-only: a test that needs to change one copies it
to its own ``tmp_path`` first.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from publisher.build import build_release
from publisher.config import BuildSettings

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURE_DATA_DIR = REPO_ROOT / "tests" / "fixtures" / "data"

#: ``run_emigre(*args, cwd=None, timeout=120.0)``: see the fixture of that name.
RunEmigre = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def fixture_data_dir() -> Path:
    """``tests/fixtures/data``: a small data set that uses every part of the records format.

    Real people and facts from ``/work/shared/sources`` with IDs from the reference table, plus
    one obviously fictional person (``person/fictional-test-person``, no Wikidata ID) whose
    strings stress serializers and whose withheld claims and event must appear in no output.
    """
    return FIXTURE_DATA_DIR


@pytest.fixture(scope="session")
def built_dist(fixture_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``dist/`` directory of one build of the fixture data (library call, no SHACL cache)."""
    out_dir = tmp_path_factory.mktemp("built") / "dist"
    settings = BuildSettings(data_dir=fixture_data_dir, out_dir=out_dir, cache_dir=None, workers=1)
    build_release(settings)
    return out_dir


@pytest.fixture(scope="session")
def run_emigre(tmp_path_factory: pytest.TempPathFactory) -> RunEmigre:
    """A function that runs ``python -m publisher ARGS...`` and returns the CompletedProcess.

    It never raises on a non-zero exit: tests check ``returncode``, ``stdout`` and ``stderr``
    (text). The working directory is a scratch directory unless ``cwd`` is given, so relative
    defaults such as ``dist/`` and ``.emigre-cache/`` never land in the checkout.
    """
    scratch = tmp_path_factory.mktemp("cli")

    def run(
        *args: str | Path, cwd: Path | None = None, timeout: float = 120.0
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "publisher", *(str(arg) for arg in args)],
            cwd=cwd or scratch,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run
