"""What keeps the HTTP API safe to expose, whatever the model: shared by every endpoint in api.py.

- ``BodySizeLimitMiddleware`` answers 413 to a body over the limit before anything parses it,
  whether the client declared its size (Content-Length) or streams it in chunks.
- ``validation_error_handler`` answers 422 with where, what and which kind of error, and never
  the input: FastAPI's default echoes every rejected value (and the whole body of invalid JSON),
  so a 50 MB field would come back in a bigger error, and a NaN in the input would crash the
  error response itself into a 500.
- ``RequestLoggingMiddleware`` writes one JSON line per request (method, path, status,
  duration, request id; never the body or the query string) and sets ``X-Request-ID``.
- ``load_at_startup`` loads the model once, when the server starts, and records why not if it
  cannot: no request ever loads (or half-loads) a model, and /health tells an orchestrator the
  truth. It serves the registered champion when ``make register`` exported one next to the
  model file (``models/registered/``), else the latest trained model; ``MODEL_SOURCE=latest``
  chooses the latest.

Everything here is Starlette, FastAPI and the standard library.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .tracking import REGISTERED_DIR, REGISTERED_META, fingerprint

MAX_REQUEST_BYTES_ENV_VAR = "MAX_REQUEST_BYTES"
MODEL_SOURCE_ENV_VAR = "MODEL_SOURCE"
MODEL_SOURCES = ("registry", "latest")
DEFAULT_MAX_REQUEST_BYTES = 1_000_000  # 1 MB: far above any valid request, far below harm
MAX_ERRORS = 20  # validation errors listed in one 422 body; error_count gives the total
MAX_LOC_CHARS = 64  # a location can hold a client's key (an unknown field): keep it short
MAX_MSG_CHARS = 300
MAX_LOGGED_PATH_CHARS = 256
REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is echoed only if it is short and plain (a UUID, a hex or base64url token).
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
PACKAGE_LOGGER_NAME = "{{cookiecutter.package_name}}"
ACCESS_LOGGER_NAME = f"{PACKAGE_LOGGER_NAME}.access"

access_logger = logging.getLogger(ACCESS_LOGGER_NAME)


# --------------------------------------------------------------------------- configuration


def max_request_bytes(value: str | None = None) -> int:
    """The body size limit: ``value``, else ``$MAX_REQUEST_BYTES``, else 1 MB.

    A value that is not a positive whole number stops the server at start-up with a message
    saying so, rather than silently serving without a limit.
    """
    raw = os.environ.get(MAX_REQUEST_BYTES_ENV_VAR) if value is None else value
    if raw is None or not raw.strip():
        return DEFAULT_MAX_REQUEST_BYTES
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if limit < 1:
        raise ValueError(
            f"{MAX_REQUEST_BYTES_ENV_VAR} must be a positive whole number of bytes, got {raw!r}"
        )
    return limit


def log_event(logger: logging.Logger, level: int, event: str, **fields: Any) -> None:
    """Log one JSON object: the same structured format as the access lines."""
    logger.log(level, json.dumps({"event": event, **fields}, default=str))


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level and logger, then the message's own fields."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        try:
            fields = json.loads(message)
        except ValueError:
            fields = None
        if not isinstance(fields, dict):
            fields = {"message": message}
        when = datetime.fromtimestamp(record.created, tz=UTC)
        line = {
            "time": when.isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            **fields,
        }
        return json.dumps(line, default=str)


def configure_default_logging() -> None:
    """Under a bare ``uvicorn`` nobody configures logging, and INFO lines would be dropped.

    Then, and only then, this package's logs go to stderr as JSON lines. An application that
    configured logging itself (or pytest, which captures it) is left alone.
    """
    package_logger = logging.getLogger(PACKAGE_LOGGER_NAME)
    if logging.getLogger().handlers or package_logger.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLineFormatter())
    package_logger.addHandler(handler)
    if package_logger.level == logging.NOTSET:
        package_logger.setLevel(logging.INFO)


# --------------------------------------------------------------------------- 422 bodies


class ValidationErrorItem(BaseModel):
    """One reason a request was rejected; the rejected value itself is never included."""

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorResponse(BaseModel):
    """Body of every 422: at most MAX_ERRORS reasons, and how many there were in all."""

    detail: list[ValidationErrorItem]
    error_count: int


class ErrorResponse(BaseModel):
    """Body of 413 and 503 answers (and of FastAPI's other HTTP errors)."""

    detail: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResponse, "description": "Request body over the size limit"},
    422: {"model": ValidationErrorResponse, "description": "Invalid input (never echoed back)"},
    503: {"model": ErrorResponse, "description": "No model loaded"},
}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def safe_error(error: Mapping[str, Any]) -> dict[str, Any]:
    """Location, message and type of one pydantic error; drops ``input``, ``ctx`` and ``url``."""
    kind = str(error.get("type", "value_error"))
    message = str(error.get("msg", ""))
    context = error.get("ctx")
    if kind == "json_invalid" and isinstance(context, Mapping):
        # The decoder's reason ("Expecting ',' delimiter") names a position, never the body.
        reason = context.get("error")
        if isinstance(reason, str):
            message = f"{message}: {reason}"
    location = [
        part if isinstance(part, int) else _clip(str(part), MAX_LOC_CHARS)
        for part in error.get("loc", ())
    ]
    return {
        "loc": location,
        "msg": _clip(message, MAX_MSG_CHARS),
        "type": _clip(kind, MAX_LOC_CHARS),
    }


