"""Sync never loses or duplicates an event: kill -9 at any point of `mlpath sync`, two
machines syncing at the same moment, Ctrl-C and SIGTERM mid-sync, two syncs of one machine.

Real git and real processes: each machine is an MLPATH_HOME of its own, syncing through a bare
repository in tmp_path, and every command goes through the installed ``mlpath`` script. git is
reached through a small shell shim first on PATH, which runs the real git and logs when each
git command starts and ends (and can pause, to widen a race): that is how a test tells where
a kill landed, whether a push was retried and whether two syncs overlapped.

The random delays come from ``MLPATH_SYNC_SEED`` (default 1), and a failure names the seed;
``MLPATH_SYNC_KILL_RUNS`` (default 100) says how many syncs the kill -9 test kills.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not sys.platform.startswith("linux") or shutil.which("git") is None,
        reason="needs git, POSIX signals and /proc",
    ),
]

SEED = int(os.environ.get("MLPATH_SYNC_SEED", "1"))
KILL_RUNS = int(os.environ.get("MLPATH_SYNC_KILL_RUNS", "100"))
TOPICS = ("foundations/python-basics", "foundations/command-line", "foundations/git-github",
          "foundations/numpy")  # fmt: skip
TIMEOUT = 120.0
PACKAGE = str(Path(__file__).resolve().parents[1] / "mlpath")

# Runs the real git; logs "start TIME PARENT PID ARGS" and "end TIME PARENT PID STATUS", where
# PARENT is the mlpath process that ran git. Pauses before every command, or before a push.
SHIM = """#!/bin/sh
log="${MLPATH_TEST_GIT_LOG:-/dev/null}"
printf 'start %s %s %s %s\\n' "$(date +%s.%N)" "$PPID" "$$" "$*" >> "$log"
if [ -n "$MLPATH_TEST_GIT_PAUSE" ]; then sleep "$MLPATH_TEST_GIT_PAUSE"; fi
case " $* " in
  *" push "*) if [ -n "$MLPATH_TEST_PUSH_PAUSE" ]; then sleep "$MLPATH_TEST_PUSH_PAUSE"; fi ;;
esac
"$MLPATH_TEST_REAL_GIT" "$@"
status=$?
printf 'end %s %s %s %s\\n' "$(date +%s.%N)" "$PPID" "$$" "$status" >> "$log"
exit $status
"""


# ------------------------------------------------------------------------------- machines


@dataclass
class GitCall:
    parent: int  # the mlpath process
    pid: int
    command: str  # git's subcommand: fetch, checkout, push...
    start: float
    end: float | None  # None: it never finished (killed)
    status: int | None


@dataclass
class Machine:
    name: str
    home: Path  # its MLPATH_HOME
    env: dict[str, str]
    exe: str
    logged: list[str] = field(default_factory=list)  # entry texts it logged

    @property
    def clone(self) -> Path:
        return self.home / "sync" / "repo"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.exe, *args], env=self.env, stdin=subprocess.DEVNULL, capture_output=True,
            text=True, timeout=TIMEOUT, check=False,
        )  # fmt: skip

    def ok(self, *args: str) -> str:
        done = self.run(*args)
        assert done.returncode == 0, f"{self.name}: mlpath {' '.join(args)}: {_said(done)}"
        return done.stdout

    def start(self, *args: str, **env: str) -> subprocess.Popen[str]:
        """``mlpath ARGS`` in a process group of its own (so a kill can take its git too)."""
        return subprocess.Popen(
            [self.exe, *args], env={**self.env, **env}, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip

    def events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = json.loads(self.ok("export"))["events"]
        return events

    def replica(self) -> str:
        return str(json.loads(self.ok("sync", "status", "--json"))["data"]["replica"])

    def journal_texts(self) -> list[str]:
        weeks = json.loads(self.ok("journal", "--json", "-n", "100000"))["data"]["weeks"]
        return [entry["text"] for week in weeks for entry in week["entries"]]

    def topic_states(self) -> dict[str, str]:
        data = json.loads(self.ok("roadmap", "show", "foundations", "--json"))["data"]
        return {t["id"]: t["state"] for stage in data["stages"] for t in stage["topics"]}


def _said(done: subprocess.CompletedProcess[str]) -> str:
    return f"exit {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}"


@dataclass
class World:
    remote: Path  # the bare repository
    git_log: Path
    machines: list[Machine]
    real_git: str

    def git(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.real_git, *args], capture_output=True, text=True, check=False,
            stdin=subprocess.DEVNULL, env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )  # fmt: skip

    def calls(self, since: float = 0.0) -> list[GitCall]:
        """The git commands mlpath ran (as the shim logged them), started at or after since."""
        calls: dict[int, GitCall] = {}
        for line in self.git_log.read_text(encoding="utf-8").splitlines():
            what, stamp, parent, pid, rest = [*line.split(" ", 4), ""][:5]
            if what == "start" and float(stamp) >= since:
                calls[int(pid)] = GitCall(int(parent), int(pid), _subcommand(rest),
                                          float(stamp), None, None)  # fmt: skip
            elif what == "end" and int(pid) in calls:
                calls[int(pid)].end, calls[int(pid)].status = float(stamp), int(rest)
        return sorted(calls.values(), key=lambda c: c.start)

    def pushes(self, parent: int, since: float) -> int:
        return sum(1 for c in self.calls(since) if c.parent == parent and c.command == "push")


def _subcommand(args: str) -> str:
    """git's subcommand in a logged argument list: ``--no-pager -c K=V ... SUBCOMMAND ...``."""
    words = args.split(" ")
    i = 0
    while i < len(words):
        if words[i] == "-c":
            i += 2
        elif words[i].startswith("-"):
            i += 1
        else:
            return words[i]
    return "?"


