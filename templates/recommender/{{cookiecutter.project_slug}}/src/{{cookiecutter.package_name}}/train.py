"""Split the ratings (by time, by default), fit item-kNN on the training part and save it.

Run `python -m <package>.train` after `make data`. Writes data/processed/{train,test}.csv (so the
evaluation and the monitor use exactly the split the model was fitted on) and the model file.
The split is `split.method` in params.yaml.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pandas as pd

from . import tracking
from .config import Params, load_params
from .data import ITEMS_FILE, RATING_DTYPES, RATINGS_FILE, load_raw
from .features import split_ratings as make_split
from .model import Recommender

logger = logging.getLogger(__name__)

TRAIN_FILE = "train.csv"
TEST_FILE = "test.csv"


def split_ratings(params: Params) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Load data/raw, split it by `split.method` and write the two halves to data/processed."""
    ratings, items = load_raw(params.paths.raw_dir)
    train, test = make_split(ratings, params.split, params.seed)
    params.paths.processed_dir.mkdir(parents=True, exist_ok=True)
    train.to_csv(params.paths.processed_dir / TRAIN_FILE, index=False)
    test.to_csv(params.paths.processed_dir / TEST_FILE, index=False)
    return train, test, items


def load_split(processed_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the split written by training."""
    paths = [processed_dir / TRAIN_FILE, processed_dir / TEST_FILE]
    if not all(path.exists() for path in paths):
        raise FileNotFoundError(f"no split in {processed_dir}; run `make train` first")
    train, test = (pd.read_csv(path, dtype=RATING_DTYPES) for path in paths)
    return train, test


def run_training(params: Params) -> Recommender:
    """The whole training step; returns the fitted model (also saved to paths.model_path)."""
    with tracking.training_run(
        params.model_dump(mode="json"),
        [params.paths.raw_dir / RATINGS_FILE, params.paths.raw_dir / ITEMS_FILE],
        tracking.run_file_for(params.paths.model_path),
    ) as tracked:
        train, test, items = split_ratings(params)
        model = Recommender.fit(train, items, params.model)
        model.save(params.paths.model_path)
        if tracked is not None:
            tracked.log_model(params.paths.model_path)
    logger.info(
        "fitted item-kNN on %d ratings (%d held out for test); saved to %s",
        len(train),
        len(test),
        params.paths.model_path,
    )
    return model


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fit the recommender on the training split.")
    parser.add_argument("--params", type=Path, default=None, help="params.yaml to use")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    run_training(load_params(args.params))


if __name__ == "__main__":
    main()
