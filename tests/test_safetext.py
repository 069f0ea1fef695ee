"""Text made safe for a terminal: the quick way out for printable text loses nothing."""

from __future__ import annotations

import re
import sys

from mlpath import safetext
from mlpath.safetext import brief, json_safe, terminal_safe


def test_every_character_the_terminal_acts_on_is_unprintable() -> None:
    """``terminal_safe`` returns printable text untouched without searching it, which is
    right only if no character it must escape is printable: checked for every code point."""
    unsafe = re.compile(safetext._UNSAFE)
    found = [cp for cp in range(sys.maxunicode + 1) if unsafe.fullmatch(chr(cp))]
    assert len(found) == 9 + 21 + 33 + 5 + 4 + 2048  # the ranges the pattern names
    assert not [hex(cp) for cp in found if chr(cp).isprintable()]


def test_unsafe_characters_become_visible_escapes_and_the_rest_stays() -> None:
    assert terminal_safe("plain text · ünïcode") == "plain text · ünïcode"
    assert terminal_safe("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert terminal_safe("tab\tand\nnewline stay") == "tab\tand\nnewline stay"
    assert terminal_safe("left\u202eright\x85") == "left\\u202eright\\x85"
    assert terminal_safe("byte \udcff") == "byte \\xff"
    assert json_safe('"\u2066x\x7f"') == '"\\u2066x\\u007f"'


def test_brief_shortens_a_runaway_value() -> None:
    short = brief("bad value " + "x" * 5000)
    assert short.startswith("bad value " + "x" * 80 + "…(5,000 characters)…")
    assert len(short) < 200
