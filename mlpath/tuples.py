"""``NamedTuple`` for mlpath's record classes, without typing's cost at start-up.

Written exactly as with ``typing.NamedTuple``::

    from mlpath.tuples import NamedTuple

    class Streak(NamedTuple):
        weeks: int
        longest: int = 0

and type-checked as one (mypy sees ``typing.NamedTuple``). At run time, on Python 3.11 to
3.13, the class is ``collections.namedtuple`` with the class body's defaults, methods,
properties and docstring.

Why: typing's version checks every field's annotation when the class is made, and an
annotation written as a string (each one, in a module with postponed evaluation) is compiled
for that. Across the forty-odd record classes a command imports, that was about 3% of
``mlpath status``, for a check that mypy already makes. The annotations are kept as the
class body has them.

Python 3.14 evaluates annotations lazily (PEP 649): typing's version no longer pays that
cost, and a class body no longer holds ``__annotations__``, so there it is typing's own.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

__all__ = ["NamedTuple"]

if TYPE_CHECKING or sys.version_info >= (3, 14):
    from typing import NamedTuple
else:
    import collections

    # What the class statement puts in the body that is not the class's own: the record gets
    # these from collections.namedtuple instead.
    _MADE_BY_PYTHON = frozenset({
        "__module__", "__qualname__", "__annotations__", "__firstlineno__",
        "__static_attributes__",
    })  # fmt: skip
    # What makes it a named tuple, which a class body may not replace (as with typing's).
    _PROTECTED = frozenset({
        "__new__", "__init__", "__slots__", "__getnewargs__", "__classcell__",
        "_fields", "_field_defaults", "_make", "_replace", "_asdict",
    })  # fmt: skip

    class _Record(type):
        def __new__(mcs, name, bases, body):
            if not bases:  # NamedTuple itself
                return super().__new__(mcs, name, bases, body)
            if bases != (NamedTuple,):
                raise TypeError(f"{name}: a NamedTuple can only derive from NamedTuple")
            annotations = body.get("__annotations__", {})
            fields = list(annotations)
            with_default = [f for f in fields if f in body]
            if with_default != fields[len(fields) - len(with_default) :]:
                raise TypeError(f"{name}: a field without a default follows one with a default")
            made = collections.namedtuple(
                name, fields, defaults=[body[f] for f in with_default], module=body["__module__"]
            )
            made.__qualname__ = body["__qualname__"]
            made.__annotations__ = dict(annotations)
            for key, value in body.items():
                if key in _PROTECTED:
                    raise AttributeError(f"{name}: a NamedTuple cannot define {key}")
                if key not in _MADE_BY_PYTHON and key not in annotations:
                    setattr(made, key, value)
            return made

    class NamedTuple(metaclass=_Record):
        """The base of a record class (see the module's docstring)."""
