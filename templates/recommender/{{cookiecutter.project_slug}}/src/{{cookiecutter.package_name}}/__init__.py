"""Top-k recommendations from user x item ratings: item-kNN against a popularity baseline."""

__version__ = "0.1.0"
