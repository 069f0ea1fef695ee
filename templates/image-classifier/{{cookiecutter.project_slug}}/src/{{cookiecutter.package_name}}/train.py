"""Train the CNN (augmentation, early stopping, checkpointing) and the pixel baseline.

Usage::

    python -m {{cookiecutter.package_name}}.train

The network trains on the training split with a fresh random rotation and shift of every
image at each epoch, and is scored on the validation split after each epoch. Whenever the
validation loss improves, the weights are written to ``paths.checkpoint`` (with the optimiser
state and the epoch); when it has not improved for ``train.patience`` epochs, training stops
and the best checkpoint's weights are what is saved to ``paths.model``. The baseline, a
logistic regression on the raw pixels, is fitted on the same training images: a CNN means
little until it beats what a linear model on the pixels scores.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the usual name
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from . import tracking
from .config import Config, run_step
from .data import ImageSet, load_split, split_path
from .model import (
    ImageClassifier,
    augment,
    build_network,
    n_parameters,
    save_model,
    seed_everything,
    to_tensor,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainedModels:
    """The trained CNN and baseline, their training history, and where they were saved."""

    model: ImageClassifier
    baseline: LogisticRegression
    history: dict[str, Any]
    model_path: Path
    baseline_path: Path


def flatten(images: np.ndarray) -> np.ndarray:
    """(n, height, width) -> (n, height * width): the baseline's view of an image."""
    return np.asarray(images, dtype=np.float32).reshape(len(images), -1)


def fit_baseline(config: Config, train: ImageSet) -> LogisticRegression:
    """Multinomial logistic regression on the raw pixels, one BLAS thread (small matrices)."""
    baseline = LogisticRegression(
        C=config.baseline.C, max_iter=config.baseline.max_iter, random_state=config.seed
    )
    with threadpool_limits(limits=1, user_api="blas"):
        return baseline.fit(flatten(train.images), train.labels)


