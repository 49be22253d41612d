"""The optimiser of a run: Adam for dense layers, a row-sparse Adam for the free ID tables.

A free ID table is a ``torch.nn.Embedding(sparse=True)``: a step's gradient holds only the rows the batch looked up.
:class:`RowSparseAdam` updates those rows with the arithmetic of ``torch.optim.SparseAdam`` (lazy Adam: a row's
moments move only when the row is in a batch) but allocates the moments of a row the first time it is touched, so
the optimiser's state — in memory and in ``checkpoint.pt`` — grows with the rows touched, not with the table; the
one per-row cost is a 4-byte slot index. ``torch.optim.SparseAdam`` keeps two dense ``(rows, d)`` moments per table.
:class:`TableAdam` holds one Adam over the dense parameters and one :class:`RowSparseAdam` over the tables, and
converts the plain-Adam state of a checkpoint written before sparse tables.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from engine.training.checkpoint import CheckpointError

FORMAT = "table-adam/1"  # marks a TableAdam state dict inside checkpoint.pt


class RowSparseAdam(torch.optim.Optimizer):
    """``torch.optim.SparseAdam`` with moments allocated per touched row.

    Args:
        params: Parameters whose gradients are sparse (``torch.nn.Embedding(sparse=True)`` weights).
        lr (float): Learning rate. (default: ``1e-3``)
        betas (tuple[float, float]): Moment decay rates. (default: ``(0.9, 0.999)``)
        eps (float): Added to the denominator. (default: ``1e-8``)
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        if not lr > 0 or not eps > 0 or not all(0 <= beta < 1 for beta in betas):
            raise ValueError(f"'RowSparseAdam' needs lr > 0, eps > 0 and betas in [0, 1) (got {lr}, {eps}, {betas})")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps})

    def rows_touched(self, param: Tensor) -> int:
        """Rows of ``param`` that hold moments: those some step's gradient reached."""
        return int(self.state[param].get("count", 0))

    def _slots(self, param: Tensor, rows: Tensor) -> Tensor:
        """``(n,)`` positions of ``rows (n,)`` (distinct) in the moment buffers, allocating the new ones."""
        state = self.state[param]
        if not state:
            state.update(step=0, count=0, slot=torch.full((param.shape[0],), -1, dtype=torch.int32,
                                                          device=param.device))  # fmt: skip
            state.update(rows=param.new_empty(0, dtype=torch.long), exp_avg=param.new_zeros(0, *param.shape[1:]))
            state["exp_avg_sq"] = param.new_zeros(0, *param.shape[1:])
        slots = state["slot"][rows]  # (n,)
        fresh = rows[slots < 0]
        if len(fresh):
            count = state["count"]
            needed = count + len(fresh)
            if needed > len(state["rows"]):  # grow by doubling: amortised O(1) per new row
                capacity = max(needed, 2 * len(state["rows"]))
                for key in ("exp_avg", "exp_avg_sq", "rows"):
                    old = state[key]
                    grown = old.new_zeros(capacity, *old.shape[1:])
                    grown[: len(old)] = old
                    state[key] = grown
            state["slot"][fresh] = torch.arange(count, needed, dtype=torch.int32, device=param.device)
            state["rows"][count:needed] = fresh
            state["count"] = needed
            slots = state["slot"][rows]
        return slots.long()

    @torch.no_grad()
    def step(self, closure=None):
        loss = None if closure is None else closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                if not param.grad.is_sparse:
                    raise RuntimeError(
                        "RowSparseAdam updates tables with sparse gradients only; build the table as "
                        "torch.nn.Embedding(sparse=True) and look rows up through it"
                    )
                grad = param.grad.coalesce()
                rows, values = grad.indices()[0], grad.values()  # (n,), (n, d)
                if len(rows) == 0:
                    continue
                slots = self._slots(param, rows)
                state = self.state[param]
                state["step"] += 1
                old_avg, old_sq = state["exp_avg"][slots], state["exp_avg_sq"][slots]  # (n, d), (n, d)
                avg = old_avg + (values - old_avg).mul_(1 - beta1)
                sq = old_sq + (values.pow(2) - old_sq).mul_(1 - beta2)
                state["exp_avg"][slots], state["exp_avg_sq"][slots] = avg, sq
                step = state["step"]
                step_size = group["lr"] * math.sqrt(1 - beta2**step) / (1 - beta1**step)
                param.index_add_(0, rows, avg.div_(sq.sqrt_().add_(group["eps"])).mul_(-step_size))
        return loss

    def state_dict(self) -> dict[str, Any]:
        """Moments of the touched rows only: per parameter ``step``, ``rows (R,)``, ``exp_avg (R, d)``,
        ``exp_avg_sq (R, d)`` (``R`` rows touched), in the order they were first touched."""
        params = [p for group in self.param_groups for p in group["params"]]
        state = {}
        for index, param in enumerate(params):
            if self.state[param]:
                saved, count = self.state[param], self.state[param]["count"]
                state[index] = {"step": saved["step"], "rows": saved["rows"][:count].clone()}
                state[index] |= {key: saved[key][:count].clone() for key in ("exp_avg", "exp_avg_sq")}
        groups = [{key: value for key, value in group.items() if key != "params"} for group in self.param_groups]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        params = [p for group in self.param_groups for p in group["params"]]
        for group, saved in zip(self.param_groups, state_dict["param_groups"], strict=True):
            group.update({key: tuple(v) if key == "betas" else v for key, v in saved.items()})
        self.state.clear()
        for index, saved in state_dict["state"].items():
            param = params[int(index)]
            rows = saved["rows"].to(param.device, torch.long)
            self._slots(param, rows)  # allocates them in the saved order, so slots match the saved moments
            state = self.state[param]
            state["step"] = int(saved["step"])
            for key in ("exp_avg", "exp_avg_sq"):
                state[key][: len(rows)] = saved[key].to(param.device, param.dtype)


