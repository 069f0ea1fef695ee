"""HTTP API serving the trained sentiment model.

Run it with ``make serve``, which starts uvicorn on the module-level ``app``. The model file
is taken from ``$MODEL_PATH`` if set, otherwise from ``paths.model`` in params.yaml; tests pass
an explicit path to :func:`create_app` instead.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Literal

from fastapi import FastAPI, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from . import __version__
from .config import load_config
from .predict import Classifier, load_model, predict

logger = logging.getLogger(__name__)

MODEL_PATH_ENV_VAR = "MODEL_PATH"
# Reviews are short; a cap keeps one request from tying up a worker with a whole book.
MAX_TEXT_CHARS = 5_000

ReviewText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT_CHARS)
]


class PredictRequest(BaseModel):
    """Body of ``POST /predict``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "Arrived quickly and works perfectly."}]},
    )

    text: ReviewText = Field(
        description=f"Review text; 1 to {MAX_TEXT_CHARS} characters after trimming whitespace."
    )


class PredictResponse(BaseModel):
    """Predicted label and the probability the model assigns to that label (>= 0.5)."""

    label: Literal["negative", "positive"]
    probability: float = Field(ge=0.0, le=1.0)


class HealthResponse(BaseModel):
    """Liveness plus whether a trained model is available."""

    # Pydantic < 2.10 reserves field names starting with "model_"; this one is intended.
    model_config = ConfigDict(protected_namespaces=())

    status: Literal["ok"] = "ok"
    model_loaded: bool


def default_model_path() -> Path:
    """``$MODEL_PATH`` if set, else ``paths.model`` from params.yaml."""
    from_env = os.environ.get(MODEL_PATH_ENV_VAR)
    if from_env:
        return Path(from_env)
    config = load_config()
    return config.resolve(config.paths.model)


class ModelStore:
    """Loads the model on first use and keeps it in memory.

    Loading lazily lets the server start before ``make train`` has produced a model (requests
    get a clear 503 meanwhile) and pick the model up once it exists, instead of crashing at
    import time.
    """

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._model: Classifier | None = None
        self._lock = threading.Lock()
        self.problem = "model not loaded yet"

    def get(self) -> Classifier | None:
        """Return the model, loading it if needed; ``None`` (and ``problem``) if unavailable."""
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is None:
                try:
                    path = self._path or default_model_path()
                    self._model = load_model(path)
                    logger.info("Loaded model from %s", path)
                except FileNotFoundError as error:
                    self.problem = str(error)
        return self._model


def create_app(model_path: Path | None = None) -> FastAPI:
    """Build the FastAPI application; ``model_path`` overrides the configured model file."""
    store = ModelStore(model_path)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if store.get() is None:
            logger.warning("No model available (%s); /predict will answer 503", store.problem)
        yield

    app = FastAPI(
        title={{ cookiecutter.project_name | jsonify }},
        description={{ cookiecutter.description | jsonify }},
        version=__version__,
        lifespan=lifespan,
    )

    @app.get("/health")
    def health() -> HealthResponse:
        """Report that the service is up and whether it can serve predictions."""
        return HealthResponse(model_loaded=store.get() is not None)

    @app.post(
        "/predict",
        responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"description": "No trained model"}},
    )
    def predict_sentiment(request: PredictRequest) -> PredictResponse:
        """Classify one review as positive or negative."""
        model = store.get()
        if model is None:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=store.problem)
        prediction = predict(model, [request.text])[0]
        return PredictResponse(label=prediction.label, probability=prediction.probability)

    return app


app = create_app()
