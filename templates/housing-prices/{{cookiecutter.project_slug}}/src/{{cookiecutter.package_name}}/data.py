"""Get the data, check it against a contract, and split it into train and test sets.

Two sources share one schema (the eight California housing features and the target):

* ``synthetic`` (default): a seeded generator that imitates the real data offline. The real data's
  redistribution terms are unclear, so the project ships a generator instead of a copy.
* ``full``: the real 1990 census data (Pace & Barry, 1997) via scikit-learn, downloaded once.

Run ``python -m <package>.data`` (or ``make data``) to write ``data/raw/`` and the split in
``data/processed/``. See DATA.md for what the synthetic data is and is not.
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from .config import DataSource, Params, load_params

logger = logging.getLogger(__name__)

TARGET_COLUMN = "MedHouseVal"
TARGET_UNITS = "100,000 USD"
# Like the real census extract, values above 500,000 USD are recorded as 5.0.
TARGET_CAP = 5.0

RAW_FILENAMES: dict[str, str] = {"synthetic": "housing.csv", "full": "california_housing.csv"}
TRAIN_FILENAME = "train.csv"
TEST_FILENAME = "test.csv"
SPLIT_INFO_FILENAME = "split.json"


@dataclass(frozen=True)
class FeatureSpec:
    """One input column: meaning, unit and the plausible range any input must fall in.

    The bounds admit every row of the real dataset (which has extreme per-household averages in
    resort areas and group quarters) and reject impossible values. The API reuses them.
    """

    description: str
    unit: str
    low: float
    high: float


FEATURE_SPECS: dict[str, FeatureSpec] = {
    "MedInc": FeatureSpec("median household income of the block group", "10,000 USD", 0.1, 20.0),
    "HouseAge": FeatureSpec("median age of the houses in the block group", "years", 0.0, 100.0),
    "AveRooms": FeatureSpec("average number of rooms per household", "rooms", 0.5, 150.0),
    "AveBedrms": FeatureSpec("average number of bedrooms per household", "bedrooms", 0.1, 50.0),
    "Population": FeatureSpec("number of people living in the block group", "people", 1.0, 50_000),
    "AveOccup": FeatureSpec("average number of people per household", "people", 0.5, 1500.0),
    "Latitude": FeatureSpec("latitude of the block group centre", "degrees north", 32.0, 42.0),
    "Longitude": FeatureSpec("longitude of the block group centre", "degrees east", -125.0, -114.0),
}
FEATURE_COLUMNS: list[str] = list(FEATURE_SPECS)
ALL_COLUMNS: list[str] = [*FEATURE_COLUMNS, TARGET_COLUMN]


class DataValidationError(ValueError):
    """Raised when a frame breaks the data contract (columns, types, ranges)."""


# --------------------------------------------------------------------------------------------
# Synthetic generator
# --------------------------------------------------------------------------------------------

# Rough outline of California: the coastline and the eastern border as longitude by latitude.
_COAST_LAT = np.array([32.5, 33.8, 34.4, 34.5, 36.6, 37.8, 38.9, 40.4, 42.0])
_COAST_LON = np.array([-117.1, -118.4, -119.7, -120.6, -121.9, -122.5, -123.7, -124.4, -124.2])
_EAST_LAT = np.array([32.5, 35.0, 39.0, 42.0])
_EAST_LON = np.array([-114.5, -114.6, -120.0, -120.0])


@dataclass(frozen=True)
class _Metro:
    """A population centre: where block groups cluster and how much location adds to value."""

    lat: float
    lon: float
    share: float  # share of all block groups drawn around this centre
    premium: float  # added house value at the centre, in units of the target
    radius: float  # spread in degrees


_METROS = (
    _Metro(34.05, -118.25, 0.34, 1.0, 0.45),  # Los Angeles
    _Metro(37.65, -122.20, 0.22, 1.9, 0.40),  # San Francisco Bay Area
    _Metro(32.80, -117.10, 0.09, 1.0, 0.30),  # San Diego
    _Metro(38.60, -121.40, 0.07, 0.3, 0.30),  # Sacramento
    _Metro(36.75, -119.80, 0.08, 0.0, 0.40),  # Fresno (Central Valley)
)
_RESORT_SHARE = 0.015  # vacation areas: many empty homes, so huge rooms-per-household


def _sample_locations(rng: np.random.Generator, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw block-group centres: clustered around metros, the rest spread over the state."""
    shares = np.array([metro.share for metro in _METROS])
    component = rng.choice(len(_METROS) + 1, size=n_rows, p=[*shares, 1.0 - shares.sum()])
    lat = rng.uniform(32.6, 41.9, n_rows)
    lon = rng.uniform(
        np.interp(lat, _COAST_LAT, _COAST_LON), np.interp(lat, _EAST_LAT, _EAST_LON), n_rows
    )
    for index, metro in enumerate(_METROS):
        in_metro = component == index
        lat[in_metro] = rng.normal(metro.lat, 0.6 * metro.radius, in_metro.sum())
        lon[in_metro] = rng.normal(metro.lon, 0.8 * metro.radius, in_metro.sum())
    lat = np.clip(lat, 32.55, 41.95)
    coast = np.interp(lat, _COAST_LAT, _COAST_LON)
    east = np.interp(lat, _EAST_LAT, _EAST_LON)
    return lat, np.clip(lon, coast + 0.02, east - 0.02)


