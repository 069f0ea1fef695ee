"""Experiment tracking and a model registry with MLflow, kept in a local store in this project.

    make train      one MLflow run per training: every parameter of configs/params.yaml, a
                    SHA-256 fingerprint of each data file it read, and the served model file
                    (models/run.json names the run, for the steps below)
    make evaluate   adds the metrics of reports/metrics.json, the figures and the report to
                    that run, with its headline metric (the one models are compared by)
    make register   makes that run's model a new version of the registered model, and promotes
                    it (the alias ``champion``) when its headline beats the champion's; the
                    champion is exported to models/registered/, which the API serves
    make ui         MLflow's UI on http://127.0.0.1:5000, reading the same store

The store is ``$MLFLOW_TRACKING_URI`` when set, else ``sqlite:///mlflow.db`` in the project
folder, with the artefacts under mlruns/ (both git-ignored): no server is needed to log.
``TRACKING=off`` turns logging off for a run. MLflow is a dev dependency (requirements-dev.lock):
the serving image does not carry it, which is why ``register`` exports the champion as a plain
model file instead of having the API ask the registry at start-up.

MLflow is imported inside the functions that need it (it takes seconds): ``make data``, the API
and the tests that do not track never pay for it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

TRACKING_ENV_VAR = "TRACKING"
TRACKING_URI_ENV_VAR = "MLFLOW_TRACKING_URI"
DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
EXPERIMENT = "{{cookiecutter.project_slug}}"
REGISTERED_MODEL = "{{cookiecutter.project_slug}}"
CHAMPION = "champion"
MODEL_ARTIFACT_PATH = "model"
DEFAULT_RUN_FILE = Path("models/run.json")
REGISTERED_DIR = "registered"  # beside the served model file; serving.py reads it
REGISTERED_META = "registered.json"
HEADLINE_METRIC = "headline"
_OFF = {"0", "off", "false", "no"}
_MAX_PARAM_CHARS = 6000  # MLflow's limit on a parameter's value
_MAX_SERIES = 1000  # a longer list in metrics.json is left out rather than logged point by point


class TrackingError(Exception):
    """A tracking step that cannot go ahead; the message says what to do."""


@dataclass(frozen=True)
class Headline:
    """The one number runs are compared by when promoting a model, and which way is better."""

    name: str  # where it comes from, for example "test.lightgbm.rmse"
    value: float
    greater_is_better: bool


def run_file_for(model_path: Path) -> Path:
    """Where the run that trained ``model_path`` is named: ``run.json`` beside it."""
    return model_path.parent / DEFAULT_RUN_FILE.name


def enabled() -> bool:
    """Track unless ``TRACKING`` says off, and only when MLflow is installed."""
    if os.environ.get(TRACKING_ENV_VAR, "").strip().lower() in _OFF:
        return False
    import importlib.util

    if importlib.util.find_spec("mlflow") is None:
        logger.warning(
            "MLflow is not installed, so this run is not tracked: `make install` adds it"
        )
        return False
    return True


def tracking_uri() -> str:
    return os.environ.get(TRACKING_URI_ENV_VAR, "").strip() or DEFAULT_TRACKING_URI


def fingerprint(path: Path) -> str:
    """The SHA-256 of a file's bytes: the same data, the same fingerprint, on any machine."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def flat_params(tree: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested settings as MLflow parameters: dotted keys, values as text (lists as JSON)."""
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flat_params(value, f"{name}."))
        else:
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            flat[name] = text[:_MAX_PARAM_CHARS]
    return flat


