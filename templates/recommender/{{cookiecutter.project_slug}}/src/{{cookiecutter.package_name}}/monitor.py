"""Drift monitoring: does a new batch of ratings still look like the data the model learnt from?

    python -m <package>.monitor --batch data/processed/batch.csv      # report; exit 0
    python -m <package>.monitor --batch ... --fail-on-drift           # exit 1 if drift is found
    python -m <package>.monitor --make-batch OUT          # an unshifted batch: held-out ratings
    python -m <package>.monitor --make-shifted-batch OUT  # the same batch, deliberately shifted

A batch is a CSV of interactions (user_id, item_id, timestamp, and rating once the ratings are
in: the labels). It is compared with data/processed/train.csv, feature by feature:

    feature          what it is, per row                               tests
    rating           the star rating (only when the batch has labels)  PSI and KS
    item_popularity  log(1 + training ratings of the item)             PSI and KS
    user_history     log(1 + training ratings of the user; 0 = new)    PSI and KS
    genre            the item's genres, counted as tokens              chi-square

- **PSI** (population stability index) over `psi_bins` bins fixed once from the training
  data's quantiles (one bin per value for star ratings): the sum over bins of
  (batch share - training share) * ln(batch share / training share).
  Drifted above `psi_threshold` (0.2 by convention; 0.1-0.2 is "watch").
- **KS**, the two-sample Kolmogorov-Smirnov test (scipy.stats.ks_2samp): the largest gap D
  between the two empirical CDFs. Drifted when p < `p_value` AND D >= `min_ks_statistic`:
  with tens of thousands of training rows even a harmless difference is "significant", so a
  minimum effect is required as well.
- **Chi-square** test of homogeneity (scipy.stats.chi2_contingency) on the 2 x genres table of
  token counts. Drifted when p < `p_value` AND the total-variation distance between the two
  genre mixes (half the sum of absolute share differences) is at least `min_total_variation`.
  Genre tokens of one item are not independent draws, so read its p-value as a guide.

A numeric feature is drifted if PSI or KS says so. With labels, performance is checked too: the
hit rate (share of liked batch rows, rating >= relevance_threshold, whose item is in the top-k
list the API would serve that user) against the same hit rate on the held-out test ratings;
degraded when it is down by at least `min_hit_rate_drop` and a chi-square test on the 2 x 2
table of hits and misses gives p < `p_value`. All thresholds live in params.yaml (monitor:).

The statistics themselves are in `drift`, the module the built-in templates share; this module
picks the features, the thresholds and the verdicts.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .config import MonitorConfig, Params, ShiftConfig, load_params
from .data import MAX_RATING, MIN_RATING, load_raw
from .drift import (
    bin_shares,
    chi_square,
    is_drift,
    ks_test,
    psi,
    quantile_edges,
    round_p,
    total_variation,
)
from .model import Recommender
from .train import load_split

logger = logging.getLogger(__name__)

BATCH_FILE = "batch.csv"
BATCH_COLUMNS = ["user_id", "item_id", "timestamp"]  # + rating, when the labels are in
UNKNOWN_GENRE = "(unknown item)"
ROWS_PER_NEW_USER = 5  # the shifted batch's new users rate about this many items each


# --------------------------------------------------------------------------- the statistics


def genre_test(reference: Counter, batch: Counter) -> tuple[float, float, float]:
    """(chi-square, p-value, total-variation distance) for two counts of genre tokens."""
    categories = sorted(set(reference) | set(batch))
    ref_counts = [reference[c] for c in categories]
    batch_counts = [batch[c] for c in categories]
    result = chi_square(ref_counts, batch_counts, correction=True)
    return result["chi2"], result["pvalue"], total_variation(ref_counts, batch_counts)


# --------------------------------------------------------------------------- features


@dataclass(frozen=True)
class Reference:
    """What a batch is compared with: the training ratings and the item catalogue."""

    train: pd.DataFrame
    items: pd.DataFrame

    def item_counts(self) -> pd.Series:
        return self.train["item_id"].value_counts()

    def user_counts(self) -> pd.Series:
        return self.train["user_id"].value_counts()

    def genres(self) -> dict[int, list[str]]:
        return {
            int(i): str(g).split("|")
            for i, g in zip(self.items["item_id"], self.items["genres"], strict=True)
        }


def numeric_features(frame: pd.DataFrame, reference: Reference, *, is_training: bool) -> dict:
    """rating (if present), item_popularity and user_history, one value per row.

    For a training row the item's count leaves the row itself out, so a training row and a new
    row both measure "how many *other* training ratings this item has".
    """
    item_count = frame["item_id"].map(reference.item_counts()).fillna(0).to_numpy()
    if is_training:
        item_count = item_count - 1
    user_count = frame["user_id"].map(reference.user_counts()).fillna(0).to_numpy()
    features = {
        "item_popularity": np.log1p(item_count),
        "user_history": np.log1p(user_count),
    }
    if "rating" in frame.columns:
        features = {"rating": frame["rating"].to_numpy(dtype=np.float64), **features}
    return features


def genre_tokens(frame: pd.DataFrame, reference: Reference) -> Counter:
    genres = reference.genres()
    counts: Counter = Counter()
    for item in frame["item_id"].to_numpy():
        counts.update(genres.get(int(item), [UNKNOWN_GENRE]))
    return counts


def _edge_labels(edges: np.ndarray, name: str) -> list[str]:
    if name == "rating":
        values = [f"{e:g}" for e in edges]
    else:  # log1p counts, shown as counts
        values = [f"{np.expm1(e):.0f}" for e in edges]
    return [f"<{values[0]}", *[f">={v}" for v in values]]


# --------------------------------------------------------------------------- the report


def _check_numeric(
    name: str, reference: np.ndarray, batch: np.ndarray, cfg: MonitorConfig
) -> dict[str, Any]:
    edges = quantile_edges(reference, cfg.psi_bins, one_bin_per_value=True)
    psi_value = psi(reference, batch, edges=edges)
    statistic, p_value = ks_test(reference, batch)
    psi_drifted = psi_value > cfg.psi_threshold
    ks_drifted = is_drift(p_value, statistic, cfg.p_value, cfg.min_ks_statistic)
    return {
        "name": name,
        "kind": "numeric",
        "tests": {
            "psi": {"value": round(psi_value, 4), "drifted": psi_drifted},
            "ks": {
                "statistic": round(statistic, 4),
                "p_value": round_p(p_value),
                "drifted": ks_drifted,
            },
        },
        "drifted": psi_drifted or ks_drifted,
        "shares": {
            "labels": _edge_labels(edges, name),
            "reference": np.round(bin_shares(reference, edges), 4).tolist(),
            "batch": np.round(bin_shares(batch, edges), 4).tolist(),
        },
    }


def _check_categorical(
    name: str, reference: Counter, batch: Counter, cfg: MonitorConfig
) -> dict[str, Any]:
    chi2, p_value, distance = genre_test(reference, batch)
    drifted = is_drift(p_value, distance, cfg.p_value, cfg.min_total_variation)
    labels = sorted(set(reference) | set(batch))
    ref_total, batch_total = max(sum(reference.values()), 1), max(sum(batch.values()), 1)
    return {
        "name": name,
        "kind": "categorical",
        "tests": {
            "chi_square": {
                "statistic": round(chi2, 2),
                "p_value": round_p(p_value),
                "total_variation": round(distance, 4),
                "drifted": drifted,
            }
        },
        "drifted": drifted,
        "shares": {
            "labels": labels,
            "reference": [round(reference[c] / ref_total, 4) for c in labels],
            "batch": [round(batch[c] / batch_total, 4) for c in labels],
        },
    }


def hit_rate(model: Recommender, liked: pd.DataFrame, k: int) -> tuple[int, int]:
    """(hits, rows): liked rows whose item is in the top-k list the API serves their user."""
    if liked.empty:
        return 0, 0
    users = np.unique(liked["user_id"].to_numpy())
    known = np.array([u for u in users if model.has_user(int(u))], dtype=np.int64)
    served: dict[int, set[int]] = {}
    if len(known):
        for user, (index, _) in zip(
            known, model.top_k(model.user_rows(known), k, "item_knn"), strict=True
        ):
            served[int(user)] = set(model.item_ids[index].tolist())
    popular = set(model.item_ids[model.popularity_order[:k]].tolist())  # the cold-start list
    hits = sum(
        int(item) in served.get(int(user), popular)
        for user, item in zip(liked["user_id"], liked["item_id"], strict=True)
    )
    return hits, len(liked)


def _check_performance(
    model: Recommender,
    held_out: pd.DataFrame,
    batch: pd.DataFrame,
    params: Params,
) -> dict[str, Any] | None:
    if "rating" not in batch.columns:
        return None
    k, threshold = params.evaluation.k, params.evaluation.relevance_threshold
    cfg = params.monitor
    # The reference leaves out any held-out row that is also in the batch (an unshifted batch
    # is drawn from the held-out ratings), so the two hit rates are independent.
    pairs = batch[["user_id", "item_id"]].drop_duplicates()
    merged = held_out.merge(pairs, on=["user_id", "item_id"], how="left", indicator=True)
    reference_rows = held_out[(merged["_merge"] == "left_only").to_numpy()]
    ref_hits, ref_n = hit_rate(model, reference_rows[reference_rows["rating"] >= threshold], k)
    hits, n = hit_rate(model, batch[batch["rating"] >= threshold], k)
    if n == 0 or ref_n == 0:
        return {"metric": f"hit_rate_at_{k}", "note": "no liked rows to score", "degraded": False}
    # With Yates' correction, as scipy applies it to a 2 x 2 table by default.
    p_value = chi_square([ref_hits, ref_n - ref_hits], [hits, n - hits], correction=True)["pvalue"]
    reference_rate, batch_rate = ref_hits / ref_n, hits / n
    degraded = batch_rate <= reference_rate - cfg.min_hit_rate_drop and p_value < cfg.p_value
    return {
        "metric": f"hit_rate_at_{k}",
        "reference": round(reference_rate, 4),
        "batch": round(batch_rate, 4),
        "n_reference": ref_n,
        "n_batch": n,
        "p_value": round_p(p_value),
        "degraded": degraded,
    }


def drift_report(
    batch: pd.DataFrame,
    reference: Reference,
    model: Recommender | None,
    held_out: pd.DataFrame | None,
    params: Params,
    name: str = "batch",
) -> dict[str, Any]:
    """Compare a batch with the training data (and, with labels and a model, performance)."""
    validate_batch(batch)
    cfg = params.monitor
    train_features = numeric_features(reference.train, reference, is_training=True)
    batch_features = numeric_features(batch, reference, is_training=False)
    features = [
        _check_numeric(feature, train_features[feature], values, cfg)
        for feature, values in batch_features.items()
    ]
    features.append(
        _check_categorical(
            "genre", genre_tokens(reference.train, reference), genre_tokens(batch, reference), cfg
        )
    )
    performance = None
    if model is not None and held_out is not None:
        performance = _check_performance(model, held_out, batch, params)
    drifted = [f["name"] for f in features if f["drifted"]]
    if performance and performance["degraded"]:
        drifted.append("performance")
    known_users = set(reference.train["user_id"].tolist())
    known_items = set(reference.train["item_id"].tolist())
    return {
        "batch": {
            "name": name,
            "n_rows": len(batch),
            "n_users": int(batch["user_id"].nunique()),
            "has_labels": "rating" in batch.columns,
            "new_user_share": round(float((~batch["user_id"].isin(known_users)).mean()), 4),
            "new_item_share": round(float((~batch["item_id"].isin(known_items)).mean()), 4),
        },
        "reference": {"name": "training data", "n_rows": len(reference.train)},
        "thresholds": cfg.model_dump(exclude={"batch_size", "shift"}),
        "features": features,
        "performance": performance,
        "drifted": drifted,
        "drift_detected": bool(drifted),
    }


def validate_batch(batch: pd.DataFrame) -> None:
    """A batch needs user_id, item_id and timestamp as integers; rating is optional."""
    missing = [c for c in BATCH_COLUMNS if c not in batch.columns]
    if missing:
        raise ValueError(f"the batch misses columns {missing}")
    if batch.empty:
        raise ValueError("the batch is empty")
    for column in BATCH_COLUMNS:
        if not pd.api.types.is_integer_dtype(batch[column]):
            raise ValueError(f"batch.{column} must be integers")
    if "rating" in batch.columns and not batch["rating"].between(MIN_RATING, MAX_RATING).all():
        raise ValueError(f"batch ratings must lie in [{MIN_RATING}, {MAX_RATING}]")


def to_markdown(report: dict[str, Any]) -> str:
    """The short human-readable version of drift.json."""
    batch = report["batch"]
    verdict = "**No drift detected.**"
    if report["drifted"]:
        verdict = "**DRIFT DETECTED**: " + ", ".join(report["drifted"]) + "."
    lines = [
        f"# Drift report: {batch['name']}",
        "",
        f"{batch['n_rows']} rows from {batch['n_users']} users against "
        f"{report['reference']['n_rows']} training ratings. {verdict}",
        "",
        f"New users: {batch['new_user_share']:.1%} of rows; items unseen in training: "
        f"{batch['new_item_share']:.1%}.",
        "",
        "| feature | test | value | p-value | drifted |",
        "| --- | --- | --- | --- | --- |",
    ]
    for feature in report["features"]:
        for test, result in feature["tests"].items():
            value = result.get("value", result.get("statistic"))
            if test == "chi_square":
                value = f"TV={result['total_variation']} (chi2={result['statistic']})"
            elif test == "ks":
                value = f"D={value}"
            p_value = result.get("p_value", "")
            flag = "**yes**" if result["drifted"] else "no"
            lines.append(f"| {feature['name']} | {test} | {value} | {p_value} | {flag} |")
    performance = report["performance"]
    lines.append("")
    if performance is None:
        lines.append("Performance: not checked (the batch has no ratings yet).")
    elif "note" in performance:
        lines.append(f"Performance: {performance['note']}.")
    else:
        flag = "**degraded**" if performance["degraded"] else "ok"
        lines.append(
            f"Performance ({performance['metric']} of liked rows): "
            f"{performance['batch']:.4f} on the batch against {performance['reference']:.4f} on "
            f"held-out data (p = {performance['p_value']}): {flag}."
        )
    t = report["thresholds"]
    lines += [
        "",
        f"Thresholds: PSI > {t['psi_threshold']}; KS p < {t['p_value']} and "
        f"D >= {t['min_ks_statistic']}; chi-square p < {t['p_value']} and total variation >= "
        f"{t['min_total_variation']}; hit rate down by >= {t['min_hit_rate_drop']} with "
        f"p < {t['p_value']}.",
        "",
    ]
    return "\n".join(lines)


def write_report(report: dict[str, Any], params: Params, figure: bool = True) -> list[Path]:
    """drift.json, drift.md and (optionally) figures/drift_<batch>.png; the paths written."""
    json_path = params.paths.drift_report_path
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    markdown_path = json_path.with_suffix(".md")
    markdown_path.write_text(to_markdown(report), encoding="utf-8")
    written = [json_path, markdown_path]
    if figure:
        from .plots import drift, drift_file

        written.append(
            drift(report, params.paths.figures_dir / drift_file(report["batch"]["name"]))
        )
    return written


# --------------------------------------------------------------------------- batches


def make_batch(held_out: pd.DataFrame, size: int, seed: int) -> pd.DataFrame:
    """An unshifted batch: a seeded random sample of held-out ratings, in time order.

    The rows come from the test split, which the model never saw but which was drawn from the
    same distribution as the training data: what a quiet day in production looks like.
    """
    rng = np.random.default_rng([seed, 2])
    rows = rng.choice(len(held_out), size=min(size, len(held_out)), replace=False)
    batch = held_out.iloc[np.sort(rows)]
    return batch.sort_values(["timestamp", "user_id", "item_id"], kind="mergesort").reset_index(
        drop=True
    )


def trending_genre(reference: Reference) -> str:
    """The genre with the fewest training ratings: the one a sudden trend changes most."""
    counts = genre_tokens(reference.train, reference)
    return min(sorted(counts), key=lambda genre: counts[genre])


def make_shifted_batch(
    batch: pd.DataFrame, reference: Reference, shift: ShiftConfig, seed: int
) -> pd.DataFrame:
    """The unshifted batch with three things a live recommender meets, so the monitor fires:

    1. a trend: `trend_share` of the rows move to long-tail items (the less-rated half of the
       catalogue) of the least-rated genre, as when a niche suddenly becomes fashionable;
    2. a cold-start surge: `new_user_share` of the rows come from users never seen in training
       (about five rows each), as after a marketing campaign;
    3. a rating-scale change: every rating moves by `rating_offset` stars, as when the
       app's rating widget is redesigned.
    """
    rng = np.random.default_rng([seed, 3])
    shifted = batch.copy()
    n = len(shifted)
    genre = trending_genre(reference)
    item_counts = reference.items["item_id"].map(reference.item_counts()).fillna(0).to_numpy()
    genres = reference.genres()
    tail = reference.items["item_id"].to_numpy()[item_counts <= np.median(item_counts)]
    candidates = np.array([i for i in tail if genre in genres[int(i)]], dtype=np.int64)
    if len(candidates) and shift.trend_share > 0:
        rows = rng.choice(n, size=round(shift.trend_share * n), replace=False)
        shifted.loc[shifted.index[rows], "item_id"] = rng.choice(candidates, size=len(rows))
    if shift.new_user_share > 0:
        rows = np.sort(rng.choice(n, size=round(shift.new_user_share * n), replace=False))
        first_new = int(max(reference.train["user_id"].max(), shifted["user_id"].max())) + 1
        new_ids = first_new + np.arange(len(rows)) // ROWS_PER_NEW_USER
        shifted.loc[shifted.index[rows], "user_id"] = new_ids
    if "rating" in shifted.columns:
        moved = (shifted["rating"] + shift.rating_offset).clip(MIN_RATING, MAX_RATING)
        shifted["rating"] = moved
    # A user rates an item once, and not again if they rated it in training.
    seen = reference.train[["user_id", "item_id"]].assign(_seen=True)
    shifted = shifted.merge(seen, on=["user_id", "item_id"], how="left")
    shifted = shifted[shifted["_seen"].isna()].drop(columns="_seen")
    shifted = shifted.drop_duplicates(["user_id", "item_id"])
    return shifted.sort_values(["timestamp", "user_id", "item_id"], kind="mergesort").reset_index(
        drop=True
    )


# --------------------------------------------------------------------------- command line


def load_reference(params: Params) -> tuple[Reference, pd.DataFrame]:
    """(training data + catalogue, held-out test ratings), as `make train` wrote them."""
    train, test = load_split(params.paths.processed_dir)
    _, items = load_raw(params.paths.raw_dir)
    return Reference(train=train, items=items), test


def read_batch(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise FileNotFoundError(f"no batch at {path}; `make monitor` makes one from the test split")
    batch = pd.read_csv(path)
    validate_batch(batch)
    return batch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare a batch of ratings with training.")
    what = parser.add_mutually_exclusive_group()
    what.add_argument(
        "--batch", type=Path, default=None, help="CSV to check (default: <processed_dir>/batch.csv)"
    )
    what.add_argument(
        "--make-batch", type=Path, metavar="OUT", help="write an unshifted batch to OUT and stop"
    )
    what.add_argument(
        "--make-shifted-batch", type=Path, metavar="OUT", help="write a shifted batch and stop"
    )
    parser.add_argument(
        "--fail-on-drift", action="store_true", help="exit 1 when drift is found (CI or cron)"
    )
    parser.add_argument("--no-figure", action="store_true", help="skip the drift figure")
    parser.add_argument("--params", type=Path, default=None, help="params.yaml to use")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    params = load_params(args.params)
    reference, held_out = load_reference(params)

    out = args.make_batch or args.make_shifted_batch
    if out is not None:
        batch = make_batch(held_out, params.monitor.batch_size, params.seed)
        if args.make_shifted_batch:
            batch = make_shifted_batch(batch, reference, params.monitor.shift, params.seed)
        out.parent.mkdir(parents=True, exist_ok=True)
        batch.to_csv(out, index=False)
        kind = "shifted" if args.make_shifted_batch else "unshifted"
        logger.info("wrote a %s batch of %d rows to %s", kind, len(batch), out)
        return 0

    path = args.batch or params.paths.processed_dir / BATCH_FILE
    batch = read_batch(path)
    model = Recommender.load(params.paths.model_path)
    report = drift_report(batch, reference, model, held_out, params, name=path.name)
    for written in write_report(report, params, figure=not args.no_figure):
        logger.info("wrote %s", written)
    if report["drift_detected"]:
        logger.warning("drift detected in %s: %s", path, ", ".join(report["drifted"]))
    else:
        logger.info("no drift detected in %s", path)
    return 1 if report["drift_detected"] and args.fail_on_drift else 0


if __name__ == "__main__":
    raise SystemExit(main())
