"""A run's model names one of ours, a user's ``package.module:ClassName``, or a run logged with engine.track."""

from __future__ import annotations

import pytest

from engine.models import MODELS
from engine.models.registry import class_problems, model_class
from engine.models.snapshot import SnapshotEmbeddings
from tests.support.custom_models import BiasedMF, NoLoss, NotARecommender


def test_names_resolve_to_their_classes():
    assert all(model_class(name) is cls for name, cls in MODELS.items())
    assert model_class("tests.support.custom_models:BiasedMF") is BiasedMF
    assert model_class("track:my-lightgcn") is SnapshotEmbeddings
    assert class_problems(BiasedMF) == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("sage", r"unknown model 'sage': choose one of graphsage, lightgcn, mf, pinsage, or name your own"),
        ("nopkg.models:TwoTower", r"cannot import module 'nopkg.models' .*No module named 'nopkg'.*PYTHONPATH"),
        ("tests.support.custom_models:Missing", r"module 'tests.support.custom_models' has no class 'Missing'"),
        ("tests.support.custom_models:NotARecommender", r"NotARecommender is not a subclass of engine.models"),
        ("tests.support.custom_models:NoLoss", r"NoLoss does not implement loss .*NoLoss.Params must be a dataclass"),
        (5, r"unknown model 5"),
    ],
)
def test_bad_model_names_say_what_is_wrong(name, message):
    with pytest.raises(ValueError, match=message):
        model_class(name)


def test_class_problems_name_each_missing_part():
    assert class_problems(NotARecommender) == ["NotARecommender is not a subclass of engine.models.Recommender"]
    assert len(class_problems(NoLoss)) == 2

    class Bare(BiasedMF):
        name = ""
        default_train = None

    problems = class_problems(Bare)
    assert any("has no class attribute name" in problem for problem in problems)
    assert any("default_train must be a engine.models.base.TrainDefaults" in problem for problem in problems)
