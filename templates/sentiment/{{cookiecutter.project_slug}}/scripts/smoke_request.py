"""The one request scripts/smoke.py sends once /health answers: a clearly positive review.

The answer must label it ``positive``.
"""

from __future__ import annotations

from typing import Any

REVIEW = "Arrived quickly and works perfectly."


def request(client: Any) -> str:
    """POST the review to /predict; raises AssertionError unless it comes back positive."""
    answer = client.post_json("/predict", {"text": REVIEW})
    if answer["label"] != "positive":
        raise AssertionError(f"{REVIEW!r} was not labelled positive: {answer}")
    return f"/predict: {REVIEW!r} -> {answer['label']}"
