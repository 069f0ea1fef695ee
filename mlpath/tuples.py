"""``NamedTuple`` for mlpath's record classes, without typing's cost at start-up.

Written exactly as with ``typing.NamedTuple``::

    from mlpath.tuples import NamedTuple

    class Streak(NamedTuple):
        weeks: int
        longest: int = 0

and type-checked as one (mypy sees ``typing.NamedTuple``). At run time, on Python 3.11 to
3.13, the class is a named tuple as ``collections.namedtuple`` makes one (the same fields,
defaults, ``_make``, ``_replace``, ``_asdict``, repr and pickling), with the class body's
methods, properties and docstring.

Why: ``mlpath status`` makes forty-six record classes, and with ``collections.namedtuple``
that was 19 of the 211 million instructions it adds to Typer's start-up. typing's version
also checks every field's annotation when the class is made, and an annotation written as a
string (each one, in a module with postponed evaluation) is compiled for that: a check mypy
already makes. ``collections.namedtuple`` compiles a ``__new__`` for each class from source.
Here the ``__new__`` of each number of fields is compiled once and given each class's field
names (``CodeType.replace``), and the methods every record shares come from one base class
(46 classes: 7.8 million instructions). The annotations are kept as the class body has them.

Python 3.14 evaluates annotations lazily (PEP 649): typing's version no longer pays that
cost, and a class body no longer holds ``__annotations__``, so there it is typing's own.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, ClassVar

__all__ = ["NamedTuple"]

if TYPE_CHECKING or sys.version_info >= (3, 14):
    from typing import NamedTuple
else:
    from types import CodeType, FunctionType

    try:
        from _collections import _tuplegetter  # what collections.namedtuple uses, in C
    except ImportError:  # another Python: the same, as a property
        from operator import itemgetter

        def _tuplegetter(index, doc):
            return property(itemgetter(index), doc=doc)

    # What the class statement puts in the body that is not the class's own.
    _MADE_BY_PYTHON = frozenset({
        "__module__", "__qualname__", "__annotations__", "__firstlineno__",
        "__static_attributes__",
    })  # fmt: skip
    # What makes it a named tuple, which a class body may not replace (as with typing's).
    _PROTECTED = frozenset({
        "__new__", "__init__", "__slots__", "__getnewargs__", "__classcell__",
        "_fields", "_field_defaults", "_make", "_replace", "_asdict",
    })  # fmt: skip
    _NEW_GLOBALS = {"_tuple_new": tuple.__new__}
    _NEW_CODE: dict[int, CodeType] = {}

    def _new_code(count):
        """The code of a ``__new__`` taking ``count`` fields, compiled once per count."""
        code = _NEW_CODE.get(count)
        if code is None:
            args = ", ".join(f"_{i}" for i in range(count))
            space = {}
            exec(f"def __new__(_cls, {args}):\n return _tuple_new(_cls, ({args},))", space)
            code = _NEW_CODE[count] = space["__new__"].__code__
        return code

    class _Fields(tuple):
        """What every record has, as ``collections.namedtuple`` gives it."""

        __slots__ = ()
        _fields = ()
        _field_defaults: ClassVar[dict[str, object]] = {}

        @classmethod
        def _make(cls, iterable):
            made = tuple.__new__(cls, iterable)
            if len(made) != len(cls._fields):
                raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(made)}")
            return made

        def _replace(self, /, **changes):
            made = self._make(map(changes.pop, self._fields, self))
            if changes:
                raise ValueError(f"Got unexpected field names: {list(changes)!r}")
            return made

        def __repr__(self):
            shown = ", ".join(
                f"{name}={value!r}" for name, value in zip(self._fields, self, strict=True)
            )
            return f"{type(self).__name__}({shown})"

        def _asdict(self):
            return dict(zip(self._fields, self, strict=True))

        def __getnewargs__(self):
            return tuple(self)

    def _record(name, fields, defaults, body):
        qualname = body["__qualname__"]
        new = FunctionType(
            _new_code(len(fields)).replace(co_varnames=("_cls", *fields)),
            _NEW_GLOBALS, "__new__", tuple(defaults) or None,
        )  # fmt: skip
        new.__qualname__ = f"{qualname}.__new__"
        space = {
            "__slots__": (),
            "__module__": body["__module__"],
            "__qualname__": qualname,
            "__doc__": f"{name}({', '.join(fields)})",
            "__new__": new,
            "__match_args__": tuple(fields),
            "_fields": tuple(fields),
            "_field_defaults": dict(
                zip(fields[len(fields) - len(defaults) :], defaults, strict=True)
            ),
        }
        for index, field in enumerate(fields):
            space[field] = _tuplegetter(index, f"Alias for field number {index}")
        return type(name, (_Fields,), space)

    class _Record(type):
        def __new__(mcs, name, bases, body):
            if not bases:  # NamedTuple itself
                return super().__new__(mcs, name, bases, body)
            if bases != (NamedTuple,):
                raise TypeError(f"{name}: a NamedTuple can only derive from NamedTuple")
            annotations = body.get("__annotations__", {})
            fields = list(annotations)
            for field in fields:
                if field.startswith("_"):
                    raise ValueError(f"{name}: a field name cannot start with '_': {field}")
            with_default = [f for f in fields if f in body]
            if with_default != fields[len(fields) - len(with_default) :]:
                raise TypeError(f"{name}: a field without a default follows one with a default")
            made = _record(name, fields, [body[f] for f in with_default], body)
            made.__annotations__ = dict(annotations)
            for key, value in body.items():
                if key in _PROTECTED:
                    raise AttributeError(f"{name}: a NamedTuple cannot define {key}")
                if key not in _MADE_BY_PYTHON and key not in annotations:
                    setattr(made, key, value)
            return made

    class NamedTuple(metaclass=_Record):
        """The base of a record class (see the module's docstring)."""