def _location_effects(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, ...]:
    """Urban intensity (0-1), metro value premium and coastal proximity (0-1) of each point."""
    urban = np.zeros_like(lat)
    premium = np.zeros_like(lat)
    for metro in _METROS:
        closeness = np.exp(
            -0.5 * ((lat - metro.lat) ** 2 + (lon - metro.lon) ** 2) / metro.radius**2
        )
        urban = np.maximum(urban, closeness)
        premium += metro.premium * closeness
    degrees_inland = lon - np.interp(lat, _COAST_LAT, _COAST_LON)
    coastal = np.exp(-degrees_inland / 0.25)
    return urban, premium, coastal


def generate_synthetic(n_rows: int, seed: int) -> pd.DataFrame:
    """Generate a California-housing-like frame; the same seed always gives the same frame.

    The target mixes a linear income effect with non-linear ones (saturating income, coastal and
    metro premiums that depend on latitude and longitude jointly, crowding, an old-house premium
    in cities), plus multiplicative and additive noise, then caps at ``TARGET_CAP`` like the real
    data. A linear model captures part of this; a tree ensemble can capture more.
    """
    rng = np.random.default_rng(seed)
    lat, lon = _sample_locations(rng, n_rows)
    urban, premium, coastal = _location_effects(lat, lon)
    resort = rng.random(n_rows) < _RESORT_SHARE

    income = np.exp(rng.normal(np.log(3.0) + 0.25 * urban + 0.25 * coastal, 0.42))
    income = np.clip(income, 0.5, 15.0)
    age = np.clip(rng.normal(18 + 14 * urban, 11), 1, 52).round()
    rooms = np.exp(rng.normal(np.log(5.6) + 0.09 * np.log(income / 3.0) - 0.15 * urban, 0.15))
    rooms = np.clip(np.where(resort, rooms * rng.uniform(1.5, 4.0, n_rows), rooms), 1.5, 30.0)
    bedroom_share = np.clip(rng.normal(0.215 - 0.012 * np.log(income), 0.02), 0.12, 0.45)
    bedrooms = np.maximum(rooms * bedroom_share, 0.6)
    population = np.exp(rng.normal(np.log(1150) + 0.2 * urban, 0.7))
    population = np.clip(np.where(resort, population * 0.3, population), 3, 35_000).round()
    occupancy = np.exp(rng.normal(np.log(2.9) - 0.08 * np.log(income / 3.0), 0.2))
    occupancy = np.clip(np.where(resort, occupancy * 0.6, occupancy), 0.8, 8.0)

    value = (
        -0.1
        + 0.32 * income
        - 0.036 * np.maximum(income - 7.0, 0.0) ** 2
        + coastal * (0.4 + 0.15 * income)
        + premium
        + 0.006 * np.maximum(age - 25.0, 0.0) * (1.0 + urban)
        - 0.55 * np.log(occupancy / 2.9)
        - 8.0 * np.maximum(bedrooms / rooms - 0.23, 0.0)
    )
    value = value * np.exp(rng.normal(0.0, 0.18, n_rows)) + rng.normal(0.0, 0.12, n_rows)
    value = np.clip(value, 0.15, TARGET_CAP)

    frame = pd.DataFrame(
        {
            "MedInc": income,
            "HouseAge": age,
            "AveRooms": rooms,
            "AveBedrms": bedrooms,
            "Population": population,
            "AveOccup": occupancy,
            "Latitude": lat,
            "Longitude": lon,
            TARGET_COLUMN: value,
        }
    )
    return frame.round(4)


