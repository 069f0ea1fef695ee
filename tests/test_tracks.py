"""`mlpath track ...`: named selections of topics across roadmaps, validated like roadmaps,
cached with them, and followed as the learner's path by status, next and plan."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mlpath import paths
from mlpath.cli.app import _app_for
from mlpath.roadmaps import build_catalog, roadmap_files, track_files
from tests.cache_file import cache_path, head
from tests.conftest import DEMO, Result
from tests.test_cli import CORE, _env, data

Run = Callable[..., Result]
ROOT = Path(__file__).resolve().parents[1]

OTHER = """\
schema: 1
id: other
title: Other
summary: Another small roadmap for tests.
stages:
  - id: more
    title: More
    topics:
      - id: gamma
        title: Gamma
        summary: Third topic.
        hours: 4
        requires: [demo/alpha]
      - id: delta
        title: Delta
        summary: Fourth topic.
        hours: 5
"""

# Listed out of prerequisite order on purpose: gamma requires demo/alpha, listed after it.
MINI = """\
schema: 1
id: mini
title: Mini track
summary: Three topics of two roadmaps, for tests.
topics:
  - other/delta
  - other/gamma
  - demo/alpha
"""

SOLO = """\
schema: 1
id: solo
title: Solo track
summary: One topic.
topics:
  - demo/beta
  - demo/alpha
"""


@pytest.fixture
def home(isolated_home: Path) -> Path:
    """$MLPATH_HOME with the roadmaps demo and other, and the tracks mini and solo."""
    for folder, files in (("roadmaps", {"demo": DEMO, "other": OTHER}),
                          ("tracks", {"mini": MINI, "solo": SOLO})):  # fmt: skip
        (isolated_home / folder).mkdir(parents=True)
        for name, text in files.items():
            (isolated_home / folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return isolated_home


def status(mlpath: Run, *args: str) -> Any:
    return data(mlpath("status", *args, "--json"), "status")


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in rows]


# ------------------------------------------------------------------------------ validation

TRACK = """\
schema: 1
id: demo-track
title: Demo track
summary: Two topics for tests.
topics:
  - demo/alpha
  - demo/beta