def use_dense_tables(model: torch.nn.Module) -> None:
    """Give ``model``'s tables dense gradients (and so plain Adam): for ``nccl``, which DDP cannot all-reduce sparse
    gradients with."""
    for module in model.modules():
        if isinstance(module, torch.nn.Embedding):
            module.sparse = False


class TableAdam:
    """Adam over a model's dense parameters and :class:`RowSparseAdam` over its sparse tables, stepped together.

    Args:
        model (torch.nn.Module): Its ``torch.nn.Embedding(sparse=True)`` weights are the tables; the rest is dense.
        lr (float): Both optimisers' learning rate.
    """

    def __init__(self, model: torch.nn.Module, lr: float) -> None:
        self.names = [name for name, _ in model.named_parameters()]
        tables = {id(m.weight) for m in model.modules() if isinstance(m, torch.nn.Embedding) and m.sparse}
        self.table_names = [name for name, p in model.named_parameters() if id(p) in tables]
        self.dense_names = [name for name in self.names if name not in self.table_names]
        parameters = dict(model.named_parameters())
        self.dense = torch.optim.Adam([parameters[n] for n in self.dense_names], lr=lr) if self.dense_names else None
        self.tables = RowSparseAdam([parameters[n] for n in self.table_names], lr=lr) if self.table_names else None
        self.optimizers = [o for o in (self.dense, self.tables) if o is not None]

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        return [group for optimizer in self.optimizers for group in optimizer.param_groups]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for optimizer in self.optimizers:
            optimizer.zero_grad(set_to_none=set_to_none)

    def step(self) -> None:
        for optimizer in self.optimizers:
            optimizer.step()

    def state_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "dense_names": self.dense_names,
            "table_names": self.table_names,
            "dense": None if self.dense is None else self.dense.state_dict(),
            "tables": None if self.tables is None else self.tables.state_dict(),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> str | None:
        """Load a :meth:`state_dict`, or convert the plain ``torch.optim.Adam`` state of a checkpoint written before
        sparse tables; returns a one-line note when it converted, else ``None``.

        Raises:
            ValueError: When the state names other parameters than the model has.
        """
        if state_dict.get("format") != FORMAT:
            return self._convert_adam(state_dict)
        if state_dict["dense_names"] != self.dense_names or state_dict["table_names"] != self.table_names:
            raise ValueError(
                f"the optimiser state is of dense parameters {state_dict['dense_names']} and tables "
                f"{state_dict['table_names']}, but the model has {self.dense_names} and {self.table_names}"
            )
        for optimizer, key in ((self.dense, "dense"), (self.tables, "tables")):
            if optimizer is not None:
                optimizer.load_state_dict(state_dict[key])
        return None

    def _convert_adam(self, state_dict: dict[str, Any]) -> str | None:
        """One Adam over every parameter in ``named_parameters()`` order (the trainer before sparse tables)."""
        saved, groups = state_dict.get("state", {}), state_dict.get("param_groups", [])
        if len(groups) != 1 or len(groups[0].get("params", [])) != len(self.names):
            raise ValueError(
                f"the optimiser state holds {sum(len(g.get('params', [])) for g in groups)} parameters in "
                f"{len(groups)} group(s), but the model has {len(self.names)} in one"
            )
        by_name = {name: saved.get(index) for index, name in zip(groups[0]["params"], self.names, strict=True)}
        if self.dense is not None:
            dense_ids = range(len(self.dense_names))
            self.dense.load_state_dict(
                {
                    "state": {
                        i: by_name[n]
                        for i, n in zip(dense_ids, self.dense_names, strict=True)
                        if by_name[n] is not None
                    },
                    "param_groups": [{**groups[0], "params": list(dense_ids)}],
                }
            )
        if self.tables is None:
            return None
        tables, rows_kept = {}, 0
        for index, name in enumerate(self.table_names):
            old = by_name[name]
            if old is None:
                continue
            touched = torch.nonzero((old["exp_avg_sq"] != 0).any(1) | (old["exp_avg"] != 0).any(1))[:, 0]  # (R,)
            tables[index] = {"step": int(old["step"]), "rows": touched}
            tables[index] |= {key: old[key][touched] for key in ("exp_avg", "exp_avg_sq")}
            rows_kept += len(touched)
        settings = {key: groups[0][key] for key in ("lr", "betas", "eps")}
        self.tables.load_state_dict({"state": tables, "param_groups": [settings]})
        return (
            f"converted the checkpoint's dense Adam state of tables {', '.join(self.table_names)} to row-sparse Adam "
            f"({rows_kept} rows with moments kept); the resumed run updates only the rows each batch touches"
        )


def restore_optimizer(optimizer: TableAdam, contents: dict[str, Any], path: Path, announce: bool = True) -> None:
    """Load a checkpoint's optimiser state; a pre-sparse-tables checkpoint is converted, saying so in one line on
    stderr (when ``announce``), and one that fits no parameter layout is a :class:`CheckpointError`."""
    try:
        converted = optimizer.load_state_dict(contents["optimizer_state"])
    except (KeyError, ValueError, RuntimeError) as error:
        raise CheckpointError(f"checkpoint {path} has an optimiser state this model cannot use ({error})") from None
    if converted and announce:
        print(f"note: checkpoint {path}: {converted}", file=sys.stderr, flush=True)
