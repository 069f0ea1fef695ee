"""Housing price model: data, features, training, evaluation, prediction and the API."""

__version__ = "0.1.0"
