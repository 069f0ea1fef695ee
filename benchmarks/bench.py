"""Whole-process timings of mlpath on a large, realistic store, against budgets.

    python benchmarks/bench.py [--runs N] [--keep]

Builds, in a temporary folder, five years of a learner's data through mlpath's own import
(10,000+ topic events, 2,000 journal entries, 50 projects, the six built-in roadmaps plus a
generated 2,000-topic roadmap that is followed), and a store ten times larger. Then it times
each command as a separate process and prints the median of --runs runs, each as a ratio to
`python -c pass`; each round runs every command once, in turn, so that the machine's slow
spells fall on all of them alike. It times `mlpath new-project` against plain cookiecutter
plus git on the same template the same way. Exit 1 when a budget is missed.

Child processes run with bytecode caching on (PYTHONDONTWRITEBYTECODE removed) and after a
warm-up run, as an installed mlpath runs on a learner's machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MLPATH = str(BIN / "mlpath")
COOKIECUTTER = str(BIN / "cookiecutter")
TEMPLATE = "sentiment"
YEARS = 5
DAY = dt.timedelta(days=1)


# ------------------------------------------------------------------------------- the data


def big_roadmap(topics: int) -> str:
    """A valid roadmap of ``topics`` topics in 20 stages, each requiring two earlier ones."""
    lines = [
        "schema: 1",
        "id: big-custom",
        "title: A very large custom roadmap",
        "summary: Generated for the benchmark, with realistic fields on every topic.",
        "requires: [foundations]",
        "stages:",
    ]
    per_stage = topics // 20
    for s in range(20):
        lines += [f"  - id: stage-{s}", f"    title: Stage {s}", "    topics:"]
        for t in range(s * per_stage, (s + 1) * per_stage):
            requires = [f"topic-{t - 7}", f"topic-{t - 13}"] if t >= 13 else []
            if t == 0:
                requires = ["foundations/python-basics"]
            lines += [
                f"      - id: topic-{t}",
                f"        title: Generated topic {t}",
                "        summary: What to learn here and why it matters, in two sentences. "
                "Long enough to look like the real thing.",
                f"        hours: {2 + t % 9}",
                f"        requires: [{', '.join(requires)}]",
                "        resources:",
                "          - title: The official documentation",
                f"            url: https://example.org/docs/{t}",
                "            kind: docs",
                "        checks:",
                "          - I can explain this topic to a friend.",
            ]
    return "\n".join(lines) + "\n"


def export_document(scale: int, topic_ids: Sequence[str], seed: int = 7) -> dict[str, object]:
    """Five years of a learner's life as an mlpath export: events, entries, projects."""
    rng = random.Random(seed)
    end = dt.datetime.now(dt.UTC).replace(microsecond=0) - DAY
    start = end - dt.timedelta(days=365 * YEARS)

    def stamp(moment: dt.datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def moment() -> dt.datetime:
        return start + dt.timedelta(seconds=rng.randrange(int((end - start).total_seconds())))

    # A topic is touched many times over five years: mostly started then finished, sometimes
    # skipped, revisited or dropped; a few are left in progress, as on a real dashboard.
    paths = [
        (70, ("started", "done")),
        (10, ("skipped",)),
        (12, ("started", "done", "reset", "started", "done")),
        (8, ("started", "reset")),
    ]
    weights, sequences = zip(*paths, strict=True)
    events = []
    for touch in range(4_500 * scale):
        topic = rng.choice(topic_ids)
        states = rng.choices(sequences, weights)[0] if touch >= 8 else ("started",)
        at = moment() if touch >= 8 else end - dt.timedelta(days=touch + 1)
        for state in states:
            events.append({"topic": topic, "state": state, "at": stamp(at), "note": None})
            at = min(at + dt.timedelta(hours=rng.randint(1, 400)), end)  # never in the future
    events.sort(key=lambda e: str(e["at"]))
    entries = []
    for i in range(2_000 * scale):
        at = moment()
        entries.append(
            {
                "uid": f"bench-{scale}-{i:06d}",
                "kind": "log" if i % 5 else "note",
                "at": stamp(at),
                "day": at.date().isoformat(),
                "hours": round(rng.uniform(0.5, 4), 1) if i % 5 else None,
                "tags": sorted(rng.sample(["numpy", "maths", "sql", "reading", "project"], 2)),
                "topics": [rng.choice(topic_ids)] if i % 3 == 0 else [],
                "text": f"Worked through part {i} of the course; notes on what was hard. #reading",
            }
        )
    entries.sort(key=lambda e: str(e["at"]))
    projects = [
        {
            "id": i + 1,
            "name": f"Project {i}",
            "template": TEMPLATE,
            "path": f"/nonexistent/bench/project-{i}",
            "created_at": stamp(moment()),
            "topics": ["machine-learning/logistic-regression"],
        }
        for i in range(50 * scale)
    ]
    return {
        "format": "mlpath",
        "version": 1,
        "settings": {"weekly-hours": "8"},
        "events": events,
        "entries": entries,
        "breaks": [],
        "projects": projects,
    }


def build_home(home: Path, scale: int, env: dict[str, str]) -> dict[str, int]:
    (home / "roadmaps").mkdir(parents=True)
    (home / "roadmaps" / "big-custom.yaml").write_text(big_roadmap(2_000), encoding="utf-8")
    catalog = json.loads(run([MLPATH, "roadmap", "list", "--json"], env).stdout)["data"]
    topic_ids: list[str] = []
    for roadmap in catalog:
        detail = json.loads(run([MLPATH, "roadmap", "show", roadmap["id"], "--json"], env).stdout)
        topic_ids += [t["id"] for s in detail["data"]["stages"] for t in s["topics"]]
    document = export_document(scale, topic_ids)
    export = home.parent / f"export-{scale}.json"
    export.write_text(json.dumps(document), encoding="utf-8")
    run([MLPATH, "import", str(export)], env)
    run([MLPATH, "roadmap", "follow", "big-custom"], env)
    return {k: len(v) for k, v in document.items() if isinstance(v, list)}


# ---------------------------------------------------------------------------------- timing


def run(
    args: Sequence[str], env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        args,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark step failed: {' '.join(args)}\n{done.stderr}")
    return done


def medians_ms(actions: Sequence[Callable[[int], None]], runs: int) -> list[float]:
    """Median wall time of each action; each round runs every action once, in turn."""
    for action in actions:
        action(-1)  # warm-up: bytecode, the roadmap cache, the page cache
    times: list[list[float]] = [[] for _ in actions]
    for i in range(runs):
        for action, spent in zip(actions, times, strict=True):
            started = time.perf_counter()
            action(i)
            spent.append(time.perf_counter() - started)
    return [statistics.median(spent) * 1000 for spent in times]


def timer(args: Sequence[str], env: dict[str, str]) -> Callable[[int], None]:
    def action(_: int) -> None:
        run(args, env)

    return action


# ----------------------------------------------------------------------------------- main


class Timings:
    """Medians by label, in the order they were measured."""

    def __init__(self, runs: int) -> None:
        self.runs = runs
        self.results: dict[str, float] = {}

    def measure(self, label: str, action: Callable[[int], None]) -> float:
        return self.compare({label: action})[0]

    def compare(self, actions: dict[str, Callable[[int], None]]) -> list[float]:
        values = medians_ms(list(actions.values()), self.runs)
        self.results.update(zip(actions, values, strict=True))
        return values

    def print_table(self, floor: float) -> None:
        width = max(len(label) for label in self.results)
        print(f"\n{'command':<{width}}  {'median':>9}  {'x floor':>7}")
        for label, value in self.results.items():
            print(f"{label:<{width}}  {value:>6.1f} ms  {value / floor:>6.1f}x")


def time_commands(timings: Timings, envs: dict[int, dict[str, str]], big_file: Path) -> None:
    """Every command once per round, in turn, so that a slow spell of the machine (frequent on
    a shared virtual machine) falls on all of them alike, the floor included."""
    env = envs[1]
    hello = "import typer\napp = typer.Typer()\n@app.command()\ndef hi() -> None:\n    pass\napp()"
    log = [MLPATH, "log", "Benchmark entry", "--hours", "1"]
    listed = json.loads(run([MLPATH, "journal", "-n", "1", "--json"], env).stdout)["data"]
    ics = Path(env["MLPATH_HOME"]) / "plan.ics"
    page = Path(env["MLPATH_HOME"]) / "report.html"
    entry = listed["weeks"][0]["entries"][0]["id"][:10]

    def edit(i: int) -> None:
        run([MLPATH, "journal", "edit", entry, "--text", f"Edited for the benchmark, {i}"], env)

    timings.compare(
        {
            "python -c pass": timer([sys.executable, "-c", "pass"], env),
            "a one-command Typer app (for scale)": timer([sys.executable, "-c", hello], env),
            "mlpath --version": timer([MLPATH, "--version"], env),
            "mlpath status": timer([MLPATH, "status"], env),
            "mlpath status (x10 store)": timer([MLPATH, "status"], envs[10]),
            "mlpath status --json": timer([MLPATH, "status", "--json"], env),
            "mlpath next": timer([MLPATH, "next"], env),
            "mlpath journal -n 20": timer([MLPATH, "journal", "-n", "20"], env),
            "mlpath review": timer([MLPATH, "review"], env),
            "mlpath plan": timer([MLPATH, "plan"], env),
            "mlpath plan --ics FILE": timer([MLPATH, "plan", "--ics", str(ics)], env),
            "mlpath recall": timer([MLPATH, "recall"], env),
            "mlpath report": timer([MLPATH, "report", "-o", str(page)], env),
            "mlpath report (x10 store)": timer([MLPATH, "report", "-o", str(page)], envs[10]),
            # undo reverses the latest change: here, the entry just logged (after reset it
            # would give the topic back, and every done after the first would change nothing).
            'mlpath log "..." --hours 1': timer(log, env),
            "mlpath undo": timer([MLPATH, "undo"], env),
            # Each round marks the topic done, then resets it: each run changes something.
            "mlpath done TOPIC": timer([MLPATH, "done", "foundations/sql"], env),
            "mlpath reset TOPIC": timer([MLPATH, "reset", "foundations/sql"], env),
            "mlpath journal edit ID --text": edit,
            "mlpath roadmap validate (2,000 topics)": timer(
                [MLPATH, "roadmap", "validate", str(big_file)], env
            ),
        }
    )


def time_scaffolding(timings: Timings, work: Path, env: dict[str, str]) -> None:
    projects = work / "projects"
    projects.mkdir()
    template = ROOT / "templates" / TEMPLATE
    env = env | {
        "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com",
    }  # fmt: skip

    def mlpath_new(i: int) -> None:
        args = [MLPATH, "new-project", TEMPLATE, f"mlpath {i + 1}", "--dir", str(projects)]
        run([*args, "--no-input"], env)

    def plain_new(i: int) -> None:
        name = f"plain-{i + 1}"
        run(
            [
                COOKIECUTTER,
                "--no-input",
                str(template),
                "-o",
                str(projects),
                f"project_name={name}",
            ],
            env,
        )
        target = projects / name
        run(["git", "init", "-q", "-b", "main"], env, target)
        run(["git", "add", "--all"], env, target)
        run(["git", "commit", "-q", "-m", "Initial commit"], env, target)

    timings.compare(
        {"mlpath new-project": mlpath_new, "cookiecutter + git (same template)": plain_new}
    )


def time_migration(work: Path, scale: int, env: dict[str, str]) -> tuple[float, int]:
    """Seconds to migrate a store of schema 5 (made by the code before events, see
    tests/fixtures/stores) holding ``scale`` times five years of data, and its rows."""
    import sqlite3

    home = work / f"migrate-{scale}"
    home.mkdir()
    shutil.copy(ROOT / "tests" / "fixtures" / "stores" / "v5.db", home / "mlpath.db")
    document = export_document(scale, [f"foundations/topic-{i}" for i in range(300)], seed=11)
    conn = sqlite3.connect(home / "mlpath.db")
    with conn:
        conn.executemany(
            "INSERT INTO topic_events (topic, state, at, note) VALUES (:topic, :state, :at, :note)",
            document["events"],  # type: ignore[arg-type]
        )
        for entry in document["entries"]:  # type: ignore[attr-defined]
            week = dt.date.fromisoformat(entry["day"]).isocalendar()
            cursor = conn.execute(
                "INSERT INTO journal_entries (uid, kind, at, day, week, hours, text) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (entry["uid"], entry["kind"], entry["at"], entry["day"],
                 f"{week[0]:04d}-W{week[1]:02d}", entry["hours"], entry["text"]),
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO journal_tags (entry, tag) VALUES (?, ?)",
                [(cursor.lastrowid, t) for t in entry["tags"]],
            )
    rows = conn.execute("SELECT count(*) FROM topic_events").fetchone()[0]
    rows += conn.execute("SELECT count(*) FROM journal_entries").fetchone()[0]
    conn.close()
    started = time.perf_counter()
    run([MLPATH, "status"], env | {"MLPATH_HOME": str(home)})
    return time.perf_counter() - started, rows


FIRST_SYNC = "first sync of the five-year store (s)"
RECEIVE = "receiving 1,000 events (s)"


def time_sync(work: Path, env: dict[str, str], runs: int) -> dict[str, float]:
    """Sync of the five-year store: the first into an empty repository, one with nothing
    new against a plain git fetch + push of the same clone, and receiving 1,000 events."""
    laptop, desktop = work / "sync-laptop", work / "sync-desktop"
    shutil.copytree(Path(env["MLPATH_HOME"]), laptop)
    remote = work / "sync-remote.git"
    git_env = env | {
        "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com",
    }  # fmt: skip
    on_laptop = git_env | {"MLPATH_HOME": str(laptop)}
    on_desktop = git_env | {"MLPATH_HOME": str(desktop)}
    started = time.perf_counter()
    run([MLPATH, "sync", "init", str(remote), "--create"], on_laptop)
    first = time.perf_counter() - started
    run([MLPATH, "sync", "init", str(remote)], on_desktop)
    clone = laptop / "sync" / "repo"

    def plain(_: int) -> None:
        run(["git", "fetch", "--quiet", "origin"], on_laptop, clone)
        run(["git", "push", "--quiet", "origin", "main"], on_laptop, clone)

    timings = Timings(runs)
    timings.compare(
        {
            "mlpath sync (nothing new)": timer([MLPATH, "sync"], on_laptop),
            "git fetch + git push, same clone": plain,
        }
    )
    entries = [{"title": f"entry {i}", "body": "", "date": "2026-11-02"} for i in range(1_000)]
    batch = work / "thousand.json"
    batch.write_text(json.dumps({"entries": entries}), encoding="utf-8")
    run([MLPATH, "import", str(batch)], on_laptop)
    run([MLPATH, "sync"], on_laptop)
    started = time.perf_counter()
    run([MLPATH, "sync"], on_desktop)
    receive = time.perf_counter() - started
    return {FIRST_SYNC: first, RECEIVE: receive, **timings.results}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mlpath-bench-"))
    base_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    base_env |= {"NO_COLOR": "1", "HOME": str(work / "user-home")}
    (work / "user-home").mkdir()
    envs = {scale: base_env | {"MLPATH_HOME": str(work / f"home-{scale}")} for scale in (1, 10)}
    sizes = {scale: build_home(work / f"home-{scale}", scale, envs[scale]) for scale in (1, 10)}
    print(
        f"store: {sizes[1]['events']:,} topic events, {sizes[1]['entries']:,} journal entries, "
        f"{sizes[1]['projects']} projects, 6 built-in roadmaps + 2,000-topic custom roadmap; "
        f"x10 store: {sizes[10]['events']:,} events, {sizes[10]['entries']:,} entries"
    )
    timings = Timings(options.runs)
    time_commands(timings, envs, work / "home-1" / "roadmaps" / "big-custom.yaml")
    time_scaffolding(timings, work, envs[1])
    results = timings.results
    timings.print_table(results["python -c pass"])
    migration, rows = time_migration(work, 10, envs[10])
    print(f"\nmigrating a schema-5 store of {rows:,} rows to events: {migration:.1f} s")
    synced = time_sync(work, envs[1], options.runs)
    for label, value in synced.items():
        print(f"{label}: {value:.2f}" if label.endswith("(s)") else f"{label}: {value:.1f} ms")

    status = results["mlpath status"]
    plain = results["cookiecutter + git (same template)"]
    typer_app = results["a one-command Typer app (for scale)"]
    budgets = [
        ("mlpath status <= 100 ms", status <= 100),
        ("x10 store: status <= 1.2x", results["mlpath status (x10 store)"] <= 1.2 * status),
        ("mlpath log <= 120 ms", results['mlpath log "..." --hours 1'] <= 120),
        ("new-project <= 1.2x cookiecutter + git", results["mlpath new-project"] <= 1.2 * plain),
        ("migration of the x10 store < 10 s", migration < 10),
        ("first sync of the five-year store <= 3 s", synced[FIRST_SYNC] <= 3),
        ("sync with nothing new <= 1.5x git fetch + push",
         synced["mlpath sync (nothing new)"] <= 1.5 * synced["git fetch + git push, same clone"]),
        ("receiving 1,000 events <= 1 s", synced[RECEIVE] <= 1),
        ("mlpath plan <= 1.3x status", results["mlpath plan"] <= 1.3 * status),
        ("mlpath recall <= 1.2x status", results["mlpath recall"] <= 1.2 * status),
        ("mlpath plan --ics <= 300 ms", results["mlpath plan --ics FILE"] <= 300),
        ("mlpath report <= 400 ms", results["mlpath report"] <= 400),
        ("x10 store: report <= 1.5x", results["mlpath report (x10 store)"]
         <= 1.5 * results["mlpath report"]),
    ]  # fmt: skip
    for label in ("mlpath status", "mlpath next", "mlpath journal -n 20", "mlpath review",
                  'mlpath log "..." --hours 1', "mlpath done TOPIC", "mlpath reset TOPIC",
                  "mlpath undo", "mlpath journal edit ID --text"):  # fmt: skip
        budgets.append((f"{label} <= 1.2x the Typer app", results[label] <= 1.2 * typer_app))
    print()
    for text, held in budgets:
        print(f"{'ok  ' if held else 'MISS'} {text}")
    if options.keep:
        print(f"\ndata kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if all(held for _, held in budgets) else 1


if __name__ == "__main__":
    sys.exit(main())
