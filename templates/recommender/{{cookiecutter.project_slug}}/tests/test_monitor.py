"""Drift monitoring: each statistic on a case worked out by hand, then the batches end to end."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }} import monitor
from {{ cookiecutter.package_name }}.monitor import (
    Reference,
    bin_shares,
    chi_square_test,
    drift_report,
    ks_test,
    make_batch,
    make_shifted_batch,
    psi,
    quantile_edges,
    validate_batch,
)

from testkit import Trained

NUMERIC = ("rating", "item_popularity", "user_history")


@pytest.fixture(scope="module")
def reference(trained: Trained) -> Reference:
    return Reference(train=trained.train, items=trained.items)


@pytest.fixture(scope="module")
def unshifted(trained: Trained) -> pd.DataFrame:
    return make_batch(trained.test, trained.params.monitor.batch_size, trained.params.seed)


@pytest.fixture(scope="module")
def shifted(trained: Trained, unshifted: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    return make_shifted_batch(
        unshifted, reference, trained.params.monitor.shift, trained.params.seed
    )


def _report(trained: Trained, reference: Reference, batch: pd.DataFrame) -> dict:
    return drift_report(batch, reference, trained.model, trained.test, trained.params)


# --------------------------------------------------------------------------- PSI


def test_psi_of_identical_samples_is_zero() -> None:
    values = np.random.default_rng(0).normal(size=5000)
    edges = quantile_edges(values, 10)
    assert psi(values, values, edges) == pytest.approx(0.0, abs=1e-12)
    # Two samples of one distribution: small, far below the 0.2 threshold.
    other = np.random.default_rng(1).normal(size=5000)
    assert psi(values, other, edges) < 0.02


def test_psi_on_a_known_case() -> None:
    """Training 50/50 over two bins, batch 90/10: sum of (q - p) ln(q / p), by hand."""
    reference = np.array([0.0] * 50 + [1.0] * 50)
    batch = np.array([0.0] * 90 + [1.0] * 10)
    edges = quantile_edges(reference, 2)
    assert edges.tolist() == [1.0]  # two values, two bins: {0} and {1}
    expected = (0.9 - 0.5) * math.log(0.9 / 0.5) + (0.1 - 0.5) * math.log(0.1 / 0.5)
    assert psi(reference, batch, edges) == pytest.approx(expected)  # 0.8789
    # A large mean shift of a normal sample is far above the threshold.
    rng = np.random.default_rng(2)
    normal = rng.normal(size=5000)
    assert psi(normal, rng.normal(loc=1.0, size=5000), quantile_edges(normal, 10)) > 0.5


def test_bins_are_deciles_of_the_training_data_or_one_per_value_on_discrete_data() -> None:
    values = np.arange(1000, dtype=np.float64)
    edges = quantile_edges(values, 10)
    assert len(edges) == 9
    assert bin_shares(values, edges) == pytest.approx([0.1] * 10)
    ratings = np.array([3.0] * 60 + [4.0] * 30 + [5.0] * 10)
    edges = quantile_edges(ratings, 10)
    assert edges.tolist() == [4.0, 5.0]  # three values, three bins
    assert bin_shares(ratings, edges).tolist() == [0.6, 0.3, 0.1]
    # A batch value outside the training range still lands in an end bin.
    assert bin_shares(np.array([0.5, 9.0]), edges).tolist() == [0.5, 0.0, 0.5]


# --------------------------------------------------------------------------- KS and chi-square


def test_ks_on_known_cases() -> None:
    assert ks_test(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0])) == (0.0, 1.0)
    statistic, p_value = ks_test(np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0]))
    assert statistic == 1.0
    # Exact two-sided p for fully separated samples of 3 and 3: 2 / C(6, 3) = 0.1.
    assert p_value == pytest.approx(0.1)
    statistic, _ = ks_test(np.array([1.0, 2.0, 3.0, 4.0]), np.array([3.0, 4.0, 5.0, 6.0]))
    assert statistic == pytest.approx(0.5)  # the CDFs are furthest apart (1/2) at x = 2


def test_chi_square_on_a_known_case() -> None:
    reference = Counter({"a": 40, "b": 30, "c": 30})
    batch = Counter({"a": 20, "b": 30, "c": 50})
    observed = np.array([[40, 30, 30], [20, 30, 50]])
    expected = observed.sum(axis=1, keepdims=True) * observed.sum(axis=0) / observed.sum()
    by_hand = float(((observed - expected) ** 2 / expected).sum())  # 2 x 3: no Yates correction
    chi2, p_value, total_variation = chi_square_test(reference, batch)
    assert chi2 == pytest.approx(by_hand)  # 11.67
    assert p_value == pytest.approx(math.exp(-by_hand / 2))  # chi-square, 2 dof: exp(-x / 2)
    assert total_variation == pytest.approx(0.2)  # half of |0.4-0.2| + 0 + |0.3-0.5|


def test_chi_square_drops_unseen_categories_and_is_quiet_on_equal_mixes() -> None:
    reference = Counter({"a": 10, "b": 10, "never": 0})
    chi2, p_value, total_variation = chi_square_test(reference, Counter({"a": 10, "b": 10}))
    assert (chi2, p_value, total_variation) == (0.0, 1.0, 0.0)


# --------------------------------------------------------------------------- batches


def test_the_unshifted_batch_is_not_flagged(
    trained: Trained, reference: Reference, unshifted: pd.DataFrame
) -> None:
    report = _report(trained, reference, unshifted)
    assert report["drift_detected"] is False, report["drifted"]
    assert [f["name"] for f in report["features"]] == [*NUMERIC, "genre"]
    for feature in report["features"][:3]:
        assert feature["tests"]["psi"]["value"] < 0.1
    assert report["performance"]["degraded"] is False
    assert report["batch"]["new_user_share"] == 0.0


def test_the_shifted_batch_is_flagged(
    trained: Trained, reference: Reference, shifted: pd.DataFrame
) -> None:
    report = _report(trained, reference, shifted)
    assert report["drift_detected"] is True
    assert set(report["drifted"]) >= {*NUMERIC, "genre"}
    assert report["batch"]["new_user_share"] == pytest.approx(
        trained.params.monitor.shift.new_user_share, abs=0.05
    )
    performance = report["performance"]
    assert performance["batch"] < performance["reference"]


def test_batches_and_reports_are_deterministic(
    trained: Trained, reference: Reference, unshifted: pd.DataFrame, shifted: pd.DataFrame
) -> None:
    seed, cfg = trained.params.seed, trained.params.monitor
    pd.testing.assert_frame_equal(make_batch(trained.test, cfg.batch_size, seed), unshifted)
    again = make_shifted_batch(unshifted, reference, cfg.shift, seed)
    pd.testing.assert_frame_equal(again, shifted)
    assert _report(trained, reference, shifted) == _report(trained, reference, again)


def test_a_batch_without_ratings_is_checked_without_performance(
    trained: Trained, reference: Reference, shifted: pd.DataFrame
) -> None:
    report = _report(trained, reference, shifted.drop(columns="rating"))
    assert [f["name"] for f in report["features"]] == ["item_popularity", "user_history", "genre"]
    assert report["performance"] is None
    assert report["drift_detected"] is True
    assert "no ratings yet" in monitor.to_markdown(report)


def test_malformed_batches_are_refused(unshifted: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="misses columns"):
        validate_batch(unshifted.drop(columns="item_id"))
    with pytest.raises(ValueError, match="empty"):
        validate_batch(unshifted.iloc[:0])
    with pytest.raises(ValueError, match="integers"):
        validate_batch(unshifted.assign(user_id=unshifted["user_id"].astype(float)))
    with pytest.raises(ValueError, match="lie in"):
        validate_batch(unshifted.assign(rating=6.0))


# --------------------------------------------------------------------------- command line


@pytest.fixture
def params_file(trained: Trained, tmp_path: Path) -> Path:
    """The test project's params as a file, with the reports going to tmp_path."""
    params = trained.params.model_copy(
        update={
            "paths": trained.params.paths.model_copy(
                update={
                    "drift_report_path": tmp_path / "reports" / "drift.json",
                    "figures_dir": tmp_path / "reports" / "figures",
                }
            )
        }
    )
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params.model_dump(mode="json")), encoding="utf-8")
    return path


