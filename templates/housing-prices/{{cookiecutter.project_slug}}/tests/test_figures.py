"""The report figures exist, are real PNGs of a fixed size, and re-render byte for byte."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from {{cookiecutter.package_name}} import data, evaluate, figures, train
from {{cookiecutter.package_name}}.config import Params


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header (the IHDR chunk follows the signature)."""
    header = path.read_bytes()[:24]
    return struct.unpack(">II", header[16:24])


@pytest.mark.parametrize("name", figures.EVALUATION_FIGURES)
def test_evaluate_writes_each_figure_as_a_png(
    small_params: Params, report: dict[str, Any], name: str
) -> None:
    path = small_params.evaluation.figures_dir / name
    assert figures.is_png(path)
    assert path.stat().st_size > 5_000  # something was drawn
    assert name in report["figures"]


def test_figures_have_a_fixed_size(small_params: Params, report: dict[str, Any]) -> None:
    directory = small_params.evaluation.figures_dir
    assert _png_size(directory / figures.PREDICTED_VS_ACTUAL) == (500, 500)
    assert _png_size(directory / figures.RESIDUALS) == (900, 380)


def test_figures_re_render_byte_identically(
    small_params: Params, report: dict[str, Any], trained_models: train.Models, tmp_path: Path
) -> None:
    test = data.load_processed(small_params.data.processed_dir, "test")
    model = trained_models[train.MAIN_MODEL]
    # `make evaluate` (the session's run) rendered them once; render them again and compare.
    again = evaluate.write_figures(report, model, test, tmp_path)
    assert again == report["figures"]
    for name in again:
        rendered = (tmp_path / name).read_bytes()
        assert rendered == (small_params.evaluation.figures_dir / name).read_bytes(), name


def test_figures_are_drawn_headless_on_agg_without_software_metadata(tmp_path: Path) -> None:
    path = tmp_path / "probe.png"
    with figures._figure(path, 2.0, 1.0) as figure:
        assert isinstance(figure.canvas, FigureCanvasAgg)
        figure.subplots().plot([0, 1], [0, 1])
    assert figures.is_png(path)
    assert b"Software" not in path.read_bytes()
    assert b"matplotlib" not in path.read_bytes()


def test_is_png_rejects_other_files(tmp_path: Path) -> None:
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("not an image")
    assert not figures.is_png(tmp_path / "empty.png")
    assert not figures.is_png(tmp_path / "text.png")
    assert not figures.is_png(tmp_path / "missing.png")
