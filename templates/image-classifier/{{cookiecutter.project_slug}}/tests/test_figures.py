"""The figures exist, are PNGs, and are byte-for-byte repeatable."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from {{cookiecutter.package_name}} import figures

from .helpers import PipelineRun

PNG = b"\x89PNG\r\n\x1a\n"
HISTORY = {
    "epochs": [
        {"epoch": e, "train_loss": 1 / e, "val_loss": 1.2 / e, "train_accuracy": 0.8 + e / 100,
         "val_accuracy": 0.82 + e / 100}
        for e in range(1, 11)
    ],
    "best_epoch": 9,
    "stopped_early": True,
}  # fmt: skip


def test_make_evaluate_draws_every_figure(pipeline_run: PipelineRun) -> None:
    config, _, metrics = pipeline_run
    for relative in metrics["figures"].values():
        path = config.resolve(Path(relative))
        assert path.read_bytes()[:8] == PNG, path


def test_figures_are_byte_for_byte_repeatable(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    images = rng.random((7, 8, 8))
    matrix = rng.integers(0, 30, size=(10, 10))
    labels = [str(i) for i in range(10)]

    def draw(folder: Path) -> list[bytes]:
        paths = [
            figures.plot_learning_curves(HISTORY, folder / "curves.png"),
            figures.plot_confusion_matrix(matrix, labels, folder / "cm.png"),
            figures.plot_misclassified(images, ["3 -> 8"] * 7, folder / "wrong.png", "title"),
            figures.plot_drift(
                {"brightness": 0.05, "contrast": 3.0},
                0.2,
                rng.random(50),
                rng.random(50),
                folder / "drift.png",
            ),
        ]
        return [path.read_bytes() for path in paths]

    first = draw(tmp_path / "a")
    rng = np.random.default_rng(0)
    images = rng.random((7, 8, 8))
    matrix = rng.integers(0, 30, size=(10, 10))
    assert draw(tmp_path / "b") == first
    assert all(data[:8] == PNG for data in first)


def test_no_misclassified_images_still_draws_a_figure(tmp_path: Path) -> None:
    path = figures.plot_misclassified(np.zeros((0, 8, 8)), [], tmp_path / "none.png", "none")
    assert path.read_bytes()[:8] == PNG