def validation_error_body(errors: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The 422 body: the first MAX_ERRORS errors made safe, and the total count."""
    return {
        "detail": [safe_error(error) for error in errors[:MAX_ERRORS]],
        "error_count": len(errors),
    }


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Replace FastAPI's default 422 handler, which echoes the input."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    return JSONResponse(status_code=422, content=validation_error_body(list(errors)))


# --------------------------------------------------------------------------- ASGI middleware


class _BodyTooLargeError(Exception):
    """Raised into the app by the limited ``receive`` once the body passes the limit."""


def _header(scope: Scope, name: bytes) -> list[bytes]:
    return [value for key, value in scope.get("headers", ()) if key.lower() == name]


async def _send_json(send: Send, status: int, body: Mapping[str, Any]) -> None:
    payload = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


class BodySizeLimitMiddleware:
    """413 for a request body over ``max_bytes``, before the app parses any of it.

    A declared ``Content-Length`` over the limit is refused without reading the body. A body
    without one (chunked transfer encoding) or that lies about it is counted as it streams in,
    and refused as soon as the count passes the limit; whatever the app was doing with the
    partial body is discarded and the client gets the 413.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, send: Send) -> None:
        detail = f"request body too large: the limit is {self.max_bytes} bytes"
        await _send_json(send, 413, {"detail": detail})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for value in _header(scope, b"content-length"):
            digits = value.strip()
            if not digits.isdigit():
                await _send_json(send, 400, {"detail": "invalid Content-Length header"})
                return
            if len(digits) > 18 or int(digits) > self.max_bytes:  # no int() of 5,000 digits
                await self._refuse(send)
                return

        received = 0
        too_large = False
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise _BodyTooLargeError
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if too_large and not response_started:
                return  # the app's answer to a cut-off body is replaced by the 413 below
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            # The app may let the error through or wrap it (FastAPI turns a failed body read
            # into a 400); either way, an oversized body is answered with 413.
            if not too_large:
                raise
        if too_large and not response_started:
            await self._refuse(send)


def _request_id(scope: Scope) -> str:
    for value in _header(scope, REQUEST_ID_HEADER.lower().encode()):
        candidate = value.decode("latin-1").strip()
        if _SANE_REQUEST_ID.fullmatch(candidate):
            return candidate
    return uuid.uuid4().hex


