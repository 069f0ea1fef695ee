"""Smoke-test a running API: wait for /health, then send this project's one request.

    python scripts/smoke.py [--url http://127.0.0.1:8000] [--wait 60]

CI runs it against the container it has just started (the docker job of
.github/workflows/ci.yml); it works the same against `make serve` or `make docker-run`. It asks
GET /health once a second until it answers 200, for up to --wait seconds, then calls
``request`` from scripts/smoke_request.py: the one prediction this project checks, and what
the answer must be. The standard library only. Exit status 0: healthy and answered right;
1: not, with the reason on stderr.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

REQUEST_FILE = Path(__file__).resolve().with_name("smoke_request.py")


class SmokeError(Exception):
    """The API did not answer, or not as it should."""


class Client:
    """JSON over HTTP to one API, with the standard library. It connects directly, whatever
    HTTP_PROXY says: it checks a server you started, usually on this machine."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise SmokeError(f"not an http(s) URL: {url}")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def get(self, path: str) -> Any:
        """GET ``path``; the decoded JSON answer."""
        return self._send(urllib.request.Request(self.url + path))

    def post_json(self, path: str, payload: Any) -> Any:
        """POST ``payload`` as JSON to ``path``; the decoded JSON answer."""
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        return self._send(urllib.request.Request(self.url + path, body, headers))

    def post_file(self, path: str, field: str, name: str, content: bytes, media_type: str) -> Any:
        """POST one file as multipart form data (a browser's upload) to ``path``."""
        boundary = uuid.uuid4().hex
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"'
            f"\r\nContent-Type: {media_type}\r\n\r\n"
        )
        body = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self._send(urllib.request.Request(self.url + path, body, headers))

    def _send(self, request: urllib.request.Request) -> Any:
        what = f"{request.get_method()} {request.full_url}"
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                return json.load(answer)
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[:300]
            raise SmokeError(f"{what}: HTTP {error.code} {detail}") from error
        except (OSError, ValueError) as error:  # refused, timed out, reset; not JSON
            raise SmokeError(f"{what}: {error}") from error


def wait_for_health(
    client: Client,
    wait: float,
    interval: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """GET /health until it answers 200, for up to ``wait`` seconds; its JSON answer."""
    deadline = clock() + wait
    while True:
        try:
            return client.get("/health")
        except SmokeError as error:
            if clock() >= deadline:
                raise SmokeError(f"/health did not answer 200 within {wait:g} s: {error}") from None
        sleep(interval)


def load_request(path: Path = REQUEST_FILE) -> Callable[[Client], str]:
    """``request(client)`` from scripts/smoke_request.py: it sends the one request, raises
    if the answer is wrong, and returns a line saying what it checked."""
    spec = importlib.util.spec_from_file_location("smoke_request", path)
    if spec is None or spec.loader is None:
        raise SmokeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    request: Callable[[Client], str] = module.request
    return request


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the API's base URL")
    parser.add_argument("--wait", type=float, default=60.0, help="seconds to wait for /health")
    args = parser.parse_args(argv)
    try:
        client = Client(args.url)
        health = wait_for_health(client, args.wait)
        print(f"/health: {json.dumps(health, sort_keys=True)}")
        print(load_request()(client))
    except (SmokeError, AssertionError, KeyError, TypeError) as error:
        print(f"smoke test failed: {error!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
