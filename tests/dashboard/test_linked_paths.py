"""Hardening II, point 6: a runs directory, CSV path or MovieLens folder that arrives in the URL is shown in the
sidebar and neither read nor created until the user confirms it; a NUL in one is a message, not a traceback; a file
that is not a CSV is never read, so no message quotes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components import linked_paths, sidebar
from dashboard.state import keys
from tests.dashboard.shown import shown

PAGES = ["views/data.py", "views/train.py", "views/runs.py", "views/neighborhood.py", "views/embeddings.py",
         "views/recommend.py"]  # fmt: skip
TEXT_ELEMENTS = ("title", "markdown", "caption", "error", "warning", "info", "success", "text", "code", "exception")


def page_text(at: AppTest) -> str:
    """Every text the app shows, sidebar included (Markdown escapes undone)."""
    texts = [shown(str(element.value)) for kind in TEXT_ELEMENTS for element in getattr(at, kind)]
    texts += [frame.value.to_string() for frame in at.dataframe]
    return "\n".join(texts)


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The runs directories the sidebar started (or asked for) a worker in, in order."""
    started: list[Path] = []
    monkeypatch.setattr(sidebar, "ensure_worker", started.append)
    return started


def notice(at: AppTest) -> str:
    return " ".join(shown(markdown.value) for markdown in at.sidebar.markdown if "This link asks" in markdown.value)


def test_a_linked_runs_directory_is_not_created_nor_watched_until_confirmed(
    app_at, workers: list[Path], trained_runs_dir: Path, tmp_path: Path
) -> None:
    linked = tmp_path / "from" / "a" / "link"
    at = app_at("views/runs.py", query={keys.RUNS_DIR: str(linked)})
    assert not at.exception, at.exception
    assert not (tmp_path / "from").exists()
    assert set(workers) == {trained_runs_dir.resolve()}
    assert f"This link asks to use runs directory {str(linked)!r}." in notice(at)
    assert "Answer in the sidebar" in at.main.info[0].value
    assert not at.title, "the page ran before the link was answered"

    at.button(key=keys.LINK_USE).click().run()
    assert not at.exception, at.exception
    assert linked.is_dir() and workers[-1] == linked.resolve()
    assert at.title[0].value == "Runs" and not notice(at)
    assert at.text_input(key=keys.RUNS_DIR).value == str(linked)


def test_keep_current_puts_the_runs_directory_in_use_back_in_the_url(
    app_at, workers: list[Path], trained_runs_dir: Path, tmp_path: Path
) -> None:
    linked = tmp_path / "never-made"
    at = app_at("views/runs.py", query={keys.RUNS_DIR: str(linked)})
    at.button(key=keys.LINK_KEEP).click().run()
    assert not at.exception, at.exception
    assert not linked.exists() and linked.resolve() not in workers
    assert at.query_params[keys.RUNS_DIR] == str(trained_runs_dir)
    assert at.title[0].value == "Runs" and not notice(at)
    at.run()  # and it stays answered
    assert not notice(at) and not linked.exists()


def test_a_link_to_the_runs_directory_in_use_asks_nothing(app_at, trained_runs_dir: Path) -> None:
    at = app_at("views/runs.py", query={keys.RUNS_DIR: f"{trained_runs_dir}/./"})
    assert not at.exception, at.exception
    assert not notice(at) and at.title[0].value == "Runs"


def test_a_runs_directory_typed_in_the_sidebar_is_used_at_once(app_at, workers: list[Path], tmp_path: Path) -> None:
    typed = tmp_path / "typed" / "runs"
    at = app_at("views/runs.py")
    at.text_input(key=keys.RUNS_DIR).set_value(str(typed)).run()
    assert not at.exception, at.exception
    assert typed.is_dir() and workers[-1] == typed.resolve()
    assert at.query_params[keys.RUNS_DIR] == str(typed) and not notice(at)
    assert "No runs in" in at.main.info[0].value


