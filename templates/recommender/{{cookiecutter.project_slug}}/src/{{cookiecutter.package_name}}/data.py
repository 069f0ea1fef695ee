"""Get ratings into data/raw/: a seeded synthetic set by default, MovieLens when asked.

Run `python -m <package>.data` for the synthetic set (offline, deterministic) or
`python -m <package>.data --source movielens` to download ml-latest-small (needs internet).
Both write the same two files with the same contract, so the rest of the pipeline does not care
where the ratings came from:

    ratings.csv  user_id, item_id, rating (0.5-5.0 in half steps), timestamp (Unix seconds)
    items.csv    item_id, title, genres ("|"-separated)
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import shutil
import tempfile
import urllib.request
import zipfile
from datetime import UTC, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd

from .config import MovieLensConfig, Params, SyntheticConfig, load_params

logger = logging.getLogger(__name__)

RATINGS_FILE = "ratings.csv"
ITEMS_FILE = "items.csv"
SOURCE_FILE = "source.json"
RATING_COLUMNS = ["user_id", "item_id", "rating", "timestamp"]
ITEM_COLUMNS = ["item_id", "title", "genres"]
RATING_DTYPES = {"user_id": "int64", "item_id": "int64", "rating": "float64", "timestamp": "int64"}
MIN_RATING, MAX_RATING, RATING_STEP = 0.5, 5.0, 0.5
# Ids are positive int64: the contract for ratings.csv and items.csv, and what the API accepts.
MIN_ID, MAX_ID = 1, int(np.iinfo(np.int64).max)

GENRES = (
    "Action",
    "Adventure",
    "Animation",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)
# Word lists for made-up titles; they only make API responses readable.
_TITLE_WORDS = (
    ("Silent", "Crimson", "Last", "Hidden", "Broken", "Golden", "Distant", "Electric", "Frozen"),
    ("Harbor", "Signal", "Garden", "Empire", "River", "Machine", "Winter", "Frontier", "Echo"),
)
# Share of items with 1, 2 or 3 genres, roughly what a film catalogue looks like.
_GENRES_PER_ITEM_P = (0.5, 0.35, 0.15)
_BIAS_STD = 0.35


# --------------------------------------------------------------------------- synthetic data


def _item_genres(rng: np.random.Generator, n_items: int, n_genres: int) -> list[np.ndarray]:
    counts = rng.choice(len(_GENRES_PER_ITEM_P), size=n_items, p=_GENRES_PER_ITEM_P) + 1
    return [rng.choice(n_genres, size=min(c, n_genres), replace=False) for c in counts]


def _standardise(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / values.std()


def _affinity(
    rng: np.random.Generator, cfg: SyntheticConfig, genres: list[np.ndarray]
) -> np.ndarray:
    """Users x items taste scores (mean 0, sd 1) from genre-anchored latent factors.

    Items sit near the centres of their genres and users near the centres of one or two favourite
    genres, so users who like the same things rate overlapping items: the co-occurrence signal
    that item-kNN is built to find.
    """
    centres = rng.normal(size=(cfg.n_genres, cfg.n_factors))
    item_factors = np.stack([centres[g].mean(axis=0) for g in genres])
    item_factors += cfg.item_noise * rng.normal(size=item_factors.shape)
    favourites = [
        rng.choice(cfg.n_genres, size=rng.integers(1, 3), replace=False) for _ in range(cfg.n_users)
    ]
    user_factors = np.stack([centres[f].mean(axis=0) for f in favourites])
    user_factors += cfg.user_noise * rng.normal(size=user_factors.shape)
    return _standardise(user_factors @ item_factors.T)


def _ratings_per_user(rng: np.random.Generator, cfg: SyntheticConfig) -> np.ndarray:
    """Heavy-tailed activity: most users rate a few dozen items, a few rate hundreds."""
    extra = rng.lognormal(mean=np.log(cfg.median_extra_ratings), sigma=0.8, size=cfg.n_users)
    return np.minimum(cfg.min_ratings_per_user + extra.astype(np.int64), cfg.n_items)


def _log_popularity(rng: np.random.Generator, cfg: SyntheticConfig) -> np.ndarray:
    """Zipf-like long tail: the item at popularity rank r is chosen ~ r ** -exponent as often."""
    return -cfg.popularity_exponent * np.log(rng.permutation(cfg.n_items) + 1.0)


def _choose_items(
    rng: np.random.Generator,
    cfg: SyntheticConfig,
    log_popularity: np.ndarray,
    affinity: np.ndarray,
    counts: np.ndarray,
) -> list[np.ndarray]:
    """Which items each user rates: popularity x taste, sampled without replacement.

    Adding Gumbel noise to log-weights and keeping the top n is the same as sampling n items
    without replacement with probability proportional to exp(log-weight), for all users at once.
    """
    keys = log_popularity + cfg.taste_strength * affinity + rng.gumbel(size=affinity.shape)
    order = np.argsort(-keys, axis=1)
    return [order[u, : counts[u]] for u in range(cfg.n_users)]


def _timestamps(rng: np.random.Generator, cfg: SyntheticConfig, n: int) -> np.ndarray:
    """Strictly increasing Unix times inside one user's active window."""
    start = int(datetime.combine(cfg.start_date, time(), tzinfo=UTC).timestamp())
    end = int(datetime.combine(cfg.end_date, time(), tzinfo=UTC).timestamp())
    first, last = np.sort(rng.integers(start, end - n, size=2))
    times = np.sort(rng.integers(first, last + 1, size=n))
    return times + np.arange(n)  # ties are broken so the per-user order is unambiguous


