"""Training quality, reproducibility and persistence of the model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{cookiecutter.package_name}}.config import Config
from {{cookiecutter.package_name}}.data import load_split
from {{cookiecutter.package_name}}.predict import load_model
from {{cookiecutter.package_name}}.train import (
    train,
)

from .helpers import PipelineRun, make_config, run_pipeline


def test_model_beats_the_baseline_by_a_clear_margin(pipeline_run: PipelineRun) -> None:
    _, _, metrics = pipeline_run
    model, baseline = metrics["model"], metrics["baseline"]
    assert model["accuracy"] >= baseline["accuracy"] + 0.15
    assert model["f1_macro"] >= baseline["f1_macro"] + 0.30
    assert model["cv_f1_macro_mean"] >= baseline["cv_f1_macro_mean"] + 0.25


def test_baseline_predicts_the_majority_class(pipeline_run: PipelineRun) -> None:
    config, trained, metrics = pipeline_run
    test = load_split(config, "test")
    assert len(set(trained.baseline.predict(test["text"]))) == 1
    majority_share = max(metrics["data"]["test_label_counts"].values()) / len(test)
    assert metrics["baseline"]["accuracy"] == pytest.approx(majority_share, abs=1e-4)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Absolutely wonderful, I loved every minute. Highly recommend.", "positive"),
        ("Friendly staff, delicious food and great value.", "positive"),
        ("Terrible quality, it broke after one day. Complete waste of money.", "negative"),
        ("Rude staff, cold food and a dirty table. Avoid.", "negative"),
    ],
)
def test_model_gets_unambiguous_reviews_right(
    pipeline_run: PipelineRun, text: str, label: str
) -> None:
    _, trained, _ = pipeline_run
    assert trained.model.predict([text])[0] == label


def test_saved_model_round_trips(pipeline_run: PipelineRun) -> None:
    config, trained, _ = pipeline_run
    texts = load_split(config, "test")["text"]
    loaded = load_model(trained.model_path)
    np.testing.assert_array_equal(loaded.predict(texts), trained.model.predict(texts))
    np.testing.assert_allclose(loaded.predict_proba(texts), trained.model.predict_proba(texts))


def test_same_seed_gives_the_same_metrics(pipeline_run: PipelineRun, tmp_path: Path) -> None:
    _, _, first = pipeline_run
    _, second = run_pipeline(make_config(tmp_path))
    assert second == first


def test_evaluate_writes_metrics_and_figure(pipeline_run: PipelineRun) -> None:
    config, _, metrics = pipeline_run
    written = json.loads(config.resolve(config.paths.metrics).read_text(encoding="utf-8"))
    assert written == metrics
    for name in ("model", "baseline"):
        assert set(written[name]) == {"accuracy", "f1_macro", "cv_f1_macro_mean", "cv_f1_macro_std"}
        assert all(0.0 <= value <= 1.0 for value in written[name].values())
    matrix = np.array(written["confusion_matrix"]["matrix"])
    assert matrix.sum() == written["data"]["n_test"]
    figure = config.resolve(config.paths.confusion_matrix)
    assert figure.read_bytes().startswith(b"\x89PNG")


def test_training_requires_prepared_data(config: Config) -> None:
    with pytest.raises(FileNotFoundError, match="make data"):
        train(config)


def test_metrics_are_computed_on_the_held_out_rows(pipeline_run: PipelineRun) -> None:
    config, _, metrics = pipeline_run
    train_split = load_split(config, "train")
    test_split = load_split(config, "test")
    assert metrics["data"]["n_train"] == len(train_split)
    assert metrics["data"]["n_test"] == len(test_split)
    assert pd.merge(train_split, test_split, on="text").empty
