"""Turn image files and uploaded bytes into the arrays the model reads (Pillow, no torch).

Every image the model sees, whatever its origin (the bundled digits, MNIST, a folder of
photos, an upload to the API), ends up the same way: a float32 array of shape (height, width)
with values in [0, 1], where **1 is ink** (the stroke) and 0 the background. A picture of dark
ink on white paper is inverted to match; see :func:`to_model_input`.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# Refuse to decode anything bigger than this many pixels (a "decompression bomb": a small PNG
# that expands to gigabytes). 4 megapixels is far more than a digit needs.
MAX_PIXELS = 4_000_000
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


class ImageDecodeError(ValueError):
    """The bytes are not an image this project can read; the message never contains them."""


def decode(data: bytes) -> Image.Image:
    """Open image bytes with Pillow, checking the size before any pixel is decoded."""
    if not data:
        raise ImageDecodeError("the file is empty")
    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size
        if width < 1 or height < 1:
            raise ImageDecodeError("the image has no pixels")
        if width * height > MAX_PIXELS:
            raise ImageDecodeError(
                f"the image is {width}x{height} pixels; the limit is {MAX_PIXELS:,} pixels"
            )
        image.seek(0)  # the first frame of an animated GIF or a multi-page TIFF
        image.load()
    except ImageDecodeError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise ImageDecodeError("not an image format Pillow can read") from None
    except Exception as error:  # truncated or corrupt files raise OSError, SyntaxError, ...
        raise ImageDecodeError(f"the image could not be decoded ({type(error).__name__})") from None
    return image


def to_grey(image: Image.Image) -> Image.Image:
    """8-bit greyscale; transparent pixels become the white background they would show on."""
    image = ImageOps.exif_transpose(image) or image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        array = np.asarray(image, dtype=np.float64)
        low, high = float(array.min()), float(array.max())
        scaled = (array - low) / (high - low) * 255 if high > low else np.zeros_like(array)
        return Image.fromarray(scaled.astype(np.uint8))
    return image.convert("L")


def to_model_input(image: Image.Image, shape: tuple[int, int]) -> np.ndarray:
    """Greyscale, resized to ``shape`` (height, width), in [0, 1] with 1 for ink.

    Resizing uses box filtering: each output pixel is the mean of the block it covers. That is
    how the bundled 8x8 digits were made (the count of ink pixels in each 4x4 block of a 32x32
    bitmap), so a sharp scan of a digit comes out looking like the training data. An image whose
    border is mostly light (dark ink on paper) is inverted, as the training images have light
    ink on a dark background.
    """
    height, width = shape
    grey = to_grey(image).resize((width, height), Image.Resampling.BOX)
    array = np.asarray(grey, dtype=np.float32) / 255.0
    border = np.concatenate([array[0], array[-1], array[:, 0], array[:, -1]])
    if float(border.mean()) > 0.5:
        array = 1.0 - array
    return np.clip(array, 0.0, 1.0).astype(np.float32)


def load_bytes(data: bytes, shape: tuple[int, int]) -> np.ndarray:
    """Decode uploaded bytes into a model input (raises :class:`ImageDecodeError`)."""
    return to_model_input(decode(data), shape)


def load_file(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """Read an image file into a model input (raises :class:`ImageDecodeError`)."""
    return load_bytes(path.read_bytes(), shape)


def to_png(array: np.ndarray) -> bytes:
    """A model input (1 = ink) as a PNG of dark ink on white, as a scan would look."""
    values = np.clip(1.0 - np.asarray(array, dtype=np.float32), 0.0, 1.0)
    image = Image.fromarray((values * 255).round().astype(np.uint8))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
