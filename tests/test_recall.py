"""Spaced recall: cards that match the fsrs library's own schedule for the same history,
breaks that push reviews back, the listing's order, undo, and the command on and off a
terminal."""

from __future__ import annotations

import datetime as dt
import os
import pty
import select
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fsrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlpath import dates, progress, recall
from mlpath.recall_core import parse, pushed_back, stamp, still_due
from mlpath.roadmaps import load_catalog
from mlpath.store import Store
from mlpath.store import recall as recall_store
from tests.conftest import Result
from tests.test_cli import data

UTC = dt.UTC


def _library_card(enrolled: dt.datetime, history: list[tuple[str, dt.datetime]]) -> fsrs.Card:
    """The same history through the library, configured as the README says."""
    scheduler = fsrs.Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    card = fsrs.Card(card_id=7, due=enrolled)
    card, _ = scheduler.review_card(card, fsrs.Rating.Good, enrolled)
    names = {"again": fsrs.Rating.Again, "hard": fsrs.Rating.Hard, "good": fsrs.Rating.Good,
             "easy": fsrs.Rating.Easy}  # fmt: skip
    for name, at in history:
        card, _ = scheduler.review_card(card, names[name], at)
    return card


@pytest.mark.parametrize(
    "ratings",
    [
        [],
        ["good"],
        ["good", "good", "easy"],
        ["again", "hard", "good"],
        ["easy", "again", "again", "good"],
    ],
)
def test_cards_match_the_librarys_schedule_for_the_same_history(ratings: list[str]) -> None:
    catalog = load_catalog()
    finished = dt.date.today() - dt.timedelta(days=200)
    with Store.open(create=True) as store:
        progress.mark(catalog, store, ["python-basics"], "done", date=finished.isoformat())
        enrolled = dt.datetime.combine(finished, dt.time(12), UTC)
        history = []
        moment = enrolled
        for name in ratings:
            state = recall_store.card(store, "foundations/python-basics")
            assert state is not None
            moment = parse(state.due) + dt.timedelta(hours=5)  # reviewed when due, or so
            recall.rate(catalog, store, "foundations/python-basics", name, now=moment)
            history.append((name, moment.replace(microsecond=0)))
        state = recall_store.card(store, "foundations/python-basics")
    expected = _library_card(enrolled, history)
    assert state is not None
    assert parse(state.due) == expected.due.replace(microsecond=0)
    assert state.stability == pytest.approx(expected.stability)
    assert state.difficulty == pytest.approx(expected.difficulty)
    assert (state.reviews, state.lapses) == (len(ratings), ratings.count("again"))


@pytest.mark.parametrize(
    ("due", "last", "breaks", "expected"),
    [
        pytest.param("2027-01-13", "2027-01-01", [], "2027-01-13", id="no break"),
        pytest.param("2027-01-13", "2027-01-01", ["2027-W02"], "2027-01-20",
                     id="a week of break between: a week later"),
        pytest.param("2027-01-13", "2027-01-01", ["2027-W02", "2027-W03"], "2027-01-27",
                     id="the moved date lands in a second break week: pushed on again"),
        pytest.param("2027-01-13", "2027-01-01", ["2027-W05"], "2027-01-13",
                     id="a break after it is due changes nothing"),
        pytest.param("2027-01-13", "2027-01-01", ["2026-W50"], "2027-01-13",
                     id="a break before the last review changes nothing"),
    ],
)  # fmt: skip
def test_break_weeks_push_reviews_back(
    due: str, last: str, breaks: list[str], expected: str
) -> None:
    noon = dt.time(12)
    moved = pushed_back(
        dt.datetime.combine(dt.date.fromisoformat(due), noon, UTC),
        dt.datetime.combine(dt.date.fromisoformat(last), noon, UTC),
        sorted(dates.week_index(w) for w in breaks),
    )
    assert moved == dt.datetime.combine(dt.date.fromisoformat(expected), noon, UTC)


_MOMENTS = st.datetimes(
    min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 12, 31), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=0))


