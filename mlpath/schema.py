"""Roadmap and track formats, schema 1, as pydantic models, and the translation of their
errors into located, human messages.

Imported only when a roadmap file has to be validated (a cache miss or `roadmap validate`):
pydantic costs about 40 ms to import, which the hot path does not pay.
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from mlpath.errors import Problem
from mlpath.yamlload import Located

SCHEMA_VERSION = 1
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
TOPIC_REF_PATTERN = r"^(?:[a-z0-9]+(?:-[a-z0-9]+)*/)?[a-z0-9]+(?:-[a-z0-9]+)*$"
RESOURCE_KINDS = ("course", "book", "video", "article", "docs", "exercise", "paper")

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=64)]
TopicRef = Annotated[str, StringConstraints(pattern=TOPIC_REF_PATTERN, max_length=129)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


# A title is one line wherever it is shown (a table row, a heading, a calendar entry): a YAML
# block scalar or a wrapped string has its line breaks and runs of spaces made single spaces.
def _one_line(text: str) -> str:
    line = " ".join(text.split())
    if not line:  # only characters Python counts as spaces (\x1c to \x1f, say)
        raise ValueError("must have a visible character, not only spacing characters")
    return line


Title = Annotated[Text, AfterValidator(_one_line)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://[^\s/$.?#][^\s]*$", max_length=2000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ResourceModel(_Strict):
    """A course, book chapter, doc page, video, article, exercise or paper."""

    title: Title
    url: Url = Field(description="http(s) link to the resource")
    kind: Literal["course", "book", "video", "article", "docs", "exercise", "paper"]


class TopicModel(_Strict):
    """One thing to learn."""

    id: Slug = Field(description="lowercase slug, unique within the roadmap")
    title: Title
    summary: Text = Field(description="what to learn and why it matters for an ML engineer")
    hours: float = Field(gt=0, le=1000, description="focused hours for a typical learner")
    requires: list[TopicRef] = Field(
        default_factory=list,
        description="prerequisite topics: bare id = same roadmap, roadmap/topic = another roadmap",
    )
    resources: list[ResourceModel] = Field(default_factory=list)
    projects: list[Slug] = Field(
        default_factory=list, description="built-in project templates this topic prepares for"
    )
    checks: list[Text] = Field(default_factory=list, description="concrete self-check outcomes")


class StageModel(_Strict):
    """An ordered section of a roadmap."""

    id: Slug
    title: Title
    summary: Text | None = None
    topics: list[TopicModel] = Field(min_length=1)


class RoadmapModel(_Strict):
    """A learning roadmap: ordered stages of ordered topics."""

    schema_version: Literal[1] = Field(alias="schema", description="format version; always 1")
    id: Slug = Field(description="lowercase slug, unique across all roadmaps")
    title: Title
    summary: Text
    requires: list[Slug] = Field(
        default_factory=list, description="roadmaps best done first (advisory)"
    )
    stages: list[StageModel] = Field(min_length=1)


class TrackModel(_Strict):
    """A track: a named selection of topics across roadmaps, closed under prerequisites."""

    schema_version: Literal[1] = Field(alias="schema", description="format version; always 1")
    id: Slug = Field(description="lowercase slug, unique across all tracks")
    title: Title
    summary: Text
    topics: list[TopicRef] = Field(
        min_length=1,
        description="full topic ids (roadmap/topic), in the order to learn them; every "
        "prerequisite of each must be listed too",
    )


# What each kind of file is read as, by the word its messages use.
MODELS: dict[str, type[RoadmapModel | TrackModel]] = {"roadmap": RoadmapModel, "track": TrackModel}


def validate(
    located: Located, kind: str = "roadmap"
) -> tuple[RoadmapModel | TrackModel | None, list[Problem]]:
    """Validate a loaded document against schema 1 of ``kind`` (a roadmap or a track);
    return the model or located problems."""
    if not isinstance(located.data, dict):
        found = _kind(located.data)
        return None, [located.problem((), f"expected a {kind} mapping at the top, found {found}")]
    model = MODELS[kind]
    try:
        return model.model_validate(located.data), []
    except ValidationError as exc:
        problems = [_problem(located, err, model) for err in exc.errors(include_url=False)]
        return None, sorted(set(problems))


def json_schema() -> dict[str, Any]:
    schema = RoadmapModel.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "mlpath roadmap (schema 1)"
    return schema


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dt.datetime | dt.date):
        return "a date"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _field_name(loc: tuple[str | int, ...]) -> str:
    for part in reversed(loc):
        if isinstance(part, str):
            return part
    return "value"


_NESTED: dict[str, type[BaseModel]] = {
    "stages": StageModel,
    "topics": TopicModel,
    "resources": ResourceModel,
}


def _owner_fields(loc: tuple[str | int, ...], root: type[BaseModel]) -> list[str]:
    """The fields allowed in the mapping that holds ``loc``'s last key (in a ``root``)."""
    owner: type[BaseModel] = root
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        nested: type[BaseModel] | None = _NESTED.get(part)
        if nested is None:
            break
        owner = nested
    return [f.alias or name for name, f in owner.model_fields.items()]


