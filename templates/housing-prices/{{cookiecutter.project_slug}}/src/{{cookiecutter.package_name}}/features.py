"""Feature engineering as a scikit-learn transformer.

Everything here is fitted inside the model Pipeline, so the scaler only ever sees training rows
(no test-set leakage) and the API applies exactly the same transformations as training did.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from .config import FeatureConfig
from .data import FEATURE_COLUMNS

RATIO_FEATURES: list[str] = ["BedrmsPerRoom", "RoomsPerPerson"]


def add_ratio_features(features: pd.DataFrame) -> pd.DataFrame:
    """Add ratios that carry meaning the raw averages hide.

    ``BedrmsPerRoom`` separates many small rooms from few large ones; ``RoomsPerPerson`` measures
    crowding. Both are stateless, so they are safe to compute before the split-aware steps.
    """
    enriched = features.copy()
    enriched["BedrmsPerRoom"] = features["AveBedrms"] / features["AveRooms"]
    enriched["RoomsPerPerson"] = features["AveRooms"] / features["AveOccup"]
    return enriched


def engineered_columns(config: FeatureConfig) -> list[str]:
    """Names of the columns the preprocessor sees after the (optional) ratio step."""
    return [*FEATURE_COLUMNS, *(RATIO_FEATURES if config.add_ratios else [])]


def build_preprocessor(config: FeatureConfig) -> Pipeline:
    """Ratios (optional) -> log1p on skewed columns -> standard scaling of every column.

    Scaling matters for the linear baseline and is harmless for tree models, so all models that
    use preprocessing share this exact pipeline and the comparison stays fair.
    """
    columns = engineered_columns(config)
    unknown = sorted(set(config.log_columns) - set(columns))
    if unknown:
        raise ValueError(f"features.log_columns has unknown columns: {unknown}")
    log_columns = [column for column in columns if column in config.log_columns]
    linear_columns = [column for column in columns if column not in config.log_columns]

    log_then_scale = Pipeline(
        [
            ("log1p", FunctionTransformer(np.log1p, feature_names_out="one-to-one")),
            ("scale", StandardScaler()),
        ]
    )
    transforms = ColumnTransformer(
        [
            ("log_scaled", log_then_scale, log_columns),
            ("scaled", StandardScaler(), linear_columns),
        ],
        remainder="drop",
        verbose_feature_names_out=False,
    )
    steps: list[tuple[str, object]] = []
    if config.add_ratios:
        steps.append(("ratios", FunctionTransformer(add_ratio_features)))
    steps.append(("transform", transforms))
    return Pipeline(steps)
