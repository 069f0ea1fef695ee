"""A word-list (lexicon) baseline: count positive and negative words, with simple negation.

The majority-class baseline only shows that the model learned *something*. This one is the
bar a text model has to clear to be worth its training data: a rule anyone could write in an
afternoon. If the TF-IDF model cannot beat it clearly, the data or the model is the problem.

About the word lists: they were written by hand for this template from general English
evaluative words (the kind found in any review), kept deliberately small, and were *not*
mined from or tuned on ``data/raw/reviews.csv``. They are released under CC0 1.0 like the
bundled reviews (see DATA.md). Extend them if you like, but then evaluate on data the lists
were not written against, or the comparison stops being fair.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin

from .features import normalise_text

POSITIVE_WORDS = frozenset(
    """
    amazing awesome beautiful beautifully best brilliant charming clean comfortable
    delicious delight delighted delightful easy enjoy enjoyable enjoyed excellent fantastic
    fast favourite favorite fresh friendly fun generous glad good gorgeous great happy
    helpful impressed impressive incredible love loved lovely loves nice outstanding
    perfect perfectly pleasant pleased polite professional quick quickly recommend
    recommended reliable satisfied smooth solid stunning sturdy superb tasty terrific thank
    thanks useful valuable warm welcoming wonderful worth
    """.split()  # noqa: SIM905 (a block of words reads better than a list of strings)
)

NEGATIVE_WORDS = frozenset(
    """
    annoying avoid awful bad bland boring broke broken cancelled complain complaint
    confusing crash crashed crashes dangerous delayed dirty disappointed disappointing
    disappointment dull expensive fail failed fails faulty flimsy frustrating hate hated
    horrible ignored late lost mediocre mess messy noisy overpriced painful painfully poor
    poorly problem problems refund regret return returned rude sad slow stale terrible
    ugly uncomfortable unfortunately unfriendly unhelpful unreliable useless waste wasted
    weak worse worst wrong
    """.split()  # noqa: SIM905 (a block of words reads better than a list of strings)
)

# A negator flips the polarity of the next few words, up to the next punctuation mark:
# "not good" counts as negative, "never disappointed" as positive.
NEGATORS = frozenset(
    ("not", "no", "never", "nothing", "nobody", "neither", "nor", "hardly", "barely", "without")
)
NEGATION_SCOPE = 3

_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|[.,;:!?]")
_PUNCTUATION = frozenset(".,;:!?")


def tokenize(text: str) -> list[str]:
    """Words and clause punctuation of the normalised text ("don't" stays one token)."""
    return _TOKEN.findall(normalise_text(text))


def lexicon_score(text: str) -> int:
    """Positive minus negative word count, with negated words counted the other way."""
    score, negated_for = 0, 0
    for token in tokenize(text):
        if token in _PUNCTUATION:
            negated_for = 0
            continue
        if token in NEGATORS or token.endswith("n't"):
            negated_for = NEGATION_SCOPE
            continue
        polarity = (token in POSITIVE_WORDS) - (token in NEGATIVE_WORDS)
        score += -polarity if negated_for else polarity
        negated_for = max(negated_for - 1, 0)
    return score


class LexiconFeatures(TransformerMixin, BaseEstimator):
    """The lexicon score as a one-column feature matrix, for use inside a FeatureUnion.

    Stateless: ``fit`` learns nothing, so the word lists carry the same weight in every
    training run, and the logistic regression decides how much to trust them.
    """

    def fit(self, texts: Iterable[str], labels: object = None) -> LexiconFeatures:
        return self

    def transform(self, texts: Iterable[str]) -> np.ndarray:
        return np.array([[lexicon_score(text)] for text in texts], dtype=float)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.array(["lexicon_score"], dtype=object)


class LexiconClassifier(ClassifierMixin, BaseEstimator):
    """sklearn-compatible classifier over raw texts, driven by the word lists above.

    ``fit`` learns nothing from the words; it only records the classes and the share of
    positive reviews, which breaks ties (a score of 0: no sentiment word, or as many of
    each). ``predict_proba`` squashes the score with a logistic function: the numbers rank
    reviews (that is all ROC-AUC needs) but are not calibrated probabilities.
    """

    def __init__(self, positive_label: str = "positive", scale: float = 1.0) -> None:
        self.positive_label = positive_label
        self.scale = scale

    def fit(self, texts: Iterable[str], labels: Iterable[str]) -> LexiconClassifier:
        label_array = np.asarray(list(labels), dtype=object)
        self.classes_ = np.array(sorted(set(label_array)), dtype=object)
        if self.positive_label not in self.classes_ or len(self.classes_) != 2:
            raise ValueError(f"Expected two classes including {self.positive_label!r}")
        share = float(np.mean(label_array == self.positive_label))
        share = min(max(share, 1e-6), 1 - 1e-6)
        self.prior_logit_ = float(np.log(share / (1 - share)))
        return self

    def decision_function(self, texts: Iterable[str]) -> np.ndarray:
        """Lexicon score of every text plus the prior log-odds (positive means positive)."""
        scores = np.array([lexicon_score(text) for text in texts], dtype=float)
        return self.scale * scores + self.prior_logit_

    def predict_proba(self, texts: Iterable[str]) -> np.ndarray:
        positive = 1.0 / (1.0 + np.exp(-self.decision_function(texts)))
        positive_first = self.classes_[1] == self.positive_label
        columns = (1.0 - positive, positive) if positive_first else (positive, 1.0 - positive)
        return np.column_stack(columns)

    def predict(self, texts: Iterable[str]) -> np.ndarray:
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]
