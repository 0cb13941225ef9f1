"""The lines the codebase keeps: who may import whom, and where states may be spelt out."""

from __future__ import annotations

import ast
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STATES = ("tentative", "confirmed", "cancelled_by_customer", "cancelled_by_owner")


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_only_one_worker_module_meets_the_wire_errors() -> None:
    importers = [
        path.relative_to(ROOT).as_posix()
        for path in python_files("worker")
        if any(m.startswith("api_client.errors") for m in imported_modules(path))
    ]

    assert importers == ["worker/refusals.py"]


def test_the_client_never_imports_the_worker() -> None:
    importers = [
        path.relative_to(ROOT).as_posix()
        for path in python_files("api_client")
        if any(m == "worker" or m.startswith("worker.") for m in imported_modules(path))
    ]

    assert importers == []


@pytest.mark.parametrize(("folder", "other"), [("tests", "benchmarks"), ("benchmarks", "tests")])
def test_tests_and_benchmarks_do_not_import_each_other(folder: str, other: str) -> None:
    importers = [
        path.relative_to(ROOT).as_posix()
        for path in python_files(folder)
        if any(m == other or m.startswith(f"{other}.") for m in imported_modules(path))
    ]

    assert importers == []


def test_no_booking_state_is_spelt_out_in_the_worker_outside_its_domain() -> None:
    literal = re.compile("[\"'](" + "|".join(STATES) + ")[\"']")
    found = [
        f"{path.relative_to(ROOT).as_posix()}:{number}"
        for path in python_files("worker")
        if "domain" not in path.relative_to(ROOT).parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if literal.search(line)
    ]

    assert found == []


def identifiers(path: Path) -> set[str]:
    with path.open("rb") as source:
        return {t.string for t in tokenize.tokenize(source.readline) if t.type == tokenize.NAME}


def test_no_production_module_branches_on_a_drill_but_the_drills_and_their_settings() -> None:
    allowed = {"worker/drills.py", "worker/config.py", "worker/runtime.py", "worker/keys.py"}
    found = [
        path.relative_to(ROOT).as_posix()
        for path in python_files("worker")
        if path.relative_to(ROOT).as_posix() not in allowed
        and any("drill" in name.lower() for name in identifiers(path))
    ]

    assert found == []
