"""The README's picture of `mlpath report`: a report made from the benchmark's generated
five-year store, photographed in headless Chromium.

    python benchmarks/report_screenshot.py [-o docs/report.png] [--small]

Needs Debian's chromium (or CHROMIUM=/path/to/chrome) and the test dependencies (Playwright).
``--small`` uses a store of a few commands instead (for the test that this script runs).
Prints one JSON line with the image's size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench  # beside this script

from mlpath.render.report import CHROMIUM_ARGS

WIDTH, HEIGHT = 1280, 1500


def small_home(env: dict[str, str]) -> None:
    for args in (["log", "studied #ml", "--hours", "4"], ["done", "python-basics"],
                 ["start", "sql"], ["check", "python-basics", "1"]):  # fmt: skip
        bench.run([bench.MLPATH, *args], env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=bench.ROOT / "docs" / "report.png")
    parser.add_argument("--small", action="store_true", help="a few commands' store, quickly")
    options = parser.parse_args()
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not chromium:
        raise SystemExit("no Chromium found (Debian: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="mlpath-shot-") as folder:
        work = Path(folder)
        env = {**os.environ, "NO_COLOR": "1", "HOME": str(work), "MLPATH_HOME": str(work / "home")}
        if options.small:
            small_home(env)
        else:
            bench.build_home(work / "home", 1, env)
        page_file = work / "report.html"
        bench.run([bench.MLPATH, "report", "-o", str(page_file)], env)
        with sync_playwright() as play:
            browser = play.chromium.launch(
                executable_path=chromium,
                args=list(CHROMIUM_ARGS),
            )
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            page.goto(page_file.resolve().as_uri())
            options.output.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(options.output))
            browser.close()
    print(json.dumps({"file": str(options.output), "width": WIDTH, "height": HEIGHT}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
