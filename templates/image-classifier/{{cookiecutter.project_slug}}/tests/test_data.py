"""The data contract, de-duplication, the split and the loaders (nothing is downloaded)."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from {{cookiecutter.package_name}}.config import Config
from {{cookiecutter.package_name}}.data import (
    DIGIT_CLASSES,
    DataValidationError,
    ImageSet,
    all_images,
    deduplicate,
    load_digits_set,
    load_folder,
    load_split,
    read_idx,
    read_images,
    save_images,
    split_images,
    stratified_subset,
    validate_images,
)
from {{cookiecutter.package_name}}.imaging import to_png


def _keys(part: ImageSet) -> set[bytes]:
    return {image.tobytes() for image in part.images}


def test_the_bundled_digits_meet_the_contract() -> None:
    digits = load_digits_set()
    assert len(digits) == 1797
    assert digits.shape == (8, 8)
    assert digits.classes == DIGIT_CLASSES
    assert digits.images.dtype == np.float32
    assert digits.images.min() == 0.0 and digits.images.max() == 1.0
    assert set(np.bincount(digits.labels)) <= set(range(170, 190))  # about 180 of each digit


@pytest.mark.parametrize(
    ("images", "labels", "message"),
    [
        (np.zeros((3, 8), np.float32), [0, 1, 0], "shape"),
        (np.zeros((0, 8, 8), np.float32), [], "shape"),
        (np.zeros((3, 2, 2), np.float32), [0, 1, 0], "4x4"),
        (np.zeros((3, 8, 8), np.float64), [0, 1, 0], "float32"),
        (np.full((3, 8, 8), np.nan, np.float32), [0, 1, 0], "NaN"),
        (np.full((3, 8, 8), 2.0, np.float32), [0, 1, 0], r"\[0, 1\]"),
        (np.zeros((3, 8, 8), np.float32), [0, 1], "labels"),
        (np.zeros((3, 8, 8), np.float32), [0.0, 1.0, 0.0], "integers"),
        (np.zeros((3, 8, 8), np.float32), [0, 1, 2], "0..1"),
    ],
)
def test_invalid_image_sets_are_rejected(images: np.ndarray, labels: list, message: str) -> None:
    with pytest.raises(DataValidationError, match=message):
        validate_images(images, np.asarray(labels), ["a", "b"])


def test_class_names_must_be_distinct() -> None:
    with pytest.raises(DataValidationError, match="distinct"):
        validate_images(np.zeros((2, 8, 8), np.float32), np.array([0, 1]), ["a", "a"])


def test_duplicates_and_conflicting_images_are_dropped_before_the_split() -> None:
    rng = np.random.default_rng(0)
    images = rng.random((5, 8, 8), dtype=np.float32)
    images[1] = images[0]  # a duplicate with the same label: one copy stays
    images[3] = images[2]  # the same image with two labels: both go
    data = ImageSet(images, np.array([0, 0, 0, 1, 1]), ("a", "b"))
    kept = deduplicate(data)
    assert len(kept) == 2
    assert _keys(kept) == {images[0].tobytes(), images[4].tobytes()}


def test_the_split_has_the_expected_sizes_is_stratified_and_disjoint(
    splits: dict[str, ImageSet],
) -> None:
    assert {name: len(part) for name, part in splits.items()} == {
        "train": 1221,
        "val": 216,
        "test": 360,
    }
    keys = {name: _keys(part) for name, part in splits.items()}
    assert not keys["train"] & keys["test"]
    assert not keys["train"] & keys["val"]
    assert not keys["val"] & keys["test"]
    for part in splits.values():
        shares = np.bincount(part.labels, minlength=10) / len(part)
        assert np.all(np.abs(shares - 0.1) < 0.02)


def test_the_split_depends_on_the_seed_only() -> None:
    digits = load_digits_set()
    first = split_images(digits, 0.2, 0.12, seed=3)
    again = split_images(digits, 0.2, 0.12, seed=3)
    other = split_images(digits, 0.2, 0.12, seed=4)
    assert np.array_equal(first["test"].images, again["test"].images)
    assert not np.array_equal(first["test"].images, other["test"].images)


def test_a_subset_keeps_the_class_shares() -> None:
    digits = load_digits_set()
    subset = stratified_subset(digits, 500, seed=0)
    assert len(subset) == 500
    assert np.all(np.abs(np.bincount(subset.labels) / 500 - 0.1) < 0.01)
    assert stratified_subset(digits, None, seed=0) is digits


def test_processed_files_round_trip_without_pickles(tmp_path: Path) -> None:
    data = load_digits_set().subset(np.arange(20))
    path = save_images(data, tmp_path / "part.npz")
    back = read_images(path)
    assert np.array_equal(back.images, data.images)
    assert np.array_equal(back.labels, data.labels)
    assert back.classes == data.classes


def test_load_split_says_to_run_make_data(config: Config) -> None:
    with pytest.raises(FileNotFoundError, match="make data"):
        load_split(config, "train")


def test_all_images_is_in_a_canonical_order(config: Config) -> None:
    from {{cookiecutter.package_name}}.data import prepare_data

    prepare_data(config)
    first = all_images(config)
    reseeded = config.model_copy(update={"seed": config.seed + 1})
    prepare_data(reseeded)
    assert len(first) == 1797
    assert np.array_equal(all_images(reseeded).images, first.images)


def test_idx_files_are_read_like_mnist(tmp_path: Path) -> None:
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    header = bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in images.shape)
    path = tmp_path / "images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(header + images.tobytes()))
    assert np.array_equal(read_idx(path), images)
    path.write_bytes(gzip.compress(header + images.tobytes()[:-1]))
    with pytest.raises(DataValidationError, match="expected"):
        read_idx(path)


def test_a_folder_of_images_becomes_an_image_set(tmp_path: Path) -> None:
    digits = load_digits_set()
    for index in range(6):
        label = DIGIT_CLASSES[int(digits.labels[index])]
        folder = tmp_path / f"class-{label}"
        folder.mkdir(exist_ok=True)
        (folder / f"{index}.png").write_bytes(to_png(digits.images[index]))
    (tmp_path / "class-0" / "notes.txt").write_text("not an image", encoding="utf-8")
    (tmp_path / "class-0" / "broken.png").write_bytes(b"not a png")
    data = load_folder(tmp_path, size=8)
    assert len(data) == 6
    assert data.shape == (8, 8)
    assert data.classes == tuple(sorted(p.name for p in tmp_path.iterdir()))
    # 8x8 PNGs come back as the same images (up to the 1/255 steps of 8-bit PNG).
    first = data.images[list(data.labels).index(data.classes.index("class-0"))]
    assert np.abs(first - digits.images[0]).max() <= 1 / 255 + 1e-6


def test_make_data_does_not_import_torch() -> None:
    package = "{{cookiecutter.package_name}}"
    code = f"import sys, {package}.data, {package}.monitor; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
