"""Shared fixtures: one small, seeded end-to-end run in a temporary folder per test session.

The project's own configs/params.yaml is the starting point (so its feature settings are what
gets tested); only sizes and paths are shrunk, which keeps the whole suite fast.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from {{cookiecutter.package_name}} import data, evaluate, train
from {{cookiecutter.package_name}}.config import Params, load_params

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def small_copy(params: Params, root: Path, seed: int | None = None) -> Params:
    """The project params with fewer rows, fewer boosting rounds and every path under ``root``."""
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
            "model": params.model.model_copy(update={"max_iter": 100, "learning_rate": 0.1}),
            "artifacts": params.artifacts.model_copy(
                update={
                    "model_path": root / "models" / "model.joblib",
                    "baselines_path": root / "models" / "baselines.joblib",
                    "metrics_path": root / "reports" / "metrics.json",
                }
            ),
        }
    )


MakeParams = Callable[..., Params]


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
    """Fit and save the baselines and the main model once per session."""
    return train.run(small_params)


@pytest.fixture(scope="session")
def report(small_params: Params, trained_models: train.Models) -> dict[str, Any]:
    """Evaluate the saved models once per session (writes metrics.json)."""
    return evaluate.run(small_params)