def _titles(rng: np.random.Generator, n_items: int) -> list[str]:
    adjectives, nouns = _TITLE_WORDS
    years = rng.integers(1950, 2024, size=n_items)
    return [
        f"The {adjectives[rng.integers(len(adjectives))]} {nouns[rng.integers(len(nouns))]} ({y})"
        for y in years
    ]


def generate_synthetic(cfg: SyntheticConfig, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build a synthetic (ratings, items) pair; the same config and seed give identical frames."""
    if cfg.n_genres > len(GENRES):
        raise ValueError(f"n_genres must be at most {len(GENRES)}")
    rng = np.random.default_rng(seed)
    genres = _item_genres(rng, cfg.n_items, cfg.n_genres)
    affinity = _affinity(rng, cfg, genres)
    log_popularity = _log_popularity(rng, cfg)
    chosen = _choose_items(rng, cfg, log_popularity, affinity, _ratings_per_user(rng, cfg))
    user_bias = rng.normal(scale=_BIAS_STD, size=cfg.n_users)
    # Popular items are rated a little higher: this is what makes popularity a real baseline.
    item_bias = rng.normal(scale=_BIAS_STD, size=cfg.n_items)
    if cfg.popularity_exponent > 0:
        item_bias += cfg.popularity_quality * _standardise(log_popularity)

    users = np.repeat(np.arange(cfg.n_users), [len(c) for c in chosen])
    item_index = np.concatenate(chosen)
    raw = user_bias[users] + item_bias[item_index] + affinity[users, item_index]
    raw += rng.normal(scale=cfg.rating_noise, size=len(raw))
    # Users mostly rate what they expect to like, so shift the scale to put the mean where asked.
    raw += cfg.mean_rating - raw.mean()
    # _choose_items lists each user's items best-first (the top of a Gumbel sort); without a
    # shuffle, users would rate their most popular, best-liked items first and their test
    # period would be systematically different. A separate stream, so nothing else changes.
    order_rng = np.random.default_rng([seed, 1])
    times = [order_rng.permutation(_timestamps(rng, cfg, len(c))) for c in chosen]
    ratings = pd.DataFrame(
        {
            "user_id": users + 1,
            "item_id": item_index + 1,
            "rating": np.clip(np.round(raw / RATING_STEP) * RATING_STEP, MIN_RATING, MAX_RATING),
            "timestamp": np.concatenate(times),
        }
    ).astype(RATING_DTYPES)
    items = pd.DataFrame(
        {
            "item_id": np.arange(1, cfg.n_items + 1, dtype=np.int64),
            "title": _titles(rng, cfg.n_items),
            "genres": ["|".join(GENRES[g] for g in sorted(item)) for item in genres],
        }
    )
    return ratings.sort_values(["user_id", "timestamp"], ignore_index=True), items


# --------------------------------------------------------------------------- MovieLens


def read_movielens_zip(archive: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Convert the ml-latest-small archive (ratings.csv, movies.csv) to this project's contract."""
    with zipfile.ZipFile(archive) as bundle:
        members = {Path(name).name: name for name in bundle.namelist()}
        missing = {"ratings.csv", "movies.csv"} - members.keys()
        if missing:
            raise ValueError(f"{archive} is not a MovieLens archive: missing {sorted(missing)}")
        ratings = pd.read_csv(io.BytesIO(bundle.read(members["ratings.csv"])))
        movies = pd.read_csv(
            io.BytesIO(bundle.read(members["movies.csv"])), dtype={"title": str, "genres": str}
        )
    ratings = ratings.rename(columns={"userId": "user_id", "movieId": "item_id"})
    items = movies.rename(columns={"movieId": "item_id"})
    return ratings[RATING_COLUMNS].astype(RATING_DTYPES), items[ITEM_COLUMNS]


def download_movielens(cfg: MovieLensConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Download ml-latest-small with the standard library and convert it. Needs internet."""
    if not cfg.url.startswith("https://"):
        raise ValueError("the MovieLens URL must use https")
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "movielens.zip"
        logger.info("downloading %s", cfg.url)
        with (
            urllib.request.urlopen(cfg.url, timeout=cfg.timeout_seconds) as response,  # noqa: S310
            archive.open("wb") as out,
        ):
            shutil.copyfileobj(response, out)
        return read_movielens_zip(archive)


# --------------------------------------------------------------------------- contract and I/O


def validate_ratings(ratings: pd.DataFrame) -> None:
    """Raise ValueError if the ratings break the contract every later step relies on."""
    if list(ratings.columns) != RATING_COLUMNS:
        raise ValueError(f"ratings columns must be {RATING_COLUMNS}, got {list(ratings.columns)}")
    for column, dtype in RATING_DTYPES.items():
        if str(ratings[column].dtype) != dtype:
            raise ValueError(f"ratings.{column} must be {dtype}, got {ratings[column].dtype}")
    if ratings.isna().any().any():
        raise ValueError("ratings contain missing values")
    if (ratings["user_id"] < MIN_ID).any() or (ratings["item_id"] < MIN_ID).any():
        raise ValueError("user_id and item_id must be positive")
    rating = ratings["rating"]
    if ((rating < MIN_RATING) | (rating > MAX_RATING)).any():
        raise ValueError(f"ratings must lie in [{MIN_RATING}, {MAX_RATING}]")
    if not np.allclose(rating / RATING_STEP, np.round(rating / RATING_STEP)):
        raise ValueError(f"ratings must be multiples of {RATING_STEP}")
    if (ratings["timestamp"] <= 0).any():
        raise ValueError("timestamps must be positive Unix seconds")
    if ratings.duplicated(["user_id", "item_id"]).any():
        raise ValueError("a user rated the same item twice")


def validate_items(items: pd.DataFrame, ratings: pd.DataFrame | None = None) -> None:
    """Raise ValueError if the item catalogue is malformed or misses rated items."""
    if list(items.columns) != ITEM_COLUMNS:
        raise ValueError(f"items columns must be {ITEM_COLUMNS}, got {list(items.columns)}")
    if str(items["item_id"].dtype) != "int64" or items["item_id"].duplicated().any():
        raise ValueError("items.item_id must be unique int64")
    if items["title"].isna().any() or (items["title"].str.len() == 0).any():
        raise ValueError("every item needs a title")
    if ratings is not None and not ratings["item_id"].isin(items["item_id"]).all():
        raise ValueError("ratings refer to items missing from the catalogue")


def save_raw(ratings: pd.DataFrame, items: pd.DataFrame, raw_dir: Path, source: dict) -> None:
    """Validate, then write ratings.csv, items.csv and source.json (provenance) to raw_dir."""
    validate_ratings(ratings)
    validate_items(items, ratings)
    raw_dir.mkdir(parents=True, exist_ok=True)
    ratings.to_csv(raw_dir / RATINGS_FILE, index=False)
    items.to_csv(raw_dir / ITEMS_FILE, index=False)
    (raw_dir / SOURCE_FILE).write_text(json.dumps(source, indent=2) + "\n", encoding="utf-8")


def load_raw(raw_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read and validate data/raw; a clear error beats a KeyError three modules later."""
    ratings_path, items_path = raw_dir / RATINGS_FILE, raw_dir / ITEMS_FILE
    if not ratings_path.exists() or not items_path.exists():
        raise FileNotFoundError(f"no ratings in {raw_dir}; run `make data` first")
    ratings = pd.read_csv(ratings_path, dtype=RATING_DTYPES)
    items = pd.read_csv(
        items_path, dtype={"item_id": "int64", "title": str, "genres": str}, keep_default_na=False
    )
    validate_ratings(ratings)
    validate_items(items, ratings)
    return ratings, items


def load_source(raw_dir: Path) -> dict:
    """Provenance written by `make data` ({} if the file is missing)."""
    path = raw_dir / SOURCE_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=["synthetic", "movielens"], default="synthetic")
    parser.add_argument("--params", type=Path, default=None, help="params.yaml to use")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    params: Params = load_params(args.params)

    if args.source == "movielens":
        try:
            ratings, items = download_movielens(params.movielens)
        except OSError as error:  # URLError, timeouts and refused connections are all OSErrors
            raise SystemExit(f"could not download {params.movielens.url}: {error}") from error
        source = {
            "source": "movielens",
            "url": params.movielens.url,
            "licence": "GroupLens terms (non-commercial, cite, no redistribution); see DATA.md",
        }
    else:
        ratings, items = generate_synthetic(params.synthetic, params.seed)
        source = {"source": "synthetic", "seed": params.seed}
    save_raw(ratings, items, params.paths.raw_dir, source)
    logger.info(
        "wrote %d ratings by %d users on %d items to %s",
        len(ratings),
        ratings["user_id"].nunique(),
        len(items),
        params.paths.raw_dir,
    )


if __name__ == "__main__":
    main()
