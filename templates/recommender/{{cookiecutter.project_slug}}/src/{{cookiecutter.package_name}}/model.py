"""Item-based kNN collaborative filtering, with most-popular items as baseline and fallback.

Item-kNN scores an unseen item by how similar it is to the items the user already rated:
    score(u, j) = sum over items i rated by u of  w(u, i) * sim(i, j)
where sim is the cosine similarity between the items' columns of the user x item matrix, pruned
to each item's n_neighbours most similar items, and w is the weighted rating (features.py).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from .config import ModelConfig
from .features import build_interactions, weight_ratings

Strategy = Literal["item_knn", "popularity"]
FORMAT_VERSION = 1
_CHUNK = 512  # rows of the item-item product held densely at once; bounds memory on big catalogues


@dataclass(frozen=True)
class Recommendation:
    """A ranked list for one user and the strategy that produced it."""

    user_id: int
    strategy: Strategy
    item_ids: list[int]
    titles: list[str]
    scores: list[float]


def item_similarity(
    weighted: sp.csr_matrix, n_neighbours: int, eligible: np.ndarray
) -> sp.csr_matrix:
    """Items x items cosine similarities, keeping each item's top n_neighbours positive ones.

    Pruning to the nearest neighbours is what makes this kNN: it drops the long tail of tiny,
    noisy similarities and keeps the matrix sparse. Items outside `eligible` (too few ratings to
    trust) get no similarities at all. The product is computed in row blocks so a catalogue of
    tens of thousands of items never needs a dense items x items array.
    """
    n_items = weighted.shape[1]
    columns = normalize(weighted.tocsc() @ sp.diags(eligible.astype(np.float64)), axis=0)
    item_rows = columns.T.tocsr()
    k = min(n_neighbours, n_items - 1)
    rows, cols, vals = [], [], []
    for start in range(0, n_items, _CHUNK):
        stop = min(start + _CHUNK, n_items)
        block = (item_rows[start:stop] @ columns).toarray()
        # An item is not its own neighbour.
        block[np.arange(stop - start), np.arange(start, stop)] = 0.0
        top = np.argpartition(-block, k - 1, axis=1)[:, :k]
        values = np.take_along_axis(block, top, axis=1)
        keep = values > 0
        rows.append(np.broadcast_to(np.arange(start, stop)[:, None], top.shape)[keep])
        cols.append(top[keep])
        vals.append(values[keep])
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_items, n_items),
    )


@dataclass(frozen=True)
class SimilarItems:
    """The items most like one item, and the strategy that chose them."""

    item_id: int
    strategy: Strategy
    item_ids: list[int]
    titles: list[str]
    scores: list[float]


@dataclass
class Recommender:
    """A fitted item-kNN model; also answers with popularity for users it has never seen."""

    ratings: sp.csr_matrix  # training ratings, users x items
    user_ids: np.ndarray
    item_ids: np.ndarray
    titles: np.ndarray
    similarity: sp.csr_matrix
    config: ModelConfig
    _weighted: sp.csr_matrix = field(init=False, repr=False)
    _user_index: dict[int, int] = field(init=False, repr=False)
    _item_index: dict[int, int] = field(init=False, repr=False)
    popularity: np.ndarray = field(init=False, repr=False)
    _popularity_rank: np.ndarray = field(init=False, repr=False)
    _popularity_order: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._weighted = weight_ratings(self.ratings, self.config.weighting)
        self._user_index = {int(user): row for row, user in enumerate(self.user_ids)}
        self._item_index = {int(item): column for column, item in enumerate(self.item_ids)}
        counts = np.diff(self.ratings.tocsc().indptr)
        # Share of training users who rated the item: the baseline's score.
        self.popularity = counts / max(len(self.user_ids), 1)
        # Rank 0 = most rated; ties go to the smaller item id so rankings are deterministic.
        self._popularity_order = np.lexsort((self.item_ids, -counts))
        self._popularity_rank = np.empty_like(self._popularity_order)
        self._popularity_rank[self._popularity_order] = np.arange(len(self._popularity_order))

    # ------------------------------------------------------------------ fitting

    @classmethod
    def fit(cls, train: pd.DataFrame, items: pd.DataFrame, config: ModelConfig) -> Recommender:
        """Fit on training ratings; `items` is the catalogue that can be recommended."""
        catalogue = items.sort_values("item_id")
        interactions = build_interactions(train, catalogue["item_id"].to_numpy())
        counts = np.diff(interactions.matrix.tocsc().indptr)
        weighted = weight_ratings(interactions.matrix, config.weighting)
        similarity = item_similarity(
            weighted, config.n_neighbours, counts >= config.min_item_ratings
        )
        return cls(
            ratings=interactions.matrix,
            user_ids=interactions.user_ids,
            item_ids=interactions.item_ids,
            titles=catalogue["title"].to_numpy(dtype=str),
            similarity=similarity,
            config=config,
        )

    # ------------------------------------------------------------------ scoring

    @property
    def popularity_order(self) -> np.ndarray:
        """Item indices (columns), most rated in training first; ties go to the smaller id."""
        return self._popularity_order

    def has_user(self, user_id: int) -> bool:
        return int(user_id) in self._user_index

    def user_rows(self, user_ids: np.ndarray | list[int]) -> np.ndarray:
        """Matrix rows of known users (KeyError for unknown ones)."""
        return np.array([self._user_index[int(u)] for u in user_ids], dtype=np.int64)

    def scores(self, rows: np.ndarray, strategy: Strategy) -> np.ndarray:
        """Dense len(rows) x items scores; higher is better."""
        if strategy == "popularity":
            return np.broadcast_to(self.popularity, (len(rows), len(self.item_ids))).copy()
        if strategy == "item_knn":
            return (self._weighted[rows] @ self.similarity).toarray()
        raise ValueError(f"unknown strategy {strategy!r}")

    def top_k(
        self, rows: np.ndarray, k: int, strategy: Strategy
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """(item indices, scores) of the top k per row, leaving out items rated in training.

        Ties (including all the zero scores of items with no similar rated item) are broken by
        popularity, so a user with little overlap still gets k sensible items.
        """
        scores = self.scores(rows, strategy)
        scores[self.ratings[rows].nonzero()] = -np.inf
        tiebreak = np.broadcast_to(self._popularity_rank, scores.shape)
        order = np.lexsort((tiebreak, -scores), axis=-1)[:, :k]
        ranked = []
        for index, row_scores in zip(order, scores, strict=True):
            index = index[np.isfinite(row_scores[index])]
            ranked.append((index, row_scores[index]))
        return ranked

    def recommend(self, user_id: int, k: int) -> Recommendation:
        """Top-k unseen items for a known user, or the k most popular items for a new one."""
        if self.has_user(user_id):
            strategy: Strategy = "item_knn"
            index, scores = self.top_k(self.user_rows([user_id]), k, strategy)[0]
        else:
            strategy = "popularity"
            index = self._popularity_order[:k]
            scores = self.popularity[index]
        return Recommendation(
            user_id=int(user_id),
            strategy=strategy,
            item_ids=[int(i) for i in self.item_ids[index]],
            titles=[str(t) for t in self.titles[index]],
            scores=[float(s) for s in scores],
        )

    def has_item(self, item_id: int) -> bool:
        return int(item_id) in self._item_index

    def similar_items(self, item_id: int, k: int) -> SimilarItems:
        """The k items most similar to `item_id`, most similar first, never the item itself.

        Cold start: an item outside the catalogue, or with too few ratings to have neighbours
        (min_item_ratings), gets the k most popular items instead, with strategy "popularity".
        Items with no similarity left after the neighbours are ordered by popularity too.
        """
        column = self._item_index.get(int(item_id))
        if column is not None and self.similarity[column].nnz:
            strategy: Strategy = "item_knn"
            similarities = self.similarity[column].toarray().ravel()
            similarities[column] = -np.inf
            order = np.lexsort((self._popularity_rank, -similarities))[:k]
            index = order[np.isfinite(similarities[order])]
            scores = similarities[index]
        else:
            strategy = "popularity"
            order = self._popularity_order
            if column is not None:
                order = order[order != column]
            index = order[:k]
            scores = self.popularity[index]
        return SimilarItems(
            item_id=int(item_id),
            strategy=strategy,
            item_ids=[int(i) for i in self.item_ids[index]],
            titles=[str(t) for t in self.titles[index]],
            scores=[float(s) for s in scores],
        )

    # ------------------------------------------------------------------ persistence

    def save(self, path: Path) -> None:
        """Write one .npz of plain arrays: loading it never unpickles (executes) anything."""
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {
            "user_ids": self.user_ids,
            "item_ids": self.item_ids,
            "titles": self.titles.astype(str),
            "meta": np.array(
                json.dumps({"format_version": FORMAT_VERSION, **self.config.model_dump()})
            ),
        }
        for name, matrix in (("ratings", self.ratings), ("similarity", self.similarity)):
            arrays |= {
                f"{name}_data": matrix.data,
                f"{name}_indices": matrix.indices,
                f"{name}_indptr": matrix.indptr,
                f"{name}_shape": np.array(matrix.shape),
            }
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as handle:
            np.savez_compressed(handle, **arrays)
        os.replace(tmp, path)  # atomic: a server never sees a half-written model

    @classmethod
    def load(cls, path: Path) -> Recommender:
        with np.load(path, allow_pickle=False) as stored:
            meta = json.loads(str(stored["meta"]))
            if meta.pop("format_version") != FORMAT_VERSION:
                raise ValueError(f"{path} was saved by an incompatible version; retrain it")

            def matrix(name: str) -> sp.csr_matrix:
                parts = (
                    stored[f"{name}_data"],
                    stored[f"{name}_indices"],
                    stored[f"{name}_indptr"],
                )
                return sp.csr_matrix(parts, shape=tuple(stored[f"{name}_shape"]))

            return cls(
                ratings=matrix("ratings"),
                user_ids=stored["user_ids"],
                item_ids=stored["item_ids"],
                titles=stored["titles"],
                similarity=matrix("similarity"),
                config=ModelConfig(**meta),
            )
