"""Load, validate, de-duplicate and split the images (no torch: this step stays fast).

Usage (the digits scikit-learn ships, offline; then a download or your own folder)::

    python -m {{cookiecutter.package_name}}.data
    python -m {{cookiecutter.package_name}}.data --source mnist          # or fashion-mnist
    python -m {{cookiecutter.package_name}}.data --source folder         # data.folder_path

The three splits are written to data/processed/{train,val,test}.npz (``images``: float32
(n, height, width) in [0, 1] with 1 for ink; ``labels``: int64 class indices; ``classes``:
the class names), so training, early stopping and evaluation read exactly the same images.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import logging
import shutil
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from .config import Config, Source, load_config
from .imaging import IMAGE_SUFFIXES, ImageDecodeError, load_file

logger = logging.getLogger(__name__)

SPLIT_NAMES = ("train", "val", "test")
DIGIT_CLASSES = tuple(str(digit) for digit in range(10))
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
IDX_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
_DOWNLOAD_TIMEOUT_S = 60


class DataValidationError(ValueError):
    """Raised when a set of images breaks the data contract."""


@dataclass(frozen=True)
class ImageSet:
    """Images (n, height, width) in [0, 1], their class indices and the class names."""

    images: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) of every image."""
        return int(self.images.shape[1]), int(self.images.shape[2])

    def subset(self, index: np.ndarray) -> ImageSet:
        return ImageSet(self.images[index], self.labels[index], self.classes)


