"""Drift monitoring: this project's features and verdicts, then the batches end to end.

The statistics themselves (PSI, KS, chi-square) are tested in test_drift.py.
"""

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
    drift_report,
    genre_test,
    make_batch,
    make_shifted_batch,
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


# --------------------------------------------------------------------------- bins and genres


def test_star_ratings_get_one_bin_per_value(trained: Trained) -> None:
    ratings = np.array([3.0] * 60 + [4.0] * 30 + [5.0] * 10)
    report = monitor._check_numeric("rating", ratings, ratings[::-1], trained.params.monitor)
    assert report["shares"]["labels"] == ["<4", ">=4", ">=5"]
    assert report["shares"]["reference"] == [0.6, 0.3, 0.1]
    assert report["drifted"] is False


def test_genre_test_on_a_known_case() -> None:
    reference = Counter({"a": 40, "b": 30, "c": 30})
    batch = Counter({"a": 20, "b": 30, "c": 50, "never": 0})
    observed = np.array([[40, 30, 30], [20, 30, 50]])
    expected = observed.sum(axis=1, keepdims=True) * observed.sum(axis=0) / observed.sum()
    by_hand = float(((observed - expected) ** 2 / expected).sum())  # 2 x 3: no Yates correction
    chi2, p_value, total_variation = genre_test(reference, batch)
    assert chi2 == pytest.approx(by_hand)  # 11.67
    assert p_value == pytest.approx(math.exp(-by_hand / 2))  # chi-square, 2 dof: exp(-x / 2)
    assert total_variation == pytest.approx(0.2)  # half of |0.4-0.2| + 0 + |0.3-0.5|


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
