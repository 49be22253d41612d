"""Data-parallel training with ``torch.distributed``: one run trained by ``torchrun --nproc-per-node N`` processes.

Every process builds the same model from the same config and seed and trains it through
:class:`~torch.nn.parallel.DistributedDataParallel` (``gloo`` on CPU, ``nccl`` on GPU), which averages the
gradients of each step across processes; each process draws its own shard of every epoch's edges with its own
sampler streams (:class:`~engine.loader.LinkBatchLoader` ``rank``/``world_size``). Rank 0 alone writes the run
directory, evaluates and checkpoints; the others wait for it where the loop needs its decisions. A stop request
(SIGTERM or Ctrl-C) on any rank is shared at the next step, so every rank stops after the same batch.

Launched without ``torchrun`` (no ``WORLD_SIZE`` in the environment, or 1), :func:`join` returns a group of one and
nothing here communicates.
"""

from __future__ import annotations

import datetime
import os
import warnings
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

TIMEOUT = datetime.timedelta(minutes=30)  # a rank waiting longer than this for the others fails with an error


@dataclass(frozen=True)
class Group:
    """This process's place in a data-parallel training group."""

    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        """Rank 0: the one that writes the run directory."""
        return self.rank == 0

    @property
    def parallel(self) -> bool:
        return self.world_size > 1

    def share(self, value: Any) -> Any:
        """Rank 0's ``value`` on every rank (any picklable object)."""
        if not self.parallel:
            return value
        box = [value if self.is_main else None]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def any(self, flag: bool) -> bool:
        """Whether ``flag`` is true on any rank."""
        if not self.parallel:
            return bool(flag)
        value = torch.tensor([1.0 if flag else 0.0])
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item() > 0)

    def sum(self, *values: float) -> list[float]:
        """Each of ``values`` summed over the ranks."""
        if not self.parallel:
            return [float(v) for v in values]
        total = torch.tensor([float(v) for v in values], dtype=torch.float64)
        dist.all_reduce(total, op=dist.ReduceOp.SUM)
        return total.tolist()

    def wait(self) -> None:
        """Wait until every rank is here."""
        if self.parallel:
            dist.barrier()

    def lost_rank(self, error: BaseException) -> str | None:
        """What to say when ``error`` means another rank is gone (killed, crashed, out of memory); else ``None``.

        A collective whose peer process died fails on the survivors with a transport error ("Connection reset by
        peer") that names an address, not a rank; this names the ranks it can be and what to do.
        """
        if not self.parallel or not isinstance(error, RuntimeError):
            return None
        if not any(sign in str(error) for sign in _PEER_LOST):
            return None
        others = [rank for rank in range(self.world_size) if rank != self.rank]
        who = f"rank {others[0]}" if len(others) == 1 else f"one of ranks {', '.join(map(str, others))}"
        return (
            f"{who} of this {self.world_size}-process run stopped answering in the middle of a step (its process "
            "died or was killed; torchrun's output names it and its exit code). The run keeps its last checkpoint: "
            f"resume it with `torchrun --nproc-per-node {self.world_size} -m engine train --resume RUN_DIR`."
        )


# How gloo and NCCL report a peer process that is gone.
_PEER_LOST = ("Connection reset by peer", "Connection closed by peer", "Broken pipe", "NCCL communicator was aborted")


SINGLE_PROCESS = Group()  # training without torchrun


def join(device: torch.device | str) -> Group:
    """Join the group ``torchrun`` started this process in (``gloo`` for a CPU device, ``nccl`` for CUDA).

    Raises:
        ValueError: ``torchrun`` asked for CUDA processes that this machine cannot give one GPU each.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return Group()
    if dist.is_initialized():
        return Group(dist.get_rank(), dist.get_world_size())
    device = torch.device(device)
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if local_rank >= torch.cuda.device_count():
            raise ValueError(
                f"torchrun started {os.environ.get('LOCAL_WORLD_SIZE', world_size)} processes on this machine but it "
                f"has {torch.cuda.device_count()} GPU(s); use --nproc-per-node {torch.cuda.device_count()} at most"
            )
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend, timeout=TIMEOUT)
    return Group(dist.get_rank(), dist.get_world_size())


def leave(group: Group) -> None:
    """Leave the group (after the last collective call)."""
    if group.parallel and dist.is_initialized():
        dist.destroy_process_group()


def device_for(device: torch.device, group: Group) -> torch.device:
    """Each process of a CUDA group on its own GPU (``LOCAL_RANK``); CPU processes share the CPU."""
    if group.parallel and device.type == "cuda":
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return device


class _Loss(torch.nn.Module):
    """A model whose forward pass is its training loss, which is what DistributedDataParallel wraps."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, batch) -> torch.Tensor:
        return self.model.loss(batch)


def loss_function(model: torch.nn.Module, group: Group):
    """``batch -> loss``: the model's own loss on one process, through DDP (gradients averaged) on several.

    Buffers (the train graph's adjacency, features) are built identically on every rank from the same data, so they
    are not broadcast; several are sparse tensors, which ``gloo`` cannot send.
    """
    if not group.parallel:
        return model.loss
    device = next(model.parameters()).device
    ids = [device.index] if device.type == "cuda" else None
    with warnings.catch_warnings():
        # torch 2.13 deprecates broadcast_buffers in favour of forward_sync_buffers, which still syncs buffers at
        # construction; not syncing them at all is the point here, and only broadcast_buffers=False does that yet.
        warnings.filterwarnings("ignore", message=".*broadcast_buffers.*", category=FutureWarning)
        return torch.nn.parallel.DistributedDataParallel(_Loss(model), device_ids=ids, broadcast_buffers=False)
