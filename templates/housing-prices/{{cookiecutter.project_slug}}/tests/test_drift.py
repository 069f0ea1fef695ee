"""The drift statistics: known values worked out by hand or checked against scipy, no drift
between identical samples, clear drift on a shifted one, and the edge cases (constant data,
empty bins, categories seen on one side only, NaN)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from {{cookiecutter.package_name}}.drift import (
    PSI_FLOOR,
    bin_shares,
    chi_square,
    is_drift,
    ks_test,
    psi,
    quantile_edges,
    round_p,
    total_variation,
)

# --------------------------------------------------------------------------- bins


def test_bins_are_the_reference_quantiles() -> None:
    reference = np.arange(1_000.0)
    edges = quantile_edges(reference, 10)
    assert len(edges) == 9
    np.testing.assert_allclose(bin_shares(reference, edges), 0.1)
    # Values beyond the reference's range land in the open-ended outer bins.
    assert bin_shares([-5.0, 5_000.0], edges).tolist() == [0.5, *[0.0] * 8, 0.5]


def test_repeated_quantiles_are_merged_on_discrete_data() -> None:
    edges = quantile_edges([0, 0, 0, 0, 1, 1, 2], 10)
    assert 0 < len(edges) < 9
    assert (np.diff(edges) > 0).all()


def test_one_bin_per_value_when_asked_and_the_values_are_few() -> None:
    ratings = np.array([3.0] * 60 + [4.0] * 30 + [5.0] * 10)
    edges = quantile_edges(ratings, 10, one_bin_per_value=True)
    assert edges.tolist() == [4.0, 5.0]  # three values, three bins
    assert bin_shares(ratings, edges).tolist() == [0.6, 0.3, 0.1]
    # More distinct values than bins: the quantiles, as without the option.
    values = np.arange(100.0)
    expected = quantile_edges(values, 10)
    assert quantile_edges(values, 10, one_bin_per_value=True).tolist() == expected.tolist()


def test_bin_shares_of_nothing_are_zero() -> None:
    assert bin_shares([], np.array([1.0])).tolist() == [0.0, 0.0]


# --------------------------------------------------------------------------- PSI


def test_psi_of_identical_samples_is_zero() -> None:
    values = np.random.default_rng(0).lognormal(size=5_000)
    assert psi(values, values) == pytest.approx(0.0, abs=1e-12)
    assert psi(values, values[::-1]) == pytest.approx(0.0, abs=1e-12)


def test_psi_on_a_case_worked_out_by_hand() -> None:
    # Two bins split at the reference median (49.5): 50% / 50% in the reference, 80% / 20% in
    # the batch, so PSI = (0.8-0.5) ln(0.8/0.5) + (0.2-0.5) ln(0.2/0.5) = 0.41589.
    reference = np.arange(100.0)
    batch = np.concatenate([np.full(80, 10.0), np.full(20, 90.0)])
    expected = 0.3 * math.log(1.6) + (-0.3) * math.log(0.4)
    assert psi(reference, batch, bins=2) == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(0.41589, abs=1e-5)
    # The same bins given as edges.
    assert psi(reference, batch, edges=np.array([49.5])) == pytest.approx(expected, rel=1e-9)


def test_psi_separates_sampling_noise_from_a_shift() -> None:
    rng = np.random.default_rng(1)
    reference = rng.normal(size=4_000)
    assert psi(reference, rng.normal(size=1_000)) < 0.05
    assert psi(reference, rng.normal(1.0, 1.0, size=1_000)) > 0.2


def test_an_empty_bin_gets_the_floor_so_psi_stays_finite() -> None:
    # Every batch value is above the reference: the top decile holds all of the batch, the
    # nine others none of it (share PSI_FLOOR instead of 0).
    value = psi(np.arange(100.0), np.full(50, 1_000.0))
    expected = (1 - 0.1) * math.log(1 / 0.1) + 9 * (PSI_FLOOR - 0.1) * math.log(PSI_FLOOR / 0.1)
    assert value == pytest.approx(expected)
    assert math.isfinite(value)


def test_psi_on_a_constant_reference() -> None:
    # One edge, at the constant: the reference is all in the upper bin, [5, inf).
    constant = np.full(100, 5.0)
    assert quantile_edges(constant, 10).tolist() == [5.0]
    assert psi(constant, constant) == 0.0
    below = (1 - PSI_FLOOR) * math.log(1 / PSI_FLOOR) * 2  # all of the batch in the empty bin
    assert psi(constant, np.full(100, 4.0)) == pytest.approx(below)
    # A batch above the constant shares its bin: PSI cannot see that move, KS does.
    assert psi(constant, np.full(100, 6.0)) == 0.0
    assert ks_test(constant, np.full(100, 6.0))[0] == 1.0


# --------------------------------------------------------------------------- Kolmogorov-Smirnov


def test_ks_on_cases_worked_out_by_hand() -> None:
    assert ks_test([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == (0.0, 1.0)
    statistic, pvalue = ks_test([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    # Fully separated samples: the CDF gap is 1, and the exact two-sided p-value is the 2 of
    # the C(6, 3) = 20 orderings that are this extreme.
    assert statistic == 1.0
    assert pvalue == pytest.approx(0.1)
    statistic, _ = ks_test([1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 5.0, 6.0])
    assert statistic == pytest.approx(0.5)  # the CDFs are furthest apart (1/2) at x = 2


def test_ks_matches_scipy_and_sees_a_shift() -> None:
    rng = np.random.default_rng(2)
    reference, same = rng.normal(size=3_000), rng.normal(size=1_000)
    shifted = rng.normal(0.5, 1.0, size=1_000)
    expected = stats.ks_2samp(reference, shifted)
    assert ks_test(reference, shifted) == pytest.approx((expected.statistic, expected.pvalue))
    statistic, pvalue = ks_test(reference, shifted)
    assert is_drift(pvalue, statistic, alpha=0.01, min_effect=0.1)
    statistic, pvalue = ks_test(reference, same)
    assert not is_drift(pvalue, statistic, alpha=0.01, min_effect=0.1)


def test_nan_is_not_expected() -> None:
    # The monitors reject missing values, or make features without any, before these
    # functions. A NaN that got through would sort above every edge, and make KS NaN.
    edges = np.array([1.0, 2.0])
    assert bin_shares([np.nan, 0.5], edges).tolist() == [0.5, 0.0, 0.5]
    statistic, pvalue = ks_test([1.0, 2.0, np.nan], [1.0, 2.0, 3.0])
    assert math.isnan(statistic) and math.isnan(pvalue)


# --------------------------------------------------------------------------- chi-square


def test_chi_square_on_a_case_worked_out_by_hand() -> None:
    # Counts [[10, 20], [20, 10]]: every expected count is 15, so chi2 = 4 * 5^2 / 15 = 6.667
    # with 1 dof (p = 0.0098), and Cramer's V = sqrt(6.667 / 60) = 1/3.
    result = chi_square([10, 20], [20, 10])
    assert result["chi2"] == pytest.approx(20 / 3)
    assert result["dof"] == 1
    assert result["pvalue"] == pytest.approx(stats.chi2.sf(20 / 3, 1))
    assert result["pvalue"] == pytest.approx(0.009823, abs=1e-5)
    assert result["cramers_v"] == pytest.approx(1 / 3)
    # Yates' correction takes 1/2 off every |observed - expected|: 4 * 4.5^2 / 15.
    assert chi_square([10, 20], [20, 10], correction=True)["chi2"] == pytest.approx(5.4)


def test_chi_square_matches_scipy_on_a_larger_table() -> None:
    reference, batch = [40, 30, 30, 12], [20, 30, 50, 3]
    expected = stats.chi2_contingency([reference, batch], correction=False)
    result = chi_square(reference, batch)
    assert (result["chi2"], result["pvalue"], result["dof"]) == pytest.approx(
        (expected.statistic, expected.pvalue, expected.dof)
    )
    # Yates' correction only ever changes a 2 x 2 table.
    assert chi_square(reference, batch, correction=True) == result


def test_equal_shares_give_no_drift() -> None:
    result = chi_square([10, 20, 30], [20, 40, 60])
    assert result["chi2"] == pytest.approx(0.0)
    assert result["pvalue"] == pytest.approx(1.0)
    assert result["cramers_v"] == pytest.approx(0.0)
    assert total_variation([10, 20, 30], [20, 40, 60]) == pytest.approx(0.0)


def test_a_category_unseen_in_the_reference_counts() -> None:
    # Column totals 90, 90, 20 and rows of 100: expected 45, 45, 10 in both rows, so
    # chi2 = 4 * 5^2 / 45 + 2 * 10^2 / 10 = 22.22 with 2 dof; V = sqrt(22.22 / 200) = 1/3.
    result = chi_square([50, 50, 0], [40, 40, 20])
    assert result["chi2"] == pytest.approx(4 * 25 / 45 + 20)
    assert result["dof"] == 2
    assert result["pvalue"] == pytest.approx(math.exp(-result["chi2"] / 2))  # 2 dof: exp(-x/2)
    assert result["cramers_v"] == pytest.approx(1 / 3)
    assert total_variation([50, 50, 0], [40, 40, 20]) == pytest.approx(0.2)


def test_categories_empty_on_both_sides_are_dropped() -> None:
    assert chi_square([5, 5, 0], [8, 2, 0]) == chi_square([5, 5], [8, 2])
    assert total_variation([5, 5, 0], [8, 2, 0]) == pytest.approx(0.3)


def test_degenerate_tables_compare_nothing() -> None:
    nothing = {"chi2": 0.0, "pvalue": 1.0, "dof": 0, "cramers_v": 0.0}
    assert chi_square([5, 0], [7, 0]) == nothing  # one category only
    assert chi_square([0, 0], [3, 4]) == nothing  # an empty sample
    assert total_variation([0, 0], [3, 4]) == 0.0


def test_total_variation_is_the_share_that_moved() -> None:
    assert total_variation([40, 30, 30], [20, 30, 50]) == pytest.approx(0.2)
    assert total_variation([10, 0], [0, 10]) == pytest.approx(1.0)  # nothing in common


# --------------------------------------------------------------------------- verdicts


def test_drift_needs_a_small_p_value_and_a_large_effect() -> None:
    assert is_drift(1e-9, 0.3, alpha=0.01, min_effect=0.1)
    assert not is_drift(1e-9, 0.02, alpha=0.01, min_effect=0.1)  # significant but tiny
    assert not is_drift(0.2, 0.3, alpha=0.01, min_effect=0.1)  # large but could be chance
    assert not is_drift(0.01, 0.3, alpha=0.01, min_effect=0.1)  # p must be below alpha
    assert is_drift(0.001, 0.1, alpha=0.01, min_effect=0.1)  # the minimum effect is enough


def test_a_large_sample_makes_a_tiny_shift_significant_but_not_drift() -> None:
    # With 20,000 rows a shift of 0.06 standard deviations is "significant", but the CDF gap
    # (about 0.024) is far below a minimum effect of 0.1: the monitor must not cry wolf.
    rng = np.random.default_rng(3)
    reference, batch = rng.normal(size=20_000), rng.normal(0.06, 1.0, size=20_000)
    statistic, pvalue = ks_test(reference, batch)
    assert pvalue < 0.01 and statistic < 0.1
    assert not is_drift(pvalue, statistic, alpha=0.01, min_effect=0.1)
    assert psi(reference, batch) < 0.1


def test_p_values_keep_their_significant_digits() -> None:
    assert round_p(1.23456e-40) == 1.23e-40
    assert round_p(0.98765) == 0.988
    assert round_p(0.012345, digits=2) == 0.012
    assert round_p(1.0) == 1.0