def _problem(located: Located, err: Any, root: type[BaseModel]) -> Problem:
    loc: tuple[str | int, ...] = tuple(err["loc"])
    kind: str = err["type"]
    name = _field_name(loc)
    value = err.get("input")
    raw = located.raw.get(loc)

    if kind == "extra_forbidden":
        allowed = _owner_fields(loc, root)
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f" (allowed: {', '.join(allowed)})"
        return located.problem(loc, f"unknown field '{loc[-1]}'{hint}", key=True)
    if kind == "missing":
        where = located.where(loc[:-1])
        return Problem(located.file, *where, f"missing required field '{loc[-1]}'")
    if kind.endswith("_type") or kind in ("model_type", "dict_type", "list_type"):
        return located.problem(loc, _type_message(name, kind, value, raw))
    if kind == "literal_error" and name == "schema":
        return located.problem(loc, f"unsupported schema {value!r}; this mlpath reads schema 1")
    if kind == "literal_error":
        kinds = ", ".join(RESOURCE_KINDS)
        return located.problem(loc, f"'{name}' must be one of {kinds}; got {value!r}")
    if kind == "string_pattern_mismatch":
        return located.problem(loc, _pattern_message(name, loc, value))
    if kind == "too_short" and isinstance(value, list):
        return located.problem(loc, f"'{name}' must have at least one entry")
    if kind == "string_too_short":
        return located.problem(loc, f"'{name}' must not be empty")
    if kind == "string_too_long":
        return located.problem(loc, f"'{name}' is too long")
    if kind == "greater_than":
        return located.problem(loc, f"'{name}' must be greater than 0; got {value!r}")
    if kind == "less_than_equal":
        return located.problem(loc, f"'{name}' must be at most 1000; got {value!r}")
    if kind == "value_error":  # a validator of ours: its message is written to follow the name
        return located.problem(loc, f"'{name}' {err['ctx']['error']}")
    return located.problem(loc, f"'{name}': {err['msg']}")


def _type_message(name: str, kind: str, value: Any, raw: str | None) -> str:
    wanted = {
        "string_type": "text",
        "float_type": "a number",
        "int_type": "a whole number",
        "list_type": "a list",
        "model_type": "a mapping",
        "dict_type": "a mapping",
    }.get(kind, kind.removesuffix("_type"))
    got = _kind(value)
    message = f"'{name}' must be {wanted}, not {got}"
    if kind == "string_type" and raw is not None and not isinstance(value, list | dict):
        # YAML 1.1 reads unquoted yes/no/on/off as booleans and 2024-01-01 as a date.
        message += f': YAML reads {raw} as {got}; put it in quotes ("{raw}")'
    return message


def _pattern_message(name: str, loc: tuple[str | int, ...], value: Any) -> str:
    if name == "url":
        return f"'url' must be an http:// or https:// link; got {value!r}"
    if loc[0] == "topics" and len(loc) == 2:  # a track's topic
        return f"{value!r} is not a topic id: use roadmap/topic, such as foundations/python-basics"
    if name == "requires" and len(loc) > 2:
        return (
            f"{value!r} is not a topic id: use a slug such as linear-regression, "
            "or roadmap/topic for another roadmap"
        )
    return (
        f"{value!r} is not a valid id: use lowercase letters, digits and single hyphens "
        "(for example linear-regression)"
    )
