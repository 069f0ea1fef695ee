"""Repeated-split evaluation: what metrics.json holds, and the model against its baselines.

The comparisons use the means over the repeated splits and the paired differences between
the model and each baseline (same splits, so shared luck cancels). A gap only counts when it
is larger than its noise: several standard errors of the paired difference, and at least a
minimum size. If a change to the data, the features or the model makes the model stop
beating its baselines, these tests fail.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from {{cookiecutter.package_name}}.evaluate import (
    BASELINES,
    CANDIDATES,
    METRICS,
    calibration_table,
    paired_difference,
    summarise,
)

from .helpers import PipelineRun

# How many standard errors of the paired difference a gap must exceed to count as real.
NOISE_SE = 3.0


def comparison(metrics: dict[str, Any], baseline: str, metric: str) -> dict[str, Any]:
    return metrics["repeated_splits"]["comparisons"][f"model_vs_{baseline}"][metric]


def assert_clearly_better(gap: dict[str, Any], minimum: float) -> None:
    assert gap["mean"] >= minimum, gap
    assert gap["mean"] > NOISE_SE * gap["se"], gap


# --------------------------------------------------------------------------- the content


def test_metrics_json_matches_what_evaluate_returned(pipeline_run: PipelineRun) -> None:
    config, _, metrics = pipeline_run
    written = json.loads(config.resolve(config.paths.metrics).read_text(encoding="utf-8"))
    assert written == metrics
    assert set(written) == {
        "data", "candidates", "repeated_splits", "holdout", "calibration", "figures"
    }  # fmt: skip


def test_every_split_score_is_kept_with_its_mean_and_std(pipeline_run: PipelineRun) -> None:
    config, _, metrics = pipeline_run
    repeated = metrics["repeated_splits"]
    seeds = list(config.evaluate.split_seeds)
    assert repeated["seeds"] == seeds
    assert set(repeated["scores"]) == set(CANDIDATES)
    for name, scores in repeated["scores"].items():
        assert set(scores) == set(METRICS), name
        for metric, summary in scores.items():
            values = np.array(summary["per_split"])
            assert len(values) == len(seeds)
            assert ((values >= 0) & (values <= 1)).all()
            assert summary["mean"] == pytest.approx(values.mean(), abs=1e-4), (name, metric)
            assert summary["std"] == pytest.approx(values.std(ddof=1), abs=1e-4), (name, metric)


def test_the_splits_really_differ(pipeline_run: PipelineRun) -> None:
    _, _, metrics = pipeline_run
    accuracies = metrics["repeated_splits"]["scores"]["model"]["accuracy"]["per_split"]
    assert len(set(accuracies)) > 1
    assert metrics["repeated_splits"]["scores"]["model"]["accuracy"]["std"] > 0


def test_holdout_scores_the_saved_model_on_the_test_split(pipeline_run: PipelineRun) -> None:
    _, _, metrics = pipeline_run
    holdout = metrics["holdout"]
    assert set(holdout["scores"]) == set(CANDIDATES)
    matrix = np.array(holdout["confusion_matrix"]["matrix"])
    assert matrix.sum() == metrics["data"]["n_test"]
    accuracy = np.trace(matrix) / matrix.sum()
    assert holdout["scores"]["model"]["accuracy"] == pytest.approx(accuracy, abs=1e-4)


def test_calibration_is_computed_from_all_pooled_predictions(pipeline_run: PipelineRun) -> None:
    config, _, metrics = pipeline_run
    calibration = metrics["calibration"]
    n_splits = len(config.evaluate.split_seeds)
    assert calibration["n_predictions"] == n_splits * metrics["repeated_splits"]["n_test_per_split"]
    assert sum(b["count"] for b in calibration["bins"]) == calibration["n_predictions"]
    assert 0 <= calibration["ece"] <= 1
    assert 0 <= calibration["brier"] <= 0.25  # 0.25: always answering 0.5


# --------------------------------------------------------------------------- model vs baselines


def test_model_beats_the_majority_baseline_by_far(pipeline_run: PipelineRun) -> None:
    _, _, metrics = pipeline_run
    assert_clearly_better(comparison(metrics, "majority", "accuracy"), minimum=0.25)
    assert_clearly_better(comparison(metrics, "majority", "f1_macro"), minimum=0.40)
    assert_clearly_better(comparison(metrics, "majority", "roc_auc"), minimum=0.35)


def test_model_beats_tfidf_alone(pipeline_run: PipelineRun) -> None:
    # The word-list feature must keep earning its place in the model.
    _, _, metrics = pipeline_run
    assert_clearly_better(comparison(metrics, "tfidf_only", "accuracy"), minimum=0.03)
    assert_clearly_better(comparison(metrics, "tfidf_only", "roc_auc"), minimum=0.03)


def test_model_ranks_better_than_the_word_list_and_is_no_less_accurate(
    pipeline_run: PipelineRun,
) -> None:
    # On 420 short, clean reviews a word list is a strong baseline: the model ranks reviews
    # clearly better (ROC-AUC) but its accuracy is only level with it. The accuracy check is
    # therefore "not worse beyond the noise"; see the README's Results section.
    _, _, metrics = pipeline_run
    assert_clearly_better(comparison(metrics, "lexicon", "roc_auc"), minimum=0.005)
    accuracy = comparison(metrics, "lexicon", "accuracy")
    assert accuracy["mean"] > -2 * accuracy["se"], accuracy


def test_word_list_beats_the_majority_baseline(pipeline_run: PipelineRun) -> None:
    _, _, metrics = pipeline_run
    scores = metrics["repeated_splits"]["scores"]
    assert scores["lexicon"]["accuracy"]["mean"] >= scores["majority"]["accuracy"]["mean"] + 0.2
    assert scores["lexicon"]["roc_auc"]["mean"] >= 0.8


def test_every_baseline_is_compared() -> None:
    assert set(BASELINES) == set(CANDIDATES) - {"model"}


# --------------------------------------------------------------------------- the helpers


def test_summarise_uses_the_sample_standard_deviation() -> None:
    summary = summarise([0.7, 0.8, 0.9])
    assert summary == {"mean": 0.8, "std": 0.1, "per_split": [0.7, 0.8, 0.9]}


def test_paired_difference_counts_wins_and_gives_the_standard_error() -> None:
    gap = paired_difference([0.8, 0.9, 0.7, 0.6], [0.7, 0.8, 0.7, 0.7])
    assert (gap["wins"], gap["ties"], gap["losses"]) == (2, 1, 1)
    diffs = np.array([0.1, 0.1, 0.0, -0.1])
    assert gap["mean"] == pytest.approx(diffs.mean(), abs=1e-4)
    assert gap["se"] == pytest.approx(diffs.std(ddof=1) / 2, abs=1e-4)


def test_calibration_table_on_a_known_case() -> None:
    y_true = np.array([0, 0, 1, 1, 1, 0], dtype=float)
    p_positive = np.array([0.1, 0.1, 0.9, 0.9, 0.6, 0.6])
    table = calibration_table(y_true, p_positive, n_bins=10)
    assert [b["count"] for b in table["bins"]] == [2, 2, 2]
    assert [b["fraction_positive"] for b in table["bins"]] == [0.0, 0.5, 1.0]
    # |0 - 0.1| * 2/6 + |0.5 - 0.6| * 2/6 + |1 - 0.9| * 2/6 = 0.1
    assert table["ece"] == pytest.approx(0.1)
    assert table["brier"] == pytest.approx((0.01 * 4 + 0.16 + 0.36) / 6, abs=1e-4)
