"""Shared fixtures: every test works in a temporary project root, never in the real one."""

from __future__ import annotations

from pathlib import Path

import pytest

from {{cookiecutter.package_name}}.config import Config

from .helpers import PipelineRun, make_config, run_pipeline


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """Project config whose outputs go to this test's temporary folder."""
    return make_config(tmp_path)


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    """One full data/train/evaluate run shared by the model, predict and API tests."""
    config = make_config(tmp_path_factory.mktemp("project"))
    trained, metrics = run_pipeline(config)
    return config, trained, metrics
