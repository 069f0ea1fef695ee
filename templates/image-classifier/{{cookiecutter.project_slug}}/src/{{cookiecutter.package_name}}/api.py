"""HTTP API serving the trained image classifier: upload an image, get its class.

Run it with ``make serve``, which starts uvicorn on the module-level ``app``. The model file
is taken from ``$MODEL_PATH`` if set, otherwise from ``paths.model`` in params.yaml; tests pass
an explicit path to :func:`create_app` instead. The model is loaded once, when the server
starts: without one, /health and the prediction endpoints answer 503 until `make train` has
run and the server is restarted (an upload is checked first: one that is not an image is a
422 either way, as invalid input is in the other templates), and no request ever tries to
load it.

Images arrive as multipart/form-data uploads (``curl -F file=@digit.png``) and are decoded
with Pillow by ``imaging.py``, exactly as the command line and `make data --source folder` do.
serving.py adds what makes the API safe to expose: bodies over ``$MAX_REQUEST_BYTES`` (1 MB)
get 413 before parsing, 422 bodies never echo the input, and every request is logged as one
JSON line with an ``X-Request-ID``. An upload that is not an image, is empty, or decodes to
more than ``imaging.MAX_PIXELS`` pixels is a 422, never a 500.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
from fastapi import FastAPI, File, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from PIL import Image
from pydantic import BaseModel, Field

from . import __version__, serving
from .config import load_config
from .imaging import MAX_PIXELS, ImageDecodeError, decode, to_model_input
from .predict import predict

if TYPE_CHECKING:  # model.py imports torch, which load_for_serving brings in at start-up
    from .model import ImageClassifier

logger = logging.getLogger(__name__)

MODEL_PATH_ENV_VAR = "MODEL_PATH"
# One upload at most this many bytes: a digit scan is a few kilobytes.
MAX_IMAGE_BYTES = 200_000
# Images per batch call; the whole request must also fit the 1 MB body limit.
MAX_BATCH_SIZE = 64


class PredictResponse(BaseModel):
    """The predicted class, the probability the model gives it, and every class's probability."""

    label: str
    probability: float = Field(ge=0.0, le=1.0)
    probabilities: dict[str, float]


class BatchResponse(BaseModel):
    """Predictions in the same order as the uploaded files."""

    predictions: list[PredictResponse]


def default_model_path() -> Path:
    """``$MODEL_PATH`` if set, else ``paths.model`` from params.yaml."""
    from_env = os.environ.get(MODEL_PATH_ENV_VAR)
    if from_env:
        return Path(from_env)
    config = load_config()
    return config.resolve(config.paths.model)


def load_for_serving(path: Path) -> ImageClassifier:
    """Load the model (torch is imported here, at start-up) with one inference thread: the
    network is small, and uvicorn's worker threads would otherwise fight over the cores."""
    import torch

    from .model import load_model

    torch.set_num_threads(1)
    return load_model(path)


def _invalid(location: list[str | int], message: str, kind: str) -> RequestValidationError:
    """A 422 in the same shape as every other validation error (and never the upload)."""
    return RequestValidationError([{"loc": tuple(location), "msg": message, "type": kind}])


def _read_image(upload: UploadFile, location: list[str | int]) -> Image.Image:
    """The decoded upload, or a 422 that says what is wrong with it."""
    data = upload.file.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise _invalid(location, f"the image is over {MAX_IMAGE_BYTES} bytes", "image_too_large")
    try:
        return decode(data)
    except ImageDecodeError as error:
        raise _invalid(location, str(error), "image_invalid") from None


def _predict(model: ImageClassifier, images: list[Image.Image]) -> list[PredictResponse]:
    inputs = np.stack([to_model_input(image, model.image_shape) for image in images])
    return [
        PredictResponse(label=p.label, probability=p.probability, probabilities=p.probabilities)
        for p in predict(model, inputs)
    ]


def create_app(model_path: Path | None = None, max_request_bytes: int | None = None) -> FastAPI:
    """Build the FastAPI application; ``model_path`` overrides the configured model file.

    ``max_request_bytes`` defaults to ``$MAX_REQUEST_BYTES``, else 1 MB.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        serving.configure_default_logging()
        app.state.model = serving.load_at_startup(
            lambda: model_path or default_model_path(), load_for_serving, logger
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
    def predict_image(
        request: Request,
        file: Annotated[UploadFile, File(description=f"An image (PNG, JPEG, ...), at most "
                                        f"{MAX_IMAGE_BYTES} bytes and {MAX_PIXELS} pixels")],
    ) -> PredictResponse:  # fmt: skip
        """Classify one uploaded image."""
        image = _read_image(file, ["body", "file"])
        return _predict(serving.require_model(request), [image])[0]

    @app.post("/predict/batch", responses=serving.ERROR_RESPONSES)
    def predict_batch(
        request: Request,
        files: Annotated[list[UploadFile], File(description=f"1 to {MAX_BATCH_SIZE} images")],
    ) -> BatchResponse:
        """Classify 1 to MAX_BATCH_SIZE uploaded images at once, in the order they were sent."""
        if len(files) > MAX_BATCH_SIZE:
            raise _invalid(
                ["body", "files"], f"at most {MAX_BATCH_SIZE} images per request", "too_long"
            )
        images = [_read_image(upload, ["body", "files", i]) for i, upload in enumerate(files)]
        model = serving.require_model(request)
        return BatchResponse(predictions=_predict(model, images))

    return app


app = create_app()
