"""Score item-kNN and the popularity baseline on held-out ratings, over repeated splits.

Run `python -m <package>.evaluate` after `make train`; writes reports/metrics.json and the
figures in reports/figures/. Two kinds of numbers:

- **Repeated splits** (the headline). One split can be lucky, so the evaluation is run
  `evaluation.n_repeats` times with seeds seed, seed + 1, ...: each repeat keeps a seeded random
  `user_sample` share of the users, splits their ratings with `split.method` (the random split
  also draws its test ratings with that seed), refits both strategies and scores them. The
  report gives every repeat's scores and their mean and (sample) standard deviation.
- **The saved model** (`final_model`): models/recommender.npz on the split `make train` wrote,
  the model the API serves. One split, so it has no error bar; it is a check, not the estimate.

For every test user with at least one relevant test item (rating >= relevance_threshold) whom
the model knows, both strategies rank every item the user did not rate in training, and the
top k are compared with the relevant items. Test users unknown to the model (possible with the
global time split) are counted as cold-start users and skipped: item-kNN cannot score them.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import tracking
from .config import Params, load_params
from .data import load_raw, load_source
from .features import split_ratings
from .model import Recommender, Strategy
from .train import load_split

logger = logging.getLogger(__name__)

STRATEGIES: tuple[Strategy, ...] = ("item_knn", "popularity")
# Ranking quality (metrics.py computes the same three, one list at a time; a test checks they
# agree), plus two numbers about *what* gets recommended rather than how well.
METRIC_NAMES = (
    "precision_at_k",
    "recall_at_k",
    "ndcg_at_k",
    "catalog_coverage",  # share of the catalogue that appears in anybody's top k
    "mean_item_popularity",  # mean share of training users who rated a recommended item
)
N_POPULARITY_GROUPS = 10  # items are cut into deciles of training popularity
DECIMALS = 4


def relevant_items(test: pd.DataFrame, threshold: float) -> dict[int, set[int]]:
    """user_id -> items that user rated at or above the threshold in the test period."""
    liked = test[test["rating"] >= threshold]
    return {int(u): set(group.tolist()) for u, group in liked.groupby("user_id")["item_id"]}


def ranked_matrix(model: Recommender, rows: np.ndarray, k: int, strategy: Strategy) -> np.ndarray:
    """len(rows) x k item indices (columns of the model), best first; -1 pads short lists."""
    ranked = np.full((len(rows), k), -1, dtype=np.int64)
    for i, (index, _) in enumerate(model.top_k(rows, k, strategy)):
        ranked[i, : len(index)] = index
    return ranked


def score_curves(
    model: Recommender, test: pd.DataFrame, max_k: int, threshold: float
) -> dict[str, Any]:
    """Every metric at k = 1..max_k for both strategies, from one top-max_k list per user.

    The list for k is the first k items of the list for max_k, so one ranking gives the whole
    curve. Precision, recall and NDCG are averaged over the evaluated users.
    """
    relevant = relevant_items(test, threshold)
    users = sorted(u for u in relevant if model.has_user(u))
    if not users:
        raise ValueError("no test user has a relevant item; lower relevance_threshold")
    rows = model.user_rows(users)
    relevant_columns = [np.searchsorted(model.item_ids, sorted(relevant[u])) for u in users]
    n_relevant = np.array([len(columns) for columns in relevant_columns], dtype=np.float64)
    ks = np.arange(1, max_k + 1)
    discounts = 1.0 / np.log2(ks + 1)
    # Best achievable DCG at k for a user with n relevant items: the first min(n, k) discounts.
    ideal = np.cumsum(discounts)[np.minimum(n_relevant[:, None], ks).astype(np.int64) - 1]
    n_items = len(model.item_ids)

    curves: dict[str, dict[str, list[float]]] = {}
    for strategy in STRATEGIES:
        ranked = ranked_matrix(model, rows, max_k, strategy)
        hits = np.stack(
            [np.isin(r, c) for r, c in zip(ranked, relevant_columns, strict=True)]
        ).astype(np.float64)
        cumulative_hits = np.cumsum(hits, axis=1)
        filled = ranked >= 0
        slot_popularity = np.where(filled, model.popularity[np.maximum(ranked, 0)], 0.0)
        curves[strategy] = {
            "precision_at_k": (cumulative_hits / ks).mean(axis=0).tolist(),
            "recall_at_k": (cumulative_hits / n_relevant[:, None]).mean(axis=0).tolist(),
            "ndcg_at_k": (np.cumsum(hits * discounts, axis=1) / ideal).mean(axis=0).tolist(),
            "catalog_coverage": [
                len(np.unique(ranked[:, :k][filled[:, :k]])) / n_items for k in ks
            ],
            "mean_item_popularity": (
                np.cumsum(slot_popularity.sum(axis=0)) / np.cumsum(filled.sum(axis=0))
            ).tolist(),
        }
    return {
        "n_users_evaluated": len(users),
        "n_cold_start_users": len(relevant) - len(users),
        "curves": curves,
    }


def at_k(curves: dict[str, dict[str, list[float]]], k: int) -> dict[str, dict[str, float]]:
    """The value of every curve at one k, rounded."""
    return {
        strategy: {name: round(values[k - 1], DECIMALS) for name, values in metrics.items()}
        for strategy, metrics in curves.items()
    }


def evaluate_recommender(
    model: Recommender, test: pd.DataFrame, k: int, threshold: float
) -> dict[str, Any]:
    """Precision@k, recall@k, NDCG@k, coverage and mean item popularity per strategy."""
    scored = score_curves(model, test, k, threshold)
    return {
        "k": k,
        "relevance_threshold": threshold,
        "n_users_evaluated": scored["n_users_evaluated"],
        "n_cold_start_users": scored["n_cold_start_users"],
        "models": at_k(scored["curves"], k),
    }


def popularity_groups(model: Recommender, k: int) -> dict[str, Any]:
    """Where each strategy's top-k slots go, by decile of item popularity in training.

    Group 1 holds the 10% most-rated items. `training_ratings` is the share of training
    ratings on each group: a recommender that only echoes popularity piles its slots into the
    first groups, one that serves the long tail spreads them out.
    """
    order = model.popularity_order  # most rated first
    group_of = np.empty(len(order), dtype=np.int64)
    group_of[order] = np.arange(len(order)) * N_POPULARITY_GROUPS // len(order)
    counts = np.diff(model.ratings.tocsc().indptr)
    shares: dict[str, list[float]] = {
        "training_ratings": np.bincount(group_of, counts, N_POPULARITY_GROUPS) / counts.sum()
    }
    rows = np.arange(len(model.user_ids))
    for strategy in STRATEGIES:
        ranked = ranked_matrix(model, rows, k, strategy)
        slots = group_of[ranked[ranked >= 0]]
        shares[strategy] = np.bincount(slots, minlength=N_POPULARITY_GROUPS) / len(slots)
    return {
        "k": k,
        "groups": list(range(1, N_POPULARITY_GROUPS + 1)),
        **{name: [round(float(v), DECIMALS) for v in values] for name, values in shares.items()},
    }


def _sample_users(ratings: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    users = np.unique(ratings["user_id"].to_numpy())
    size = min(len(users), max(2, round(share * len(users))))
    # A seed derived from (seed, 1), so the users drawn do not share a stream with the split.
    chosen = np.random.default_rng([seed, 1]).choice(users, size=size, replace=False)
    return ratings[ratings["user_id"].isin(chosen)]


def repeated_evaluation(
    ratings: pd.DataFrame, items: pd.DataFrame, params: Params
) -> list[dict[str, Any]]:
    """One entry per repeat: its seed, sizes and every metric's curve for both strategies."""
    cfg = params.evaluation
    repeats = []
    for repeat in range(cfg.n_repeats):
        seed = params.seed + repeat
        sample = _sample_users(ratings, cfg.user_sample, seed)
        train, test = split_ratings(sample, params.split, seed)
        model = Recommender.fit(train, items, params.model)
        scored = score_curves(model, test, cfg.max_k, cfg.relevance_threshold)
        repeats.append(
            {
                "seed": seed,
                "n_users": int(sample["user_id"].nunique()),
                "n_train_ratings": len(train),
                "n_test_ratings": len(test),
                **scored,
            }
        )
    return repeats