def validate_images(images: np.ndarray, labels: np.ndarray, classes: Sequence[str]) -> ImageSet:
    """Check the data contract and return it as an :class:`ImageSet`.

    The contract: a float32 array of shape (n, height, width) with n >= 1 and sides of at least
    4 pixels, finite values in [0, 1]; one integer label per image, each a valid index into
    ``classes``; at least two distinct, non-empty class names.
    """
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim != 3 or images.shape[0] == 0:
        raise DataValidationError(f"Expected images of shape (n, height, width): {images.shape}")
    if min(images.shape[1:]) < 4:
        raise DataValidationError(f"Images must be at least 4x4 pixels, got {images.shape[1:]}")
    if images.dtype != np.float32:
        raise DataValidationError(f"Images must be float32, got {images.dtype}")
    if not np.isfinite(images).all():
        raise DataValidationError("Images contain NaN or infinite values")
    if images.min() < 0.0 or images.max() > 1.0:
        raise DataValidationError("Pixel values must lie in [0, 1]")
    if labels.shape != (images.shape[0],):
        raise DataValidationError(f"Expected {images.shape[0]} labels, got shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise DataValidationError(f"Labels must be integers, got {labels.dtype}")
    names = tuple(str(name) for name in classes)
    if len(names) < 2 or len(set(names)) != len(names) or not all(n.strip() for n in names):
        raise DataValidationError(f"Need at least two distinct, non-empty class names: {names}")
    if labels.min() < 0 or labels.max() >= len(names):
        raise DataValidationError(f"Labels must be in 0..{len(names) - 1}")
    return ImageSet(images, labels.astype(np.int64), names)


def deduplicate(data: ImageSet) -> ImageSet:
    """Drop repeated images before any split, so no image is in both train and test.

    Images are compared byte for byte; an image that appears with two labels is ambiguous, and
    every copy of it is dropped. (The bundled digits have no duplicates; MNIST has a few.)
    """
    keys = [hashlib.sha256(image.tobytes()).hexdigest() for image in data.images]
    labels_of: dict[str, set[int]] = {}
    for key, label in zip(keys, data.labels, strict=True):
        labels_of.setdefault(key, set()).add(int(label))
    seen: set[str] = set()
    keep = []
    for index, key in enumerate(keys):
        if len(labels_of[key]) == 1 and key not in seen:
            keep.append(index)
        seen.add(key)
    removed = len(data) - len(keep)
    if removed:
        logger.info("Removed %d duplicate or conflicting image(s)", removed)
    return data.subset(np.asarray(keep, dtype=np.int64))


def split_images(
    data: ImageSet, test_size: float, val_size: float, seed: int
) -> dict[str, ImageSet]:
    """Stratified, seeded train/validation/test split (the class shares equal in all three)."""
    index = np.arange(len(data))
    rest, test = train_test_split(
        index, test_size=test_size, random_state=seed, stratify=data.labels
    )
    train, val = train_test_split(
        rest,
        test_size=val_size / (1.0 - test_size),
        random_state=seed,
        stratify=data.labels[rest],
    )
    parts = (train, val, test)
    return {name: data.subset(np.sort(part)) for name, part in zip(SPLIT_NAMES, parts, strict=True)}


def stratified_subset(data: ImageSet, max_images: int | None, seed: int) -> ImageSet:
    """At most ``max_images`` images, keeping the class shares (all of them if ``None``)."""
    if max_images is None or len(data) <= max_images:
        return data
    keep, _ = train_test_split(
        np.arange(len(data)), train_size=max_images, random_state=seed, stratify=data.labels
    )
    return data.subset(np.sort(keep))


# --------------------------------------------------------------------------- sources


def load_digits_set() -> ImageSet:
    """The 1,797 8x8 digits bundled with scikit-learn (integers 0..16, scaled to [0, 1])."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)
    return validate_images(images, digits.target, DIGIT_CLASSES)


def download_file(url: str, destination: Path) -> Path:
    """Download ``url`` to ``destination`` unless it is already there.

    The body is streamed into a ``.part`` file that is renamed only when complete, so an
    interrupted download is never mistaken for a finished one.
    """
    if destination.is_file():
        logger.info("Using cached download %s", destination)
        return destination
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".part")
    logger.info("Downloading %s -> %s", url, destination)
    with (
        urllib.request.urlopen(url, timeout=_DOWNLOAD_TIMEOUT_S) as response,
        partial.open("wb") as handle,
    ):
        shutil.copyfileobj(response, handle)
    partial.replace(destination)
    return destination


def read_idx(path: Path) -> np.ndarray:
    """Read a gzipped IDX file (the MNIST format): a magic number, the sizes, then uint8s."""
    with gzip.open(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataValidationError(f"{path} is not an IDX file of unsigned bytes")
    dims = raw[3]
    header = 4 + 4 * dims
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    body = np.frombuffer(raw, dtype=np.uint8, offset=header)
    if body.size != int(np.prod(shape)):
        raise DataValidationError(f"{path}: expected {shape} values, found {body.size}")
    return body.reshape(shape)


def load_idx_set(config: Config, source: Source) -> ImageSet:
    """MNIST or Fashion-MNIST: both halves downloaded once to ``data.download_dir``, pooled."""
    base = config.data.mnist_url if source == "mnist" else config.data.fashion_mnist_url
    folder = config.resolve(config.data.download_dir) / source
    images, labels = [], []
    for image_file, label_file in IDX_FILES.values():
        images.append(read_idx(download_file(f"{base}/{image_file}", folder / image_file)))
        labels.append(read_idx(download_file(f"{base}/{label_file}", folder / label_file)))
    pixels = (np.concatenate(images) / 255.0).astype(np.float32)
    classes = DIGIT_CLASSES if source == "mnist" else FASHION_CLASSES
    data = validate_images(pixels, np.concatenate(labels).astype(np.int64), classes)
    return stratified_subset(data, config.data.max_images, config.seed)


def load_folder(folder: Path, size: int) -> ImageSet:
    """Images in one sub-folder per class (the sub-folder name is the class), resized to
    ``size`` x ``size`` and turned into model inputs exactly as the API does with uploads."""
    if not folder.is_dir():
        raise FileNotFoundError(f"Image folder not found: {folder} (one sub-folder per class)")
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    images, labels, skipped = [], [], 0
    for label, name in enumerate(classes):
        for path in sorted((folder / name).rglob("*")):
            if path.suffix.lower() not in IMAGE_SUFFIXES or not path.is_file():
                continue
            try:
                images.append(load_file(path, (size, size)))
            except ImageDecodeError as error:
                logger.warning("Skipped %s: %s", path, error)
                skipped += 1
                continue
            labels.append(label)
    if not images:
        raise DataValidationError(f"No readable images under {folder}/<class>/")
    if skipped:
        logger.info("Skipped %d unreadable file(s)", skipped)
    return validate_images(np.stack(images), np.asarray(labels, dtype=np.int64), classes)


def load_source(config: Config, source: Source) -> ImageSet:
    """All images of ``source``; downloads only for mnist and fashion-mnist."""
    if source == "digits":
        return load_digits_set()
    if source == "folder":
        return load_folder(config.resolve(config.data.folder_path), config.data.folder_image_size)
    return load_idx_set(config, source)


# --------------------------------------------------------------------------- processed splits


def split_path(config: Config, name: str) -> Path:
    """Location of a processed split (``train``, ``val`` or ``test``)."""
    if name not in SPLIT_NAMES:
        raise ValueError(f"Unknown split {name!r}; expected one of {SPLIT_NAMES}")
    return config.resolve(config.data.processed_dir) / f"{name}.npz"


def save_images(data: ImageSet, path: Path) -> Path:
    """Write an image set as a compressed .npz (no pickles: safe to load from anywhere)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path, images=data.images, labels=data.labels, classes=np.asarray(data.classes)
    )
    return path