# --------------------------------------------------------------------------------------------
# Real data (online only)
# --------------------------------------------------------------------------------------------


def load_full(data_home: Path | None = None) -> pd.DataFrame:
    """Download (once, then cached) the real California housing data with scikit-learn.

    Source: StatLib, derived from the 1990 U.S. census by Pace & Barry (1997), "Sparse Spatial
    Autoregressions", Statistics & Probability Letters 33, 291-297. 20,640 block groups.
    Never called by the tests or by the default ``make data``.
    """
    from sklearn.datasets import fetch_california_housing

    bunch = fetch_california_housing(data_home=data_home, as_frame=True)
    return bunch.frame[ALL_COLUMNS].astype("float64")


# --------------------------------------------------------------------------------------------
# Contract, cleaning and split
# --------------------------------------------------------------------------------------------


def _contract_violations(frame: pd.DataFrame) -> pd.Series:
    """Boolean mask of rows that are missing values or fall outside the contract."""
    bad = frame[ALL_COLUMNS].isna().any(axis=1)
    for column, spec in FEATURE_SPECS.items():
        bad |= ~frame[column].between(spec.low, spec.high)
    bad |= ~frame[TARGET_COLUMN].between(0.0, TARGET_CAP + 1e-3)
    bad |= frame["AveBedrms"] > frame["AveRooms"]
    return bad


def validate(frame: pd.DataFrame) -> pd.DataFrame:
    """Check the data contract and return the frame with float64 columns in canonical order.

    Fails loudly instead of letting a schema change or a unit mix-up silently degrade a model.
    """
    missing = [column for column in ALL_COLUMNS if column not in frame.columns]
    extra = [column for column in frame.columns if column not in ALL_COLUMNS]
    if missing or extra:
        raise DataValidationError(
            f"columns differ from the contract: missing={missing} extra={extra}"
        )
    not_numeric = [c for c in ALL_COLUMNS if not pd.api.types.is_numeric_dtype(frame[c])]
    if not_numeric:
        raise DataValidationError(f"non-numeric columns: {not_numeric}")
    bad_rows = int(_contract_violations(frame).sum())
    if bad_rows:
        raise DataValidationError(f"{bad_rows} rows have missing or out-of-range values")
    return frame[ALL_COLUMNS].astype("float64")


