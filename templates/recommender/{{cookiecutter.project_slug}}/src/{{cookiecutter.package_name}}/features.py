"""From a ratings table to what the models consume: a train/test split and a sparse matrix.

Three splits, chosen by `split.method` in params.yaml:

    user_time    each user's latest ratings are their test set (the default)
    global_time  one cut-off time for everyone: train before it, test from it on
    random       each user's test ratings are drawn at random (for comparison only)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .config import SplitConfig

Weighting = Literal["binary", "rating", "centered"]
_ORDER = ["user_id", "timestamp", "item_id"]


def temporal_split(
    ratings: pd.DataFrame, test_fraction: float, min_user_ratings: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Send each user's latest ratings to test, so the model is scored on their future.

    A random split would let the model learn from ratings made after the ones it is asked to
    predict. Here, per user, the last round(test_fraction * n) ratings by timestamp (at least one)
    form the test set. Ratings that share the cut-off timestamp all go to test, so every training
    rating is strictly older than every test rating of the same user. Users with fewer than
    min_user_ratings ratings, or whose history is a single timestamp, stay wholly in train.
    """
    ordered = ratings.sort_values(_ORDER, kind="mergesort").reset_index(drop=True)
    by_user = ordered.groupby("user_id", sort=False)
    counts = by_user["item_id"].transform("size")
    position = by_user.cumcount()
    n_test = np.maximum(1, np.round(counts * test_fraction)).astype(np.int64)
    tail = (position >= counts - n_test) & (counts >= min_user_ratings)

    cutoff = ordered["timestamp"].where(tail).groupby(ordered["user_id"]).transform("min")
    is_test = ordered["timestamp"] >= cutoff  # NaN cut-off (user kept in train) compares False
    has_train = (~is_test).groupby(ordered["user_id"]).transform("any")
    is_test &= has_train
    return ordered[~is_test].reset_index(drop=True), ordered[is_test].reset_index(drop=True)


def global_time_split(
    ratings: pd.DataFrame, test_fraction: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One cut-off time for everyone: train on the ratings before it, test on those from it on.

    The cut-off is the timestamp below which (1 - test_fraction) of the ratings fall. This is
    how a deployed recommender lives: it is trained on everything up to today and judged on
    what happens next, so no training rating is newer than any test rating, for any user.
    Test users with no rating before the cut-off are new users (a cold start); they stay in
    test.csv but item-kNN cannot score them, so the evaluation counts and skips them.
    """
    ordered = ratings.sort_values(_ORDER, kind="mergesort").reset_index(drop=True)
    times = np.sort(ordered["timestamp"].to_numpy())
    cutoff = times[min(round(len(times) * (1 - test_fraction)), len(times) - 1)]
    is_test = ordered["timestamp"] >= cutoff
    if is_test.all():
        raise ValueError("the global cut-off leaves no training ratings; lower test_fraction")
    return ordered[~is_test].reset_index(drop=True), ordered[is_test].reset_index(drop=True)


def random_split(
    ratings: pd.DataFrame, test_fraction: float, min_user_ratings: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per user, round(test_fraction * n) ratings (at least one, never all) drawn at random.

    The classic random holdout. It lets the model learn from a user's later ratings while
    predicting their earlier ones, so it flatters any model that can exploit the future; it is
    here so you can measure by how much. Users with fewer than min_user_ratings stay in train.
    """
    ordered = ratings.sort_values(_ORDER, kind="mergesort").reset_index(drop=True)
    keys = np.random.default_rng(seed).random(len(ordered))
    by_user = ordered.assign(_key=keys).groupby("user_id", sort=False)
    counts = by_user["item_id"].transform("size")
    rank = by_user["_key"].rank(method="first") - 1
    n_test = np.clip(np.round(counts * test_fraction), 1, counts - 1)
    is_test = (rank < n_test) & (counts >= min_user_ratings)
    return ordered[~is_test].reset_index(drop=True), ordered[is_test].reset_index(drop=True)


def split_ratings(
    ratings: pd.DataFrame, config: SplitConfig, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) by `config.method`; only the random split uses the seed."""
    if config.method == "user_time":
        return temporal_split(ratings, config.test_fraction, config.min_user_ratings)
    if config.method == "global_time":
        return global_time_split(ratings, config.test_fraction)
    if config.method == "random":
        return random_split(ratings, config.test_fraction, config.min_user_ratings, seed)
    raise ValueError(f"unknown split method {config.method!r}")


@dataclass(frozen=True)
class Interactions:
    """A users x items CSR matrix of ratings plus the ids behind its rows and columns."""

    matrix: sp.csr_matrix
    user_ids: np.ndarray
    item_ids: np.ndarray


def build_interactions(ratings: pd.DataFrame, item_ids: np.ndarray) -> Interactions:
    """Index ratings into a sparse matrix whose columns follow the (sorted) item catalogue."""
    item_ids = np.sort(np.asarray(item_ids, dtype=np.int64))
    user_ids = np.unique(ratings["user_id"].to_numpy(dtype=np.int64))
    if not np.isin(ratings["item_id"].to_numpy(), item_ids).all():
        raise ValueError("ratings refer to items missing from the catalogue")
    cols = np.searchsorted(item_ids, ratings["item_id"].to_numpy())
    rows = np.searchsorted(user_ids, ratings["user_id"].to_numpy())
    matrix = sp.csr_matrix(
        (ratings["rating"].to_numpy(dtype=np.float64), (rows, cols)),
        shape=(len(user_ids), len(item_ids)),
    )
    return Interactions(matrix=matrix, user_ids=user_ids, item_ids=item_ids)


def weight_ratings(matrix: sp.csr_matrix, weighting: Weighting) -> sp.csr_matrix:
    """Turn ratings into the evidence item-kNN works with.

    binary:   "the user rated it" (what they chose to watch says a lot about taste)
    rating:   the raw rating (a 1-star rating still counts as positive evidence)
    centered: rating minus the user's mean, so items a user liked less than usual push
              similar items down and generous and harsh raters become comparable
    """
    weighted = matrix.copy().astype(np.float64)
    if weighting == "binary":
        weighted.data[:] = 1.0
    elif weighting == "centered":
        counts = np.diff(weighted.indptr)
        sums = np.asarray(weighted.sum(axis=1)).ravel()
        means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
        weighted.data -= np.repeat(means, counts)
    elif weighting != "rating":
        raise ValueError(f"unknown weighting {weighting!r}")
    return weighted
