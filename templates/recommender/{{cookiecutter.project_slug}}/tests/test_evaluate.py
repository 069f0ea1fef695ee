"""The evaluation: repeated splits with mean +- std, the k = 1..max_k curves and the figures."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.evaluate import (
    METRIC_NAMES,
    STRATEGIES,
    score_curves,
)
from {{ cookiecutter.package_name }}.metrics import (
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)
from {{ cookiecutter.package_name }}.plots import (
    METRICS_AT_K_FILE,
    POPULARITY_BIAS_FILE,
)

from testkit import PROJECT_ROOT, Trained, run_pipeline, small_params

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FIGURES = (METRICS_AT_K_FILE, POPULARITY_BIAS_FILE)
# item-kNN must beat popularity by this much NDCG@k (absolute, on the repeated-split means) ...
NDCG_MARGIN = 0.05
# ... and every metric's gap must exceed this many standard errors of the difference.
NOISE_MULTIPLE = 3


def test_every_repeat_is_reported_with_mean_and_std(trained: Trained) -> None:
    report, n = trained.report, trained.params.evaluation.n_repeats
    assert report["repeats"]["n"] == n == len(report["per_repeat"])
    seeds = [r["seed"] for r in report["per_repeat"]]
    assert seeds == [trained.params.seed + i for i in range(n)]
    for strategy in STRATEGIES:
        for name in METRIC_NAMES:
            values = np.array([r["models"][strategy][name] for r in report["per_repeat"]])
            summary = report["summary"][strategy][name]
            assert summary["mean"] == pytest.approx(values.mean(), abs=1e-4)
            assert summary["std"] == pytest.approx(values.std(ddof=1), abs=1e-4)


def test_the_repeats_are_different_splits(trained: Trained) -> None:
    """Not one split scored five times: the scores and the users differ between repeats."""
    ndcg = [r["models"]["item_knn"]["ndcg_at_k"] for r in trained.report["per_repeat"]]
    assert len(set(ndcg)) > 1
    assert trained.report["summary"]["item_knn"]["ndcg_at_k"]["std"] > 0
    sizes = {r["n_train_ratings"] for r in trained.report["per_repeat"]}
    assert len(sizes) > 1


def test_item_knn_beats_popularity_beyond_the_noise(trained: Trained) -> None:
    """The comparison that must keep failing if the model stops beating its baseline.

    It uses the repeated-split means, and asks for a gap larger than the repeats' noise: the
    standard error of the difference of two means, sqrt(std_a^2 / n + std_b^2 / n).
    """
    summary, n = trained.report["summary"], trained.report["repeats"]["n"]
    knn, popularity = summary["item_knn"], summary["popularity"]
    for name in ("precision_at_k", "recall_at_k", "ndcg_at_k", "catalog_coverage"):
        gap = knn[name]["mean"] - popularity[name]["mean"]
        noise = math.hypot(knn[name]["std"], popularity[name]["std"]) / math.sqrt(n)
        assert gap > NOISE_MULTIPLE * noise, f"{name}: gap {gap:.4f} within the noise"
    ndcg_gap = knn["ndcg_at_k"]["mean"] - popularity["ndcg_at_k"]["mean"]
    ndcg_noise = math.hypot(knn["ndcg_at_k"]["std"], popularity["ndcg_at_k"]["std"])
    assert ndcg_gap >= NDCG_MARGIN > NOISE_MULTIPLE * ndcg_noise / math.sqrt(n)
    # Popularity recommends what is already popular; item-kNN reaches further into the tail.
    assert knn["mean_item_popularity"]["mean"] < popularity["mean_item_popularity"]["mean"]
    for repeat in trained.report["per_repeat"]:
        assert (
            repeat["models"]["item_knn"]["ndcg_at_k"] > repeat["models"]["popularity"]["ndcg_at_k"]
        )
        assert repeat["n_users_evaluated"] > 80


def test_curves_agree_with_the_reference_metrics(trained: Trained) -> None:
    """The vectorised curves give what metrics.py gives one list at a time, at every k."""
    model, max_k = trained.model, trained.params.evaluation.max_k
    threshold = trained.params.evaluation.relevance_threshold
    scored = score_curves(model, trained.test, max_k, threshold)
    liked = trained.test[trained.test["rating"] >= threshold]
    relevant = {int(u): set(g) for u, g in liked.groupby("user_id")["item_id"]}
    users = sorted(u for u in relevant if model.has_user(u))
    assert scored["n_users_evaluated"] == len(users)
    for strategy in STRATEGIES:
        lists = [
            model.item_ids[index].tolist()
            for index, _ in model.top_k(model.user_rows(users), max_k, strategy)
        ]
        curves = scored["curves"][strategy]
        for k in (1, 3, trained.params.evaluation.k, max_k):
            for name, metric in (
                ("precision_at_k", precision_at_k),
                ("recall_at_k", recall_at_k),
                ("ndcg_at_k", ndcg_at_k),
            ):
                expected = np.mean(
                    [metric(r, relevant[u], k) for r, u in zip(lists, users, strict=True)]
                )
                assert curves[name][k - 1] == pytest.approx(expected, abs=1e-9)
            shown = {item for r in lists for item in r[:k]}
            assert curves["catalog_coverage"][k - 1] == pytest.approx(
                len(shown) / len(model.item_ids)
            )


def test_curves_cover_k_1_to_max_k(trained: Trained) -> None:
    curves, max_k = trained.report["curves"], trained.params.evaluation.max_k
    assert curves["k"] == list(range(1, max_k + 1))
    for strategy in STRATEGIES:
        for name in METRIC_NAMES:
            assert (
                len(curves[strategy][name]["mean"]) == len(curves[strategy][name]["std"]) == max_k
            )
        recall = curves[strategy]["recall_at_k"]["mean"]
        assert recall == sorted(recall)  # a longer list never finds fewer relevant items


def test_popularity_groups_show_the_bias(trained: Trained) -> None:
    groups = trained.report["final_model"]["popularity_groups"]
    for name in ("training_ratings", *STRATEGIES):
        assert sum(groups[name]) == pytest.approx(1.0, abs=1e-3)
    # The baseline puts everything in the most popular decile; item-kNN spreads out.
    assert groups["popularity"][0] > 0.8
    assert groups["item_knn"][0] < groups["popularity"][0]
    assert sum(groups["item_knn"][3:]) > 0.05


def test_make_evaluate_writes_the_figures(trained: Trained) -> None:
    for name in FIGURES:
        data = (trained.params.paths.figures_dir / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert len(data) > 10_000


def test_figures_are_byte_identical_and_headless_when_rendered_again(
    trained: Trained, tmp_path: Path
) -> None:
    """The pipeline drew the figures once; a fresh process draws them again from metrics.json.

    Same bytes, although that process asks for a GUI backend (MPLBACKEND) and has no display:
    the Agg canvas is chosen in code, and pyplot is never imported.
    """
    script = (
        "import json, sys; from pathlib import Path\n"
        "from {{ cookiecutter.package_name }}.plots import write_evaluation_figures\n"
        "report = json.loads(Path(sys.argv[1]).read_text())\n"
        "write_evaluation_figures(report, Path(sys.argv[2]))\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    env = {**os.environ, "MPLBACKEND": "TkAgg"}
    env.pop("DISPLAY", None)
    out = tmp_path / "figures"
    subprocess.run(
        [sys.executable, "-c", script, str(trained.params.paths.metrics_path), str(out)],
        check=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    for name in FIGURES:
        again = (out / name).read_bytes()
        assert again == (trained.params.paths.figures_dir / name).read_bytes()
        assert b"Software" not in again  # no matplotlib version stamped in the file


def test_readme_and_model_card_embed_the_figures() -> None:
    for doc in ("README.md", "MODEL_CARD.md"):
        text = (PROJECT_ROOT / doc).read_text(encoding="utf-8")
        for name in FIGURES:
            assert f"](reports/figures/{name})" in text, f"{doc} does not show {name}"


@pytest.mark.parametrize("method", ["global_time", "random"])
def test_the_other_splits_evaluate_too(tmp_path: Path, method: str) -> None:
    params = small_params(tmp_path)
    params = params.model_copy(update={"split": params.split.model_copy(update={"method": method})})
    report = run_pipeline(params)
    assert report["split"]["method"] == method
    knn, popularity = report["summary"]["item_knn"], report["summary"]["popularity"]
    assert knn["ndcg_at_k"]["mean"] > popularity["ndcg_at_k"]["mean"]
    if method == "global_time":
        # Users who only appear after the cut-off cannot be scored by item-kNN: counted, skipped.
        assert report["final_model"]["n_cold_start_users"] > 0
    else:
        assert report["final_model"]["n_cold_start_users"] == 0
