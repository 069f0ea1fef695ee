"""The HTTP contract, against a model trained in a temporary directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.api import create_app

from testkit import Trained


@pytest.fixture(scope="module")
def client(trained: Trained) -> TestClient:
    return TestClient(create_app(model_path=trained.params.paths.model_path, default_k=10))


def test_health(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_known_user_gets_k_distinct_unseen_items(client: TestClient, trained: Trained) -> None:
    user_id = int(trained.train["user_id"].iloc[0])
    response = client.get("/recommend", params={"user_id": user_id, "k": 7})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"user_id", "k", "strategy", "items"}
    assert (body["user_id"], body["k"], body["strategy"]) == (user_id, 7, "item_knn")
    ids = [item["item_id"] for item in body["items"]]
    assert len(ids) == 7 == len(set(ids))
    assert not set(ids) & set(trained.train.loc[trained.train["user_id"] == user_id, "item_id"])
    titles = trained.items.set_index("item_id")["title"]
    for item in body["items"]:
        assert set(item) == {"item_id", "title", "score"}
        assert item["title"] == titles[item["item_id"]]
        assert isinstance(item["score"], float)


def test_unknown_user_gets_popular_items(client: TestClient) -> None:
    response = client.get("/recommend", params={"user_id": 987654321})
    assert response.status_code == 200
    body = response.json()
    assert body["strategy"] == "popularity"
    assert len(body["items"]) == body["k"] == 10  # default k


@pytest.mark.parametrize(
    "query",
    [
        {"user_id": 1, "k": 0},
        {"user_id": 1, "k": 101},
        {"user_id": 1, "k": "ten"},
        {"user_id": 1, "k": 2.5},
        {"user_id": "alice", "k": 5},
        {"k": 5},
    ],
)
def test_invalid_queries_are_422(client: TestClient, query: dict) -> None:
    assert client.get("/recommend", params=query).status_code == 422


def test_missing_model_is_503_not_a_crash(tmp_path: Path) -> None:
    client = TestClient(create_app(model_path=tmp_path / "absent.npz", default_k=10))
    assert client.get("/health").json() == {"status": "ok", "model_loaded": False}
    response = client.get("/recommend", params={"user_id": 1, "k": 5})
    assert response.status_code == 503
    assert "make train" in response.json()["detail"]