def clean(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop rows that break the contract and exact duplicate feature rows.

    Duplicates are dropped before splitting so that the same block group can never sit in both
    the training and the test set.
    """
    violations = _contract_violations(frame)
    if violations.any():
        logger.warning("dropping %d rows outside the data contract", int(violations.sum()))
    kept = frame.loc[~violations]
    deduplicated = kept.drop_duplicates(subset=FEATURE_COLUMNS, keep="first")
    if len(deduplicated) < len(kept):
        logger.warning("dropping %d duplicate feature rows", len(kept) - len(deduplicated))
    return validate(deduplicated.reset_index(drop=True))


def grid_cells(frame: pd.DataFrame, grid_degrees: float) -> pd.Series:
    """Label each row with its latitude/longitude grid cell, e.g. ``"34.0,-119.0"``.

    The label is the cell's south-west corner. Spatial cross-validation groups rows by cell (so
    neighbours stay on one side of a fold) and the drift monitor compares cell counts.
    """
    south = np.floor(frame["Latitude"].to_numpy() / grid_degrees) * grid_degrees
    west = np.floor(frame["Longitude"].to_numpy() / grid_degrees) * grid_degrees
    labels = [f"{lat:.1f},{lon:.1f}" for lat, lon in zip(south, west, strict=True)]
    return pd.Series(labels, index=frame.index, name="grid_cell")


def split(frame: pd.DataFrame, test_size: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Shuffle and split into train and test frames (seeded, so reproducible)."""
    train, test = train_test_split(frame, test_size=test_size, random_state=seed, shuffle=True)
    return train.reset_index(drop=True), test.reset_index(drop=True)


@dataclass(frozen=True)
class SplitInfo:
    """What ``prepare`` produced; saved next to the split so reports can say what data they used."""

    source: str
    seed: int
    test_size: float
    n_raw: int
    n_clean: int
    n_train: int
    n_test: int


def load_raw(params: Params, source: DataSource) -> pd.DataFrame:
    """Produce the raw frame for ``source`` and save a copy under ``data/raw/``."""
    raw_path = params.data.raw_dir / RAW_FILENAMES[source]
    if source == "synthetic":
        frame = generate_synthetic(params.data.n_rows, params.seed)
    else:
        frame = load_full()
    raw_path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(raw_path, index=False)
    logger.info("wrote %d raw rows to %s", len(frame), raw_path)
    return frame


def prepare(params: Params, source: DataSource | None = None) -> SplitInfo:
    """Raw data -> cleaned, validated frame -> train/test CSVs plus ``split.json``."""
    source = source or params.data.source
    raw = load_raw(params, source)
    cleaned = clean(raw)
    train, test = split(cleaned, params.data.test_size, params.seed)

    out_dir = params.data.processed_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    train.to_csv(out_dir / TRAIN_FILENAME, index=False)
    test.to_csv(out_dir / TEST_FILENAME, index=False)
    info = SplitInfo(
        source=source,
        seed=params.seed,
        test_size=params.data.test_size,
        n_raw=len(raw),
        n_clean=len(cleaned),
        n_train=len(train),
        n_test=len(test),
    )
    (out_dir / SPLIT_INFO_FILENAME).write_text(json.dumps(asdict(info), indent=2) + "\n")
    logger.info("wrote %d train and %d test rows to %s", len(train), len(test), out_dir)
    return info


def load_processed(processed_dir: Path, part: Literal["train", "test"]) -> pd.DataFrame:
    """Read one part of the split written by ``prepare`` and re-check the contract."""
    path = processed_dir / (TRAIN_FILENAME if part == "train" else TEST_FILENAME)
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `make data` first")
    return validate(pd.read_csv(path))


def load_split_info(processed_dir: Path) -> SplitInfo:
    """Read ``split.json`` written by ``prepare``."""
    raw = json.loads((processed_dir / SPLIT_INFO_FILENAME).read_text())
    return SplitInfo(**raw)


def main(argv: list[str] | None = None) -> None:
    """CLI: ``python -m <package>.data [--source synthetic|full] [--params PATH]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source",
        choices=sorted(RAW_FILENAMES),
        default=None,
        help="override data.source from params.yaml ('full' downloads the real data once)",
    )
    parser.add_argument("--params", default=None, help="path to params.yaml")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    prepare(load_params(args.params), args.source)


if __name__ == "__main__":
    main()
