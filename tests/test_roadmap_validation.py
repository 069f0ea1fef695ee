"""Every kind of roadmap problem is reported as FILE:LINE:COL: message, exit 1, no traceback."""

from __future__ import annotations

import errno
import json
import marshal
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from mlpath.render.output import brief
from tests.cache_file import cache_path, frame, head, joined, parts, retitled
from tests.conftest import DEMO, Result

BOMB = "".join(
    f"{name}: &{name} [{', '.join([prev] * 9)}]\n"
    for name, prev in zip("abcdefg", ["x", "*a", "*b", "*c", "*d", "*e", "*f"], strict=True)
)

DEEP = "nesting is deeper than 64 levels"
DUPLICATE = """\
      - id: {id}
        title: Again
        summary: The same id once more.
        hours: 1
        requires: [{requires}]
"""

CASES: list[tuple[str, str, int, int, str]] = [
    (
        "yaml syntax",
        DEMO.replace("        title: Alpha\n", "        title: Alpha: one\n"),
        10,
        21,
        "YAML syntax error: mapping values are not allowed in this context",
    ),
    (
        "unclosed flow list",
        DEMO.replace("requires: [alpha]", "requires: [alpha"),
        18,
        1,
        "YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence)",
    ),
    ("empty file", "# nothing but a comment\n", 1, 1, "file is empty: expected a roadmap mapping"),
    (
        "not a mapping",
        "- one\n- two\n",
        1,
        1,
        "expected a roadmap mapping at the top, found a list",
    ),
    (
        "unknown field",
        DEMO.replace("        hours: 2\n", "        hours: 2\n        difficulty: hard\n"),
        13,
        9,
        "unknown field 'difficulty' (allowed: id, title, summary, hours, requires, resources, "
        "projects, checks)",
    ),
    (
        "missing field",
        DEMO.replace("        summary: First topic.\n", ""),
        9,
        9,
        "missing required field 'summary'",
    ),
    (
        "wrong type",
        DEMO.replace("        hours: 2\n", "        hours: two\n"),
        12,
        16,
        "'hours' must be a number, not text",
    ),
    (
        "yaml boolean surprise",
        DEMO.replace("        title: Beta\n", "        title: no\n"),
        14,
        16,
        "'title' must be text, not a boolean: YAML reads no as a boolean; "
        'put it in quotes ("no")',
    ),
    (
        "yaml date surprise",
        DEMO.replace("        title: Beta\n", "        title: 2024-01-01\n"),
        14,
        16,
        "'title' must be text, not a date: YAML reads 2024-01-01 as a date; "
        'put it in quotes ("2024-01-01")',
    ),
    (
        "duplicate key",
        DEMO.replace("        hours: 3\n", "        hours: 3\n        hours: 4\n"),
        17,
        9,
        "duplicate key 'hours' (first defined at line 16)",
    ),
    (
        "duplicate stage id",
        DEMO + "  - id: basics\n    title: Again\n    topics:\n      - id: gamma\n"
        "        title: Gamma\n        summary: Third.\n        hours: 1\n",
        18,
        9,
        "duplicate stage id 'basics' (also stage 1)",
    ),
    (
        "duplicate topic id",
        DEMO.replace("      - id: beta", "      - id: alpha"),
        13,
        13,
        "duplicate topic id 'alpha' (first defined at line 9)",
    ),
    (
        # The second alpha's prerequisite is not an edge of the first: no cycle, no crash.
        "duplicate topic id requiring a topic that requires the first",
        DEMO + DUPLICATE.format(id="alpha", requires="beta"),
        18,
        13,
        "duplicate topic id 'alpha' (first defined at line 9)",
    ),
    (
        "duplicate topic id requiring the topic that requires the first",
        DEMO.replace("        requires: [alpha]\n", "").replace(
            "        hours: 2\n", "        hours: 2\n        requires: [beta]\n"
        )
        + DUPLICATE.format(id="beta", requires="alpha"),
        18,
        13,
        "duplicate topic id 'beta' (first defined at line 14)",
    ),
    (
        "duplicate topic id requiring itself",
        DEMO + DUPLICATE.format(id="alpha", requires="alpha"),
        18,
        13,
        "duplicate topic id 'alpha' (first defined at line 9)",
    ),
    (
        "bad slug",
        DEMO.replace("      - id: beta", "      - id: Beta_One"),
        13,
        13,
        "'Beta_One' is not a valid id: use lowercase letters, digits and single hyphens "
        "(for example linear-regression)",
    ),
    (
        "prerequisite names no topic",
        DEMO.replace("requires: [alpha]", "requires: [alpah]"),
        17,
        20,
        "requires 'demo/alpah', which is not a topic; did you mean 'demo/alpha' or 'demo/beta'?",
    ),
    (
        "prerequisite in a missing roadmap",
        DEMO.replace("requires: [alpha]", "requires: [alpha, nowhere/topic]"),
        17,
        27,
        "requires 'nowhere/topic', which is not a topic",
    ),
    (
        "topic requires itself",
        DEMO.replace("requires: [alpha]", "requires: [beta]"),
        17,
        20,
        "a topic cannot require itself",
    ),
    (
        "prerequisite cycle",
        DEMO.replace("        hours: 2\n", "        hours: 2\n        requires: [beta]\n"),
        13,
        20,
        "prerequisite cycle: demo/alpha -> demo/beta -> demo/alpha",
    ),
    (
        "python tag",
        DEMO.replace(
            "        title: Beta\n", '        title: !!python/object/apply:os.system ["echo"]\n'
        ),
        14,
        16,
        "tag tag:yaml.org,2002:python/object/apply:os.system is not allowed",
    ),
    (
        "alias bomb",
        BOMB,
        6,
        32,
        "aliases expand to more than 500,000 values (aliases referring to aliases?); "
        "refusing to load it",
    ),
    # On one line, libyaml reads far enough ahead to meet its own nesting limit (1,000 levels
    # since libyaml 0.2.5) before mlpath's: still mlpath's message, at the 65th level.
    ("deep nesting", "a: " + "[" * 5000 + "]" * 5000 + "\n", 1, 67, DEEP),
    ("deep nesting, spread out", "a: " + "[ " * 5000 + "]" * 5000 + "\n", 1, 130, DEEP),
    ("deep block nesting", "".join(" " * i + "-\n" for i in range(100)), 65, 65, DEEP),
    (
        "tab indentation",
        DEMO.replace("        hours: 3\n", "\thours: 3\n"),
        16,
        1,
        "YAML does not allow tabs for indentation; use spaces",
    ),
    (
        "tab after spaces",
        DEMO.replace("        hours: 3\n", "        \thours: 3\n"),
        16,
        9,
        "YAML does not allow tabs for indentation; use spaces",
    ),
    (
        "tab indenting a list",
        DEMO.replace("  - id: basics", "\t- id: basics"),
        6,
        1,
        "YAML does not allow tabs for indentation; use spaces",
    ),
    (
        "unsupported schema",
        DEMO.replace("schema: 1", "schema: 2"),
        1,
        9,
        "unsupported schema 2; this mlpath reads schema 1",
    ),
    (
        "zero hours",
        DEMO.replace("        hours: 2\n", "        hours: 0\n"),
        12,
        16,
        "'hours' must be greater than 0; got 0",
    ),
    (
        "unknown required roadmap",
        DEMO.replace("stages:\n", "requires: [nowhere]\nstages:\n", 1),
        5,
        12,
        "requires roadmap 'nowhere', which does not exist",
    ),
    (
        "several documents",
        DEMO + "---\nschema: 1\n",
        18,
        1,
        "expected one YAML document, found several",
    ),
    (
        "merge key",
        DEMO.replace("        title: Beta\n", "        <<: {title: Beta}\n"),
        14,
        9,
        "merge keys (<<) are not supported",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "col", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_each_problem_is_located(
    mlpath: Callable[..., Result],
    write_roadmap: Callable[..., Path],
    text: str,
    line: int,
    col: int,
    message: str,
) -> None:
    path = write_roadmap(text)
    result = mlpath("roadmap", "validate", str(path))
    assert result.exit_code == 1
    assert result.stderr == f"{path}:{line}:{col}: {message}\n"
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("data", "line", "col", "message"),
    [
        pytest.param(
            b"schema: 1\nid: d\xe9mo\n",
            2,
            6,
            "file is not valid UTF-8 (byte 0xe9); save it as UTF-8",
            id="not utf-8",
        ),
        pytest.param(
            b"schema: 1\nid: de\x00mo\n",
            2,
            7,
            "character U+0000 is not allowed in YAML (control characters are not allowed)",
            id="nul byte",
        ),
        pytest.param(
            b"#" * (1024 * 1024 + 1),
            1,
            1,
            "file is larger than 1024 KiB; split it into several roadmaps",
            id="too big",
        ),
    ],
)
def test_unreadable_files(
    mlpath: Callable[..., Result],
    write_roadmap: Callable[..., Path],
    data: bytes,
    line: int,
    col: int,
    message: str,
) -> None:
    path = write_roadmap(data)
    result = mlpath("roadmap", "validate", str(path))
    assert result.exit_code == 1
    assert result.stderr == f"{path}:{line}:{col}: {message}\n"


def test_several_problems_all_reported_in_file_order(
    mlpath: Callable[..., Result], write_roadmap: Callable[..., Path]
) -> None:
    text = DEMO.replace("        hours: 2\n", "        hour: 2\n").replace("[alpha]", "[gone]")
    path = write_roadmap(text)
    result = mlpath("roadmap", "validate", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}:9:9: missing required field 'hours'",
        f"{path}:12:9: unknown field 'hour'; did you mean 'hours'?",
    ]  # the bad prerequisite is checked once the file itself is valid


