"""Model behaviour: it beats popularity, respects what users already rated, survives a save."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from {{ cookiecutter.package_name }}.model import Recommender
from {{ cookiecutter.package_name }}.predict import recommend_all

from testkit import Trained, run_pipeline, small_params

# The saved (served) model must beat popularity by this much NDCG@k on its one split. The
# estimate with error bars, over repeated splits, is checked in test_evaluate.py.
NDCG_MARGIN = 0.05


def test_the_saved_model_beats_popularity_on_every_metric(trained: Trained) -> None:
    final = trained.report["final_model"]
    knn, popularity = final["models"]["item_knn"], final["models"]["popularity"]
    assert knn["ndcg_at_k"] >= popularity["ndcg_at_k"] + NDCG_MARGIN
    assert knn["precision_at_k"] > popularity["precision_at_k"]
    assert knn["recall_at_k"] > popularity["recall_at_k"]
    assert knn["catalog_coverage"] > popularity["catalog_coverage"]
    assert final["n_users_evaluated"] > 100


def test_recommendations_are_distinct_unseen_and_ranked(trained: Trained) -> None:
    model, train, k = trained.model, trained.train, trained.params.evaluation.k
    for user_id in train["user_id"].unique()[:25]:
        result = model.recommend(int(user_id), k)
        seen = set(train.loc[train["user_id"] == user_id, "item_id"])
        assert result.strategy == "item_knn"
        assert len(result.item_ids) == k == len(set(result.item_ids))
        assert not seen & set(result.item_ids)
        assert result.scores == sorted(result.scores, reverse=True)


def test_unknown_user_gets_the_most_popular_items(trained: Trained) -> None:
    result = trained.model.recommend(user_id=10**9, k=5)
    top = trained.train["item_id"].value_counts()
    assert result.strategy == "popularity"
    assert result.scores == sorted(result.scores, reverse=True)
    assert set(result.item_ids) <= set(top.index[top >= top.iloc[4]])


def test_similarity_is_a_pruned_knn_graph(trained: Trained) -> None:
    similarity = trained.model.similarity
    assert np.diff(similarity.indptr).max() <= trained.params.model.n_neighbours
    assert similarity.diagonal().sum() == 0  # no item is its own neighbour
    assert (similarity.data > 0).all() and (similarity.data <= 1 + 1e-9).all()


def test_save_load_round_trip_gives_identical_recommendations(
    trained: Trained, tmp_path: Path
) -> None:
    path = tmp_path / "copy.npz"
    trained.model.save(path)
    loaded = Recommender.load(path)
    for user_id in [*trained.model.user_ids[:10].tolist(), -1]:
        assert loaded.recommend(user_id, 10) == trained.model.recommend(user_id, 10)


def test_batch_and_online_agree(trained: Trained) -> None:
    table = recommend_all(trained.model, k=5)
    assert table["user_id"].nunique() == len(trained.model.user_ids)
    user_id = int(trained.model.user_ids[3])
    batch = table.loc[table["user_id"] == user_id].sort_values("rank")
    assert batch["item_id"].tolist() == trained.model.recommend(user_id, 5).item_ids


def test_same_seed_same_metrics_and_another_seed_differs(tmp_path: Path) -> None:
    first = run_pipeline(small_params(tmp_path / "a", seed=7))
    again = run_pipeline(small_params(tmp_path / "b", seed=7))
    other = run_pipeline(small_params(tmp_path / "c", seed=8))
    for part in ("summary", "per_repeat", "curves", "final_model"):
        assert first[part] == again[part]
    assert first["summary"] != other["summary"]
    assert first["final_model"] != other["final_model"]
