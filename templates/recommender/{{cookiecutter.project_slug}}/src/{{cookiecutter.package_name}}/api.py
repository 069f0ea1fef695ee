"""HTTP API: GET /recommend?user_id=<int>&k=<int> and GET /health.

    uvicorn <package>.api:app            (or `make serve`)

The model file comes from the MODEL_PATH environment variable, else paths.model_path in
params.yaml. It is loaded on the first request rather than at import, so the server starts (and
/health answers) before a model exists, and /recommend says 503 until `make train` has run.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Annotated, Literal

from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from . import __version__
from .config import load_params
from .model import Recommender

MODEL_PATH_ENV_VAR = "MODEL_PATH"
MAX_K = 100  # an API contract, not a model setting: longer lists are a batch job (predict.py)
SCORE_DECIMALS = 4  # enough to order the list; more digits are noise to a client


class RecommendedItem(BaseModel):
    item_id: int
    title: str
    score: float = Field(
        description="Higher is better (rounded); comparable only within one response."
    )


class RecommendationResponse(BaseModel):
    user_id: int
    k: int
    strategy: Literal["item_knn", "popularity"] = Field(
        description="item_knn for users seen in training, popularity for unknown users."
    )
    items: list[RecommendedItem]


class HealthResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=())  # allows "model_loaded" on pydantic < 2.10

    status: Literal["ok"]
    model_loaded: bool


class ModelStore:
    """Loads the model once, on first use.

    The lock matters because FastAPI runs sync routes in a thread pool: two first requests must
    not both load the file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._model: Recommender | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def get(self) -> Recommender:
        with self._lock:
            if self._model is None:
                if not self.path.exists():
                    raise HTTPException(
                        status_code=503,
                        detail=f"no trained model at {self.path}; run `make train` first",
                    )
                self._model = Recommender.load(self.path)
            return self._model


def create_app(model_path: Path | None = None, default_k: int | None = None) -> FastAPI:
    """Build the app; tests pass the path of a model trained in a temporary directory.

    Whatever is not passed comes from params.yaml (PARAMS_PATH or configs/params.yaml), with
    the MODEL_PATH environment variable taking precedence over paths.model_path.
    """
    if model_path is None or default_k is None:
        params = load_params()
        env_path = os.environ.get(MODEL_PATH_ENV_VAR)
        model_path = model_path or Path(env_path or params.paths.model_path)
        default_k = default_k or params.evaluation.k
    store = ModelStore(model_path)
    app = FastAPI(title="Recommender API", version=__version__)

    @app.get("/health")
    def health() -> HealthResponse:
        return HealthResponse(status="ok", model_loaded=store.loaded)

    @app.get("/recommend")
    def recommend(
        user_id: Annotated[int, Query(description="Id of the user to recommend for.")],
        k: Annotated[
            int, Query(ge=1, le=MAX_K, description="How many items to return.")
        ] = default_k,
    ) -> RecommendationResponse:
        # Loaded here, after FastAPI has validated the query, so bad input is a 422 even
        # before a model exists.
        result = store.get().recommend(user_id, k)
        items = [
            RecommendedItem(item_id=i, title=t, score=round(s, SCORE_DECIMALS))
            for i, t, s in zip(result.item_ids, result.titles, result.scores, strict=True)
        ]
        return RecommendationResponse(user_id=user_id, k=k, strategy=result.strategy, items=items)

    return app


app = create_app()
