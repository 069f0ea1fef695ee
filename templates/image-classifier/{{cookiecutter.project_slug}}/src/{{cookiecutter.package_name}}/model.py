"""The convolutional network, its data augmentation and its model file (all the torch here).

The network is small on purpose: two convolution blocks with batch normalisation, a 2x2
average pool that makes it work at any image size from 4x4 up (8x8 digits, 28x28 MNIST), and
one linear layer. The augmentation is torch's own ``affine_grid`` and ``grid_sample``, a
random rotation and shift per image, so no torchvision is needed.

The model file (``models/model.pt``) holds only tensors, numbers and strings: the weights,
the architecture settings, the class names and the image size. It is loaded with
``torch.load(..., weights_only=True)``, which refuses pickled code, so a tampered file cannot
run anything when the API loads it (unlike a joblib or full-pickle checkpoint).
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the usual name
from torch import nn

from .config import Config

FORMAT_VERSION = 1


class DigitCNN(nn.Module):
    """conv-BN-ReLU x2, max-pool, conv-BN-ReLU, max-pool, 2x2 average pool, dropout, linear."""

    def __init__(self, n_classes: int, channels: tuple[int, int] = (16, 32), dropout: float = 0.3):
        super().__init__()
        first, second = channels
        self.features = nn.Sequential(
            nn.Conv2d(1, first, kernel_size=3, padding=1),
            nn.BatchNorm2d(first),
            nn.ReLU(),
            nn.Conv2d(first, first, kernel_size=3, padding=1),
            nn.BatchNorm2d(first),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(first, second, kernel_size=3, padding=1),
            nn.BatchNorm2d(second),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(second * 4, n_classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def build_network(config: Config, n_classes: int) -> DigitCNN:
    return DigitCNN(n_classes, config.model.channels, config.model.dropout)


def n_parameters(network: nn.Module) -> int:
    return sum(p.numel() for p in network.parameters())


def seed_everything(seed: int, threads: int) -> torch.Generator:
    """Seed Python, numpy and torch, pin the thread count, and return a seeded generator.

    With one thread and deterministic algorithms, the same seed gives the same weights, bit
    for bit, on the same machine and library versions (tests/test_model.py checks it).
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    return torch.Generator().manual_seed(seed)


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """(n, height, width) float32 in [0, 1] -> (n, 1, height, width), the network's input."""
    return torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).unsqueeze(1)


def augment(
    batch: torch.Tensor, generator: torch.Generator, rotation_degrees: float, shift_pixels: float
) -> torch.Tensor:
    """A random rotation (+/- ``rotation_degrees``) and shift (+/- ``shift_pixels`` in x and y)
    of every image of an (n, 1, height, width) batch, drawn from ``generator``.

    The transform is an affine map of the sampling grid; pixels pulled from outside the image
    are background (0). Bilinear sampling blurs a little, which the network must tolerate.
    """
    n, _, height, width = batch.shape
    angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(rotation_degrees)
    # affine_grid works in [-1, 1] coordinates: one pixel is 2 / side.
    shift = (torch.rand(n, 2, generator=generator) * 2 - 1) * shift_pixels
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1] = angle.cos(), -angle.sin()
    theta[:, 1, 0], theta[:, 1, 1] = angle.sin(), angle.cos()
    theta[:, 0, 2] = shift[:, 0] * 2 / width
    theta[:, 1, 2] = shift[:, 1] * 2 / height
    grid = F.affine_grid(theta, list(batch.shape), align_corners=False)
    return F.grid_sample(batch, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


@torch.no_grad()
def predict_proba(network: nn.Module, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Class probabilities (n, n_classes) for (n, height, width) images, in eval mode."""
    network.eval()
    if len(images) == 0:
        return np.zeros((0, network.classifier[-1].out_features), dtype=np.float32)
    parts = [
        F.softmax(network(to_tensor(images[start : start + batch_size])), dim=1)
        for start in range(0, len(images), batch_size)
    ]
    return torch.cat(parts).numpy()


@dataclass(frozen=True)
class ImageClassifier:
    """The trained network with what it needs to read an input: class names and image size."""

    network: DigitCNN
    classes: tuple[str, ...]
    image_shape: tuple[int, int]  # (height, width)

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        images = np.asarray(images, dtype=np.float32)
        if images.ndim != 3 or images.shape[1:] != self.image_shape:
            raise ValueError(f"expected images of shape (n, {self.image_shape[0]}, "
                             f"{self.image_shape[1]}), got {images.shape}")  # fmt: skip
        return predict_proba(self.network, images)

    def predict(self, images: np.ndarray) -> np.ndarray:
        return self.predict_proba(images).argmax(axis=1)


def save_model(classifier: ImageClassifier, config: Config, path: Path) -> Path:
    """Write the weights and what is needed to rebuild the network (tensors and plain data)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT_VERSION,
        "state_dict": classifier.network.state_dict(),
        "classes": list(classifier.classes),
        "image_shape": list(classifier.image_shape),
        "channels": list(config.model.channels),
        "dropout": config.model.dropout,
    }
    temporary = path.with_name(f".{path.name}.tmp")
    torch.save(payload, temporary)
    temporary.replace(path)
    return path


def classifier_from(payload: Mapping[str, Any]) -> ImageClassifier:
    """Rebuild the classifier from a model file's content (see :func:`save_model`)."""
    if payload.get("format") != FORMAT_VERSION:
        raise ValueError(f"unknown model file format {payload.get('format')!r}")
    classes = tuple(str(name) for name in payload["classes"])
    height, width = (int(side) for side in payload["image_shape"])
    first, second = (int(c) for c in payload["channels"])
    network = DigitCNN(len(classes), (first, second), float(payload["dropout"]))
    network.load_state_dict(payload["state_dict"])
    network.eval()
    return ImageClassifier(network, classes, (height, width))


def load_model(path: Path) -> ImageClassifier:
    """Load a model file written by :func:`save_model` (weights only: no pickled code runs)."""
    if not path.is_file():
        raise FileNotFoundError(f"No trained model at {path}; run `make train` first.")
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, Mapping):
        raise ValueError(f"{path} is not a model file of this project")
    return classifier_from(payload)
