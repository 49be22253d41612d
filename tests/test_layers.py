"""The layers of the code, written down in ``.importlinter`` and checked: dashboard down to the interaction graph,
no import circle anywhere, the engine without streamlit, the models without the samplers, the runs without torch."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / ".importlinter"), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )


def test_the_code_keeps_its_layers() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def copy_of_the_code(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("layers")
    for folder in ("engine", "dashboard"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", root / ".importlinter")
    return root


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("engine/runs/config.py", "import engine.jobs.process", "Layers"),  # the run on disk starting processes
        ("engine/training/trainer.py", "from engine.jobs.client import submit_projection", "Layers"),
        ("engine/graph.py", "import engine.cli", "Layers"),
        ("engine/plots/theme.py", "import streamlit", "streamlit"),
        ("engine/models/pinsage.py", "import engine.sampling.random_walk", "samplers"),
    ],
)
def test_an_arrow_the_wrong_way_fails_naming_its_chain(copy_of_the_code: Path, module: str, line: str, contract: str):
    path = copy_of_the_code / module
    original = path.read_text()
    path.write_text(original + f"\n{line}  # added by the test\n")
    try:
        result = lint_imports(copy_of_the_code)
    finally:
        path.write_text(original)
    assert result.returncode != 0
    broken = result.stdout[result.stdout.index("Broken contracts") :]
    assert contract in broken
    assert module.removesuffix(".py").replace("/", ".") in broken  # the chain names the importing module


def test_no_import_circle() -> None:
    """No module reaches itself through imports (import-linter's layers only see arrows between layers)."""
    grimp = pytest.importorskip("grimp")
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph("engine", "dashboard", cache_dir=None)
    adjacency = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    circles = _strongly_connected(adjacency)
    assert not circles, circles


def _strongly_connected(adjacency: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively: the groups of more than one module that import each other in a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for start in sorted(adjacency):
        if start in index:
            continue
        work = [(start, iter(sorted(adjacency[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(adjacency.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def test_the_run_directory_layer_imports_no_torch() -> None:
    """What a run is on disk is read by the dashboard's every page: no torch behind it (seconds of import)."""
    code = "import sys, engine.runs, engine.runs.rundir, engine.commands; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "False", result.stderr