class RequestLoggingMiddleware:
    """One JSON log line per HTTP request, and an ``X-Request-ID`` header on every response.

    The line holds the request id, method, path (without the query string, which may carry
    ids), status and duration in milliseconds; never a header value or the body. A crash is
    answered with a JSON 500 that has the id too, and logged as "request_failed". An incoming
    ``X-Request-ID`` is reused when it is plain and short, so a caller can trace its request;
    otherwise a random one is generated. 5xx answers are logged at WARNING, the rest at INFO.
    """

    def __init__(self, app: ASGIApp, logger: logging.Logger | None = None) -> None:
        self.app = app
        self.logger = logger or access_logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id  # request.state.request_id
        status = 500  # what the client gets if the app fails before answering
        response_started = False
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = int(message["status"])
                headers = [
                    (key, value)
                    for key, value in message.get("headers", ())
                    if key.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:
            # Answer the crash here, with the request id, rather than with Starlette's plain
            # text; the error still propagates, so the server logs its traceback.
            log_event(
                self.logger,
                logging.ERROR,
                "request_failed",
                request_id=request_id,
                error=type(error).__name__,
            )
            if not response_started:
                await _send_json(send_with_id, 500, {"detail": "internal server error"})
            raise
        finally:
            fields = {
                "request_id": request_id,
                "method": str(scope.get("method", ""))[:16],
                "path": _clip(str(scope.get("path", "")), MAX_LOGGED_PATH_CHARS),
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            }
            level = logging.WARNING if status >= 500 else logging.INFO
            log_event(self.logger, level, "request", **fields)


def harden(app: FastAPI, max_bytes: int | None = None) -> None:
    """Install the 422 handler, the body size limit and the request log on ``app``.

    The log is the outer layer, so refused (413) requests are logged and get a request id too.
    """
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=max_bytes or max_request_bytes())
    app.add_middleware(RequestLoggingMiddleware)


# --------------------------------------------------------------------------- the model


class RegisteredModel(BaseModel):
    """Which registry version is served: what ``make register`` wrote in registered.json."""

    name: str
    version: int
    run_id: str
    files: dict[str, str]  # file name -> SHA-256 of what was exported


class ModelChoiceError(ValueError):
    """A setting or a registry export that says which model to serve is wrong: the message
    says what to fix, and /health shows it as it is."""


def choose_model_file(latest: Path) -> tuple[Path, RegisteredModel | None]:
    """The file to serve: the registered champion exported beside ``latest``, else ``latest``.

    ``$MODEL_SOURCE`` may say ``latest`` (serve what `make train` wrote last, registered or
    not) or ``registry`` (the default: the champion when there is one). An export whose
    registered.json cannot be read is not served: the error names the file to fix.
    """
    source = os.environ.get(MODEL_SOURCE_ENV_VAR, "").strip().lower() or "registry"
    if source not in MODEL_SOURCES:
        raise ModelChoiceError(
            f"{MODEL_SOURCE_ENV_VAR} must be registry or latest, not {source[:40]!r}: "
            "set it to one of them (or unset it) and restart the server"
        )
    exported = latest.parent / REGISTERED_DIR
    if source == "latest" or not (exported / REGISTERED_META).is_file():
        return latest, None
    meta_path = exported / REGISTERED_META
    try:
        meta = RegisteredModel.model_validate_json(meta_path.read_bytes())
    except ValueError as error:
        kind = error.__class__.__name__
        raise ModelChoiceError(
            f"{meta_path.parent.name}/{meta_path.name} is not a registry export ({kind}): run "
            f"`make register` again, or serve the latest model with {MODEL_SOURCE_ENV_VAR}=latest"
        ) from None
    return exported / latest.name, meta


@dataclass(frozen=True)
class LoadedModel:
    """What the server knows about its model; fixed when it starts, read by every request."""

    model: Any
    path: Path | None
    version: str | None  # "sha256:" and the first 12 hex digits of the model file
    problem: str | None  # why there is no model; None once loaded
    source: Literal["registry", "latest"] | None = None
    registered: RegisteredModel | None = None

    @property
    def loaded(self) -> bool:
        return self.model is not None


NOT_STARTED = LoadedModel(
    model=None,
    path=None,
    version=None,
    problem="the server has not started: the model is loaded at start-up (lifespan)",
)


def file_version(path: Path) -> str:
    """A short content hash of the model file: which model answered, in logs and /health."""
    return f"sha256:{fingerprint(path)[:12]}"


