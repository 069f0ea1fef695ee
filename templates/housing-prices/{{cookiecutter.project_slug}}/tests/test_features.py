"""Feature engineering: correct ratios, no NaNs, and config mistakes caught early."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from {{cookiecutter.package_name}}.config import FeatureConfig
from {{cookiecutter.package_name}}.data import FEATURE_COLUMNS, generate_synthetic
from {{cookiecutter.package_name}}.features import (
    RATIO_FEATURES,
    add_ratio_features,
    build_preprocessor,
)


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    return generate_synthetic(n_rows=400, seed=5)[FEATURE_COLUMNS]


def test_ratio_features_are_computed_without_mutating_input(features: pd.DataFrame) -> None:
    before = features.copy()
    enriched = add_ratio_features(features)
    pd.testing.assert_frame_equal(features, before)
    expected = features["AveBedrms"] / features["AveRooms"]
    np.testing.assert_allclose(enriched["BedrmsPerRoom"], expected)
    np.testing.assert_allclose(
        enriched["RoomsPerPerson"], features["AveRooms"] / features["AveOccup"]
    )


@pytest.mark.parametrize("add_ratios", [True, False])
def test_preprocessor_output_is_finite_and_standardised(
    features: pd.DataFrame, add_ratios: bool
) -> None:
    config = FeatureConfig(log_columns=("Population", "AveOccup"), add_ratios=add_ratios)
    transformed = np.asarray(build_preprocessor(config).fit_transform(features))
    expected_columns = len(FEATURE_COLUMNS) + (len(RATIO_FEATURES) if add_ratios else 0)
    assert transformed.shape == (len(features), expected_columns)
    assert np.isfinite(transformed).all()
    np.testing.assert_allclose(transformed.mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(transformed.std(axis=0), 1.0, atol=1e-6)


def test_unknown_log_column_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown columns"):
        build_preprocessor(FeatureConfig(log_columns=("Income",)))
