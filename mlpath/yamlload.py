"""Safe, position-aware YAML loading for files people edit by hand.

PyYAML's own loaders lose the position of every value, keep the last of two duplicate keys
without a word, expand aliases without limit and recurse once per nesting level. Here the
event stream (from the C parser when available) is composed iteratively into plain Python
values while recording where each value and key starts, so that any later problem can be
reported as FILE:LINE:COL. Only the standard YAML tags are accepted: no Python objects.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from mlpath.errors import Problem

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64
# Values that aliases add by repeating what an anchor holds: what a few hundred bytes of
# aliases referring to aliases can blow up into. A plain document is bounded by MAX_BYTES.
MAX_ALIAS_VALUES = 500_000

Path_ = tuple[str | int, ...]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STANDARD_TAG = "tag:yaml.org,2002:"
_COLLECTION_TAGS = {None, "!", _STANDARD_TAG + "seq", _STANDARD_TAG + "map"}
_SCALAR_TAGS = {
    _STANDARD_TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp")
}


@dataclass
class Located:
    """A loaded document plus where each part of it came from (1-based line and column)."""

    file: str
    data: Any
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    raw: dict[Path_, str] = field(default_factory=dict)

    def where(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Position of the node at ``path`` (of its key if asked), else of its nearest ancestor."""
        if key and path in self.keys:
            return self.keys[path]
        while path:
            if path in self.values:
                return self.values[path]
            path = path[:-1]
        return self.values.get((), (1, 1))

    def problem(self, path: Path_, message: str, *, key: bool = False) -> Problem:
        line, col = self.where(path, key=key)
        return Problem(self.file, line, col, message)


class YamlProblem(Exception):
    """The file cannot be read as a YAML document; carries the located problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclass
class _Frame:
    path: Path_
    value: dict[str, Any] | list[Any]
    anchor: str | None
    size: int = 1
    key: str | None = None
    key_at: tuple[int, int] | None = None


def _pos(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _decode(raw: bytes, name: str) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        bad = raw[exc.start : exc.start + 1].hex()
        msg = f"file is not valid UTF-8 (byte 0x{bad}); save it as UTF-8"
        raise YamlProblem(Problem(name, line, col, msg)) from None


def load_file(path: Path, display_name: str | None = None, what: str = "roadmap") -> Located:
    """Read one YAML file (a ``what``: roadmap or track) into plain values with positions, or
    raise YamlProblem."""
    name = display_name or str(path)
    try:
        raw = _read(path, name)
    except FileNotFoundError:
        raise YamlProblem(Problem(name, 1, 1, "no such file")) from None
    except OSError as exc:
        raise YamlProblem(Problem(name, 1, 1, f"cannot read file: {exc.strerror}")) from None
    if len(raw) > MAX_BYTES:
        limit = MAX_BYTES // 1024
        msg = f"file is larger than {limit} KiB; split it into several {what}s"
        raise YamlProblem(Problem(name, 1, 1, msg))
    return load_text(_decode(raw, name), name, what)


def _read(path: Path, name: str) -> bytes:
    """Up to MAX_BYTES + 1 bytes of ``path`` (see ``fileio.open_to_read``: a FIFO that nobody
    writes to reads as empty instead of hanging)."""
    from mlpath.fileio import open_to_read

    try:
        source = open_to_read(path)
    except IsADirectoryError:
        raise YamlProblem(Problem(name, 1, 1, "is a folder, not a file")) from None
    with source:
        return source.read(MAX_BYTES + 1)


def load_text(text: str, name: str, what: str = "roadmap") -> Located:
    """Compose ``text`` (one YAML document) into plain values with positions."""
    try:
        located = _compose_refusing_depth(text, name)
    except yaml.MarkedYAMLError as exc:
        raise YamlProblem(_syntax_problem(exc, text, name)) from None
    except yaml.reader.ReaderError as exc:  # a character YAML forbids, such as NUL
        before = text[: exc.position]
        line = before.count("\n") + 1
        col = exc.position - (before.rfind("\n") + 1) + 1
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        msg = f"character {char} is not allowed in YAML ({exc.reason})"
        raise YamlProblem(Problem(name, line, col, msg)) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(Problem(name, 1, 1, f"YAML error: {exc}".splitlines()[0])) from None
    if located.data is None:
        raise YamlProblem(Problem(name, 1, 1, f"file is empty: expected a {what} mapping"))
    return located


def _compose_refusing_depth(text: str, name: str) -> Located:
    try:
        return _compose(text, name, _Loader)
    except yaml.MarkedYAMLError as exc:
        if _Loader is yaml.SafeLoader or not _is_nesting_refusal(exc):
            raise
    # libyaml refuses nesting beyond its own limit (1,000 levels since 0.2.5) while its scanner
    # looks ahead on a line for keys, so on a line such as [[[[... it can refuse before the
    # composer has seen level MAX_DEPTH + 1. The pure-Python parser reads the same grammar
    # with the same bounded look-ahead, so read it again with that one: the composer then
    # stops where level MAX_DEPTH + 1 opens. Only a document nested that deep pays for this.
    return _compose(text, name, yaml.SafeLoader)


def _is_nesting_refusal(exc: yaml.MarkedYAMLError) -> bool:
    return "nesting" in f"{exc.problem} {exc.context}"


def _depth_problem(name: str, at: tuple[int, int]) -> Problem:
    return Problem(name, at[0], at[1], f"nesting is deeper than {MAX_DEPTH} levels")


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, name: str) -> Problem:
    """A parser's complaint as one line at its position, in words a person can act on."""
    mark = exc.problem_mark or exc.context_mark
    at = _pos(mark)
    if _is_nesting_refusal(exc):  # a parser's own depth limit, below or above ours
        return _depth_problem(name, at)
    index = getattr(mark, "index", -1)
    if 0 <= index < len(text) and text[index] == "\t":
        line_start = max(text.rfind("\n", 0, index), text.rfind("\r", 0, index)) + 1
        if not text[line_start:index].strip(" \t"):
            return Problem(name, *at, "YAML does not allow tabs for indentation; use spaces")
        return Problem(name, *at, "YAML does not allow a tab here; use spaces")
    what = exc.problem or exc.context or "invalid YAML"
    context = f" ({exc.context})" if exc.context and exc.problem else ""
    return Problem(name, *at, f"YAML syntax error: {what}{context}")