@given(
    moments=st.lists(_MOMENTS, min_size=3, max_size=3),
    pauses=st.lists(st.integers(105_340, 105_920), max_size=30, unique=True),
)
def test_status_counts_a_card_due_as_recall_lists_it(
    moments: list[dt.datetime], pauses: list[int]
) -> None:
    """``still_due``, what status counts with (reading weeks off the stamps), agrees with
    ``pushed_back``, what `recall` lists with, for any stamps and breaks."""
    last, due, now = sorted(moments)
    breaks = sorted(pauses)
    expected = pushed_back(due, last, breaks) <= now
    assert still_due(stamp(due), stamp(last), breaks, now) == expected
    offset = dt.timezone(dt.timedelta(hours=-7))  # a stamp not in the store's own format
    assert still_due(due.astimezone(offset).isoformat(), stamp(last), breaks, now) == expected


def test_a_break_does_not_pile_reviews_up_on_the_monday_after(
    mlpath: Callable[..., Result],
) -> None:
    """Two topics finished on the weekend before a two-week break fall due on different days
    of it; each comes back two weeks later, still a day apart."""
    week = dates.week_of(dt.date.today())
    monday = dates.monday(week)
    for topic, back in (("python-basics", 2), ("command-line", 1)):
        day = (monday - dt.timedelta(days=back)).isoformat()
        assert mlpath("done", topic, "--date", day).exit_code == 0
    before = {c["id"]: parse(c["due"]) for c in _cards(mlpath)}
    assert all(monday <= due.date() < monday + dt.timedelta(days=7) for due in before.values())
    assert len(set(before.values())) == 2
    for offset in (0, 1):
        breaks = dates.week_at(dates.week_index(week) + offset)
        assert mlpath("journal", "break", "--week", breaks).exit_code == 0
    after = {c["id"]: parse(c["due"]) for c in _cards(mlpath)}
    assert {t: due - before[t] for t, due in after.items()} == dict.fromkeys(
        before, dt.timedelta(weeks=2)
    )


def _cards(mlpath: Callable[..., Result]) -> list[dict[str, Any]]:
    listed = data(mlpath("recall", "--json"), "recall")
    return [*listed["due"], *listed["upcoming"]]


def test_listing_puts_the_topic_most_at_risk_first(mlpath: Callable[..., Result]) -> None:
    today = dt.date.today()
    assert (
        mlpath(
            "done", "command-line", "--date", (today - dt.timedelta(days=10)).isoformat()
        ).exit_code
        == 0
    )
    assert (
        mlpath(
            "done", "python-basics", "--date", (today - dt.timedelta(days=40)).isoformat()
        ).exit_code
        == 0
    )
    assert mlpath("done", "sql").exit_code == 0  # today: not due for days
    listed = data(mlpath("recall", "--json"), "recall")
    assert list(listed) == ["due", "upcoming", "enrolled"]
    assert [c["id"] for c in listed["due"]] == [
        "foundations/python-basics",
        "foundations/command-line",
    ]
    assert listed["due"][0]["retrievability"] < listed["due"][1]["retrievability"]
    assert [c["id"] for c in listed["upcoming"]] == ["foundations/sql"]
    assert listed["enrolled"] == 3
    assert list(listed["due"][0]) == [
        "id", "title", "due", "last_review", "retrievability", "stability", "reviews", "lapses",
    ]  # fmt: skip
    assert data(mlpath("status", "--json"), "status")["recall_due"] == 2
    assert "Recall     2 finished topics to review" in mlpath("status").stdout


