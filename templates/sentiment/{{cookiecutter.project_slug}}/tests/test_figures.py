"""The README figures: written by evaluate, real PNGs, headless and byte-for-byte repeatable."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from {{cookiecutter.package_name}} import figures
from {{cookiecutter.package_name}}.evaluate import FIGURES, figure_paths

from .helpers import PROJECT_ROOT, PipelineRun

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the IHDR chunk that follows the PNG signature."""
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE), path
    assert data[12:16] == b"IHDR", path
    return struct.unpack(">II", data[16:24])


def sample_curves() -> list[figures.ScoredCurve]:
    rng = np.random.default_rng(0)
    y_true = rng.random(200) < 0.5
    noisy = np.clip(y_true * 0.6 + rng.random(200) * 0.4, 0, 1)
    return [
        figures.ScoredCurve("good", y_true, noisy, roc_note="splits 0.9 ± 0.1"),
        figures.ScoredCurve("random", y_true, rng.random(200)),
    ]


def test_evaluate_writes_every_figure_as_a_non_empty_png(pipeline_run: PipelineRun) -> None:
    config, _, metrics = pipeline_run
    paths = figure_paths(config)
    assert set(paths) == set(FIGURES) == set(metrics["figures"])
    for name, path in paths.items():
        assert path.stat().st_size > 5_000, name
        width, height = png_size(path)
        assert width >= 400 and height >= 350, name
        assert config.resolve(Path(metrics["figures"][name])) == path


def test_figures_have_fixed_pixel_sizes_and_no_version_metadata(
    pipeline_run: PipelineRun,
) -> None:
    # Byte-for-byte repeatability of these files is checked in test_model.py, which runs
    # the whole pipeline a second time and compares the PNGs.
    config, _, _ = pipeline_run
    paths = figure_paths(config)
    size = (int(figures.SIZE[0] * figures.DPI), int(figures.SIZE[1] * figures.DPI))
    assert png_size(paths["roc_curve"]) == png_size(paths["pr_curve"]) == size
    for path in paths.values():
        assert b"Matplotlib" not in path.read_bytes(), path.name


def test_a_figure_renders_byte_identically_twice(tmp_path: Path) -> None:
    reference = np.linspace(0, 1, 50)
    paths = [
        figures.plot_drift({"a": 0.05, "b": 0.4}, 0.2, reference, reference**2, tmp_path / name)
        for name in ("first.png", "second.png")
    ]
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_rendering_ignores_the_mplbackend_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Agg is attached in code; a backend named in the environment (even a missing one, or
    # an interactive one on a machine without a display) must not matter.
    monkeypatch.setenv("MPLBACKEND", "no-such-backend")
    monkeypatch.delenv("DISPLAY", raising=False)
    curves = sample_curves()
    for path in (
        figures.plot_roc(curves, tmp_path / "roc.png", "ROC"),
        figures.plot_precision_recall(curves, tmp_path / "pr.png", "PR"),
    ):
        assert path.read_bytes().startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("document", ["README.md", "MODEL_CARD.md"])
def test_documents_embed_the_evaluation_figures(document: str) -> None:
    text = (PROJECT_ROOT / document).read_text(encoding="utf-8")
    for name in FIGURES:
        assert f"](reports/figures/{name}.png)" in text, (document, name)