def test_duplicate_roadmap_id_across_files(
    mlpath: Callable[..., Result], write_roadmap: Callable[..., Path]
) -> None:
    first = write_roadmap(DEMO, "one.yaml")
    second = write_roadmap(DEMO, "two.yaml")
    result = mlpath("roadmap", "validate", str(first), str(second))
    assert result.exit_code == 1
    assert result.stdout == f"ok {first}\n"
    assert result.stderr == f"{second}:2:5: roadmap id 'demo' is already used by {first}\n"


def test_byte_order_mark_is_accepted(
    mlpath: Callable[..., Result], write_roadmap: Callable[..., Path]
) -> None:
    path = write_roadmap(b"\xef\xbb\xbf" + DEMO.encode())
    result = mlpath("roadmap", "validate", str(path))
    assert (result.exit_code, result.stdout) == (0, f"ok {path}\n")


def test_valid_file_passes_and_can_require_builtin_topics(
    mlpath: Callable[..., Result], write_roadmap: Callable[..., Path]
) -> None:
    path = write_roadmap(DEMO.replace("[alpha]", "[alpha, foundations/python-basics]"))
    result = mlpath("roadmap", "validate", str(path))
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"ok {path}\n", "")


def test_a_broken_user_roadmap_stops_commands_with_its_location(
    mlpath: Callable[..., Result], isolated_home: Path
) -> None:
    user = isolated_home / "roadmaps"
    user.mkdir(parents=True)
    (user / "mine.yaml").write_text(DEMO.replace("hours: 3", "hours: lots"), encoding="utf-8")
    result = mlpath("status")
    assert result.exit_code == 1
    assert result.stderr == f"{user / 'mine.yaml'}:16:16: 'hours' must be a number, not text\n"


