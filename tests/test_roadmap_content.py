"""The built-in learning path: counts, fields, hours, links, prerequisites and coverage."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from mlpath import paths
from mlpath.roadmaps import Catalog, Topic, build_catalog, roadmap_files

CORE = ("foundations", "machine-learning", "deep-learning", "mlops")
ELECTIVES = ("nlp", "computer-vision")
TEMPLATES = {"housing-prices", "sentiment", "recommender"}
KINDS = {"course", "book", "video", "article", "docs", "exercise", "paper"}

# Concepts the path must teach, per roadmap; "a|b" accepts either spelling or synonym.
REQUIRED = {
    "foundations": [
        "object-oriented", "decorator", "context manager", "packag", "numpy", "pandas",
        "plot", "sql", "join", "aggregat", "git", "github", "command line", "vector",
        "matri", "dot product", "matrix multiplication", "eigen", "derivative", "chain rule",
        "gradient", "gradient descent", "distribution", "bayes", "central limit theorem",
        "maximum likelihood", "hypothesis test", "data structure", "algorithm", "test",
        "typ", "lint", "debug", "dry", "kiss", "yagni",
    ],
    "machine-learning": [
        "problem framing|framing", "missing values", "encoding", "scaling", "feature engineering",
        "linear regression", "logistic regression", "weights", "bias", "loss function",
        "regulari[sz]ation", "decision tree", "random forest", "gradient boosting", "xgboost",
        "hyperparameter", "svm|support vector", "k-nn|nearest neighbo", "cross-validation",
        "metric", "leakage", "split", "clustering", "dimensionality reduction",
        "recommender", "reinforcement learning", "scikit-learn",
    ],
    "deep-learning": [
        "neural network", "activation function", "backpropagation", "optimi[sz]er", "pytorch",
        "tensorflow", "initiali[sz]ation", "normali[sz]ation", "regulari[sz]ation|dropout",
        "shape", "cnn|convolutional", "rnn", "lstm", "gru", "attention", "transformer",
        "embedding", "transfer learning", "fine-tun", "experiment tracking", "gan", "diffusion",
        "llm",
    ],
    "mlops": [
        "reproducib", "docker", "fastapi", "batch", "online", "ci/cd", "data versioning|version",
        "model registry", "experiment tracking", "monitoring", "drift", "retraining", "aws",
        "gcp", "azure", "system design", "fairness", "explainab", "privacy",
    ],
    "nlp": [
        "tokeni[sz]ation", "stemming", "lemmati[sz]ation", "tf-idf", "bag of words|bag-of-words",
        "word2vec", "glove", "bert", "gpt", "sentiment", "machine translation", "chatbot", "llm",
    ],
    "computer-vision": [
        "normali[sz]ation", "resiz", "augmentation", "image classification", "object detection",
        "yolo", "segmentation", "u-net", "biomedical", "face recognition", "ethic",
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    builtin = [(p, b) for p, b in roadmap_files() if b]
    result, problems = build_catalog(builtin)
    assert problems == [], [str(p) for p in problems]
    return result


def _topics(catalog: Catalog, rid: str) -> tuple[Topic, ...]:
    return catalog.roadmaps[rid].topics


def test_the_six_roadmaps_ship(catalog: Catalog) -> None:
    assert list(catalog.roadmaps) == [*CORE, "computer-vision", "nlp"]
    names = sorted(p.name for p in paths.builtin_roadmaps_dir().glob("*.yaml"))
    assert names == sorted(f"{r}.yaml" for r in (*CORE, *ELECTIVES))


@pytest.mark.parametrize("rid", [*CORE, *ELECTIVES])
def test_topic_counts_and_stages(catalog: Catalog, rid: str) -> None:
    low, high = (20, 40) if rid in CORE else (12, 25)
    assert low <= len(_topics(catalog, rid)) <= high
    stages = catalog.roadmaps[rid].stages
    assert len(stages) >= 3
    assert all(len(s.topics) >= 2 for s in stages)


@pytest.mark.parametrize("rid", [*CORE, *ELECTIVES])
def test_every_topic_is_complete(catalog: Catalog, rid: str) -> None:
    for topic in _topics(catalog, rid):
        where = topic.full_id
        text = catalog.text(topic)
        sentences = re.findall(r"[.!?](?:\s|$)", text.summary)
        assert 1 <= len(sentences) <= 3, f"{where}: summary should be 1-3 sentences"
        assert len(text.summary) >= 60, f"{where}: summary too thin"
        assert topic.hours > 0
        assert 2 <= len(text.resources) <= 5, f"{where}: wants 2-5 resources"
        for res in text.resources:
            assert res.kind in KINDS
            assert re.fullmatch(r"https://[^\s/]+\.[^\s]+", res.url), f"{where}: {res.url}"
            assert len(res.title) >= 4
        assert len({r.url for r in text.resources}) == len(text.resources), where
        assert 1 <= len(text.checks) <= 3, f"{where}: wants 1-3 checks"
        for check in text.checks:
            assert not re.match(r"(?i)i understand\b", check), f"{where}: vague check"


def test_core_hours_fit_a_junior_path(catalog: Catalog) -> None:
    total = sum(catalog.roadmaps[r].total_hours for r in CORE)
    assert 900 <= total <= 1400


def test_no_duplicate_topics(catalog: Catalog) -> None:
    titles = [t.title.lower() for t in catalog.topics.values()]
    assert len(titles) == len(set(titles))
    summaries = [catalog.text(t).summary for t in catalog.topics.values()]
    assert len(summaries) == len(set(summaries))


@pytest.mark.parametrize("rid", REQUIRED)
def test_required_concepts_are_taught(catalog: Catalog, rid: str) -> None:
    text = " ".join(f"{t.title} {catalog.text(t).summary}" for t in _topics(catalog, rid)).lower()
    missing = [c for c in REQUIRED[rid] if not re.search(c, text)]
    assert missing == []


def test_prerequisites_are_real_not_a_chain(catalog: Catalog) -> None:
    for rid in (*CORE, *ELECTIVES):
        topics = _topics(catalog, rid)
        chained = sum(1 for prev, t in itertools.pairwise(topics) if t.requires == (prev.full_id,))
        assert chained < len(topics) / 3, f"{rid}: prerequisites look like a simple chain"
    crossing = {
        r for t in catalog.topics.values() for r in t.requires if r.split("/")[0] != t.roadmap
    }
    assert crossing, "no prerequisite crosses roadmaps"
    backprop = catalog.topics["deep-learning/backpropagation"]
    assert (
        "foundations/derivatives" in backprop.requires
        or "foundations/gradients" in backprop.requires
    )


def test_fresh_learner_starts_with_python_and_basic_maths(catalog: Catalog) -> None:
    from mlpath.progress import _ready

    path_topics = [t for r in CORE for t in catalog.roadmaps[r].topics]
    first = _ready(path_topics, {})[:5]
    assert first[0].full_id == "foundations/python-basics"
    assert all(t.roadmap == "foundations" and not t.requires for t in first)


def test_projects_name_builtin_templates(catalog: Catalog) -> None:
    linked: dict[str, int] = {}
    for topic in catalog.topics.values():
        for project in catalog.text(topic).projects:
            assert project in TEMPLATES, f"{topic.full_id}: unknown template {project}"
            linked[project] = linked.get(project, 0) + 1
    assert set(linked) == TEMPLATES
    assert all(count >= 2 for count in linked.values())


def test_licence_and_authoring_guide() -> None:
    readme = (paths.builtin_roadmaps_dir() / "README.md").read_text(encoding="utf-8")
    assert "Creative Commons Attribution 4.0" in readme
    assert "https://creativecommons.org/licenses/by/4.0/" in readme
    for command in ("mlpath roadmap validate", "mlpath roadmap add", "mlpath roadmap schema"):
        assert command in readme


def test_readme_example_roadmap_is_valid(tmp_path: Path) -> None:
    readme = (paths.builtin_roadmaps_dir() / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", readme, flags=re.S)
    examples = [b for b in blocks if b.lstrip().startswith(("schema: 1", "# yaml-language"))]
    assert examples, "the README should carry a complete example roadmap"
    target = tmp_path / "example.yaml"
    target.write_text(examples[0], encoding="utf-8")
    _, problems = build_catalog([(target, False), *roadmap_files()], focus=[target])
    assert problems == []