def _world(tmp_path: Path, exe: str, names: tuple[str, ...]) -> World:
    """Machines set up with `sync init` against one new bare repository (the first creates it)."""
    real_git = shutil.which("git")
    assert real_git
    shim_dir = tmp_path / "shim"
    shim_dir.mkdir()
    shim = shim_dir / "git"
    shim.write_text(SHIM, encoding="utf-8")
    shim.chmod(0o755)
    git_log = tmp_path / "git.log"
    git_log.write_text("")
    remote = tmp_path / "remote.git"
    machines: list[Machine] = []
    for name in names:
        env = {
            **os.environ, "MLPATH_HOME": str(tmp_path / f"machine-{name}"), "NO_COLOR": "1",
            "PATH": f"{shim_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "MLPATH_TEST_GIT_LOG": str(git_log), "MLPATH_TEST_REAL_GIT": real_git,
        }  # fmt: skip
        machine = Machine(name, tmp_path / f"machine-{name}", env, exe)
        machine.ok("sync", "init", str(remote), *(["--create"] if not machines else []))
        machines.append(machine)
    return World(remote, git_log, machines, real_git)


def _run_all(commands: list[tuple[Machine, list[str]]]) -> None:
    """Run commands (of different machines) side by side; each must succeed."""
    procs = [(m, args, m.start(*args)) for m, args in commands]
    for machine, args, proc in procs:
        out, err = proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == 0, (
            f"{machine.name}: mlpath {' '.join(args)}: exit {proc.returncode}\n{out}\n{err}"
        )


def _log_entries(machines: list[Machine], tag: str) -> None:
    commands: list[tuple[Machine, list[str]]] = []
    for machine in machines:
        text = f"{machine.name}-{tag}"
        machine.logged.append(text)
        commands.append((machine, ["log", text]))
    _run_all(commands)


