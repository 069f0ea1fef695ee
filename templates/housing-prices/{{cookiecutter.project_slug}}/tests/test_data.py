"""The data contract: what every frame that reaches a model must look like."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{cookiecutter.package_name}} import data
from {{cookiecutter.package_name}}.config import Params

# Ranges the synthetic generator must stay inside: tighter than the contract, close to the real
# data's typical values (see DATA.md).
SYNTHETIC_RANGES = {
    "MedInc": (0.5, 15.0),
    "HouseAge": (1.0, 52.0),
    "AveRooms": (1.0, 40.0),
    "AveBedrms": (0.3, 15.0),
    "Population": (3.0, 35_000.0),
    "AveOccup": (0.7, 10.0),
    "Latitude": (32.5, 42.0),
    "Longitude": (-124.5, -114.3),
    data.TARGET_COLUMN: (0.15, data.TARGET_CAP),
}


@pytest.fixture(scope="module")
def synthetic() -> pd.DataFrame:
    return data.generate_synthetic(n_rows=3000, seed=0)


def test_synthetic_has_the_contract_columns_and_dtypes(synthetic: pd.DataFrame) -> None:
    assert list(synthetic.columns) == data.ALL_COLUMNS
    assert all(dtype == np.float64 for dtype in synthetic.dtypes)
    assert not synthetic.isna().any().any()
    data.validate(synthetic)  # raises if anything is off


@pytest.mark.parametrize("column", list(SYNTHETIC_RANGES))
def test_synthetic_values_are_in_realistic_ranges(synthetic: pd.DataFrame, column: str) -> None:
    low, high = SYNTHETIC_RANGES[column]
    assert synthetic[column].between(low, high).all()


def test_synthetic_target_is_capped_like_the_real_data(synthetic: pd.DataFrame) -> None:
    share_at_cap = (synthetic[data.TARGET_COLUMN] >= data.TARGET_CAP).mean()
    assert 0.005 < share_at_cap < 0.10


def test_synthetic_target_has_learnable_signal(synthetic: pd.DataFrame) -> None:
    # In the real data, income alone correlates with value at about 0.69.
    assert synthetic["MedInc"].corr(synthetic[data.TARGET_COLUMN]) > 0.5


def test_generator_is_deterministic() -> None:
    pd.testing.assert_frame_equal(data.generate_synthetic(500, 1), data.generate_synthetic(500, 1))
    assert not data.generate_synthetic(500, 1).equals(data.generate_synthetic(500, 2))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda df: df.drop(columns=["Latitude"]), "columns"),
        (lambda df: df.assign(Extra=1.0), "columns"),
        (lambda df: df.assign(Latitude="north"), "non-numeric"),
        (lambda df: df.assign(Latitude=df["Latitude"] + 20), "out-of-range"),
        (lambda df: df.assign(Population=-df["Population"]), "out-of-range"),
        (lambda df: df.assign(AveBedrms=df["AveRooms"] + 1), "out-of-range"),
        (lambda df: df.assign(MedHouseVal=np.nan), "missing"),
    ],
)
def test_validate_rejects_contract_violations(
    synthetic: pd.DataFrame, change: Callable[[pd.DataFrame], pd.DataFrame], message: str
) -> None:
    with pytest.raises(data.DataValidationError, match=message):
        data.validate(change(synthetic.head(50)))


def test_clean_drops_duplicates_and_invalid_rows(synthetic: pd.DataFrame) -> None:
    rows = synthetic.head(100)
    broken = rows.head(3).assign(Longitude=0.0)
    dirty = pd.concat([rows, rows.head(10), broken], ignore_index=True)
    cleaned = data.clean(dirty)
    assert len(cleaned) == 100
    assert not cleaned.duplicated(subset=data.FEATURE_COLUMNS).any()


def _overlap(left: pd.DataFrame, right: pd.DataFrame) -> int:
    """Rows whose eight feature values appear in both frames."""
    return len(left[data.FEATURE_COLUMNS].merge(right[data.FEATURE_COLUMNS], how="inner"))


def test_split_has_no_leakage_and_is_reproducible(synthetic: pd.DataFrame) -> None:
    train, test = data.split(synthetic, test_size=0.2, seed=3)
    assert len(train) + len(test) == len(synthetic)
    assert len(test) == pytest.approx(0.2 * len(synthetic), abs=1)
    assert _overlap(train, test) == 0
    train_again, _ = data.split(synthetic, test_size=0.2, seed=3)
    pd.testing.assert_frame_equal(train, train_again)


def test_prepare_writes_a_leak_free_split(small_params: Params, split_info: data.SplitInfo) -> None:
    processed = small_params.data.processed_dir
    train = data.load_processed(processed, "train")
    test = data.load_processed(processed, "test")
    assert (small_params.data.raw_dir / "housing.csv").exists()
    assert _overlap(train, test) == 0
    assert (len(train), len(test)) == (split_info.n_train, split_info.n_test)
    assert split_info.n_train + split_info.n_test == split_info.n_clean <= split_info.n_raw
    saved = json.loads((processed / data.SPLIT_INFO_FILENAME).read_text())
    assert saved["source"] == "synthetic"
    assert saved["seed"] == small_params.seed


def test_load_processed_explains_missing_data(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make data"):
        data.load_processed(tmp_path, "train")
