"""mlpath.tuples.NamedTuple behaves as typing.NamedTuple does for mlpath's record classes."""

from __future__ import annotations

import pickle

import pytest

from mlpath.tuples import NamedTuple


class Point(NamedTuple):
    """A point."""

    x: int
    y: int = 0
    label: str = "origin"

    @property
    def norm(self) -> int:
        return abs(self.x) + abs(self.y)

    def moved(self, by: int) -> Point:
        return self._replace(x=self.x + by)


def test_fields_defaults_methods_and_docstring_are_those_of_the_class_body() -> None:
    p = Point(3)
    assert p == (3, 0, "origin") and isinstance(p, tuple)
    assert (p.x, p.y, p.label, p.norm) == (3, 0, "origin", 3)
    assert p.moved(2) == Point(5) and Point._fields == ("x", "y", "label")
    assert Point._field_defaults == {"y": 0, "label": "origin"}
    assert p._asdict() == {"x": 3, "y": 0, "label": "origin"}
    assert Point.__doc__ == "A point." and Point.__module__ == __name__
    assert Point.__annotations__ == {"x": "int", "y": "int", "label": "str"}
    assert repr(p) == "Point(x=3, y=0, label='origin')"
    assert pickle.loads(pickle.dumps(p)) == p


def test_what_typing_refuses_is_refused() -> None:
    with pytest.raises(TypeError, match="without a default follows"):

        class Bad(NamedTuple):
            a: int = 1
            b: int  # type: ignore[misc]  # mypy refuses it too

    with pytest.raises(AttributeError, match="cannot define _replace"):

        class Worse(NamedTuple):
            a: int

            def _replace(self) -> None: ...  # type: ignore[misc]

    with pytest.raises(TypeError, match="can only derive from NamedTuple"):

        class Mixed(NamedTuple, dict):  # type: ignore[misc, type-arg]
            a: int


def test_annotations_evaluated_when_the_class_is_made_work_the_same() -> None:
    """A module without postponed evaluation hands the class real types, not strings."""
    space: dict[str, object] = {"NamedTuple": NamedTuple, "__name__": "elsewhere"}
    exec("class Pair(NamedTuple):\n    a: int\n    b: list[str] = []\n", space)
    pair = space["Pair"]
    assert pair(1) == (1, []) and pair._fields == ("a", "b")  # type: ignore[attr-defined,operator]
