"""Sentiment classification of short reviews, from raw CSV to an HTTP API.

Modules, in pipeline order: ``config`` (params.yaml), ``data`` (load, validate, split),
``features`` (text normalisation, TF-IDF), ``train``, ``evaluate``, ``predict`` and ``api``.
"""

__version__ = "0.1.0"
