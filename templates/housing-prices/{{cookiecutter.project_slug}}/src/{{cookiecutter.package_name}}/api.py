"""HTTP API serving the trained model.

Run with ``make serve`` (``uvicorn {{cookiecutter.package_name}}.api:app``) and open /docs.
The model file comes from ``$MODEL_PATH`` if set, else ``artifacts.model_path`` in params.yaml,
and is loaded once, when the server starts: without one, /health and /predict answer 503 until
`make train` has run and the server is restarted.
Requests are validated by pydantic before they reach the model: a missing field, an unknown
field, a value outside the plausible range or a non-finite number (NaN, Infinity, 1e400) is
answered with 422 and never scored. serving.py adds the body size limit (413), 422 bodies that
never echo the input, and a JSON log line per request.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi import FastAPI, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from . import __version__, serving
from .config import ArtifactsConfig, load_params
from .data import FEATURE_SPECS, TARGET_UNITS
from .predict import load_model, predict_frame

logger = logging.getLogger(__name__)

MODEL_PATH_ENV_VAR = "MODEL_PATH"
MAX_BATCH_SIZE = 1000
USD_PER_TARGET_UNIT = 100_000

EXAMPLE_HOUSE = {
    "med_inc": 3.87,
    "house_age": 28.0,
    "ave_rooms": 5.4,
    "ave_bedrms": 1.1,
    "population": 1425.0,
    "ave_occup": 3.0,
    "latitude": 35.6,
    "longitude": -119.6,
}


def _feature_field(column: str) -> Any:
    """A pydantic Field whose bounds and description come from the data contract."""
    spec = FEATURE_SPECS[column]
    return Field(ge=spec.low, le=spec.high, description=f"{spec.description} ({spec.unit})")


class HouseFeatures(BaseModel):
    """The eight census features of one block group."""

    model_config = ConfigDict(
        extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [EXAMPLE_HOUSE]}
    )

    med_inc: float = _feature_field("MedInc")
    house_age: float = _feature_field("HouseAge")
    ave_rooms: float = _feature_field("AveRooms")
    ave_bedrms: float = _feature_field("AveBedrms")
    population: float = _feature_field("Population")
    ave_occup: float = _feature_field("AveOccup")
    latitude: float = _feature_field("Latitude")
    longitude: float = _feature_field("Longitude")

    @model_validator(mode="after")
    def _bedrooms_are_rooms(self) -> HouseFeatures:
        """Bedrooms are counted among the rooms, so there cannot be more of them."""
        if self.ave_bedrms > self.ave_rooms:
            raise ValueError("ave_bedrms cannot exceed ave_rooms")
        return self

    def to_row(self) -> dict[str, float]:
        """Map the API's snake_case names to the dataset's column names."""
        return {
            "MedInc": self.med_inc,
            "HouseAge": self.house_age,
            "AveRooms": self.ave_rooms,
            "AveBedrms": self.ave_bedrms,
            "Population": self.population,
            "AveOccup": self.ave_occup,
            "Latitude": self.latitude,
            "Longitude": self.longitude,
        }


class Prediction(BaseModel):
    """A predicted median house value, in the target's units and in dollars."""

    median_house_value: float = Field(description=f"prediction in units of {TARGET_UNITS}")
    median_house_value_usd: float = Field(description="the same prediction in US dollars")
    units: str = TARGET_UNITS


class BatchRequest(BaseModel):
    """Several block groups scored in one call."""

    model_config = ConfigDict(extra="forbid")

    items: list[HouseFeatures] = Field(min_length=1, max_length=MAX_BATCH_SIZE)


class BatchPrediction(BaseModel):
    """Predictions in the same order as the request's items."""

    predictions: list[Prediction]


def resolve_model_path() -> Path:
    """``$MODEL_PATH`` wins; otherwise the path configured in params.yaml."""
    if env_path := os.environ.get(MODEL_PATH_ENV_VAR):
        return Path(env_path)
    try:
        return load_params().artifacts.model_path
    except FileNotFoundError:
        return ArtifactsConfig().model_path


def _predict(model: Any, houses: list[HouseFeatures]) -> list[Prediction]:
    """Score validated inputs with the shared prediction code."""
    frame = pd.DataFrame([house.to_row() for house in houses])
    values = predict_frame(model, frame).round(4)
    return [
        Prediction(
            median_house_value=float(value),
            median_house_value_usd=round(float(value) * USD_PER_TARGET_UNIT, 2),
        )
        for value in values
    ]


def create_app(model_path: Path | None = None, max_request_bytes: int | None = None) -> FastAPI:
    """Build the app; tests pass ``model_path`` to serve a model trained in a temporary folder.

    ``max_request_bytes`` defaults to ``$MAX_REQUEST_BYTES``, else 1 MB.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        serving.configure_default_logging()
        app.state.model = serving.load_at_startup(
            lambda: model_path or resolve_model_path(), load_model, logger
        )
        yield

    app = FastAPI(
        title={{ cookiecutter.project_name | jsonify }},
        description={{ cookiecutter.description | jsonify }},
        version=__version__,
        lifespan=lifespan,
    )
    app.state.model = serving.NOT_STARTED
    serving.harden(app, max_request_bytes)

    @app.get("/health", responses={503: {"model": serving.HealthResponse}})
    def health(request: Request, response: Response) -> serving.HealthResponse:
        """Ready to predict (200), or not (503, with the reason in ``detail``)."""
        body, status_code = serving.health(request, __version__)
        response.status_code = status_code
        return body

    @app.post("/predict", responses=serving.ERROR_RESPONSES)
    def predict(request: Request, house: HouseFeatures) -> Prediction:
        """Predict the median house value of one block group."""
        return _predict(serving.require_model(request), [house])[0]

    @app.post("/predict/batch", responses=serving.ERROR_RESPONSES)
    def predict_batch(request: Request, batch: BatchRequest) -> BatchPrediction:
        """Predict many block groups at once (1 to MAX_BATCH_SIZE), in the request's order."""
        return BatchPrediction(predictions=_predict(serving.require_model(request), batch.items))

    return app


app = create_app()
