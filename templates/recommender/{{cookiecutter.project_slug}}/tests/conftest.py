"""Session fixture: one small pipeline run in a temporary directory, shared by read-only tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from {{ cookiecutter.package_name }}.data import load_raw
from {{ cookiecutter.package_name }}.model import Recommender
from {{ cookiecutter.package_name }}.train import load_split

from testkit import PROJECT_PARAMS, Trained, run_pipeline, small_params

# `<package>.api` builds its app at import time from params.yaml; point it at this project's file
# so the tests also run when pytest is started from another directory.
os.environ.setdefault("PARAMS_PATH", str(PROJECT_PARAMS))


@pytest.fixture(scope="session", autouse=True)
def _untracked() -> Iterator[None]:
    """The pipeline runs of the tests are not logged to the project's MLflow store (mlflow.db):
    ``TRACKING=off``. test_tracking.py turns tracking on against a temporary store of its own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRACKING", "off")
        yield


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    params = small_params(tmp_path_factory.mktemp("project"))
    report = run_pipeline(params, figures=True)
    train, test = load_split(params.paths.processed_dir)
    ratings, items = load_raw(params.paths.raw_dir)
    return Trained(
        params=params,
        model=Recommender.load(params.paths.model_path),
        report=report,
        train=train,
        test=test,
        ratings=ratings,
        items=items,
    )