def read_images(path: Path) -> ImageSet:
    """Read an .npz written by :func:`save_images` and validate it."""
    if not path.is_file():
        raise FileNotFoundError(f"Image file not found: {path}")
    with np.load(path, allow_pickle=False) as archive:
        missing = {"images", "labels", "classes"} - set(archive.files)
        if missing:
            raise DataValidationError(f"{path} lacks {sorted(missing)}")
        return validate_images(archive["images"], archive["labels"], archive["classes"].tolist())


def load_split(config: Config, name: str) -> ImageSet:
    """Read a processed split written by :func:`prepare_data`."""
    path = split_path(config, name)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; run `make data` first.")
    return read_images(path)


def all_images(config: Config) -> ImageSet:
    """Every image of the three splits, in a canonical order (by content), for re-splitting.

    Sorting makes the repeated splits of `make evaluate` depend only on their own seeds, not on
    the seed that produced the files.
    """
    parts = [load_split(config, name) for name in SPLIT_NAMES]
    images = np.concatenate([part.images for part in parts])
    labels = np.concatenate([part.labels for part in parts])
    order = sorted(range(len(labels)), key=lambda i: (int(labels[i]), images[i].tobytes()))
    return ImageSet(images[order], labels[order], parts[0].classes)


def prepare_data(config: Config, source: Source | None = None) -> dict[str, ImageSet]:
    """Load, validate, de-duplicate and split; write the three splits to ``processed_dir``."""
    data = deduplicate(load_source(config, source or config.data.source))
    splits = split_images(data, config.split.test_size, config.split.val_size, config.seed)
    for name, part in splits.items():
        save_images(part, split_path(config, name))
    height, width = data.shape
    logger.info(
        "Wrote %s images of %dx%d pixels, %d classes",
        " / ".join(f"{len(part)} {name}" for name, part in splits.items()),
        height,
        width,
        len(data.classes),
    )
    return splits


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point; see the module docstring for usage."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=Path, default=None, help="path to params.yaml")
    parser.add_argument(
        "--source",
        choices=["digits", "mnist", "fashion-mnist", "folder"],
        default=None,
        help="digits (offline, default from params.yaml), mnist or fashion-mnist (download), "
        "or folder (data.folder_path)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    prepare_data(load_config(args.params), args.source)


if __name__ == "__main__":
    main()