def flat_metrics(
    tree: Mapping[str, Any], prefix: str = ""
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """The numbers of a metrics document: single values, and lists of numbers as series (logged
    with a step each, so MLflow draws them, e.g. a metric at k = 1..20). Text, booleans and
    non-finite numbers are left out: MLflow would refuse NaN, and a flag is not a metric."""
    values: dict[str, float] = {}
    series: dict[str, list[float]] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            inner_values, inner_series = flat_metrics(value, f"{name}.")
            values.update(inner_values)
            series.update(inner_series)
        elif _is_number(value):
            values[name] = float(value)
        elif (
            isinstance(value, list)
            and 0 < len(value) <= _MAX_SERIES
            and all(_is_number(item) for item in value)
        ):
            series[name] = [float(item) for item in value]
    return values, series


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _mlflow() -> Any:
    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    return mlflow


def _read_run_file(run_file: Path) -> dict[str, Any]:
    try:
        recorded = json.loads(run_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TrackingError(f"{run_file} not found: run `make train` first") from None
    except ValueError as error:
        raise TrackingError(f"{run_file} is not valid JSON ({error}): run `make train`") from None
    if not isinstance(recorded, dict) or not isinstance(recorded.get("run_id"), str):
        raise TrackingError(f"{run_file} names no run: run `make train` again")
    return recorded


def _write_json(path: Path, document: Mapping[str, Any]) -> None:
    """Write through a temporary file and a rename: a crash leaves the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(document, stream, indent=2)
            stream.write("\n")
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class TrainingRun:
    """The MLflow run of one training, open while the ``training_run`` block runs."""

    def __init__(self, mlflow: Any, run_id: str) -> None:
        self._mlflow = mlflow
        self.run_id = run_id
        self.model_files: list[str] = []

    def log_model(self, *paths: Path) -> None:
        """Log the served model's file(s) under ``model/``: what ``register`` turns into a
        version. The file is logged as it is (no MLflow flavour), so the registry holds exactly
        the bytes the API loads."""
        for path in paths:
            self._mlflow.log_artifact(str(path), MODEL_ARTIFACT_PATH)
            self.model_files.append(path.name)

    def log_metrics(self, metrics: Mapping[str, float]) -> None:
        self._mlflow.log_metrics(dict(metrics))


@contextmanager
def training_run(
    params: Mapping[str, Any],
    data_files: Sequence[Path],
    run_file: Path = DEFAULT_RUN_FILE,
    tags: Mapping[str, str] | None = None,
) -> Iterator[TrainingRun | None]:
    """An MLflow run around a training, or ``None`` when tracking is off.

    Logs the parameters and the data fingerprints before the block; the block logs the model.
    When the block ends without an error, ``run_file`` names the run; when it fails, the run is
    marked FAILED and ``run_file`` is removed, so ``evaluate`` never logs into the wrong run.
    """
    if not enabled():
        run_file.unlink(missing_ok=True)
        yield None
        return
    mlflow = _mlflow()
    mlflow.set_experiment(EXPERIMENT)
    run_file.unlink(missing_ok=True)
    with mlflow.start_run() as active:
        run_id = active.info.run_id
        mlflow.log_params(flat_params(params))
        # A missing file is left to the training itself, whose error says which step makes it.
        data = {
            f"data.{path.name}.sha256": fingerprint(path) for path in data_files if path.is_file()
        }
        mlflow.log_params(data)
        mlflow.set_tags({"step": "train", **(tags or {})})
        run = TrainingRun(mlflow, run_id)
        yield run
    _write_json(
        run_file,
        {
            "run_id": run_id,
            "experiment": EXPERIMENT,
            "tracking_uri": tracking_uri(),
            "model_files": run.model_files,
            "data": data,
        },
    )
    logger.info("logged training run %s to %s", run_id, tracking_uri())


def log_evaluation(
    metrics: Mapping[str, Any],
    headline: Headline,
    artifacts: Sequence[Path] = (),
    run_file: Path = DEFAULT_RUN_FILE,
) -> str | None:
    """Add an evaluation to the training run ``run_file`` names; returns its id, or ``None``
    when tracking is off or the model was trained without it (then nothing is logged)."""
    if not enabled():
        return None
    if not run_file.exists():
        logger.warning("%s not found: the model was trained untracked, and so is this", run_file)
        return None
    recorded = _read_run_file(run_file)
    if not math.isfinite(headline.value):
        raise TrackingError(f"the headline metric {headline.name} is {headline.value}")
    mlflow = _mlflow()
    values, series = flat_metrics(metrics)
    with mlflow.start_run(run_id=recorded["run_id"]):
        mlflow.log_metrics({**values, HEADLINE_METRIC: headline.value})
        for name, points in series.items():
            for step, point in enumerate(points):
                mlflow.log_metric(name, point, step=step)
        mlflow.set_tags(
            {
                "headline.name": headline.name,
                "headline.greater_is_better": str(headline.greater_is_better).lower(),
                "evaluated": "true",
            }
        )
        for path in artifacts:
            if path.is_dir():
                mlflow.log_artifacts(str(path), path.name)
            elif path.is_file():
                mlflow.log_artifact(str(path), "reports")
    logger.info("logged the evaluation to run %s", recorded["run_id"])
    return str(recorded["run_id"])


def _headline_of(run: Any) -> tuple[float, bool, str]:
    value = run.data.metrics.get(HEADLINE_METRIC)
    if value is None:
        raise TrackingError(
            f"run {run.info.run_id} has no evaluation: run `make evaluate` before `make register`"
        )
    better = run.data.tags.get("headline.greater_is_better", "true") == "true"
    return float(value), better, run.data.tags.get("headline.name", HEADLINE_METRIC)


def register(
    run_file: Path = DEFAULT_RUN_FILE, export_to: Path | None = None, force: bool = False
) -> dict[str, Any]:
    """Register the model of the run ``run_file`` names and promote it when it is better.

    The run's ``model/`` artefacts become a new version of ``REGISTERED_MODEL`` (or the version
    already made from that run: registering twice does not make a duplicate). The alias
    ``champion`` moves to it when there is no champion yet, when its headline metric beats the
    champion's, or with ``force``. Whichever version is champion afterwards is exported to
    ``export_to`` (default: ``models/registered/``) for the API and the Docker image.
    """
    if not enabled():
        raise TrackingError("tracking is off (TRACKING=off) or MLflow is not installed")
    recorded = _read_run_file(run_file)
    mlflow = _mlflow()
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    try:
        run = client.get_run(recorded["run_id"])
    except MlflowException:
        raise TrackingError(
            f"run {recorded['run_id']} is not in {tracking_uri()}: run `make train` again"
        ) from None
    value, greater_is_better, headline_name = _headline_of(run)
    if not recorded.get("model_files"):
        raise TrackingError(f"run {run.info.run_id} logged no model file: run `make train` again")

    try:
        client.get_registered_model(REGISTERED_MODEL)
    except MlflowException:
        client.create_registered_model(
            REGISTERED_MODEL, description="The model the API serves (alias: champion)."
        )
    mine = client.search_model_versions(f"name='{REGISTERED_MODEL}' and run_id='{run.info.run_id}'")
    if mine:
        version = mine[0]
    else:
        version = client.create_model_version(
            REGISTERED_MODEL,
            source=f"{run.info.artifact_uri}/{MODEL_ARTIFACT_PATH}",
            run_id=run.info.run_id,
            tags={"headline.name": headline_name, "headline": str(value)},
        )

    try:
        champion = client.get_model_version_by_alias(REGISTERED_MODEL, CHAMPION)
    except MlflowException:
        champion = None
    if champion is None:
        promoted, reason = True, "the first registered version"
    elif champion.version == version.version:
        promoted, reason = False, "already the champion"
    else:
        best, _, _ = _headline_of(client.get_run(champion.run_id))
        beats = value > best if greater_is_better else value < best
        word = "higher" if greater_is_better else "lower"
        if beats or force:
            promoted = True
            reason = f"{headline_name} {value:g} against the champion's {best:g} ({word} is better)"
            if not beats:
                reason += "; promoted with --force"
        else:
            promoted = False
            reason = (
                f"{headline_name} {value:g} does not beat the champion's {best:g} "
                f"({word} is better)"
            )
    if promoted:
        client.set_registered_model_alias(REGISTERED_MODEL, CHAMPION, version.version)
        champion = client.get_model_version_by_alias(REGISTERED_MODEL, CHAMPION)
    assert champion is not None

    target = export_to or run_file.parent / REGISTERED_DIR
    champion_run = client.get_run(champion.run_id)
    champion_value, champion_better, champion_name = _headline_of(champion_run)
    meta = {
        "name": REGISTERED_MODEL,
        "version": int(champion.version),
        "alias": CHAMPION,
        "run_id": champion.run_id,
        "headline": {
            "name": champion_name,
            "value": champion_value,
            "greater_is_better": champion_better,
        },
        "tracking_uri": tracking_uri(),
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    export(mlflow, f"models:/{REGISTERED_MODEL}@{CHAMPION}", target, meta)
    return {
        "registered_version": int(version.version),
        "promoted": promoted,
        "reason": reason,
        "champion_version": int(champion.version),
        "exported_to": str(target),
    }


def export(mlflow: Any, model_uri: str, target: Path, meta: Mapping[str, Any]) -> None:
    """Download ``model_uri`` into ``target``, then write ``registered.json`` naming it.

    The files are downloaded into a staging folder and moved into place one by one, and
    registered.json, written last, records each file's SHA-256: a server that starts while an
    export is half done (or after a crash in one) sees a file that does not match and says so,
    rather than serving one version under another's name.
    """
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target, prefix=".staging-"))
    try:
        mlflow.artifacts.download_artifacts(artifact_uri=model_uri, dst_path=str(staging))
        files = sorted(p for p in staging.iterdir() if p.is_file())
        digests = {p.name: fingerprint(p) for p in files}
        for path in files:
            path.replace(target / path.name)
        _write_json(target / REGISTERED_META, {**meta, "files": digests})
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def ui(port: int) -> None:
    """Run MLflow's UI on 127.0.0.1 over the same store as the runs, until Ctrl-C: MLflow's own
    command line (``mlflow ui``), given this project's store."""
    from mlflow.cli import cli

    print(f"MLflow UI on http://127.0.0.1:{port} (Ctrl-C stops it)", flush=True)
    arguments = ["ui", "--backend-store-uri", tracking_uri(), "--host", "127.0.0.1"]
    cli.main(args=[*arguments, "--port", str(port)], prog_name="mlflow")


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m <package>.tracking register [--force] | ui [--port N]``."""
    parser = argparse.ArgumentParser(description="The MLflow store of this project's runs.")
    commands = parser.add_subparsers(dest="command", required=True)
    registering = commands.add_parser("register", help="register the last run, promote if better")
    registering.add_argument("--run-file", type=Path, default=DEFAULT_RUN_FILE)
    registering.add_argument("--force", action="store_true", help="promote even if not better")
    showing = commands.add_parser("ui", help="MLflow's UI on http://127.0.0.1:PORT")
    showing.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.command == "ui":
        try:
            ui(args.port)
        except KeyboardInterrupt:
            return 130
        return 0
    try:
        outcome = register(args.run_file, force=args.force)
    except TrackingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    verdict = "promoted to champion" if outcome["promoted"] else "not promoted"
    print(
        f"{REGISTERED_MODEL} version {outcome['registered_version']}: {verdict} "
        f"({outcome['reason']}); the champion, version {outcome['champion_version']}, "
        f"is exported to {outcome['exported_to']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
