"""The one request scripts/smoke.py sends once /health answers: three items for user 7.

The answer must hold three items, recommended by item-kNN (not the popularity fallback).
"""

from __future__ import annotations

from typing import Any


def request(client: Any) -> str:
    """GET /recommend for user 7; raises AssertionError unless 3 item_knn items come back."""
    answer = client.get("/recommend?user_id=7&k=3")
    if answer["strategy"] != "item_knn" or len(answer["items"]) != 3:
        raise AssertionError(f"not 3 item_knn recommendations: {answer}")
    return f"/recommend: user 7 -> {len(answer['items'])} items ({answer['strategy']})"
