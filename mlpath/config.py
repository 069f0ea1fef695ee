"""The settings a learner can change with `mlpath config`, kept in the store's settings table."""

import math
from typing import NamedTuple

from mlpath.errors import InvalidInputError, NotFoundError
from mlpath.roadmaps import suggest
from mlpath.store import Store, registers

WEEKLY_HOURS = "weekly-hours"


class Spec(NamedTuple):
    default: float
    low: float  # exclusive
    high: float  # inclusive
    description: str


SPECS = {
    WEEKLY_HOURS: Spec(
        10.0, 0.0, 168.0, "hours a week you aim to learn: the goal in status and review"
    ),
}


class Setting(NamedTuple):
    key: str
    value: float
    default: float
    description: str


class ConfigResult(NamedTuple):
    settings: list[Setting]


def normalise(key: str, text: str) -> str:
    """The stored form of a value the learner typed, or an error saying what is allowed."""
    spec = _spec(key)
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
    return float(raw) if raw is not None else spec.default


def weekly_goal(store: Store) -> float:
    return value(store, WEEKLY_HOURS)


def show(store: Store) -> ConfigResult:
    return ConfigResult([_setting(store, key) for key in SPECS])


def set_value(store: Store, key: str, text: str) -> Setting:
    stored = normalise(key, text)
    with store.change(f"config set {key} {stored}") as change:
        if registers.setting(store, key) != stored:
            change.record("setting", key, {"value": stored})
    return _setting(store, key)


def unset_value(store: Store, key: str) -> Setting:
    """Go back to a setting's default."""
    _spec(key)
    with store.change(f"config unset {key}") as change:
        if registers.setting(store, key) is not None:
            change.record("setting", key, {"value": None})
    return _setting(store, key)


def _setting(store: Store, key: str) -> Setting:
    spec = SPECS[key]
    return Setting(key, value(store, key), spec.default, spec.description)


def _spec(key: str) -> Spec:
    try:
        return SPECS[key]
    except KeyError:
        known = ", ".join(SPECS)
        hint = suggest(key, SPECS) or f"; settings: {known}"
        raise NotFoundError(f"no setting '{key}'{hint}") from None