"""

PROBLEMS = [
    pytest.param(
        TRACK.replace("summary:", "level: junior\nsummary:"),
        ["4:1: unknown field 'level' (allowed: schema, id, title, summary, topics)"],
        id="unknown field",
    ),
    pytest.param(
        TRACK.replace("title:", "titel:"),
        [
            "1:1: missing required field 'title'",
            "3:1: unknown field 'titel'; did you mean 'title'?",
        ],
        id="misspelt field",
    ),
    pytest.param(
        TRACK.replace("id: demo-track", "id: Demo Track"),
        [
            "2:5: 'Demo Track' is not a valid id: use lowercase letters, digits and single hyphens "
            "(for example linear-regression)"
        ],
        id="bad slug",
    ),
    pytest.param(
        TRACK.replace("title: Demo track", "title: yes"),
        [
            "3:8: 'title' must be text, not a boolean: YAML reads yes as a boolean; "
            'put it in quotes ("yes")'
        ],
        id="strict types",
    ),
    pytest.param(
        TRACK.split("topics:", 1)[0] + "topics: []\n",
        ["5:9: 'topics' must have at least one entry"],
        id="empty topics",
    ),
    pytest.param(
        TRACK.replace("  - demo/alpha", "  - alpha"),
        ["6:5: 'alpha' is not a full topic id (roadmap/topic); did you mean 'demo/alpha'?"],
        id="bare id",
    ),
    pytest.param(
        TRACK.replace("  - demo/beta", "  - demo/betta"),
        ["7:5: 'demo/betta' is not a topic; did you mean 'demo/beta' or 'demo/alpha'?"],
        id="no such topic",
    ),
    pytest.param(
        TRACK.replace("  - demo/beta", "  - Demo/Beta"),
        [
            "7:5: 'Demo/Beta' is not a topic id: use roadmap/topic, such as "
            "foundations/python-basics"
        ],
        id="not a topic id",
    ),
    pytest.param(
        TRACK + "  - demo/alpha\n",
        ["8:5: duplicate topic 'demo/alpha' (first listed at line 6)"],
        id="duplicate topic",
    ),
    pytest.param(
        TRACK.replace("  - demo/alpha\n", ""),
        ["6:5: 'demo/beta' requires 'demo/alpha', which the track does not include"],
        id="not closed under prerequisites",
    ),
    pytest.param(
        TRACK.replace("schema: 1", "schema: 2"),
        ["1:9: unsupported schema 2; this mlpath reads schema 1"],
        id="schema",
    ),
    pytest.param(
        "- demo/alpha\n",
        ["1:1: expected a track mapping at the top, found a list"],
        id="not a mapping",
    ),
    pytest.param("# nothing\n", ["1:1: file is empty: expected a track mapping"], id="empty"),
]


@pytest.mark.parametrize(("text", "problems"), PROBLEMS)
def test_each_problem_is_one_located_line(
    mlpath: Run, home: Path, write_roadmap: Callable[..., Path], text: str, problems: list[str]
) -> None:
    path = write_roadmap(text, "track.yaml")
    result = mlpath("track", "validate", str(path))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [f"{path}:{p}" for p in problems]
    as_json = data_of_failure(mlpath("track", "validate", str(path), "--json"))
    assert as_json["files"] == [{"file": str(path), "ok": False,
                                 "problems": [f"{path}:{p}" for p in problems]}]  # fmt: skip


def data_of_failure(result: Result) -> Any:
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["command"] == "track validate"
    return document["data"]


def test_a_valid_track_passes_whatever_its_order(
    mlpath: Run, home: Path, write_roadmap: Callable[..., Path]
) -> None:
    # The order is a preference: beta before its prerequisite alpha is allowed.
    path = write_roadmap(TRACK.replace("  - demo/alpha\n", "") + "  - demo/alpha\n", "t.yaml")
    result = mlpath("track", "validate", str(path))
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"ok {path}\n", "")


def test_two_tracks_with_one_id_clash(
    mlpath: Run, home: Path, write_roadmap: Callable[..., Path]
) -> None:
    first, second = write_roadmap(TRACK, "one.yaml"), write_roadmap(TRACK, "two.yaml")
    result = mlpath("track", "validate", str(first), str(second))
    assert result.exit_code == 1
    assert result.stdout == f"ok {first}\n"
    assert result.stderr == f"{second}:2:5: track id 'demo-track' is already used by {first}\n"
    # An installed track with the id of the file being checked gives way to it.
    installed = home / "tracks" / "mini.yaml"
    again = mlpath("track", "validate", str(write_roadmap(MINI, "mini-edited.yaml")))
    assert again.exit_code == 0, again.stderr
    # Two installed files with one id stop every command, as two such roadmaps do.
    (home / "tracks" / "copy.yaml").write_text(MINI, encoding="utf-8")
    broken = mlpath("status")
    assert broken.exit_code == 1
    assert broken.stderr == (
        f"{home / 'tracks' / 'mini.yaml'}:2:5: track id 'mini' is already used by "
        f"{home / 'tracks' / 'copy.yaml'}\n"
    )
    assert installed.exists()


def test_a_track_that_would_clash_in_every_command_does_not_pass_validate(
    mlpath: Run, home: Path, write_roadmap: Callable[..., Path]
) -> None:
    """`validate` said ok to a file with the built-in track's id, or to one of two installed
    files with one id, and then every command stopped at it."""
    builtin = paths.builtin_tracks_dir() / "junior-ml-engineer.yaml"
    taken = TRACK.replace("id: demo-track", "id: junior-ml-engineer")
    installed = home / "tracks" / "junior.yaml"
    installed.write_text(taken, encoding="utf-8")
    for path in (write_roadmap(taken, "junior.yaml"), installed):
        result = mlpath("track", "validate", str(path))
        assert (result.exit_code, result.stdout) == (1, "")
        assert result.stderr == (
            f"{path}:2:5: track id 'junior-ml-engineer' is already used by {builtin}\n"
        )
    installed.unlink()
    # Two installed files with one id: whichever is checked, it is told (it comes first
    # or last in the folder).
    mini, copy = home / "tracks" / "mini.yaml", home / "tracks" / "copy.yaml"
    copy.write_text(MINI, encoding="utf-8")
    for checked, other in ((mini, copy), (copy, mini)):
        result = mlpath("track", "validate", str(checked))
        assert result.stderr == f"{checked}:2:5: track id 'mini' is already used by {other}\n"
    # A file from elsewhere with an installed track's id is a new version of it: fine.
    copy.unlink()
    assert mlpath("track", "validate", str(write_roadmap(MINI, "mini.yaml"))).exit_code == 0


def test_a_track_file_too_big_says_so_as_a_track(
    mlpath: Run, home: Path, write_roadmap: Callable[..., Path]
) -> None:
    from mlpath.yamlload import MAX_BYTES

    path = write_roadmap(TRACK + "  - demo/alpha\n" * (MAX_BYTES // 14), "huge.yaml")
    result = mlpath("track", "validate", str(path))
    assert result.stderr == (
        f"{path}:1:1: file is larger than {MAX_BYTES // 1024} KiB; split it into several tracks\n"
    )


def test_a_broken_user_track_stops_commands_with_its_location(mlpath: Run, home: Path) -> None:
    mine = home / "tracks" / "solo.yaml"
    mine.write_text(SOLO.replace("  - demo/alpha\n", "  - demo/alfa\n  - demo/gamma\n"),
                    encoding="utf-8")  # fmt: skip
    result = mlpath("status")
    assert result.exit_code == 1
    assert result.stderr == (
        f"{mine}:6:5: 'demo/beta' requires 'demo/alpha', which the track does not include "
        "(and 2 more; run `mlpath track validate` on the file)\n"
    )
    assert mlpath("track", "validate", str(mine)).stderr.splitlines() == [
        f"{mine}:6:5: 'demo/beta' requires 'demo/alpha', which the track does not include",
        f"{mine}:7:5: 'demo/alfa' is not a topic; did you mean 'demo/alpha' or 'demo/beta'?",
        f"{mine}:8:5: 'demo/gamma' is not a topic; did you mean 'other/gamma'?",
    ]


def test_a_dangling_link_among_the_tracks_is_one_located_line(mlpath: Run, home: Path) -> None:
    """It crashed every command: the cache key stats each file before anything reads it."""
    link = home / "tracks" / "gone.yaml"
    link.symlink_to(home / "nowhere.yaml")
    result = mlpath("status")
    assert (result.exit_code, result.stderr) == (1, f"{link}:1:1: no such file\n")


def test_every_builtin_track_is_valid_and_closed(mlpath: Run) -> None:
    builtin = sorted(paths.builtin_tracks_dir().glob("*.yaml"))
    assert [p.name for p in builtin] == ["junior-ml-engineer.yaml"]
    result = mlpath("track", "validate", *map(str, builtin))
    assert (result.exit_code, result.stderr) == (0, "")
    catalog, problems = build_catalog(roadmap_files(), tracks=track_files())
    assert problems == []
    for track in catalog.tracks.values():
        listed = set(track.topics)
        assert all(set(catalog.topics[t].requires) <= listed for t in track.topics), track.id


def test_the_junior_track_is_a_junior_role_core(mlpath: Run) -> None:
    # The seeds: a junior role's core is 3-4 months of full-time study (about 550-700 hours).
    shown = data(mlpath("track", "show", "junior-ml-engineer", "--json"), "track show")
    assert shown["title"] == "Junior ML engineer"
    assert 550 <= shown["hours_total"] <= 700
    topics = {t["id"] for r in shown["roadmaps"] for t in r["topics"]}
    assert {
        "foundations/python-basics", "foundations/learning-in-public",
        "machine-learning/gradient-boosting", "deep-learning/retrieval-augmented-generation",
        "mlops/monitoring-drift", "mlops/capstone", "mlops/portfolio-and-cv",
    } <= topics  # fmt: skip


def test_tracks_ship_in_the_wheel_and_are_not_read_as_roadmaps(tmp_path: Path) -> None:
    assert all("tracks" not in p.parts for p, _ in roadmap_files())
    built = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "mlpath/roadmaps/tracks/junior-ml-engineer.yaml" in names
    assert "mlpath/tracks.py" in names


# ------------------------------------------------------------------------ list and show


def test_list_shows_every_track(mlpath: Run, home: Path) -> None:
    assert mlpath("done", "demo/alpha").exit_code == 0
    items = data(mlpath("track", "list", "--json"), "track list")
    assert ids(items) == ["junior-ml-engineer", "mini", "solo"]  # built in first, then by id
    assert list(items[0]) == [
        "id", "title", "summary", "topics", "hours", "finished", "percent", "followed",
        "builtin", "source",
    ]  # fmt: skip
    mini = items[1]
    assert (mini["topics"], mini["hours"], mini["finished"], mini["percent"]) == (3, 11.0, 1, 33.3)
    assert (mini["followed"], mini["builtin"], items[0]["builtin"]) == (False, False, True)
    assert mini["source"] == str(home / "tracks" / "mini.yaml")
    rows = [line.split() for line in mlpath("track", "list").stdout.splitlines()]
    assert ["mini", "Mini", "track", "3", "topics", "11", "h", "1/3", "33%", "custom"] in rows
    (home / "tracks" / "one.yaml").write_text(MINI.replace("id: mini", "id: one").split(
        "  - other/delta")[0] + "  - other/delta\n", encoding="utf-8")  # fmt: skip
    rows = [line.split() for line in mlpath("track", "list").stdout.splitlines()]
    assert ["one", "Mini", "track", "1", "topic", "5", "h", "0/1", "0%", "custom"] in rows


def test_show_an_unfollowed_track(mlpath: Run, home: Path) -> None:
    assert mlpath("start", "other/delta").exit_code == 0
    shown = data(mlpath("track", "show", "mini", "--json"), "track show")
    assert list(shown) == [
        "id", "title", "summary", "followed", "builtin", "source", "topics", "finished",
        "percent", "hours_total", "hours_left", "finish", "pace", "next", "roadmaps",
    ]  # fmt: skip
    assert (shown["followed"], shown["topics"], shown["finished"]) == (False, 3, 0)
    assert (shown["hours_total"], shown["hours_left"]) == (11.0, 11.0)
    assert shown["pace"] == {"hours_per_week": 10.0, "weeks": 0, "source": "goal"}
    assert shown["finish"] is not None  # 11 h at 10 h a week: the Sunday of next week
    # Ready within the track, in progress first: gamma waits on alpha.
    assert ids(shown["next"]) == ["other/delta", "demo/alpha"]
    assert [(r["id"], r["total"], ids(r["topics"])) for r in shown["roadmaps"]] == [
        ("other", 2, ["other/delta", "other/gamma"]),
        ("demo", 1, ["demo/alpha"]),
    ]
    assert shown["roadmaps"][0]["topics"][0]["state"] == "started"
    # Looking at a track follows nothing.
    assert ids(status(mlpath)["roadmaps"]) == CORE
    text = mlpath("track", "show", "mini").stdout
    assert "Make it your path with `mlpath track follow mini`." in text
    missing = mlpath("track", "show", "minni")
    assert (missing.exit_code, missing.stderr) == (
        1,
        "error: no track 'minni'; did you mean 'mini'?\n",
    )
    # With no close match, the tracks there are: a few of them, however many there are.
    for i in range(10):
        (home / "tracks" / f"t{i:03}.yaml").write_text(SOLO.replace("id: solo", f"id: t{i:03}"),
                                                      encoding="utf-8")  # fmt: skip
    assert mlpath("track", "show", "zzz").stderr == (
        "error: no track 'zzz'; tracks: junior-ml-engineer, mini, solo, t000, t001 and 8 more "
        "(`mlpath track list`)\n"
    )


def test_a_finished_track_is_finished_whatever_the_path(mlpath: Run, home: Path) -> None:
    """`show` said "nothing left on your path" for a finished track the learner does not
    follow, with the whole path ahead of them."""
    assert mlpath("skip", "demo/alpha", "demo/beta").exit_code == 0
    lines = mlpath("track", "show", "solo").stdout.splitlines()
    assert "Finish     nothing left in this track" in lines
    assert "Every topic of this track is finished. Well done!" in lines


# -------------------------------------------------------------------------------- following


def test_following_a_track_makes_it_the_path(mlpath: Run, home: Path) -> None:
    before = status(mlpath)
    followed = data(mlpath("track", "follow", "mini", "--json"), "track follow")
    assert (followed["track"], followed["was"], followed["changed"]) == ("mini", None, True)
    assert followed["before"] == {"track": None, "roadmaps": CORE, "topics": sum(
        r["total"] for r in before["roadmaps"]), "hours_left": before["hours_left"]}  # fmt: skip
    assert followed["after"] == {"track": "mini", "roadmaps": ["other", "demo"], "topics": 3,
                                 "hours_left": 11.0}  # fmt: skip

    now = status(mlpath)
    assert [(r["id"], r["total"], r["hours_total"]) for r in now["roadmaps"]] == [
        ("other", 2, 9.0), ("demo", 1, 2.0),
    ]  # fmt: skip
    assert now["track"] == {"id": "mini", "title": "Mini track", "topics": 3, "finished": 0,
                            "percent": 0.0, "hours_total": 11.0, "hours_left": 11.0}  # fmt: skip
    assert now["track_missing"] is None
    assert now["hours_left"] == 11.0
    assert ids(now["next"]) == ["other/delta", "demo/alpha"]
    assert [r["id"] for r in now["finish"]["roadmaps"]] == ["other", "demo"]
    nexts = data(mlpath("next", "-n", "50", "--json"), "next")
    assert (ids(nexts["topics"]), nexts["roadmaps"]) == (["other/delta", "demo/alpha"],
                                                         ["other", "demo"])  # fmt: skip
    plan = data(mlpath("plan", "--json"), "plan")
    planned = [s["topic"] for w in plan["weeks"] for s in w["topics"] if s["last"]]
    assert planned == ["other/delta", "demo/alpha", "other/gamma"]  # prerequisites first
    assert (plan["roadmaps"], plan["hours_left"]) == (["other", "demo"], 11.0)
    # --roadmap still shows all of a roadmap: demo/beta is not in the track.
    assert [r["total"] for r in status(mlpath, "--roadmap", "demo")["roadmaps"]] == [2]
    assert status(mlpath, "--roadmap", "demo")["track"] is None

    assert mlpath("done", "demo/alpha", "other/delta").exit_code == 0
    done = status(mlpath)["track"]
    assert (done["finished"], done["percent"], done["hours_left"]) == (2, 66.7, 4.0)
    text = mlpath("status").stdout
    assert "Track      Mini track  mini · 2/3 topics · 66.7% · 4 h left" in text.splitlines()
    assert text.startswith("Your path · a track across 2 roadmaps · 4 h left\n")
    assert data(mlpath("track", "list", "--json"), "track list")[1]["followed"] is True

    # Following a roadmap meanwhile is kept, and says that the track is still the path.
    kept = mlpath("roadmap", "follow", "other")
    assert kept.exit_code == 0 and "While you follow the track mini" in kept.stdout
    assert data(mlpath("roadmap", "follow", "other", "--json"), "roadmap follow")["track"] == "mini"
    assert status(mlpath)["track"]["id"] == "mini"


def test_following_another_track_replaces_it_and_unfollow_goes_back(
    mlpath: Run, home: Path
) -> None:
    assert mlpath("track", "follow", "mini").exit_code == 0
    second = data(mlpath("track", "follow", "solo", "--json"), "track follow")
    assert (second["track"], second["was"], second["before"]["track"]) == ("solo", "mini", "mini")
    assert ids(status(mlpath)["roadmaps"]) == ["demo"]
    assert status(mlpath)["track"]["id"] == "solo"
    assert [t["followed"] for t in data(mlpath("track", "list", "--json"), "track list")] == [
        False, False, True,
    ]  # fmt: skip
    text = mlpath("track", "follow", "mini").stdout.splitlines()
    assert text == [
        "Following track mini: status, next and plan now cover its 3 topics, 11 h left.",
        "Instead of track solo (2 topics, 5 h left); `mlpath track unfollow` goes back.",
    ]
    assert mlpath("track", "follow", "mini").stdout == (
        "Already following track mini; nothing to change.\n"
    )

    back = data(mlpath("track", "unfollow", "--json"), "track unfollow")
    assert (back["track"], back["was"], back["changed"]) == (None, "mini", True)
    assert back["after"]["roadmaps"] == CORE
    assert ids(status(mlpath)["roadmaps"]) == CORE
    assert status(mlpath)["track"] is None
    assert mlpath("track", "unfollow").stdout == "No track is followed; nothing to change.\n"
    # Following a track leaves the followed roadmaps as they were.
    assert mlpath("roadmap", "follow", "nlp").exit_code == 0
    assert mlpath("track", "follow", "solo").exit_code == 0
    assert mlpath("track", "unfollow").exit_code == 0
    assert ids(status(mlpath)["roadmaps"]) == [*CORE, "nlp"]


def test_a_follow_tells_what_it_did_when_another_terminal_follows_at_once(home: Path) -> None:
    """What was followed is read in the change's own transaction: read before it, a follow
    another terminal made a moment earlier went unseen, and `follow` said it changed what it
    had not (or, the other way, that there was nothing to change when there was)."""
    from mlpath import tracks
    from mlpath.roadmaps import load_catalog
    from mlpath.store import Store

    catalog = load_catalog()
    with Store.open(create=True) as store, Store.open(create=True) as other:
        begin = store.change

        def after_the_other_terminal(command: str) -> Any:
            tracks.follow(catalog, other, "solo")
            return begin(command)

        store.change = after_the_other_terminal  # type: ignore[method-assign]
        same = tracks.follow(catalog, store, "solo")
        assert (same.was, same.changed, same.before.track) == ("solo", False, "solo")
        store.change = begin  # type: ignore[method-assign]
        tracks.follow(catalog, store, None)
        store.change = after_the_other_terminal  # type: ignore[method-assign]
        back = tracks.follow(catalog, store, None)
        assert (back.was, back.changed, back.after.track) == ("solo", True, None)


def test_undo_takes_a_follow_back(mlpath: Run, home: Path) -> None:
    assert mlpath("track", "follow", "mini").exit_code == 0
    assert mlpath("track", "follow", "solo").exit_code == 0
    assert mlpath("undo").stdout.splitlines()[:2] == [
        f"Undid track follow solo  ({last_change_time(mlpath)})",
        "  followed track: solo → mini",
    ]
    assert status(mlpath)["track"]["id"] == "mini"
    undone = mlpath("undo").stdout.splitlines()
    assert undone[1] == "  followed track: mini → none"
    assert status(mlpath)["track"] is None
    assert mlpath("redo").exit_code == 0
    assert status(mlpath)["track"]["id"] == "mini"


def last_change_time(mlpath: Run) -> str:
    from mlpath.render.output import local_time

    changes = data(mlpath("undo", "--list", "--json"), "undo --list")["changes"]
    return local_time(next(c["at"] for c in changes if c["command"] == "track follow solo"))


def test_the_follow_is_a_setting_event_that_exports_and_imports(
    mlpath: Run, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An event of a kind an older mlpath knows, with a target it keeps without a use for it:
    an older mlpath refuses a sync file at an unknown kind, but not at a new setting."""
    assert mlpath("track", "follow", "mini").exit_code == 0
    export = tmp_path / "export.json"
    assert mlpath("export", "-o", str(export)).exit_code == 0
    events = json.loads(export.read_text(encoding="utf-8"))["events"]
    follows = [e for e in events if e["target"] == "track"]
    assert [(e["kind"], e["data"]) for e in follows] == [("setting", {"value": "mini"})]

    other = tmp_path / "other-machine"
    monkeypatch.setenv("MLPATH_HOME", str(other))
    for folder in ("roadmaps", "tracks"):
        (other / folder).mkdir(parents=True)
        for path in (home / folder).iterdir():
            (other / folder / path.name).write_bytes(path.read_bytes())
    assert mlpath("import", str(export)).exit_code == 0
    assert status(mlpath)["track"]["id"] == "mini"
    bad = json.loads(export.read_text(encoding="utf-8"))
    next(e for e in bad["events"] if e["target"] == "track")["data"]["value"] = "Not A Track"
    export.write_text(json.dumps(bad), encoding="utf-8")
    refused = mlpath("import", str(export))
    assert refused.exit_code == 1
    assert "'Not A Track' is not a track id" in refused.stderr


