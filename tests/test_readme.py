"""The README stays true: its Quick start, its command reference and its JSON keys."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from mlpath.cli.app import ALIASES, app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
HIDDEN = {"--install-completion", "--show-completion", "--help", "-h"}


def _synopsis(path: str, command: Any) -> str:
    parts = [path]
    for param in command.params:
        names = [n for n in param.opts if n not in HIDDEN]
        if not names:
            continue
        if param.param_type_name == "argument":
            name = param.metavar or param.name.upper()
            parts.append(name if param.required else f"[{name}]")
            continue
        flag = names[0]
        many = "..." if getattr(param, "multiple", False) else ""
        if param.is_flag:
            parts.append(f"[{flag}]")
        else:
            parts.append(f"[{flag} {param.metavar or param.name.upper()}]{many}")
    return " ".join(parts)


def _commands(group: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        if hasattr(command, "commands"):
            yield from _commands(command, path)
        else:
            yield path, command


COMMANDS = dict(_commands(typer.main.get_command(app), "mlpath"))


def _names(path: str) -> list[str]:
    """``path`` (``mlpath projects update``) and the same under each other name of its group
    (``mlpath project update``): the README may document a command under either."""
    return [path] + [
        path.replace(f"mlpath {name}", f"mlpath {alias}", 1)
        for alias, name in ALIASES.items()
        if path == f"mlpath {name}" or path.startswith(f"mlpath {name} ")
    ]


def test_every_command_is_documented_with_its_options() -> None:
    missing = [
        _synopsis(path, cmd)
        for path, cmd in COMMANDS.items()
        if not any(_synopsis(name, cmd) in README for name in _names(path))
    ]
    assert missing == [], "README command reference is out of step with --help"


def test_readme_documents_no_command_that_does_not_exist() -> None:
    documented = set(re.findall(r"^    (mlpath(?: [a-z][a-z-]*)+)", README, flags=re.M))
    known = {name for path in COMMANDS for name in _names(path)} | {
        " ".join(name.split()[:-1])
        for path in COMMANDS
        for name in _names(path)
        if len(path.split()) > 2
    }
    unknown = sorted(d for d in documented if not any(d.startswith(k) for k in known))
    assert unknown == []


def test_quick_start_has_the_two_command_lines() -> None:
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in quick.splitlines() if line.startswith("    ")]
    assert len(lines) == 2
    assert lines[0].strip().endswith("mlpath status")
    assert lines[1].strip().endswith("pytest -n auto")  # on every core
    # The tests run against the committed lock, and the lock pins every package installed.
    assert "-c requirements/test-lock.txt" in lines[1]


def test_the_lock_pins_every_dependency_of_the_project() -> None:
    import tomllib

    lock = (ROOT / "requirements" / "test-lock.txt").read_text(encoding="utf-8")
    pinned = {
        re.split(r"==", line)[0].lower().replace("_", "-")
        for line in lock.splitlines()
        if line and not line.startswith("#")
    }
    assert all("==" in line for line in lock.splitlines() if line and not line.startswith("#"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    names = {
        re.split(r"[<>=!~\[ ;]", spec, maxsplit=1)[0].lower().replace("_", "-") for spec in wanted
    }
    assert names <= pinned, f"not in the lock (run .ci/lock): {sorted(names - pinned)}"


def test_json_envelope_keys_are_documented() -> None:
    for key in ("schema", "command", "data"):
        assert f"`{key}`" in README
