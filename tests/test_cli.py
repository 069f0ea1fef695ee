"""The progress commands as a learner uses them, plus the error boundary and JSON contract."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlpath import dates, progress
from mlpath.render.output import hours
from tests.conftest import DEMO, Result

CORE = ["foundations", "machine-learning", "deep-learning", "mlops"]


def data(result: Result, command: str) -> Any:
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert list(document) == ["schema", "command", "data"]
    assert document["schema"] == 1
    assert document["command"] == command
    return document["data"]


def test_fresh_status_lists_the_core_path_at_zero(mlpath: Callable[..., Result]) -> None:
    status = data(mlpath("status", "--json"), "status")
    assert list(status) == [
        "roadmaps", "in_progress", "next", "hours_left", "store",
        "activity", "calendar", "this_week", "streak", "pace", "finish", "goal_date",
        "recall_due", "track", "track_missing",
    ]  # fmt: skip
    assert [r["id"] for r in status["roadmaps"]] == CORE
    assert all(r["percent"] == 0 for r in status["roadmaps"])
    assert list(status["roadmaps"][0]) == [
        "id", "title", "total", "done", "skipped", "started", "percent", "hours_total",
        "hours_left", "checks", "checks_ticked",
    ]  # fmt: skip
    assert status["in_progress"] == []
    assert status["next"][0]["id"] == "foundations/python-basics"


def test_done_on_first_next_topic_raises_percent_and_shows_history(
    mlpath: Callable[..., Result],
) -> None:
    first = data(mlpath("next", "--json"), "next")["topics"][0]
    assert list(first) == ["id", "title", "roadmap", "hours", "state", "since", "day"]
    marked = data(mlpath("done", first["id"], "--note", "did the tutorial", "--json"), "done")
    assert [c["after"] for c in marked["changed"]] == ["done"]

    status = data(mlpath("status", "--json"), "status")
    roadmap = next(r for r in status["roadmaps"] if r["id"] == first["roadmap"])
    assert roadmap["done"] == 1
    assert roadmap["percent"] == round(100 / roadmap["total"], 1)
    assert roadmap["hours_left"] == roadmap["hours_total"] - first["hours"]

    shown = data(mlpath("show", first["id"], "--json"), "show")
    assert shown["state"] == "done"
    assert [(e["state"], e["note"]) for e in shown["history"]] == [("done", "did the tutorial")]
    text = mlpath("show", first["id"])
    assert "done" in text.stdout and "did the tutorial" in text.stdout


def test_next_puts_in_progress_first_then_path_order(mlpath: Callable[..., Result]) -> None:
    ready = [t["id"] for t in data(mlpath("next", "-n", "50", "--json"), "next")["topics"]]
    later = ready[3]
    assert mlpath("start", later).exit_code == 0
    again = [t["id"] for t in data(mlpath("next", "-n", "50", "--json"), "next")["topics"]]
    assert again[0] == later
    assert again[1:] == [t for t in ready if t != later]


def test_next_only_offers_topics_whose_prerequisites_are_finished(
    mlpath: Callable[..., Result],
) -> None:
    topics = data(mlpath("next", "-n", "100", "--json"), "next")["topics"]
    shown = {t["id"]: data(mlpath("show", t["id"], "--json"), "show") for t in topics[:10]}
    for detail in shown.values():
        assert all(req["state"] in ("done", "skipped") for req in detail["requires"])


def test_unchanged_state_is_not_recorded_twice(mlpath: Callable[..., Result]) -> None:
    assert mlpath("done", "python-basics").exit_code == 0
    again = mlpath("done", "python-basics")
    assert again.exit_code == 0
    assert "is already done" in again.stdout
    history = data(mlpath("show", "python-basics", "--json"), "show")["history"]
    assert len(history) == 1


def test_reset_and_skip_keep_history(mlpath: Callable[..., Result]) -> None:
    for command in ("start", "skip", "reset"):
        assert mlpath(command, "foundations/sql").exit_code == 0
    detail = data(mlpath("show", "sql", "--json"), "show")
    assert detail["state"] == "not-started"
    assert [e["state"] for e in detail["history"]] == ["started", "skipped", "reset"]


def test_done_before_prerequisites_warns_but_records(mlpath: Callable[..., Result]) -> None:
    result = mlpath("done", "foundations/python-oop")
    assert result.exit_code == 0
    assert result.stderr == (
        "warning: foundations/python-oop has unfinished prerequisites: foundations/python-basics\n"
    )
    assert data(mlpath("show", "python-oop", "--json"), "show")["state"] == "done"


def test_prerequisites_done_in_the_same_command_are_not_warned_about(
    mlpath: Callable[..., Result],
) -> None:
    result = mlpath("done", "python-oop", "python-basics")  # the prerequisite comes second
    assert (result.exit_code, result.stderr) == (0, "")
    result = mlpath("start", "numpy", "--json")  # its prerequisites are done now: no warning
    assert data(result, "start")["changed"][0]["unmet"] == []


def test_unknown_topic_suggests_close_matches(mlpath: Callable[..., Result]) -> None:
    result = mlpath("done", "pyton-basics")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: no topic 'pyton-basics'; did you mean 'foundations/python-basics'"
    )
    assert result.stderr.count("\n") == 1


def test_ambiguous_topic_lists_candidates(
    mlpath: Callable[..., Result], isolated_home: Path
) -> None:
    mine = isolated_home / "roadmaps"
    mine.mkdir(parents=True)
    (mine / "demo.yaml").write_text(DEMO.replace("id: alpha", "id: numpy"), encoding="utf-8")
    (mine / "demo.yaml").write_text(
        DEMO.replace("- id: alpha", "- id: numpy").replace("[alpha]", "[numpy]"),
        encoding="utf-8",
    )
    result = mlpath("start", "numpy")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: topic 'numpy' is in several roadmaps: foundations/numpy, demo/numpy; name one\n"
    )
    assert mlpath("start", "demo/numpy").exit_code == 0


def test_several_topics_are_all_or_nothing(mlpath: Callable[..., Result]) -> None:
    result = mlpath("done", "python-basics", "no-such-topic")
    assert result.exit_code == 1
    assert data(mlpath("show", "python-basics", "--json"), "show")["history"] == []


def test_status_roadmap_filter_and_unknown_roadmap(mlpath: Callable[..., Result]) -> None:
    only = data(mlpath("status", "--roadmap", "nlp", "--json"), "status")
    assert [r["id"] for r in only["roadmaps"]] == ["nlp"]
    wrong = mlpath("status", "--roadmap", "mlop")
    assert (wrong.exit_code, wrong.stderr) == (
        1,
        "error: no roadmap 'mlop'; did you mean 'mlops'?\n",
    )


def test_plain_text_status_when_piped(mlpath: Callable[..., Result]) -> None:
    result = mlpath("status")
    assert result.exit_code == 0
    assert "\x1b[" not in result.stdout
    assert "Foundations" in result.stdout and "[------------------------]" in result.stdout
    assert "Next up" in result.stdout


def test_usage_error_is_one_line_exit_2(mlpath: Callable[..., Result]) -> None:
    result = mlpath("next", "-n", "many")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: Invalid value for '-n'")
    assert (
        mlpath("next", "-n", "0").stderr
        == "error: -n must be a whole number from 1 to 1,000,000, not 0\n"
    )


def test_unexpected_error_leaves_a_crash_file(
    mlpath: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("something odd")

    monkeypatch.setattr(progress, "status", broken)
    result = mlpath("status")
    assert result.exit_code == 70
    assert "Traceback" not in result.stderr
    crash = Path(result.stderr.split("Details: ")[1].split(" (please")[0])
    assert crash.parent == isolated_home / "crash"
    assert "ValueError: something odd" in crash.read_text()

    monkeypatch.setenv("MLPATH_DEBUG", "1")
    assert "Traceback" in mlpath("status").stderr


def test_ctrl_c_exits_130(mlpath: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(progress, "status", interrupted)
    result = mlpath("status")
    assert (result.exit_code, result.stderr) == (130, "interrupted\n")


@pytest.mark.parametrize("unbuffered", ["", "1"])
@pytest.mark.parametrize("args", [("roadmap", "list"), ("status", "--json")])
def test_a_reader_that_went_away_ends_the_run_quietly_with_141(
    mlpath_exe: str, isolated_home: Path, args: tuple[str, ...], unbuffered: str
) -> None:
    # As `mlpath roadmap list | head -1` once head has its line: the pipe has no reader left.
    env = {k: v for k, v in _env(isolated_home).items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = unbuffered
    reader, writer = os.pipe()
    os.close(reader)
    try:
        run = subprocess.run(
            [mlpath_exe, *args], stdout=writer, stderr=subprocess.PIPE,
            env=env, text=True, check=False,
        )  # fmt: skip
    finally:
        os.close(writer)
    assert (run.returncode, run.stderr) == (141, "")


def test_version_comes_from_package_metadata(mlpath: Callable[..., Result]) -> None:
    from importlib.metadata import version

    assert mlpath("--version").stdout == f"mlpath {version('mlpath')}\n"


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "MLPATH_HOME": str(home), "NO_COLOR": "1"}


def test_installed_command_runs_from_another_folder(
    mlpath_exe: str, isolated_home: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = subprocess.run(
        [mlpath_exe, "status"], cwd=elsewhere, env=_env(isolated_home),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "Foundations" in run.stdout
    module = subprocess.run(
        [sys.executable, "-m", "mlpath", "done", "python-basics", "--json"],
        cwd=elsewhere, env=_env(isolated_home), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert json.loads(module.stdout)["data"]["changed"][0]["after"] == "done"


def test_status_does_not_import_heavy_modules(mlpath_exe: str, isolated_home: Path) -> None:
    env = _env(isolated_home)
    subprocess.run([mlpath_exe, "status"], env=env, capture_output=True, check=True)  # warm cache
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mlpath", "status"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    imported = {line.split("|")[-1].strip() for line in run.stderr.splitlines() if "|" in line}
    for heavy in ("cookiecutter", "git", "pydantic", "yaml", "rich"):
        assert heavy not in imported, f"`mlpath status` imported {heavy}"
    # Not heavy, but about a millisecond each that the text of a store's status has no use
    # for. (Without a store yet, status builds an empty one in memory, which takes json.)
    subprocess.run([mlpath_exe, "done", "python-basics"], env=env, capture_output=True, check=True)
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mlpath", "status"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    imported = {line.split("|")[-1].strip() for line in run.stderr.splitlines() if "|" in line}
    for unused in ("json", "tempfile"):
        assert unused not in imported, f"`mlpath status` imported {unused}"


def test_command_table_matches_the_command_modules() -> None:
    import typer.main

    from mlpath.cli.app import COMMANDS, build_app

    everything = typer.main.get_command(build_app())
    assert isinstance(everything, typer.core.TyperGroup)
    assert set(COMMANDS) == set(everything.commands)
    for name, module in COMMANDS.items():
        alone = typer.main.get_command(build_app([module], only=name))
        assert isinstance(alone, typer.core.TyperGroup)
        assert list(alone.commands) == [name]


def test_mlpath_alone_prints_the_help_and_succeeds(mlpath_exe: str) -> None:
    run = subprocess.run([mlpath_exe], capture_output=True, text=True, check=False)
    assert (run.returncode, run.stderr) == (0, "")
    assert "Usage: mlpath" in run.stdout and "status" in run.stdout


@pytest.mark.parametrize(
    ("args", "command", "code", "exit_code"),
    [
        (["show", "nope", "--json"], "show", "not-found", 1),
        (["journal", "edit", "--json"], "journal edit", "usage", 2),
        (["config", "set", "weekly-hours", "zero", "--json"], "config set", "invalid-input", 1),
        (["--color", "never", "show", "nope", "--json"], "show", "not-found", 1),
    ],
)
def test_an_error_with_json_is_a_json_document_too(
    mlpath: Callable[..., Result], args: list[str], command: str, code: str, exit_code: int
) -> None:
    result = mlpath(*args)
    assert result.exit_code == exit_code and result.stderr.startswith("error: ")
    document = json.loads(result.stdout)
    assert list(document) == ["schema", "command", "error"]
    assert (document["command"], document["error"]["code"]) == (command, code)
    assert document["error"]["exit_code"] == exit_code and document["error"]["message"]
    assert mlpath("show", "nope").stdout == ""  # without --json: nothing on stdout


def test_small_honesties_of_the_text(mlpath: Callable[..., Result], tmp_path: Path) -> None:
    """Following a followed roadmap says so; a week that is not this one is named; a met
    goal is said; md is markdown; one commit is one commit."""
    followed = mlpath("roadmap", "follow", "foundations")
    assert followed.stdout.startswith("Already following foundations; nothing to change")
    assert (
        data(mlpath("roadmap", "follow", "foundations", "--json"), "roadmap follow")["changed"]
        is False
    )
    assert data(mlpath("roadmap", "follow", "nlp", "--json"), "roadmap follow")["changed"] is True
    old = (dt.date.today() - dt.timedelta(weeks=3)).isoformat()
    logged = mlpath("log", "older", "--hours", "2", "--date", old).stdout
    assert "\nWeek 20" in logged and "This week" not in logged
    assert "goal met" in mlpath("log", "lots", "--hours", "11").stdout
    md = mlpath("export", "--format", "md")
    assert md.exit_code == 0 and md.stdout.startswith("# Learning log")


def test_tables_align_by_display_width() -> None:
    """A CJK or emoji cell takes two columns a character: the next column still lines up."""
    import io

    from mlpath.render.output import Out, display_width

    assert (display_width("abc"), display_width("機械学習"), display_width("e\u0301"),
            display_width("🚀x")) == (3, 8, 1, 3)  # fmt: skip
    buffer = io.StringIO()
    Out(buffer).table([["機械学習", "tail"], ["plain", "tail"], ["🚀 rocket", "tail"]])
    starts = {display_width(line[: line.index("tail")]) for line in buffer.getvalue().splitlines()}
    assert len(starts) == 1


def test_next_with_nothing_ready_names_what_blocks_it(mlpath: Callable[..., Result]) -> None:
    result = data(mlpath("next", "--roadmap", "deep-learning", "--json"), "next")
    assert result["topics"] == []  # every deep-learning topic builds on the ones before
    assert result["blocked"] and all(b["waits_on"] for b in result["blocked"])
    assert list(result["blocked"][0]) == ["id", "waits_on"]
    text = mlpath("next", "--roadmap", "deep-learning").stdout
    assert "waits on" in text and result["blocked"][0]["waits_on"][0] in text
    assert data(mlpath("next", "--json"), "next")["blocked"] == []


@pytest.mark.parametrize(
    ("args", "env", "coloured"),
    [
        (["--color", "always"], {}, True),
        (["--color=always"], {"NO_COLOR": "1"}, True),
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
        ([], {"FORCE_COLOR": "1"}, True),
        ([], {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),
        ([], {}, False),  # piped: plain
    ],
)
def test_color_option_and_environment(
    mlpath_exe: str, args: list[str], env: dict[str, str], coloured: bool
) -> None:
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    run = subprocess.run([mlpath_exe, *args, "next"], capture_output=True, text=True,
                         env={**base, **env}, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert ("\x1b[" in run.stdout) is coloured


def test_color_refuses_other_words(mlpath: Callable[..., Result]) -> None:
    result = mlpath("--color", "sometimes", "next")
    assert result.exit_code == 2 and "auto, always, never" in result.stderr
    assert "\x1b[" not in mlpath("next").stdout  # the option held for that run only


def test_completion_offers_keys_templates_tags_weeks_and_topics_left(
    mlpath: Callable[..., Result],
) -> None:
    from mlpath.cli import common

    assert common.complete_setting("go") == ["goal-date"]
    assert "housing-prices" in common.complete_template("hou")
    assert mlpath("log", "x #pandas #pytorch").exit_code == 0
    assert common.complete_tag("#p") == ["pandas", "pytorch"]
    this_week = common.complete_week("")[0]
    assert this_week == dates.week_of(dt.date.today()) and len(common.complete_week("")) == 13
    assert mlpath("done", "python-basics").exit_code == 0

    class Ctx:  # what click passes: the command's name is all that matters here
        def __init__(self, name: str) -> None:
            self.info_name = name

    offered = common._complete_topics(Ctx("start"), "python-b")  # type: ignore[arg-type]
    assert "python-basics" not in offered
    assert "python-basics" in common._complete_topics(Ctx("reset"), "python-b")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.5, "0.5 h"), (7, "7 h"), (42.4, "42 h"), (1329, "1,329 h"), (12_000.6, "12,001 h")],
)
def test_hours_read_as_a_learner_reads_them(value: float, shown: str) -> None:
    assert hours(value) == shown


def test_one_of_a_thing_is_singular(
    mlpath: Callable[..., Result], write_roadmap: Callable[..., Path]
) -> None:
    one = DEMO.split("      - id: beta")[0].replace("id: demo", "id: single")
    assert mlpath("roadmap", "add", str(write_roadmap(one, "single.yaml"))).exit_code == 0
    listed = mlpath("roadmap", "list").stdout
    assert "1 topic " in listed and "1 topics" not in listed
    shown = mlpath("roadmap", "show", "single").stdout
    assert "1 topic · 2 h" in shown and "1 topics" not in shown
