"""AppTest of the Data page: sizes, figures, previews and the load report for real and broken datasets."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest

from dashboard.state import keys
from engine.datasets import load_dataset
from engine.plots import figures
from tests.dashboard.shown import shown
from tests.support.bad_csv import BAD_CSV, write_bad_dataset

PAGE = "views/data.py"


def test_sample_data_renders_sizes_figures_and_previews(app_at) -> None:
    at = app_at(PAGE)
    assert not at.exception
    graph = load_dataset("synthetic")
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Users"] == f"{graph.num_users:,}"
    assert metrics["Items"] == f"{graph.num_items:,}"
    assert metrics["Interactions"] == f"{graph.num_edges:,}"
    assert len(at.get("plotly_chart")) == 2
    items = at.dataframe[0].value
    assert {"item_id", "interactions", "title"} <= set(items.columns)
    assert items["interactions"].is_monotonic_decreasing
    assert any(markdown.value.startswith("Read **") for markdown in at.markdown)


def test_item_filter_narrows_the_preview(app_at) -> None:
    at = app_at(PAGE)
    first_title = at.dataframe[0].value["title"].iloc[0]
    at.text_input(key="data_item_filter").set_value(first_title).run()
    assert not at.exception
    titles = at.dataframe[0].value["title"]
    assert len(titles) >= 1 and titles.str.contains(first_title, regex=False).all()


def write_csv(folder: Path) -> Path:
    path = folder / "interactions.csv"
    path.write_text("user,item,rating,timestamp\nu1,i1,5,10\nu1,i2,3,11\nu2,i1,4,12\nu1,i1,2,13\nu3,i3,1,14\n")
    return path


def test_csv_dataset_shows_the_duplicate_rows_it_dropped(app_at, frame_with, tmp_path: Path) -> None:
    at = app_at(PAGE, **{keys.DATASET_PICK: "CSV file…", keys.CSV_PATH: str(write_csv(tmp_path))})
    assert not at.exception
    metrics = {metric.label: metric.value for metric in at.metric}
    assert (metrics["Users"], metrics["Items"], metrics["Interactions"]) == ("3", "3", "4")
    dropped = frame_with(at, "reason")
    assert dropped["rows"].sum() == 1 and dropped["reason"].str.contains("duplicate").all()


def test_missing_csv_is_an_error_message_not_a_traceback(app_at, tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    at = app_at(PAGE, **{keys.DATASET_PICK: "CSV file…", keys.CSV_PATH: str(missing)})
    assert not at.exception
    assert len(at.error) == 1 and "nope.csv" in shown(at.error[0].value)


@pytest.mark.parametrize(("interactions", "items", "message"), BAD_CSV)
def test_bad_csv_shows_the_loaders_message_naming_file_row_and_column(app_at, tmp_path, interactions, items, message):
    path = write_bad_dataset(tmp_path, interactions, items)
    at = app_at(PAGE, **{keys.DATASET_PICK: "CSV file…", keys.CSV_PATH: str(path)})
    assert not at.exception
    assert [shown(error.value) for error in at.error] == [f"Cannot load dataset 'csv:{path}': {tmp_path}/{message}"]


def test_empty_csv_path_asks_for_one(app_at) -> None:
    at = app_at(PAGE, **{keys.DATASET_PICK: "CSV file…", keys.CSV_PATH: ""})
    assert not at.exception
    assert "interactions CSV" in at.info[0].value


def test_movielens_without_files_names_the_flag(app_at, tmp_path: Path) -> None:
    at = app_at(PAGE, **{keys.DATASET_PICK: "movielens-100k", keys.DATA_DIR: str(tmp_path)})
    assert not at.exception
    assert len(at.error) == 1 and "movielens-100k" in shown(at.error[0].value)


ML_LATEST_SMALL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ml-latest-small"


@pytest.mark.skipif(not ML_LATEST_SMALL.is_dir(), reason=f"{ML_LATEST_SMALL} is not present")
def test_movielens_latest_small_from_its_folder(app_at, frame_with) -> None:
    at = app_at(PAGE, **{keys.DATASET_PICK: "movielens-latest-small", keys.DATA_DIR: str(ML_LATEST_SMALL)})
    assert not at.exception
    graph = load_dataset("movielens-latest-small", ML_LATEST_SMALL)
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Interactions"] == f"{graph.num_edges:,}" and metrics["Users"] == f"{graph.num_users:,}"
    items = frame_with(at, "genres")
    most_popular = int(graph.item_degree().argmax())
    assert items["title"].iloc[0] == graph.item_title(most_popular)
    assert items["interactions"].iloc[0] == graph.item_degree().max()


def test_figures_hold_counts_and_a_bounded_curve_not_one_point_per_node(app_at, tmp_path: Path) -> None:
    items = 3 * figures.MAX_CURVE_POINTS // 2  # more items than the long tail draws
    path = tmp_path / "interactions.csv"
    path.write_text("user,item\n" + "".join(f"u{u},i{i}\n" for i in range(items) for u in range(1 + i % 7)))
    at = app_at(PAGE, **{keys.DATASET_PICK: "CSV file…", keys.CSV_PATH: str(path)})
    assert not at.exception

    def lengths(chart) -> list[int]:
        sizes = []
        for trace in json.loads(chart.proto.spec)["data"]:
            x = trace["x"]
            if isinstance(x, dict):  # plotly's typed array
                x = np.frombuffer(base64.b64decode(x["bdata"]), dtype=np.dtype(x["dtype"]))
            sizes.append(len(x))
        return sizes

    degree_chart, tail_chart = at.get("plotly_chart")
    assert lengths(degree_chart) == [7, 7]  # users: 7 distinct degrees; items: 1..7 interactions each
    assert lengths(tail_chart)[0] <= figures.MAX_CURVE_POINTS < items


@pytest.mark.parametrize("away", ["error", "other dataset"])
def test_item_filter_is_cleared_with_the_dataset_it_was_typed_for(app_at, tmp_path: Path, away: str) -> None:
    at = app_at(PAGE)
    total = len(load_dataset("synthetic").items)
    first_title = at.dataframe[0].value["title"].iloc[0]
    at.text_input(key=keys.DATA_ITEM_FILTER).set_value(first_title).run()
    assert len(at.dataframe[0].value) < total
    if away == "error":  # a dataset that fails to load: the page stops before the filter box
        at.session_state[keys.DATASET_PICK] = "CSV file…"
        at.session_state[keys.CSV_PATH] = str(tmp_path / "nope.csv")
    else:
        at.session_state[keys.DATASET_PICK] = "CSV file…"
        at.session_state[keys.CSV_PATH] = str(write_csv(tmp_path))
    at.run()
    at.session_state[keys.DATASET_PICK] = "synthetic"
    at.run()
    assert not at.exception
    # The box and the list agree: the filter typed for the earlier visit no longer narrows the list.
    assert at.text_input(key=keys.DATA_ITEM_FILTER).value == ""
    assert any(caption.value.startswith(f"{total:,} items match") for caption in at.caption)