def test_cli_reports_and_fails_only_when_asked(params_file: Path, tmp_path: Path) -> None:
    quiet, drifted = tmp_path / "batch.csv", tmp_path / "shifted.csv"
    assert monitor.main(["--params", str(params_file), "--make-batch", str(quiet)]) == 0
    assert monitor.main(["--params", str(params_file), "--make-shifted-batch", str(drifted)]) == 0

    common = ["--params", str(params_file), "--no-figure"]
    assert monitor.main([*common, "--batch", str(quiet), "--fail-on-drift"]) == 0
    assert monitor.main([*common, "--batch", str(drifted)]) == 0  # reports, does not fail
    assert monitor.main([*common, "--batch", str(drifted), "--fail-on-drift"]) == 1

    report = json.loads((tmp_path / "reports" / "drift.json").read_text())
    assert report["drift_detected"] is True and report["batch"]["name"] == "shifted.csv"
    markdown = (tmp_path / "reports" / "drift.md").read_text()
    assert "DRIFT DETECTED" in markdown and "| rating | psi |" in markdown


def test_cli_draws_the_drift_figure(params_file: Path, tmp_path: Path) -> None:
    batch = tmp_path / "shifted.csv"
    monitor.main(["--params", str(params_file), "--make-shifted-batch", str(batch)])
    assert monitor.main(["--params", str(params_file), "--batch", str(batch)]) == 0
    figure = tmp_path / "reports" / "figures" / "drift_shifted.png"
    assert figure.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert len(figure.read_bytes()) > 10_000


def test_cli_explains_a_missing_batch(params_file: Path, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no batch"):
        monitor.main(["--params", str(params_file), "--batch", str(tmp_path / "nope.csv")])
