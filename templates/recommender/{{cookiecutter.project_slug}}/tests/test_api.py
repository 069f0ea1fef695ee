"""The HTTP contract, against a model trained in a temporary directory.

Also the hardening in serving.py: ids the data contract forbids, non-finite numbers, error
bodies that never echo the input, the request size limit, the JSON request log and /health.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }} import serving
from {{ cookiecutter.package_name }}.api import MAX_BATCH_SIZE, MAX_K, create_app
from {{ cookiecutter.package_name }}.data import MAX_ID

from testkit import Trained

JSON = {"content-type": "application/json"}
NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e400"]
# Ids the data contract (positive int64) forbids, as query text and as JSON values.
BAD_QUERY_IDS = ["0", "-1", str(MAX_ID + 1), "7.0", "7.5", "1e3", "1_000", " 7", "0x10"]
BAD_QUERY_IDS += ["true", "alice", "", "nan", "inf", "-inf", "1e400", "9" * 5000]
BAD_BODY_IDS: list[Any] = [0, -1, MAX_ID + 1, 7.0, 7.5, "7", True, False, None, [7], {"id": 7}]


@pytest.fixture(scope="module")
def client(trained: Trained) -> Iterator[TestClient]:
    app = create_app(model_path=trained.params.paths.model_path, default_k=10)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def client_without_model(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(model_path=tmp_path / "absent.npz", default_k=10)) as test_client:
        yield test_client


def _known_user(trained: Trained) -> int:
    return int(trained.train["user_id"].iloc[0])


def _item_with_neighbours(trained: Trained) -> int:
    counts = np.diff(trained.model.similarity.indptr)
    return int(trained.model.item_ids[int(np.argmax(counts))])


def _access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [
        json.loads(record.getMessage())
        for record in caplog.records
        if record.name == serving.ACCESS_LOGGER_NAME
    ]


# --------------------------------------------------------------------------- health


def test_health_reports_a_loaded_model(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["model_loaded"]) == ("ok", True)
    assert body["model_file"] == "recommender.npz"
    assert body["model_version"].startswith("sha256:")
    assert body["detail"] is None


def test_missing_model_is_503_not_a_crash(client_without_model: TestClient) -> None:
    health = client_without_model.get("/health")
    assert health.status_code == 503
    assert (health.json()["status"], health.json()["model_loaded"]) == ("unavailable", False)
    for response in [
        client_without_model.get("/recommend", params={"user_id": 1, "k": 5}),
        client_without_model.post("/recommend/batch", json={"user_ids": [1]}),
        client_without_model.get("/similar", params={"item_id": 1}),
    ]:
        assert response.status_code == 503
        assert "make train" in response.json()["detail"]
    # Validation still comes first: bad input is a 422 with or without a model.
    assert client_without_model.get("/recommend", params={"user_id": -1}).status_code == 422


def test_a_model_trained_after_start_up_is_not_loaded_mid_request(
    tmp_path: Path, trained: Trained
) -> None:
    late = tmp_path / "late.npz"
    with TestClient(create_app(model_path=late, default_k=10)) as client:
        late.write_bytes(trained.params.paths.model_path.read_bytes())
        assert client.get("/health").status_code == 503
        assert client.get("/recommend", params={"user_id": 1}).status_code == 503
    with TestClient(create_app(model_path=late, default_k=10)) as restarted:
        assert restarted.get("/health").status_code == 200


def test_a_corrupt_model_file_is_a_503_not_a_crash(tmp_path: Path) -> None:
    broken = tmp_path / "recommender.npz"
    broken.write_bytes(b"not an npz file")
    with TestClient(create_app(model_path=broken, default_k=10)) as client:
        health = client.get("/health")
        assert health.status_code == 503
        assert "could not be loaded" in health.json()["detail"]
        assert client.get("/recommend", params={"user_id": 1}).status_code == 503


# --------------------------------------------------------------------------- /recommend


def test_known_user_gets_k_distinct_unseen_items(client: TestClient, trained: Trained) -> None:
    user_id = _known_user(trained)
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


@pytest.mark.parametrize("user_id", [987654321, MAX_ID], ids=["unknown", "largest-valid"])
def test_unknown_but_valid_user_gets_popular_items(client: TestClient, user_id: int) -> None:
    response = client.get("/recommend", params={"user_id": user_id})
    assert response.status_code == 200
    body = response.json()
    assert (body["user_id"], body["strategy"]) == (user_id, "popularity")
    assert len(body["items"]) == body["k"] == 10  # default k


@pytest.mark.parametrize(
    "query",
    [
        {"user_id": 1, "k": 0},
        {"user_id": 1, "k": MAX_K + 1},
        {"user_id": 1, "k": "ten"},
        {"user_id": 1, "k": 2.5},
        {"user_id": 1, "k": "5.0"},
        {"user_id": 1, "k": "nan"},
        {"k": 5},
    ],
)
def test_invalid_queries_are_422(client: TestClient, query: dict) -> None:
    assert client.get("/recommend", params=query).status_code == 422


@pytest.mark.parametrize("user_id", BAD_QUERY_IDS)
def test_user_ids_the_contract_forbids_are_422(client: TestClient, user_id: str) -> None:
    response = client.get("/recommend", params={"user_id": user_id, "k": 5})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "user_id"]


# --------------------------------------------------------------------------- /recommend/batch


def test_batch_matches_single_requests(client: TestClient, trained: Trained) -> None:
    users = [_known_user(trained), 987654321, _known_user(trained)]
    response = client.post("/recommend/batch", json={"user_ids": users, "k": 4})
    assert response.status_code == 200
    body = response.json()
    assert body["k"] == 4
    singles = [client.get("/recommend", params={"user_id": u, "k": 4}).json() for u in users]
    assert body["recommendations"] == singles
    strategies = [r["strategy"] for r in body["recommendations"]]
    assert strategies == ["item_knn", "popularity", "item_knn"]


def test_batch_uses_the_default_k_and_accepts_a_full_batch(client: TestClient) -> None:
    response = client.post(
        "/recommend/batch", json={"user_ids": list(range(1, MAX_BATCH_SIZE + 1))}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["k"] == 10
    assert len(body["recommendations"]) == MAX_BATCH_SIZE


@pytest.mark.parametrize(
    "payload",
    [
        {"user_ids": []},
        {"user_ids": [1] * (MAX_BATCH_SIZE + 1)},
        {"user_ids": [1], "k": 0},
        {"user_ids": [1], "k": MAX_K + 1},
        {"user_ids": [1], "k": True},
        {"user_ids": [1], "k": 5.0},
        {"user_ids": [1], "extra": 1},
        {"user_ids": 1},
        {},
    ],
    ids=[
        "empty",
        "over-max",
        "k-0",
        "k-over-max",
        "k-bool",
        "k-float",
        "extra",
        "not-list",
        "none",
    ],
)
def test_invalid_batches_are_422(client: TestClient, payload: dict) -> None:
    assert client.post("/recommend/batch", json=payload).status_code == 422


@pytest.mark.parametrize("user_id", BAD_BODY_IDS, ids=repr)
def test_batch_user_ids_the_contract_forbids_are_422(client: TestClient, user_id: Any) -> None:
    response = client.post("/recommend/batch", json={"user_ids": [1, user_id]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:3] == ["body", "user_ids", 1]


# --------------------------------------------------------------------------- /similar


def test_similar_items_are_neighbours_most_similar_first(
    client: TestClient, trained: Trained
) -> None:
    item_id = _item_with_neighbours(trained)
    response = client.get("/similar", params={"item_id": item_id, "k": 5})
    assert response.status_code == 200
    body = response.json()
    assert (body["item_id"], body["k"], body["strategy"]) == (item_id, 5, "item_knn")
    ids = [item["item_id"] for item in body["items"]]
    assert len(ids) == 5 == len(set(ids))
    assert item_id not in ids
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > 0


def test_an_unknown_or_unrated_item_gets_popular_items(
    client: TestClient, trained: Trained
) -> None:
    popular = client.get("/recommend", params={"user_id": 987654321, "k": 5}).json()["items"]
    unknown = client.get("/similar", params={"item_id": 987654321, "k": 5}).json()
    assert unknown["strategy"] == "popularity"
    assert unknown["items"] == popular
    counts = np.diff(trained.model.similarity.indptr)
    if (counts == 0).any():  # an item too little rated to have neighbours (min_item_ratings)
        lonely = int(trained.model.item_ids[int(np.argmin(counts))])
        body = client.get("/similar", params={"item_id": lonely, "k": 5}).json()
        assert body["strategy"] == "popularity"
        assert lonely not in [item["item_id"] for item in body["items"]]


@pytest.mark.parametrize("item_id", BAD_QUERY_IDS)
def test_item_ids_the_contract_forbids_are_422(client: TestClient, item_id: str) -> None:
    response = client.get("/similar", params={"item_id": item_id})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "item_id"]


# --------------------------------------------------------------------------- non-finite numbers


@pytest.mark.parametrize("literal", NON_FINITE)
def test_non_finite_numbers_in_a_batch_are_422_not_500(client: TestClient, literal: str) -> None:
    for body, location in [
        ('{"user_ids": [1, ' + literal + "]}", ["body", "user_ids", 1]),
        ('{"user_ids": [1], "k": ' + literal + "}", ["body", "k"]),
    ]:
        response = client.post("/recommend/batch", content=body, headers=JSON)
        assert response.status_code == 422
        [error] = response.json()["detail"]
        assert error["loc"][: len(location)] == location


@pytest.mark.parametrize("literal", ["nan", "NaN", "inf", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_in_a_query_are_422(client: TestClient, literal: str) -> None:
    assert client.get("/recommend", params={"user_id": literal}).status_code == 422
    assert client.get("/recommend", params={"user_id": 1, "k": literal}).status_code == 422
    assert client.get("/similar", params={"item_id": literal}).status_code == 422


# --------------------------------------------------------------------------- error bodies


def test_error_bodies_never_echo_the_input(client: TestClient) -> None:
    marker = "echo-" + "x" * 400_000
    response = client.post("/recommend/batch", json={"user_ids": [marker], "surprise": marker})
    assert response.status_code == 422
    assert len(response.content) < 2_000
    assert "xxxxxxxxxx" not in response.text
    body = response.json()
    assert body["error_count"] == 2
    for error in body["detail"]:
        assert set(error) == {"loc", "msg", "type"}
    query = client.get("/recommend", params={"user_id": "y" * 50_000})
    assert query.status_code == 422
    assert len(query.content) < 2_000
    assert "yyyyyyyyyy" not in query.text


def test_invalid_json_is_a_short_422(client: TestClient) -> None:
    broken = '{"user_ids": ["' + "y" * 200_000  # never closed
    response = client.post("/recommend/batch", content=broken, headers=JSON)
    assert response.status_code == 422
    assert len(response.content) < 2_000
    assert "yyyyyyyyyy" not in response.text
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_the_list_of_errors_is_capped(client: TestClient) -> None:
    response = client.post("/recommend/batch", json={"user_ids": ["x"] * MAX_BATCH_SIZE})
    assert response.status_code == 422
    body = response.json()
    assert len(body["detail"]) == serving.MAX_ERRORS
    assert body["error_count"] == MAX_BATCH_SIZE
    assert len(response.content) < 4_000


# --------------------------------------------------------------------------- size limit


def test_a_declared_oversized_body_is_413(client: TestClient) -> None:
    limit = serving.DEFAULT_MAX_REQUEST_BYTES
    response = client.post("/recommend/batch", content=b"{" + b" " * limit + b"}", headers=JSON)
    assert response.status_code == 413
    assert str(limit) in response.json()["detail"]
    assert len(response.content) < 200


def test_a_chunked_oversized_body_without_length_is_413(client: TestClient) -> None:
    chunks = (b" " * 100_000 for _ in range(30))  # 3 MB, streamed, no Content-Length
    response = client.post("/recommend/batch", content=chunks, headers=JSON)
    assert response.status_code == 413


def test_a_streamed_body_is_cut_off_as_soon_as_it_passes_the_limit() -> None:
    """At the ASGI level: the app never sees the chunk that crosses the limit, and whatever it
    answers to the cut-off body (FastAPI would say 400) is replaced by the 413."""
    chunks = [b"a" * 6, b"b" * 6, b"c" * 6]
    handed_to_app: list[bytes] = []
    sent: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            while True:
                message = await receive()
                handed_to_app.append(message["body"])
                if not message.get("more_body"):
                    break
        except Exception:
            await send({"type": "http.response.start", "status": 400, "headers": []})
            await send({"type": "http.response.body", "body": b"partial body"})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/recommend/batch", "headers": []}
    asyncio.run(serving.BodySizeLimitMiddleware(app, max_bytes=10)(scope, receive, send))
    assert handed_to_app == [b"aaaaaa"]
    assert sent[0]["status"] == 413
    assert b"partial" not in b"".join(message.get("body", b"") for message in sent)


@pytest.mark.parametrize(
    ("length", "status"), [(b"9" * 5000, 413), (b"11", 413), (b"12abc", 400), (b"-1", 400)]
)
def test_a_declared_length_is_checked_before_the_app_runs(length: bytes, status: int) -> None:
    sent: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        raise AssertionError("the app must not run")

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body must not be read")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"content-length", length)]
    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    asyncio.run(serving.BodySizeLimitMiddleware(app, max_bytes=10)(scope, receive, send))
    assert sent[0]["status"] == status


def test_the_limit_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, trained: Trained
) -> None:
    monkeypatch.setenv(serving.MAX_REQUEST_BYTES_ENV_VAR, "100")
    app = create_app(model_path=trained.params.paths.model_path, default_k=10)
    with TestClient(app) as client:
        many = {"user_ids": list(range(1, 40))}
        assert client.post("/recommend/batch", json=many).status_code == 413
        large = iter([b'{"user_ids": [', b"1, " * 40, b"1]}"])
        assert client.post("/recommend/batch", content=large, headers=JSON).status_code == 413
        small = iter([b'{"user_ids": ', b"[1, 2]}"])
        assert client.post("/recommend/batch", content=small, headers=JSON).status_code == 200


@pytest.mark.parametrize("value", ["0", "-5", "lots", "1.5"])
def test_an_invalid_limit_stops_the_server_at_start_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str
) -> None:
    monkeypatch.setenv(serving.MAX_REQUEST_BYTES_ENV_VAR, value)
    with pytest.raises(ValueError, match=serving.MAX_REQUEST_BYTES_ENV_VAR):
        create_app(model_path=tmp_path / "absent.npz", default_k=10)


# --------------------------------------------------------------------------- request log


def test_each_request_is_logged_as_one_json_line(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=serving.ACCESS_LOGGER_NAME)
    response = client.get("/recommend", params={"user_id": 424242, "k": 3})
    assert response.status_code == 200
    [line] = _access_lines(caplog)
    assert set(line) == {"event", "request_id", "method", "path", "status", "duration_ms"}
    assert line["event"] == "request"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/recommend", 200)
    assert line["duration_ms"] >= 0
    assert line["request_id"] == response.headers["x-request-id"]
    assert "424242" not in caplog.text  # the query string (user ids) is not logged


def test_a_batch_body_is_never_logged(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    assert client.post("/recommend/batch", json={"user_ids": [135797531]}).status_code == 200
    assert "135797531" not in caplog.text
    assert [line["path"] for line in _access_lines(caplog)] == ["/recommend/batch"]


def test_a_sane_request_id_is_echoed_and_an_odd_one_replaced(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=serving.ACCESS_LOGGER_NAME)
    echoed = client.get("/health", headers={"X-Request-ID": "trace-123.abc"})
    assert echoed.headers["x-request-id"] == "trace-123.abc"
    replaced = client.get("/health", headers={"X-Request-ID": "<script>" + "z" * 300})
    assert len(replaced.headers["x-request-id"]) == 32
    ids = [line["request_id"] for line in _access_lines(caplog)]
    assert ids == ["trace-123.abc", replaced.headers["x-request-id"]]


def test_refused_requests_are_logged_too(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=serving.ACCESS_LOGGER_NAME)
    response = client.post("/recommend/batch", content=b" " * 2_000_000, headers=JSON)
    assert response.status_code == 413
    assert "x-request-id" in response.headers
    assert [line["status"] for line in _access_lines(caplog)] == [413]


def test_a_crash_is_a_json_500_with_a_request_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=serving.ACCESS_LOGGER_NAME)
    app = create_app(model_path=tmp_path / "absent.npz", default_k=10)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret detail")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"detail": "internal server error"}
    lines = _access_lines(caplog)
    assert [line["event"] for line in lines] == ["request_failed", "request"]
    assert lines[0]["error"] == "RuntimeError"
    assert lines[1]["status"] == 500
    assert lines[0]["request_id"] == lines[1]["request_id"] == response.headers["x-request-id"]
    assert "secret detail" not in json.dumps(lines)
