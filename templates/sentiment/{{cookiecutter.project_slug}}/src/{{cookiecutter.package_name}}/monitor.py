"""Compare a new batch of reviews with the training data and report drift.

Usage::

    python -m {{cookiecutter.package_name}}.monitor                      # held-out test split
    python -m {{cookiecutter.package_name}}.monitor --make-shifted-batch  # write a shifted batch
    python -m {{cookiecutter.package_name}}.monitor --batch data/monitoring/shifted.csv
    python -m {{cookiecutter.package_name}}.monitor --batch BATCH.csv --fail-on-drift

A batch is a CSV with a ``text`` column and, once the true labels are known, a ``label``
column. Writes reports/drift.json, reports/drift.md and reports/figures/drift.png, and exits 0
whatever it finds, unless ``--fail-on-drift`` is given: then drift means exit code 1 (for a
cron job or a CI step).

What is compared, and with which test (thresholds in the ``monitor`` section of params.yaml):

- numeric features of each review (length in characters and in words, share of words the
  model never saw in training, the model's predicted probability): the Population Stability
  Index over quantile bins of the training data, and the two-sample Kolmogorov-Smirnov test;
- counts of the most frequent training words (plus "other"), the predicted labels and, with
  labels, the true labels: the chi-square test of homogeneity, with Cramer's V as effect size;
- with labels: accuracy, against the accuracy the model reached out of fold on training data.

The statistics themselves are in ``drift``, the module the built-in templates share.

The model-dependent features of the training data (unknown words, predicted probabilities)
are computed out of fold: a model scoring its own training reviews is over-confident and
knows all their words, which would make every new batch look drifted.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from . import figures
from .config import Config, load_config
from .data import (
    LABEL_COLUMN,
    LABELS,
    TEXT_COLUMN,
    DataValidationError,
    load_split,
    split_path,
    validate_reviews,
)
from .drift import chi_square, is_drift, ks_test, psi, round_p
from .features import words
from .predict import Classifier, load_model
from .train import build_model, single_threaded_blas

logger = logging.getLogger(__name__)

NUMERIC_FEATURES = ("n_characters", "n_words", "unknown_word_share", "p_positive")
OTHER_TOKEN = "<other>"
_DECIMALS = 4


# --------------------------------------------------------------------------- features


def vocabulary(texts: Iterable[str], min_df: int) -> set[str]:
    """Words found in at least ``min_df`` texts: the unigrams the model can use."""
    document_frequency = Counter(word for text in texts for word in set(words(text)))
    return {word for word, count in document_frequency.items() if count >= min_df}


def text_features(texts: Sequence[str], known_words: set[str]) -> pd.DataFrame:
    """Length in characters and words, and the share of words outside ``known_words``."""
    rows = []
    for text in texts:
        tokens = words(text)
        unknown = sum(token not in known_words for token in tokens)
        rows.append(
            {
                "n_characters": len(text),
                "n_words": len(tokens),
                "unknown_word_share": unknown / len(tokens) if tokens else 1.0,
            }
        )
    return pd.DataFrame(rows, columns=list(NUMERIC_FEATURES[:3]))


def token_counts(texts: Iterable[str], tokens: Sequence[str]) -> list[int]:
    """Occurrences of each of ``tokens`` in ``texts``, then of every other word."""
    counts = Counter(word for text in texts for word in words(text))
    listed = [counts.get(token, 0) for token in tokens]
    return [*listed, sum(counts.values()) - sum(listed)]


def top_tokens(texts: Iterable[str], k: int) -> list[str]:
    """The ``k`` most frequent words (ties broken alphabetically, so the list is stable)."""
    counts = Counter(word for text in texts for word in words(text))
    return [word for word, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:k]]


def _positive_column(model: Classifier) -> int:
    return list(model.classes_).index("positive")


def reference_features(config: Config, train: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Features of the training split, model-dependent ones out of fold; plus OOF accuracy."""
    folds = StratifiedKFold(config.monitor.reference_folds, shuffle=True, random_state=config.seed)
    train = train.reset_index(drop=True)
    texts, labels = train[TEXT_COLUMN], train[LABEL_COLUMN]
    parts, correct = [], 0
    for fit_index, held_index in folds.split(texts, labels):
        fit_texts, held_texts = texts.iloc[fit_index], texts.iloc[held_index]
        with single_threaded_blas():
            model = build_model(config).fit(fit_texts, labels.iloc[fit_index])
        part = text_features(list(held_texts), vocabulary(fit_texts, config.features.min_df))
        part["p_positive"] = model.predict_proba(list(held_texts))[:, _positive_column(model)]
        part["predicted"] = model.predict(list(held_texts))
        part.index = held_index
        correct += int((part["predicted"] == labels.iloc[held_index].to_numpy()).sum())
        parts.append(part)
    return pd.concat(parts).sort_index(), correct / len(train)