def _save_checkpoint(
    path: Path, network: torch.nn.Module, optimizer: torch.optim.Optimizer, record: dict[str, Any]
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    torch.save(
        {"state_dict": network.state_dict(), "optimizer": optimizer.state_dict(), **record},
        temporary,
    )
    temporary.replace(path)


def fit_network(
    config: Config,
    train: ImageSet,
    val: ImageSet,
    seed: int,
    checkpoint: Path | None = None,
) -> tuple[ImageClassifier, dict[str, Any]]:
    """Train the CNN with early stopping on the validation loss; returns it and its history.

    AdamW with a one-cycle schedule: the learning rate warms up to ``train.learning_rate``
    over the first 30% of the steps, then anneals towards zero, which lets a small network
    converge in a few dozen epochs. The schedule is planned for ``max_epochs``; early stopping
    cuts it short when the validation loss stalls.
    """
    settings = config.train
    generator = seed_everything(seed, settings.threads)
    network = build_network(config, len(train.classes))
    optimizer = torch.optim.AdamW(
        network.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    steps_per_epoch = math.ceil(len(train) / settings.batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=settings.learning_rate, total_steps=settings.max_epochs * steps_per_epoch
    )
    x_train, y_train = to_tensor(train.images), torch.from_numpy(train.labels)
    x_val, y_val = to_tensor(val.images), torch.from_numpy(val.labels)
    epochs: list[dict[str, float]] = []
    best_loss, best_epoch, waited = math.inf, 0, 0
    best_state = copy.deepcopy(network.state_dict())
    started = time.perf_counter()
    for epoch in range(1, settings.max_epochs + 1):
        network.train()
        order = torch.randperm(len(train), generator=generator)
        loss_sum, correct = 0.0, 0
        for start in range(0, len(train), settings.batch_size):
            index = order[start : start + settings.batch_size]
            batch = x_train[index]
            if config.augment.enabled:
                batch = augment(
                    batch, generator, config.augment.rotation_degrees, config.augment.shift_pixels
                )
            logits = network(batch)
            loss = F.cross_entropy(logits, y_train[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            loss_sum += float(loss.detach()) * len(index)
            correct += int((logits.argmax(dim=1) == y_train[index]).sum())
        network.eval()
        with torch.no_grad():
            val_logits = network(x_val)
            val_loss = float(F.cross_entropy(val_logits, y_val))
            val_correct = int((val_logits.argmax(dim=1) == y_val).sum())
        record = {
            "epoch": epoch,
            "train_loss": round(loss_sum / len(train), 5),
            "train_accuracy": round(correct / len(train), 5),
            "val_loss": round(val_loss, 5),
            "val_accuracy": round(val_correct / len(val), 5),
            "learning_rate": float(f"{optimizer.param_groups[0]['lr']:.6g}"),
        }
        epochs.append(record)
        if val_loss < best_loss - settings.min_delta:
            best_loss, best_epoch, waited = val_loss, epoch, 0
            best_state = copy.deepcopy(network.state_dict())
            if checkpoint is not None:
                _save_checkpoint(checkpoint, network, optimizer, {"epoch": epoch, **record})
        else:
            waited += 1
            if waited >= settings.patience:
                break
    network.load_state_dict(best_state)
    network.eval()
    history = {
        "epochs": epochs,
        "best_epoch": best_epoch,
        "best_val_loss": round(best_loss, 5),
        "stopped_early": len(epochs) < settings.max_epochs,
        "seconds": round(time.perf_counter() - started, 2),
        "n_parameters": n_parameters(network),
    }
    return ImageClassifier(network, train.classes, train.shape), history


def save_artifact(artifact: object, path: Path) -> Path:
    """Persist a fitted scikit-learn estimator with joblib, creating the folder if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(artifact, path)
    return path


def train(config: Config) -> TrainedModels:
    """Train on the processed splits and save the model, the baseline and the history."""
    train_set, val_set = load_split(config, "train"), load_split(config, "val")
    served = config.resolve(config.paths.model)
    # The project root is where this machine keeps it: not a parameter of the experiment.
    settings = config.model_dump(mode="json", exclude={"root"})
    data_files = [split_path(config, "train"), split_path(config, "val")]
    with tracking.training_run(settings, data_files, tracking.run_file_for(served)) as tracked:
        model, history = fit_network(
            config, train_set, val_set, config.seed, config.resolve(config.paths.checkpoint)
        )
        baseline = fit_baseline(config, train_set)
        model_path = save_model(model, config, served)
        baseline_path = save_artifact(baseline, config.resolve(config.paths.baseline))
        history_path = config.resolve(config.paths.history)
        history_path.write_text(json.dumps(history, indent=2) + "\n", encoding="utf-8")
        if tracked is not None:
            tracked.log_model(model_path)
            best = history["epochs"][history["best_epoch"] - 1]
            tracked.log_metrics(
                {
                    "train.best_epoch": history["best_epoch"],
                    "train.epochs_run": len(history["epochs"]),
                    "train.best_val_loss": history["best_val_loss"],
                    "train.best_val_accuracy": best["val_accuracy"],
                    "train.seconds": history["seconds"],
                }
            )
    logger.info(
        "Trained a %d-parameter CNN on %d images in %.1f s: %d epochs, best %d "
        "(validation loss %.4f, accuracy %.4f)%s; saved %s and %s",
        history["n_parameters"],
        len(train_set),
        history["seconds"],
        len(history["epochs"]),
        history["best_epoch"],
        history["best_val_loss"],
        history["epochs"][history["best_epoch"] - 1]["val_accuracy"],
        ", stopped early" if history["stopped_early"] else "",
        model_path,
        baseline_path,
    )
    return TrainedModels(model, baseline, history, model_path, baseline_path)


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point; see the module docstring for usage."""
    run_step(__doc__.splitlines()[0], train, argv)


if __name__ == "__main__":
    main()
