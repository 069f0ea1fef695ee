"""Project names are data: checked, then turned into a folder name and a Python package name."""

from __future__ import annotations

import keyword
import re
import sys
import unicodedata

from mlpath.errors import InvalidInputError

MAX_NAME = 64
_WINDOWS_RESERVED = {
    "con", "prn", "aux", "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}  # fmt: skip


def check_name(name: str) -> str:
    """The name, stripped, or InvalidInputError saying why it cannot name a project."""
    stripped = name.strip()
    why = None
    if not stripped:
        why = "it is empty"
    elif len(stripped) > MAX_NAME:
        why = f"it is longer than {MAX_NAME} characters"
    elif any(mark in stripped for mark in ("{{", "{%", "{#")):
        why = "it contains template syntax ({{, {% or {#)"
    elif "/" in stripped or "\\" in stripped:
        why = "it contains a path separator"
    elif ".." in stripped:
        why = "it contains '..'"
    elif any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in stripped):
        why = "it contains control characters"
    elif stripped[0] in ".-":
        why = "it starts with a dot or a dash"
    if why:
        raise InvalidInputError(f"cannot use {name!r} as a project name: {why}")
    return stripped


def slugify(name: str) -> str:
    """``House Prices 2026!`` -> ``house-prices-2026``: ASCII letters, digits and single dashes."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if not slug:
        raise InvalidInputError(
            f"cannot use {name!r} as a project name: it has no letters or digits that can "
            "name a folder (use ASCII letters or digits)"
        )
    if slug in _WINDOWS_RESERVED:
        raise InvalidInputError(
            f"cannot use {name!r} as a project name: {slug.upper()} is a reserved device "
            "name on Windows"
        )
    return slug


def package_name(slug: str) -> str:
    """A valid, importable package name for ``slug`` that shadows nothing in the stdlib."""
    package = slug.replace("-", "_")
    if package[0].isdigit():
        package = f"project_{package}"
    if keyword.iskeyword(package) or keyword.issoftkeyword(package):
        package = f"{package}_project"
    if package in sys.stdlib_module_names:
        package = f"{package}_project"
    return package
