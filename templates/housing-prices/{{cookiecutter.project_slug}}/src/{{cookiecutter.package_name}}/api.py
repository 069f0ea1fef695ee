"""HTTP API serving the trained model.

Run with ``make serve`` (``uvicorn {{cookiecutter.package_name}}.api:app``) and open /docs.
The model file comes from ``$MODEL_PATH`` if set, else ``artifacts.model_path`` in params.yaml.
Requests are validated by pydantic before they reach the model: a missing field, an unknown
field or a value outside the plausible range is answered with 422 and never scored.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from . import __version__
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


class Health(BaseModel):
    """Liveness plus whether a trained model is loaded (``ready``)."""

    status: str
    ready: bool
    version: str


def resolve_model_path() -> Path:
    """``$MODEL_PATH`` wins; otherwise the path configured in params.yaml."""
    if env_path := os.environ.get(MODEL_PATH_ENV_VAR):
        return Path(env_path)
    try:
        return load_params().artifacts.model_path
    except FileNotFoundError:
        return ArtifactsConfig().model_path


def _try_load(path: Path) -> Any | None:
    """Load the model if it exists; a missing model is reported by the endpoints, not a crash."""
    try:
        return load_model(path)
    except FileNotFoundError:
        return None


def _loaded_model(request: Request) -> Any | None:
    """The cached model, loading it now if it was trained after the server started."""
    state = request.app.state
    if state.model is None:
        state.model = _try_load(state.model_path)
    return state.model


def _get_model(request: Request) -> Any:
    """The model for a prediction request, or 503 if none has been trained yet."""
    model = _loaded_model(request)
    if model is None:
        raise HTTPException(
            status_code=503,
            detail=f"no trained model at {request.app.state.model_path}: run `make train`",
        )
    return model


def _predict(request: Request, houses: list[HouseFeatures]) -> list[Prediction]:
    """Score validated inputs with the shared prediction code."""
    frame = pd.DataFrame([house.to_row() for house in houses])
    values = predict_frame(_get_model(request), frame).round(4)
    return [
        Prediction(
            median_house_value=float(value),
            median_house_value_usd=round(float(value) * USD_PER_TARGET_UNIT, 2),
        )
        for value in values
    ]


def create_app(model_path: Path | None = None) -> FastAPI:
    """Build the app; tests pass ``model_path`` to serve a model trained in a temporary folder."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.model_path = model_path or resolve_model_path()
        app.state.model = _try_load(app.state.model_path)
        if app.state.model is None:
            logger.warning(
                "no model at %s: /predict answers 503 until `make train` has run",
                app.state.model_path,
            )
        yield

    app = FastAPI(
        title={{ cookiecutter.project_name | jsonify }},
        description={{ cookiecutter.description | jsonify }},
        version=__version__,
        lifespan=lifespan,
    )

    @app.get("/health")
    def health(request: Request) -> Health:
        """Liveness for the Docker HEALTHCHECK; ``ready`` says whether predictions will work."""
        return Health(status="ok", ready=_loaded_model(request) is not None, version=__version__)

    @app.post("/predict")
    def predict(request: Request, house: HouseFeatures) -> Prediction:
        """Predict the median house value of one block group."""
        return _predict(request, [house])[0]

    @app.post("/predict/batch")
    def predict_batch(request: Request, batch: BatchRequest) -> BatchPrediction:
        """Predict many block groups at once (up to MAX_BATCH_SIZE)."""
        return BatchPrediction(predictions=_predict(request, batch.items))

    return app


app = create_app()
