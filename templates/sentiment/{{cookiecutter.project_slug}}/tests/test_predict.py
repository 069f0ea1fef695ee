"""Prediction helpers and the command-line interface."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import pytest
from sklearn.dummy import DummyClassifier

from {{cookiecutter.package_name}}.data import LABELS
from {{cookiecutter.package_name}}.predict import (
    load_model,
    main,
    predict,
)

from .helpers import PARAMS_PATH, PipelineRun


def test_predictions_have_a_label_and_its_probability(pipeline_run: PipelineRun) -> None:
    _, trained, _ = pipeline_run
    texts = ["Lovely hotel and friendly staff.", "Broke on day one.", "ok"]
    predictions = predict(trained.model, texts)
    assert len(predictions) == len(texts)
    probabilities = trained.model.predict_proba(texts)
    for prediction, row in zip(predictions, probabilities, strict=True):
        assert prediction.label in LABELS
        assert 0.5 <= prediction.probability <= 1.0
        assert prediction.probability == pytest.approx(row.max())


def test_load_model_explains_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make train"):
        load_model(tmp_path / "model.joblib")


def test_load_model_rejects_a_model_with_other_labels(tmp_path: Path) -> None:
    path = tmp_path / "other.joblib"
    joblib.dump(DummyClassifier().fit([[0], [1]], ["spam", "ham"]), path)
    with pytest.raises(ValueError, match="expected"):
        load_model(path)


def test_cli_prints_one_json_line_per_text(
    pipeline_run: PipelineRun, capsys: pytest.CaptureFixture[str]
) -> None:
    _, trained, _ = pipeline_run
    arguments = ["Great value.", "Awful service.", "--params", str(PARAMS_PATH)]
    main([*arguments, "--model", str(trained.model_path)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert [json.loads(line)["text"] for line in lines] == ["Great value.", "Awful service."]
    assert all(json.loads(line)["label"] in LABELS for line in lines)
