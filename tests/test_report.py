"""`mlpath report`: one self-contained page, its numbers from status, every piece of user text
escaped; and in a real headless Chromium: no request leaves it, no console error, charts of
real size, nothing wider than a laptop or a phone, light and dark screenshots."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mlpath.render.report import CHROMIUM_ARGS
from tests.conftest import Result
from tests.test_cli import data

HOSTILE = "<script>window.pwned=1</script></svg>\"'&amp; \u202eevil"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTEFACTS = (
    Path(os.environ.get("MLPATH_TEST_ARTEFACTS", ""))
    if os.environ.get("MLPATH_TEST_ARTEFACTS")
    else None
)


def _fill(mlpath: Callable[..., Result], write_roadmap: Callable[..., Path]) -> None:
    today = dt.date.today()
    for back in range(0, 70, 6):
        day = (today - dt.timedelta(days=back)).isoformat()
        assert mlpath("log", f"studied {back} #ml", "--hours", "3", "--date", day).exit_code == 0
    assert mlpath("log", HOSTILE, "--hours", "1").exit_code == 0
    assert mlpath("done", "python-basics", "command-line", "--date",
                  (today - dt.timedelta(days=30)).isoformat()).exit_code == 0  # fmt: skip
    assert mlpath("check", "python-basics", "1").exit_code == 0
    assert mlpath("start", "sql").exit_code == 0
    assert mlpath("journal", "break", "--week", _week(today - dt.timedelta(weeks=3))).exit_code == 0
    hostile_roadmap = write_roadmap(
        "schema: 1\nid: odd\ntitle: 'Odd <b>bold</b> & </svg>'\nsummary: Hostile titles.\n"
        "stages:\n  - id: one\n    title: '<script>alert(1)</script>'\n    topics:\n"
        "      - id: lone\n        title: 'Lone \"<img src=x onerror=alert(1)>\"'\n"
        "        summary: x.\n        hours: 2\n",
        name="odd.yaml",
    )
    assert mlpath("roadmap", "add", str(hostile_roadmap)).exit_code == 0
    assert mlpath("done", "odd/lone").exit_code == 0


def _week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@pytest.fixture
def filled(mlpath: Callable[..., Result], write_roadmap: Callable[..., Path]) -> None:
    _fill(mlpath, write_roadmap)


def test_report_is_one_file_with_nothing_fetched_and_every_text_escaped(
    mlpath: Callable[..., Result], filled: None, tmp_path: Path
) -> None:
    target = tmp_path / "r.html"
    written = data(mlpath("report", "-o", str(target), "--include-journal", "--json"), "report")
    assert list(written) == ["file", "badge", "public", "journal", "hours_left", "weeks",
                             "topics_done", "projects"]  # fmt: skip
    page = target.read_text(encoding="utf-8")
    # Nothing from elsewhere: no script at all, no stylesheet, font or image by address.
    assert "<script" not in page.replace("&lt;script", "")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "@import" not in page and "url(" not in page
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;&lt;/svg&gt;" in page
    assert "Odd &lt;b&gt;bold&lt;/b&gt; &amp; &lt;/svg&gt;" in page
    assert "<img" not in page
    status = data(mlpath("status", "--json"), "status")
    assert f'data-testid="hours-left">{round(status["hours_left"], 1)}<' in page
    assert written["hours_left"] == status["hours_left"]
    # Every SVG is well-formed XML on its own.
    for svg in re.findall(r"<svg.*?</svg>", page, flags=re.S):
        ET.fromstring(svg)


def test_public_leaves_out_the_journal_and_paths(
    mlpath: Callable[..., Result], filled: None, tmp_path: Path, parent: Path
) -> None:
    made = mlpath("new-project", "housing-prices", "Portfolio one", "--dir", str(parent),
                  "--no-input")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    target = tmp_path / "public.html"
    assert mlpath("report", "-o", str(target), "--public").exit_code == 0
    page = target.read_text(encoding="utf-8")
    assert "Portfolio one" in page and str(parent) not in page
    assert "studied" not in page and "pwned" not in page
    private = tmp_path / "private.html"
    assert mlpath("report", "-o", str(private)).exit_code == 0
    assert str(parent) in private.read_text(encoding="utf-8")
    assert "studied" not in private.read_text(encoding="utf-8")  # the journal only when asked
    both = mlpath("report", "--public", "--include-journal", "-o", str(tmp_path / "x.html"))
    assert both.exit_code == 1 and both.stderr.count("\n") == 1
    assert not (tmp_path / "x.html").exists()


def test_badge_is_a_small_valid_svg(
    mlpath: Callable[..., Result], filled: None, tmp_path: Path
) -> None:
    badge = tmp_path / "badge.svg"
    assert mlpath("report", "-o", str(tmp_path / "r.html"), "--badge", str(badge)).exit_code == 0
    root = ET.fromstring(badge.read_text(encoding="utf-8"))
    assert root.tag.endswith("svg") and int(root.attrib["height"]) == 20
    status = data(mlpath("status", "--json"), "status")
    done = sum(r["done"] + r["skipped"] for r in status["roadmaps"])
    total = sum(r["total"] for r in status["roadmaps"])
    assert f"{done}/{total} topics" in badge.read_text(encoding="utf-8")


def test_a_fresh_store_makes_a_report_too(mlpath: Callable[..., Result], tmp_path: Path) -> None:
    target = tmp_path / "fresh.html"
    assert mlpath("report", "-o", str(target)).exit_code == 0
    assert "None yet." in target.read_text(encoding="utf-8")


def test_a_report_is_written_whole_or_not_at_all(
    mlpath: Callable[..., Result], tmp_path: Path
) -> None:
    result = mlpath("report", "-o", str(tmp_path / "missing" / "r.html"))
    assert result.exit_code == 1 and "no folder" in result.stderr
    assert not list(tmp_path.rglob("*.tmp"))


# ----------------------------------------------------------------------- in a real browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: install Debian's chromium")
        pytest.skip("no Chromium here (Debian: apt-get install chromium); CI runs these")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        launched = play.chromium.launch(
            executable_path=CHROMIUM,
            args=list(CHROMIUM_ARGS),
        )
        yield launched
        launched.close()


def _artefact(tmp_path: Path, name: str) -> Path:
    folder = ARTEFACTS or tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def test_in_chromium_nothing_leaves_the_page_and_the_numbers_agree(
    browser: Any, mlpath: Callable[..., Result], filled: None, tmp_path: Path
) -> None:
    target = tmp_path / "report.html"
    assert mlpath("report", "-o", str(target), "--include-journal").exit_code == 0
    status = data(mlpath("status", "--json"), "status")
    url = target.resolve().as_uri()
    for width, scheme in ((1280, "light"), (390, "dark")):
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.emulate_media(color_scheme=scheme)
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda r, seen=requests: seen.append(r.url))
        page.on(
            "console", lambda m, seen=errors: seen.append(m.text) if m.type == "error" else None
        )
        page.on("pageerror", lambda e, seen=errors: seen.append(str(e)))
        page.goto(url)
        page.wait_for_load_state("load")
        assert requests == [url], requests  # the file itself, nothing else
        assert errors == []
        assert page.evaluate("window.pwned") is None  # the hostile entry stayed text
        assert "<script>window.pwned=1</script>" in page.inner_text("body")
        assert page.inner_text("[data-testid=hours-left]") == str(round(status["hours_left"], 1))
        shown = [page.inner_text(f"[data-id='{r['id']}'] [data-testid=roadmap-done]")
                 for r in status["roadmaps"]]  # fmt: skip
        assert shown == [f"{r['done'] + r['skipped']}/{r['total']}" for r in status["roadmaps"]]
        for chart in ("weekly-chart", "calendar", "burndown"):
            box = page.locator(f"[data-testid={chart}]").bounding_box()
            assert box and box["width"] > 100 and box["height"] > 30, (chart, box)
            assert box["x"] + box["width"] <= width + 0.5
        assert page.locator("[data-testid=legend]").count() == 1
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"the page is {wide} px wide at {width} px"
        page.screenshot(
            path=str(_artefact(tmp_path, f"report-{width}-{scheme}.png")), full_page=True
        )
        page.close()


def test_in_chromium_it_prints_to_pdf(browser: Any, mlpath: Callable[..., Result], filled: None,
                                      tmp_path: Path) -> None:  # fmt: skip
    target = tmp_path / "report.html"
    assert mlpath("report", "-o", str(target)).exit_code == 0
    page = browser.new_page()
    page.goto(target.resolve().as_uri())
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    page.close()


def test_the_readme_screenshot_script_runs(tmp_path: Path) -> None:
    """The script that makes the README's image works (on a small store, to be quick)."""
    if CHROMIUM is None and not os.environ.get("CI"):
        pytest.skip("no Chromium here (Debian: apt-get install chromium)")
    root = Path(__file__).parents[1]
    out = tmp_path / "shot.png"
    run = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "report_screenshot.py"), "--small",
         "-o", str(out)], capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert out.read_bytes().startswith(b"\x89PNG")
    assert json.loads(run.stdout.splitlines()[-1])["width"] == 1280