def batch_features(
    config: Config, model: Classifier, train: pd.DataFrame, texts: list[str]
) -> pd.DataFrame:
    """Features of the batch, scored by the saved model with the full training vocabulary."""
    known = vocabulary(train[TEXT_COLUMN], config.features.min_df)
    features = text_features(texts, known)
    features["p_positive"] = model.predict_proba(texts)[:, _positive_column(model)]
    features["predicted"] = model.predict(texts)
    return features


# --------------------------------------------------------------------------- batches


def read_batch(path: Path) -> pd.DataFrame:
    """Read a batch CSV: a ``text`` column, and optionally ``label`` (checked like training)."""
    if not path.is_file():
        raise FileNotFoundError(f"Batch file not found: {path}")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if LABEL_COLUMN in frame.columns:
        return validate_reviews(frame)
    if list(frame.columns) != [TEXT_COLUMN]:
        raise DataValidationError(
            f"A batch needs the column {TEXT_COLUMN!r} (and optionally {LABEL_COLUMN!r}), "
            f"got {list(frame.columns)}"
        )
    validate_reviews(frame.assign(**{LABEL_COLUMN: LABELS[0]}))
    return frame


_LONG_WORD = re.compile(r"[A-Za-z]{4,}")
SIGNATURE = "Posted from the mobile app."


def make_shifted_batch(test: pd.DataFrame, seed: int) -> pd.DataFrame:
    """A batch from the same reviews, changed the way a new source of reviews might be.

    The story: reviews start arriving from a new mobile app. They are typed on a phone (two
    neighbouring letters swapped in about a third of the longer words), every one ends with
    the app's signature line, and a buggy release makes most of them negative (all negative
    reviews of ``test`` are kept, a third of the positive ones). Deterministic for a seed.
    """
    rng = np.random.default_rng(seed)
    negative = test[test[LABEL_COLUMN] == "negative"]
    positive = test[test[LABEL_COLUMN] == "positive"].sample(frac=1 / 3, random_state=seed)
    batch = pd.concat([negative, positive]).sample(frac=1.0, random_state=seed)

    def typo(match: re.Match[str]) -> str:
        word = match.group(0)
        if rng.random() >= 1 / 3:
            return word
        i = int(rng.integers(1, len(word) - 2))
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]

    texts = [f"{_LONG_WORD.sub(typo, text)} {SIGNATURE}" for text in batch[TEXT_COLUMN]]
    return pd.DataFrame({TEXT_COLUMN: texts, LABEL_COLUMN: batch[LABEL_COLUMN].to_list()})


