"""Top-k ranking metrics with binary relevance.

They judge a ranked list against the set of items the user turned out to like, which is what a
recommender is for; RMSE on ratings would reward predicting 3.5 for everything.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np


def precision_at_k(recommended: Sequence[int], relevant: Collection[int], k: int) -> float:
    """Share of the k slots filled with relevant items (an unfilled slot counts as a miss)."""
    hits = sum(1 for item in recommended[:k] if item in relevant)
    return hits / k


def recall_at_k(recommended: Sequence[int], relevant: Collection[int], k: int) -> float:
    """Share of the relevant items that made it into the top k."""
    if not relevant:
        return 0.0
    hits = sum(1 for item in recommended[:k] if item in relevant)
    return hits / len(relevant)


def ndcg_at_k(recommended: Sequence[int], relevant: Collection[int], k: int) -> float:
    """Discounted cumulative gain of the top k over the best achievable, in [0, 1].

    Unlike precision it rewards putting the hits first: a hit at rank r is worth 1 / log2(r + 1).
    """
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    gains = np.array([item in relevant for item in recommended[:k]], dtype=np.float64)
    ideal = discounts[: min(len(relevant), k)].sum()
    if ideal == 0:
        return 0.0
    return float(gains @ discounts[: len(gains)] / ideal)