def test_a_corrupt_or_foreign_cache_is_rebuilt(
    mlpath: Callable[..., Result], isolated_home: Path
) -> None:
    assert mlpath("status").exit_code == 0
    cache = cache_path(isolated_home)
    good = cache.read_bytes()
    for junk in ("{not json", '{"key": 1, "roadmaps": [{"id": 3}]}\n', "", "[]"):
        cache.write_text(junk, encoding="utf-8")
        result = mlpath("status", "--json")
        assert result.exit_code == 0, junk
        assert "foundations" in result.stdout
        assert cache.read_bytes() == good


def test_a_cache_from_another_mlpath_version_is_not_used(
    mlpath: Callable[..., Result], isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlpath import roadmaps

    assert mlpath("status").exit_code == 0
    cache = cache_path(isolated_home)
    cache.write_bytes(retitled(cache.read_bytes(), "Foundations", "Stale"))
    assert "Stale" in mlpath("roadmap", "list", "--json").stdout  # same version: cache used
    monkeypatch.setattr(roadmaps, "__version__", "99.0")
    assert "Stale" not in mlpath("roadmap", "list", "--json").stdout
    assert head(cache.read_bytes())["key"][1] == "99.0"


def test_damaged_topic_texts_in_the_cache_are_read_again_from_the_roadmaps(
    mlpath: Callable[..., Result], isolated_home: Path
) -> None:
    # A topic's prose is decoded only when it is shown, so damage there is found late.
    assert mlpath("status").exit_code == 0
    cache = cache_path(isolated_home)
    good = cache.read_bytes()
    graph, texts = parts(good)
    assert graph["roadmaps"][0]["id"] == "foundations"
    shapes: list[list[object]] = [[], [["one field"]], [1, 2]]
    framed = (frame(marshal.dumps(["foundations", rows])) for rows in shapes)
    for damage in [b"[not marshal", *framed]:
        cache.write_bytes(joined(graph, [damage, *texts[1:]]))
        result = mlpath("show", "foundations/python-basics", "--json")
        assert result.exit_code == 0, (damage, result.stderr)
        assert json.loads(result.stdout)["data"]["resources"], damage
        assert cache.read_bytes() == good


def test_an_edited_roadmap_is_validated_again(
    mlpath: Callable[..., Result], isolated_home: Path, write_roadmap: Callable[..., Path]
) -> None:
    mine = isolated_home / "roadmaps"
    mine.mkdir(parents=True)
    (mine / "demo.yaml").write_text(DEMO, encoding="utf-8")
    assert mlpath("show", "demo/beta").exit_code == 0  # cached now
    (mine / "demo.yaml").write_text(
        DEMO.replace("title: Beta", "title: Beta two"), encoding="utf-8"
    )
    assert '"title": "Beta two"' in mlpath("show", "demo/beta", "--json").stdout
    (mine / "demo.yaml").write_text(DEMO.replace("hours: 3", "hours: -3"), encoding="utf-8")
    broken = mlpath("show", "demo/beta")
    assert broken.exit_code == 1
    assert broken.stderr == f"{mine / 'demo.yaml'}:16:16: 'hours' must be greater than 0; got -3\n"


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("a" * 100_000, id="one long name"),
        pytest.param("ab/" * 33_333 + "x.yaml", id="a long path"),
    ],
)
def test_a_path_too_long_for_the_system_is_one_located_line(
    mlpath: Callable[..., Result],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    result = mlpath("roadmap", "validate", name)
    assert result.exit_code == 1
    reason = os.strerror(errno.ENAMETOOLONG)
    # The name is shown by its start and end: a line of 100,000 characters helps nobody.
    assert result.stderr == brief(f"{name}:1:1: cannot read file: {reason}") + "\n"
    assert len(result.stderr) < 500


def _fifo(tmp_path: Path) -> Path:
    os.mkfifo(tmp_path / "odd.yaml")
    return tmp_path / "odd.yaml"


def _folder(tmp_path: Path) -> Path:
    (tmp_path / "odd.yaml").mkdir()
    return tmp_path / "odd.yaml"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(_fifo, "file is empty: expected a roadmap mapping", id="fifo"),
        pytest.param(
            lambda tmp_path: Path("/dev/zero"),
            "file is larger than 1024 KiB; split it into several roadmaps",
            id="endless device",
        ),
        pytest.param(_folder, "is a folder, not a file", id="folder"),
    ],
)
def test_odd_files_are_refused_and_nothing_waits(
    mlpath_exe: str, tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    # A FIFO nobody writes to would keep the open waiting for ever; /dev/zero never ends.
    path = make(tmp_path)
    run = subprocess.run(
        [mlpath_exe, "roadmap", "validate", str(path)],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert (run.returncode, run.stdout, run.stderr) == (1, "", f"{path}:1:1: {message}\n")


def test_a_file_named_twice_does_not_clash_with_itself(
    mlpath: Callable[..., Result], write_roadmap: Callable[..., Path]
) -> None:
    path = write_roadmap(DEMO + DUPLICATE.format(id="alpha", requires="alpha"))
    result = mlpath("roadmap", "validate", str(path), str(path.parent / ".." / "files" / path.name))
    assert result.exit_code == 1
    # One report per file named; each has the one problem the file has.
    problem = f"{path}:18:13: duplicate topic id 'alpha' (first defined at line 9)"
    assert set(result.stderr.splitlines()) == {problem}


def test_a_title_over_several_lines_is_shown_on_one(
    mlpath: Callable[..., Result], write_roadmap: Callable[..., Path]
) -> None:
    """A block scalar or a wrapped string would break every table row it is in."""
    text = DEMO.replace("title: Demo\n", "title: |\n  Demo\n  over   two lines\n").replace(
        "title: Alpha", 'title: "Al\\n   pha"'
    )
    assert mlpath("roadmap", "add", str(write_roadmap(text))).exit_code == 0
    shown = json.loads(mlpath("roadmap", "show", "demo", "--json").stdout)["data"]
    assert shown["title"] == "Demo over two lines"
    assert shown["stages"][0]["topics"][0]["title"] == "Al pha"
    listed = mlpath("roadmap", "list").stdout.splitlines()
    assert any("Demo over two lines" in line for line in listed)
    assert not any(line.strip() in ("Demo", "over two lines") for line in listed)


def test_a_title_of_nothing_but_separators_is_refused_where_it_is(
    mlpath: Callable[..., Result], write_roadmap: Callable[..., Path]
) -> None:
    """Python counts \\x1c to \\x1f as spaces: collapsed, such a title would be empty."""
    path = write_roadmap(DEMO.replace("title: Alpha", 'title: "\\x1c\\x1f"'))
    result = mlpath("roadmap", "add", str(path))
    assert result.exit_code == 1
    assert (
        result.stderr.count("\n") == 1 and "'title' must have a visible character" in result.stderr
    )
    assert f"{path}:" in result.stderr
