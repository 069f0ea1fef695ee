"""Fit the model and its two baselines: majority class and a hand-written word list.

Usage::

    python -m {{cookiecutter.package_name}}.train

The model is a logistic regression over TF-IDF word n-grams plus the word-list score
(``features.lexicon`` in params.yaml). All three estimators are saved with joblib to the paths
in params.yaml: a metric means little until it is compared with what a model that ignores the
text (majority class) and a rule anyone could write (the word list) would score.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import joblib
import pandas as pd
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from threadpoolctl import threadpool_limits

from . import tracking
from .config import Config, run_step
from .data import LABEL_COLUMN, TEXT_COLUMN, load_split, split_path
from .features import build_vectorizer
from .lexicon import LexiconClassifier, LexiconFeatures

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainedModels:
    """The fitted pipeline and baselines, and where they were saved."""

    model: Pipeline
    baseline: DummyClassifier
    lexicon: LexiconClassifier
    model_path: Path
    baseline_path: Path
    lexicon_path: Path


def build_model(config: Config, *, lexicon: bool | None = None) -> Pipeline:
    """Unfitted pipeline: [TF-IDF n-grams | word-list score] -> logistic regression.

    ``lexicon`` overrides ``features.lexicon`` (evaluate uses it for the "TF-IDF only" row).
    """
    use_lexicon = config.features.lexicon if lexicon is None else lexicon
    parts: list[tuple[str, object]] = [("tfidf", build_vectorizer(config.features))]
    if use_lexicon:
        parts.append(("lexicon", LexiconFeatures()))
    classifier = LogisticRegression(
        C=config.model.C,
        max_iter=config.model.max_iter,
        class_weight=config.model.class_weight,
        random_state=config.seed,
    )
    return Pipeline([("features", FeatureUnion(parts)), ("clf", classifier)])


def vectorizer_of(model: Pipeline) -> TfidfVectorizer:
    """The fitted TF-IDF step of a pipeline built by :func:`build_model`."""
    return model.named_steps["features"].named_transformers["tfidf"]


def single_threaded_blas() -> threadpool_limits:
    """Context manager: one BLAS thread while fitting.

    The matrices here are small; with several BLAS threads, fitting the model is no faster
    and, on a busy machine (CI, a laptop running the tests), much slower as threads wait for
    each other. Evaluate and monitor fit many small models in a row.
    """
    return threadpool_limits(limits=1, user_api="blas")


def build_baseline(config: Config) -> DummyClassifier:
    """Unfitted baseline that ignores the text and predicts from the label counts alone."""
    return DummyClassifier(strategy=config.baseline.strategy, random_state=config.seed)


def build_lexicon(config: Config) -> LexiconClassifier:
    """Unfitted word-list baseline (it only learns the label prior, to break ties)."""
    return LexiconClassifier()


def fit_models(
    config: Config, train: pd.DataFrame
) -> tuple[Pipeline, DummyClassifier, LexiconClassifier]:
    """Fit model and both baselines on the same training rows (all take raw texts)."""
    texts, labels = train[TEXT_COLUMN], train[LABEL_COLUMN]
    model = build_model(config).fit(texts, labels)
    baseline = build_baseline(config).fit(texts, labels)
    lexicon = build_lexicon(config).fit(texts, labels)
    return model, baseline, lexicon


def save_artifact(artifact: object, path: Path) -> Path:
    """Persist a fitted estimator with joblib, creating the folder if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(artifact, path)
    return path


def train(config: Config) -> TrainedModels:
    """Train on the processed training split and save the three artefacts."""
    train_frame = load_split(config, "train")
    served = config.resolve(config.paths.model)
    # The project root is where this machine keeps it: not a parameter of the experiment.
    settings = config.model_dump(mode="json", exclude={"root"})
    with tracking.training_run(
        settings, [split_path(config, "train")], tracking.run_file_for(served)
    ) as tracked:
        with single_threaded_blas():
            model, baseline, lexicon = fit_models(config, train_frame)
        model_path = save_artifact(model, served)
        baseline_path = save_artifact(baseline, config.resolve(config.paths.baseline))
        lexicon_path = save_artifact(lexicon, config.resolve(config.paths.lexicon))
        if tracked is not None:
            tracked.log_model(model_path)
    vocabulary_size = len(vectorizer_of(model).vocabulary_)
    logger.info(
        "Trained on %d reviews (vocabulary: %d n-grams, lexicon feature: %s); saved %s, %s, %s",
        len(train_frame),
        vocabulary_size,
        "on" if config.features.lexicon else "off",
        model_path,
        baseline_path,
        lexicon_path,
    )
    return TrainedModels(model, baseline, lexicon, model_path, baseline_path, lexicon_path)


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point; see the module docstring for usage."""
    run_step(__doc__.splitlines()[0], train, argv)


if __name__ == "__main__":
    main()
