"""HTTP API serving the trained sentiment model.

Run it with ``make serve``, which starts uvicorn on the module-level ``app``. The model file
is taken from ``$MODEL_PATH`` if set, otherwise from ``paths.model`` in params.yaml; tests pass
an explicit path to :func:`create_app` instead. The model is loaded once, when the server
starts: without one, /health and /predict answer 503 until `make train` has run and the server
is restarted, and no request ever tries to load it.

serving.py adds what makes the API safe to expose: bodies over ``$MAX_REQUEST_BYTES`` (1 MB)
get 413 before parsing, 422 bodies never echo the input, and every request is logged as one
JSON line with an ``X-Request-ID``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Literal

from fastapi import FastAPI, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from . import __version__, serving
from .config import load_config
from .predict import Classifier, load_model, predict

logger = logging.getLogger(__name__)

MODEL_PATH_ENV_VAR = "MODEL_PATH"
# Reviews are short; a cap keeps one request from tying up a worker with a whole book.
MAX_TEXT_CHARS = 5_000
# 100 reviews of 5,000 characters stay under the default 1 MB body limit.
MAX_BATCH_SIZE = 100

ReviewText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT_CHARS)
]
EXAMPLE_TEXT = "Arrived quickly and works perfectly."


class PredictRequest(BaseModel):
    """Body of ``POST /predict``."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"text": EXAMPLE_TEXT}]}
    )

    text: ReviewText = Field(
        description=f"Review text; 1 to {MAX_TEXT_CHARS} characters after trimming whitespace."
    )


class PredictResponse(BaseModel):
    """Predicted label and the probability the model assigns to that label (>= 0.5)."""

    label: Literal["negative", "positive"]
    probability: float = Field(ge=0.0, le=1.0)


class BatchRequest(BaseModel):
    """Body of ``POST /predict/batch``: 1 to MAX_BATCH_SIZE reviews scored in one call."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"items": [{"text": EXAMPLE_TEXT}, {"text": "Awful."}]}]},
    )

    items: list[PredictRequest] = Field(min_length=1, max_length=MAX_BATCH_SIZE)


class BatchResponse(BaseModel):
    """Predictions in the same order as the request's items."""

    predictions: list[PredictResponse]


def default_model_path() -> Path:
    """``$MODEL_PATH`` if set, else ``paths.model`` from params.yaml."""
    from_env = os.environ.get(MODEL_PATH_ENV_VAR)
    if from_env:
        return Path(from_env)
    config = load_config()
    return config.resolve(config.paths.model)


def _predict(model: Classifier, requests: list[PredictRequest]) -> list[PredictResponse]:
    """Score validated texts with the same code as the command line."""
    predictions = predict(model, [request.text for request in requests])
    return [
        PredictResponse(label=prediction.label, probability=prediction.probability)
        for prediction in predictions
    ]


def create_app(model_path: Path | None = None, max_request_bytes: int | None = None) -> FastAPI:
    """Build the FastAPI application; ``model_path`` overrides the configured model file.

    ``max_request_bytes`` defaults to ``$MAX_REQUEST_BYTES``, else 1 MB.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        serving.configure_default_logging()
        app.state.model = serving.load_at_startup(
            lambda: model_path or default_model_path(), load_model, logger
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
    def predict_sentiment(request: Request, body: PredictRequest) -> PredictResponse:
        """Classify one review as positive or negative."""
        return _predict(serving.require_model(request), [body])[0]

    @app.post("/predict/batch", responses=serving.ERROR_RESPONSES)
    def predict_batch(request: Request, batch: BatchRequest) -> BatchResponse:
        """Classify 1 to MAX_BATCH_SIZE reviews at once, in the request's order."""
        return BatchResponse(predictions=_predict(serving.require_model(request), batch.items))

    return app


app = create_app()
