"""The HTTP contract: valid requests get predictions, invalid ones get 422, no model gets 503.

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

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from {{cookiecutter.package_name}} import serving, train
from {{cookiecutter.package_name}}.api import EXAMPLE_HOUSE, MAX_BATCH_SIZE, create_app
from {{cookiecutter.package_name}}.config import Params
from {{cookiecutter.package_name}}.predict import predict_frame

JSON = {"content-type": "application/json"}
NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"]


@pytest.fixture(scope="module")
def client(small_params: Params, trained_models: train.Models) -> Iterator[TestClient]:
    with TestClient(create_app(model_path=small_params.artifacts.model_path)) as test_client:
        yield test_client


@pytest.fixture
def client_without_model(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(model_path=tmp_path / "missing.joblib")) as test_client:
        yield test_client


def _house(**changes: Any) -> dict[str, Any]:
    return {**EXAMPLE_HOUSE, **changes}


def _raw_house(field: str, literal: str) -> str:
    """A house as JSON text with ``literal`` (NaN, 1e400, ...) written as the field's value."""
    return json.dumps(_house(**{field: "<HERE>"})).replace('"<HERE>"', literal)


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


def test_without_a_model_health_is_503_and_predict_explains(
    client_without_model: TestClient,
) -> None:
    health = client_without_model.get("/health")
    assert health.status_code == 503
    assert health.json()["status"] == "unavailable"
    assert health.json()["model_loaded"] is False
    for path, payload in [
        ("/predict", EXAMPLE_HOUSE),
        ("/predict/batch", {"items": [EXAMPLE_HOUSE]}),
    ]:
        response = client_without_model.post(path, json=payload)
        assert response.status_code == 503
        assert "make train" in response.json()["detail"]
    # Validation still comes first: bad input is a 422 with or without a model.
    assert client_without_model.post("/predict", json={}).status_code == 422


def test_a_model_trained_after_start_up_is_not_loaded_mid_request(
    tmp_path: Path, small_params: Params, trained_models: train.Models
) -> None:
    late = tmp_path / "late.joblib"
    with TestClient(create_app(model_path=late)) as client:
        late.write_bytes(small_params.artifacts.model_path.read_bytes())
        assert client.get("/health").status_code == 503
        assert client.post("/predict", json=EXAMPLE_HOUSE).status_code == 503
    with TestClient(create_app(model_path=late)) as restarted:
        assert restarted.get("/health").status_code == 200


def test_a_corrupt_model_file_is_a_503_not_a_crash(tmp_path: Path) -> None:
    broken = tmp_path / "model.joblib"
    broken.write_bytes(b"not a joblib file")
    with TestClient(create_app(model_path=broken)) as client:
        health = client.get("/health")
        assert health.status_code == 503
        assert "could not be loaded" in health.json()["detail"]
        assert client.post("/predict", json=EXAMPLE_HOUSE).status_code == 503


# --------------------------------------------------------------------------- predictions


def test_predict_returns_a_value_with_units(
    client: TestClient, trained_models: train.Models
) -> None:
    response = client.post("/predict", json=EXAMPLE_HOUSE)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"median_house_value", "median_house_value_usd", "units"}
    assert body["units"] == "100,000 USD"
    assert 0 < body["median_house_value"] < 6
    assert body["median_house_value_usd"] == pytest.approx(body["median_house_value"] * 100_000)
    row = pd.DataFrame(
        [
            {
                "MedInc": 3.87,
                "HouseAge": 28.0,
                "AveRooms": 5.4,
                "AveBedrms": 1.1,
                "Population": 1425.0,
                "AveOccup": 3.0,
                "Latitude": 35.6,
                "Longitude": -119.6,
            }
        ]
    )
    direct = predict_frame(trained_models[train.MAIN_MODEL], row)[0]
    assert body["median_house_value"] == pytest.approx(direct, abs=1e-4)


def test_higher_income_predicts_higher_value(client: TestClient) -> None:
    poor = client.post("/predict", json=_house(med_inc=1.5)).json()
    rich = client.post("/predict", json=_house(med_inc=9.0)).json()
    assert rich["median_house_value"] > poor["median_house_value"]


@pytest.mark.parametrize(
    "payload",
    [
        _house(latitude=50.0),
        _house(longitude=0.0),
        _house(population=-10),
        _house(med_inc=0.0),
        _house(ave_rooms=1000),
        _house(ave_bedrms=9.0, ave_rooms=4.0),
        _house(house_age="old"),
        _house(extra_field=1),
        {key: value for key, value in EXAMPLE_HOUSE.items() if key != "latitude"},
        {},
    ],
    ids=[
        "latitude",
        "longitude",
        "negative-population",
        "zero-income",
        "rooms",
        "bedrooms-over-rooms",
        "not-a-number",
        "unknown-field",
        "missing-field",
        "empty",
    ],
)
def test_invalid_input_is_rejected(client: TestClient, payload: dict[str, Any]) -> None:
    assert client.post("/predict", json=payload).status_code == 422


