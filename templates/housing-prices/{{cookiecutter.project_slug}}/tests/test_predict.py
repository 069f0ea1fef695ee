"""Batch prediction from the command line and the shared prediction function."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{cookiecutter.package_name}} import data, predict, train
from {{cookiecutter.package_name}}.config import Params


def test_predict_frame_ignores_column_order_and_extra_columns(
    small_params: Params, trained_models: train.Models
) -> None:
    rows = data.load_processed(small_params.data.processed_dir, "test").head(20)
    model = trained_models[train.MAIN_MODEL]
    shuffled = rows[list(reversed(rows.columns))]
    np.testing.assert_array_equal(
        predict.predict_frame(model, shuffled), predict.predict_frame(model, rows)
    )


def test_predict_frame_rejects_missing_columns(trained_models: train.Models) -> None:
    rows = data.generate_synthetic(5, seed=0).drop(columns=["HouseAge"])
    with pytest.raises(ValueError, match="HouseAge"):
        predict.predict_frame(trained_models[train.MAIN_MODEL], rows)


def test_cli_writes_one_prediction_per_row(
    small_params: Params, trained_models: train.Models, tmp_path: Path
) -> None:
    rows = data.load_processed(small_params.data.processed_dir, "test").head(25)
    input_path, output_path = tmp_path / "rows.csv", tmp_path / "predictions.csv"
    rows[data.FEATURE_COLUMNS].to_csv(input_path, index=False)
    predict.main(
        [
            "--input",
            str(input_path),
            "--output",
            str(output_path),
            "--model",
            str(small_params.artifacts.model_path),
        ]
    )
    written = pd.read_csv(output_path)
    assert len(written) == len(rows)
    assert written[predict.PREDICTION_COLUMN].between(0, 2 * data.TARGET_CAP).all()


def test_missing_model_file_has_a_helpful_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make data train"):
        predict.load_model(tmp_path / "missing.joblib")
