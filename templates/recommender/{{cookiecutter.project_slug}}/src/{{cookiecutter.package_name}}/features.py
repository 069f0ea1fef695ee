"""From a ratings table to what the models consume: a per-user time split and a sparse matrix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

Weighting = Literal["binary", "rating", "centered"]


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
    ordered = ratings.sort_values(["user_id", "timestamp", "item_id"], kind="mergesort")
    ordered = ordered.reset_index(drop=True)
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
