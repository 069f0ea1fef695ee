"""The splits (no leakage from the future where they promise none) and the sparse matrix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from {{ cookiecutter.package_name }}.features import (
    build_interactions,
    global_time_split,
    random_split,
    split_ratings,
    temporal_split,
    weight_ratings,
)

from testkit import Trained, small_params


def _ratings(rows: list[tuple[int, int, float, int]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp"])
    return frame.astype(
        {"user_id": "int64", "item_id": "int64", "rating": "float64", "timestamp": "int64"}
    )


def test_train_is_strictly_before_test_for_every_user(trained: Trained) -> None:
    train, test = trained.train, trained.test
    last_train = train.groupby("user_id")["timestamp"].max()
    first_test = test.groupby("user_id")["timestamp"].min()
    assert (last_train.loc[first_test.index] < first_test).all()


def test_no_rating_is_in_both_halves_and_none_is_lost(trained: Trained) -> None:
    train, test, ratings = trained.train, trained.test, trained.ratings
    overlap = train.merge(test, on=["user_id", "item_id"])
    assert overlap.empty
    assert len(train) + len(test) == len(ratings)


def test_every_test_user_has_history_and_the_share_is_right(trained: Trained) -> None:
    train, test = trained.train, trained.test
    assert set(test["user_id"]) <= set(train["user_id"])
    share = len(test) / (len(train) + len(test))
    assert share == pytest.approx(trained.params.split.test_fraction, abs=0.03)


def test_ties_at_the_cutoff_stay_together_and_small_users_stay_in_train() -> None:
    ratings = _ratings(
        [
            # user 1: the last two ratings share a timestamp, so both must go to test
            (1, 10, 4.0, 100),
            (1, 11, 3.0, 200),
            (1, 12, 5.0, 300),
            (1, 13, 2.0, 300),
            # user 2: too few ratings to split
            (2, 10, 4.0, 100),
            (2, 11, 1.0, 200),
        ]
    )
    train, test = temporal_split(ratings, test_fraction=0.25, min_user_ratings=3)
    assert sorted(test["item_id"]) == [12, 13]
    assert set(test["user_id"]) == {1}
    assert sorted(train.loc[train["user_id"] == 2, "item_id"]) == [10, 11]


def test_interaction_matrix_matches_the_ratings() -> None:
    ratings = _ratings([(5, 3, 4.0, 1), (7, 1, 2.5, 2), (7, 3, 5.0, 3)])
    interactions = build_interactions(ratings, np.array([3, 1, 2]))
    assert interactions.item_ids.tolist() == [1, 2, 3]
    assert interactions.user_ids.tolist() == [5, 7]
    expected = np.array([[0.0, 0.0, 4.0], [2.5, 0.0, 5.0]])
    np.testing.assert_array_equal(interactions.matrix.toarray(), expected)
    with pytest.raises(ValueError, match="missing from the catalogue"):
        build_interactions(ratings, np.array([1, 2]))


def test_weightings() -> None:
    matrix = sp.csr_matrix(np.array([[4.0, 0.0, 2.0], [0.0, 5.0, 0.0]]))
    assert weight_ratings(matrix, "binary").toarray().tolist() == [[1, 0, 1], [0, 1, 0]]
    assert weight_ratings(matrix, "rating").toarray().tolist() == matrix.toarray().tolist()
    centered = weight_ratings(matrix, "centered")
    assert centered.data.tolist() == [1.0, -1.0, 0.0]  # each user's own mean is subtracted


def test_global_time_split_has_one_cutoff_for_everyone(trained: Trained) -> None:
    train, test = global_time_split(trained.ratings, test_fraction=0.2)
    assert train["timestamp"].max() < test["timestamp"].min()
    assert len(train) + len(test) == len(trained.ratings)
    assert len(test) / len(trained.ratings) == pytest.approx(0.2, abs=0.01)
    # Unlike the per-user split, some test users were never seen before the cut-off.
    assert not set(test["user_id"]) <= set(train["user_id"])


def test_global_time_split_sends_ties_at_the_cutoff_to_test() -> None:
    ratings = _ratings([(1, 10, 4.0, 100), (2, 11, 3.0, 200), (1, 12, 5.0, 300), (2, 13, 2.0, 300)])
    train, test = global_time_split(ratings, test_fraction=0.25)
    assert sorted(test["item_id"]) == [12, 13]
    assert sorted(train["item_id"]) == [10, 11]
    with pytest.raises(ValueError, match="no training ratings"):
        global_time_split(_ratings([(1, 10, 4.0, 5), (2, 11, 3.0, 5)]), test_fraction=0.5)


def test_random_split_is_seeded_per_user_and_keeps_history(trained: Trained) -> None:
    ratings = trained.ratings
    train, test = random_split(ratings, 0.2, 5, seed=1)
    again, _ = random_split(ratings, 0.2, 5, seed=1)
    other, _ = random_split(ratings, 0.2, 5, seed=2)
    pd.testing.assert_frame_equal(train, again)
    assert not train.equals(other)
    assert len(train) + len(test) == len(ratings)
    assert set(test["user_id"]) <= set(train["user_id"])
    assert len(test) / len(ratings) == pytest.approx(0.2, abs=0.03)
    # Random means some training ratings are newer than the same user's test ratings.
    last_train = train.groupby("user_id")["timestamp"].max()
    first_test = test.groupby("user_id")["timestamp"].min()
    assert (last_train.loc[first_test.index] > first_test).any()


def test_split_ratings_follows_the_method(trained: Trained, tmp_path: Path) -> None:
    config = small_params(tmp_path).split
    for method, expected in (
        (
            "user_time",
            temporal_split(trained.ratings, config.test_fraction, config.min_user_ratings),
        ),
        ("global_time", global_time_split(trained.ratings, config.test_fraction)),
        ("random", random_split(trained.ratings, config.test_fraction, config.min_user_ratings, 3)),
    ):
        got = split_ratings(trained.ratings, config.model_copy(update={"method": method}), seed=3)
        for part, want in zip(got, expected, strict=True):
            pd.testing.assert_frame_equal(part, want)
