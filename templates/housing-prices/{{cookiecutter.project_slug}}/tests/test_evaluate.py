"""Cross-validation schemes: the folds follow params.yaml, and spatial folds keep places apart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from {{cookiecutter.package_name}} import data, evaluate
from {{cookiecutter.package_name}}.config import EvaluationConfig, Params
from {{cookiecutter.package_name}}.train import build_models


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return data.clean(data.generate_synthetic(n_rows=1200, seed=4))


def _with(params: Params, **evaluation: object) -> Params:
    return params.model_copy(
        update={"evaluation": EvaluationConfig(**{**params.evaluation.model_dump(), **evaluation})}
    )


def test_kfold_validation_folds_partition_the_rows(
    small_params: Params, rows: pd.DataFrame
) -> None:
    splits = evaluate.cv_splits(_with(small_params, cv="kfold", n_repeats=1), rows)
    assert len(splits) == small_params.evaluation.n_splits
    validation = np.concatenate([held_out for _, held_out in splits])
    assert sorted(validation) == list(range(len(rows)))
    for fit, held_out in splits:
        assert not set(fit) & set(held_out)


def test_repeated_kfold_gives_splits_times_repeats_folds(
    small_params: Params, rows: pd.DataFrame
) -> None:
    params = _with(small_params, cv="kfold", n_splits=3, n_repeats=2)
    splits = evaluate.cv_splits(params, rows)
    assert len(splits) == 6
    assert evaluate.cv_description(params, splits)["n_folds"] == 6
    # Seeded: asking again gives the very same folds.
    again = evaluate.cv_splits(params, rows)
    for (fit, held_out), (fit_again, held_out_again) in zip(splits, again, strict=True):
        np.testing.assert_array_equal(fit, fit_again)
        np.testing.assert_array_equal(held_out, held_out_again)


def test_spatial_folds_never_split_a_grid_cell(small_params: Params, rows: pd.DataFrame) -> None:
    params = _with(small_params, cv="spatial", grid_degrees=1.0)
    cells = data.grid_cells(rows, 1.0)
    splits = evaluate.cv_splits(params, rows)
    assert len(splits) == params.evaluation.n_splits
    for fit, held_out in splits:
        assert not set(cells.iloc[fit]) & set(cells.iloc[held_out])
    assert evaluate.cv_description(params, splits)["grid_degrees"] == 1.0


def test_spatial_cv_scores_the_models(small_params: Params, rows: pd.DataFrame) -> None:
    params = _with(small_params, cv="spatial")
    models = build_models(params)
    baselines = {name: models[name] for name in ("dummy_mean", "linear_regression")}
    scores = evaluate.cross_validate_models(baselines, rows, evaluate.cv_splits(params, rows))
    assert scores["linear_regression"]["rmse"]["mean"] < scores["dummy_mean"]["rmse"]["mean"]
    assert len(scores["dummy_mean"]["rmse"]["folds"]) == params.evaluation.n_splits


def test_spatial_cv_needs_enough_cells(small_params: Params, rows: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="grid cells"):
        evaluate.cv_splits(_with(small_params, cv="spatial", grid_degrees=5.0, n_splits=10), rows)


def test_spatial_cv_cannot_be_repeated() -> None:
    with pytest.raises(ValidationError, match="n_repeats"):
        EvaluationConfig(cv="spatial", n_repeats=2)


def test_grid_cells_label_the_south_west_corner() -> None:
    frame = pd.DataFrame(
        {"Latitude": [34.05, 34.99, 37.6], "Longitude": [-118.25, -118.01, -122.2]}
    )
    assert data.grid_cells(frame, 1.0).tolist() == ["34.0,-119.0", "34.0,-119.0", "37.0,-123.0"]
    assert data.grid_cells(frame, 2.0).tolist() == ["34.0,-120.0", "34.0,-120.0", "36.0,-124.0"]


def test_summarise_uses_the_sample_std() -> None:
    summary = evaluate.summarise([1.0, 2.0, 3.0])
    assert summary == {"mean": 2.0, "std": 1.0, "folds": [1.0, 2.0, 3.0]}
