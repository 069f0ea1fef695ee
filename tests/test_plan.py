"""The week-by-week plan: its scheduling rules as tables, the pace for a goal date, the
equality with status's finish date, and the iCalendar file read back by the library."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlpath import dates
from mlpath.plan import (
    LAST_WEEK,
    MAX_WEEKS,
    Plan,
    Task,
    finish_weeks,
    needed,
    order,
    schedule,
    schedule_and_finishes,
)
from tests.conftest import Result
from tests.test_cli import data

NOW = dates.week_index("2026-W49")  # Monday 2026-11-30


def task(ident: str, hours: float, *requires: str, started: bool = False) -> Task:
    return Task(ident, ident.upper(), ident.partition("/")[0], hours, started, requires)


def laid_out(plan: Plan) -> list[tuple[str, list[tuple[str, float]]]]:
    """Each week and its (topic, hours), to compare with a table."""
    return [(w.week, [(s.topic, s.hours) for s in w.topics]) for w in plan.weeks]


# ------------------------------------------------------------------------------ the order


@pytest.mark.parametrize(
    ("tasks", "expected"),
    [
        pytest.param([task("a/x", 1), task("a/y", 1)], ["a/x", "a/y"], id="path order"),
        pytest.param(
            [task("a/x", 1), task("a/y", 1, started=True)], ["a/y", "a/x"],
            id="in progress first",
        ),
        pytest.param(
            [task("a/x", 1, "a/y"), task("a/y", 1)], ["a/y", "a/x"],
            id="a prerequisite before what needs it, even when listed after",
        ),
        pytest.param(
            [task("a/x", 1), task("a/y", 1, "a/x", started=True)], ["a/x", "a/y"],
            id="prerequisites beat in progress",
        ),
        pytest.param(
            [task("a/x", 1, "z/gone"), task("a/y", 1)], ["a/x", "a/y"],
            id="a prerequisite outside the plan is not waited for",
        ),
        pytest.param(
            [task("a/p", 1), task("a/q", 1, "a/p"), task("a/r", 1, started=True)],
            ["a/r", "a/p", "a/q"],
            id="an in-progress topic ahead of a ready one earlier in the path",
        ),
    ],
)  # fmt: skip
def test_order(tasks: list[Task], expected: list[str]) -> None:
    assert [t.id for t in order(tasks)] == expected


# ------------------------------------------------------------------------------ the weeks


@pytest.mark.parametrize(
    ("tasks", "per_week", "logged", "breaks", "expected"),
    [
        pytest.param(
            [task("a/x", 4), task("a/y", 6)], 10, 0, [],
            [("2026-W49", [("a/x", 4), ("a/y", 6)])],
            id="a week filled to the pace",
        ),
        pytest.param(
            [task("a/x", 25)], 10, 0, [],
            [("2026-W49", [("a/x", 10)]), ("2026-W50", [("a/x", 10)]),
             ("2026-W51", [("a/x", 5)])],
            id="a long topic spans weeks",
        ),
        pytest.param(
            [task("a/x", 12)], 10, 6, [],
            [("2026-W49", [("a/x", 4)]), ("2026-W50", [("a/x", 8)])],
            id="this week holds the pace minus what is logged",
        ),
        pytest.param(
            [task("a/x", 5)], 10, 12, [],
            [("2026-W50", [("a/x", 5)])],
            id="this week already full: the plan starts next week",
        ),
        pytest.param(
            [task("a/x", 15)], 10, 0, [NOW, NOW + 1],
            [("2026-W51", [("a/x", 10)]), ("2026-W52", [("a/x", 5)])],
            id="break weeks are skipped",
        ),
        pytest.param(
            [task("a/x", 6), task("a/y", 6, "a/x")], 4, 0, [NOW + 1],
            [("2026-W49", [("a/x", 4)]), ("2026-W51", [("a/x", 2), ("a/y", 2)]),
             ("2026-W52", [("a/y", 4)])],
            id="a span goes around a break, then the next topic fills the week",
        ),
        pytest.param([], 10, 0, [], [], id="nothing left"),
    ],
)  # fmt: skip
def test_schedule(
    tasks: list[Task], per_week: float, logged: float, breaks: list[int],
    expected: list[tuple[str, list[tuple[str, float]]]],
) -> None:  # fmt: skip
    planned = schedule(tasks, per_week, NOW, logged, set(breaks))
    assert laid_out(planned) == expected
    assert planned.breaks == [dates.week_at(b) for b in breaks if b <= NOW + len(expected) + 1]
    assert planned.finish == (planned.weeks[-1].end if expected else None)


def test_parts_count_a_topics_weeks_and_its_last_one() -> None:
    planned = schedule([task("a/x", 25), task("a/y", 2)], 10, NOW, 0, set())
    slots = [(s.topic, s.part, s.parts, s.last) for w in planned.weeks for s in w.topics]
    assert slots == [("a/x", 1, 3, False), ("a/x", 2, 3, False), ("a/x", 3, 3, True),
                     ("a/y", 1, 1, True)]  # fmt: skip
    assert planned.finish_of({"a/x"}) == planned.finish_of({"a/y"}) == "2026-12-20"


def test_dates_run_monday_to_sunday_and_a_year_with_week_53() -> None:
    planned = schedule([task("a/x", 30)], 10, dates.week_index("2026-W52"), 0, set())
    assert [(w.week, w.start, w.end) for w in planned.weeks] == [
        ("2026-W52", "2026-12-21", "2026-12-27"),
        ("2026-W53", "2026-12-28", "2027-01-03"),
        ("2027-W01", "2027-01-04", "2027-01-10"),
    ]


def test_no_pace_or_no_room_before_the_end_of_dates_gives_no_finish() -> None:
    assert schedule([task("a/x", 5)], 0, NOW, 0, set()).finish is None
    assert schedule([], 0, NOW, 0, set()).complete
    late = schedule([task("a/x", 30)], 10, LAST_WEEK - 1, 0, set())
    assert not late.complete and late.finish is None and len(late.weeks) == 2


@st.composite
def _plans(draw: st.DrawFn) -> tuple[list[Task], float, int, float, set[int]]:
    count = draw(st.integers(0, 12))
    ids = [f"{draw(st.sampled_from('abc'))}/t{i}" for i in range(count)]
    tasks = [
        Task(ident, ident, ident.partition("/")[0],
             draw(st.sampled_from([0.0, 0.25, 1.0, 2.5, 3.0, 7.75, 10.0, 40.0])),
             draw(st.booleans()), tuple(draw(st.lists(st.sampled_from(ids), max_size=3))))
        for ident in ids
    ]  # fmt: skip
    start = draw(st.sampled_from([NOW, NOW + 7, LAST_WEEK - 3]))
    per_week = draw(st.sampled_from([0.0, 0.1, 1.0, 3.3, 8.0, 12.5, 40.0]))
    logged = draw(st.sampled_from([0.0, 0.5, 3.3, 8.0, 60.0]))
    breaks = set(draw(st.lists(st.integers(start, start + 12), max_size=5)))
    return tasks, per_week, start, logged, breaks


@settings(max_examples=300, deadline=None)
@given(_plans())
def test_finish_weeks_agree_with_the_plan_laid_out_week_by_week(
    drawn: tuple[list[Task], float, int, float, set[int]],
) -> None:
    """status takes its finish dates from finish_weeks, the plan and the report from
    schedule: for any topics, pace, start and breaks they give the same dates."""
    planned = schedule(*drawn)
    ends = finish_weeks(*drawn)
    assert schedule_and_finishes(*drawn) == (planned, ends)
    assert ends.complete == planned.complete
    assert ends.finish() == planned.finish
    tasks = drawn[0]
    for roadmap in "abc":
        ids = {t.id for t in tasks if t.roadmap == roadmap}
        assert ends.finish(ids) == planned.finish_of(ids), roadmap


# ------------------------------------------------------------------------- the goal date


@pytest.mark.parametrize(
    ("left", "goal", "logged", "breaks", "weeks", "pace"),
    [
        pytest.param(100, "2027-02-07", 0, [], 10, 10.0, id="ten weeks, 100 hours"),
        pytest.param(100, "2027-02-10", 0, [], 10, 10.0, id="a goal mid-week: not that week"),
        pytest.param(100, "2027-02-07", 0, [NOW + 2], 9, 11.2, id="a break week is not counted"),
        pytest.param(90, "2027-02-07", 5, [], 10, 9.5, id="this week's hours count towards it"),
        pytest.param(10, "2026-12-13", 30, [], 2, 10.0,
                     id="this week full at any pace that would do: only the next counts"),
        pytest.param(10, "2026-12-02", 0, [], 0, None, id="no Sunday before the goal"),
        pytest.param(0, "2027-02-07", 0, [], 10, 0.0, id="nothing left"),
    ],
)  # fmt: skip
def test_needed(
    left: float, goal: str, logged: float, breaks: list[int], weeks: int, pace: float | None
) -> None:
    today = dt.date(2026, 12, 1)
    need = needed(left, dt.date.fromisoformat(goal), today, logged, set(breaks))
    assert (need.weeks, need.hours_per_week) == (weeks, pace)
    if pace:  # the plan at that pace ends by the goal, and a tenth of an hour less does not
        tasks = [task("a/x", left)]
        assert (schedule(tasks, pace, NOW, logged, set(breaks)).finish or "") <= goal
        slower = schedule(tasks, pace - 0.1, NOW, logged, set(breaks)).finish
        assert slower is None or slower > goal


# --------------------------------------------------------------------------- the command


def _log_weeks(mlpath: Callable[..., Result], hours: float, weeks: int) -> None:
    for back in range(weeks):
        day = (dt.date.today() - dt.timedelta(weeks=back)).isoformat()
        assert mlpath("log", "study", "--hours", str(hours), "--date", day).exit_code == 0


def test_the_plan_ends_on_status_finish_date(mlpath: Callable[..., Result]) -> None:
    _log_weeks(mlpath, 7, 4)
    assert mlpath("start", "sql").exit_code == 0
    assert mlpath("done", "python-basics", "command-line").exit_code == 0
    this_week = dates.week_of(dt.date.today())
    assert (
        mlpath(
            "journal", "break", "--week", dates.week_at(dates.week_index(this_week) + 3)
        ).exit_code
        == 0
    )
    status = data(mlpath("status", "--json"), "status")
    planned = data(mlpath("plan", "--json"), "plan")
    assert planned["finish"] == status["finish"]["date"] is not None
    assert planned["hours_per_week"] == status["pace"]["hours_per_week"] == 7.0
    assert planned["hours_left"] == status["hours_left"]
    weeks = planned["weeks"]
    assert sum(s["hours"] for w in weeks for s in w["topics"]) == pytest.approx(
        status["hours_left"]
    )
    assert weeks[0]["topics"][0]["topic"] == "foundations/sql"  # in progress first
    assert planned["breaks"] == [dates.week_at(dates.week_index(this_week) + 3)]
    # Each roadmap's date in status is the week its last topic ends in.
    for roadmap in status["finish"]["roadmaps"]:
        ends = [w["end"] for w in weeks for s in w["topics"]
                if s["roadmap"] == roadmap["id"] and s["last"]]  # fmt: skip
        assert roadmap["date"] == max(ends)
    # Another roadmap alone: the same equality.
    alone = data(mlpath("plan", "--roadmap", "nlp", "--json"), "plan")
    assert (
        alone["finish"] == data(mlpath("status", "-r", "nlp", "--json"), "status")["finish"]["date"]
    )


def test_plan_json_keys_and_weeks_option(mlpath: Callable[..., Result]) -> None:
    planned = data(mlpath("plan", "--weeks", "2", "--hours-per-week", "12.5", "--json"), "plan")
    assert list(planned) == [
        "roadmaps", "hours_left", "hours_per_week", "source", "logged_this_week", "weeks",
        "more_weeks", "breaks", "finish", "until", "ics",
    ]  # fmt: skip
    assert (planned["hours_per_week"], planned["source"]) == (12.5, "option")
    assert len(planned["weeks"]) == 2
    assert list(planned["weeks"][0]) == ["week", "start", "end", "hours", "topics"]
    assert list(planned["weeks"][0]["topics"][0]) == [
        "topic", "title", "roadmap", "hours", "part", "parts", "last",
    ]  # fmt: skip
    total = math.ceil(planned["hours_left"] / 12.5)
    assert planned["more_weeks"] in (total - 2, total - 1)  # this week may be part-full


def test_plan_until_finishes_by_the_date(mlpath: Callable[..., Result]) -> None:
    goal = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    planned = data(mlpath("plan", "--until", goal, "--json"), "plan")
    assert planned["source"] == "until" and planned["until"] == goal
    assert planned["finish"] <= goal
    slower = data(mlpath("plan", "--hours-per-week", str(planned["hours_per_week"] - 0.1),
                         "--json"), "plan")  # fmt: skip
    assert slower["finish"] > goal


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--until", "tomorrow"], "leaves no full week to learn in"),
        (["--until", "2027-01-01", "--hours-per-week", "5"], "choose one"),
        (["--hours-per-week", "0"], "--hours-per-week must be above 0"),
        (["--weeks", "0"], "--weeks must be a whole number from 1"),
        (["--remind", "09:00"], "--remind goes with --ics FILE"),
        (
            ["--ics", "/nonexistent-dir/p.ics", "--remind", "99999999999999999999:00"],
            "--remind takes a time",
        ),
        (["--ics", "/nonexistent-dir/p.ics", "--remind", "24:00"], "--remind takes a time"),
        (["--ics", "/nonexistent-dir/p.ics", "--remind", "9:5"], "--remind takes a time"),
        (["--ics", "/nonexistent-dir/p.ics", "--remind", " 09:00"], "--remind takes a time"),
        (["--until", "someday"], "--until"),
    ],
)
def test_plan_refuses_bad_options_in_one_line(
    mlpath: Callable[..., Result], args: list[str], message: str
) -> None:
    if args == ["--until", "tomorrow"]:  # a day whose week has no Sunday by it
        today = dt.date.today()
        args = ["--until", (today - dt.timedelta(days=today.weekday() == 6)).isoformat()]
    result = mlpath("plan", *args)
    assert result.exit_code == 1, result.stderr
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_the_text_plan_has_a_block_per_week(mlpath: Callable[..., Result]) -> None:
    text = mlpath("plan", "--weeks", "3", "--hours-per-week", "10").stdout
    assert text.startswith("Your plan · ")
    assert text.count("\n20") == 3  # three week headings, YYYY-Www
    assert "foundations/python-basics" in text and "week 1 of 3" in text
    assert "more weeks (`--weeks N` shows more)" in text


# ------------------------------------------------------------------------------ calendar


def test_ics_parses_back_to_the_plan_with_stable_uids(
    mlpath: Callable[..., Result], tmp_path: Path
) -> None:
    target = tmp_path / "plan.ics"
    shown = data(mlpath("plan", "--weeks", "6", "--ics", str(target), "--remind", "08:30",
                        "--json"), "plan")  # fmt: skip
    assert shown["ics"] == str(target) and len(shown["weeks"]) == 6
    planned = data(mlpath("plan", "--json"), "plan")  # the file holds the whole plan
    calendar = icalendar.Calendar.from_ical(target.read_bytes())
    events = list(calendar.walk("VEVENT"))
    expected = [(s, w) for w in planned["weeks"] for s in w["topics"]]
    assert len(events) == len(expected)
    for event, (slot, week) in zip(events, expected, strict=True):
        assert event.decoded("dtstart") == dt.date.fromisoformat(week["start"])
        assert event.decoded("dtend") == dt.date.fromisoformat(week["end"]) + dt.timedelta(days=1)
        assert str(event["summary"]).startswith(slot["title"])
        assert slot["topic"] in str(event["description"])
        alarms = list(event.walk("VALARM"))
        assert len(alarms) == 1
        assert alarms[0].decoded("trigger") == dt.timedelta(hours=8, minutes=30)
    uids = [str(e["uid"]) for e in events]
    assert len(set(uids)) == len(uids)
    # A slower plan moves the same events: the same UIDs, other dates.
    mlpath("plan", "--hours-per-week", "3", "--ics", str(target))
    again = {
        str(e["uid"]): e for e in icalendar.Calendar.from_ical(target.read_bytes()).walk("VEVENT")
    }
    first_uid = uids[0]
    assert first_uid in again
    assert not list(again[first_uid].walk("VALARM"))  # no --remind this time


def test_ics_is_written_whole_or_not_at_all(mlpath: Callable[..., Result], tmp_path: Path) -> None:
    target = tmp_path / "plan.ics"
    target.write_bytes(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    missing = tmp_path / "no-such-folder" / "x" / "plan.ics"
    (tmp_path / "no-such-folder").write_text("a file, not a folder")
    result = mlpath("plan", "--ics", str(missing))
    assert result.exit_code == 1 and "cannot write" in result.stderr
    assert target.read_bytes() == b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    assert [p.name for p in tmp_path.iterdir()] and not list(tmp_path.glob(".*.tmp"))


def test_readme_months_for_the_core_path_match_the_roadmaps() -> None:
    from mlpath.roadmaps import DEFAULT_PATH, load_catalog

    catalog = load_catalog()
    hours = sum(catalog.roadmaps[r].total_hours for r in DEFAULT_PATH)
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"{hours:,.0f} hours) takes about {math.ceil(hours / 10)} weeks" in readme


def test_a_date_that_needs_more_hours_than_a_week_has_is_out_of_reach(
    mlpath: Callable[..., Result],
) -> None:
    monday = dates.monday(dates.week_of(dt.date.today()))
    soon = (monday + dt.timedelta(days=13)).isoformat()  # next week's Sunday: two weeks
    result = mlpath("plan", "--until", soon)
    assert result.exit_code == 1 and "cannot be made" in result.stderr
    assert "more than a week has" in result.stderr
    assert mlpath("config", "set", "goal-date", soon).exit_code == 0
    goal = data(mlpath("status", "--json"), "status")["goal_date"]
    assert goal["hours_per_week"] > 168 and not goal["on_track"]
    assert "out of reach" in mlpath("status").stdout


def test_the_goal_is_for_the_path_whatever_roadmap_status_shows(
    mlpath: Callable[..., Result],
) -> None:
    goal = (dt.date.today() + dt.timedelta(days=500)).isoformat()
    assert mlpath("config", "set", "goal-date", goal).exit_code == 0
    whole = data(mlpath("status", "--json"), "status")["goal_date"]
    one = data(mlpath("status", "--roadmap", "mlops", "--json"), "status")["goal_date"]
    assert whole == one


def test_a_pace_too_slow_for_a_century_has_no_date_and_costs_little(
    mlpath: Callable[..., Result],
) -> None:
    assert mlpath("config", "set", "weekly-hours", "0.0001").exit_code == 0
    status = data(mlpath("status", "--json"), "status")
    assert status["finish"]["date"] is None
    assert "no estimate" in mlpath("status").stdout
    planned = data(mlpath("plan", "--json"), "plan")
    assert planned["finish"] is None and len(planned["weeks"]) <= MAX_WEEKS


def test_ics_refuses_a_missing_folder_and_keeps_the_files_mode(
    mlpath: Callable[..., Result], tmp_path: Path
) -> None:
    result = mlpath("plan", "--ics", str(tmp_path / "nope" / "plan.ics"))
    assert result.exit_code == 1 and "no folder" in result.stderr
    assert not (tmp_path / "nope").exists()
    link = tmp_path / "dangling.ics"
    link.symlink_to(tmp_path / "gone" / "x.ics")
    assert mlpath("plan", "--ics", str(link)).exit_code == 1
    assert not (tmp_path / "gone").exists()
    shared = tmp_path / "shared.ics"
    shared.write_text("")
    shared.chmod(0o644)
    assert mlpath("plan", "--ics", str(shared)).exit_code == 0
    assert shared.stat().st_mode & 0o777 == 0o644
    long_name = tmp_path / ("p" * 245 + ".ics")
    assert mlpath("plan", "--weeks", "1", "--ics", str(long_name)).exit_code == 0


def test_a_newer_plan_cancels_the_events_it_no_longer_has(
    mlpath: Callable[..., Result], tmp_path: Path
) -> None:
    target = tmp_path / "plan.ics"
    assert mlpath("plan", "--ics", str(target)).exit_code == 0
    first = {
        str(e["uid"]): e for e in icalendar.Calendar.from_ical(target.read_bytes()).walk("VEVENT")
    }
    assert mlpath("done", "python-basics").exit_code == 0
    assert mlpath("plan", "--weeks", "1", "--ics", str(target)).exit_code == 0  # all weeks written
    second = {
        str(e["uid"]): e for e in icalendar.Calendar.from_ical(target.read_bytes()).walk("VEVENT")
    }
    gone = [uid for uid in first if uid.startswith("foundations.python-basics.")]
    assert gone and all(str(second[uid]["status"]) == "CANCELLED" for uid in gone)
    assert all(second[uid].decoded("sequence") == 1 for uid in gone)
    moved = next(uid for uid in first if uid.startswith("foundations.command-line."))
    assert second[moved].decoded("dtstart") != first[moved].decoded("dtstart")
    assert second[moved].decoded("sequence") == 1 and "status" not in second[moved]
    live = [u for u, e in second.items() if "status" not in e]
    assert len(live) > 1  # --weeks 1 shows one week; the file holds the whole plan
    # Exported once more: the cancelled ones are not carried on, nothing else changes.
    assert mlpath("plan", "--ics", str(target)).exit_code == 0
    third = {
        str(e["uid"]): e for e in icalendar.Calendar.from_ical(target.read_bytes()).walk("VEVENT")
    }
    assert not any(uid in third for uid in gone)
    assert third[moved].decoded("sequence") == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("20270203", "goal-date must be a date as YYYY-MM-DD, not '20270203'"),
        ("2027-02-30", "goal-date must be a date as YYYY-MM-DD"),
        ("9999-01-01", "goal-date must be a date from"),
        ("2020-01-01", "is not in the future"),
    ],
)
def test_goal_date_refuses_bad_dates_in_one_line(
    mlpath: Callable[..., Result], value: str, message: str
) -> None:
    result = mlpath("config", "set", "goal-date", value)
    assert result.exit_code == 1 and message in result.stderr
    assert result.stderr.count("\n") == 1


def test_the_plan_read_back_line_by_line_is_what_the_library_reads(
    mlpath: Callable[..., Result], tmp_path: Path
) -> None:
    from mlpath.ics import previous_events

    target = tmp_path / "plan.ics"
    assert mlpath("plan", "--ics", str(target), "--remind", "07:00").exit_code == 0
    assert mlpath("done", "python-basics").exit_code == 0
    assert mlpath("plan", "--ics", str(target)).exit_code == 0  # with cancelled events in it
    library = {
        str(e["uid"]): (e.decoded("dtstart"), e.decoded("dtend"), str(e["summary"]),
                        e.decoded("sequence"), str(e.get("status", "")) == "CANCELLED")
        for e in icalendar.Calendar.from_ical(target.read_bytes()).walk("VEVENT")
    }  # fmt: skip
    assert {uid: tuple(e) for uid, e in previous_events(target).items()} == library
    assert any(cancelled for *_, cancelled in library.values())
    target.write_text("BEGIN:VCALENDAR\nPRODID:-//someone else//EN\nEND:VCALENDAR\n")
    assert previous_events(target) == {}
