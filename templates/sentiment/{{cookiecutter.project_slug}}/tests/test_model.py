"""Training quality, reproducibility and persistence of the model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from {{cookiecutter.package_name}}.config import Config
from {{cookiecutter.package_name}}.data import load_split
from {{cookiecutter.package_name}}.evaluate import FIGURES
from {{cookiecutter.package_name}}.predict import load_model
from {{cookiecutter.package_name}}.train import (
    build_model,
    train,
    vectorizer_of,
)

from .helpers import PipelineRun, make_config, run_pipeline


def test_baseline_predicts_the_majority_class(pipeline_run: PipelineRun) -> None:
    config, trained, metrics = pipeline_run
    test = load_split(config, "test")
    assert len(set(trained.baseline.predict(test["text"]))) == 1
    majority_share = max(metrics["data"]["test_label_counts"].values()) / len(test)
    majority = metrics["holdout"]["scores"]["majority"]
    assert majority["accuracy"] == pytest.approx(majority_share, abs=1e-4)
    assert majority["roc_auc"] == 0.5


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


def test_same_seed_gives_the_same_metrics_and_figures(
    pipeline_run: PipelineRun, tmp_path: Path
) -> None:
    config, _, first = pipeline_run
    second_config = make_config(tmp_path)
    _, second = run_pipeline(second_config)
    assert second == first
    # The figures are rendered again from scratch: the PNG bytes must not change.
    for name in FIGURES:
        relative = Path(first["figures"][name])
        again = second_config.resolve(Path(second["figures"][name]))
        assert again.read_bytes() == config.resolve(relative).read_bytes(), name


def test_all_three_artefacts_are_saved_and_load(pipeline_run: PipelineRun) -> None:
    _, trained, _ = pipeline_run
    for path in (trained.model_path, trained.baseline_path, trained.lexicon_path):
        assert load_model(path).predict(["Great value."])[0] in ("negative", "positive")


def test_lexicon_feature_can_be_switched_off(pipeline_run: PipelineRun) -> None:
    config, trained, _ = pipeline_run
    steps = trained.model.named_steps["features"].transformer_list
    assert [name for name, _ in steps] == ["tfidf", "lexicon"]
    assert isinstance(vectorizer_of(trained.model), TfidfVectorizer)
    plain = build_model(config, lexicon=False).named_steps["features"].transformer_list
    assert [name for name, _ in plain] == ["tfidf"]


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
