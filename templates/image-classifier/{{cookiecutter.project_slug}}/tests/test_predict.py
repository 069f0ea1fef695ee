"""The command line classifies image files as the API does, and writes examples to try."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from {{cookiecutter.package_name}}.data import load_split
from {{cookiecutter.package_name}}.predict import main, predict

from .helpers import PipelineRun


def _params(pipeline_run: PipelineRun) -> Path:
    config = pipeline_run[0]
    path = config.root / "configs" / "params.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(config.model_dump(mode="json", exclude={"root"})), encoding="utf-8")
    return path


def test_examples_are_written_and_classified(
    pipeline_run: PipelineRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    params = _params(pipeline_run)
    assert main(["--params", str(params), "--save-examples", str(tmp_path), "--count", "12"]) == 0
    files = sorted(tmp_path.glob("*.png"))
    assert len(files) == 12
    capsys.readouterr()
    assert main(["--params", str(params), *map(str, files)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["file"] for line in lines] == [str(f) for f in files]
    right = sum(line["label"] == Path(line["file"]).stem.rsplit("-", 1)[1] for line in lines)
    assert right >= 11
    for line in lines:
        assert line["probability"] == max(line["probabilities"].values())
        assert sum(line["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)


def test_a_file_that_is_not_an_image_is_reported_not_fatal(
    pipeline_run: PipelineRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "notes.png"
    bad.write_text("not an image", encoding="utf-8")
    assert main(["--params", str(_params(pipeline_run)), str(bad)]) == 1
    [line] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert line["file"] == str(bad) and "error" in line


def test_predict_gives_a_probability_per_class(pipeline_run: PipelineRun) -> None:
    config, trained, _ = pipeline_run
    test = load_split(config, "test")
    [prediction] = predict(trained.model, test.images[:1])
    assert set(prediction.probabilities) == set(test.classes)
    assert prediction.label == max(prediction.probabilities, key=prediction.probabilities.get)
