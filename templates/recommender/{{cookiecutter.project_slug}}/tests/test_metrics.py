"""Ranking metrics against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from {{ cookiecutter.package_name }}.metrics import (
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)


def test_hand_computed_example() -> None:
    recommended, relevant = [7, 2, 9, 4], {7, 9, 5}
    assert precision_at_k(recommended, relevant, k=4) == pytest.approx(2 / 4)
    assert recall_at_k(recommended, relevant, k=4) == pytest.approx(2 / 3)
    dcg = 1 / math.log2(2) + 1 / math.log2(4)  # hits at ranks 1 and 3
    ideal = 1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)  # 3 relevant items fit in k
    assert ndcg_at_k(recommended, relevant, k=4) == pytest.approx(dcg / ideal)


def test_order_matters_for_ndcg_only() -> None:
    relevant = {1}
    early, late = [1, 8, 9], [8, 9, 1]
    assert precision_at_k(early, relevant, 3) == precision_at_k(late, relevant, 3)
    assert ndcg_at_k(early, relevant, 3) == pytest.approx(1.0)
    assert ndcg_at_k(late, relevant, 3) == pytest.approx(0.5)


def test_edge_cases() -> None:
    assert ndcg_at_k([1, 2], set(), 2) == 0.0
    assert recall_at_k([1, 2], set(), 2) == 0.0
    assert precision_at_k([1], {1}, k=5) == pytest.approx(0.2)  # empty slots count as misses
    assert ndcg_at_k([3, 4], {1, 2}, 2) == 0.0