def _topic_changes(a: Machine, b: Machine, n: int) -> None:
    """Both machines change the same topics, so their events compete (the later wins)."""
    topic = TOPICS[(n // 2) % len(TOPICS)]
    other = TOPICS[(n // 2 + 1) % len(TOPICS)]
    _run_all([(a, ["done" if n % 2 == 0 else "reset", topic]),
              (b, ["start" if n % 2 == 0 else "reset", other])])  # fmt: skip


def _group_alive(pgid: int) -> bool:
    """Whether a process of group ``pgid`` still runs (zombies aside)."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


def _drain(pgid: int) -> None:
    """Wait until every process of a killed mlpath's group (its orphaned git) has ended."""
    deadline = time.monotonic() + 30
    while _group_alive(pgid):
        assert time.monotonic() < deadline, f"the git of killed mlpath {pgid} never ended"
        time.sleep(0.01)


def _phase(world: World, parent: int, started: float, killed: float) -> str:
    """Where a sync was when it was killed: in which git command, or after which."""
    calls = [c for c in world.calls(started) if c.parent == parent and c.start < killed]
    if not calls:
        return "before git"
    last = calls[-1]
    running = last.end is None or last.end > killed
    return f"{'in' if running else 'after'} {last.command}"


# ---------------------------------------------------------------------------------- checks


def _sync_ok(machine: Machine, why: str) -> None:
    done = machine.run("sync")
    assert done.returncode == 0, f"seed {SEED}: {why}: {machine.name}: mlpath sync: {_said(done)}"


def _replica_file(world: World, replica: str) -> list[str]:
    shown = world.git(f"--git-dir={world.remote}", "show", f"main:replicas/{replica}.jsonl")
    assert shown.returncode == 0, shown.stderr
    return shown.stdout.splitlines()


def _read_store(machine: Machine, sql: str) -> list[tuple[Any, ...]]:
    """Read a machine's store directly (read-only), between its commands."""
    conn = sqlite3.connect(f"file:{machine.home / 'mlpath.db'}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _integrity(machine: Machine) -> str:
    return str(_read_store(machine, "PRAGMA integrity_check")[0][0])


def _event_ids(machine: Machine) -> set[str]:
    return {str(i) for (i,) in _read_store(machine, "SELECT id FROM events")}


def _assert_converged(world: World, own: dict[str, dict[str, dict[str, Any]]]) -> None:
    """Every machine has exactly every event any machine made, once; the repository holds
    each machine's events once, in its file; stores, clones and the repository are sound.
    ``own``: replica -> the events that machine made, by id (taken before the last syncs)."""
    machines = world.machines
    exports = [m.ok("export") for m in machines]
    for machine, text in zip(machines[1:], exports[1:], strict=True):
        assert text == exports[0], f"seed {SEED}: export differs on {machine.name}"
    events = json.loads(exports[0])["events"]
    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids)), f"seed {SEED}: an event is in the store twice"
    made = {i: e for by_id in own.values() for i, e in by_id.items()}
    lost = sorted(set(made) - set(ids))
    assert not lost, f"seed {SEED}: events lost: {lost}"
    assert {e["id"]: e for e in events} == made, f"seed {SEED}: events differ from the made ones"

    logged = sorted(text for m in machines for text in m.logged)
    for machine in machines:
        assert sorted(machine.journal_texts()) == logged, f"seed {SEED}: {machine.name} journal"
        assert machine.topic_states() == machines[0].topic_states()
        assert _integrity(machine) == "ok"
        assert not (machine.home / "crash").exists(), "mlpath crashed (see its crash file)"
        status = world.git("-C", str(machine.clone), "status", "--porcelain")
        assert status.returncode == 0, status.stderr
        assert status.stdout == "", f"{machine.name}'s clone is left dirty: {status.stdout}"
        fsck = world.git("-C", str(machine.clone), "fsck", "--no-progress")
        assert fsck.returncode == 0, f"{machine.name}'s clone: git fsck: {fsck.stderr}"

    fsck = world.git(f"--git-dir={world.remote}", "fsck", "--no-progress")
    assert fsck.returncode == 0, f"the remote: git fsck: {fsck.stderr}"
    tree = world.git(f"--git-dir={world.remote}", "ls-tree", "--name-only", "main", "replicas/")
    files = set(tree.stdout.split())
    assert {f"replicas/{r}.jsonl" for r, by_id in own.items() if by_id} <= files
    assert files <= {"replicas/.keep", *(f"replicas/{r}.jsonl" for r in own)}
    for replica, by_id in own.items():
        lines = _replica_file(world, replica) if f"replicas/{replica}.jsonl" in files else []
        repeated = [json.loads(line)["id"] for line, n in Counter(lines).items() if n > 1]
        assert not repeated, (
            f"seed {SEED}: replicas/{replica}.jsonl repeats the lines of {len(repeated)} "
            f"events, e.g. {repeated[:3]}"
        )
        in_file = [json.loads(line) for line in lines]
        assert len({e["id"] for e in in_file}) == len(in_file), (
            f"seed {SEED}: replicas/{replica}.jsonl holds an event twice"
        )
        assert {e["id"]: e for e in in_file} == by_id, (
            f"seed {SEED}: replicas/{replica}.jsonl is not exactly what {replica} made"
        )


def _own_events(machines: list[Machine]) -> dict[str, dict[str, dict[str, Any]]]:
    """Each machine's own events (its replica's), as its store holds them now."""
    own: dict[str, dict[str, dict[str, Any]]] = {}
    for machine in machines:
        replica = machine.replica()
        own[replica] = {e["id"]: e for e in machine.events() if e["replica"] == replica}
    return own


# ------------------------------------------------------------------------------------ tests


def _typical_sync(machines: list[Machine]) -> float:
    """How long a sync takes here (median of a few, each with something to send)."""
    durations = []
    for warm in range(3):
        _log_entries(machines, f"warm-{warm}")
        for machine in machines:
            began = time.monotonic()
            _sync_ok(machine, "a warm-up sync")
            durations.append(time.monotonic() - began)
    return statistics.median(durations)


def _killed_sync(world: World, victim: Machine, delay: float, whole_group: bool) -> str:
    """Start a sync, SIGKILL it after ``delay``: where it was, or "finished" when it ended
    first (with exit 0: every sync that runs to its end must work, whatever came before)."""
    started = time.time()
    proc = victim.start("sync")
    time.sleep(delay)
    killed = time.time()
    if whole_group:
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=TIMEOUT)
    _drain(proc.pid)
    if proc.returncode == -signal.SIGKILL:
        return _phase(world, proc.pid, started, killed)
    assert proc.returncode == 0, (
        f"the sync was not killed but failed: exit {proc.returncode}\n{err}"
    )
    return "finished"


def _remote_locks(world: World) -> list[str]:
    """The lock files in the remote now. A push that outlived its mlpath (it runs shielded)
    may still be writing there, creating and removing folders as the walk goes: os.walk
    passes over a folder that is gone by the time it is read, where Path.rglob raises."""
    return sorted(
        str((Path(folder) / name).relative_to(world.remote))
        for folder, _, files in os.walk(world.remote)
        for name in files
        if name.endswith(".lock")
    )


def test_kill_9_anywhere_in_a_sync_loses_and_duplicates_nothing(
    tmp_path: Path, mlpath_exe: str
) -> None:
    """A sync killed anywhere (in git or in Python, mlpath alone or with its git) is
    completed by the next one: nothing lost, nothing in the store or a replica's file twice,
    stores and clones sound. Between runs both machines keep logging and changing topics."""
    rng = random.Random(SEED)
    world = _world(tmp_path, mlpath_exe, ("A", "B"))
    a, b = world.machines
    typical = _typical_sync([a, b])
    # One slot of a typical sync (from the process starting to its exit) per run, shuffled:
    # the kills cover every part of a sync, in a random order. What is typical is measured
    # again every 20 runs, since the machine's load (the rest of the suite) changes; and if
    # too few kills still landed inside git, more runs follow at random points (at most half
    # as many again), so that coverage does not hang on how busy the machine was.
    slots = [(i + rng.random()) / KILL_RUNS for i in range(KILL_RUNS)]
    rng.shuffle(slots)
    slots += [rng.random() for _ in range(KILL_RUNS // 2)]
    outcomes: Counter[str] = Counter()
    seen: set[str] = set()  # every event either store ever held
    history: list[str] = []

    def context() -> str:
        return (f"seed {SEED}; the last runs: {history[-3:]}; "
                f"lock files in the remote: {_remote_locks(world) or 'none'}")  # fmt: skip

    def inside_git() -> int:
        return sum(n for what, n in outcomes.items() if what.startswith("in "))

    for run, slot in enumerate(slots):
        if run >= KILL_RUNS and inside_git() >= 10:
            break
        if run and run % 20 == 0:
            typical = _typical_sync([a, b])
        delay = slot * typical
        _log_entries([a, b], str(run))
        if run % 2 == 0:
            _topic_changes(a, b, run)
        seen |= _event_ids(a) | _event_ids(b)
        victim = rng.choice((a, b))
        # "group": a crash, mlpath and the git it runs die at once; "process": `kill -9 PID`,
        # the git it was running finishes alone (waited for, so it overlaps nothing).
        whole_group = rng.random() < 0.5
        scenario = (f"run {run}, {victim.name}, delay {delay:.3f}s, "
                    f"{'group' if whole_group else 'process'} kill")  # fmt: skip
        try:
            phase = _killed_sync(world, victim, delay, whole_group)
        except AssertionError as exc:
            raise AssertionError(f"{scenario}: {exc}\n{context()}") from None
        outcomes[phase] += 1
        history.append(f"{scenario}: {phase}")
        if run % 6 == 5:
            _sync_ok(victim, f"the sync right after the kill; {context()}")
    print(f"\nseed {SEED}: typical sync {typical:.3f}s; kills: {dict(sorted(outcomes.items()))}")

    assert sum(n for what, n in outcomes.items() if what != "finished") >= KILL_RUNS // 2
    assert inside_git() >= 10, outcomes
    own = _own_events([a, b])
    for machine in (a, b, a, b):
        _sync_ok(machine, f"a final sync; {context()}")
    _assert_converged(world, own)
    lost = seen - _event_ids(a)
    assert not lost, f"seed {SEED}: events a store once held are gone: {sorted(lost)[:5]}"


def test_two_machines_syncing_at_the_same_moment(tmp_path: Path, mlpath_exe: str) -> None:
    """Both succeed, the one whose push was refused by starting again; then one more sync
    each and the two machines hold the same events, none lost, none twice."""
    world = _world(tmp_path, mlpath_exe, ("A", "B"))
    a, b = world.machines
    retried = 0
    for round_ in range(10):
        _log_entries([a, b], f"race-{round_}")
        _topic_changes(a, b, round_)
        # Every other round, both wait a moment before pushing: both have fetched by then,
        # so one push is surely refused and that sync must start again.
        pause = {"MLPATH_TEST_PUSH_PAUSE": "0.3"} if round_ % 2 else {}
        since = time.time()
        procs = [m.start("sync", **pause) for m in (a, b)]
        for machine, proc in zip((a, b), procs, strict=True):
            out, err = proc.communicate(timeout=TIMEOUT)
            assert proc.returncode == 0, (
                f"round {round_}: {machine.name}: sync: exit {proc.returncode}\n{out}\n{err}"
            )
            assert err == "", err
        retried += sum(world.pushes(p.pid, since) > 1 for p in procs)
    print(f"\n{retried} of 20 syncs pushed again after losing the race")
    assert retried >= 3, "the two syncs never raced: this test pins nothing"
    own = _own_events([a, b])
    for machine in (a, b):
        _sync_ok(machine, "the sync after the races")
    _assert_converged(world, own)


# (name, signal, to the whole process group?)
SIGNALS = [
    ("Ctrl-C", signal.SIGINT, True),
    ("SIGINT to mlpath", signal.SIGINT, False),
    ("kill PID", signal.SIGTERM, False),
    ("SIGTERM to the group", signal.SIGTERM, True),
]


def _before_mlpath(returncode: int, signum: int, err: str) -> bool:
    """Whether a process ended by ``signum`` before any of mlpath's code ran: killed by
    Python's default handler, or a KeyboardInterrupt inside one of the interpreter's own
    start-up steps (``init_import_site``, ``init_sys_streams``: "Fatal Python error: init_")."""
    if f"{PACKAGE}{os.sep}" in err:
        return False
    return returncode == -signum or (returncode == 1 and "Fatal Python error: init_" in err)


def test_ctrl_c_and_sigterm_during_a_sync(tmp_path: Path, mlpath_exe: str) -> None:
    """A Ctrl-C reaches the whole foreground process group (mlpath and its git); `kill PID`
    reaches mlpath alone. Either way: the exit status says which, no traceback, the next sync
    completes, and nothing is lost."""
    rng = random.Random(SEED)
    world = _world(tmp_path, mlpath_exe, ("A", "B"))
    a, b = world.machines
    _log_entries([a, b], "first")
    durations = []
    for machine in (a, b, a):
        began = time.monotonic()
        _sync_ok(machine, "a first sync")
        durations.append(time.monotonic() - began)
    window = statistics.median(durations)
    per_kind = 5
    plan = [(kind, (i + rng.random()) / per_kind * window) for kind in SIGNALS
            for i in range(per_kind)]  # fmt: skip
    rng.shuffle(plan)
    outcomes: dict[str, Counter[str]] = {name: Counter() for name, _, _ in SIGNALS}
    for run, ((name, signum, to_group), delay) in enumerate(plan):
        _log_entries([a, b] if run % 4 == 0 else [a], f"signal-{run}")
        started = time.time()
        proc = a.start("sync")
        time.sleep(delay)
        sent = time.time()
        if to_group:
            os.killpg(proc.pid, signum)
        else:
            proc.send_signal(signum)
        out, err = proc.communicate(timeout=TIMEOUT)
        _drain(proc.pid)
        scenario = f"seed {SEED}, run {run}, {name}, delay {delay:.3f}s"
        phase = _phase(world, proc.pid, started, sent)
        if proc.returncode == 0:  # the signal came after the sync had ended
            assert "Traceback" not in err, f"{scenario}: {err}"
            outcomes[name]["too late"] += 1
            continue
        if _before_mlpath(proc.returncode, signum, err):
            # The signal came while the interpreter (site) or the script launcher (`import
            # re`) were starting, before mlpath's first line ran: Python's own defaults, out
            # of mlpath's reach. Nothing of mlpath ran: no git, no frame of the package.
            assert phase == "before git", f"{scenario}: {phase}: exit {proc.returncode}\n{err}"
            outcomes[name]["before mlpath started"] += 1
            continue
        assert proc.returncode == 128 + signum, (
            f"{scenario}: {phase}: exit {proc.returncode}\n{out}\n{err}"
        )
        assert "Traceback" not in err, f"{scenario}: {phase}: {err}"
        word = "interrupted" if signum == signal.SIGINT else "terminated"
        assert err == f"{word}\n", f"{scenario}: {phase}: {err!r}"
        outcomes[name][f"{phase}, stderr {err.strip() or 'empty'}"] += 1
        _sync_ok(a, f"the sync after {scenario}, {phase}")
    for name, seen in outcomes.items():
        print(f"\n{name}: {dict(sorted(seen.items()))}", end="")
        stopped = sum(n for what, n in seen.items() if "stderr" in what)
        assert stopped >= 2, f"{name}: the signal hardly ever reached a running sync: {seen}"
    print()
    own = _own_events([a, b])
    for machine in (a, b, a):
        _sync_ok(machine, "a final sync")
    _assert_converged(world, own)


def test_two_syncs_of_one_machine_take_turns(tmp_path: Path, mlpath_exe: str) -> None:
    """Two syncs of the same MLPATH_HOME at once: the second waits for the first (never a
    git command of both on the clone at the same time), both succeed, nothing breaks."""
    world = _world(tmp_path, mlpath_exe, ("A", "B"))
    a, b = world.machines
    # Each git command waits a little, so two syncs left to run together would overlap.
    pause = {"MLPATH_TEST_GIT_PAUSE": "0.05"}
    for round_ in range(3):
        _log_entries([a], f"twice-{round_}")
        since = time.time()
        procs = [a.start("sync", **pause) for _ in range(2)]
        for proc in procs:
            out, err = proc.communicate(timeout=TIMEOUT)
            assert proc.returncode == 0, f"round {round_}: exit {proc.returncode}\n{out}\n{err}"
        calls = world.calls(since)
        spans = []
        for proc in procs:
            mine = [c for c in calls if c.parent == proc.pid]
            assert mine, "a sync ran no git"
            assert all(c.end is not None for c in mine)
            spans.append((min(c.start for c in mine), max(c.end or 0.0 for c in mine)))
        first, second = sorted(spans)
        assert first[1] <= second[0], (
            f"round {round_}: the two syncs ran git on the clone at the same time: {spans}"
        )
    own = _own_events([a, b])
    _sync_ok(b, "B's sync")
    _assert_converged(world, own)


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_a_push_outlives_a_signal_to_the_whole_group(
    tmp_path: Path, mlpath_exe: str, signum: int
) -> None:
    """git push runs in a session of its own: a kill -9 of mlpath's process group (a crash
    of the terminal) or a Ctrl-C reaches mlpath, not the push under way, which finishes (so
    the remote keeps no lock file a killed git left). After Ctrl-C, mlpath waits for it and
    says "interrupted"."""
    world = _world(tmp_path, mlpath_exe, ("A", "B"))
    a, b = world.machines
    _log_entries([a], "sent while killed")
    since = time.time()
    proc = a.start("sync", MLPATH_TEST_PUSH_PAUSE="1.0")
    deadline = time.monotonic() + TIMEOUT
    while not any(c.command == "push" for c in world.calls(since) if c.parent == proc.pid):
        assert proc.poll() is None, "the sync ended before it pushed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.killpg(proc.pid, signum)
    _, err = proc.communicate(timeout=TIMEOUT)
    if signum == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    else:
        assert (proc.returncode, err) == (130, "interrupted\n")
    while True:  # the push, alone now, ends by itself
        [push] = [c for c in world.calls(since) if c.parent == proc.pid and c.command == "push"]
        if push.end is not None:
            break
        assert time.monotonic() < deadline, "the push never ended"
        time.sleep(0.01)
    assert push.status == 0, "the push was stopped"
    assert _remote_locks(world) == []
    assert any("sent while killed" in line for line in _replica_file(world, a.replica()))
    own = _own_events([a, b])
    for machine in (a, b):
        _sync_ok(machine, "a sync after the push finished alone")
    _assert_converged(world, own)


@pytest.mark.parametrize("lock", ["HEAD.lock", "refs/heads/main.lock"])
def test_a_push_killed_with_its_git_does_not_wedge_the_remote(
    tmp_path: Path, mlpath_exe: str, lock: str
) -> None:
    """The remote's side of a push (``git receive-pack``, a child of mlpath's git for a
    repository at a path) killed with it while it updates the branch leaves a lock file in
    the bare repository: ``HEAD.lock`` was found so in the kill -9 test (seed 1), after a
    group kill inside `git push`. Every later push of every machine is refused ("cannot lock
    ref"). The next sync must complete, or say what is wrong: not "kept changing ... sync
    again in a moment", which no retry makes true."""
    world = _world(tmp_path, mlpath_exe, ("A", "B"))
    a, b = world.machines
    _log_entries([a, b], "before")
    (world.remote / lock).write_bytes(b"")  # as the killed receive-pack left it
    done = a.run("sync")
    truthful = done.returncode == 1 and lock.rsplit("/", 1)[-1] in done.stderr
    assert done.returncode == 0 or truthful, (
        f"after a push killed with its git (the remote holds a stale {lock}): {_said(done)}"
    )
    (world.remote / lock).unlink(missing_ok=True)  # what the learner does, told so
    own = _own_events([a, b])
    for machine in (a, b, a):
        _sync_ok(machine, f"a sync once {lock} is gone")
    _assert_converged(world, own)
