"""Text from the learner or from files, made safe to print, without changing what it says.

Entries, notes, topic titles, template answers and file names may hold characters a terminal
acts on instead of showing (an escape sequence can retitle the window or clear the screen).
The store and JSON keep text exactly; what reaches a terminal shows those characters as
visible escapes, and JSON writes them as ``\\u`` escapes, which read back the same.
"""

from __future__ import annotations

import re

# What a terminal would act on rather than show: C0 controls but tab and newline, DEL, C1
# controls (U+0080-009F, which some terminals read as escape sequences), the bidirectional
# overrides and isolates that can reorder what is shown (U+202A-202E, U+2066-2069), and lone
# surrogates (bytes that were not UTF-8, as Python decodes a command line). Every one of them
# is unprintable to ``str.isprintable``, so printable text needs no search. The patterns are
# text: `re` compiles each on first use and caches it, and most runs never search.
_UNSAFE = r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
# In JSON, which escapes C0 itself: the rest of the same set.
_UNSAFE_IN_JSON = r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"


def _visible(found: re.Match[str]) -> str:
    code = ord(found.group())
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, as surrogateescape keeps it
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """``text`` with everything a terminal would act on shown as a visible escape."""
    if text.isprintable():
        return text
    return re.sub(_UNSAFE, _visible, text)


def json_safe(document: str) -> str:
    """A JSON text with the characters a terminal would act on written as ``\\u`` escapes:
    the same JSON value, safe to print and always encodable as UTF-8."""
    return re.sub(_UNSAFE_IN_JSON, lambda m: f"\\u{ord(m.group()):04x}", document)


_LONG_WORD = r"\S{201,}"
MAX_MESSAGE = 2000


def brief(message: str) -> str:
    """An error message short enough to read: a value quoted in it that runs to hundreds of
    characters (a pasted file, a runaway argument) is shown by its start and end."""

    def elide(found: re.Match[str]) -> str:
        word = found.group()
        return f"{word[:80]}…({len(word):,} characters)…{word[-20:]}"

    message = re.sub(_LONG_WORD, elide, message)
    if len(message) > MAX_MESSAGE:
        message = f"{message[: MAX_MESSAGE - 300]} … {message[-200:]}"
    return message
