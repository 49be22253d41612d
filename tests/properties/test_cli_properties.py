"""Property tests of the CLI's argument checks: numbers at the edges of their types never give a traceback.

Whatever a flag is given (huge integers, NaN, infinities, negatives, floats written where integers belong), ``python
-m engine`` either accepts it or prints one ``error:`` line and exits 2, and ``train`` never creates a run directory
for a value it refuses. Accepted training configs stop where the run directory would be created.
"""

from __future__ import annotations

import contextlib
import io
import math
import tempfile
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from engine.cli import main
from engine.models import MODELS
from engine.runs.runstore import RunStore

EDGE_INTEGERS = [0, 1, -1, 2, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**30, -(2**63)]
EDGE_TEXTS = ["1e23", "1e3", "2.5", "-0.0", "nan", "-nan", "inf", "-inf", "1_000", " 7 ", "", "0x10", "١٢", "3.0"]
numbers = st.one_of(
    st.sampled_from(EDGE_INTEGERS).map(str),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e30, max_value=1e30).map(lambda x: f"{x:.0f}"),
    st.sampled_from(EDGE_TEXTS),
)
TRAIN_NUMBER_FLAGS = [
    "--epochs", "--dim", "--lr", "--batch-size", "--negatives", "--test-ratio", "--val-ratio", "--min-rating",
    "--k-core", "--eval-every", "--patience", "--seed", "--max-snapshots", "--k",
]  # fmt: skip
BOOL_WORDS = ("true", "false", "1", "0", "yes", "no")
PARAMS = sorted({(name, field) for name, cls in MODELS.items() for field in cls.Params.__dataclass_fields__})
PROPERTY = settings(max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


class WouldStart(Exception):
    """Raised where the run directory would be created: the input was accepted."""


def spelled(flag: str, value: str, equals: bool) -> list[str]:
    return [f"{flag}={value}"] if equals else [flag, value]


def outcome(argv: list[str]) -> str:
    """``"accepted"`` or the one error line; a traceback fails the test by propagating."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except WouldStart:
            return "accepted"
    if code == 0:
        return "accepted"
    assert code == 2, (argv, code, err.getvalue())
    text = err.getvalue()
    assert text.startswith("error: ") and text.count("\n") == 1, (argv, text)
    return text


def train_outcome(argv: list[str]) -> str:
    with tempfile.TemporaryDirectory() as folder, mock.patch.object(RunStore, "create", side_effect=WouldStart):
        runs = Path(folder) / "runs"
        result = outcome(["train", "--dataset", "synthetic", "--quiet", "--runs-dir", str(runs), *argv])
        assert not runs.exists(), (argv, result)
    return result


@PROPERTY
@given(
    flag=st.sampled_from(TRAIN_NUMBER_FLAGS), value=numbers, equals=st.booleans(), model=st.sampled_from(list(MODELS))
)
@example(flag="--min-rating", value="nan", equals=True, model="mf")
def test_train_number_flags_never_give_a_traceback(flag, value, equals, model):
    if train_outcome(["--model", model, *spelled(flag, value, equals)]) == "accepted":
        assert math.isfinite(float(value)), f"{flag} {value!r} was accepted"


@PROPERTY
@example(param=("mf", "reg"), value="nan")
@example(param=("pinsage", "restart_prob"), value="-nan")
@given(param=st.sampled_from(PARAMS), value=st.one_of(numbers, st.sampled_from(["true", "no", "yes", "abc"])))
def test_model_parameters_never_give_a_traceback(param, value):
    model, name = param
    if train_outcome(["--model", model, "--param", f"{name}={value}"]) == "accepted":
        assert value.strip().lower() in BOOL_WORDS or math.isfinite(float(value)), f"{name}={value!r} was accepted"


@PROPERTY
@given(
    flag=st.sampled_from(["--seed", "--num-walks", "--walk-length", "--restart-prob", "--top-t"]),
    value=numbers,
    equals=st.booleans(),
)
def test_random_walk_sample_flags_never_give_a_traceback(flag, value, equals):
    argv = ["sample", "--dataset", "synthetic", "--node", "item:1", "--sampler", "randomwalk"]
    outcome([*argv, *spelled(flag, value, equals)])


@PROPERTY
@given(fanouts=st.lists(numbers, min_size=0, max_size=3).map(",".join), equals=st.booleans(), seed=numbers)
def test_fanout_sample_flags_never_give_a_traceback(fanouts, equals, seed):
    argv = ["sample", "--dataset", "synthetic", "--node", "item:1", "--sampler", "fanout"]
    outcome([*argv, *spelled("--fanouts", fanouts, equals), *spelled("--seed", seed, True)])


@PROPERTY
@example(node="-:")
@example(node=" user : 1 ")
@given(node=st.text(max_size=12))
def test_any_node_name_is_found_or_refused_in_one_line(node):
    outcome(["sample", "--dataset", "synthetic", "--node", node, "--fanouts", "1"])
