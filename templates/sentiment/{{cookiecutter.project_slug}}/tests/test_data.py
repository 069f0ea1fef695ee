"""Data contract of the bundled reviews, cleaning, leakage-free splitting and the IMDB reader."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pandas as pd
import pytest

from {{cookiecutter.package_name}}.api import MAX_TEXT_CHARS
from {{cookiecutter.package_name}}.config import Config
from {{cookiecutter.package_name}}.data import (
    COLUMNS,
    LABELS,
    DataValidationError,
    clean_reviews,
    load_split,
    prepare_data,
    read_imdb_archive,
    read_reviews,
    split_reviews,
    validate_reviews,
)
from {{cookiecutter.package_name}}.features import normalise_text

from .helpers import BUNDLED_CSV


@pytest.fixture(scope="module")
def bundled() -> pd.DataFrame:
    return read_reviews(BUNDLED_CSV)


def normalised(frame: pd.DataFrame) -> set[str]:
    return set(frame["text"].map(normalise_text))


# --- the bundled dataset ------------------------------------------------------------------


def test_bundled_data_has_the_expected_schema(bundled: pd.DataFrame) -> None:
    assert tuple(bundled.columns) == COLUMNS
    assert bundled["text"].map(type).eq(str).all()
    assert set(bundled["label"]) == set(LABELS)
    assert not bundled.isna().any().any()


def test_bundled_data_is_large_enough_and_roughly_balanced(bundled: pd.DataFrame) -> None:
    assert len(bundled) >= 300
    positive_share = (bundled["label"] == "positive").mean()
    assert 0.45 <= positive_share <= 0.55


def test_bundled_texts_are_non_blank_and_servable(bundled: pd.DataFrame) -> None:
    lengths = bundled["text"].str.strip().str.len()
    assert lengths.min() >= 3
    # Every training text must also be a valid API request.
    assert lengths.max() <= MAX_TEXT_CHARS


def test_bundled_data_has_no_duplicates(bundled: pd.DataFrame) -> None:
    assert len(clean_reviews(bundled)) == len(bundled)


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"review": ["fine"], "label": ["positive"]}),
        pd.DataFrame({"text": ["fine"], "label": ["neutral"]}),
        pd.DataFrame({"text": ["   "], "label": ["negative"]}),
        pd.DataFrame({"text": [None], "label": ["negative"]}),
        pd.DataFrame({"text": [42], "label": ["negative"]}),
        pd.DataFrame({"text": pd.Series([], dtype=str), "label": pd.Series([], dtype=str)}),
    ],
    ids=["wrong-column", "unknown-label", "blank-text", "missing-text", "non-string", "empty"],
)
def test_validation_rejects_contract_violations(frame: pd.DataFrame) -> None:
    with pytest.raises(DataValidationError):
        validate_reviews(frame)


def test_reader_keeps_texts_that_look_like_missing_values(tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    path.write_text("text,label\nNA,negative\nNone,positive\n", encoding="utf-8")
    assert read_reviews(path)["text"].tolist() == ["NA", "None"]


# --- cleaning and splitting ----------------------------------------------------------------


def test_cleaning_drops_duplicates_and_conflicting_labels() -> None:
    frame = pd.DataFrame(
        {
            "text": ["Great  phone", "great phone", "Meh.", "meh.", "Awful"],
            "label": ["positive", "positive", "positive", "negative", "negative"],
        }
    )
    cleaned = clean_reviews(frame)
    assert cleaned["text"].tolist() == ["Great phone", "Awful"]


def test_split_has_no_leakage_and_covers_every_review(bundled: pd.DataFrame) -> None:
    # Re-add 100 reviews in upper case: near-duplicates that must not straddle the split.
    echoes = bundled.head(100).assign(text=lambda frame: frame["text"].str.upper() + "  ")
    frame = clean_reviews(pd.concat([bundled, echoes], ignore_index=True))
    train, test = split_reviews(frame, test_size=0.25, seed=0)
    assert normalised(train).isdisjoint(normalised(test))
    assert len(train) + len(test) == len(frame) == len(bundled)
    assert normalised(train) | normalised(test) == normalised(bundled)


def test_split_is_stratified(bundled: pd.DataFrame) -> None:
    train, test = split_reviews(clean_reviews(bundled), test_size=0.25, seed=0)
    overall = (bundled["label"] == "positive").mean()
    for part in (train, test):
        assert (part["label"] == "positive").mean() == pytest.approx(overall, abs=0.02)


def test_split_depends_only_on_the_seed(bundled: pd.DataFrame) -> None:
    frame = clean_reviews(bundled)
    first, _ = split_reviews(frame, test_size=0.25, seed=1)
    again, _ = split_reviews(frame, test_size=0.25, seed=1)
    other, _ = split_reviews(frame, test_size=0.25, seed=2)
    pd.testing.assert_frame_equal(first, again)
    assert set(first["text"]) != set(other["text"])


def test_prepare_data_writes_splits_that_round_trip(config: Config) -> None:
    train, test = prepare_data(config)
    pd.testing.assert_frame_equal(load_split(config, "train"), train)
    pd.testing.assert_frame_equal(load_split(config, "test"), test)
    assert len(test) == pytest.approx(config.split.test_size * (len(train) + len(test)), abs=1)


def test_missing_split_points_to_make_data(config: Config) -> None:
    with pytest.raises(FileNotFoundError, match="make data"):
        load_split(config, "train")


# --- full-dataset reader (offline: a tiny archive with the IMDB layout) ---------------------


def add_member(tar: tarfile.TarFile, name: str, text: str) -> None:
    payload = text.encode("utf-8")
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    tar.addfile(info, io.BytesIO(payload))


def test_imdb_reader_keeps_labelled_reviews_only(tmp_path: Path) -> None:
    archive = tmp_path / "aclImdb_v1.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        add_member(tar, "aclImdb/train/pos/0_9.txt", "Loved it.<br /><br />Great cast.")
        add_member(tar, "aclImdb/test/neg/1_2.txt", "Dull and far too long.")
        add_member(tar, "aclImdb/train/unsup/2_0.txt", "No label here.")
        add_member(tar, "aclImdb/README", "Not a review.")
    frame = read_imdb_archive(archive)
    assert sorted(frame["label"]) == ["negative", "positive"]
    assert "<br" not in " ".join(frame["text"])
    assert len(frame) == 2
