"""Every command in README's ``bash`` blocks, as written, so README and the command line cannot drift apart.

Each ``python -m engine`` line is read the way a new user reads it: ``[--flag value]`` is optional and ``a|b``
offers alternatives, so every line is checked with its optional parts left out and with all of them put in (once
per alternative); ``runs/<run-id>`` names a tiny MF run trained here, ``runs/<graphsage-run-id>`` a GraphSAGE one,
``DIR`` a fresh folder, ``NAME`` and ``N`` an experiment name and a number. Every variant must
parse with the engine's own parser; the quick ones run for real from a scratch project folder (``runs`` and
``../shared/data`` resolve there as they would in a clone) and must exit 0. Variants that would train for minutes
(a model's default epochs) or fit a UMAP are only parsed, and ``--help`` of their command must work.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.components.sidebar import launch_options
from engine.cli import build_parser
from tests.support.sample_runs import stopped_sample_run
from tests.support.streamlit_server import free_port, streamlit_server

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SHARED = ROOT.parent / "shared"
MOVIELENS = SHARED / "data" / "ml-latest-small"
FINISHED_RUN = "readme-mf"  # what runs/<run-id> names, except after --resume
STOPPED_RUN = "readme-mf-stopped"  # what --resume runs/<run-id> continues
SAMPLED_RUN = "readme-graphsage"  # what runs/<graphsage-run-id> names: a run that sampled neighborhoods
PLACEHOLDERS = {"NAME": "readme-experiment", "N": "2"}  # whole words README leaves for the user to fill in
COMMAND_SECONDS = 300
START_SECONDS = 90


def readme_commands() -> list[str]:
    """Command lines of README's ``bash`` blocks: continuations joined, comments and blank lines dropped."""
    blocks = re.findall(r"^```bash\n(.*?)^```", README.read_text(), flags=re.MULTILINE | re.DOTALL)
    commands = []
    for block in blocks:
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #", 1)[0].strip()
            if line and not line.startswith("#"):
                commands.append(" ".join(line.split()))
    return commands


def engine_commands() -> list[str]:
    return [command for command in readme_commands() if command.startswith("python -m engine ")]


def variants(command: str) -> list[list[str]]:
    """``command``'s words with optional parts dropped, then with all of them kept, once per ``a|b`` alternative;
    a required choice ``(A | B)`` gives one set of variants per alternative."""
    choice = re.search(r"\(([^)]*\|[^)]*)\)", command)
    if choice:
        picks = [part.strip() for part in choice.group(1).split("|")]
        return [words for pick in picks for words in variants(command.replace(choice.group(0), pick, 1))]
    optional = re.findall(r"\[([^\]]*)\]", command)
    alternatives = max((part.count("|") + 1 for part in optional), default=1)
    found = [re.sub(r"\s*\[[^\]]*\]", "", command)]
    for pick in range(alternatives):
        kept = re.sub(r"\[([^\]]*)\]", lambda match, pick=pick: _alternative(match.group(1), pick), command)
        found.append(kept)
    unique = list(dict.fromkeys(found))
    return [shlex.split(variant)[3:] for variant in unique]  # after "python -m engine"


def _alternative(part: str, pick: int) -> str:
    flag, _, values = part.partition(" ")
    choices = values.split("|") if "|" in values else [values]
    return f"{flag} {choices[min(pick, len(choices) - 1)]}".strip()


def substituted(words: list[str], scratch: Path) -> list[str]:
    resumed = "--resume" in words
    run_id = STOPPED_RUN if resumed else FINISHED_RUN
    words = [PLACEHOLDERS.get(word, word) for word in words if word != "..."]
    return [
        word.replace("<graphsage-run-id>", SAMPLED_RUN)
        .replace("<run-id>", run_id)
        .replace("RUN_DIR", f"runs/{FINISHED_RUN}")
        .replace("DIR", str(scratch / "generated"))
        for word in words
    ]


def too_long(words: list[str]) -> str | None:
    """Why a variant is parsed but not run, or ``None`` when it runs for real."""
    command = words[0]
    if command == "train" and "--config" not in words and "--resume" not in words:
        return "trains a model for its default epochs"
    if command == "train" and "--resume" in words and "--epochs" in words:
        return "extends a run to 80 epochs"
    method = words[words.index("--method") + 1] if "--method" in words else "umap"  # project's default
    if command == "project" and method.startswith("umap"):
        return "fits a UMAP (minutes of numba compilation)"
    if command == "experiment":
        return "trains every model x seed"
    if command == "tune" and "--cpu-minutes" in words:
        return "spends a study's CPU budget (minutes)"
    if command == "compare" or (command == "report" and PLACEHOLDERS["NAME"] in words):
        return "reads an experiment's members, which the experiment would train"
    if command == "replay" and "--pyg-batch" in words:
        return "needs a run that logged PyG batches (README's Python example logs them)"
    if any(word.startswith("lightgcn:") for word in words):
        return "needs the LightGCN paper's benchmark files"
    return None


