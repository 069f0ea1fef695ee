"""The one request scripts/smoke.py sends once /health answers: the first test digit, as a PNG.

It reads data/processed/test.npz (so run it after `make data`), uploads the first image as a
scan would look (dark ink on white) and the answer must be that image's true label.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

TEST_SPLIT = Path(__file__).resolve().parents[1] / "data" / "processed" / "test.npz"


def request(client: Any) -> str:
    """POST the first test image to /predict; raises AssertionError unless its label is right."""
    with np.load(TEST_SPLIT) as split:
        ink, expected = split["images"][0], str(split["classes"][split["labels"][0]])
    png = io.BytesIO()
    Image.fromarray(((1 - ink) * 255).round().astype(np.uint8)).save(png, format="PNG")
    answer = client.post_file("/predict", "file", "digit.png", png.getvalue(), "image/png")
    if answer["label"] != expected:
        raise AssertionError(f"the first test digit is {expected!r}: {answer}")
    return f"/predict: the first test digit -> {answer['label']} (its label)"
