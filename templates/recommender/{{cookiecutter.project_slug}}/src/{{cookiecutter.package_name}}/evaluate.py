"""Score item-kNN and the popularity baseline on the held-out future ratings.

Run `python -m <package>.evaluate` after `make train`; writes reports/metrics.json.
For every test user with at least one relevant test item (rating >= relevance_threshold), both
strategies rank every item the user did not rate in training, and the top k are compared with
the relevant items.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .config import Params, load_params
from .data import load_source
from .metrics import ndcg_at_k, precision_at_k, recall_at_k
from .model import Recommender, Strategy
from .train import load_split

logger = logging.getLogger(__name__)

STRATEGIES: tuple[Strategy, ...] = ("item_knn", "popularity")
METRICS = {"precision_at_k": precision_at_k, "recall_at_k": recall_at_k, "ndcg_at_k": ndcg_at_k}


def relevant_items(test: pd.DataFrame, threshold: float) -> dict[int, set[int]]:
    """user_id -> items that user rated at or above the threshold in the test period."""
    liked = test[test["rating"] >= threshold]
    return {int(u): set(group.tolist()) for u, group in liked.groupby("user_id")["item_id"]}


def evaluate_recommender(
    model: Recommender, test: pd.DataFrame, k: int, threshold: float
) -> dict[str, Any]:
    """Mean precision@k, recall@k and NDCG@k (plus catalogue coverage) per strategy."""
    relevant = relevant_items(test, threshold)
    users = sorted(u for u in relevant if model.has_user(u))
    if not users:
        raise ValueError("no test user has a relevant item; lower relevance_threshold")
    rows = model.user_rows(users)
    results: dict[str, dict[str, float]] = {}
    for strategy in STRATEGIES:
        ranked = [model.item_ids[index].tolist() for index, _ in model.top_k(rows, k, strategy)]
        truth = [relevant[u] for u in users]
        results[strategy] = {
            name: float(np.mean([metric(r, t, k) for r, t in zip(ranked, truth, strict=True)]))
            for name, metric in METRICS.items()
        }
        # How much of the catalogue ever gets recommended: popularity's weak spot.
        recommended = {item for r in ranked for item in r}
        results[strategy]["catalog_coverage"] = len(recommended) / len(model.item_ids)
        results[strategy] = {name: round(value, 4) for name, value in results[strategy].items()}
    return {
        "k": k,
        "relevance_threshold": threshold,
        "n_users_evaluated": len(users),
        "models": results,
    }


def run_evaluation(params: Params) -> dict[str, Any]:
    """Evaluate the saved model on the saved split and write the metrics file."""
    model = Recommender.load(params.paths.model_path)
    train, test = load_split(params.paths.processed_dir)
    report = evaluate_recommender(
        model, test, params.evaluation.k, params.evaluation.relevance_threshold
    )
    report["data"] = {
        **load_source(params.paths.raw_dir),
        "n_train_ratings": len(train),
        "n_test_ratings": len(test),
        "n_users": int(model.ratings.shape[0]),
        "n_items": int(model.ratings.shape[1]),
    }
    params.paths.metrics_path.parent.mkdir(parents=True, exist_ok=True)
    params.paths.metrics_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Evaluate the recommender against popularity.")
    parser.add_argument("--params", type=Path, default=None, help="params.yaml to use")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    params = load_params(args.params)
    report = run_evaluation(params)
    for strategy, values in report["models"].items():
        summary = ", ".join(f"{name}={value:.4f}" for name, value in values.items())
        logger.info("%s: %s", strategy, summary)
    logger.info("wrote %s", params.paths.metrics_path)


if __name__ == "__main__":
    main()