def test_readme_lists_the_commands_this_test_reads() -> None:
    names = {command.split()[3] for command in engine_commands()}
    assert names >= {"datasets", "stats", "generate-synthetic", "sample", "train", "evaluate", "runs", "project"}
    assert any(command.startswith("make app") for command in readme_commands())
    assert any("streamlit run dashboard/app.py" in command for command in readme_commands())


@pytest.mark.parametrize("command", engine_commands())
def test_every_engine_command_in_readme_parses(command: str, tmp_path: Path) -> None:
    parser = build_parser()
    for words in variants(command):
        args = parser.parse_args(substituted(words, tmp_path))
        assert callable(args.func), words


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch folder standing for a clone: ``runs/`` with the README's runs, ``../shared`` the real shared data."""
    base = tmp_path_factory.mktemp("readme")
    folder = base / "project"
    (folder / "runs").mkdir(parents=True)
    if SHARED.is_dir():
        (base / "shared").symlink_to(SHARED)
    command = [
        sys.executable, "-m", "engine", "train", "--dataset", "synthetic", "--model", "mf", "--epochs", "10",
        "--dim", "16", "--val-ratio", "0.1", "--patience", "0", "--runs-dir", str(folder / "runs"),
        "--run-id", FINISHED_RUN, "--quiet",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=COMMAND_SECONDS)
    assert result.returncode == 0, result.stderr
    stopped_sample_run(folder / "runs", STOPPED_RUN, "mf", epochs=20)
    sampled = command[: command.index("mf")] + ["graphsage"] + command[command.index("mf") + 1 :]
    sampled[sampled.index("10")] = "1"  # one epoch
    sampled[sampled.index(FINISHED_RUN)] = SAMPLED_RUN
    result = subprocess.run(sampled, cwd=ROOT, capture_output=True, text=True, timeout=COMMAND_SECONDS)
    assert result.returncode == 0, result.stderr
    return folder


def run_engine(words: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "engine", *words], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=COMMAND_SECONDS,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("command", engine_commands())
def test_every_engine_command_in_readme_runs_as_written(command: str, project: Path) -> None:
    for words in variants(command):
        words = substituted(words, project)
        if "movielens" in " ".join(words) and not MOVIELENS.is_dir():
            pytest.skip(f"MovieLens files not found at {MOVIELENS}")
        reason = too_long(words)
        if reason:
            result = run_engine([words[0], "--help"], project)
            assert result.returncode == 0 and "usage:" in result.stdout, result.stderr
            print(f"parsed only ({reason}): {shlex.join(words)}")
            continue
        result = run_engine(words, project)
        assert result.returncode == 0, f"{shlex.join(words)} exited {result.returncode}:\n{result.stderr}"
        assert result.stdout.strip(), f"{shlex.join(words)} printed nothing"


@pytest.mark.parametrize("target", ["app", "test"])
def test_the_make_commands_in_readme_exist(target: str) -> None:
    assert f"make {target}" in readme_commands()[:2]
    env = {key: value for key, value in os.environ.items() if key not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    result = subprocess.run(["make", "-n", target], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    expected = "streamlit run dashboard/app.py" if target == "app" else "-m pytest"
    assert expected in result.stdout


@pytest.mark.slow
def test_the_streamlit_command_in_readme_starts_the_dashboard_with_its_options(tmp_path: Path) -> None:
    command = next(command for command in readme_commands() if command.startswith(".venv/bin/streamlit run "))
    words = shlex.split(command)
    script_args = words[words.index("--") + 1 :]
    options = launch_options(script_args, environ={})
    assert (options.runs_dir, options.dataset) == ("runs", "movielens-latest-small")
    assert options.data_dir == "../shared/data/ml-latest-small"
    port = free_port()
    server_flags = ["--server.headless", "true", "--server.port", str(port)]
    started = [sys.executable, "-m", "streamlit", *words[1 : words.index("--")], *server_flags, "--", *script_args]
    with streamlit_server(started, port, tmp_path / "server.log", START_SECONDS):
        pass  # it started with the README's options and answered
