"""Load the trained model and predict, for batch files and for the API.

Both the CLI and the API go through ``predict_frame`` so there is one code path from raw feature
values to a prediction.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from .config import load_params
from .data import FEATURE_COLUMNS, TARGET_COLUMN

PREDICTION_COLUMN = f"predicted_{TARGET_COLUMN}"


def load_model(path: Path) -> Any:
    """Load a model saved by ``make train``; the error says what to do when it is missing."""
    if not path.exists():
        raise FileNotFoundError(f"no trained model at {path}: run `make data train` first")
    return joblib.load(path)


def predict_frame(model: Any, features: pd.DataFrame) -> np.ndarray:
    """Predict median house values (100,000 USD) for rows holding the eight feature columns.

    Extra columns (for example the true target) are ignored; columns are reordered to the
    training order so a CSV with shuffled columns still gives correct predictions.
    """
    missing = [column for column in FEATURE_COLUMNS if column not in features.columns]
    if missing:
        raise ValueError(f"missing feature columns: {missing}")
    return np.asarray(model.predict(features[FEATURE_COLUMNS].astype("float64")), dtype=float)


def main(argv: list[str] | None = None) -> None:
    """CLI: ``python -m <package>.predict --input rows.csv [--output predictions.csv]``."""
    parser = argparse.ArgumentParser(description="Predict median house values for a CSV file.")
    parser.add_argument("--input", required=True, type=Path, help="CSV with the feature columns")
    parser.add_argument("--output", type=Path, default=None, help="output CSV (default: stdout)")
    parser.add_argument("--model", type=Path, default=None, help="model file (default: params)")
    parser.add_argument("--params", default=None, help="path to params.yaml")
    args = parser.parse_args(argv)

    model_path = args.model or load_params(args.params).artifacts.model_path
    rows = pd.read_csv(args.input)
    rows[PREDICTION_COLUMN] = predict_frame(load_model(model_path), rows).round(4)
    rows.to_csv(args.output if args.output else sys.stdout, index=False)


if __name__ == "__main__":
    main()
