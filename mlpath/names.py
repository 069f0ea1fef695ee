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


def check_slug(value: str) -> str:
    """A project slug given with --set: it must already be what ``slugify`` would make of it."""
    slug = value.strip()
    why = None
    if not slug or len(slug) > MAX_NAME:
        why = f"it must have 1 to {MAX_NAME} characters"
    elif slug.lower() in _WINDOWS_RESERVED:
        why = f"{slug.upper()} is a reserved device name on Windows"
    elif not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug):
        why = "use lowercase ASCII letters, digits and single dashes"
        suggestion = re.sub(r"[^a-z0-9]+", "-", slug.lower()).strip("-")
        if suggestion:
            why += f" (like {suggestion!r})"
    if why:
        raise InvalidInputError(f"cannot use {value!r} as the project slug: {why}")
    return slug


def check_package(value: str) -> str:
    """A package name given with --set: importable, and shadowing nothing in the stdlib."""
    package = value.strip()
    why = None
    if not package or len(package) > MAX_NAME:
        why = f"it must have 1 to {MAX_NAME} characters"
    elif not (package.isascii() and package.isidentifier()):
        why = "it is not a valid Python identifier (ASCII letters, digits and underscores)"
    elif keyword.iskeyword(package) or keyword.issoftkeyword(package):
        why = "it is a Python keyword"
    elif package in sys.stdlib_module_names:
        why = f"it would shadow the standard library's {package} module"
    elif package.lower() in _WINDOWS_RESERVED:
        why = f"{package.upper()} is a reserved device name on Windows"
    if why:
        raise InvalidInputError(f"cannot use {value!r} as the package name: {why}")
    return package
