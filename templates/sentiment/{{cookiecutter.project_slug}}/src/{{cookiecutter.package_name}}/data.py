"""Load, validate, de-duplicate and split the review data.

Usage (the bundled CSV, offline; then the IMDB dataset, which downloads ~80 MB)::

    python -m {{cookiecutter.package_name}}.data
    python -m {{cookiecutter.package_name}}.data --source full

The split is written to data/processed/{train,test}.csv so that training and evaluation read
exactly the same rows, and so the split can be inspected by hand.
"""

from __future__ import annotations

import argparse
import logging
import re
import shutil
import tarfile
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import pandas as pd
from sklearn.model_selection import train_test_split

from .config import Config, load_config
from .features import normalise_text

logger = logging.getLogger(__name__)

TEXT_COLUMN = "text"
LABEL_COLUMN = "label"
COLUMNS = (TEXT_COLUMN, LABEL_COLUMN)
LABELS = ("negative", "positive")
SPLIT_NAMES = ("train", "test")
Source = Literal["bundled", "full"]

# Matches e.g. aclImdb/train/pos/123_9.txt; "unsup" (unlabelled) reviews are skipped.
_IMDB_MEMBER = re.compile(r"^aclImdb/(?:train|test)/(pos|neg)/\d+_\d+\.txt$")
_IMDB_LABELS = {"pos": "positive", "neg": "negative"}
_DOWNLOAD_TIMEOUT_S = 60


class DataValidationError(ValueError):
    """Raised when a review table breaks the data contract."""


def validate_reviews(frame: pd.DataFrame) -> pd.DataFrame:
    """Check the data contract and return the frame unchanged.

    The contract is: exactly the columns ``text`` and ``label``, no missing values, no blank
    texts, and labels drawn from ``LABELS``. Failing early here is cheaper than discovering a
    mislabelled row through a strange metric later.
    """
    if tuple(frame.columns) != COLUMNS:
        raise DataValidationError(f"Expected columns {COLUMNS}, got {tuple(frame.columns)}")
    if frame.empty:
        raise DataValidationError("The review table is empty")
    if frame[list(COLUMNS)].isna().any().any():
        raise DataValidationError("Missing values found in the review table")
    if not frame[TEXT_COLUMN].map(lambda value: isinstance(value, str)).all():
        raise DataValidationError("Every text must be a string")
    blank = frame[TEXT_COLUMN].str.strip() == ""
    if blank.any():
        raise DataValidationError(f"{int(blank.sum())} review(s) have blank text")
    unknown = sorted(set(frame[LABEL_COLUMN]) - set(LABELS))
    if unknown:
        raise DataValidationError(f"Unknown labels {unknown}; allowed: {LABELS}")
    return frame


def read_reviews(path: Path) -> pd.DataFrame:
    """Read a review CSV and validate it.

    ``keep_default_na=False`` stops pandas from turning a review that literally says "NA"
    or "None" into a missing value.
    """
    if not path.is_file():
        raise FileNotFoundError(f"Review file not found: {path}")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return validate_reviews(frame)


def clean_reviews(frame: pd.DataFrame) -> pd.DataFrame:
    """Tidy whitespace and remove duplicate reviews before any split is made.

    Duplicates (compared after normalisation) are removed *before* splitting; otherwise the
    same review could land in both train and test and inflate the test score. A text that
    appears with both labels is ambiguous, so every copy of it is dropped.
    """
    cleaned = frame.copy()
    cleaned[TEXT_COLUMN] = cleaned[TEXT_COLUMN].str.split().str.join(" ")
    key = cleaned[TEXT_COLUMN].map(normalise_text)
    labels_per_key = cleaned.groupby(key)[LABEL_COLUMN].transform("nunique")
    conflicting = labels_per_key > 1
    cleaned = cleaned[~conflicting]
    key = key[~conflicting]
    cleaned = cleaned[~key.duplicated()].reset_index(drop=True)
    removed = len(frame) - len(cleaned)
    if removed:
        logger.info(
            "Removed %d duplicate or conflicting review(s) (%d with conflicting labels)",
            removed,
            int(conflicting.sum()),
        )
    return cleaned


def split_reviews(
    frame: pd.DataFrame, test_size: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified, seeded train/test split (keeps the label ratio equal in both parts)."""
    train, test = train_test_split(
        frame, test_size=test_size, random_state=seed, stratify=frame[LABEL_COLUMN]
    )
    return train.reset_index(drop=True), test.reset_index(drop=True)


def split_path(config: Config, name: str) -> Path:
    """Location of a processed split (``train`` or ``test``)."""
    if name not in SPLIT_NAMES:
        raise ValueError(f"Unknown split {name!r}; expected one of {SPLIT_NAMES}")
    return config.resolve(config.data.processed_dir) / f"{name}.csv"


def load_split(config: Config, name: str) -> pd.DataFrame:
    """Read a processed split written by :func:`prepare_data`."""
    path = split_path(config, name)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; run `make data` first.")
    return read_reviews(path)


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


def read_imdb_archive(archive: Path) -> pd.DataFrame:
    """Read the labelled reviews straight out of ``aclImdb_v1.tar.gz``.

    Members are read in memory rather than extracted, so a malformed archive cannot write
    outside the data folder, and 50,000 small files never touch the disk.
    """
    rows: list[tuple[str, str]] = []
    with tarfile.open(archive, mode="r:gz") as tar:
        for member in tar:
            match = _IMDB_MEMBER.match(member.name)
            if not (member.isfile() and match):
                continue
            handle = tar.extractfile(member)
            if handle is None:
                continue
            text = handle.read().decode("utf-8", errors="replace")
            rows.append((text, _IMDB_LABELS[match.group(1)]))
    if not rows:
        raise DataValidationError(f"No labelled reviews found in {archive}")
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    # IMDB marks line breaks with <br /> tags; keep the stored text readable.
    frame[TEXT_COLUMN] = frame[TEXT_COLUMN].str.replace(r"<br\s*/?>", " ", regex=True)
    return validate_reviews(frame)


def build_full_dataset(config: Config) -> Path:
    """Download IMDB (once) and convert it to the same two-column CSV as the bundled data."""
    csv_path = config.resolve(config.data.full_csv)
    if csv_path.is_file():
        logger.info("Using cached IMDB table %s", csv_path)
        return csv_path
    archive = download_file(config.data.full_url, config.resolve(config.data.full_archive))
    frame = read_imdb_archive(archive)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(csv_path, index=False)
    logger.info("Wrote %d IMDB reviews to %s", len(frame), csv_path)
    return csv_path


def raw_path(config: Config, source: Source) -> Path:
    """Path of the raw CSV for ``source``; downloads only when ``source == "full"``."""
    if source == "full":
        return build_full_dataset(config)
    return config.resolve(config.data.bundled_path)


def prepare_data(config: Config, source: Source | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate, clean and split the raw data; write the two splits to ``processed_dir``."""
    frame = clean_reviews(read_reviews(raw_path(config, source or config.data.source)))
    train, test = split_reviews(frame, config.split.test_size, config.seed)
    for name, part in zip(SPLIT_NAMES, (train, test), strict=True):
        path = split_path(config, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        part.to_csv(path, index=False)
    logger.info("Wrote %d train and %d test reviews", len(train), len(test))
    return train, test


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point; see the module docstring for usage."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=Path, default=None, help="path to params.yaml")
    parser.add_argument(
        "--source",
        choices=["bundled", "full"],
        default=None,
        help="bundled CSV (default from params.yaml) or the full IMDB dataset (downloads)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    prepare_data(load_config(args.params), args.source)


if __name__ == "__main__":
    main()
