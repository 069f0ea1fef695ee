"""Reading one large JSON document a piece at a time, so that memory stays bounded.

An export of years of journal entries can be hundreds of megabytes, and ``json.load`` would
hold all of it, and every object in it, at once. Here the document's top-level object is read
member by member, and a member that is an array element by element: each value is decoded
with the standard library's decoder from a buffer that is refilled from the file as needed.
Only one value at a time is ever held.

Problems are reported where an editor finds them: ``FILE:LINE:COL: message`` for JSON syntax,
with the byte offset for text that is not UTF-8.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Collection, Iterator
from typing import Any, BinaryIO, NoReturn

from mlpath.errors import InvalidInputError

CHUNK = 1 << 20
# No value mlpath accepts is near this size: past it, a value that still does not decode is
# an error, not a value that has not been read in full yet.
MAX_VALUE = 16 << 20
_SPACE = " \t\n\r"


class JsonStream:
    """One JSON document from ``source``, read in pieces."""

    def __init__(self, source: BinaryIO, name: str) -> None:
        self.name = name
        self._source = source
        self._text = codecs.getincrementaldecoder("utf-8")()
        self._decoder = json.JSONDecoder()
        self._buf = ""
        self._pos = 0
        self._eof = False
        self._bytes = 0  # bytes read from the source so far
        self._line = 0  # newlines before the buffer
        self._col = 0  # characters on the current line before the buffer
        self._started = False

    # ------------------------------------------------------------------------ the document

    def is_object(self) -> bool:
        """Whether the document is a JSON object (its members can then be read one by one).
        Anything else is decoded whole, so that a syntax error is reported as such."""
        self._skip_space()
        if self._peek() == "{":
            return True
        self._value()
        self._end()
        return False

    def members(self, streamed: Collection[str] = ()) -> Iterator[tuple[str, Any]]:
        """The top-level object's members in order, as (key, value). A member whose key is in
        ``streamed`` and whose value is an array comes as an iterator of its elements, to be
        read before the next member (what is left of it is skipped). A key that appears
        twice is an error: which of the two counts is not for a reader to guess."""
        self._expect("{")
        seen: set[str] = set()
        self._skip_space()
        if self._peek() == "}":
            self._pos += 1
            self._end()
            return
        while True:
            self._skip_space()
            if self._peek() != '"':
                self._fail("Expecting property name enclosed in double quotes")
            where = self._pos
            key = self._value()
            if key in seen:
                self._fail(f"duplicate key {json.dumps(key)}", where)
            seen.add(key)
            self._skip_space()
            self._expect(":")
            self._skip_space()
            if key in streamed and self._peek() == "[":
                elements = self._elements()
                yield key, elements
                for _ in elements:  # the caller may stop early; the document goes on
                    pass
            else:
                yield key, self._value()
            self._skip_space()
            following = self._peek()
            self._pos += 1
            if following == "}":
                self._end()
                return
            if following != ",":
                self._pos -= 1
                self._fail("Expecting ',' delimiter")

    # --------------------------------------------------------------------------- pieces

    def _elements(self) -> Iterator[Any]:
        self._expect("[")
        self._skip_space()
        if self._peek() == "]":
            self._pos += 1
            return
        while True:
            self._skip_space()
            yield self._value()
            self._skip_space()
            following = self._peek()
            self._pos += 1
            if following == "]":
                return
            if following != ",":
                self._pos -= 1
                self._fail("Expecting ',' delimiter")

    def _value(self) -> Any:
        """Decode the value at the current position, reading on until it is whole."""
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buf, self._pos)
            except RecursionError:
                self._fail(
                    "nesting is too deep for an export (arrays or objects within each other)"
                )
            except json.JSONDecodeError as exc:
                if self._eof or len(self._buf) - exc.pos > MAX_VALUE:
                    self._fail(exc.msg, exc.pos)
                self._fill()
                continue
            if end == len(self._buf) and not self._eof:
                self._fill()  # a number or a word may go on in the next piece
                continue
            self._pos = end
            return value

    def _expect(self, char: str) -> None:
        self._skip_space()
        if self._peek() != char:
            self._fail(f"Expecting '{char}'")
        self._pos += 1

    def _end(self) -> None:
        self._skip_space()
        if self._peek() != "":
            self._fail("Extra data")

    def _peek(self) -> str:
        if self._pos >= len(self._buf) and not self._eof:
            self._fill()
        return self._buf[self._pos] if self._pos < len(self._buf) else ""

    def _skip_space(self) -> None:
        while True:
            while self._pos < len(self._buf) and self._buf[self._pos] in _SPACE:
                self._pos += 1
            if self._pos < len(self._buf) or self._eof:
                return
            self._fill()

    def _fill(self) -> None:
        """Read the next piece of the file onto the buffer, dropping what has been read."""
        if self._pos:
            done = self._buf[: self._pos]
            newlines = done.count("\n")
            self._col = len(done) - done.rfind("\n") - 1 if newlines else self._col + len(done)
            self._line += newlines
            self._buf = self._buf[self._pos :]
            self._pos = 0
        data = self._source.read(CHUNK)
        self._eof = not data
        pending = len(self._text.getstate()[0])
        try:
            text = self._text.decode(data, final=self._eof)
        except UnicodeDecodeError as exc:
            offset = self._bytes - pending + exc.start
            bad = exc.object[exc.start]
            raise InvalidInputError(
                f"{self.name} is not UTF-8 text (byte 0x{bad:02x} at offset {offset})"
            ) from None
        if not self._started:
            self._started = True
            text = text.removeprefix("\ufeff")  # a byte order mark, as some editors write
        self._bytes += len(data)
        self._buf += text

    def _fail(self, message: str, at: int | None = None) -> NoReturn:
        at = self._pos if at is None else at
        line = self._line + self._buf.count("\n", 0, at) + 1
        newline = self._buf.rfind("\n", 0, at)
        col = at - newline if newline >= 0 else self._col + at + 1
        raise InvalidInputError(f"{self.name}:{line}:{col}: {message}")
