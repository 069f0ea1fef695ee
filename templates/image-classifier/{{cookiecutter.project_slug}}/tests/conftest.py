"""Shared fixtures: every test works in a temporary project root, never in the real one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from {{cookiecutter.package_name}}.config import Config
from {{cookiecutter.package_name}}.data import ImageSet, prepare_data

from .helpers import PipelineRun, make_config, run_pipeline


@pytest.fixture(scope="session", autouse=True)
def _untracked() -> Iterator[None]:
    """The pipeline runs of the tests are not logged to the project's MLflow store (mlflow.db):
    ``TRACKING=off``. test_tracking.py turns tracking on against a temporary store of its own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRACKING", "off")
        yield


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """Project config whose outputs go to this test's temporary folder."""
    return make_config(tmp_path)


@pytest.fixture(scope="session")
def splits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ImageSet]:
    """The train/val/test split of `make data` with the default params (no training)."""
    return prepare_data(make_config(tmp_path_factory.mktemp("data")))


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    """One full data/train/evaluate run with the default params, shared by the evaluation,
    monitor, predict and API tests (the slowest part of the suite: about half a minute)."""
    config = make_config(tmp_path_factory.mktemp("project"))
    trained, metrics = run_pipeline(config)
    return config, trained, metrics
