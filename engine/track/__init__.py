"""Log any training loop into the explorer, as ``SummaryWriter`` or ``wandb.log`` would (issue 21).

Example::

    from engine import track

    with track.init("my-lightgcn", runs_dir="runs", dataset="synthetic",
                    split=track.split_of("runs/<an engine run>")) as run:
        users, items = run.edges("train")        # row indices of the training edges
        for epoch in range(1, 21):
            ...                                   # your own training step
            run.log(epoch, loss=loss, metrics={"my_ndcg": value})
            run.snapshot(epoch, users=user_emb, items=item_emb)   # (U, d), (I, d): numpy or torch

Leaving the block evaluates the last snapshot on the split's test edges with the engine's evaluator, so
``python -m engine compare`` pairs the run with the engine run user by user.
"""

from engine.track.run import Run, init
from engine.track.split import Split, TrackError, split_of

__all__ = ["Run", "Split", "TrackError", "init", "split_of"]