def _mean_std(values: np.ndarray) -> dict[str, Any]:
    """Mean and sample standard deviation (ddof=1) over the repeats (axis 0)."""
    return {
        "mean": np.round(values.mean(axis=0), DECIMALS).tolist(),
        "std": np.round(values.std(axis=0, ddof=1), DECIMALS).tolist(),
    }


def summarise(repeats: list[dict[str, Any]], k: int, max_k: int) -> dict[str, Any]:
    """Per-repeat scores at k, their mean +- std, and the mean +- std curves for the figures."""
    stacked = {
        strategy: {
            name: np.array([r["curves"][strategy][name] for r in repeats]) for name in METRIC_NAMES
        }
        for strategy in STRATEGIES
    }
    return {
        "summary": {
            strategy: {name: _mean_std(values[:, k - 1]) for name, values in metrics.items()}
            for strategy, metrics in stacked.items()
        },
        "per_repeat": [
            {
                **{name: value for name, value in r.items() if name != "curves"},
                "models": at_k(r["curves"], k),
            }
            for r in repeats
        ],
        "curves": {
            "k": list(range(1, max_k + 1)),
            **{
                strategy: {name: _mean_std(values) for name, values in metrics.items()}
                for strategy, metrics in stacked.items()
            },
        },
    }


def run_evaluation(params: Params, figures: bool = True) -> dict[str, Any]:
    """Repeated-split evaluation plus the saved model's score; writes metrics.json (+ figures)."""
    cfg = params.evaluation
    ratings, items = load_raw(params.paths.raw_dir)
    repeats = repeated_evaluation(ratings, items, params)

    model = Recommender.load(params.paths.model_path)
    train, test = load_split(params.paths.processed_dir)
    final = evaluate_recommender(model, test, cfg.k, cfg.relevance_threshold)
    report: dict[str, Any] = {
        "k": cfg.k,
        "max_k": cfg.max_k,
        "relevance_threshold": cfg.relevance_threshold,
        "split": params.split.model_dump(),
        "repeats": {
            "n": cfg.n_repeats,
            "user_sample": cfg.user_sample,
            "seeds": [r["seed"] for r in repeats],
            "std": "sample standard deviation (ddof=1) over the repeats",
        },
        **summarise(repeats, cfg.k, cfg.max_k),
        "final_model": {
            "n_users_evaluated": final["n_users_evaluated"],
            "n_cold_start_users": final["n_cold_start_users"],
            "models": final["models"],
            "popularity_groups": popularity_groups(model, cfg.k),
        },
        "data": {
            **load_source(params.paths.raw_dir),
            "n_train_ratings": len(train),
            "n_test_ratings": len(test),
            "n_users": int(model.ratings.shape[0]),
            "n_items": int(model.ratings.shape[1]),
        },
    }
    params.paths.metrics_path.parent.mkdir(parents=True, exist_ok=True)
    params.paths.metrics_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if figures:
        from .plots import write_evaluation_figures  # matplotlib only when figures are wanted

        for path in write_evaluation_figures(report, params.paths.figures_dir):
            logger.info("wrote %s", path)
    k = cfg.k
    tracking.log_evaluation(
        report,
        tracking.Headline(
            f"final_model.item_knn.ndcg@{k}",
            report["final_model"]["models"]["item_knn"]["ndcg_at_k"],
            greater_is_better=True,
        ),
        [params.paths.figures_dir, params.paths.metrics_path],
        tracking.run_file_for(params.paths.model_path),
    )
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Evaluate the recommender against popularity.")
    parser.add_argument("--params", type=Path, default=None, help="params.yaml to use")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    params = load_params(args.params)
    report = run_evaluation(params)
    n = report["repeats"]["n"]
    for strategy, values in report["summary"].items():
        summary = ", ".join(
            f"{name}={value['mean']:.4f}+-{value['std']:.4f}" for name, value in values.items()
        )
        logger.info("%s (mean +- std over %d repeats): %s", strategy, n, summary)
    logger.info("wrote %s", params.paths.metrics_path)


if __name__ == "__main__":
    main()