def test_the_default_file_is_in_the_current_folder(
    mlpath: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = mlpath("report")
    assert result.exit_code == 0, result.stderr
    assert (
        (tmp_path / "mlpath-report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    )


def test_the_page_and_the_badge_are_checked_before_either_is_written(
    mlpath: Callable[..., Result], tmp_path: Path
) -> None:
    page = tmp_path / "r.html"
    missing = mlpath("report", "-o", str(page), "--badge", str(tmp_path / "no" / "b.svg"))
    assert missing.exit_code == 1 and "nothing was changed" in missing.stderr
    assert not page.exists()
    same = mlpath("report", "-o", str(page), "--badge", str(page))
    assert same.exit_code == 1 and "both name" in same.stderr and not page.exists()
    loop = tmp_path / "loop"
    loop.symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(loop)
    looped = mlpath("report", "-o", str(loop))
    assert looped.exit_code == 1 and looped.stderr.count("\n") == 1


def test_public_shows_only_the_name_of_a_template_given_by_path(
    mlpath: Callable[..., Result], tmp_path: Path, parent: Path
) -> None:
    template = tmp_path / "secret-place" / "my-template"
    shutil.copytree(Path(__file__).parents[1] / "templates" / "housing-prices", template)
    made = mlpath("new-project", str(template), "Mine", "--dir", str(parent), "--no-input")
    assert made.exit_code == 0, made.stderr
    target = tmp_path / "public.html"
    assert mlpath("report", "--public", "-o", str(target)).exit_code == 0
    page = target.read_text(encoding="utf-8")
    assert "my-template" in page and "secret-place" not in page and str(tmp_path) not in page


def test_the_calendar_rows_run_monday_to_sunday_under_their_labels(
    mlpath: Callable[..., Result], tmp_path: Path
) -> None:
    monday = dt.date.today() - dt.timedelta(days=dt.date.today().weekday())
    assert mlpath("log", "monday", "--hours", "3", "--date", monday.isoformat()).exit_code == 0
    target = tmp_path / "r.html"
    assert mlpath("report", "-o", str(target)).exit_code == 0
    page = target.read_text(encoding="utf-8")
    cell = re.search(rf'y="(\d+)"[^>]*><title>{monday.isoformat()}:', page)
    label = re.search(r'<text x="0" y="(\d+)">Mon</text>', page)
    assert cell and label
    assert 0 < int(label[1]) - int(cell[1]) <= 13  # the label's baseline inside the cell's row
