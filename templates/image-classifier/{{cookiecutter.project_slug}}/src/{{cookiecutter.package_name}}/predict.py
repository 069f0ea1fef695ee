"""Classify image files from the command line, or write test images to try the API with.

Usage::

    python -m {{cookiecutter.package_name}}.predict digit.png another.jpg
    python -m {{cookiecutter.package_name}}.predict --save-examples examples/ --count 10

The API and the command line share :func:`predict` and the decoding in ``imaging.py``, so
both return the same answer for the same file.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .config import load_config
from .data import load_split
from .imaging import ImageDecodeError, load_file, to_png

if TYPE_CHECKING:  # model.py imports torch: only when something is predicted
    from .model import ImageClassifier


@dataclass(frozen=True)
class Prediction:
    """The predicted class, its probability, and the probability of every class."""

    label: str
    probability: float
    probabilities: dict[str, float]


def from_probabilities(probabilities: np.ndarray, classes: Sequence[str]) -> list[Prediction]:
    """One :class:`Prediction` per row: the arg-max class and the rounded probabilities."""
    best = probabilities.argmax(axis=1)
    return [
        Prediction(
            label=classes[index],
            probability=round(float(row[index]), 6),
            probabilities={name: round(float(p), 6) for name, p in zip(classes, row, strict=True)},
        )
        for row, index in zip(probabilities, best, strict=True)
    ]


def predict(model: ImageClassifier, images: np.ndarray) -> list[Prediction]:
    """Predict every (height, width) image of ``images`` (values in [0, 1], 1 = ink)."""
    return from_probabilities(model.predict_proba(images), model.classes)


def save_examples(folder: Path, images: np.ndarray, labels: Sequence[str]) -> list[Path]:
    """Write images as PNG files of dark ink on white, named after their true class."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        safe = "".join(c if c.isalnum() else "-" for c in label)
        path = folder / f"test-{index:03d}-{safe}.png"
        path.write_bytes(to_png(image))
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: print one JSON prediction per image file."""
    parser = argparse.ArgumentParser(description="Classify image files with the trained model.")
    parser.add_argument("images", nargs="*", type=Path, help="image files (PNG, JPEG, ...)")
    parser.add_argument("--params", type=Path, default=None, help="path to params.yaml")
    parser.add_argument("--model", type=Path, default=None, help="override the model path")
    parser.add_argument(
        "--save-examples", type=Path, default=None, metavar="DIR",
        help="write the first --count test images as PNG files to DIR and exit",
    )  # fmt: skip
    parser.add_argument("--count", type=int, default=10, help="how many examples to write")
    args = parser.parse_args(argv)
    config = load_config(args.params)
    if args.save_examples is not None:
        test = load_split(config, "test")
        count = max(1, min(args.count, len(test)))
        names = [test.classes[int(label)] for label in test.labels[:count]]
        for path in save_examples(args.save_examples, test.images[:count], names):
            print(path)
        return 0
    if not args.images:
        parser.error("give one or more image files, or --save-examples DIR")
    from .model import load_model  # torch is imported only when there is something to predict

    model = load_model(args.model or config.resolve(config.paths.model))
    status = 0
    for path in args.images:
        try:
            image = load_file(path, model.image_shape)
        except (OSError, ImageDecodeError) as error:
            print(json.dumps({"file": str(path), "error": str(error)}))
            status = 1
            continue
        [prediction] = predict(model, image[np.newaxis])
        print(json.dumps({"file": str(path), **asdict(prediction)}))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
