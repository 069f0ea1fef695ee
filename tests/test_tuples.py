"""mlpath.tuples.NamedTuple behaves as typing.NamedTuple does for mlpath's record classes."""

from __future__ import annotations

import copy
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


def test_the_constructor_names_its_fields_as_namedtuple_does() -> None:
    assert Point(y=2, x=1) == (1, 2, "origin")
    assert Point.__new__.__defaults__ == (0, "origin")
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'x'"):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        Point(1, z=2)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="takes from 2 to 4 positional arguments but 5"):
        Point(1, 2, "a", 4)  # type: ignore[call-arg]


def test_make_replace_match_copy_and_slots() -> None:
    p = Point._make([1, 2, "a"])
    assert type(p) is Point and p == (1, 2, "a")
    with pytest.raises(TypeError, match="Expected 3 arguments, got 2"):
        Point._make([1, 2])
    with pytest.raises(ValueError, match="unexpected field names: \\['z'\\]"):
        p._replace(z=1)  # type: ignore[call-arg]
    match p:
        case Point(x, y):
            assert (x, y) == (1, 2)
    assert copy.copy(p) == p and copy.deepcopy(p) == p
    with pytest.raises(AttributeError):
        p.other = 1  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        p.x = 5  # type: ignore[misc]


def test_records_of_the_same_size_do_not_share_field_names() -> None:
    class Left(NamedTuple):
        a: int
        b: int

    class Right(NamedTuple):
        c: int
        d: int

    assert (Left(b=2, a=1), Right(d=2, c=1)) == ((1, 2), (1, 2))
    assert (Left(1, 2).b, Right(1, 2).d) == (2, 2)
    with pytest.raises(TypeError, match="unexpected keyword argument 'a'"):
        Right(a=1, b=2)  # type: ignore[call-arg]


def test_a_field_name_with_a_leading_underscore_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot start with '_'"):

        class Hidden(NamedTuple):
            _secret: int  # type: ignore[misc]  # mypy refuses it too
