"""Uploads and image files become model inputs, and what is not an image is refused cleanly."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from {{cookiecutter.package_name}}.data import load_digits_set
from {{cookiecutter.package_name}}.imaging import (
    MAX_PIXELS,
    ImageDecodeError,
    load_bytes,
    to_png,
)


def _encode(image: Image.Image, kind: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=kind)
    return buffer.getvalue()


def test_a_png_of_a_digit_comes_back_as_the_same_input() -> None:
    digit = load_digits_set().images[0]
    back = load_bytes(to_png(digit), (8, 8))
    assert back.dtype == np.float32 and back.shape == (8, 8)
    assert np.abs(back - digit).max() <= 1 / 255 + 1e-6


def test_dark_ink_on_white_is_inverted_and_light_ink_on_black_is_not() -> None:
    canvas = np.zeros((32, 32), dtype=np.uint8)
    canvas[8:24, 12:20] = 255  # a white bar on black: 4x4 blocks 2-5 down, 3-4 across
    on_black = load_bytes(_encode(Image.fromarray(canvas)), (8, 8))
    on_white = load_bytes(_encode(Image.fromarray(255 - canvas)), (8, 8))
    assert np.allclose(on_black, on_white, atol=1 / 255 + 1e-6)
    assert on_black[2:6, 3:5].min() == 1.0 and on_black[0].max() == 0.0


def test_a_large_scan_is_box_averaged_down_to_the_model_size() -> None:
    canvas = np.full((320, 320), 255, dtype=np.uint8)
    canvas[80:240, 80:240] = 0  # a black square in the middle of a white page
    array = load_bytes(_encode(Image.fromarray(canvas), "JPEG"), (8, 8))
    assert array[2:6, 2:6].mean() > 0.95
    assert array[[0, 1, 6, 7]].mean() < 0.05 and array[:, [0, 1, 6, 7]].mean() < 0.05


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "LA", "P", "I;16", "1", "CMYK"])
def test_common_modes_decode_to_greyscale(mode: str) -> None:
    image = Image.new("RGB", (16, 16), (255, 255, 255)).convert(mode)
    array = load_bytes(_encode(image, "TIFF" if mode == "CMYK" else "PNG"), (8, 8))
    assert array.shape == (8, 8)
    assert np.isfinite(array).all() and 0.0 <= array.min() <= array.max() <= 1.0


def test_transparent_pixels_count_as_white_paper() -> None:
    image = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    assert load_bytes(_encode(image), (8, 8)).max() == 0.0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"definitely not an image", "Pillow can read"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "could not be decoded|Pillow can read"),
    ],
    ids=["empty", "text", "png-header-only"],
)
def test_what_is_not_an_image_is_an_image_decode_error(data: bytes, message: str) -> None:
    with pytest.raises(ImageDecodeError, match=message):
        load_bytes(data, (8, 8))


def test_a_truncated_file_is_refused() -> None:
    data = to_png(np.random.default_rng(0).random((64, 64)).astype(np.float32))
    with pytest.raises(ImageDecodeError):
        load_bytes(data[: len(data) // 2], (8, 8))


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    side = int(MAX_PIXELS**0.5) + 10
    bomb = _encode(Image.new("L", (side, side)))  # a few kilobytes of PNG
    assert len(bomb) < 100_000
    with pytest.raises(ImageDecodeError, match="limit"):
        load_bytes(bomb, (8, 8))
