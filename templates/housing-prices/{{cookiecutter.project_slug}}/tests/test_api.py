"""The HTTP contract: valid requests get predictions, invalid ones get 422, no model gets 503."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from {{cookiecutter.package_name}} import train
from {{cookiecutter.package_name}}.api import EXAMPLE_HOUSE, MAX_BATCH_SIZE, create_app
from {{cookiecutter.package_name}}.config import Params
from {{cookiecutter.package_name}}.predict import predict_frame


@pytest.fixture(scope="module")
def client(small_params: Params, trained_models: train.Models) -> Iterator[TestClient]:
    with TestClient(create_app(model_path=small_params.artifacts.model_path)) as test_client:
        yield test_client


def _house(**changes: Any) -> dict[str, Any]:
    return {**EXAMPLE_HOUSE, **changes}


def test_health_reports_a_loaded_model(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["ready"] is True


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


@pytest.mark.parametrize(
    "items", [[], [EXAMPLE_HOUSE] * (MAX_BATCH_SIZE + 1), [_house(latitude=99.0)]]
)
def test_invalid_batch_is_rejected(client: TestClient, items: list[dict[str, Any]]) -> None:
    assert client.post("/predict/batch", json={"items": items}).status_code == 422


def test_missing_model_gives_503_not_a_crash(tmp_path: Path) -> None:
    with TestClient(create_app(model_path=tmp_path / "missing.joblib")) as client:
        assert client.get("/health").json()["ready"] is False
        response = client.post("/predict", json=EXAMPLE_HOUSE)
    assert response.status_code == 503
    assert "make train" in response.json()["detail"]
