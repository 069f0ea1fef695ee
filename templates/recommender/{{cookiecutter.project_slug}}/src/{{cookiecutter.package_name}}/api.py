"""HTTP API: top-k items for a user, for many users at once, and items similar to an item.

    GET  /recommend?user_id=<int>&k=<int>
    POST /recommend/batch          {"user_ids": [<int>, ...], "k": <int>}
    GET  /similar?item_id=<int>&k=<int>
    GET  /health

    uvicorn <package>.api:app            (or `make serve`)

The model file comes from the MODEL_PATH environment variable, else paths.model_path in
params.yaml. It is loaded once, when the server starts: without one, /health and every endpoint
answer 503 until `make train` has run and the server is restarted; no request loads it.

Ids follow the data contract (data.py): positive int64 integers. Anything else (0, negative,
above 2**63 - 1, a float, a string, a boolean, NaN or Infinity) is a 422. A valid id the model
has never seen is not an error: that is the cold start, answered with the most popular items
and strategy "popularity". serving.py adds the body size limit (413), 422 bodies that never
echo the input, and a JSON log line per request.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Literal

from fastapi import FastAPI, Query, Request, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt

from . import __version__, serving
from .config import load_params
from .data import MAX_ID, MIN_ID
from .model import Recommender

logger = logging.getLogger(__name__)

MODEL_PATH_ENV_VAR = "MODEL_PATH"
MAX_K = 100  # an API contract, not a model setting: longer lists are a batch job (predict.py)
MAX_BATCH_SIZE = 100  # users in one POST /recommend/batch; all users at once is predict.py's job
SCORE_DECIMALS = 4  # enough to order the list; more digits are noise to a client

_PLAIN_INTEGER = re.compile(r"-?[0-9]{1,20}")


def _plain_integer(value: object) -> object:
    """Query values arrive as text: accept whole numbers written in plain digits only.

    pydantic alone would also turn "7.0", " 7" or "1_000" into 7 or 1000; an id a client
    spells that way is a bug on its side, and the 422 says so.
    """
    if isinstance(value, str) and not _PLAIN_INTEGER.fullmatch(value):
        raise ValueError("must be a whole number written in digits")
    return value


# After the Query(...) in a parameter's Annotated[...], so /docs still shows its bounds.
PLAIN_INTEGER = BeforeValidator(_plain_integer)
# In a JSON body an id must be a JSON integer: not 7.0, "7", true, NaN or 1e400.
BodyId = Annotated[StrictInt, Field(ge=MIN_ID, le=MAX_ID)]
ListLength = Annotated[StrictInt, Field(ge=1, le=MAX_K)]


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


class BatchRequest(BaseModel):
    """Body of POST /recommend/batch: 1 to MAX_BATCH_SIZE user ids and one list length."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"user_ids": [7, 12, 987654], "k": 5}]}
    )

    user_ids: list[BodyId] = Field(min_length=1, max_length=MAX_BATCH_SIZE)
    k: ListLength | None = Field(
        default=None, description="Items per user; defaults to evaluation.k in params.yaml."
    )


class BatchResponse(BaseModel):
    """One recommendation list per requested user id, in the request's order."""

    k: int
    recommendations: list[RecommendationResponse]


class SimilarItemsResponse(BaseModel):
    item_id: int
    k: int
    strategy: Literal["item_knn", "popularity"] = Field(
        description=(
            "item_knn for items with neighbours; popularity for items outside the catalogue "
            "or with too few ratings to have any (cold start)."
        )
    )
    items: list[RecommendedItem]


def _items(item_ids: list[int], titles: list[str], scores: list[float]) -> list[RecommendedItem]:
    return [
        RecommendedItem(item_id=i, title=t, score=round(s, SCORE_DECIMALS))
        for i, t, s in zip(item_ids, titles, scores, strict=True)
    ]


def _recommend(model: Recommender, user_id: int, k: int) -> RecommendationResponse:
    result = model.recommend(user_id, k)
    return RecommendationResponse(
        user_id=user_id,
        k=k,
        strategy=result.strategy,
        items=_items(result.item_ids, result.titles, result.scores),
    )


def create_app(
    model_path: Path | None = None,
    default_k: int | None = None,
    max_request_bytes: int | None = None,
) -> FastAPI:
    """Build the app; tests pass the path of a model trained in a temporary directory.

    Whatever is not passed comes from params.yaml (PARAMS_PATH or configs/params.yaml), with
    the MODEL_PATH environment variable taking precedence over paths.model_path, and
    ``max_request_bytes`` from $MAX_REQUEST_BYTES (default 1 MB).
    """
    if model_path is None or default_k is None:
        params = load_params()
        env_path = os.environ.get(MODEL_PATH_ENV_VAR)
        model_path = model_path or Path(env_path or params.paths.model_path)
        default_k = default_k or params.evaluation.k
    resolved_path: Path = model_path
    list_length: int = default_k

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        serving.configure_default_logging()
        app.state.model = serving.load_at_startup(lambda: resolved_path, Recommender.load, logger)
        yield

    app = FastAPI(title="Recommender API", version=__version__, lifespan=lifespan)
    app.state.model = serving.NOT_STARTED
    serving.harden(app, max_request_bytes)

    @app.get("/health", responses={503: {"model": serving.HealthResponse}})
    def health(request: Request, response: Response) -> serving.HealthResponse:
        """Ready to recommend (200), or not (503, with the reason in ``detail``)."""
        body, status_code = serving.health(request, __version__)
        response.status_code = status_code
        return body

    @app.get("/recommend", responses=serving.ERROR_RESPONSES)
    def recommend(
        request: Request,
        user_id: Annotated[
            int,
            Query(ge=MIN_ID, le=MAX_ID, description="Id of the user (a positive integer)."),
            PLAIN_INTEGER,
        ],
        k: Annotated[
            int, Query(ge=1, le=MAX_K, description="How many items to return."), PLAIN_INTEGER
        ] = list_length,
    ) -> RecommendationResponse:
        """Top-k unseen items for a known user; the most popular items for an unknown one."""
        # The model is fetched after FastAPI has validated the query: bad input is a 422 even
        # when no model is loaded.
        return _recommend(serving.require_model(request), user_id, k)

    @app.post("/recommend/batch", responses=serving.ERROR_RESPONSES)
    def recommend_batch(request: Request, batch: BatchRequest) -> BatchResponse:
        """The /recommend answer for 1 to MAX_BATCH_SIZE users at once, in the request's order."""
        model = serving.require_model(request)
        k = list_length if batch.k is None else batch.k
        return BatchResponse(
            k=k, recommendations=[_recommend(model, user_id, k) for user_id in batch.user_ids]
        )

    @app.get("/similar", responses=serving.ERROR_RESPONSES)
    def similar(
        request: Request,
        item_id: Annotated[
            int,
            Query(ge=MIN_ID, le=MAX_ID, description="Id of the item (a positive integer)."),
            PLAIN_INTEGER,
        ],
        k: Annotated[
            int, Query(ge=1, le=MAX_K, description="How many items to return."), PLAIN_INTEGER
        ] = list_length,
    ) -> SimilarItemsResponse:
        """The k items most like this one; popular items for an unknown or little-rated item."""
        result = serving.require_model(request).similar_items(item_id, k)
        return SimilarItemsResponse(
            item_id=item_id,
            k=k,
            strategy=result.strategy,
            items=_items(result.item_ids, result.titles, result.scores),
        )

    return app


app = create_app()
