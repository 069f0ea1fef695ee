"""The first run: on a terminal, the first command on an empty data folder says where the
data will live and what to do next, and asks the weekly hours (Enter keeps the default). The
answer is saved, which creates the store, so it is asked once."""

import sys
from collections.abc import Sequence

# Commands that bring data in or only look after it: no welcome before them.
QUIET = frozenset({"import", "sync", "config", "backup", "doctor", "export"})


def wanted(argv: Sequence[str]) -> bool:
    from mlpath import paths

    if not argv or argv[0].startswith("-") or argv[0] in QUIET:
        return False
    if any(a in ("--help", "-h", "--json") for a in argv):
        return False
    streams = (sys.stdin, sys.stdout, sys.stderr)
    if not all(getattr(s, "isatty", lambda: False)() for s in streams):
        return False
    return not paths.db_path().exists()


def welcome() -> None:
    from mlpath import config, paths
    from mlpath.errors import InvalidInputError
    from mlpath.render.output import Out
    from mlpath.store import Store

    out = Out(sys.stderr)
    out.line(
        ("Welcome to mlpath.", "bold"), f" Your data will live in {paths.display(paths.home())}"
    )
    out.line(("  (set MLPATH_HOME to keep it elsewhere). Next: `mlpath next` shows what to learn "
              "first, and `mlpath start TOPIC` begins it.", "grey50"))  # fmt: skip
    default = config.SPECS[config.WEEKLY_HOURS].default
    while True:
        sys.stderr.write(f"How many hours a week will you learn? [{default:g}]: ")
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line:  # end of input: asked again next time
            sys.stderr.write("\n")
            return
        answer = line.strip() or f"{default:g}"
        try:
            stored = config.normalise(config.WEEKLY_HOURS, answer)
            break
        except InvalidInputError as exc:
            out.line(exc.message)
    with Store.open(create=True) as store:
        config.set_value(store, config.WEEKLY_HOURS, stored)
    months = core_months(float(stored))
    out.line(f"Saved: {stored} h a week (`mlpath config set weekly-hours H` changes it). At that "
             f"pace the core path takes about {months} months.")  # fmt: skip
    out.line("")


def core_months(per_week: float) -> int:
    """Months the default path takes at ``per_week`` hours a week."""
    from mlpath.roadmaps import DEFAULT_PATH, load_catalog

    catalog = load_catalog()
    hours = sum(catalog.roadmaps[r].total_hours for r in DEFAULT_PATH if r in catalog.roadmaps)
    return max(1, round(hours / per_week / (365.25 / 12 / 7)))
