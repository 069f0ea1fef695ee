"""Drift monitoring: the report on real batches (the statistics are tested in test_drift.py).

The held-out test split (same distribution as training) must not be flagged; the shifted
batch of `make shifted-batch` must be. Both are deterministic for the seed in params.yaml.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from {{cookiecutter.package_name}} import monitor as monitor_module
from {{cookiecutter.package_name}}.config import Config
from {{cookiecutter.package_name}}.data import DataValidationError, load_split, prepare_data
from {{cookiecutter.package_name}}.monitor import (
    NUMERIC_FEATURES,
    SIGNATURE,
    drift_report,
    main,
    make_shifted_batch,
    monitor,
    read_batch,
    reference_features,
    write_shifted_batch,
)

from .helpers import PROJECT_ROOT, PipelineRun

# --------------------------------------------------------------------------- batches


def test_shifted_batch_is_deterministic_and_shifted(pipeline_run: PipelineRun) -> None:
    config, _, _ = pipeline_run
    test = load_split(config, "test")
    first = make_shifted_batch(test, seed=config.seed)
    pd.testing.assert_frame_equal(first, make_shifted_batch(test, seed=config.seed))
    assert not first.equals(make_shifted_batch(test, seed=config.seed + 1))
    assert first["text"].str.endswith(SIGNATURE).all()
    assert (first["label"] == "negative").mean() >= 0.7
    assert set(first["text"]).isdisjoint(set(test["text"]))


def test_read_batch_accepts_texts_without_labels_and_rejects_other_columns(
    tmp_path: Path,
) -> None:
    path = tmp_path / "batch.csv"
    path.write_text("text\nGreat.\nNA\n", encoding="utf-8")
    assert read_batch(path)["text"].tolist() == ["Great.", "NA"]
    path.write_text("review\nGreat.\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="text"):
        read_batch(path)
    path.write_text("text,label\nGreat.,neutral\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="Unknown labels"):
        read_batch(path)


# --------------------------------------------------------------------------- reports


@pytest.fixture(scope="module")
def reference(pipeline_run: PipelineRun) -> tuple[pd.DataFrame, float]:
    """The out-of-fold training features, computed once for the reports below."""
    config, _, _ = pipeline_run
    return reference_features(config, load_split(config, "train"))


@pytest.fixture(scope="module")
def unshifted(pipeline_run: PipelineRun, reference: tuple[pd.DataFrame, float]) -> dict[str, Any]:
    config, _, _ = pipeline_run
    report = monitor(config, reference=reference)  # default batch: the held-out test split
    return {
        "report": report,
        "json": config.resolve(config.paths.drift_json).read_text(encoding="utf-8"),
        "md": config.resolve(config.paths.drift_md).read_text(encoding="utf-8"),
    }


@pytest.fixture(scope="module")
def shifted_path(pipeline_run: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    config, _, _ = pipeline_run
    return write_shifted_batch(config, tmp_path_factory.mktemp("batches") / "shifted.csv")


@pytest.fixture(scope="module")
def shifted(
    pipeline_run: PipelineRun, shifted_path: Path, reference: tuple[pd.DataFrame, float]
) -> dict[str, Any]:
    config, _, _ = pipeline_run
    return drift_report(config, read_batch(shifted_path), shifted_path, reference)


def test_unshifted_batch_is_not_flagged(unshifted: dict[str, Any]) -> None:
    report = unshifted["report"]
    assert report["drift_detected"] is False, report["drifted"]
    assert report["drifted"] == []
    for name in NUMERIC_FEATURES:
        assert report["numeric"][name]["psi"] < 0.2, name
    assert report["performance"]["drifted"] is False


def test_shifted_batch_is_flagged(shifted: dict[str, Any]) -> None:
    assert shifted["drift_detected"] is True
    # Longer texts (signature line), typos (unknown words), other words, more negatives.
    for expected in (
        "numeric.n_words",
        "numeric.unknown_word_share",
        "categorical.tokens",
        "categorical.label",
    ):
        assert expected in shifted["drifted"]
    assert shifted["numeric"]["unknown_word_share"]["psi"] > 0.2
    assert shifted["categorical"]["tokens"]["cramers_v"] >= 0.1


def test_drift_without_labels_is_still_found(
    pipeline_run: PipelineRun,
    shifted_path: Path,
    reference: tuple[pd.DataFrame, float],
    tmp_path: Path,
) -> None:
    config, _, _ = pipeline_run
    unlabelled = tmp_path / "unlabelled.csv"
    pd.read_csv(shifted_path)[["text"]].to_csv(unlabelled, index=False)
    report = drift_report(config, read_batch(unlabelled), unlabelled, reference)
    assert report["batch"]["has_labels"] is False
    assert report["performance"] is None
    assert "label" not in report["categorical"]
    assert report["drift_detected"] is True


def test_reports_are_written_as_json_markdown_and_figure(
    pipeline_run: PipelineRun, unshifted: dict[str, Any]
) -> None:
    config, _, _ = pipeline_run
    assert json.loads(unshifted["json"]) == unshifted["report"]
    assert "No drift detected." in unshifted["md"]
    assert "](figures/drift.png)" in unshifted["md"]
    figure = config.resolve(Path(unshifted["report"]["figure"]))
    assert figure.read_bytes().startswith(b"\x89PNG")
    thresholds = unshifted["report"]["thresholds"]
    assert thresholds["psi_threshold"] == config.monitor.psi_threshold


def test_the_reference_is_out_of_fold(unshifted: dict[str, Any]) -> None:
    # In-sample, the model would know every training word and be over-confident; out of
    # fold, the training data and an unshifted batch look alike.
    numeric = unshifted["report"]["numeric"]
    assert numeric["unknown_word_share"]["reference_mean"] > 0.05
    assert abs(numeric["p_positive"]["reference_mean"] - numeric["p_positive"]["batch_mean"]) < 0.1


# --------------------------------------------------------------------------- command line


@pytest.mark.parametrize(
    ("drifted", "flags", "expected"),
    [
        (True, ["--fail-on-drift"], 1),
        (True, [], 0),
        (False, ["--fail-on-drift"], 0),
        (False, [], 0),
    ],
)
def test_cli_exits_1_on_drift_only_with_fail_on_drift(
    config: Config,
    monkeypatch: pytest.MonkeyPatch,
    drifted: bool,
    flags: list[str],
    expected: int,
) -> None:
    # The reports themselves are tested above; here only the exit code logic.
    seen: list[Path | None] = []

    def fake_monitor(config: Config, batch: Path | None) -> dict[str, bool]:
        seen.append(batch)
        return {"drift_detected": drifted}

    monkeypatch.setattr(monitor_module, "load_config", lambda path: config)
    monkeypatch.setattr(monitor_module, "monitor", fake_monitor)
    assert main(["--batch", "batch.csv", *flags]) == expected
    assert seen == [Path("batch.csv")]


def test_cli_writes_a_shifted_batch(
    pipeline_run: PipelineRun, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config, _, _ = pipeline_run
    monkeypatch.setattr(monitor_module, "load_config", lambda path: config)
    out = tmp_path / "out" / "shifted.csv"
    assert main(["--make-shifted-batch", str(out)]) == 0
    assert read_batch(out)["text"].str.endswith(SIGNATURE).all()
    assert main(["--make-shifted-batch"]) == 0  # default path: paths.shifted_batch
    assert config.resolve(config.paths.shifted_batch).is_file()


def test_monitor_needs_a_trained_model(config: Config) -> None:
    prepare_data(config)
    with pytest.raises(FileNotFoundError, match="make train"):
        monitor(config)


def test_readme_documents_the_monitor() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for needed in (
        "](reports/figures/drift.png)",
        "ks_2samp",
        "chi2_contingency",
        "PSI > 0.2",
        "--fail-on-drift",
        "make shifted-batch",
        "make monitor",
    ):
        assert needed in readme, needed
