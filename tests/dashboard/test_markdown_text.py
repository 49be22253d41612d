"""User-supplied strings reach Streamlit's Markdown only escaped by ``plain``: titles, genres, ids, file names, run
ids, a run's error, the ``?run=`` parameter and a CSV cell echoed in the sidebar's error."""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components.markdown import WORD_JOINER, plain
from dashboard.components.sidebar import CSV_CHOICE
from dashboard.state import keys
from engine.datasets import load_dataset
from tests.dashboard.shown import shown
from tests.support.hostile_data import HostileDataset, payloads, train_on, write_hostile_dataset

HOST = "127.0.0.1:9"  # never contacted here: AppTest renders no page
PAYLOADS = payloads(HOST)
MARKDOWN_FIELDS = ("body", "label", "help")  # what Streamlit renders as Markdown in the elements on these pages
PLAIN_TEXT_ELEMENTS = ("text", "code")  # st.text and st.code render no Markdown


J = WORD_JOINER


@pytest.mark.parametrize(
    ("text", "markdown"),
    [
        ("![x](http://h/p.png)", rf"\!\[x\]\(http{J}\:\/\/h\/p\.png\)"),
        ("[t](https://h/)", rf"\[t\]\(https{J}\:\/\/h\/\)"),
        ('<img src="http://h/i.png">', rf"\<img src\=\"http{J}\:\/\/h\/i\.png\"\>"),
        ("**bold** _it_ ~~del~~", r"\*\*bold\*\* \_it\_ \~\~del\~\~"),
        ("`code`", r"\`code\`"),
        ("$x^2$", r"\$x\^2\$"),
        (":red[text] :smile: :material/home:", r"\:red\[text\] \:smile\: \:material\/home\:"),
        ("# heading", r"\# heading"),
        ("- item\n1. item\n> quote", "\\- item\n1\\. item\n\\> quote"),
        ("<http://h/>", rf"\<http{J}\:\/\/h\/\>"),
        ("HTTP://H.COM www.h.com me@h.com", rf"HTTP{J}\:\/\/H\.COM www{J}\.h\.com me\@{J}h\.com"),
        ("&amp; &#60;", r"\&amp\; \&\#60\;"),
        ("a\\b", r"a\\b"),
        ("Amélie 東京 42", "Amélie 東京 42"),
        (7, "7"),
    ],
    ids=[
        "image",
        "link",
        "html",
        "emphasis",
        "code-span",
        "latex",
        "directive-emoji-icon",
        "heading",
        "block-markers",
        "autolink",
        "bare-url-www-and-email",
        "entities",
        "backslash",
        "unicode-untouched",
        "non-string",
    ],
)
def test_plain_escapes_every_markdown_construct(text, markdown):
    assert plain(text) == markdown
    assert shown(markdown) == str(text)


def test_plain_escapes_every_ascii_punctuation_character_and_nothing_else():
    text = string.printable + "é東\u00a0"
    escaped = plain(text)
    assert shown(escaped) == text
    assert escaped.count("\\") == len(string.punctuation) + 1  # each punctuation mark once, the backslash twice


def markdown_sources(at: AppTest) -> list[str]:
    """Every string on the page (main, sidebar, toasts) that Streamlit renders as Markdown."""
    found: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if (
            proto is not None
            and getattr(node, "type", None) not in PLAIN_TEXT_ELEMENTS
            and hasattr(proto, "ListFields")
        ):
            found.extend(v for f, v in proto.ListFields() if f.name in MARKDOWN_FIELDS and isinstance(v, str))
        for child in (getattr(node, "children", None) or {}).values():
            walk(child)

    walk(at.main)
    walk(at.sidebar)
    found.extend(toast.value for toast in at.toast)
    return found


@dataclass(frozen=True)
class Hostile:
    dataset: HostileDataset
    bad_csv: Path  # a CSV whose rating cell is the image payload
    runs_dir: Path  # a run trained on the dataset, a failed run and an odd run id


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    parent = tmp_path_factory.mktemp("hostile")
    dataset = write_hostile_dataset(parent, HOST)
    runs_dir = parent / "runs"
    train_on(dataset, runs_dir, "hostile-lightgcn")
    failed = runs_dir / "hostile-failed"
    failed.mkdir()
    config = {"model": PAYLOADS["link"], "dataset": PAYLOADS["image"], "epochs": 3}
    (failed / "config.json").write_text(json.dumps(config))
    status = {"state": "failed", "error": f"ValueError: {PAYLOADS['image']} {PAYLOADS['html']}", "started_at": 1.0}
    (failed / "status.json").write_text(json.dumps(status))
    odd_state = runs_dir / "hostile-state"
    odd_state.mkdir()
    (odd_state / "status.json").write_text(json.dumps({"state": PAYLOADS["image"], "started_at": 2.0}))
    (runs_dir / "b__bold__").mkdir()  # run ids start with a letter or digit; underscores may follow
    (runs_dir / "b__bold__" / "config.json").write_text("{not json")
    bad_csv = parent / "bad" / "ratings.csv"
    bad_csv.parent.mkdir()
    bad_csv.write_text(f"user,item,rating\nu1,i1,4\nu1,i2,{PAYLOADS['image']}\n")
    return Hostile(dataset, bad_csv, runs_dir)