def test_a_rating_is_recorded_undone_and_reopens_on_again(mlpath: Callable[..., Result]) -> None:
    day = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    assert mlpath("done", "python-basics", "--date", day).exit_code == 0
    before = _cards(mlpath)
    rated = data(mlpath("recall", "--next", "--rating", "good", "--json"), "recall")
    assert list(rated) == ["topic", "title", "rating", "due", "days", "reviews", "reopened"]
    assert (rated["topic"], rated["rating"], rated["reviews"], rated["reopened"]) == (
        "foundations/python-basics", "good", 1, False)  # fmt: skip
    assert rated["days"] >= 3
    assert data(mlpath("recall", "--json"), "recall")["due"] == []
    assert mlpath("undo").exit_code == 0  # the rating taken back
    assert _cards(mlpath) == before
    again = data(
        mlpath("recall", "python-basics", "--rating", "again", "--reopen", "--json"), "recall"
    )
    assert again["reopened"] and again["due"] is None
    assert data(mlpath("show", "python-basics", "--json"), "show")["state"] == "started"
    assert data(mlpath("recall", "--json"), "recall")["enrolled"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["python-basics"], "pass --rating again|hard|good|easy"),
        (["python-basics", "--rating", "meh"], "--rating must be one of again, hard, good, easy"),
        (["sql", "--rating", "good"], "foundations/sql is not done"),
        (["python-basics", "--rating", "good", "--reopen"], "--reopen goes with --rating again"),
        (["--rating", "good"], "name a TOPIC or pass --next"),
        (["python-basics", "--next"], "not both"),
        (["pyton-basics", "--rating", "good"], "did you mean"),
    ],
)
def test_recall_refuses_bad_input_in_one_line(
    mlpath: Callable[..., Result], args: list[str], message: str
) -> None:
    assert mlpath("done", "python-basics").exit_code == 0
    result = mlpath("recall", *args)
    assert result.exit_code == 1, result.stdout
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_nothing_due_says_so(mlpath: Callable[..., Result]) -> None:
    assert "Nothing to recall yet" in mlpath("recall").stdout
    assert mlpath("done", "python-basics").exit_code == 0
    assert "Nothing due for recall today." in mlpath("recall").stdout
    result = mlpath("recall", "--next", "--rating", "good")
    assert result.exit_code == 1 and "nothing is due for recall" in result.stderr


def test_reviews_rotate_through_the_self_checks() -> None:
    catalog = load_catalog()
    now = dt.datetime.now(UTC)
    with Store.open(create=True) as store:
        progress.mark(catalog, store, ["foundations/python-basics"], "done")
        checks = catalog.text(catalog.topics["foundations/python-basics"]).checks
        asked = []
        for step in range(3):
            asked.append([n for n, _ in recall.review(catalog, store, "python-basics", now).checks])
            recall.rate(catalog, store, "foundations/python-basics", "good",
                        now=now + dt.timedelta(days=step))  # fmt: skip
    assert all(len(a) == min(2, len(checks)) for a in asked)
    assert len({tuple(a) for a in asked}) > 1 or len(checks) <= 2


