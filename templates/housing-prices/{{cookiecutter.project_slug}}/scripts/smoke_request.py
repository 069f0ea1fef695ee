"""The one request scripts/smoke.py sends once /health answers: a house, priced.

The answer must hold a finite, positive ``median_house_value``.
"""

from __future__ import annotations

import math
from typing import Any

HOUSE = {
    "med_inc": 3.87,
    "house_age": 28,
    "ave_rooms": 5.4,
    "ave_bedrms": 1.1,
    "population": 1425,
    "ave_occup": 3.0,
    "latitude": 35.6,
    "longitude": -119.6,
}


def request(client: Any) -> str:
    """POST one house to /predict; raises AssertionError unless its price is finite, > 0."""
    answer = client.post_json("/predict", HOUSE)
    value = answer["median_house_value"]
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise AssertionError(f"not a finite positive price: {answer}")
    return f"/predict: median_house_value {value:.3f}"
