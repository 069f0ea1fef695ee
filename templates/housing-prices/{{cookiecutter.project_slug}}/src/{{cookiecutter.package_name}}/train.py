"""Train the baselines and the main model on the training split and save them.

A model only means something next to a baseline: ``DummyRegressor`` (always predicts the mean)
shows what "no skill" scores, and ``LinearRegression`` on the same features shows what a simple,
interpretable model achieves. The boosted trees have to beat both to earn their complexity.
"""

from __future__ import annotations

import logging
from pathlib import Path

import joblib
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline

from .config import Params, run_step
from .data import FEATURE_COLUMNS, TARGET_COLUMN, load_processed
from .features import build_preprocessor

logger = logging.getLogger(__name__)

MAIN_MODEL = "hist_gradient_boosting"
BASELINES = ("dummy_mean", "linear_regression")

Models = dict[str, BaseEstimator]


def build_models(params: Params) -> Models:
    """Unfitted estimators, keyed by the names used in reports/metrics.json."""
    hgb = params.model
    return {
        "dummy_mean": DummyRegressor(strategy="mean"),
        "linear_regression": Pipeline(
            [
                ("preprocess", build_preprocessor(params.features)),
                ("regressor", LinearRegression()),
            ]
        ),
        MAIN_MODEL: Pipeline(
            [
                ("preprocess", build_preprocessor(params.features)),
                (
                    "regressor",
                    HistGradientBoostingRegressor(
                        learning_rate=hgb.learning_rate,
                        max_iter=hgb.max_iter,
                        max_leaf_nodes=hgb.max_leaf_nodes,
                        min_samples_leaf=hgb.min_samples_leaf,
                        l2_regularization=hgb.l2_regularization,
                        early_stopping=hgb.early_stopping,
                        random_state=params.seed,
                    ),
                ),
            ]
        ),
    }


def fit_models(train: pd.DataFrame, params: Params) -> Models:
    """Fit every model on the same training rows."""
    features, target = train[FEATURE_COLUMNS], train[TARGET_COLUMN]
    models = build_models(params)
    for name, model in models.items():
        model.fit(features, target)
        logger.info("fitted %s on %d rows", name, len(train))
    return models


def save_models(models: Models, params: Params) -> tuple[Path, Path]:
    """Save the main model (what the API serves) and the baselines (what evaluate compares to)."""
    model_path = params.artifacts.model_path
    baselines_path = params.artifacts.baselines_path
    for path in (model_path, baselines_path):
        path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(models[MAIN_MODEL], model_path)
    joblib.dump({name: models[name] for name in BASELINES}, baselines_path)
    logger.info("saved %s to %s and baselines to %s", MAIN_MODEL, model_path, baselines_path)
    return model_path, baselines_path


def load_models(params: Params) -> Models:
    """Load what ``save_models`` wrote, under the same names."""
    for path in (params.artifacts.model_path, params.artifacts.baselines_path):
        if not path.exists():
            raise FileNotFoundError(f"{path} not found: run `make train` first")
    models: Models = dict(joblib.load(params.artifacts.baselines_path))
    models[MAIN_MODEL] = joblib.load(params.artifacts.model_path)
    return models


def run(params: Params) -> Models:
    """Load the training split, fit all models and save them."""
    train = load_processed(params.data.processed_dir, "train")
    models = fit_models(train, params)
    save_models(models, params)
    return models


def main(argv: list[str] | None = None) -> None:
    """CLI: ``python -m <package>.train [--params PATH]``."""
    run_step("Train the baselines and the main model.", run, argv)


if __name__ == "__main__":
    main()