def write_shifted_batch(config: Config, out: Path | None = None) -> Path:
    """Write :func:`make_shifted_batch` of the held-out test split to ``out``."""
    path = out or config.resolve(config.paths.shifted_batch)
    batch = make_shifted_batch(load_split(config, "test"), config.seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    batch.to_csv(path, index=False)
    logger.info("Wrote a shifted batch of %d reviews to %s", len(batch), path)
    return path


# --------------------------------------------------------------------------- the report


def _round(value: float) -> float:
    return round(float(value), _DECIMALS)


def _format_p(value: float) -> str:
    return f"{value:.2g}" if value >= 1e-4 else "< 1e-4"


def _categorical(
    config: Config, reference: Sequence[str], batch: Sequence[str], categories: Sequence[str]
) -> dict[str, Any]:
    ref_counts = [int(sum(value == category for value in reference)) for category in categories]
    batch_counts = [int(sum(value == category for value in batch)) for category in categories]
    return _categorical_counts(config, list(categories), ref_counts, batch_counts)


def _categorical_counts(
    config: Config, categories: list[str], ref_counts: list[int], batch_counts: list[int]
) -> dict[str, Any]:
    result = chi_square(ref_counts, batch_counts)
    monitor = config.monitor
    drifted = is_drift(
        result["pvalue"], result["cramers_v"], monitor.chi2_alpha, monitor.chi2_min_cramers_v
    )
    ref_total, batch_total = max(sum(ref_counts), 1), max(sum(batch_counts), 1)
    changes = sorted(
        (
            {
                "category": category,
                "reference_share": _round(ref / ref_total),
                "batch_share": _round(new / batch_total),
            }
            for category, ref, new in zip(categories, ref_counts, batch_counts, strict=True)
        ),
        key=lambda row: (-abs(row["batch_share"] - row["reference_share"]), row["category"]),
    )
    return {
        "test": "chi-square",
        "chi2": _round(result["chi2"]),
        "pvalue": round_p(result["pvalue"]),
        "dof": result["dof"],
        "cramers_v": _round(result["cramers_v"]),
        "drifted": bool(drifted),
        "largest_changes": changes[:5],
    }


def _numeric(config: Config, reference: np.ndarray, batch: np.ndarray) -> dict[str, Any]:
    monitor = config.monitor
    value = psi(reference, batch, monitor.psi_bins)
    statistic, pvalue = ks_test(reference, batch)
    reasons = []
    if value > monitor.psi_threshold:
        reasons.append(f"PSI {value:.3f} > {monitor.psi_threshold}")
    if is_drift(pvalue, statistic, monitor.ks_alpha, monitor.ks_min_statistic):
        reasons.append(f"KS p={pvalue:.2g} < {monitor.ks_alpha}, D={statistic:.3f}")
    return {
        "reference_mean": _round(np.mean(reference)),
        "batch_mean": _round(np.mean(batch)),
        "psi": _round(value),
        "ks_statistic": _round(statistic),
        "ks_pvalue": round_p(pvalue),
        "drifted": bool(reasons),
        "reasons": reasons,
    }


def drift_report(
    config: Config,
    batch: pd.DataFrame,
    batch_path: Path,
    reference: tuple[pd.DataFrame, float] | None = None,
) -> dict[str, Any]:
    """Compare ``batch`` with the training split; returns the content of drift.json.

    ``reference`` is the result of :func:`reference_features`, when it is already known
    (it depends only on the training split and params.yaml, not on the batch).
    """
    train = load_split(config, "train")
    model = load_model(config.resolve(config.paths.model))
    reference, reference_accuracy = reference or reference_features(config, train)
    texts = batch[TEXT_COLUMN].to_list()
    current = batch_features(config, model, train, texts)

    numeric = {
        name: _numeric(config, reference[name].to_numpy(), current[name].to_numpy())
        for name in NUMERIC_FEATURES
    }
    tokens = top_tokens(train[TEXT_COLUMN], config.monitor.top_tokens)
    categorical = {
        "tokens": _categorical_counts(
            config,
            [*tokens, OTHER_TOKEN],
            token_counts(train[TEXT_COLUMN], tokens),
            token_counts(texts, tokens),
        ),
        "predicted_label": _categorical(
            config, reference["predicted"], current["predicted"], LABELS
        ),
    }
    has_labels = LABEL_COLUMN in batch.columns
    performance = None
    if has_labels:
        categorical["label"] = _categorical(
            config, train[LABEL_COLUMN], batch[LABEL_COLUMN], LABELS
        )
        accuracy = float((current["predicted"].to_numpy() == batch[LABEL_COLUMN].to_numpy()).mean())
        drop = reference_accuracy - accuracy
        performance = {
            "reference_accuracy": _round(reference_accuracy),
            "reference": (
                f"{config.monitor.reference_folds}-fold out-of-fold accuracy on the training split"
            ),
            "batch_accuracy": _round(accuracy),
            "drop": _round(drop),
            "drifted": bool(drop > config.monitor.max_accuracy_drop),
        }

    drifted = [f"numeric.{name}" for name, result in numeric.items() if result["drifted"]]
    drifted += [f"categorical.{name}" for name, result in categorical.items() if result["drifted"]]
    if performance and performance["drifted"]:
        drifted.append("performance.accuracy")
    figure = config.resolve(config.paths.figures) / "drift.png"
    figures.plot_drift(
        {name: result["psi"] for name, result in numeric.items()},
        config.monitor.psi_threshold,
        reference["p_positive"].to_numpy(),
        current["p_positive"].to_numpy(),
        figure,
    )
    return {
        "batch": {
            "path": _display(config, batch_path),
            "n_reviews": len(batch),
            "has_labels": has_labels,
        },
        "reference": {"split": "train", "n_reviews": len(train)},
        "thresholds": config.monitor.model_dump(),
        "numeric": numeric,
        "categorical": categorical,
        "performance": performance,
        "drifted": drifted,
        "drift_detected": bool(drifted),
        "figure": _display(config, figure),
    }


def _display(config: Config, path: Path) -> str:
    try:
        return path.resolve().relative_to(config.root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def render_markdown(report: dict[str, Any], figure_link: str = "figures/drift.png") -> str:
    """A short human-readable summary of :func:`drift_report` (``figure_link``: the image)."""
    batch = report["batch"]
    verdict = (
        "**Drift detected**: " + ", ".join(report["drifted"])
        if report["drift_detected"]
        else "No drift detected."
    )
    lines = [
        "# Drift report",
        "",
        f"Batch `{batch['path']}` ({batch['n_reviews']} reviews, "
        f"{'with' if batch['has_labels'] else 'without'} labels) against the training split "
        f"({report['reference']['n_reviews']} reviews).",
        "",
        verdict,
        "",
        "| Numeric feature | Training mean | Batch mean | PSI | KS D | KS p | Drift |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, result in report["numeric"].items():
        pvalue = _format_p(result["ks_pvalue"])
        lines.append(
            f"| {name} | {result['reference_mean']:.3f} | {result['batch_mean']:.3f} | "
            f"{result['psi']:.3f} | {result['ks_statistic']:.3f} | {pvalue} | "
            f"{'yes' if result['drifted'] else 'no'} |"
        )
    lines += ["", "| Categorical | Chi-square | p | Cramer's V | Drift |", "|---|---|---|---|---|"]
    for name, result in report["categorical"].items():
        pvalue = _format_p(result["pvalue"])
        lines.append(
            f"| {name} | {result['chi2']:.1f} (dof {result['dof']}) | {pvalue} | "
            f"{result['cramers_v']:.3f} | {'yes' if result['drifted'] else 'no'} |"
        )
    performance = report["performance"]
    lines.append("")
    if performance:
        verdict = (
            "a drop beyond the threshold" if performance["drifted"] else "within the threshold"
        )
        lines.append(
            f"Accuracy on the batch: {performance['batch_accuracy']:.3f} against "
            f"{performance['reference_accuracy']:.3f} ({performance['reference']}); {verdict}."
        )
    else:
        lines.append("No labels in the batch: performance not checked.")
    thresholds = report["thresholds"]
    lines += [
        "",
        f"Thresholds: PSI > {thresholds['psi_threshold']}; KS p < {thresholds['ks_alpha']} with "
        f"D >= {thresholds['ks_min_statistic']}; chi-square p < {thresholds['chi2_alpha']} with "
        f"Cramer's V >= {thresholds['chi2_min_cramers_v']}; accuracy drop > "
        f"{thresholds['max_accuracy_drop']}.",
        "",
        f"![PSI of each numeric feature, and the predicted probabilities]({figure_link})",
        "",
    ]
    return "\n".join(lines)


def monitor(
    config: Config,
    batch_path: Path | None = None,
    reference: tuple[pd.DataFrame, float] | None = None,
) -> dict[str, Any]:
    """Run the comparison and write drift.json, drift.md and the drift figure."""
    path = batch_path or split_path(config, "test")
    report = drift_report(config, read_batch(path), path, reference)
    json_path = config.resolve(config.paths.drift_json)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    md_path = config.resolve(config.paths.drift_md)
    md_path.parent.mkdir(parents=True, exist_ok=True)
    figure = config.resolve(Path(report["figure"]))
    try:
        link = figure.relative_to(md_path.parent).as_posix()
    except ValueError:
        link = figure.as_posix()
    md_path.write_text(render_markdown(report, link), encoding="utf-8")
    if report["drift_detected"]:
        logger.warning("Drift detected in %s: %s", path, ", ".join(report["drifted"]))
    else:
        logger.info("No drift detected in %s", path)
    logger.info("Wrote %s and %s", json_path, md_path)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit code (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=Path, default=None, help="path to params.yaml")
    parser.add_argument(
        "--batch", type=Path, default=None, help="CSV to check (default: the test split)"
    )
    parser.add_argument(
        "--make-shifted-batch",
        nargs="?",
        const="",
        default=None,
        metavar="OUT",
        help="write a shifted batch (default path: paths.shifted_batch) and exit",
    )
    parser.add_argument(
        "--fail-on-drift", action="store_true", help="exit with status 1 when drift is found"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    config = load_config(args.params)
    if args.make_shifted_batch is not None:
        write_shifted_batch(
            config, Path(args.make_shifted_batch) if args.make_shifted_batch else None
        )
        return 0
    report = monitor(config, args.batch)
    return 1 if args.fail_on_drift and report["drift_detected"] else 0


if __name__ == "__main__":
    sys.exit(main())
