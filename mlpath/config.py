"""The settings a learner can change with `mlpath config`, kept in the store's settings table."""

import datetime as dt
import math
from collections.abc import Sequence

from mlpath.errors import InvalidInputError, NotFoundError
from mlpath.roadmaps import suggest
from mlpath.store import Store, registers
from mlpath.tuples import NamedTuple

WEEKLY_HOURS = "weekly-hours"
GOAL_DATE = "goal-date"


class Spec(NamedTuple):
    default: float | None
    low: float  # exclusive (numbers)
    high: float  # inclusive (numbers)
    description: str
    kind: str = "number"  # number | date (YYYY-MM-DD)


SPECS = {
    WEEKLY_HOURS: Spec(
        10.0, 0.0, 168.0, "hours a week you aim to learn: the goal in status and review"
    ),
    GOAL_DATE: Spec(
        None,
        0.0,
        0.0,
        "the day you aim to finish your path by (status says if you will)",
        "date",
    ),
}


class Setting(NamedTuple):
    key: str
    value: float | str | None  # a number, a date (YYYY-MM-DD), or None: not set
    default: float | None
    description: str


class SettingChange(NamedTuple):
    key: str
    value: float | str | None
    default: float | None
    description: str
    before: float | str | None  # its value before the change


class ConfigResult(NamedTuple):
    settings: list[Setting]


def normalise(key: str, text: str) -> str:
    """The stored form of a value the learner typed, or an error saying what is allowed."""
    spec = _spec(key)
    if spec.kind == "date":
        import re

        from mlpath import dates

        word = text.strip()
        try:
            day = dt.date.fromisoformat(word) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", word) else None
        except ValueError:
            day = None
        if day is None:
            raise InvalidInputError(f"{key} must be a date as YYYY-MM-DD, not '{text}'")
        if not dates.in_range(day):
            raise InvalidInputError(f"{key} must be a date from {dates.RANGE_WORDS}, not '{text}'")
        return day.isoformat()
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not spec.low < value <= spec.high:
        raise InvalidInputError(
            f"{key} must be a number above {spec.low:g} and at most {spec.high:g}, not '{text}'"
        )
    return f"{value:g}"


def value(store: Store, key: str) -> float:
    spec = _spec(key)
    raw = registers.setting(store, key)
    if raw is not None:
        return float(raw)
    assert spec.default is not None
    return spec.default


def goal_date(store: Store) -> dt.date | None:
    raw = registers.setting(store, GOAL_DATE)
    return dt.date.fromisoformat(raw) if raw is not None else None


def weekly_goal(store: Store) -> float:
    return value(store, WEEKLY_HOURS)


def weekly_goal_at(store: Store, moment: dt.datetime) -> float:
    """The weekly goal as it was set at ``moment`` (an aware datetime): settings are events,
    so every earlier value is known. A change counts from its place in the order of changes
    (its hybrid-logical-clock time, which is the wall-clock time it was made unless a clock
    was behind), the same on every machine."""
    return weekly_goals_at(store, [moment])[0]


def weekly_goals_at(store: Store, moments: Sequence[dt.datetime]) -> list[float]:
    """The weekly goal at each of ``moments`` (see ``weekly_goal_at``), its history read once."""
    default = SPECS[WEEKLY_HOURS].default
    assert default is not None
    history = registers.setting_history(store, WEEKLY_HOURS)
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    goals = []
    for moment in moments:
        until = (moment - epoch) // dt.timedelta(microseconds=1)
        raw: str | None = None
        for hlc, _recorded, changed in history:
            if hlc >= until:
                break
            raw = changed
        goals.append(float(raw) if raw is not None else default)
    return goals


def show(store: Store) -> ConfigResult:
    return ConfigResult([_setting(store, key) for key in SPECS])


def get(store: Store, key: str) -> Setting:
    _spec(key)
    return _setting(store, key)


def set_value(store: Store, key: str, text: str, today: dt.date | None = None) -> SettingChange:
    stored = normalise(key, text)
    today = today or dt.date.today()
    if SPECS[key].kind == "date" and dt.date.fromisoformat(stored) <= today:
        raise InvalidInputError(
            f"{key} {stored} is not in the future (today is {today.isoformat()}): "
            "choose a day ahead to plan towards"
        )
    before = _setting(store, key).value
    with store.change(f"config set {key} {stored}") as change:
        if registers.setting(store, key) != stored:
            change.record("setting", key, {"value": stored})
    return SettingChange(*_setting(store, key), before)


def unset_value(store: Store, key: str) -> SettingChange:
    """Go back to a setting's default."""
    _spec(key)
    before = _setting(store, key).value
    with store.change(f"config unset {key}") as change:
        if registers.setting(store, key) is not None:
            change.record("setting", key, {"value": None})
    return SettingChange(*_setting(store, key), before)


def _setting(store: Store, key: str) -> Setting:
    spec = SPECS[key]
    if spec.kind == "date":
        return Setting(key, registers.setting(store, key), None, spec.description)
    return Setting(key, value(store, key), spec.default, spec.description)


def _spec(key: str) -> Spec:
    try:
        return SPECS[key]
    except KeyError:
        known = ", ".join(SPECS)
        hint = suggest(key, SPECS) or f"; settings: {known}"
        raise NotFoundError(f"no setting '{key}'{hint}") from None