def test_batch_matches_single_predictions(client: TestClient) -> None:
    houses = [EXAMPLE_HOUSE, _house(med_inc=8.0), _house(latitude=37.8, longitude=-122.3)]
    response = client.post("/predict/batch", json={"items": houses})
    assert response.status_code == 200
    batch = [item["median_house_value"] for item in response.json()["predictions"]]
    singles = [client.post("/predict", json=h).json()["median_house_value"] for h in houses]
    assert batch == singles


def test_a_full_batch_is_accepted(client: TestClient) -> None:
    response = client.post("/predict/batch", json={"items": [EXAMPLE_HOUSE] * MAX_BATCH_SIZE})
    assert response.status_code == 200
    assert len(response.json()["predictions"]) == MAX_BATCH_SIZE


@pytest.mark.parametrize(
    "items",
    [[], [EXAMPLE_HOUSE] * (MAX_BATCH_SIZE + 1), [_house(latitude=99.0)]],
    ids=["empty", "over-max", "invalid-item"],
)
def test_invalid_batch_is_rejected(client: TestClient, items: list[dict[str, Any]]) -> None:
    assert client.post("/predict/batch", json={"items": items}).status_code == 422


# --------------------------------------------------------------------------- non-finite numbers


@pytest.mark.parametrize("literal", NON_FINITE)
def test_non_finite_numbers_are_422_not_500(client: TestClient, literal: str) -> None:
    response = client.post("/predict", content=_raw_house("med_inc", literal), headers=JSON)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "med_inc"]
    assert "finite" in error["msg"]


@pytest.mark.parametrize("literal", NON_FINITE)
def test_non_finite_numbers_in_a_batch_are_422_not_500(client: TestClient, literal: str) -> None:
    body = '{"items": [' + json.dumps(EXAMPLE_HOUSE) + ", " + _raw_house("latitude", literal) + "]}"
    response = client.post("/predict/batch", content=body, headers=JSON)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "items", 1, "latitude"]
    assert "finite" in error["msg"]


# --------------------------------------------------------------------------- error bodies


def test_error_bodies_never_echo_the_input(client: TestClient) -> None:
    marker = "echo-" + "x" * 400_000  # two of them: 800 KB, under the 1 MB limit
    response = client.post("/predict", json=_house(house_age=marker, surprise=marker))
    assert response.status_code == 422
    assert len(response.content) < 2_000
    assert "xxxxxxxxxx" not in response.text
    body = response.json()
    assert body["error_count"] == 2
    for error in body["detail"]:
        assert set(error) == {"loc", "msg", "type"}


def test_invalid_json_is_a_short_422(client: TestClient) -> None:
    broken = '{"med_inc": "' + "y" * 200_000  # never closed
    response = client.post("/predict", content=broken, headers=JSON)
    assert response.status_code == 422
    assert len(response.content) < 2_000
    assert "yyyyyyyyyy" not in response.text
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_the_list_of_errors_is_capped(client: TestClient) -> None:
    response = client.post("/predict/batch", json={"items": [{"bad": 1}] * 200})
    assert response.status_code == 422
    body = response.json()
    assert len(body["detail"]) == serving.MAX_ERRORS
    assert body["error_count"] > serving.MAX_ERRORS
    assert len(response.content) < 4_000


def test_a_huge_unknown_key_is_clipped_in_the_location(client: TestClient) -> None:
    response = client.post("/predict", json=_house(**{"k" * 10_000: 1}))
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
    monkeypatch: pytest.MonkeyPatch, small_params: Params, trained_models: train.Models
) -> None:
    monkeypatch.setenv(serving.MAX_REQUEST_BYTES_ENV_VAR, "100")
    with TestClient(create_app(model_path=small_params.artifacts.model_path)) as client:
        assert client.post("/predict", json=EXAMPLE_HOUSE).status_code == 413
        chunks = (json.dumps(EXAMPLE_HOUSE).encode()[i : i + 20] for i in range(0, 240, 20))
        assert client.post("/predict", content=chunks, headers=JSON).status_code == 413
        assert client.get("/health").status_code == 200


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
    secret = "do-not-log-this-body"
    response = client.post("/predict?debug=1", json=_house(house_age=secret))
    [line] = _access_lines(caplog)
    assert set(line) == {"event", "request_id", "method", "path", "status", "duration_ms"}
    assert line["event"] == "request"
    assert (line["method"], line["path"], line["status"]) == ("POST", "/predict", 422)
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
    assert replaced.headers["x-request-id"] != "<script>"
    assert len(replaced.headers["x-request-id"]) == 32
    ids = [line["request_id"] for line in _access_lines(caplog)]
    assert ids == ["trace-123.abc", replaced.headers["x-request-id"]]


def test_refused_requests_are_logged_too(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=serving.ACCESS_LOGGER_NAME)
    response = client.post("/predict", content=b" " * 2_000_000, headers=JSON)
    assert response.status_code == 413
    assert "x-request-id" in response.headers
    assert [line["status"] for line in _access_lines(caplog)] == [413]


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
