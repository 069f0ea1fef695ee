"""Shared fixtures: one small, seeded end-to-end run in a temporary folder per test session.

The project's own configs/params.yaml is the starting point (so its feature settings are what
gets tested); only sizes and paths are shrunk, which keeps the whole suite fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from {{cookiecutter.package_name}} import data, evaluate, train
from {{cookiecutter.package_name}}.config import Params, load_params

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def small_copy(params: Params, root: Path, seed: int | None = None) -> Params:
    """The project params with fewer rows and boosting rounds, and every path under ``root``.

    The cross-validation scheme and fold count, the features and the drift thresholds stay as
    the project sets them, so the tests check the settings you actually use.
    """
    models = params.models
    return params.model_copy(
        update={
            "seed": params.seed if seed is None else seed,
            "data": params.data.model_copy(
                update={
                    "source": "synthetic",
                    "n_rows": 2000,
                    "raw_dir": root / "data" / "raw",
                    "processed_dir": root / "data" / "processed",
                }
            ),
            "models": models.model_copy(
                update={
                    "lightgbm": models.lightgbm.model_copy(
                        update={"n_estimators": 60, "learning_rate": 0.15}
                    ),
                    "hist_gradient_boosting": models.hist_gradient_boosting.model_copy(
                        update={"max_iter": 60, "learning_rate": 0.15}
                    ),
                }
            ),
            "evaluation": params.evaluation.model_copy(
                update={
                    "permutation_repeats": 2,
                    "learning_curve_sizes": (0.3, 1.0),
                    "figures_dir": root / "reports" / "figures",
                }
            ),
            "monitor": params.monitor.model_copy(update={"reports_dir": root / "reports"}),
            "artifacts": params.artifacts.model_copy(
                update={
                    "model_path": root / "models" / "model.joblib",
                    "baselines_path": root / "models" / "baselines.joblib",
                    "comparison_path": root / "models" / "hist_gradient_boosting.joblib",
                    "metrics_path": root / "reports" / "metrics.json",
                }
            ),
        }
    )


MakeParams = Callable[..., Params]


@pytest.fixture(scope="session", autouse=True)
def _untracked() -> Iterator[None]:
    """The pipeline runs of the tests are not logged to the project's MLflow store (mlflow.db):
    ``TRACKING=off``. test_tracking.py turns tracking on against a temporary store of its own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRACKING", "off")
        yield


@pytest.fixture(scope="session")
def project_root() -> Path:
    """The generated project's root folder (where configs/ lives)."""
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def project_params() -> Params:
    """The params file shipped with the project."""
    return load_params(PROJECT_ROOT / "configs" / "params.yaml")


@pytest.fixture(scope="session")
def make_params(project_params: Params) -> MakeParams:
    """Factory for small params under a given folder, optionally with another seed."""

    def _make(root: Path, seed: int | None = None) -> Params:
        return small_copy(project_params, root, seed)

    return _make


@pytest.fixture(scope="session")
def small_params(make_params: MakeParams, tmp_path_factory: pytest.TempPathFactory) -> Params:
    """Small, fast params writing into a session-wide temporary folder."""
    return make_params(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="session")
def split_info(small_params: Params) -> data.SplitInfo:
    """Generate the synthetic data and write the split once per session."""
    return data.prepare(small_params)


@pytest.fixture(scope="session")
def trained_models(small_params: Params, split_info: data.SplitInfo) -> train.Models:
    """Fit and save the baselines, the comparison and the main model once per session."""
    return train.run(small_params)


@pytest.fixture(scope="session")
def report(small_params: Params, trained_models: train.Models) -> dict[str, Any]:
    """Evaluate the saved models once per session (writes metrics.json and the figures)."""
    return evaluate.run(small_params)
