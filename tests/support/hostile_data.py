"""A CSV dataset whose titles, genres, ids and folder name are Markdown and HTML that would fetch or link ``host``.

Shared by the AppTest and browser tests of how dashboard pages show user-supplied strings: every string must reach
the page as text. ``host`` is ``127.0.0.1:<port>``; the browser test serves it and asserts it was never asked.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDER_NAME = "data **bold** [t](x)"  # a file name is user text too
PLAIN_ITEMS = 12
USERS = 30


def payloads(host: str) -> dict[str, str]:
    """The strings that must never take effect: an image, a link, an HTML image, emphasis."""
    return {
        "image": f"![x](http://{host}/pixel.png)",
        "link": f"[t](http://{host}/)",
        "html": f'<img src="http://{host}/img.png">',
        "bold": "**bold**",
    }


@dataclass(frozen=True)
class HostileDataset:
    interactions: Path  # the csv:PATH file
    top_item: str  # raw id of the most popular item, whose title is the image payload
    top_user: str  # raw id of the most active user, itself a link payload

    @property
    def name(self) -> str:
        return f"csv:{self.interactions}"


def write_hostile_dataset(parent: Path, host: str) -> HostileDataset:
    """interactions.csv, items.csv and users.csv in ``parent/FOLDER_NAME``: hostile strings on the most popular item
    and the most active user, so each page's default choice shows them."""
    folder = parent / FOLDER_NAME
    folder.mkdir(parents=True)
    strings = payloads(host)
    top_item, top_user = f"![i](http://{host}/item-id.png)", f"[u](http://{host}/user)"
    titled = {top_item: strings["image"], "i-link": strings["link"], "i-html": strings["html"], "i-bold": "**bold**"}
    items = list(titled) + [f"plain-{k}" for k in range(PLAIN_ITEMS)]
    users = [top_user] + [f"u{k}" for k in range(1, USERS)]
    rows = [(top_user, item) for item in items]
    rows += [(user, top_item) for user in users[1:]]
    rows += [(user, items[1 + (k + step) % (len(items) - 1)]) for k, user in enumerate(users[1:]) for step in range(3)]
    with open(folder / "interactions.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([("user", "item"), *dict.fromkeys(rows)])
    with open(folder / "items.csv", "w", newline="", encoding="utf-8") as handle:
        genres = f"**bold**|[t](http://{host}/genre)"
        csv.writer(handle).writerows(
            [("item_id", "title", "genres")]
            + [(item, titled.get(item, f"Plain film {item}"), genres) for item in items]
        )
    with open(folder / "users.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([("user_id", "occupation"), *[(user, strings["html"]) for user in users]])
    return HostileDataset(folder / "interactions.csv", top_item, top_user)


def train_on(dataset: HostileDataset, runs_dir: Path, run_id: str) -> Path:
    """One epoch of LightGCN (it can embed a cold-start user) on the dataset with the training CLI; returns the run
    directory."""
    command = [
        sys.executable, "-m", "engine", "train", "--dataset", dataset.name, "--model", "lightgcn", "--epochs", "1",
        "--dim", "8", "--runs-dir", str(runs_dir), "--run-id", run_id, "--quiet",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"training {run_id} failed:\n{result.stdout}\n{result.stderr}"
    return runs_dir / run_id
