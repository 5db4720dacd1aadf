"""The package's layering (DESIGN §8): each module imports only from its layer or those below.

A small ``ast`` walk instead of a dependency: imports are read from the source, so a module that
imports upwards fails here even if nothing exercises that import at run time.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "publisher"

#: Top-level module or subpackage -> layer (1 is the top). Lower layers never import higher ones.
LAYERS: dict[str, int] = {
    "cli": 1,
    "__main__": 1,
    "build": 2,
    "site": 2,
    "server": 2,
    "validate": 3,
    "shacl_run": 3,
    "fragments": 3,
    "catalog": 3,
    "oai": 3,
    "releases": 3,
    "changes": 3,
    "reconcile": 3,
    "push": 3,
    "dump": 3,
    "segments": 3,
    "describe": 3,
    "jsonld": 3,
    "wikidata": 3,
    "graph": 4,
    "model": 5,
    "iris": 5,
    "names": 5,
    "config": 6,
    "cache": 6,
    "checksums": 6,
    "heap": 6,
    "namespaces": 6,
    "vocab": 6,
    "vocabgen": 6,
    "formats": 6,
    "errors": 6,
    "__init__": 6,
}
#: Third-party modules only one place may import.
EXCLUSIVE_IMPORTS = {"click": {"cli"}, "requests": {"wikidata", "push"}}


def _unit(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer() -> None:
    assert {_unit(path) for path in MODULES} <= set(LAYERS)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_down_only(path: Path) -> None:
    unit = _unit(path)
    for name in _imports(path):
        parts = name.split(".")
        if parts[0] == "publisher" and len(parts) > 1 and parts[1] in LAYERS:
            target = parts[1]
            assert LAYERS[target] >= LAYERS[unit], f"{unit} (layer {LAYERS[unit]}) imports {name}"
        allowed = EXCLUSIVE_IMPORTS.get(parts[0])
        if allowed is not None:
            assert unit in allowed, f"only {allowed} may import {parts[0]}; {unit} does"
