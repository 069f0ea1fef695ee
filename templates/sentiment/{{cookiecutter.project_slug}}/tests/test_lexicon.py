"""The word-list baseline: scoring, negation, and the sklearn interface."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from {{cookiecutter.package_name}}.lexicon import (
    NEGATIVE_WORDS,
    POSITIVE_WORDS,
    LexiconClassifier,
    LexiconFeatures,
    lexicon_score,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Great phone, excellent battery.", 2),
        ("Terrible. Broken after a day.", -2),
        ("It is a phone.", 0),
        ("Not bad at all.", 1),  # negation flips "bad"
        ("Not worth it.", -1),
        ("I didn't enjoy it.", -1),  # "n't" negates too
        ("Never disappointed.", 1),
        ("Not cheap, but great.", 1),  # the comma ends the negation before "great"
        ("No. Great value.", 1),
        ("GREAT and FUN", 2),  # the text is normalised first: case
        ("Didn\u2019t enjoy it", -1),  # and typographic apostrophes
    ],
)
def test_lexicon_score(text: str, expected: int) -> None:
    assert lexicon_score(text) == expected


def test_negation_reaches_only_a_few_words() -> None:
    # "good" is the sixth word after "not": out of the negation's reach (three words).
    assert lexicon_score("Not one of my purchases was good") == 1


def test_word_lists_are_small_and_disjoint() -> None:
    assert POSITIVE_WORDS.isdisjoint(NEGATIVE_WORDS)
    assert 30 <= len(POSITIVE_WORDS) <= 150
    assert 30 <= len(NEGATIVE_WORDS) <= 150
    assert all(word == word.lower() and word.isalpha() for word in POSITIVE_WORDS | NEGATIVE_WORDS)


def test_classifier_predicts_from_the_score() -> None:
    texts = ["Great and lovely.", "Awful and rude.", "A phone."]
    classifier = LexiconClassifier().fit(["a", "b", "c"], ["positive", "negative", "positive"])
    assert list(classifier.classes_) == ["negative", "positive"]
    # The tie ("A phone." has no sentiment word) goes to the majority label of training.
    assert list(classifier.predict(texts)) == ["positive", "negative", "positive"]
    probabilities = classifier.predict_proba(texts)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert probabilities[0, 1] > probabilities[2, 1] > probabilities[1, 1]


def test_classifier_breaks_ties_towards_negative_on_balanced_data() -> None:
    classifier = LexiconClassifier().fit(["a", "b"], ["positive", "negative"])
    assert classifier.predict(["Nothing to say."])[0] == "negative"
    assert classifier.predict_proba(["Nothing to say."])[0, 1] == pytest.approx(0.5)


def test_classifier_needs_both_labels() -> None:
    with pytest.raises(ValueError, match="two classes"):
        LexiconClassifier().fit(["a", "b"], ["negative", "negative"])


def test_classifier_clones_like_any_sklearn_estimator() -> None:
    original = LexiconClassifier(scale=2.0)
    assert clone(original).get_params() == original.get_params()


def test_features_are_one_column_of_scores() -> None:
    matrix = LexiconFeatures().fit(["x"]).transform(["Great!", "Bad, bad.", "Meh"])
    np.testing.assert_array_equal(matrix, [[1.0], [-2.0], [0.0]])
    assert list(LexiconFeatures().get_feature_names_out()) == ["lexicon_score"]