def load_at_startup(
    resolve_path: Callable[[], Path], load: Callable[[Path], Any], logger: logging.Logger
) -> LoadedModel:
    """Load the model once; a missing or broken model is recorded, logged and served as 503."""
    try:
        path, registered = choose_model_file(resolve_path())
    except ModelChoiceError as error:  # a wrong MODEL_SOURCE, or a broken registry export
        problem = str(error)
        log_event(logger, logging.ERROR, "model_unavailable", reason=problem)
        return LoadedModel(model=None, path=None, version=None, problem=problem)
    except Exception as error:  # no params file, or an invalid one
        problem = f"could not resolve the model path ({type(error).__name__}): see the server log"
        log_event(logger, logging.ERROR, "model_unavailable", reason=problem, error=error)
        return LoadedModel(model=None, path=None, version=None, problem=problem)
    source: Literal["registry", "latest"] = "latest" if registered is None else "registry"
    if not path.is_file():
        problem = f"no trained model ({path.name}): run `make train`, then restart the server"
        if registered is not None:
            problem = (
                f"the registry export lacks {path.name}: run `make register` again, "
                f"or serve the latest model with {MODEL_SOURCE_ENV_VAR}=latest"
            )
        log_event(logger, logging.WARNING, "model_unavailable", path=path, reason=problem)
        return LoadedModel(model=None, path=path, version=None, problem=problem)
    if registered is not None and registered.files.get(path.name) != fingerprint(path):
        problem = (
            f"the registry export of {path.name} does not match its registered.json (an "
            f"export cut short, or an edited file): run `make register` again, or serve the "
            f"latest model with {MODEL_SOURCE_ENV_VAR}=latest"
        )
        log_event(logger, logging.ERROR, "model_unavailable", path=path, reason=problem)
        return LoadedModel(model=None, path=path, version=None, problem=problem)
    try:
        version = file_version(path)
        model = load(path)
    except Exception as error:  # corrupt, incompatible or unreadable file
        problem = (
            f"the model file {path.name} could not be loaded ({type(error).__name__}): "
            "retrain it with `make train`, then restart the server"
        )
        log_event(
            logger, logging.ERROR, "model_unavailable", path=path, reason=problem, error=error
        )
        return LoadedModel(model=None, path=path, version=None, problem=problem)
    log_event(
        logger,
        logging.INFO,
        "model_loaded",
        path=path,
        model_version=version,
        source=source,
        registered_version=registered.version if registered else None,
    )
    return LoadedModel(
        model=model,
        path=path,
        version=version,
        problem=None,
        source=source,
        registered=registered,
    )


def loaded_model(request: Request) -> LoadedModel:
    """The app's model record (NOT_STARTED if the lifespan never ran)."""
    state: LoadedModel = getattr(request.app.state, "model", NOT_STARTED)
    return state


def require_model(request: Request) -> Any:
    """The loaded model, or 503 with the reason. Called after validation: bad input stays 422."""
    state = loaded_model(request)
    if state.model is None:
        raise HTTPException(status_code=503, detail=state.problem or "no model loaded")
    return state.model


class HealthResponse(BaseModel):
    """Whether this server can answer predictions, and with which model file."""

    # Pydantic < 2.10 reserves field names starting with "model_"; these are intended.
    model_config = ConfigDict(protected_namespaces=())

    status: Literal["ok", "unavailable"]
    model_loaded: bool
    model_file: str | None
    model_version: str | None
    # "registry": the champion `make register` exported; "latest": what `make train` wrote last
    model_source: Literal["registry", "latest"] | None
    registered_model: RegisteredModel | None
    detail: str | None
    version: str


def health(request: Request, version: str) -> tuple[HealthResponse, int]:
    """The /health body and its status: 200 with a model, 503 without one."""
    state = loaded_model(request)
    body = HealthResponse(
        status="ok" if state.loaded else "unavailable",
        model_loaded=state.loaded,
        model_file=state.path.name if state.path else None,
        model_version=state.version,
        model_source=state.source,
        registered_model=state.registered,
        detail=state.problem,
        version=version,
    )
    return body, 200 if state.loaded else 503
