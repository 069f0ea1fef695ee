"""Recommendations from the saved model, online (one user) or in batch (every user).

    python -m <package>.predict --user-id 7 --k 10        # JSON for one user
    python -m <package>.predict --all-users --k 10        # CSV for every known user

The batch mode is the offline alternative to the API: precompute everyone's list on a
schedule and serve it from a table, trading freshness for zero model work at request time.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from .config import load_params
from .model import Recommender

logger = logging.getLogger(__name__)

_BATCH_SIZE = 256  # users scored per step; bounds the dense users x items score array


def recommend_all(model: Recommender, k: int) -> pd.DataFrame:
    """One row per (user, rank) for every user the model knows, best item first."""
    frames = []
    for start in range(0, len(model.user_ids), _BATCH_SIZE):
        users = model.user_ids[start : start + _BATCH_SIZE]
        ranked = model.top_k(model.user_rows(users), k, "item_knn")
        for user, (index, scores) in zip(users, ranked, strict=True):
            frames.append(
                pd.DataFrame(
                    {
                        "user_id": int(user),
                        "rank": range(1, len(index) + 1),
                        "item_id": model.item_ids[index],
                        "title": model.titles[index],
                        "score": scores,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Recommend items with the trained model.")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--user-id", type=int, help="recommend for this user (JSON to stdout)")
    who.add_argument("--all-users", action="store_true", help="recommend for every known user")
    parser.add_argument("--k", type=int, default=None, help="list length (default: evaluation.k)")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="CSV for --all-users (default: <processed_dir>/recommendations.csv)",
    )
    parser.add_argument("--params", type=Path, default=None, help="params.yaml to use")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    params = load_params(args.params)
    k = args.k or params.evaluation.k
    model = Recommender.load(params.paths.model_path)
    if args.all_users:
        output = args.output or params.paths.processed_dir / "recommendations.csv"
        output.parent.mkdir(parents=True, exist_ok=True)
        table = recommend_all(model, k)
        table.to_csv(output, index=False)
        logger.info(
            "wrote %d recommendations for %d users to %s",
            len(table),
            table["user_id"].nunique(),
            output,
        )
    else:
        json.dump(asdict(model.recommend(args.user_id, k)), sys.stdout, indent=2)
        sys.stdout.write("\n")


if __name__ == "__main__":
    main()
