"""The drift statistics the monitor uses: PSI, Kolmogorov-Smirnov and chi-square.

Each is the standard test, written out in a few lines (on top of ``scipy.stats`` for the
p-values) so that what the monitor computes can be read here and checked in the tests; a
monitoring library such as Evidently would bring far more than a project of this size needs.
``monitor`` decides which features of its data are compared, and writes the reports.

* **PSI**, the population stability index: the bins are fixed by the *reference* (training)
  data, at its quantiles, so every batch is measured with the same yardstick;
  PSI = sum over bins of (batch share - reference share) * ln(batch share / reference share).
  0 for the same shares; by the usual rule of thumb below 0.1 is stable, 0.1-0.2 a moderate
  shift, above 0.2 drift. An empty bin counts as a share of ``PSI_FLOOR``, so PSI stays finite.
* **Two-sample Kolmogorov-Smirnov** (``scipy.stats.ks_2samp``): the largest gap D between the
  two empirical distribution functions, and its p-value.
* **Chi-square** test of homogeneity (``scipy.stats.chi2_contingency``) on the 2 x K table of
  category counts (reference, batch), with two effect sizes that do not grow with the sample:
  Cramer's V and the total-variation distance between the two mixes.

On large samples a tiny, harmless difference is "significant", so :func:`is_drift` asks for a
small p-value *and* an effect at least as large as a minimum. No statistic here expects NaN:
the monitors reject missing values, or make features that have none, before they get here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

PSI_FLOOR = 1e-4  # the share given to an empty bin, so that ln(0) never happens


def quantile_edges(
    reference: Sequence[float] | np.ndarray, bins: int, *, one_bin_per_value: bool = False
) -> np.ndarray:
    """Inner bin edges at the reference's quantiles, repeated edges merged (discrete data).

    ``bins`` quantiles give ``bins - 1`` inner edges (deciles by default). With
    ``one_bin_per_value``, data with at most ``bins`` distinct values (star ratings) get one
    bin per value instead: the edges are the values but the smallest.
    """
    reference = np.asarray(reference, dtype=float)
    if one_bin_per_value:
        values = np.unique(reference)
        if len(values) <= bins:
            return values[1:]
    return np.unique(np.quantile(reference, np.linspace(0.0, 1.0, bins + 1)[1:-1]))


def bin_shares(values: Sequence[float] | np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of ``values`` in each bin: (-inf, e1), [e1, e2), ..., [e_last, inf).

    The outer bins are open-ended, so a value outside the reference's range still counts.
    """
    index = np.searchsorted(edges, np.asarray(values, dtype=float), side="right")
    return np.bincount(index, minlength=len(edges) + 1) / max(len(index), 1)


def psi(
    reference: Sequence[float] | np.ndarray,
    batch: Sequence[float] | np.ndarray,
    bins: int = 10,
    *,
    edges: np.ndarray | None = None,
) -> float:
    """Population stability index of ``batch`` against ``reference`` (0 for the same shares).

    The bins are :func:`quantile_edges` of the reference, or ``edges`` when given.
    """
    if edges is None:
        edges = quantile_edges(reference, bins)
    expected = np.clip(bin_shares(reference, edges), PSI_FLOOR, None)
    actual = np.clip(bin_shares(batch, edges), PSI_FLOOR, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def ks_test(
    reference: Sequence[float] | np.ndarray, batch: Sequence[float] | np.ndarray
) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov test: (largest gap D between the two CDFs, p-value)."""
    result = stats.ks_2samp(np.asarray(reference, dtype=float), np.asarray(batch, dtype=float))
    return float(result.statistic), float(result.pvalue)


def _table(reference_counts: Sequence[float], batch_counts: Sequence[float]) -> np.ndarray:
    """The 2 x K table of counts, without the categories empty in both rows."""
    table = np.array([reference_counts, batch_counts], dtype=float)
    return table[:, table.sum(axis=0) > 0]


def chi_square(
    reference_counts: Sequence[float], batch_counts: Sequence[float], *, correction: bool = False
) -> dict[str, float]:
    """Chi-square test that two count vectors (one count per category, in the same order)
    come from the same categorical distribution: ``chi2``, ``pvalue``, ``dof``, ``cramers_v``.

    Categories empty in both are dropped (their expected count would be 0); with fewer than two
    categories left, or an empty sample, there is nothing to compare: chi2 0, p-value 1.
    ``correction`` is Yates' continuity correction, which scipy applies to 2 x 2 tables only.
    Cramer's V = sqrt(chi2 / n) for two rows: 0 for the same shares, 1 for no category in
    common, whatever the sample size.
    """
    table = _table(reference_counts, batch_counts)
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return {"chi2": 0.0, "pvalue": 1.0, "dof": 0, "cramers_v": 0.0}
    chi2, pvalue, dof, _ = stats.chi2_contingency(table, correction=correction)
    return {
        "chi2": float(chi2),
        "pvalue": float(pvalue),
        "dof": int(dof),
        "cramers_v": float(np.sqrt(chi2 / table.sum())),
    }


def total_variation(reference_counts: Sequence[float], batch_counts: Sequence[float]) -> float:
    """Half the sum of the absolute differences between the two rows' shares: the share of
    the batch that would have to change category to match the reference (0 to 1)."""
    table = _table(reference_counts, batch_counts)
    totals = table.sum(axis=1, keepdims=True)
    if table.shape[1] == 0 or (totals == 0).any():
        return 0.0
    shares = table / totals
    return 0.5 * float(np.abs(shares[0] - shares[1]).sum())


def is_drift(pvalue: float, effect: float, alpha: float, min_effect: float) -> bool:
    """Drift needs both: a significant difference (p < ``alpha``) and a large enough one."""
    return pvalue < alpha and effect >= min_effect


def round_p(value: float, digits: int = 3) -> float:
    """A p-value to ``digits`` significant digits for a report: 1.2e-40 must not become 0."""
    return float(f"{float(value):.{digits}g}")
