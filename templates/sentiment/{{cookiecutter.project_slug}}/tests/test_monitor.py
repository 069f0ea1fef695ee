"""Drift monitoring: the statistics on known cases, and the report on real batches.

The held-out test split (same distribution as training) must not be flagged; the shifted
batch of `make shifted-batch` must be. Both are deterministic for the seed in params.yaml.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from {{cookiecutter.package_name}} import monitor as monitor_module
from {{cookiecutter.package_name}}.config import Config
from {{cookiecutter.package_name}}.data import DataValidationError, load_split, prepare_data
from {{cookiecutter.package_name}}.monitor import (
    NUMERIC_FEATURES,
    SIGNATURE,
    bin_shares,
    chi_square,
    drift_report,
    ks_test,
    main,
    make_shifted_batch,
    monitor,
    psi,
    quantile_edges,
    read_batch,
    reference_features,
    write_shifted_batch,
)

from .helpers import PROJECT_ROOT, PipelineRun

# --------------------------------------------------------------------------- PSI


def test_psi_of_identical_samples_is_zero() -> None:
    sample = np.random.default_rng(0).normal(size=500)
    assert psi(sample, sample) == pytest.approx(0.0, abs=1e-12)


def test_psi_on_a_known_case() -> None:
    # Two bins split at the reference median (49.5): the reference is 50/50, the batch 25/75.
    reference = np.arange(100)
    batch = np.concatenate([np.arange(25), np.arange(50, 125)[:75]])
    expected = (0.25 - 0.5) * np.log(0.25 / 0.5) + (0.75 - 0.5) * np.log(0.75 / 0.5)
    assert psi(reference, batch, bins=2) == pytest.approx(expected)
    assert expected == pytest.approx(0.2747, abs=1e-4)


def test_psi_separates_a_shift_from_sampling_noise() -> None:
    rng = np.random.default_rng(1)
    reference = rng.normal(size=1_000)
    assert psi(reference, rng.normal(size=1_000)) < 0.1
    assert psi(reference, rng.normal(loc=1.0, size=1_000)) > 0.2


def test_psi_bins_come_from_reference_quantiles() -> None:
    reference = np.random.default_rng(2).exponential(size=1_000)
    shares = bin_shares(reference, quantile_edges(reference, 10))
    np.testing.assert_allclose(shares, 0.1, atol=0.002)
    # Discrete data: repeated quantiles are merged, so there are fewer, distinct edges.
    edges = quantile_edges(np.array([0, 0, 0, 0, 1, 1, 2]), 10)
    assert len(edges) < 9
    assert (np.diff(edges) > 0).all()


def test_psi_stays_finite_when_a_bin_is_empty() -> None:
    value = psi(np.arange(100), np.full(50, 1_000.0))
    assert np.isfinite(value) and value > 1


# --------------------------------------------------------------------------- KS and chi-square


def test_ks_on_known_cases() -> None:
    assert ks_test([1, 2, 3, 4], [1, 2, 3, 4]) == (0.0, 1.0)
    statistic, pvalue = ks_test([1, 2, 3, 4], [5, 6, 7, 8])
    assert statistic == 1.0
    # Exact two-sided p-value: 2 of the C(8, 4) = 70 orderings are this extreme.
    assert pvalue == pytest.approx(2 / 70)


def test_chi_square_on_a_known_case() -> None:
    result = chi_square([10, 20], [20, 10])
    # Expected 15 in every cell: chi2 = 4 * 5^2 / 15.
    assert result["chi2"] == pytest.approx(20 / 3)
    assert result["dof"] == 1
    assert result["pvalue"] == pytest.approx(stats.chi2.sf(20 / 3, 1))
    assert result["cramers_v"] == pytest.approx(np.sqrt((20 / 3) / 60))


def test_chi_square_of_equal_shares_is_zero_and_degenerate_tables_pass() -> None:
    same = chi_square([10, 20, 30], [20, 40, 60])
    assert same["chi2"] == pytest.approx(0.0) and same["pvalue"] == pytest.approx(1.0)
    assert chi_square([5, 0], [7, 0])["pvalue"] == 1.0  # one category only
    assert chi_square([0, 0], [3, 4])["pvalue"] == 1.0  # an empty sample


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