def on_dataset(path: Path) -> dict:
    return {keys.DATASET_PICK: CSV_CHOICE, keys.CSV_PATH: str(path)}


def top_item_label(hostile: Hostile) -> str:
    return f"item:{hostile.dataset.top_item} — {PAYLOADS['image']}"


def top_item_node(h: Hostile) -> int:
    return load_dataset(h.dataset.name).node_id(f"item:{h.dataset.top_item}")


def typed_on_recommend(app_at: Callable[..., AppTest], h: Hostile, typed: str) -> AppTest:
    at = app_at("views/recommend.py", runs_dir=h.runs_dir)
    at.text_input(key="recommend_user_typed").set_value(typed).run()
    return at


# (how to open the page, the user strings it must show, escaped, in its Markdown)
CASES: list = [
    pytest.param(
        lambda app_at, h: app_at("views/data.py", runs_dir=h.runs_dir, **on_dataset(h.dataset.interactions)),
        lambda h: [f"Dataset {plain(h.dataset.name)}", plain(h.dataset.interactions)],
        id="data-page-file-name",
    ),
    pytest.param(
        lambda app_at, h: app_at("views/neighborhood.py", runs_dir=h.runs_dir, **on_dataset(h.dataset.interactions)),
        lambda h: [plain(top_item_label(h)), plain(repr(h.dataset.name))],
        id="neighborhood-subheader-title-and-file-name",
    ),
    pytest.param(
        lambda app_at, h: app_at("views/data.py", runs_dir=h.runs_dir, **on_dataset(h.bad_csv)),
        lambda h: [plain(f"Cannot load dataset {'csv:' + str(h.bad_csv)!r}: {h.bad_csv}: row 3, column 'rating'")],
        id="sidebar-error-echoing-a-csv-cell",
    ),
    pytest.param(
        lambda app_at, h: app_at("views/train.py", runs_dir=h.runs_dir, query={"run": "hostile-failed"}),
        lambda h: [
            plain(f"ValueError: {PAYLOADS['image']} {PAYLOADS['html']}"),
            f"**hostile\\-failed** · {plain(PAYLOADS['link'])} on {plain(PAYLOADS['image'])}",
        ],
        id="train-page-status-error-model-and-dataset",
    ),
    pytest.param(
        lambda app_at, h: app_at("views/train.py", runs_dir=h.runs_dir, query={"run": "hostile-state"}),
        lambda h: [":red-badge[unknown]"],
        id="train-page-status-state",
    ),
    pytest.param(
        lambda app_at, h: app_at("views/train.py", runs_dir=h.runs_dir, query={"run": PAYLOADS["link"]}),
        lambda h: [plain(f"The link names run {PAYLOADS['link']!r}, which is not in the runs directory.")],
        id="train-page-run-query-parameter",
    ),
    pytest.param(
        lambda app_at, h: app_at("views/runs.py", runs_dir=h.runs_dir),
        lambda h: [f"- {plain('b__bold__')}: {plain('config.json is not valid JSON')}"],
        id="runs-page-damaged-run-id",
    ),
    pytest.param(
        lambda app_at, h: app_at(
            "views/embeddings.py",
            runs_dir=h.runs_dir,
            **{keys.EMBEDDINGS_SELECTED: top_item_node(h)},
        ),
        lambda h: [f"Selected: {plain(top_item_label(h))}"],
        id="embeddings-selected-title",
    ),
    pytest.param(
        lambda app_at, h: typed_on_recommend(app_at, h, f"item:{h.dataset.top_item}"),
        lambda h: [plain(f"{'item:' + h.dataset.top_item!r} is an item; recommendations are for users (user:<id>).")],
        id="recommend-typed-item-id",
    ),
    pytest.param(
        lambda app_at, h: typed_on_recommend(app_at, h, f"user:{PAYLOADS['link']}"),
        lambda h: [plain(f"unknown user {PAYLOADS['link']!r} in dataset")],
        id="recommend-unknown-user-id",
    ),
]


@pytest.mark.parametrize(("open_page", "expected"), CASES)
def test_user_strings_reach_markdown_only_escaped(app_at, hostile, open_page, expected):
    at = open_page(app_at, hostile)
    assert not at.exception, at.exception
    sources = markdown_sources(at)
    for escaped in expected(hostile):
        assert any(escaped in source for source in sources), f"{escaped!r} not among {sources}"
    never = {**PAYLOADS, "folder": "**bold** [t](x)", "run id": "__bold__", "linkable URL": "http\\:\\/\\/"}
    for name, payload in never.items():
        raw = [source for source in sources if payload in source]
        assert raw == [], f"the {name} payload reached Markdown unescaped: {raw}"
