"""A client of the explorer: PyG's own LightGCN, trained by a plain PyTorch loop, logged with ``engine.track``.

It trains an engine MF run on MovieLens latest-small (or reuses one with ``--mf-run``), trains
``torch_geometric.nn.models.LightGCN`` on that run's training edges, logs its loss and embeddings every few epochs,
lets the engine pick the snapshot on the MF run's validation slice and test it on the MF run's test edges, and ends
with ``python -m engine compare`` of the two runs, paired user by user::

    .venv/bin/python examples/pyg_lightgcn.py --data-dir ../shared/data/ml-latest-small --runs-dir runs
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import torch
from torch_geometric.nn.models import LightGCN

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the engine is this repository, not an installed package

from engine import track  # noqa: E402
from engine.runs.config import TrainConfig  # noqa: E402
from engine.training import train  # noqa: E402

DATASET = "movielens-latest-small"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir",
        default=str(ROOT.parent / "shared/data/ml-latest-small"),
        help="folder with ratings.csv and movies.csv (default: %(default)s)",
    )
    parser.add_argument("--runs-dir", default="runs", help="runs directory (default: %(default)s)")
    parser.add_argument("--mf-run", help="an engine run of the dataset whose split to use (default: train MF now)")
    parser.add_argument("--mf-epochs", type=int, default=20, help="epochs of the MF run (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=20, help="LightGCN epochs (default: %(default)s)")
    parser.add_argument("--dim", type=int, default=64, help="embedding size of both (default: %(default)s)")
    parser.add_argument("--layers", type=int, default=3, help="LightGCN layers (default: %(default)s)")
    parser.add_argument("--lr", type=float, default=5e-3, help="Adam learning rate (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=4096, help="training edges per step (default: %(default)s)")
    parser.add_argument("--snapshot-every", type=int, default=5, help="epochs between snapshots (default: %(default)s)")
    return parser.parse_args()


def main() -> int:
    args = arguments()
    if not (Path(args.data_dir) / "ratings.csv").is_file():
        print(
            f"error: {args.data_dir} holds no ratings.csv of MovieLens latest-small; pass --data-dir", file=sys.stderr
        )
        return 2
    torch.manual_seed(0)
    mf_run = args.mf_run or train(
        TrainConfig(model="mf", dataset=DATASET, data_dir=args.data_dir, epochs=args.mf_epochs, dim=args.dim),
        args.runs_dir, progress=False,
    )  # fmt: skip
    settings = {key: value for key, value in vars(args).items() if key not in ("runs_dir", "mf_run")}
    with track.init("pyg-lightgcn", runs_dir=args.runs_dir, split=track.split_of(mf_run), config=settings,
                    select="best", epochs=args.epochs) as run:  # fmt: skip
        users, items = (torch.from_numpy(ids) for ids in run.edges("train"))  # (E,), (E,) row indices
        items = items + run.num_users  # PyG's LightGCN is homogeneous: items follow the users
        edge_index = torch.cat([torch.stack([users, items]), torch.stack([items, users])], dim=1)  # (2, 2E)
        model = LightGCN(run.num_users + run.num_items, args.dim, num_layers=args.layers)
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
        for epoch in range(1, args.epochs + 1):
            total = 0.0
            for batch in torch.randperm(len(users)).split(args.batch_size):
                negatives = torch.randint(run.num_users, run.num_users + run.num_items, (len(batch),))
                label_index = torch.stack([users[batch].repeat(2), torch.cat([items[batch], negatives])])  # (2, 2B)
                positive_rank, negative_rank = model(edge_index, label_index).chunk(2)
                loss = model.recommendation_loss(positive_rank, negative_rank, node_id=label_index.unique())
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += float(loss) * len(batch)
            run.log(epoch, loss=total / len(users))
            if epoch % args.snapshot_every == 0 or epoch == args.epochs:
                with torch.no_grad():
                    embedding = model.get_embedding(edge_index)  # (U + I, d)
                run.snapshot(epoch, users=embedding[: run.num_users], items=embedding[run.num_users :])
    print(f"engine MF run: {mf_run}\nPyG LightGCN run: {run.dir}", flush=True)
    compare = [sys.executable, "-m", "engine", "compare", str(mf_run), str(run.dir), "--baseline", "mf", "--k", "20"]
    return subprocess.run(compare, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