def test_a_track_id_that_starts_with_a_digit_follows_through_an_export(
    mlpath: Run, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A track file may name itself `100-days`; import (and sync, which checks events the
    same way) refused such a follow, and with it every other new event of its machine."""
    (home / "tracks" / "days.yaml").write_text(SOLO.replace("id: solo", "id: 100-days"), "utf-8")
    assert mlpath("track", "follow", "100-days").exit_code == 0
    assert mlpath("done", "demo/alpha").exit_code == 0
    export = tmp_path / "export.json"
    assert mlpath("export", "-o", str(export)).exit_code == 0
    other = tmp_path / "other-machine"
    (other / "roadmaps").mkdir(parents=True)
    for path in (home / "roadmaps").iterdir():
        (other / "roadmaps" / path.name).write_bytes(path.read_bytes())
    monkeypatch.setenv("MLPATH_HOME", str(other))
    taken = mlpath("import", str(export))
    assert taken.exit_code == 0, taken.stderr
    assert status(mlpath)["track_missing"] == "100-days"  # its file is not on this machine
    assert data(mlpath("show", "demo/alpha", "--json"), "show")["state"] == "done"


def test_a_deleted_followed_track_falls_back_to_the_roadmaps(mlpath: Run, home: Path) -> None:
    assert mlpath("track", "follow", "mini").exit_code == 0
    (home / "tracks" / "mini.yaml").unlink()
    now = status(mlpath)
    assert (now["track"], now["track_missing"]) == (None, "mini")
    assert ids(now["roadmaps"]) == CORE
    assert data(mlpath("next", "--json"), "next")["roadmaps"] == CORE
    lines = mlpath("status").stdout.splitlines()
    assert lines[0] == (
        "Track      mini is gone (no track file has that id): showing your roadmaps instead; "
        "`mlpath track unfollow` forgets it."
    )
    assert lines[1].startswith("Your path · 4 roadmaps")
    followed = mlpath("roadmap", "follow", "demo")
    assert followed.exit_code == 0 and "While you follow" not in followed.stdout
    assert data(mlpath("roadmap", "follow", "demo", "--json"), "roadmap follow")["track"] is None
    gone = mlpath("track", "unfollow").stdout.splitlines()
    assert gone[0] == "Stopped following track mini (its file is gone)"
    assert status(mlpath)["track_missing"] is None


# ------------------------------------------------------------------------------ the cache


def test_an_edited_track_file_is_read_again(mlpath: Run, home: Path) -> None:
    assert mlpath("track", "follow", "solo").exit_code == 0
    cache = cache_path(home)
    assert ids(status(mlpath)["roadmaps"]) == ["demo"]
    cached = head(cache.read_bytes())
    assert [t[0] for t in cached["tracks"]] == ["junior-ml-engineer", "mini", "solo"]
    solo = home / "tracks" / "solo.yaml"
    solo.write_text(SOLO.replace("Solo track", "Solo, longer") + "  - other/delta\n",
                    encoding="utf-8")  # fmt: skip
    now = status(mlpath)
    assert (now["track"]["title"], now["track"]["topics"]) == ("Solo, longer", 3)
    assert ids(now["roadmaps"]) == ["demo", "other"]
    # A new track file is a new key too.
    (home / "tracks" / "new.yaml").write_text(MINI.replace("id: mini", "id: new"), "utf-8")
    assert "new" in ids(data(mlpath("track", "list", "--json"), "track list"))
    solo.write_text(SOLO.replace("demo/alpha", "demo/alpha-x"), encoding="utf-8")
    broken = mlpath("status")
    assert broken.exit_code == 1
    assert broken.stderr == (
        f"{solo}:6:5: 'demo/beta' requires 'demo/alpha', which the track does not include "
        "(and 1 more; run `mlpath track validate` on the file)\n"
    )


def test_status_with_a_track_reads_no_yaml(mlpath_exe: str, home: Path) -> None:
    env = _env(home)
    subprocess.run([mlpath_exe, "track", "follow", "mini"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    subprocess.run([mlpath_exe, "status"], env=env, capture_output=True, check=True)
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mlpath", "status"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    imported = {line.split("|")[-1].strip() for line in run.stderr.splitlines() if "|" in line}
    assert "mlpath.tracks" in imported  # the track is followed...
    assert not {"pydantic", "yaml", "mlpath.schema"} & imported  # ...from the cache
    assert "mlpath.roadmap_ops" not in imported  # only `track validate` needs it


def test_the_track_commands_build_alone(home: Path) -> None:
    """Through `_app_for`, the route the installed script takes: only the track group."""
    runner = CliRunner()
    app = _app_for(["track", "list"])
    result = runner.invoke(app, ["track", "list", "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    assert ids(json.loads(result.stdout)["data"])[0] == "junior-ml-engineer"
    empty = runner.invoke(_app_for(["track", "validate"]), ["track", "validate"])
    assert empty.exit_code == 2


def test_a_track_title_never_drives_the_terminal(mlpath: Run, home: Path) -> None:
    evil = (
        MINI.replace("title: Mini track", 'title: "Evil \\e[2J\\a track"')
        .replace("summary: Three", 'summary: "\\e]0;pwned\\a Three')
        .replace("for tests.", 'for tests."')
    )
    (home / "tracks" / "mini.yaml").write_text(evil, encoding="utf-8")
    assert mlpath("track", "follow", "mini").exit_code == 0
    for args in (["track", "list"], ["track", "show", "mini"], ["status"]):
        shown = mlpath(*args).stdout
        assert "Evil \\x1b[2J\\x07 track" in shown, args  # the escapes made visible
        assert not any(c in shown for c in "\x1b\x07"), args
    kept = data(mlpath("track", "show", "mini", "--json"), "track show")
    assert kept["title"] == "Evil \x1b[2J\x07 track"


def test_the_readme_example_track_and_its_problems_are_true(
    mlpath: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (paths.builtin_roadmaps_dir() / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Tracks\n", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    shown = section.split("you would see:\n\n```text\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    Path("data-analyst.yaml").write_text(example, encoding="utf-8")
    assert mlpath("track", "validate", "data-analyst.yaml").stdout == "ok data-analyst.yaml\n"
    broken = example.replace("  - foundations/pandas", "  - pandas").replace(
        "  - foundations/distributions\n", ""
    )
    Path("data-analyst.yaml").write_text(broken, encoding="utf-8")
    assert mlpath("track", "validate", "data-analyst.yaml").stderr == shown
