"""Load a trained model and turn texts into labelled predictions.

Usage::

    python -m {{cookiecutter.package_name}}.predict "Great value!" "Awful."

The API and the command line share these functions, so both return the same answer for the
same text.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import joblib
import numpy as np

from .config import load_config
from .data import LABELS


class Classifier(Protocol):
    """What the rest of the code needs from a fitted model (pipeline or baseline)."""

    classes_: np.ndarray

    def predict(self, texts: Any) -> np.ndarray: ...

    def predict_proba(self, texts: Any) -> np.ndarray: ...


@dataclass(frozen=True)
class Prediction:
    """A predicted label and the probability the model gives to that label."""

    label: str
    probability: float


def load_model(path: Path) -> Classifier:
    """Load a model or baseline saved by ``train`` and check it predicts the right labels.

    joblib files are pickles: only load models you trained yourself or otherwise trust.
    """
    if not path.is_file():
        raise FileNotFoundError(f"No trained model at {path}; run `make train` first.")
    model = joblib.load(path)
    classes = tuple(str(label) for label in getattr(model, "classes_", ()))
    if classes != LABELS:
        raise ValueError(f"Model at {path} predicts {classes}, expected {LABELS}")
    return model


def predict(model: Classifier, texts: Sequence[str]) -> list[Prediction]:
    """Predict a label for every text, with the probability of that label.

    The label is the arg-max of ``predict_proba`` (a 0.5 threshold for two classes), so the
    returned probability is always at least 0.5.
    """
    probabilities = model.predict_proba(list(texts))
    best = probabilities.argmax(axis=1)
    return [
        Prediction(label=str(model.classes_[index]), probability=float(row[index]))
        for row, index in zip(probabilities, best, strict=True)
    ]


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point: print one JSON prediction per input text."""
    parser = argparse.ArgumentParser(description="Predict the sentiment of review texts.")
    parser.add_argument("texts", nargs="+", help="one or more review texts")
    parser.add_argument("--params", type=Path, default=None, help="path to params.yaml")
    parser.add_argument("--model", type=Path, default=None, help="override the model path")
    args = parser.parse_args(argv)
    config = load_config(args.params)
    model = load_model(args.model or config.resolve(config.paths.model))
    for text, prediction in zip(args.texts, predict(model, args.texts), strict=True):
        print(json.dumps({"text": text, **asdict(prediction)}))


if __name__ == "__main__":
    main()