@pytest.mark.parametrize("page", PAGES)
def test_a_nul_in_the_linked_runs_directory_is_a_message_on_every_page(app_at, page: str) -> None:
    at = app_at(page, query={keys.RUNS_DIR: "\x00"})
    assert not at.exception, at.exception
    errors = [shown(error.value) for error in at.sidebar.error]
    assert "The runs directory '\\x00' holds a NUL character, which no path can; it cannot be used." in errors
    assert at.button(key=keys.LINK_USE).disabled
    at.button(key=keys.LINK_KEEP).click().run()
    assert not at.exception, at.exception
    assert not notice(at) and at.title


def test_a_nul_typed_as_the_runs_directory_is_a_message(app_at) -> None:
    at = app_at("views/runs.py")
    at.text_input(key=keys.RUNS_DIR).set_value("runs\x00x").run()
    assert not at.exception, at.exception
    assert any("holds a NUL character" in shown(error.value) for error in at.error)


@pytest.fixture
def not_a_csv(tmp_path: Path) -> Path:
    """A file like /etc/passwd: lines of secrets, one with commas, named without .csv."""
    path = tmp_path / "passwd"
    path.write_text("root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice Secret,,,:/home/alice:/bin/sh\n")
    return path


def csv_link(path: Path | str) -> dict[str, str]:
    return {keys.DATASET_PICK: sidebar.CSV_CHOICE, keys.CSV_PATH: str(path)}


@pytest.mark.parametrize("page", ["views/data.py", "views/neighborhood.py", "views/train.py"])
def test_a_linked_file_that_is_not_a_csv_is_never_quoted(app_at, not_a_csv: Path, page: str) -> None:
    at = app_at(page, query=csv_link(not_a_csv))
    assert not at.exception, at.exception
    assert "root:" not in page_text(at) and "Secret" not in page_text(at)
    assert f"This link asks to use interactions CSV {str(not_a_csv)!r}." in notice(at)

    at.button(key=keys.LINK_USE).click().run()
    assert not at.exception, at.exception
    text = page_text(at)
    assert "root:" not in text and "Secret" not in text and "alice" not in text
    assert f"{str(not_a_csv)!r} is not named .csv, so it was not read" in text


def test_etc_passwd_from_a_link_quotes_nothing_of_it(app_at) -> None:
    passwd = Path("/etc/passwd")
    if not passwd.is_file():
        pytest.skip("no /etc/passwd here")
    first_line = passwd.read_text(errors="replace").splitlines()[0]
    at = app_at("views/data.py", query=csv_link(passwd))
    assert first_line[:8] not in page_text(at)
    at.button(key=keys.LINK_USE).click().run()
    assert not at.exception, at.exception
    assert first_line[:8] not in page_text(at) and "is not named .csv, so it was not read" in page_text(at)


def test_a_linked_csv_is_read_only_once_confirmed(app_at, tmp_path: Path) -> None:
    path = tmp_path / "interactions.csv"
    path.write_text("user,item\nu1,i1\nu1,i2\nu2,i1\n")
    at = app_at("views/data.py", query=csv_link(path))
    assert not at.exception, at.exception
    assert not at.metric and notice(at)
    at.button(key=keys.LINK_USE).click().run()
    assert not at.exception, at.exception
    assert {metric.label: metric.value for metric in at.metric}["Interactions"] == "3"
    assert at.query_params[keys.CSV_PATH] == str(path)


def test_a_linked_movielens_folder_waits_too(app_at, tmp_path: Path) -> None:
    at = app_at("views/data.py", query={keys.DATASET_PICK: "movielens-100k", keys.DATA_DIR: str(tmp_path)})
    assert not at.exception, at.exception
    assert f"This link asks to use MovieLens data folder {str(tmp_path)!r}." in notice(at)
    assert not at.main.error  # the folder was not looked into
    at.button(key=keys.LINK_USE).click().run()
    assert not at.exception, at.exception
    assert len(at.main.error) == 1 and "movielens-100k" in shown(at.main.error[0].value)


def test_normalised_paths_compare_without_touching_the_disk() -> None:
    assert linked_paths.normalised(" /a/b/../c/ ") == "/a/c"
    assert linked_paths.normalised("") == ""
    assert linked_paths.normalised("a\x00b").endswith("a\x00b")
