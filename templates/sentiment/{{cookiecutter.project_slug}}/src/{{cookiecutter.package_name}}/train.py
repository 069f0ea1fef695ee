"""Fit the TF-IDF + logistic regression model and the majority-class baseline.

Usage::

    python -m {{cookiecutter.package_name}}.train

Both models are saved with joblib to the paths in params.yaml. The baseline is trained and
saved alongside the model on purpose: a metric means little until it is compared with what
a model that ignores the text entirely would score.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import joblib
import pandas as pd
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from .config import Config, run_step
from .data import LABEL_COLUMN, TEXT_COLUMN, load_split
from .features import build_vectorizer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainedModels:
    """The fitted pipeline, the fitted baseline and where they were saved."""

    model: Pipeline
    baseline: DummyClassifier
    model_path: Path
    baseline_path: Path


def build_model(config: Config) -> Pipeline:
    """Unfitted TF-IDF -> logistic regression pipeline configured from params.yaml."""
    classifier = LogisticRegression(
        C=config.model.C,
        max_iter=config.model.max_iter,
        class_weight=config.model.class_weight,
        random_state=config.seed,
    )
    return Pipeline([("tfidf", build_vectorizer(config.features)), ("clf", classifier)])


def build_baseline(config: Config) -> DummyClassifier:
    """Unfitted baseline that ignores the text and predicts from the label counts alone."""
    return DummyClassifier(strategy=config.baseline.strategy, random_state=config.seed)


def fit_models(config: Config, train: pd.DataFrame) -> tuple[Pipeline, DummyClassifier]:
    """Fit model and baseline on the same training rows (both take raw texts as input)."""
    texts, labels = train[TEXT_COLUMN], train[LABEL_COLUMN]
    model = build_model(config).fit(texts, labels)
    baseline = build_baseline(config).fit(texts, labels)
    return model, baseline


def save_artifact(artifact: object, path: Path) -> Path:
    """Persist a fitted estimator with joblib, creating the folder if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(artifact, path)
    return path


def train(config: Config) -> TrainedModels:
    """Train on the processed training split and save both artefacts."""
    train_frame = load_split(config, "train")
    model, baseline = fit_models(config, train_frame)
    model_path = save_artifact(model, config.resolve(config.paths.model))
    baseline_path = save_artifact(baseline, config.resolve(config.paths.baseline))
    vocabulary_size = len(model.named_steps["tfidf"].vocabulary_)
    logger.info(
        "Trained on %d reviews (vocabulary: %d n-grams); saved %s and %s",
        len(train_frame),
        vocabulary_size,
        model_path,
        baseline_path,
    )
    return TrainedModels(model, baseline, model_path, baseline_path)


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point; see the module docstring for usage."""
    run_step(__doc__.splitlines()[0], train, argv)


if __name__ == "__main__":
    main()
