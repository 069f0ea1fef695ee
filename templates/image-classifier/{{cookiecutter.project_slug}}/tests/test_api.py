"""HTTP contract of the API: uploads, validation errors, health and the no-model case.

Also the hardening in serving.py: error bodies that never echo the input, the request size
limit, the JSON request log and /health.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from {{cookiecutter.package_name}} import serving
from {{cookiecutter.package_name}}.api import MAX_BATCH_SIZE, MAX_IMAGE_BYTES, create_app
from {{cookiecutter.package_name}}.data import load_split
from {{cookiecutter.package_name}}.imaging import MAX_PIXELS, load_bytes, to_png
from {{cookiecutter.package_name}}.predict import predict

from .helpers import PipelineRun


@pytest.fixture(scope="module")
def pngs(pipeline_run: PipelineRun) -> list[tuple[bytes, str]]:
    """The first test images as PNG files (dark ink on white), with their true class."""
    test = load_split(pipeline_run[0], "test")
    return [(to_png(test.images[i]), test.classes[int(test.labels[i])]) for i in range(8)]


@pytest.fixture
def client(pipeline_run: PipelineRun) -> Iterator[TestClient]:
    _, trained, _ = pipeline_run
    with TestClient(create_app(model_path=trained.model_path)) as test_client:
        yield test_client


@pytest.fixture
def client_without_model(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(model_path=tmp_path / "missing.pt")) as test_client:
        yield test_client


def _upload(data: bytes, name: str = "digit.png") -> dict[str, Any]:
    return {"file": (name, data, "image/png")}


def _encode(image: Image.Image, kind: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=kind)
    return buffer.getvalue()


def _access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [
        json.loads(record.getMessage())
        for record in caplog.records
        if record.name == serving.ACCESS_LOGGER_NAME
    ]


# --------------------------------------------------------------------------- health


def test_health_reports_a_loaded_model(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["model_loaded"] is True
    assert body["model_file"] == "model.pt"
    assert body["model_version"].startswith("sha256:")
    assert body["detail"] is None


def test_without_a_model_predict_is_503_and_health_says_so(
    client_without_model: TestClient, pngs: list[tuple[bytes, str]]
) -> None:
    png = pngs[0][0]
    assert client_without_model.post("/predict", files=_upload(png)).status_code == 503
    batch = client_without_model.post("/predict/batch", files=[("files", ("a.png", png))])
    assert batch.status_code == 503
    assert "make train" in batch.json()["detail"]
    health = client_without_model.get("/health")
    assert health.status_code == 503
    assert health.json()["status"] == "unavailable"
    assert health.json()["model_loaded"] is False
    assert "make train" in health.json()["detail"]
    # Validation still comes first: a bad upload is a 422 with or without a model.
    assert client_without_model.post("/predict", files=_upload(b"nope")).status_code == 422


def test_a_model_trained_after_start_up_is_not_loaded_mid_request(
    tmp_path: Path, pipeline_run: PipelineRun, pngs: list[tuple[bytes, str]]
) -> None:
    late = tmp_path / "late.pt"
    with TestClient(create_app(model_path=late)) as client:
        late.write_bytes(pipeline_run[1].model_path.read_bytes())
        assert client.get("/health").status_code == 503
        assert client.post("/predict", files=_upload(pngs[0][0])).status_code == 503
    with TestClient(create_app(model_path=late)) as restarted:
        assert restarted.get("/health").status_code == 200


def test_a_corrupt_model_file_is_a_503_not_a_crash(
    tmp_path: Path, pngs: list[tuple[bytes, str]]
) -> None:
    broken = tmp_path / "model.pt"
    broken.write_bytes(b"not a torch file")
    with TestClient(create_app(model_path=broken)) as client:
        health = client.get("/health")
        assert health.status_code == 503
        assert "could not be loaded" in health.json()["detail"]
        assert client.post("/predict", files=_upload(pngs[0][0])).status_code == 503


# --------------------------------------------------------------------------- predictions


def test_predict_classifies_an_uploaded_png(
    client: TestClient, pipeline_run: PipelineRun, pngs: list[tuple[bytes, str]]
) -> None:
    png, label = pngs[0]
    response = client.post("/predict", files=_upload(png))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"label", "probability", "probabilities"}
    assert body["label"] == label
    assert body["probability"] == max(body["probabilities"].values())
    [expected] = predict(pipeline_run[1].model, load_bytes(png, (8, 8))[np.newaxis])
    assert body["label"] == expected.label
    assert body["probability"] == pytest.approx(expected.probability)


def test_most_uploaded_test_images_are_classified_right(
    client: TestClient, pngs: list[tuple[bytes, str]]
) -> None:
    labels = [client.post("/predict", files=_upload(png)).json()["label"] for png, _ in pngs]
    assert sum(got == want for got, (_, want) in zip(labels, pngs, strict=True)) >= 7


def test_a_large_jpeg_scan_is_accepted(client: TestClient) -> None:
    canvas = np.full((256, 256), 255, dtype=np.uint8)
    canvas[40:216, 120:136] = 0  # a dark stroke on white paper
    response = client.post("/predict", files=_upload(_encode(Image.fromarray(canvas), "JPEG")))
    assert response.status_code == 200
    assert response.json()["label"] in {str(d) for d in range(10)}


def test_batch_matches_single_predictions(
    client: TestClient, pngs: list[tuple[bytes, str]]
) -> None:
    files = [("files", (f"{i}.png", png, "image/png")) for i, (png, _) in enumerate(pngs)]
    response = client.post("/predict/batch", files=files)
    assert response.status_code == 200
    batch = response.json()["predictions"]
    singles = [client.post("/predict", files=_upload(png)).json() for png, _ in pngs]
    assert batch == singles


def test_a_full_batch_is_accepted(client: TestClient, pngs: list[tuple[bytes, str]]) -> None:
    files = [("files", (f"{i}.png", pngs[0][0], "image/png")) for i in range(MAX_BATCH_SIZE)]
    response = client.post("/predict/batch", files=files)
    assert response.status_code == 200
    assert len(response.json()["predictions"]) == MAX_BATCH_SIZE


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("files", "data", "kind"),
    [
        ({"file": ("a.png", b"", "image/png")}, None, "image_invalid"),
        ({"file": ("a.png", b"plain text, not a picture", "image/png")}, None, "image_invalid"),
        ({"file": ("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")}, None,
         "image_invalid"),
        ({"other": ("a.png", b"x", "image/png")}, None, "missing"),
        (None, {"file": "a form field, not a file"}, "value_error"),
        (None, None, "missing"),
    ],
    ids=["empty", "text", "broken-png", "wrong-field", "string-field", "no-body"],
)  # fmt: skip
def test_invalid_uploads_are_rejected_with_422(
    client: TestClient, files: dict | None, data: dict | None, kind: str
) -> None:
    response = client.post("/predict", files=files, data=data)
    assert response.status_code == 422
    body = response.json()
    assert body["error_count"] == 1
    assert body["detail"][0]["type"] == kind


def test_a_json_body_is_a_422(client: TestClient) -> None:
    response = client.post("/predict", json={"file": "digit.png"})
    assert response.status_code == 422


def test_a_truncated_image_is_a_422_not_a_500(
    client: TestClient, pngs: list[tuple[bytes, str]]
) -> None:
    big = to_png(np.random.default_rng(0).random((200, 200)).astype(np.float32))
    response = client.post("/predict", files=_upload(big[: len(big) // 2]))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "file"]


def test_an_image_over_the_byte_limit_is_a_422(client: TestClient) -> None:
    noise = np.random.default_rng(0).integers(0, 256, size=(500, 500), dtype=np.uint8)
    data = _encode(Image.fromarray(noise))
    assert MAX_IMAGE_BYTES < len(data) < serving.DEFAULT_MAX_REQUEST_BYTES
    response = client.post("/predict", files=_upload(data))
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "image_too_large"


def test_a_decompression_bomb_is_a_422(client: TestClient) -> None:
    side = int(MAX_PIXELS**0.5) + 10
    bomb = _encode(Image.new("L", (side, side), 255))
    response = client.post("/predict", files=_upload(bomb))
    assert response.status_code == 422
    assert "limit" in response.json()["detail"][0]["msg"]


def test_a_multipart_body_without_a_boundary_is_a_client_error(client: TestClient) -> None:
    response = client.post(
        "/predict", content=b"garbage", headers={"content-type": "multipart/form-data"}
    )
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize("count", [0, MAX_BATCH_SIZE + 1])
def test_an_empty_or_oversized_batch_is_a_422(
    client: TestClient, pngs: list[tuple[bytes, str]], count: int
) -> None:
    files = [("files", (f"{i}.png", pngs[0][0], "image/png")) for i in range(count)]
    response = client.post("/predict/batch", files=files or None)
    assert response.status_code == 422


def test_one_bad_image_in_a_batch_is_named_by_its_position(
    client: TestClient, pngs: list[tuple[bytes, str]]
) -> None:
    files = [("files", ("a.png", pngs[0][0])), ("files", ("b.png", b"oops"))]
    response = client.post("/predict/batch", files=files)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "files", 1]


# --------------------------------------------------------------------------- error bodies


def test_error_bodies_never_echo_the_input(client: TestClient) -> None:
    marker = b"echo-" + b"x" * 150_000
    name = "secret-file-name-" + "y" * 200 + ".png"
    response = client.post("/predict", files={"file": (name, marker, "image/png")})
    assert response.status_code == 422
    assert len(response.content) < 1_000
    assert "xxxxxxxxxx" not in response.text
    assert "secret-file-name" not in response.text
    for error in response.json()["detail"]:
        assert set(error) == {"loc", "msg", "type"}


def test_a_string_field_is_not_echoed(client: TestClient) -> None:
    response = client.post("/predict", data={"file": "z" * 50_000})
    assert response.status_code == 422
    assert "zzzzzzzzzz" not in response.text
    assert len(response.content) < 1_000


# --------------------------------------------------------------------------- size limit


def test_a_declared_oversized_body_is_413(client: TestClient) -> None:
    limit = serving.DEFAULT_MAX_REQUEST_BYTES
    response = client.post("/predict", files=_upload(b"\x00" * (limit + 1)))
    assert response.status_code == 413
    assert str(limit) in response.json()["detail"]
    assert len(response.content) < 200


def test_a_chunked_oversized_body_without_length_is_413(client: TestClient) -> None:
    chunks = (b" " * 100_000 for _ in range(30))  # 3 MB, streamed, no Content-Length
    headers = {"content-type": "multipart/form-data; boundary=x"}
    response = client.post("/predict", content=chunks, headers=headers)
    assert response.status_code == 413


def test_a_streamed_body_is_cut_off_as_soon_as_it_passes_the_limit() -> None:
    """At the ASGI level: the app never sees the chunk that crosses the limit, and whatever it
    answers to the cut-off body is replaced by the 413."""
    chunks = [b"a" * 6, b"b" * 6, b"c" * 6]
    handed_to_app: list[bytes] = []
    sent: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            while True:
                message = await receive()
                handed_to_app.append(message["body"])
                if not message.get("more_body"):
                    break
        except Exception:
            await send({"type": "http.response.start", "status": 400, "headers": []})
            await send({"type": "http.response.body", "body": b"partial body"})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/predict", "headers": []}
    asyncio.run(serving.BodySizeLimitMiddleware(app, max_bytes=10)(scope, receive, send))
    assert handed_to_app == [b"aaaaaa"]
    assert sent[0]["status"] == 413
    assert b"partial" not in b"".join(message.get("body", b"") for message in sent)


def test_the_limit_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, pipeline_run: PipelineRun, pngs: list[tuple[bytes, str]]
) -> None:
    monkeypatch.setenv(serving.MAX_REQUEST_BYTES_ENV_VAR, "2000")
    with TestClient(create_app(model_path=pipeline_run[1].model_path)) as client:
        assert client.post("/predict", files=_upload(b"\x00" * 3000)).status_code == 413
        assert client.post("/predict", files=_upload(pngs[0][0])).status_code == 200


@pytest.mark.parametrize("value", ["0", "-5", "lots", "1.5"])
def test_an_invalid_limit_stops_the_server_at_start_up(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(serving.MAX_REQUEST_BYTES_ENV_VAR, value)
    with pytest.raises(ValueError, match=serving.MAX_REQUEST_BYTES_ENV_VAR):
        create_app()


# --------------------------------------------------------------------------- request log


def test_each_request_is_logged_as_one_json_line(
    client: TestClient, caplog: pytest.LogCaptureFixture, pngs: list[tuple[bytes, str]]
) -> None:
    caplog.set_level(logging.INFO, logger=serving.ACCESS_LOGGER_NAME)
    response = client.post("/predict?debug=1", files=_upload(pngs[0][0], "private-name.png"))
    assert response.status_code == 200
    [line] = _access_lines(caplog)
    assert set(line) == {"event", "request_id", "method", "path", "status", "duration_ms"}
    assert line["event"] == "request"
    assert (line["method"], line["path"], line["status"]) == ("POST", "/predict", 200)
    assert line["duration_ms"] >= 0
    assert line["request_id"] == response.headers["x-request-id"]
    assert "private-name" not in caplog.text
    assert "debug" not in caplog.text


def test_a_sane_request_id_is_echoed_and_an_odd_one_replaced(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=serving.ACCESS_LOGGER_NAME)
    echoed = client.get("/health", headers={"X-Request-ID": "trace-123.abc"})
    assert echoed.headers["x-request-id"] == "trace-123.abc"
    replaced = client.get("/health", headers={"X-Request-ID": "<script>" + "z" * 300})
    assert len(replaced.headers["x-request-id"]) == 32
    ids = [line["request_id"] for line in _access_lines(caplog)]
    assert ids == ["trace-123.abc", replaced.headers["x-request-id"]]


def test_refused_and_unavailable_requests_are_logged_too(
    client: TestClient,
    client_without_model: TestClient,
    caplog: pytest.LogCaptureFixture,
    pngs: list[tuple[bytes, str]],
) -> None:
    caplog.set_level(logging.INFO, logger=serving.ACCESS_LOGGER_NAME)
    assert client.post("/predict", files=_upload(b"\x00" * 2_000_000)).status_code == 413
    assert client_without_model.post("/predict", files=_upload(pngs[0][0])).status_code == 503
    lines = _access_lines(caplog)
    assert [line["status"] for line in lines] == [413, 503]
    levels = [r.levelno for r in caplog.records if r.name == serving.ACCESS_LOGGER_NAME]
    assert levels == [logging.INFO, logging.WARNING]


def test_a_crash_is_a_json_500_with_a_request_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=serving.ACCESS_LOGGER_NAME)
    app = create_app(model_path=tmp_path / "missing.pt")

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret detail")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"detail": "internal server error"}
    lines = _access_lines(caplog)
    assert [line["event"] for line in lines] == ["request_failed", "request"]
    assert lines[0]["error"] == "RuntimeError"
    assert lines[1]["status"] == 500
    assert lines[0]["request_id"] == lines[1]["request_id"] == response.headers["x-request-id"]
    assert "secret detail" not in json.dumps(lines)
