"""The link checker (scripts/check_links.py), against a web server on this machine only."""

from __future__ import annotations

import http.server
import importlib.util
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]

ROUTES = {  # path: (status, Location header or None)
    "/ok": (200, None),
    "/moved": (301, "/new-home"),
    "/new-home": (200, None),
    "/for-now": (302, "/ok"),
    "/gone": (404, None),
    "/withdrawn": (410, None),
    "/broken": (500, None),
    "/docs": (308, "/docs/"),  # only a trailing slash: not a move worth reporting
    "/docs/": (200, None),
}


class _Handler(http.server.BaseHTTPRequestHandler):
    def _answer(self, body: bool) -> None:
        if self.path == "/no-head" and self.command == "HEAD":
            self.send_response(405)
            self.end_headers()
            return
        status, location = ROUTES.get(
            self.path, (200, None) if self.path == "/no-head" else (404, None)
        )
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "2")
        self.end_headers()
        if body:
            self.wfile.write(b"ok")

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy from the environment must not carry requests for this machine elsewhere."""
    for name in (
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_links", ROOT / "scripts/check_links.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("path", "status", "final"),
    [
        ("/ok", "ok", None),
        ("/moved", "moved", "/new-home"),
        ("/for-now", "redirect", "/ok"),
        ("/gone", "dead", None),
        ("/withdrawn", "dead", None),
        ("/broken", "unreachable", None),
        ("/docs", "ok", None),
        ("/no-head", "ok", None),
    ],
)
def test_each_kind_of_link_is_classed(
    checker: ModuleType, server: str, path: str, status: str, final: str | None
) -> None:
    verdict = checker.check(server + path, timeout=5)
    assert verdict.status == status
    assert verdict.final == (server + final if final else None)


def test_problems_name_file_line_and_topic(
    checker: ModuleType, server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roadmap = tmp_path / "links.yaml"
    roadmap.write_text(
        "schema: 1\nid: links\ntitle: Links\nsummary: Links to check.\nstages:\n"
        "  - id: only\n    title: Only\n    topics:\n"
        "      - id: first\n        title: First\n        summary: The first topic here.\n"
        "        hours: 1\n        resources:\n"
        f"          - title: Fine\n            url: {server}/ok\n            kind: docs\n"
        f"          - title: Moved\n            url: {server}/moved\n            kind: docs\n"
        "      - id: second\n        title: Second\n        summary: The second topic here.\n"
        "        hours: 1\n        resources:\n"
        f"          - title: Gone\n            url: {server}/gone\n            kind: docs\n",
        encoding="utf-8",
    )
    assert checker.main([str(roadmap), "--timeout", "5"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{roadmap}:18: links/first: moved {server}/moved -> {server}/new-home",
        f"{roadmap}:26: links/second: dead {server}/gone (HTTP 404)",
    ]


def test_a_host_that_no_longer_resolves_is_dead_but_no_resolver_is_unreachable(
    checker: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    def lookup(code: int) -> object:
        def fail(*args: object, **kwargs: object) -> object:
            raise socket.gaierror(code, "name lookup failed")

        return fail

    monkeypatch.setattr(socket, "getaddrinfo", lookup(socket.EAI_NONAME))
    assert checker.check("https://gone.example/", timeout=5).status == "dead"
    monkeypatch.setattr(socket, "getaddrinfo", lookup(socket.EAI_AGAIN))  # offline, say
    assert checker.check("https://gone.example/", timeout=5).status == "unreachable"


def test_all_good_links_exit_zero(checker: ModuleType, server: str, tmp_path: Path) -> None:
    roadmap = tmp_path / "fine.yaml"
    roadmap.write_text(
        "id: fine\nstages:\n  - topics:\n      - id: a\n        resources:\n"
        f"          - url: {server}/ok\n          - url: {server}/docs\n",
        encoding="utf-8",
    )
    assert checker.main([str(roadmap)]) == 0
