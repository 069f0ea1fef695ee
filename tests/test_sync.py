"""`mlpath sync` with real git and bare repositories on local disk (GUIDE sections 4, 6 and 8).

Each machine is its own MLPATH_HOME; the CLI runs in-process and the tests switch MLPATH_HOME
between calls (and, for machines with wrong clocks, the clock mlpath's changes read). The
remote is a bare repository in tmp_path: no test uses the network.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

from mlpath import projects
from mlpath.store import changes, events
from tests.conftest import DEMO, Result

Run = Callable[..., Result]
YEAR = 365 * 24 * 3600 * 1_000_000  # microseconds
_REAL_NOW = events.now_micros
_REAL_HOST = projects.this_host
DEMO2 = DEMO.replace("id: demo", "id: demo2").replace("title: Demo", "title: Demo two")
SYNC_STATUS_KEYS = {"remote", "last_sync", "unsent", "replica", "replicas", "conflicts"}
SYNC_KEYS = {"remote", "sent", "received", "replicas", "roadmaps", "problems"}


# ---------------------------------------------------------------------------------- machines


class Machine:
    """One learner's machine: its own MLPATH_HOME, clock and host name."""

    def __init__(self, cluster: Cluster, name: str, offset: int = 0, host: str | None = None):
        self.cluster = cluster
        self.name = name
        self.home = cluster.root / f"machine-{name}"
        self.offset = offset  # microseconds this machine's clock is off by
        self.host = host  # what mlpath.projects.this_host says here (None: the real one)

    def __call__(self, *args: str, input: str | None = None) -> Result:
        self.cluster.use(self)
        return self.cluster.run(*args, input=input)

    def __repr__(self) -> str:
        return f"Machine({self.name})"

    def ok(self, *args: str) -> Result:
        result = self(*args)
        assert result.exit_code == 0, (self.name, args, result.stdout, result.stderr)
        return result

    def data(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json").stdout)["data"]

    def log(self, text: str, *options: str) -> str:
        """A new entry; its id."""
        return str(self.data("log", text, *options)["entry"]["id"])

    def init(self, create: bool = False, remote: Path | None = None) -> dict[str, Any]:
        where = str(remote or self.cluster.remote)
        result: dict[str, Any] = self.data("sync", "init", where, *(["--create"] if create else []))
        return result

    def sync(self) -> dict[str, Any]:
        result: dict[str, Any] = self.data("sync")
        assert result["problems"] == [], (self.name, result)
        return result

    def replica(self) -> str:
        return str(self.data("sync", "status")["replica"])

    def export(self) -> str:
        return self.ok("export").stdout

    def events(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = json.loads(self.export())["events"]
        return found

    def event_ids(self) -> set[str]:
        return {e["id"] for e in self.events()}

    def texts(self) -> set[str]:
        """The text of every entry the journal shows."""
        weeks = self.data("journal", "-n", "1000")["weeks"]
        return {entry["text"] for week in weeks for entry in week["entries"]}

    def weekly_hours(self) -> float:
        settings = self.data("config")["settings"]
        return float(next(s["value"] for s in settings if s["key"] == "weekly-hours"))

    def snapshot(self) -> dict[str, Any]:
        """Everything the learner sees of their data, which must be the same everywhere."""
        status = self.data("status")
        status.pop("store")
        listing = self.ok("roadmap", "list", "--json").stdout
        return {
            "status": status,
            "journal": self.data("journal", "-n", "1000"),
            "export": self.export(),
            # A custom roadmap's source is in this machine's MLPATH_HOME.
            "roadmaps": json.loads(listing.replace(str(self.home), "$MLPATH_HOME"))["data"],
        }


class Cluster:
    """The machines of one test and their sync repository."""

    def __init__(self, root: Path, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.remote = root / "remote.git"
        self.run = run
        self.monkeypatch = monkeypatch
        self.current: Machine | None = None

        def now_micros() -> int:
            return _REAL_NOW() + (self.current.offset if self.current else 0)

        def this_host() -> str:
            return (self.current.host if self.current else None) or _REAL_HOST()

        monkeypatch.setattr(changes, "now_micros", now_micros)
        monkeypatch.setattr(events, "now_micros", now_micros)
        monkeypatch.setattr(projects, "this_host", this_host)

    def machine(self, name: str, offset: int = 0, host: str | None = None) -> Machine:
        return Machine(self, name, offset, host)

    def use(self, machine: Machine) -> None:
        self.monkeypatch.setenv("MLPATH_HOME", str(machine.home))
        self.current = machine


@pytest.fixture
def cluster(tmp_path: Path, mlpath: Run, monkeypatch: pytest.MonkeyPatch) -> Cluster:
    return Cluster(tmp_path, mlpath, monkeypatch)


def assert_same(machines: Sequence[Machine]) -> None:
    first, *others = machines
    expected = first.snapshot()
    for machine in others:
        seen = machine.snapshot()
        for key in expected:
            assert seen[key] == expected[key], f"{key} differs between {first} and {machine}"


def sync_all(machines: Sequence[Machine], rounds: int = 2) -> None:
    for _ in range(rounds):
        for machine in machines:
            machine.sync()


# --------------------------------------------------------------------------------------- git


def git(folder: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["git", "-c", f"core.hooksPath={os.devnull}", *args],
        cwd=folder, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, (args, done.stderr)
    return done.stdout


def tamper(remote: Path, work: Path, change: Callable[[Path], None], force: bool) -> None:
    """Someone rewrites the remote from a clone of their own: a new commit, or (``force``)
    the last commit amended and force-pushed."""
    shutil.rmtree(work, ignore_errors=True)
    git(remote.parent, "clone", "--quiet", str(remote), str(work))
    change(work)
    git(work, "add", "--all")
    if force:
        git(work, "commit", "--quiet", "--amend", "--message=rewritten")
        git(work, "push", "--quiet", "--force", "origin", "main")
    else:
        git(work, "commit", "--quiet", "--message=by hand")
        git(work, "push", "--quiet", "origin", "main")


def files_under(folder: Path) -> list[str]:
    """Every file (not folder) below ``folder``, relative; [] when it does not exist."""
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if not p.is_dir())


def stderr_lines(result: Result) -> list[str]:
    return result.stderr.splitlines()


# ------------------------------------------------------------------------ 1. two machines


def _a_with_data(a: Machine) -> None:
    a.log("A: gradient descent by hand", "--hours", "1.5", "--tag", "maths")
    a.ok("done", "foundations/python-basics")
    a.ok("config", "set", "weekly-hours", "6")
    a.ok("journal", "break", "--week", "2026-W10")
    a.ok("roadmap", "unfollow", "mlops")


def _b_with_data(b: Machine, roadmap: Path) -> None:
    b.log("B: SQL joins", "--hours", "2")
    b.ok("start", "foundations/sql")
    b.ok("config", "set", "weekly-hours", "9")
    b.ok("roadmap", "add", str(roadmap))


@pytest.mark.slow
@pytest.mark.parametrize("b_has_data", [False, True], ids=["b-fresh", "b-with-data"])
@pytest.mark.parametrize("order", ["AB", "BA"])
def test_two_machines_end_up_the_same_with_both_histories(
    cluster: Cluster, write_roadmap: Callable[..., Path], b_has_data: bool, order: str
) -> None:
    a, b = cluster.machine("A"), cluster.machine("B")
    _a_with_data(a)
    before_a = a.event_ids()
    before_b: set[str] = set()
    if b_has_data:
        _b_with_data(b, write_roadmap())
        before_b = b.event_ids()

    first = a.init(create=True)
    assert first["sent"] == len(before_a)
    assert first["received"] == {}
    assert (cluster.remote / "HEAD").is_file()
    joined = b.init()
    assert joined["sent"] == len(before_b)
    assert joined["replicas"] == [a.replica()]
    assert sum(joined["received"].values()) == len(before_a)
    for name in order:
        {"A": a, "B": b}[name].sync()

    assert_same([a, b])
    union = before_a | before_b
    assert a.event_ids() == union == b.event_ids()  # both histories kept, nothing added
    expected = {"A: gradient descent by hand"} | ({"B: SQL joins"} if b_has_data else set())
    assert a.texts() == expected == b.texts()
    if b_has_data:
        # The custom roadmap B added is on A now, and followed there too.
        assert (a.home / "roadmaps" / "demo.yaml").read_text(encoding="utf-8") == DEMO
        assert any(r["id"] == "demo" and r["followed"] for r in a.data("roadmap", "list"))


# ------------------------------------------------------- 2. three machines, wrong clocks


class _Offline:
    """Three machines set up to sync, then rounds of changes each makes offline."""

    def __init__(self, cluster: Cluster, write_roadmap: Callable[..., Path]) -> None:
        self.a, self.b, self.c = (cluster.machine(n) for n in "ABC")
        self.write_roadmap = write_roadmap
        self.ids: dict[str, str] = {}

    def set_up(self) -> None:
        a, b, c, ids = self.a, self.b, self.c, self.ids
        a.ok("roadmap", "add", str(self.write_roadmap()))
        ids["a1"] = a.log("a1", "--hours", "1", "--tag", "first")
        ids["b1"] = b.log("b1", "--hours", "2")
        ids["c1"] = c.log("c1", "--hours", "0.5")
        a.init(create=True)
        b.init()
        c.init()
        a.sync()
        b.sync()  # everyone knows a1, b1 and c1 now

    def round_1(self) -> None:
        a, b, c, ids = self.a, self.b, self.c, self.ids
        a.offset, b.offset, c.offset = 5 * YEAR, 0, -5 * YEAR
        a.ok("journal", "edit", ids["a1"], "--text", "a1, corrected on A")
        a.ok("done", "demo/alpha")
        a.ok("undo")
        a.ok("redo")
        ids["a2"] = a.log("a2", "--hours", "1")
        b.ok("journal", "delete", "--yes", ids["c1"])
        b.ok("config", "set", "weekly-hours", "15")
        b.ok("roadmap", "unfollow", "deep-learning")
        b.ok("done", "foundations/command-line")
        c.ok("journal", "edit", ids["b1"], "--hours", "2.5")
        c.ok("config", "unset", "weekly-hours")
        c.ok("journal", "break", "--week", "2026-W20")
        c.ok("reset", "foundations/python-basics")

    def round_2(self) -> None:
        a, b, c, ids = self.a, self.b, self.c, self.ids
        a.offset, b.offset, c.offset = 0, -5 * YEAR, 5 * YEAR
        a.ok("journal", "restore", ids["c1"])
        a.ok("config", "set", "weekly-hours", "12")
        a.ok("roadmap", "follow", "deep-learning")
        a.log("a3", "--topic", "demo/alpha")
        b.ok("journal", "delete", "--yes", ids["a1"])
        b.ok("undo")
        b.ok("start", "demo/beta")
        b.ok("journal", "break", "--week", "2026-W21")
        c.ok("journal", "edit", ids["a1"], "--text", "a1, corrected on C")
        c.ok("roadmap", "unfollow", "mlops")
        c.ok("roadmap", "add", str(self.write_roadmap(DEMO2, "demo2.yaml")))
        c.ok("done", "foundations/sql")
        c.ok("undo")

    def round_3(self) -> None:
        a, b, c, ids = self.a, self.b, self.c, self.ids
        a.offset, b.offset, c.offset = -5 * YEAR, 0, 0
        a.ok("reset", "demo/alpha")
        a.ok("config", "unset", "weekly-hours")
        a.ok("journal", "break", "--week", "2026-W20", "--undo")
        ids["b2"] = b.log("b2", "--hours", "3")
        b.ok("journal", "edit", ids["b2"], "--tag", "late")
        c.ok("journal", "restore", ids["a1"])
        c.ok("undo")
        c.ok("redo")
        c.ok("config", "set", "weekly-hours", "30")


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 20260301])
def test_three_machines_with_wrong_clocks_converge_in_any_sync_order(
    cluster: Cluster, write_roadmap: Callable[..., Path], seed: int
) -> None:
    rng = random.Random(seed)
    script = _Offline(cluster, write_roadmap)
    a, b = script.a, script.b
    machines = [a, b, script.c]
    script.set_up()
    for offline in (script.round_1, script.round_2, script.round_3):
        offline()
        for machine in rng.sample(machines, k=rng.randint(1, 3)):
            machine.sync()
    for machine in machines:
        machine.offset = 0
    sync_all(machines)

    assert_same(machines)
    # The clocks really were wrong: events recorded five years ahead and behind.
    years = {int(e["recorded"][:4]) for e in a.events()}
    this_year = time.gmtime().tm_year
    assert max(years) >= this_year + 4
    assert min(years) <= this_year - 4
    # Every machine made events, and every machine holds every machine's.
    assert {e["replica"] for e in a.events()} == {m.replica() for m in machines}
    assert (b.home / "roadmaps" / "demo2.yaml").read_text(encoding="utf-8") == DEMO2


@pytest.mark.slow
def test_a_change_made_after_seeing_another_wins_even_with_a_clock_behind(
    cluster: Cluster,
) -> None:
    ahead, behind = cluster.machine("ahead", 5 * YEAR), cluster.machine("behind", -5 * YEAR)
    ahead.ok("config", "set", "weekly-hours", "20")
    ahead.ok("done", "foundations/sql")
    entry = ahead.log("from the future", "--hours", "1")
    ahead.init(create=True)
    behind.init()  # has seen all of it
    behind.ok("config", "set", "weekly-hours", "7")
    behind.ok("reset", "foundations/sql")
    behind.ok("journal", "edit", entry, "--text", "corrected later, by a slow clock")
    behind.sync()
    ahead.sync()

    for machine in (ahead, behind):
        assert machine.weekly_hours() == 7
        assert machine.data("show", "foundations/sql")["state"] == "not-started"
        assert machine.texts() == {"corrected later, by a slow clock"}
    assert_same([ahead, behind])
    # ...although the wall clock recorded them ten years before what they overrule.
    made = {e["data"]["value"]: e for e in behind.events() if e["kind"] == "setting"}
    assert made["7"]["hlc"] > made["20"]["hlc"]
    assert int(made["7"]["recorded"][:4]) <= int(made["20"]["recorded"][:4]) - 9

    # A change made without having seen the other is ordered by the clocks: the one from
    # the machine running ahead wins although the other was made later.
    ahead.ok("config", "set", "weekly-hours", "25")
    behind.ok("config", "set", "weekly-hours", "3")
    behind.sync()
    ahead.sync()
    behind.sync()
    assert ahead.weekly_hours() == 25 == behind.weekly_hours()


# ----------------------------------------------------------- 3. a hypothesis state machine

POOL = ("foundations/python-basics", "foundations/sql", "foundations/command-line")
_WHICH = st.integers(0, 2)


class SyncingMachines(RuleBasedStateMachine):
    """Three machines making changes and syncing in any order; after everyone syncs twice
    in turn, they all show the same data."""

    def __init__(self, cluster: Cluster) -> None:
        super().__init__()
        self.machines = [cluster.machine(n) for n in "ABC"]
        self.known: list[set[str]] = [set(), set(), set()]  # entry ids each machine has
        self.remote: set[str] = set()  # entry ids the repository holds
        self.started = False
        self.count = 0

    @initialize()
    def set_up(self) -> None:
        self.machines[0].init(create=True)
        for machine in self.machines[1:]:
            machine.init()
        self.started = True

    @rule(which=_WHICH)
    def log(self, which: int) -> None:
        self.count += 1
        self.known[which].add(self.machines[which].log(f"entry {self.count}", "--hours", "1"))

    @rule(which=_WHICH, verb=st.sampled_from(["done", "start", "reset"]),
          topic=st.sampled_from(POOL))  # fmt: skip
    def topic(self, which: int, verb: str, topic: str) -> None:
        self.machines[which].ok(verb, topic)

    @rule(which=_WHICH, hours=st.integers(1, 40))
    def weekly_hours(self, which: int, hours: int) -> None:
        self.machines[which].ok("config", "set", "weekly-hours", str(hours))

    @precondition(lambda self: any(self.known))
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        which = data.draw(st.sampled_from([i for i, k in enumerate(self.known) if k]))
        entry = data.draw(st.sampled_from(sorted(self.known[which])))
        self.machines[which].ok("journal", "delete", "--yes", entry)

    @rule(which=_WHICH)
    def undo(self, which: int) -> None:
        result = self.machines[which]("undo")
        assert result.exit_code == 0 or (
            result.exit_code == 1 and result.stderr.startswith("error: nothing to undo")
        ), result

    @rule(which=_WHICH)
    def sync(self, which: int) -> None:
        self.machines[which].sync()
        self.known[which] |= self.remote
        self.remote |= self.known[which]

    def teardown(self) -> None:
        if self.started:
            sync_all(self.machines)
            assert_same(self.machines)


@pytest.mark.slow
def test_any_changes_and_syncs_converge(
    tmp_path: Path, mlpath: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    examples = iter(range(10**6))

    class Example(SyncingMachines):
        def __init__(self) -> None:  # each example: new machines and a new repository
            root = tmp_path / f"example-{next(examples)}"
            super().__init__(Cluster(root, mlpath, monkeypatch))

    chosen = settings(max_examples=10, stateful_step_count=10, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
    run_state_machine_as_test(Example, settings=chosen)


# -------------------------------------------------------------- 4. an unreachable remote


@pytest.mark.slow
def test_an_unreachable_remote_changes_nothing_and_the_next_sync_sends_everything(
    cluster: Cluster,
) -> None:
    a, b = cluster.machine("A"), cluster.machine("B")
    a.log("before", "--hours", "1")
    a.init(create=True)
    away = cluster.root / "unplugged.git"
    cluster.remote.rename(away)
    a.log("offline one", "--hours", "1")
    a.ok("done", "foundations/sql")
    a.ok("config", "set", "weekly-hours", "4")
    before = a.export()
    db = (a.home / "mlpath.db").read_bytes()

    failed = a("sync")
    assert failed.exit_code == 1
    [line] = stderr_lines(failed)
    assert line.startswith(f"error: cannot reach {cluster.remote} (")
    assert "nothing was sent or received" in line
    assert failed.stdout == ""
    assert a.export() == before
    assert (a.home / "mlpath.db").read_bytes() == db
    assert a.data("sync", "status")["unsent"] == 3

    away.rename(cluster.remote)
    sent = a.sync()
    assert sent["sent"] == 3
    assert a.data("sync", "status")["unsent"] == 0
    b.init()
    assert b.texts() == {"before", "offline one"}
    assert_same([a, b])


# --------------------------------------------------------------------- 5. custom roadmaps


def _shared_file(remote: Path, name: str) -> str:
    return git(remote, "show", f"main:roadmaps/{name}")


@pytest.mark.slow
def test_custom_roadmaps_travel_and_a_conflict_is_reported_never_resolved(
    cluster: Cluster, write_roadmap: Callable[..., Path]
) -> None:
    a, b = cluster.machine("A"), cluster.machine("B")
    a.ok("roadmap", "add", str(write_roadmap()))
    a.init(create=True)
    joined = b.init()
    assert joined["roadmaps"] == {
        "taken": ["demo.yaml"],
        "sent": [],
        "conflicts": [],
        "refused": [],
    }
    mine_a, mine_b = a.home / "roadmaps" / "demo.yaml", b.home / "roadmaps" / "demo.yaml"
    assert mine_b.read_bytes() == mine_a.read_bytes()
    b.ok("done", "demo/alpha")
    b.sync()
    a.sync()
    assert a.data("show", "demo/alpha")["state"] == "done"

    # Changed on both machines between syncs.
    on_a = DEMO.replace("A small roadmap for tests.", "Changed on A.")
    on_b = DEMO.replace("A small roadmap for tests.", "Changed on B.")
    mine_a.write_text(on_a, encoding="utf-8")
    mine_b.write_text(on_b, encoding="utf-8")
    a.log("while the roadmap differs", "--hours", "1")
    assert a.sync()["roadmaps"]["sent"] == ["demo.yaml"]

    seen = b.ok("sync")
    [warning] = stderr_lines(seen)
    assert warning.startswith("warning: roadmaps/demo.yaml changed here and on another machine")
    assert "while the roadmap differs" in b.texts()  # the events still sync
    assert mine_b.read_text(encoding="utf-8") == on_b  # each keeps its own
    assert mine_a.read_text(encoding="utf-8") == on_a
    assert (b.home / "sync" / "conflicts" / "demo.yaml").read_text(encoding="utf-8") == on_a
    assert _shared_file(cluster.remote, "demo.yaml") == on_a
    assert b.data("sync", "status")["conflicts"] == ["demo.yaml"]
    again = b.data("sync")  # still a conflict: never resolved by itself
    assert again["roadmaps"]["conflicts"] == ["demo.yaml"]
    assert again["problems"] == []
    a.sync()
    assert mine_a.read_text(encoding="utf-8") == on_a

    # Making the files the same resolves it.
    shutil.copyfile(b.home / "sync" / "conflicts" / "demo.yaml", mine_b)
    resolved = b.ok("sync")
    assert resolved.stderr == ""
    assert b.data("sync", "status")["conflicts"] == []
    # ...and later changes travel again.
    on_a_later = on_a.replace("Changed on A.", "Changed on A again.")
    mine_a.write_text(on_a_later, encoding="utf-8")
    a.sync()
    assert b.sync()["roadmaps"]["taken"] == ["demo.yaml"]
    assert mine_b.read_text(encoding="utf-8") == on_a_later
    assert_same([a, b])


@pytest.mark.slow
def test_an_invalid_roadmap_pushed_by_hand_is_not_taken(
    cluster: Cluster, write_roadmap: Callable[..., Path]
) -> None:
    a, b = cluster.machine("A"), cluster.machine("B")
    a.ok("roadmap", "add", str(write_roadmap()))
    a.init(create=True)
    b.init()
    invalid = "schema: 1\nid: evil\ntitle: [unclosed\n"

    def push_invalid(work: Path) -> None:
        (work / "roadmaps" / "evil.yaml").write_text(invalid, encoding="utf-8")
        (work / "roadmaps" / "demo.yaml").write_text(invalid.replace("evil", "demo"), "utf-8")

    tamper(cluster.remote, cluster.root / "by-hand", push_invalid, force=False)
    a.log("after the push", "--hours", "1")
    a_sync = a.ok("sync")
    b_sync = b.ok("sync")
    for machine, result in ((a, a_sync), (b, b_sync)):
        assert not (machine.home / "roadmaps" / "evil.yaml").exists()
        assert (machine.home / "roadmaps" / "demo.yaml").read_text(encoding="utf-8") == DEMO
        ids = {r["id"] for r in machine.data("roadmap", "list")}
        assert "evil" not in ids
        assert "demo" in ids
        assert any("roadmaps/evil.yaml" in line for line in stderr_lines(result))
    assert "after the push" in b.texts()


# ---------------------------------------------------------------------------- 6. tampering


class _Three:
    """A, B and C syncing; B has read everything; A has one event B has not read yet."""

    def __init__(self, cluster: Cluster) -> None:
        self.a, self.b, self.c = cluster.machine("A"), cluster.machine("B"), cluster.machine("C")
        self.a.log("a1 from A", "--hours", "1")
        self.a.log("a2 from A", "--hours", "1")
        self.a.init(create=True)
        self.b.log("b0 from B", "--hours", "1")
        self.b.init()
        self.c.init()
        self.c.log("c1 from C", "--hours", "1")
        self.c.sync()
        self.b.sync()
        self.c.log("c2 from C", "--hours", "1")
        self.c.sync()
        self.a.log("a3 from A", "--hours", "1")
        self.a.sync()
        self.ids = {m.name: m.replica() for m in (self.a, self.b, self.c)}


def _truncate(name: str) -> Callable[[Path], None]:
    def change(work: Path) -> None:
        path = work / "replicas" / f"{name}.jsonl"
        first = path.read_bytes().split(b"\n")[0]
        path.write_bytes(first + b"\n")

    return change


def _edit_line(name: str) -> Callable[[Path], None]:
    def change(work: Path) -> None:
        path = work / "replicas" / f"{name}.jsonl"
        text = path.read_text(encoding="utf-8")
        assert "a1 from A" in text
        path.write_text(text.replace("a1 from A", "a1 forged"), encoding="utf-8")

    return change


def _append(name: str, garbage: bytes) -> Callable[[Path], None]:
    def change(work: Path) -> None:
        with (work / "replicas" / f"{name}.jsonl").open("ab") as fh:
            fh.write(garbage)

    return change


def _remove(name: str) -> Callable[[Path], None]:
    def change(work: Path) -> None:
        (work / "replicas" / f"{name}.jsonl").unlink()

    return change


Vandal = Callable[[dict[str, str]], Callable[[Path], None]]
TAMPERING: dict[str, tuple[Vandal, bool]] = {
    "truncated": (lambda ids: _truncate(ids["A"]), True),
    "line-edited": (lambda ids: _edit_line(ids["A"]), True),
    "garbage-line": (lambda ids: _append(ids["A"], b"this is not an event\n"), False),
    "half-a-line": (lambda ids: _append(ids["A"], b'{"id": "01J'), False),
    "valid-json-not-an-event": (lambda ids: _append(ids["A"], b'{"id": 1}\n'), False),
}


@pytest.mark.slow
@pytest.mark.parametrize("how", list(TAMPERING))
def test_a_rewritten_replica_file_is_refused_and_the_others_still_sync(
    cluster: Cluster, how: str
) -> None:
    three = _Three(cluster)
    a, b, c, ids = three.a, three.b, three.c, three.ids
    make, force = TAMPERING[how]
    before = b.events()
    tamper(cluster.remote, cluster.root / "vandal", make(ids), force)
    b.log("b1 from B", "--hours", "1")

    for attempt in range(2):  # refused now, and still refused later
        refused = b("sync")
        assert refused.exit_code == 1, refused
        [line] = stderr_lines(refused)
        assert line.startswith(f"error: replicas/{ids['A']}.jsonl"), line
        after = b.events()
        assert [e for e in after if e["replica"] == ids["A"]] == [
            e for e in before if e["replica"] == ids["A"]
        ]  # nothing applied from the file in doubt (a3 is not taken either)
        assert "a3 from A" not in b.texts()
        assert all(e in after for e in before)  # nothing lost here
        if attempt == 0:
            assert "c2 from C" in b.texts()  # the other replicas' files still work
    # B's own events still went out: C receives them (and refuses A's file as well).
    also = c("sync")
    assert also.exit_code == 1
    assert stderr_lines(also)[0].startswith(f"error: replicas/{ids['A']}.jsonl")
    assert "b1 from B" in c.texts()
    # A, whose file it is, is told too and loses nothing.
    a_before = a.events()
    told = a("sync")
    assert told.exit_code == 1
    assert any(f"replicas/{ids['A']}.jsonl" in line for line in stderr_lines(told))
    assert all(e in a.events() for e in a_before)


@pytest.mark.slow
def test_this_machines_own_file_removed_from_the_remote_is_refused(cluster: Cluster) -> None:
    three = _Three(cluster)
    a, b, c, ids = three.a, three.b, three.c, three.ids
    before = b.events()
    tamper(cluster.remote, cluster.root / "vandal", _remove(ids["B"]), force=True)
    b.log("b1 from B", "--hours", "1")

    refused = b("sync")
    assert refused.exit_code == 1
    [line] = stderr_lines(refused)
    assert line.startswith(
        f"error: replicas/{ids['B']}.jsonl (this machine's) is gone from the remote"
    ), line
    assert line.endswith("to send everything again: mlpath sync init REMOTE")
    assert all(e in b.events() for e in before)  # nothing lost here
    assert {"a3 from A", "b1 from B"} <= b.texts()  # the others' files still work
    # Starting over with the same remote sends everything this machine has again.
    b.init()
    sync_all([a, b, c])
    assert {"b0 from B", "b1 from B"} <= c.texts()
    assert_same([a, b, c])


@pytest.mark.slow
def test_a_symlinked_replica_file_is_refused_not_followed(cluster: Cluster) -> None:
    a, b = cluster.machine("A"), cluster.machine("B")
    a.log("from A", "--hours", "1")
    a.init(create=True)
    b.init()
    outside = cluster.root / "outside.jsonl"

    def link(work: Path) -> None:
        (work / "replicas" / "0123456789abcdef.jsonl").symlink_to(outside)

    tamper(cluster.remote, cluster.root / "vandal", link, force=False)
    before = b.export()
    result = b("sync")
    assert result.exit_code == 1, result
    [line] = stderr_lines(result)
    assert line.startswith("error: replicas/0123456789abcdef.jsonl"), line
    assert b.export() == before
    assert not outside.exists()


@pytest.mark.slow
def test_a_symlinked_roadmap_in_the_repository_is_never_written_through(
    cluster: Cluster, write_roadmap: Callable[..., Path]
) -> None:
    a, b = cluster.machine("A"), cluster.machine("B")
    a.log("from A", "--hours", "1")
    a.init(create=True)
    b.init()
    outside = cluster.root / "outside" / "victim.txt"
    outside.parent.mkdir()

    def link(work: Path) -> None:
        (work / "roadmaps").mkdir(exist_ok=True)
        (work / "roadmaps" / "demo.yaml").symlink_to(outside)

    tamper(cluster.remote, cluster.root / "vandal", link, force=False)
    b.ok("roadmap", "add", str(write_roadmap()))
    b("sync")
    assert not outside.exists(), "sync wrote through a symlink from the remote"
    assert (b.home / "roadmaps" / "demo.yaml").read_text(encoding="utf-8") == DEMO


# ----------------------------------------------------------------------------- 7. refusals


def test_sync_before_sync_init_is_one_line(cluster: Cluster) -> None:
    a = cluster.machine("A")
    result = a("sync")
    assert result.exit_code == 1
    assert stderr_lines(result) == [
        "error: sync is not set up on this machine: mlpath sync init REMOTE"
    ]
    assert result.stdout == ""
    assert not (a.home / "sync").exists()


@pytest.mark.parametrize(
    ("args", "code", "line"),
    [
        (["--", "-oProxyCommand=touch PWNED"], 1,
         "error: REMOTE '-oProxyCommand=touch PWNED' starts with '-': give a git URL or a path"),
        (["-x"], 2, "error: No such option: -x (see `mlpath sync init --help`)"),
        (["ext::sh -c touch% PWNED"], 1,
         "error: REMOTE 'ext::sh -c touch% PWNED': mlpath does not run git's ext:: or fd:: "
         "transports"),
        (["fd::3"], 1, "error: REMOTE 'fd::3': mlpath does not run git's ext:: or fd:: transports"),
        (["ssh://example.invalid/learning.git", "--create"], 1,
         "error: --create makes a repository at a local path, not at a URL"),
        (["example.invalid:learning.git", "--create"], 1,
         "error: --create makes a repository at a local path, not at a URL"),
        ([" "], 1, "error: REMOTE must be a git URL or a path"),
    ],
)  # fmt: skip
def test_sync_init_refuses_a_remote_it_must_not_use(
    cluster: Cluster, args: list[str], code: int, line: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = cluster.machine("A")
    monkeypatch.chdir(cluster.root)
    result = a("sync", "init", *args)
    assert result.exit_code == code, result
    assert stderr_lines(result) == [line]
    assert not (cluster.root / "PWNED").exists()
    assert not (a.home / "sync").exists()


def test_sync_init_refuses_a_path_that_does_not_exist_without_create(cluster: Cluster) -> None:
    a = cluster.machine("A")
    missing = cluster.root / "no-such.git"
    result = a("sync", "init", str(missing))
    assert result.exit_code == 1
    assert stderr_lines(result) == [
        f"error: no repository at {missing}; give a git URL, or --create to make one there"
    ]
    assert not missing.exists()
    assert not (a.home / "sync").exists()
    assert a.data("sync", "status")["remote"] is None


def _unrelated_repo(root: Path, branch: str) -> Path:
    bare = root / f"other-{branch}.git"
    git(root, "init", "--quiet", "--bare", str(bare))
    work = root / f"other-{branch}-work"
    git(root, "init", "--quiet", f"--initial-branch={branch}", str(work))
    (work / "README.md").write_text("my thesis\n", encoding="utf-8")
    git(work, "add", "README.md")
    git(work, "commit", "--quiet", "--message=thesis")
    git(work, "push", "--quiet", str(bare), f"{branch}:{branch}")
    return bare


@pytest.mark.parametrize("branch", ["main", "master"])
def test_sync_init_refuses_a_repository_holding_other_things(cluster: Cluster, branch: str) -> None:
    a = cluster.machine("A")
    a.log("mine", "--hours", "1")
    other = _unrelated_repo(cluster.root, branch)
    refs = git(other, "for-each-ref")
    result = a("sync", "init", str(other))
    assert result.exit_code == 1, result
    [line] = stderr_lines(result)
    assert line.startswith(f"error: {other} holds other things than mlpath's sync data"), line
    assert git(other, "for-each-ref") == refs  # nothing pushed into it
    assert files_under(a.home / "sync") == []  # at most an empty folder
    assert a.data("sync", "status")["remote"] is None


@pytest.mark.slow
def test_a_refused_sync_init_leaves_the_sync_already_set_up_working(cluster: Cluster) -> None:
    a, b = cluster.machine("A"), cluster.machine("B")
    a.init(create=True)
    other = _unrelated_repo(cluster.root, "main")
    assert a("sync", "init", str(other)).exit_code == 1
    assert a.data("sync", "status")["remote"] == str(cluster.remote)
    a.log("after the refused init", "--hours", "1")
    assert a.sync()["sent"] == 1
    b.init()
    assert b.texts() == {"after the refused init"}


# ---------------------------------------------------------------------- 8. JSON and projects


@pytest.mark.slow
def test_sync_json_keys_and_a_project_made_on_another_machine(
    cluster: Cluster, tmp_path: Path
) -> None:
    a, b = cluster.machine("A"), cluster.machine("B", host="machine-b")
    never = a.data("sync", "status")
    assert set(never) == SYNC_STATUS_KEYS
    assert never["remote"] is None
    assert never["last_sync"] is None

    made_in = tmp_path / "projects"
    made_in.mkdir()
    a.ok("new-project", "housing-prices", "X", "--no-input", "--no-git", "--dir", str(made_in))
    entry = a.log("a log", "--hours", "1")
    first = a.init(create=True)
    assert set(first) == SYNC_KEYS
    assert set(first["roadmaps"]) == {"taken", "sent", "conflicts", "refused"}
    assert first["remote"] == str(cluster.remote)
    assert first["sent"] == 2
    assert first["problems"] == []

    joined = b.init()
    assert set(joined) == SYNC_KEYS
    assert joined["received"] == {"entries": 1, "projects": 1}
    assert joined["replicas"] == [a.replica()]
    b.ok("journal", "delete", "--yes", entry)
    b.ok("config", "set", "weekly-hours", "5")
    state = b.data("sync", "status")
    assert set(state) == SYNC_STATUS_KEYS
    assert state["unsent"] == 2
    assert state["remote"] == str(cluster.remote)
    assert len(state["last_sync"]) == 20
    assert state["last_sync"].endswith("Z")
    assert state["conflicts"] == []
    assert all(set(r) == {"id", "events", "this"} for r in state["replicas"])
    assert {(r["id"], r["events"], r["this"]) for r in state["replicas"]} == {
        (a.replica(), 2, False),
        (b.replica(), 2, True),
    }
    assert state["replica"] == b.replica()
    sent = b.sync()
    assert sent["sent"] == 2
    received = a.sync()
    assert received["received"] == {"entries": 1, "settings": 1}
    assert received["replicas"] == [b.replica()]
    assert a.data("sync", "status")["unsent"] == 0

    host = socket.gethostname()
    [there] = b.data("projects")
    assert there["name"] == "X"
    assert there["host"] == host
    assert there["here"] is False
    assert f"on {host}" in b.ok("projects").stdout
    [here] = a.data("projects")
    assert here["here"] is True
    assert here["host"] == host


# ------------------------------------------------------------------------- 9. git identity


def _authors(bare: Path) -> set[str]:
    return set(git(bare, "log", "--format=%an <%ae>|%cn <%ce>", "main").splitlines())


@pytest.mark.slow
def test_without_a_git_identity_sync_commits_as_mlpath_and_writes_no_config(
    tmp_path: Path, mlpath_exe: str
) -> None:
    empty_home = tmp_path / "empty-home"
    empty_home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "XDG_"))}
    env.update({"HOME": str(empty_home), "GIT_CONFIG_NOSYSTEM": "1",
                "MLPATH_HOME": str(tmp_path / "machine")})  # fmt: skip
    remote = tmp_path / "remote.git"

    def run(*args: str) -> None:
        done = subprocess.run([mlpath_exe, *args], env=env, capture_output=True, text=True,
                              check=False)  # fmt: skip
        assert done.returncode == 0, (args, done.stderr)

    run("log", "first", "--hours", "1")
    run("sync", "init", str(remote), "--create")
    run("log", "second", "--hours", "1")
    run("sync")
    assert _authors(remote) == {
        "mlpath sync <sync@mlpath.invalid>|mlpath sync <sync@mlpath.invalid>"
    }
    assert len(git(remote, "log", "--format=%H", "main").split()) == 3
    assert files_under(empty_home) == []
    clone = tmp_path / "machine" / "sync" / "repo"
    for config in (clone / ".git" / "config", remote / "config"):
        assert "[user]" not in config.read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("where", ["environment", "global-config"])
def test_with_a_git_identity_sync_commits_as_the_learner(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    expected = "Test Learner <learner@example.com>"
    if where == "global-config":
        for role in ("AUTHOR", "COMMITTER"):
            for part in ("NAME", "EMAIL"):
                monkeypatch.delenv(f"GIT_{role}_{part}")
        gitconfig = Path(os.environ["HOME"]) / ".gitconfig"
        gitconfig.write_text("[user]\n\tname = Ada Lovelace\n\temail = ada@example.com\n")
        expected = "Ada Lovelace <ada@example.com>"
    a, b = cluster.machine("A"), cluster.machine("B")
    a.log("first", "--hours", "1")
    a.init(create=True)
    b.init()
    b.log("second", "--hours", "1")
    b.sync()
    assert _authors(cluster.remote) == {f"{expected}|{expected}"}


def test_ticks_and_recall_sync_and_give_the_same_schedule_everywhere(cluster: Cluster) -> None:
    """A recall card is replayed from events, so a machine that receives the done event and
    the ratings (in whatever order they arrive) schedules the topic the same way."""
    a, b = cluster.machine("A"), cluster.machine("B", offset=-3_600_000_000)  # B's clock 1 h behind
    a.init(create=True)
    b.init()
    day = (dt.date.today() - dt.timedelta(days=20)).isoformat()
    a.ok("done", "python-basics", "--date", day)
    a.ok("check", "python-basics", "1", "--note", "https://example.org/nb")
    sync_all([a, b])
    b.ok("recall", "python-basics", "--rating", "hard")
    b.ok("check", "python-basics", "2")
    a.ok("recall", "python-basics", "--rating", "good")  # before A has seen B's rating
    sync_all([a, b])
    cards = [m.data("recall") for m in (a, b)]
    assert cards[0] == cards[1]
    listed = [*cards[0]["due"], *cards[0]["upcoming"]]
    assert [(c["id"], c["reviews"]) for c in listed] == [("foundations/python-basics", 2)]
    shown = [m.data("show", "python-basics")["checks"] for m in (a, b)]
    assert shown[0] == shown[1]
    assert [c["ticked"] for c in shown[0]] == [True, True]
    assert_same([a, b])
