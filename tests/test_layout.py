"""The suite's shape: tests mirror the code (``tests/engine/<package>/test_<module>.py``), cross-cutting suites
(contract, properties, dashboard, browser, benchmarks) have folders of their own, and few test files sit in
``tests/`` itself. Test modules are imported with ``--import-mode=importlib``, so two may share a basename."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
CROSS_CUTTING = {"contract", "properties", "dashboard", "browser", "benchmarks", "support", "examples"}


def test_few_test_files_directly_in_tests() -> None:
    flat = sorted(path.name for path in TESTS.glob("test_*.py"))
    assert len(flat) < 6, flat


def test_engine_tests_mirror_an_engine_package() -> None:
    """Every folder of ``tests/engine`` is a package of ``engine``: a newcomer finds a module's tests by its path."""
    folders = [path for path in (TESTS / "engine").rglob("*") if path.is_dir() and path.name != "__pycache__"]
    missing = [str(f.relative_to(TESTS)) for f in folders if not (ROOT / f.relative_to(TESTS)).is_dir()]
    assert folders and not missing


def test_every_test_folder_has_a_role() -> None:
    top = {path.name for path in TESTS.iterdir() if path.is_dir() and not path.name.startswith((".", "__"))}
    assert top <= CROSS_CUTTING | {"engine"}, top - CROSS_CUTTING
