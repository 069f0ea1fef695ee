"""Check every resource link in the roadmaps: which moved, which are dead.

    python scripts/check_links.py [FILE ...] [--timeout S] [--workers N] [--json]

Run by hand when online (CI has no network, and a site's bad afternoon must not fail a build).
With no FILE it reads the built-in roadmaps. Each distinct URL is fetched once (HEAD, then GET
when a server refuses HEAD), following redirects, and classed as:

- ``ok``: it answers 2xx, directly or after a redirect that only adds https, ``www.`` or a
  trailing slash;
- ``moved``: a permanent redirect (301/308) elsewhere: update the link to the new address;
- ``redirect``: a temporary redirect elsewhere (often a login wall or a locale): look at it;
- ``dead``: 404 or 410, or a host name that no longer exists;
- ``unreachable``: anything else (timeouts, 5xx, refusals): try again later before acting.

Problems print as ``FILE:LINE: topic: class URL [-> NEW]`` so an editor can jump to them. Exit
status 1 when any link is moved or dead, else 0.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import yaml

ROOT = Path(__file__).resolve().parents[1]
AGENT = "mlpath-link-check/1 (+https://github.com/mlpath; run by hand by a maintainer)"
PERMANENT = {301, 308}
FAILING = {"moved", "dead"}


class Link(NamedTuple):
    file: str
    line: int
    topic: str
    url: str


class Verdict(NamedTuple):
    url: str
    status: str  # ok | moved | redirect | dead | unreachable
    code: int | None
    final: str | None  # where a redirect led
    detail: str


def links_in(path: Path) -> list[Link]:
    """Every resource URL of a roadmap file, with the line it is on and its topic."""
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    lines = text.splitlines()
    found: list[Link] = []
    searched_from = 0
    for stage in data.get("stages") or []:
        for topic in stage.get("topics") or []:
            for resource in topic.get("resources") or []:
                url = str(resource.get("url", ""))
                line = _line_of(lines, url, searched_from)
                searched_from = max(searched_from, line - 1)
                found.append(Link(str(path), line, f"{data.get('id')}/{topic.get('id')}", url))
    return found


def _line_of(lines: Sequence[str], url: str, start: int) -> int:
    for i in range(start, len(lines)):
        if url in lines[i]:
            return i + 1
    return next((i + 1 for i, line in enumerate(lines) if url in line), 0)


class _Recorder(urllib.request.HTTPRedirectHandler):
    """Follows redirects as urllib does, remembering each hop's status code."""

    def __init__(self) -> None:
        self.hops: list[int] = []

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> Any:  # fmt: skip
        self.hops.append(code)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def check(url: str, timeout: float) -> Verdict:
    verdict = _fetch(url, "HEAD", timeout)
    if verdict.status in ("dead", "unreachable") and verdict.code in (403, 404, 405, 501):
        verdict = _fetch(url, "GET", timeout)  # some servers refuse or mishandle HEAD
    return verdict


def _fetch(url: str, method: str, timeout: float) -> Verdict:
    recorder = _Recorder()
    opener = urllib.request.build_opener(recorder)
    request = urllib.request.Request(url, method=method, headers={"User-Agent": AGENT})
    try:
        with opener.open(request, timeout=timeout) as response:
            final, code = response.geturl(), response.status
    except urllib.error.HTTPError as exc:
        status = "dead" if exc.code in (404, 410) else "unreachable"
        return Verdict(url, status, exc.code, None, f"HTTP {exc.code}")
    except urllib.error.URLError as exc:
        # Only "no such name" is dead: a resolver that cannot be reached says nothing.
        gone = isinstance(exc.reason, socket.gaierror) and exc.reason.errno == socket.EAI_NONAME
        return Verdict(url, "dead" if gone else "unreachable", None, None, str(exc.reason))
    except (TimeoutError, OSError) as exc:
        return Verdict(url, "unreachable", None, None, str(exc) or type(exc).__name__)
    if not recorder.hops or _same_place(url, final):
        return Verdict(url, "ok", code, None, "")
    if all(hop in PERMANENT for hop in recorder.hops):
        return Verdict(url, "moved", recorder.hops[0], final, "permanent redirect")
    return Verdict(url, "redirect", recorder.hops[0], final, "temporary redirect")


def _same_place(url: str, final: str) -> bool:
    """Whether a redirect only tidied the address (scheme, www., a trailing slash)."""

    def key(u: str) -> str:
        rest = u.split("://", 1)[-1]
        rest = rest.removeprefix("www.")
        return rest.rstrip("/")

    return key(url) == key(final)


def run(links: Iterable[Link], timeout: float, workers: int) -> list[tuple[Link, Verdict]]:
    links = list(links)
    unique = list(dict.fromkeys(link.url for link in links))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        verdicts = dict(zip(unique, pool.map(lambda u: check(u, timeout), unique), strict=True))
    return [(link, verdicts[link.url]) for link in links]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="roadmap files (default: built-in)")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds per request")
    parser.add_argument("--workers", type=int, default=8, help="requests at once")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    args = parser.parse_args(argv)
    files = args.files or sorted((ROOT / "roadmaps").glob("*.yaml"))
    results = run((link for f in files for link in links_in(f)), args.timeout, args.workers)
    if args.json:
        rows = [{**link._asdict(), **verdict._asdict()} for link, verdict in results]
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for link, v in results:
            if v.status != "ok":
                where = f" -> {v.final}" if v.final else f" ({v.detail})"
                print(f"{link.file}:{link.line}: {link.topic}: {v.status} {v.url}{where}")
        counts: dict[str, int] = {}
        for _, v in {link.url: (link, v) for link, v in results}.values():
            counts[v.status] = counts.get(v.status, 0) + 1
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        print(
            f"{len({link.url for link, _ in results})} distinct links: {summary}", file=sys.stderr
        )
    return 1 if any(v.status in FAILING for _, v in results) else 0


if __name__ == "__main__":
    sys.exit(main())
