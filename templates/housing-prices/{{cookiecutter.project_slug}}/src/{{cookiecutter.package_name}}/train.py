"""Train the baselines, the comparison model and the main model on the training split.

A model only means something next to a baseline: ``DummyRegressor`` (always predicts the mean)
shows what "no skill" scores, and ``LinearRegression`` on the same features shows what a simple,
interpretable model achieves. ``HistGradientBoostingRegressor`` (scikit-learn's boosted trees,
this project's previous main model) is kept as a named comparison, and LightGBM, the model the
API serves, has to beat all of them to earn its place.

LightGBM is made deterministic for a seed: ``deterministic=True``, ``force_col_wise=True`` (one
fixed histogram layout instead of a timing-based choice), a fixed thread count (``n_jobs``) and
``random_state`` for bagging and feature subsampling.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import joblib
import pandas as pd
from lightgbm import LGBMRegressor
from sklearn.base import BaseEstimator
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from . import tracking
from .config import Params, run_step
from .data import FEATURE_COLUMNS, TARGET_COLUMN, TRAIN_FILENAME, load_processed
from .features import build_preprocessor

logger = logging.getLogger(__name__)

MAIN_MODEL = "lightgbm"
COMPARISON_MODEL = "hist_gradient_boosting"
BASELINES = ("dummy_mean", "linear_regression")
MODEL_NAMES = (*BASELINES, COMPARISON_MODEL, MAIN_MODEL)

Models = dict[str, BaseEstimator]


@contextmanager
def limited_threads(n_jobs: int) -> Iterator[None]:
    """Cap OpenMP and BLAS threads (HistGradientBoosting, LightGBM, numpy) at ``n_jobs``.

    On a small dataset more threads mostly add synchronisation; on a busy machine OpenMP's
    spinning threads can make a fit tens of times slower.
    """
    with threadpool_limits(limits=n_jobs):
        yield


def build_lightgbm(params: Params) -> LGBMRegressor:
    """The main model, deterministic for ``params.seed``."""
    config = params.models.lightgbm
    return LGBMRegressor(
        n_estimators=config.n_estimators,
        learning_rate=config.learning_rate,
        num_leaves=config.num_leaves,
        min_child_samples=config.min_child_samples,
        subsample=config.subsample,
        subsample_freq=1 if config.subsample < 1.0 else 0,
        colsample_bytree=config.colsample_bytree,
        reg_lambda=config.reg_lambda,
        random_state=params.seed,
        n_jobs=params.n_jobs,
        deterministic=True,
        force_col_wise=True,
        verbose=-1,
    )


def build_models(params: Params) -> Models:
    """Unfitted estimators, keyed by the names used in reports/metrics.json."""
    hgb = params.models.hist_gradient_boosting
    return {
        "dummy_mean": DummyRegressor(strategy="mean"),
        "linear_regression": Pipeline(
            [
                ("preprocess", build_preprocessor(params.features)),
                ("regressor", LinearRegression()),
            ]
        ),
        COMPARISON_MODEL: Pipeline(
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
        MAIN_MODEL: Pipeline(
            [
                ("preprocess", build_preprocessor(params.features)),
                ("regressor", build_lightgbm(params)),
            ]
        ),
    }


def fit_models(train: pd.DataFrame, params: Params) -> Models:
    """Fit every model on the same training rows."""
    features, target = train[FEATURE_COLUMNS], train[TARGET_COLUMN]
    models = build_models(params)
    with limited_threads(params.n_jobs):
        for name, model in models.items():
            model.fit(features, target)
            logger.info("fitted %s on %d rows", name, len(train))
    return models


def save_models(models: Models, params: Params) -> tuple[Path, Path, Path]:
    """Save the main model (what the API serves), the baselines and the comparison model."""
    artifacts = params.artifacts
    paths = (artifacts.model_path, artifacts.baselines_path, artifacts.comparison_path)
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(models[MAIN_MODEL], artifacts.model_path)
    joblib.dump({name: models[name] for name in BASELINES}, artifacts.baselines_path)
    joblib.dump(models[COMPARISON_MODEL], artifacts.comparison_path)
    logger.info(
        "saved %s to %s, the baselines to %s and %s to %s",
        MAIN_MODEL,
        artifacts.model_path,
        artifacts.baselines_path,
        COMPARISON_MODEL,
        artifacts.comparison_path,
    )
    return paths


def load_models(params: Params) -> Models:
    """Load what ``save_models`` wrote, under the same names, in ``MODEL_NAMES`` order."""
    artifacts = params.artifacts
    for path in (artifacts.model_path, artifacts.baselines_path, artifacts.comparison_path):
        if not path.exists():
            raise FileNotFoundError(f"{path} not found: run `make train` first")
    models: Models = dict(joblib.load(artifacts.baselines_path))
    models[COMPARISON_MODEL] = joblib.load(artifacts.comparison_path)
    models[MAIN_MODEL] = joblib.load(artifacts.model_path)
    return models


def run(params: Params) -> Models:
    """Load the training split, fit all models and save them, as one tracked MLflow run."""
    train = load_processed(params.data.processed_dir, "train")
    with tracking.training_run(
        params.model_dump(mode="json"),
        [params.data.processed_dir / TRAIN_FILENAME],
        tracking.run_file_for(params.artifacts.model_path),
        tags={"model": MAIN_MODEL},
    ) as tracked:
        models = fit_models(train, params)
        save_models(models, params)
        if tracked is not None:
            tracked.log_model(params.artifacts.model_path)
    return models


def main(argv: list[str] | None = None) -> None:
    """CLI: ``python -m <package>.train [--params PATH]``."""
    run_step("Train the baselines, the comparison model and the main model.", run, argv)


if __name__ == "__main__":
    main()
