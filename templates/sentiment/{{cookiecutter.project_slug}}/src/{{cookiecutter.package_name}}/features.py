"""Text normalisation and the TF-IDF vectoriser.

Both live inside the saved sklearn Pipeline, so the API transforms a request exactly the way
training transformed the data: there is no second copy of the preprocessing to drift apart.
"""

from __future__ import annotations

import re
import unicodedata

from sklearn.feature_extraction.text import TfidfVectorizer

from .config import FeaturesConfig

_HTML_BREAK = re.compile(r"<br\s*/?>", flags=re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
# Typographic quotes (U+2019 etc.) would otherwise make two different tokens of "don't".
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def normalise_text(text: str) -> str:
    """Lower-case, unify quotes, drop HTML line breaks and collapse whitespace.

    IMDB reviews contain ``<br />`` tags and pasted text mixes Unicode forms; normalising
    them keeps the vocabulary from splitting one word into several features.
    """
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = _HTML_BREAK.sub(" ", text)
    return _WHITESPACE.sub(" ", text).strip().lower()


def words(text: str) -> list[str]:
    """The words of the normalised text (letters and inner apostrophes: "don't" is one)."""
    return _WORD.findall(normalise_text(text))


def build_vectorizer(config: FeaturesConfig) -> TfidfVectorizer:
    """Create the TF-IDF vectoriser described by the ``features`` section of params.yaml.

    Stop words are deliberately kept: sklearn's English list contains "not", "no" and
    "nor", and removing them would turn "not worth it" into "worth".
    """
    return TfidfVectorizer(
        preprocessor=normalise_text,
        ngram_range=config.ngram_range,
        min_df=config.min_df,
        max_df=config.max_df,
        sublinear_tf=config.sublinear_tf,
        max_features=config.max_features,
        # normalise_text already lower-cases; sklearn skips its own lower-casing and
        # accent handling whenever a custom preprocessor is given.
        lowercase=False,
    )
