"""Experiment tracking against a real MLflow store in a temporary folder.

A training run holds its parameters, the fingerprints of its data and the model file; an
evaluation adds the metrics, the figures and the headline metric; ``register`` versions the
model and promotes only a better one; the API serves the champion it exported.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path

import pytest
from mlflow import MlflowClient

from {{cookiecutter.package_name}} import serving, tracking
from {{cookiecutter.package_name}}.tracking import Headline, TrackingError


@pytest.fixture(scope="session")
def migrated_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One MLflow database with its tables made: creating them takes seconds, a copy does not."""
    database = tmp_path_factory.mktemp("mlflow") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{database}").search_experiments()
    return database


@pytest.fixture
def store(migrated_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder (the working directory) with a fresh store of its own."""
    shutil.copy(migrated_store, tmp_path / "mlflow.db")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(tracking.TRACKING_URI_ENV_VAR, f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.delenv(tracking.TRACKING_ENV_VAR, raising=False)
    monkeypatch.delenv(serving.MODEL_SOURCE_ENV_VAR, raising=False)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    (tmp_path / "models").mkdir()
    return tmp_path


def _train(project: Path, model_bytes: bytes, params: dict | None = None) -> str:
    model = project / "models" / "model.bin"
    model.write_bytes(model_bytes)
    settings = params or {"seed": 7, "model": {"depth": 3, "layers": [8, 4]}}
    with tracking.training_run(settings, [project / "data" / "train.csv"]) as run:
        assert run is not None
        run.log_model(model)
    return json.loads((project / "models" / "run.json").read_text())["run_id"]


def _evaluate(project: Path, value: float, greater_is_better: bool = False) -> None:
    figures = project / "reports" / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    (figures / "residuals.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    report = project / "reports" / "metrics.json"
    metrics = {"test": {"rmse": value, "note": "text"}, "curve": [0.1, 0.2, 0.3], "ok": True}
    report.write_text(json.dumps(metrics), encoding="utf-8")
    headline = Headline("test.rmse", value, greater_is_better)
    assert tracking.log_evaluation(metrics, headline, [figures, report]) is not None


def test_a_training_run_holds_its_parameters_data_fingerprint_and_model(store: Path) -> None:
    run_id = _train(store, b"weights")
    run = MlflowClient().get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["seed"] == "7"
    assert run.data.params["model.depth"] == "3"
    assert run.data.params["model.layers"] == "[8, 4]"
    expected = hashlib.sha256(b"x,y\n1,2\n").hexdigest()
    assert run.data.params["data.train.csv.sha256"] == expected
    logged = [item.path for item in MlflowClient().list_artifacts(run_id, "model")]
    assert logged == ["model/model.bin"]


def test_an_evaluation_adds_metrics_series_figures_and_the_headline(store: Path) -> None:
    run_id = _train(store, b"weights")
    _evaluate(store, 0.42)
    client = MlflowClient()
    run = client.get_run(run_id)
    assert run.data.metrics["test.rmse"] == pytest.approx(0.42)
    assert run.data.metrics[tracking.HEADLINE_METRIC] == pytest.approx(0.42)
    assert "ok" not in run.data.metrics and "test.note" not in run.data.metrics
    assert [m.value for m in client.get_metric_history(run_id, "curve")] == [0.1, 0.2, 0.3]
    assert run.data.tags["headline.name"] == "test.rmse"
    assert run.data.tags["headline.greater_is_better"] == "false"
    assert [a.path for a in client.list_artifacts(run_id, "figures")] == ["figures/residuals.png"]
    assert [a.path for a in client.list_artifacts(run_id, "reports")] == ["reports/metrics.json"]


def test_register_promotes_the_first_model_and_then_only_a_better_one(store: Path) -> None:
    exported = store / "models" / "registered"
    first = _train(store, b"first")
    _evaluate(store, 0.50)
    outcome = tracking.register()
    assert outcome["promoted"] and outcome["champion_version"] == 1
    assert (exported / "model.bin").read_bytes() == b"first"

    _train(store, b"worse")
    _evaluate(store, 0.60)  # a higher RMSE: worse
    outcome = tracking.register()
    assert outcome == outcome | {"registered_version": 2, "promoted": False, "champion_version": 1}
    assert "does not beat" in outcome["reason"]
    assert (exported / "model.bin").read_bytes() == b"first"
    meta = json.loads((exported / "registered.json").read_text())
    assert (meta["version"], meta["run_id"]) == (1, first)

    better = _train(store, b"better")
    _evaluate(store, 0.40)
    outcome = tracking.register()
    assert outcome["promoted"] and outcome["champion_version"] == 3
    assert (exported / "model.bin").read_bytes() == b"better"
    assert json.loads((exported / "registered.json").read_text())["run_id"] == better
    champion = MlflowClient().get_model_version_by_alias(tracking.REGISTERED_MODEL, "champion")
    assert int(champion.version) == 3
    assert not list(exported.glob(".staging-*")), "a staging folder was left"
    assert meta["files"] == {"model.bin": hashlib.sha256(b"first").hexdigest()}


def test_higher_is_better_is_honoured_and_force_promotes_a_worse_model(store: Path) -> None:
    _train(store, b"first")
    _evaluate(store, 0.80, greater_is_better=True)
    tracking.register()
    _train(store, b"lower")
    _evaluate(store, 0.70, greater_is_better=True)
    assert not tracking.register()["promoted"]
    outcome = tracking.register(force=True)
    assert outcome["promoted"] and outcome["champion_version"] == 2
    assert "--force" in outcome["reason"]
    assert (store / "models" / "registered" / "model.bin").read_bytes() == b"lower"


def test_registering_the_same_run_twice_makes_one_version(store: Path) -> None:
    _train(store, b"once")
    _evaluate(store, 0.5)
    tracking.register()
    outcome = tracking.register()
    assert outcome["registered_version"] == 1 and outcome["reason"] == "already the champion"
    versions = MlflowClient().search_model_versions(f"name='{tracking.REGISTERED_MODEL}'")
    assert len(versions) == 1


def test_register_needs_a_training_and_an_evaluation(store: Path) -> None:
    with pytest.raises(TrackingError, match="make train"):
        tracking.register()
    _train(store, b"untested")
    with pytest.raises(TrackingError, match="make evaluate"):
        tracking.register()
    assert not (store / "models" / "registered").exists()


def test_a_failed_training_is_marked_failed_and_names_no_run(store: Path) -> None:
    _train(store, b"good")
    with pytest.raises(RuntimeError), tracking.training_run({"seed": 1}, []):
        raise RuntimeError("the fit diverged")
    assert not (store / "models" / "run.json").exists(), "evaluate would log to the wrong run"
    runs = MlflowClient().search_runs(
        [MlflowClient().get_experiment_by_name(tracking.EXPERIMENT).experiment_id]
    )
    assert sorted(run.info.status for run in runs) == ["FAILED", "FINISHED"]


def test_tracking_off_logs_nothing(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (store / "mlflow.db").unlink()
    monkeypatch.setenv(tracking.TRACKING_ENV_VAR, "off")
    with tracking.training_run({"seed": 1}, [store / "data" / "train.csv"]) as run:
        assert run is None
    assert tracking.log_evaluation({}, Headline("x", 1.0, True)) is None
    assert not (store / "mlflow.db").exists() and not (store / "mlruns").exists()
    with pytest.raises(TrackingError, match="off"):
        tracking.register()


def test_the_api_serves_the_registered_champion(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    latest = store / "models" / "model.bin"
    _train(store, b"champion")
    _evaluate(store, 0.5)
    tracking.register()
    latest.write_bytes(b"retrained, not registered")
    logger = logging.getLogger("test")

    state = serving.load_at_startup(lambda: latest, Path.read_bytes, logger)
    assert state.model == b"champion" and state.source == "registry"
    assert state.registered is not None and state.registered.version == 1

    monkeypatch.setenv(serving.MODEL_SOURCE_ENV_VAR, "latest")
    state = serving.load_at_startup(lambda: latest, Path.read_bytes, logger)
    assert state.model == b"retrained, not registered" and state.source == "latest"

    monkeypatch.setenv(serving.MODEL_SOURCE_ENV_VAR, "newest")
    state = serving.load_at_startup(lambda: latest, Path.read_bytes, logger)
    assert state.model is None and state.problem is not None
    assert state.problem.startswith("MODEL_SOURCE must be registry or latest, not 'newest'")


def test_a_broken_or_half_done_export_is_not_served(store: Path) -> None:
    latest = store / "models" / "model.bin"
    exported = store / "models" / "registered"
    _train(store, b"champion")
    _evaluate(store, 0.5)
    tracking.register()
    logger = logging.getLogger("test")

    (exported / "model.bin").write_bytes(b"half written")  # the file and its record disagree
    state = serving.load_at_startup(lambda: latest, Path.read_bytes, logger)
    assert state.model is None and state.problem is not None
    assert "does not match" in state.problem and "make register" in state.problem

    (exported / "model.bin").unlink()
    state = serving.load_at_startup(lambda: latest, Path.read_bytes, logger)
    assert state.model is None and state.problem is not None and "lacks" in state.problem

    (exported / "registered.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(serving.ModelChoiceError, match=r"registered/registered\.json is not"):
        serving.choose_model_file(latest)
    state = serving.load_at_startup(lambda: latest, Path.read_bytes, logger)
    assert state.model is None and state.problem is not None and "make register" in state.problem


def test_without_an_export_the_latest_model_is_served(store: Path) -> None:
    latest = store / "models" / "model.bin"
    latest.write_bytes(b"latest")
    assert serving.choose_model_file(latest) == (latest, None)
