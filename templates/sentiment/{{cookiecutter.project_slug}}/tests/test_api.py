"""HTTP contract of the API: schema, validation errors, health and the no-model case.

Also the hardening in serving.py: non-finite numbers, error bodies that never echo the input,
the request size limit, the JSON request log and /health.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from {{cookiecutter.package_name}} import serving
from {{cookiecutter.package_name}}.api import (
    MAX_BATCH_SIZE,
    MAX_TEXT_CHARS,
    create_app,
)
from {{cookiecutter.package_name}}.predict import predict

from .helpers import PipelineRun

JSON = {"content-type": "application/json"}
NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e400"]


@pytest.fixture
def client(pipeline_run: PipelineRun) -> Iterator[TestClient]:
    _, trained, _ = pipeline_run
    with TestClient(create_app(model_path=trained.model_path)) as test_client:
        yield test_client


@pytest.fixture
def client_without_model(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(model_path=tmp_path / "missing.joblib")) as test_client:
        yield test_client


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
    assert body["status"] == "ok"
    assert body["model_loaded"] is True
    assert body["model_file"] == "model.joblib"
    assert body["model_version"].startswith("sha256:")
    assert body["detail"] is None


def test_without_a_model_predict_is_503_and_health_says_so(
    client_without_model: TestClient,
) -> None:
    for path, payload in [
        ("/predict", {"text": "Great!"}),
        ("/predict/batch", {"items": [{"text": "Great!"}]}),
    ]:
        response = client_without_model.post(path, json=payload)
        assert response.status_code == 503
        assert "make train" in response.json()["detail"]
    health = client_without_model.get("/health")
    assert health.status_code == 503
    assert health.json()["status"] == "unavailable"
    assert health.json()["model_loaded"] is False
    assert "make train" in health.json()["detail"]
    # Validation still comes first: bad input is a 422 with or without a model.
    assert client_without_model.post("/predict", json={"text": ""}).status_code == 422


def test_a_model_trained_after_start_up_is_not_loaded_mid_request(
    tmp_path: Path, pipeline_run: PipelineRun
) -> None:
    late = tmp_path / "late.joblib"
    with TestClient(create_app(model_path=late)) as client:
        late.write_bytes(pipeline_run[1].model_path.read_bytes())
        assert client.get("/health").status_code == 503
        assert client.post("/predict", json={"text": "Great!"}).status_code == 503
    with TestClient(create_app(model_path=late)) as restarted:
        assert restarted.get("/health").status_code == 200


def test_a_corrupt_model_file_is_a_503_not_a_crash(tmp_path: Path) -> None:
    broken = tmp_path / "model.joblib"
    broken.write_bytes(b"not a joblib file")
    with TestClient(create_app(model_path=broken)) as client:
        health = client.get("/health")
        assert health.status_code == 503
        assert "could not be loaded" in health.json()["detail"]
        assert client.post("/predict", json={"text": "Great!"}).status_code == 503


# --------------------------------------------------------------------------- predictions


def test_predict_returns_label_and_probability(
    client: TestClient, pipeline_run: PipelineRun
) -> None:
    text = "Fast delivery and it works perfectly. Very happy."
    response = client.post("/predict", json={"text": text})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"label", "probability"}
    assert body["label"] in {"positive", "negative"}
    assert isinstance(body["probability"], float)
    assert 0.0 <= body["probability"] <= 1.0
    expected = predict(pipeline_run[1].model, [text])[0]
    assert body == {"label": expected.label, "probability": pytest.approx(expected.probability)}


def test_predict_strips_surrounding_whitespace(client: TestClient) -> None:
    padded = client.post("/predict", json={"text": "  Terrible, avoid.\n"}).json()
    plain = client.post("/predict", json={"text": "Terrible, avoid."}).json()
    assert padded == plain


def test_text_at_the_length_limit_is_accepted(client: TestClient) -> None:
    response = client.post("/predict", json={"text": "a" * MAX_TEXT_CHARS})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "payload",
    [
        {"text": ""},
        {"text": "   \n\t "},
        {"text": "a" * (MAX_TEXT_CHARS + 1)},
        {"text": 123},
        {"text": True},
        {"text": None},
        {"text": ["Great!"]},
        {},
        {"text": "fine", "extra": "field"},
    ],
    ids=[
        "empty",
        "whitespace",
        "too-long",
        "number",
        "bool",
        "null",
        "list",
        "missing",
        "extra-field",
    ],
)
def test_invalid_requests_are_rejected_with_422(
    client: TestClient, payload: dict[str, object]
) -> None:
    assert client.post("/predict", json=payload).status_code == 422


def test_batch_matches_single_predictions(client: TestClient) -> None:
    texts = ["Great value, would buy again.", "Broke after a day.", "  Terrible, avoid. "]
    response = client.post("/predict/batch", json={"items": [{"text": t} for t in texts]})
    assert response.status_code == 200
    batch = response.json()["predictions"]
    singles = [client.post("/predict", json={"text": t}).json() for t in texts]
    assert batch == singles


def test_a_full_batch_of_the_longest_texts_fits_the_size_limit(client: TestClient) -> None:
    items = [{"text": "a" * MAX_TEXT_CHARS}] * MAX_BATCH_SIZE
    response = client.post("/predict/batch", json={"items": items})
    assert response.status_code == 200
    assert len(response.json()["predictions"]) == MAX_BATCH_SIZE


@pytest.mark.parametrize(
    "payload",
    [
        {"items": []},
        {"items": [{"text": "Great!"}] * (MAX_BATCH_SIZE + 1)},
        {"items": [{"text": "Great!"}, {"text": ""}]},
        {"items": ["Great!"]},
        {"items": [{"text": "Great!"}], "extra": 1},
        {},
    ],
    ids=["empty", "over-max", "invalid-item", "bare-string", "extra-field", "missing"],
)
def test_invalid_batches_are_rejected_with_422(
    client: TestClient, payload: dict[str, object]
) -> None:
    assert client.post("/predict/batch", json=payload).status_code == 422


# --------------------------------------------------------------------------- non-finite numbers


@pytest.mark.parametrize("literal", NON_FINITE)
def test_non_finite_numbers_are_422_not_500(client: TestClient, literal: str) -> None:
    for body in ['{"text": ' + literal + "}", '{"text": "fine", "extra": ' + literal + "}"]:
        response = client.post("/predict", content=body, headers=JSON)
        assert response.status_code == 422
        assert response.json()["error_count"] == 1


@pytest.mark.parametrize("literal", NON_FINITE)
def test_non_finite_numbers_in_a_batch_are_422_not_500(client: TestClient, literal: str) -> None:
    body = '{"items": [{"text": "fine"}, {"text": ' + literal + "}]}"
    response = client.post("/predict/batch", content=body, headers=JSON)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "items", 1, "text"]
    assert error["type"] == "string_type"


# --------------------------------------------------------------------------- error bodies


def test_error_bodies_never_echo_the_input(client: TestClient) -> None:
    marker = "echo-" + "x" * 400_000  # two of them: 800 KB, under the 1 MB limit
    response = client.post("/predict", json={"text": marker, "surprise": marker})
    assert response.status_code == 422
    assert len(response.content) < 2_000
    assert "xxxxxxxxxx" not in response.text
    body = response.json()
    assert body["error_count"] == 2
    for error in body["detail"]:
        assert set(error) == {"loc", "msg", "type"}


def test_invalid_json_is_a_short_422(client: TestClient) -> None:
    broken = '{"text": "' + "y" * 200_000  # never closed
    response = client.post("/predict", content=broken, headers=JSON)
    assert response.status_code == 422
    assert len(response.content) < 2_000
    assert "yyyyyyyyyy" not in response.text
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_the_list_of_errors_is_capped(client: TestClient) -> None:
    response = client.post("/predict/batch", json={"items": [{"text": ""}] * MAX_BATCH_SIZE})
    assert response.status_code == 422
    body = response.json()
    assert len(body["detail"]) == serving.MAX_ERRORS
    assert body["error_count"] == MAX_BATCH_SIZE
    assert len(response.content) < 4_000


def test_a_huge_unknown_key_is_clipped_in_the_location(client: TestClient) -> None:
    response = client.post("/predict", json={"text": "fine", "k" * 10_000: 1})
    assert response.status_code == 422
    assert len(response.content) < 1_000


# --------------------------------------------------------------------------- size limit


def test_a_declared_oversized_body_is_413(client: TestClient) -> None:
    limit = serving.DEFAULT_MAX_REQUEST_BYTES
    response = client.post("/predict", content=b"{" + b" " * limit + b"}", headers=JSON)
    assert response.status_code == 413
    assert str(limit) in response.json()["detail"]
    assert len(response.content) < 200


def test_a_chunked_oversized_body_without_length_is_413(client: TestClient) -> None:
    chunks = (b" " * 100_000 for _ in range(30))  # 3 MB, streamed, no Content-Length
    response = client.post("/predict", content=chunks, headers=JSON)
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

    scope = {"type": "http", "method": "POST", "path": "/predict", "headers": []}
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
    monkeypatch: pytest.MonkeyPatch, pipeline_run: PipelineRun
) -> None:
    monkeypatch.setenv(serving.MAX_REQUEST_BYTES_ENV_VAR, "100")
    with TestClient(create_app(model_path=pipeline_run[1].model_path)) as client:
        assert client.post("/predict", json={"text": "Great! " * 20}).status_code == 413
        large = iter([b'{"text": "', b"Great! " * 20, b'"}'])
        assert client.post("/predict", content=large, headers=JSON).status_code == 413
        small = iter([b'{"text": ', b'"Great!"}'])
        assert client.post("/predict", content=small, headers=JSON).status_code == 200


@pytest.mark.parametrize("value", ["0", "-5", "lots", "1.5"])
def test_an_invalid_limit_stops_the_server_at_start_up(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(serving.MAX_REQUEST_BYTES_ENV_VAR, value)
    with pytest.raises(ValueError, match=serving.MAX_REQUEST_BYTES_ENV_VAR):
        create_app()


# --------------------------------------------------------------------------- request log


def test_each_request_is_logged_as_one_json_line(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=serving.ACCESS_LOGGER_NAME)
    secret = "do-not-log-this-review"
    response = client.post("/predict?debug=1", json={"text": secret})
    assert response.status_code == 200
    [line] = _access_lines(caplog)
    assert set(line) == {"event", "request_id", "method", "path", "status", "duration_ms"}
    assert line["event"] == "request"
    assert (line["method"], line["path"], line["status"]) == ("POST", "/predict", 200)
    assert line["duration_ms"] >= 0
    assert line["request_id"] == response.headers["x-request-id"]
    assert secret not in caplog.text
    assert "debug" not in caplog.text


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


def test_refused_and_unavailable_requests_are_logged_too(
    client: TestClient, client_without_model: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=serving.ACCESS_LOGGER_NAME)
    assert client.post("/predict", content=b" " * 2_000_000, headers=JSON).status_code == 413
    assert client_without_model.post("/predict", json={"text": "Great!"}).status_code == 503
    lines = _access_lines(caplog)
    assert [line["status"] for line in lines] == [413, 503]
    levels = [r.levelno for r in caplog.records if r.name == serving.ACCESS_LOGGER_NAME]
    assert levels == [logging.INFO, logging.WARNING]


def test_a_crash_is_a_json_500_with_a_request_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=serving.ACCESS_LOGGER_NAME)
    app = create_app(model_path=tmp_path / "missing.joblib")

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