def test_on_a_terminal_it_asks_and_offers_to_reopen(mlpath_exe: str, isolated_home: Path) -> None:
    """Through a pseudo-terminal, as a learner types."""
    day = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    subprocess.run([mlpath_exe, "done", "python-basics", "--date", day], check=True,
                   capture_output=True)  # fmt: skip
    main, side = pty.openpty()
    proc = subprocess.Popen([mlpath_exe, "recall", "--next"], stdin=side, stdout=side,
                            stderr=side, env={**os.environ, "TERM": "dumb"})  # fmt: skip
    os.close(side)
    seen = b""

    def until(text: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + 30
        while text not in seen:
            assert time.monotonic() < deadline, seen.decode(errors="replace")
            ready, _, _ = select.select([main], [], [], 1)
            if ready:
                try:
                    seen += os.read(main, 4096)
                except OSError:  # the child closed the terminal
                    break

    until(b"How well did you remember it?")
    os.write(main, b"meh\r")  # not a rating: asked again
    until(b"must be one of again, hard, good, easy, not 'meh'")
    os.write(main, b" Again\r")  # any case, spaces around it
    until(b"to relearn it?")
    os.write(main, b"y\r")
    until(b"Started it again")
    assert proc.wait(timeout=30) == 0
    os.close(main)
    assert b"Without looking, can you still" in seen
    shown = subprocess.run([mlpath_exe, "show", "python-basics", "--json"], capture_output=True,
                           check=True, text=True).stdout  # fmt: skip
    assert '"state": "started"' in shown


def test_undoing_a_reset_keeps_the_finish_day_and_the_ratings(
    mlpath: Callable[..., Result],
) -> None:
    day = (dt.date.today() - dt.timedelta(days=60)).isoformat()
    assert mlpath("done", "sql", "--date", day).exit_code == 0
    assert mlpath("recall", "sql", "--rating", "good").exit_code == 0
    before = _cards(mlpath)
    assert mlpath("reset", "sql").exit_code == 0
    assert data(mlpath("recall", "--json"), "recall")["enrolled"] == 0
    assert mlpath("undo").exit_code == 0
    assert _cards(mlpath) == before  # the same card: its finish and its rating
    assert data(mlpath("show", "sql", "--json"), "show")["day"] == day


def test_again_with_reopen_is_one_change(mlpath: Callable[..., Result]) -> None:
    day = (dt.date.today() - dt.timedelta(days=20)).isoformat()
    assert mlpath("done", "sql", "--date", day).exit_code == 0
    before = _cards(mlpath)
    assert mlpath("recall", "sql", "--rating", "AGAIN", "--reopen").exit_code == 0
    assert data(mlpath("show", "sql", "--json"), "show")["state"] == "started"
    assert mlpath("undo").exit_code == 0  # the rating and the reopening, together
    assert data(mlpath("show", "sql", "--json"), "show")["state"] == "done"
    assert _cards(mlpath) == before


def test_a_bad_rating_is_refused_before_anything_is_shown(mlpath: Callable[..., Result]) -> None:
    assert mlpath("done", "sql").exit_code == 0
    for args in (["--rating", "meh"], ["--rating", "good", "--reopen"]):
        result = mlpath("recall", "sql", *args)
        assert (result.exit_code, result.stdout) == (1, "")


def test_status_counts_only_the_cards_recall_lists(
    mlpath: Callable[..., Result], write_roadmap: Callable[..., Path], isolated_home: Path
) -> None:
    assert mlpath("roadmap", "add", str(write_roadmap())).exit_code == 0
    day = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    assert mlpath("done", "demo/alpha", "--date", day).exit_code == 0
    assert data(mlpath("status", "--json"), "status")["recall_due"] == 1
    (isolated_home / "roadmaps" / "demo.yaml").unlink()  # its roadmap removed by hand
    assert data(mlpath("status", "--json"), "status")["recall_due"] == 0
    assert data(mlpath("recall", "--json"), "recall")["due"] == []


def test_without_breaks_status_counts_what_the_full_check_counts(
    mlpath: Callable[..., Result], write_roadmap: Callable[..., Path]
) -> None:
    """With no break, status counts due cards from their topics alone; at every moment around
    the cards' due times that is the count the check for breaks gives, catalogue filter and
    all (a card of a topic the catalogue no longer has is not counted)."""
    assert mlpath("roadmap", "add", str(write_roadmap())).exit_code == 0
    today = dt.date.today()
    for topic, back in (("demo/alpha", 40), ("demo/beta", 9), ("foundations/sql", 2)):
        day = (today - dt.timedelta(days=back)).isoformat()
        assert mlpath("done", topic, "--date", day).exit_code == 0
    known = set(load_catalog().topics) - {"demo/beta"}
    with Store.open() as store:
        dues = sorted(parse(due) for _, due, _ in recall_store.due_by(store, "9999"))
        assert len(dues) == 3
        for due in dues:
            for now in (due - dt.timedelta(seconds=1), due, due + dt.timedelta(seconds=1)):
                full = sum(
                    1
                    for topic, d, last in recall_store.due_by(store, stamp(now))
                    if topic in known and still_due(d, last, [], now)
                )
                assert progress.recall_due(store, set(), known, now) == full
        assert progress.recall_due(store, set(), known, dues[-1]) == 2  # beta's not counted