def _compose(text: str, name: str, loader: Any) -> Located:
    located = Located(name, None)
    composer = _Composer(located)
    for event in yaml.parse(text, Loader=loader):
        composer.feed(event)
    return located


class _Composer:
    """Builds plain values from parser events without recursion, counting the values that
    aliases add."""

    def __init__(self, located: Located) -> None:
        self.located = located
        self.constructor = SafeConstructor()
        self.resolver = Resolver()
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.stack: list[_Frame] = []
        self.repeated = 0
        self.documents = 0

    def fail(self, at: tuple[int, int], message: str) -> YamlProblem:
        return YamlProblem(Problem(self.located.file, at[0], at[1], message))

    def feed(self, event: Any) -> None:
        at = _pos(event.start_mark)
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise self.fail(at, "expected one YAML document, found several")
        elif isinstance(event, yaml.ScalarEvent):
            if self._wants_key():
                self._key(event.value, at)
            else:
                self._scalar(event, at)
        elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            self._open(event, at)
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            frame = self.stack.pop()
            if frame.anchor:
                self.anchors[frame.anchor] = (frame.value, frame.size)
            self._place(frame.value, frame.size, self.located.values[frame.path])
        elif isinstance(event, yaml.AliasEvent):
            if self._wants_key():
                raise self.fail(at, "mapping keys must be plain text")
            if event.anchor not in self.anchors:
                raise self.fail(at, f"unknown alias *{event.anchor}")
            value, size = self.anchors[event.anchor]
            self.repeated += size
            if self.repeated > MAX_ALIAS_VALUES:
                raise self.fail(
                    at,
                    f"aliases expand to more than {MAX_ALIAS_VALUES:,} values "
                    "(aliases referring to aliases?); refusing to load it",
                )
            self._place(value, size, at)

    def _wants_key(self) -> bool:
        return (
            bool(self.stack)
            and isinstance(self.stack[-1].value, dict)
            and (self.stack[-1].key is None)
        )

    def _child_path(self) -> Path_:
        if not self.stack:
            return ()
        parent = self.stack[-1]
        if isinstance(parent.value, list):
            return (*parent.path, len(parent.value))
        assert parent.key is not None
        return (*parent.path, parent.key)

    def _key(self, key: str, at: tuple[int, int]) -> None:
        frame = self.stack[-1]
        assert isinstance(frame.value, dict)
        if key == "<<":
            raise self.fail(at, "merge keys (<<) are not supported")
        if key in frame.value:
            first = self.located.keys.get((*frame.path, key), at)
            raise self.fail(at, f"duplicate key '{key}' (first defined at line {first[0]})")
        frame.key, frame.key_at = key, at

    def _scalar(self, event: Any, at: tuple[int, int]) -> None:
        tag = event.tag
        if tag is not None and tag != "!" and tag not in _SCALAR_TAGS:
            raise self.fail(at, f"tag {tag} is not allowed")
        if tag is None or tag == "!":
            tag = self.resolver.resolve(  # type: ignore[no-untyped-call]
                ScalarNode, event.value, event.implicit
            )
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            value = self.constructor.construct_object(node)
        except ConstructorError as exc:
            raise self.fail(at, f"invalid value: {exc.problem}") from None
        self._place(value, 1, at, raw=event.value)
        if event.anchor:
            self.anchors[event.anchor] = (value, 1)

    def _open(self, event: Any, at: tuple[int, int]) -> None:
        if self._wants_key():
            raise self.fail(at, "mapping keys must be plain text")
        if event.tag not in _COLLECTION_TAGS:
            raise self.fail(at, f"tag {event.tag} is not allowed")
        if len(self.stack) >= MAX_DEPTH:
            raise YamlProblem(_depth_problem(self.located.file, at))
        path = self._child_path()
        # Record positions now, so that problems inside can point at the container itself.
        self.located.values[path] = at
        if self.stack and self.stack[-1].key_at is not None:
            self.located.keys[path] = self.stack[-1].key_at
        container: dict[str, Any] | list[Any] = (
            [] if isinstance(event, yaml.SequenceStartEvent) else {}
        )
        self.stack.append(_Frame(path, container, event.anchor))

    def _place(self, value: Any, size: int, at: tuple[int, int], raw: str | None = None) -> None:
        path = self._child_path()
        if self.stack:
            parent = self.stack[-1]
            parent.size += size
            if isinstance(parent.value, list):
                parent.value.append(value)
            else:
                assert parent.key is not None
                parent.value[parent.key] = value
                if parent.key_at is not None:
                    self.located.keys[path] = parent.key_at
                parent.key = None
        else:
            self.located.data = value
        self.located.values[path] = at
        if raw is not None:
            self.located.raw[path] = raw
