"""Text normalisation and the vectoriser configuration."""

from __future__ import annotations

import pytest

from {{cookiecutter.package_name}}.config import (
    Config,
    FeaturesConfig,
)
from {{cookiecutter.package_name}}.features import (
    build_vectorizer,
    normalise_text,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Great   PHONE\n", "great phone"),
        ("Loved it.<br /><br />Would watch again", "loved it. would watch again"),
        ("Don\u2019t buy", "don't buy"),
        ("\uff27\uff4f\uff4f\uff44", "good"),  # full-width letters (NFKC)
    ],
)
def test_normalise_text(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


def test_vectorizer_follows_params(config: Config) -> None:
    vectorizer = build_vectorizer(config.features)
    assert vectorizer.ngram_range == config.features.ngram_range
    assert vectorizer.min_df == config.features.min_df
    assert vectorizer.sublinear_tf == config.features.sublinear_tf


def test_vectorizer_keeps_negations_as_bigrams() -> None:
    features = FeaturesConfig(ngram_range=(1, 2), min_df=1)
    vectorizer = build_vectorizer(features).fit(["Not bad at all", "Not worth it"])
    vocabulary = set(vectorizer.get_feature_names_out())
    assert {"not", "not bad", "not worth"} <= vocabulary
