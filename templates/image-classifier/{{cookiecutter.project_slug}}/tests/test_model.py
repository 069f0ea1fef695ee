"""The network, the augmentation, the training loop (early stopping, checkpoint, determinism)
and the model file."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from {{cookiecutter.package_name}}.config import Config
from {{cookiecutter.package_name}}.data import ImageSet
from {{cookiecutter.package_name}}.model import (
    DigitCNN,
    augment,
    load_model,
    save_model,
    to_tensor,
)
from {{cookiecutter.package_name}}.train import fit_network

from .helpers import make_config, quick_config


@pytest.mark.parametrize("side", [8, 28])
def test_the_network_takes_any_image_size(side: int) -> None:
    network = DigitCNN(10).eval()
    with torch.no_grad():
        assert network(torch.zeros(3, 1, side, side)).shape == (3, 10)


def test_augmentation_without_rotation_or_shift_changes_nothing() -> None:
    batch = to_tensor(np.random.default_rng(0).random((4, 8, 8), dtype=np.float32))
    same = augment(batch, torch.Generator().manual_seed(0), 0.0, 0.0)
    assert torch.allclose(same, batch, atol=1e-5)


def test_augmentation_is_random_but_repeatable_for_a_seed() -> None:
    batch = to_tensor(np.random.default_rng(0).random((4, 8, 8), dtype=np.float32))
    first = augment(batch, torch.Generator().manual_seed(1), 10.0, 1.0)
    again = augment(batch, torch.Generator().manual_seed(1), 10.0, 1.0)
    other = augment(batch, torch.Generator().manual_seed(2), 10.0, 1.0)
    assert first.shape == batch.shape
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
    assert not torch.allclose(first, batch)


def test_a_one_pixel_shift_moves_the_image_by_one_pixel() -> None:
    image = np.zeros((1, 8, 8), dtype=np.float32)
    image[0, 3, 3] = 1.0
    generator = torch.Generator().manual_seed(0)
    # A shift of up to one pixel spreads the dot over its neighbours (bilinear sampling).
    moved = augment(to_tensor(image), generator, 0.0, 1.0)[0, 0].numpy()
    assert moved.sum() == pytest.approx(1.0, abs=1e-4)  # nothing lost inside the frame
    rows, cols = np.nonzero(moved > 1e-6)
    assert set(rows) <= {2, 3, 4} and set(cols) <= {2, 3, 4}


def test_training_is_deterministic_for_a_seed(tmp_path: Path, splits: dict[str, ImageSet]) -> None:
    config = quick_config(tmp_path)
    first, history = fit_network(config, splits["train"], splits["val"], seed=5)
    again, history_again = fit_network(config, splits["train"], splits["val"], seed=5)
    other, _ = fit_network(config, splits["train"], splits["val"], seed=6)
    test = splits["test"].images
    assert np.array_equal(first.predict_proba(test), again.predict_proba(test))
    assert history["epochs"] == history_again["epochs"]
    assert not np.array_equal(first.predict_proba(test), other.predict_proba(test))


def test_early_stopping_restores_the_best_epoch_and_checkpoints_it(
    tmp_path: Path, splits: dict[str, ImageSet]
) -> None:
    # With min_delta 10, only the first epoch counts as an improvement: training stops
    # `patience` epochs later and keeps epoch 1's weights.
    config = make_config(tmp_path, train={"max_epochs": 20, "patience": 2, "min_delta": 10.0})
    checkpoint = tmp_path / "checkpoint.pt"
    model, history = fit_network(config, splits["train"], splits["val"], 0, checkpoint)
    assert history["stopped_early"] is True
    assert [row["epoch"] for row in history["epochs"]] == [1, 2, 3]
    assert history["best_epoch"] == 1
    saved = torch.load(checkpoint, weights_only=True)
    assert saved["epoch"] == 1
    assert {"state_dict", "optimizer", "val_loss"} <= set(saved)
    for name, tensor in model.network.state_dict().items():
        assert torch.equal(tensor, saved["state_dict"][name]), name


def test_the_model_file_round_trips(config: Config, splits: dict[str, ImageSet]) -> None:
    model, _ = fit_network(quick_config(config.root), splits["train"], splits["val"], 0)
    path = save_model(model, config, config.root / "models" / "model.pt")
    back = load_model(path)
    assert back.classes == model.classes and back.image_shape == (8, 8)
    images = splits["test"].images[:20]
    assert np.array_equal(back.predict_proba(images), model.predict_proba(images))
    assert np.allclose(back.predict_proba(images).sum(axis=1), 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="shape"):
        back.predict_proba(np.zeros((1, 28, 28), np.float32))


class _Payload:
    def __reduce__(self) -> tuple:
        return (print, ("this must never run",))


def test_a_model_file_with_pickled_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    torch.save({"format": 1, "evil": _Payload()}, path)
    with pytest.raises(pickle.UnpicklingError):
        load_model(path)


def test_a_missing_model_says_to_train(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make train"):
        load_model(tmp_path / "model.pt")
