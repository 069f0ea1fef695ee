"""The data contract every later step relies on, and the generator's promises."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.data import (
    generate_synthetic,
    load_raw,
    read_movielens_zip,
    save_raw,
    validate_items,
    validate_ratings,
)

from testkit import Trained, small_params


@pytest.fixture
def synthetic(trained: Trained) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The raw data (read back from data/raw) the shared model was trained on."""
    return trained.ratings, trained.items


def test_ratings_follow_the_contract(synthetic: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ratings, items = synthetic
    assert list(ratings.columns) == ["user_id", "item_id", "rating", "timestamp"]
    assert [str(t) for t in ratings.dtypes] == ["int64", "int64", "float64", "int64"]
    assert ratings["rating"].between(0.5, 5.0).all()
    assert (ratings["rating"] * 2 == np.round(ratings["rating"] * 2)).all()  # half steps
    assert not ratings.duplicated(["user_id", "item_id"]).any()
    assert (ratings["timestamp"] > 0).all()
    assert ratings["item_id"].isin(items["item_id"]).all()
    assert list(items.columns) == ["item_id", "title", "genres"]
    assert items["item_id"].is_unique
    assert (items["title"].str.len() > 0).all() and (items["genres"].str.len() > 0).all()


def test_ratings_look_like_ratings(synthetic: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ratings, _ = synthetic
    assert 3.0 < ratings["rating"].mean() < 4.0
    assert ratings["rating"].nunique() >= 8  # the whole scale is used, not a few values
    assert ratings.groupby("user_id").size().min() >= 15  # min_ratings_per_user in the small config
    # Long tail: the 10% most rated items hold far more than 10% of the ratings.
    counts = ratings["item_id"].value_counts()
    assert counts.iloc[: len(counts) // 10].sum() / len(ratings) > 0.25


def test_generator_is_seeded(tmp_path: Path) -> None:
    params = small_params(tmp_path)
    first, _ = generate_synthetic(params.synthetic, seed=1)
    again, _ = generate_synthetic(params.synthetic, seed=1)
    other, _ = generate_synthetic(params.synthetic, seed=2)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)


def test_save_and_load_round_trip(
    synthetic: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    ratings, items = synthetic
    save_raw(ratings, items, tmp_path, {"source": "synthetic"})
    loaded_ratings, loaded_items = load_raw(tmp_path)
    pd.testing.assert_frame_equal(loaded_ratings, ratings)
    pd.testing.assert_frame_equal(loaded_items, items)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("rating", 5.5, "lie in"),
        ("rating", 0.0, "lie in"),
        ("rating", 3.3, "multiples"),
        ("user_id", 0, "positive"),
        ("timestamp", -1, "timestamps"),
    ],
)
def test_contract_rejects_bad_values(
    synthetic: tuple[pd.DataFrame, pd.DataFrame], column: str, value: float, message: str
) -> None:
    broken = synthetic[0].copy()
    broken.loc[0, column] = value
    with pytest.raises(ValueError, match=message):
        validate_ratings(broken)


def test_contract_rejects_duplicates_and_unknown_items(
    synthetic: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    ratings, items = synthetic
    with pytest.raises(ValueError, match="twice"):
        validate_ratings(pd.concat([ratings, ratings.iloc[:1]], ignore_index=True))
    with pytest.raises(ValueError, match="missing from the catalogue"):
        validate_items(items.iloc[1:], ratings)


def test_movielens_archive_is_converted(tmp_path: Path) -> None:
    """The real loader's conversion, on a hand-made archive with MovieLens's layout (no network)."""
    archive = tmp_path / "ml-latest-small.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr(
            "ml-latest-small/ratings.csv",
            "userId,movieId,rating,timestamp\n"
            "1,1,4.0,964982703\n1,3,4.5,964981247\n2,1,2.5,1445714835\n",
        )
        bundle.writestr(
            "ml-latest-small/movies.csv",
            "movieId,title,genres\n"
            '1,Toy Story (1995),Adventure|Animation\n3,"Heat, Again (1995)",Drama\n',
        )
    ratings, items = read_movielens_zip(archive)
    validate_ratings(ratings)
    validate_items(items, ratings)
    assert ratings["user_id"].tolist() == [1, 1, 2]
    assert items.set_index("item_id").loc[3, "title"] == "Heat, Again (1995)"


def test_non_movielens_archive_is_rejected(tmp_path: Path) -> None:
    archive = tmp_path / "other.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("readme.txt", io.StringIO("nothing here").getvalue())
    with pytest.raises(ValueError, match="not a MovieLens archive"):
        read_movielens_zip(archive)
