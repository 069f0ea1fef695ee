"""HTTP contract of the API: schema, validation errors, health and the no-model case."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from {{cookiecutter.package_name}}.api import (
    MAX_TEXT_CHARS,
    create_app,
)
from {{cookiecutter.package_name}}.predict import predict

from .helpers import PipelineRun


@pytest.fixture
def client(pipeline_run: PipelineRun) -> Iterator[TestClient]:
    _, trained, _ = pipeline_run
    with TestClient(create_app(model_path=trained.model_path)) as test_client:
        yield test_client


@pytest.fixture
def client_without_model(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(model_path=tmp_path / "missing.joblib")) as test_client:
        yield test_client


def test_health_reports_a_loaded_model(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "model_loaded": True}


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
        {"text": None},
        {},
        {"text": "fine", "extra": "field"},
    ],
    ids=["empty", "whitespace", "too-long", "number", "null", "missing", "extra-field"],
)
def test_invalid_requests_are_rejected_with_422(
    client: TestClient, payload: dict[str, object]
) -> None:
    assert client.post("/predict", json=payload).status_code == 422


def test_without_a_model_predict_is_503_and_health_says_so(
    client_without_model: TestClient,
) -> None:
    response = client_without_model.post("/predict", json={"text": "Great!"})
    assert response.status_code == 503
    assert "make train" in response.json()["detail"]
    assert client_without_model.get("/health").json() == {"status": "ok", "model_loaded": False}
