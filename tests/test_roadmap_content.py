"""The built-in learning path: counts, fields, hours, links, prerequisites and coverage."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from mlpath import paths
from mlpath.roadmaps import Catalog, Topic, build_catalog, roadmap_files

CORE = ("foundations", "machine-learning", "deep-learning", "mlops")
CORE_PREFIXES = tuple(f"{r}/" for r in CORE)
ELECTIVES = ("nlp", "computer-vision")
TEMPLATES = {"housing-prices", "sentiment", "recommender", "image-classifier"}
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
    """7-8 months full time at 35-40 h a week (roadmaps/README.md states the arithmetic)."""
    total = sum(catalog.roadmaps[r].total_hours for r in CORE)
    assert 1100 <= total <= 1400


def _behind(catalog: Catalog, topic_id: str) -> set[str]:
    """Every topic that must be finished before ``topic_id``, across roadmaps."""
    seen: set[str] = set()
    todo = list(catalog.topics[topic_id].requires)
    while todo:
        ref = todo.pop()
        if ref not in seen:
            seen.add(ref)
            todo.extend(catalog.topics[ref].requires)
    return seen


def test_llm_applications_are_reachable_without_training_a_gpt(catalog: Catalog) -> None:
    assert catalog.topics["deep-learning/llm-prompting"].requires == ("deep-learning/llm-basics",)
    behind = _behind(catalog, "deep-learning/retrieval-augmented-generation")
    assert "nlp/gpt" not in behind
    assert all(t.startswith(CORE_PREFIXES) for t in behind)
    assert sum(catalog.topics[t].hours for t in behind) < 300


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


# ------------------------------------------------------------------ self-checks with a bar

# A check "produces something" when it says the learner has made a thing someone else could
# look at: a notebook, a note, a repository, a pull request...
ARTEFACT = re.compile(
    r"(?i)^I have\b.*\b(notebook|note|script|repo(sitory)?|pull request|post|write-up|report"
    r"|diagram|table|plot|chart|figure|tests?|Dockerfile|API|endpoint|service|pipeline"
    r"|model card|README|dashboard|function|class|package|CLI|app|project|submission|CV"
    r"|slides?|recording|quer(y|ies)|config(uration)?|workflow|commit|page|demo|image)\b"
)
# "I can explain X" is a bar only with a form to show it in and what it must contain.
TALK = re.compile(r"(?i)^I can (explain|describe|say|tell|discuss|justify|argue|compare|list)\b")
FORM = re.compile(
    r"(?i)\b(\d+-word|words|note|notebook|diagram|sketch|whiteboard|on paper|aloud"
    r"|out loud|recording|slides?|table|without notes)\b"
)
CRITERION = re.compile(
    r"(?i)\b(that|which|stating|naming|covering|including|giving|showing|with)\b"
)


@pytest.mark.parametrize("rid", [*CORE, *ELECTIVES])
def test_every_topic_has_a_check_that_produces_something(catalog: Catalog, rid: str) -> None:
    bare = [t.full_id for t in _topics(catalog, rid) if not any(
        ARTEFACT.search(c) for c in catalog.text(t).checks
    )]  # fmt: skip
    assert bare == []


@pytest.mark.parametrize("rid", [*CORE, *ELECTIVES])
def test_explain_checks_carry_a_bar(catalog: Catalog, rid: str) -> None:
    vague = [
        f"{t.full_id}: {c}"
        for t in _topics(catalog, rid)
        for c in catalog.text(t).checks
        if TALK.search(c) and not (FORM.search(c) and CRITERION.search(c))
    ]
    assert vague == []


def test_the_check_rules_can_fail() -> None:
    assert not ARTEFACT.search("I can explain why shuffling is wrong.")
    assert ARTEFACT.search("I have written a 150-word note that explains why shuffling is wrong.")
    vague = "I can explain why shuffling rows before splitting is wrong for forecasting."
    assert TALK.search(vague) and not FORM.search(vague)
    barred = "I can explain, in a 200-word note, why shuffling leaks the future, naming one fix."
    assert FORM.search(barred) and CRITERION.search(barred)


# ------------------------------------------------------------------ links that still work

# Addresses known to have moved or to point at retired material; the link checker
# (scripts/check_links.py, run by hand when online) finds new ones.
OLD_LINKS = {
    r"^https://pytorch\.org/(docs|tutorials)/": "PyTorch docs moved to docs.pytorch.org",
    r"^https://missing\.csail\.mit\.edu/20(1\d|20)/": "the course now runs a 2026 edition",
    r"^https://python\.langchain\.com/": "LangChain's docs moved to docs.langchain.com",
    r"^https://owasp\.org/www-project-top-10-for-large-language-model": "now genai.owasp.org",
    r"^https://www\.cloudskillsboost\.google/": "Google Cloud Skills Boost became skills.google",
    r"^https://cloud\.google\.com/vertex-ai/docs": "now on docs.cloud.google.com",
    r"^https://madewithml\.com/courses/mlops/api/": "Made With ML's lesson is now /serving/",
    r"quantization\.html$": "PyTorch quantisation moved to torchao",
    r"^https://huggingface\.co/docs/text-generation-inference": "TGI is in maintenance mode",
}  # fmt: skip


def test_no_link_points_at_an_old_address(catalog: Catalog) -> None:
    old = [
        f"{t.full_id}: {r.url} ({why})"
        for t in catalog.topics.values()
        for r in catalog.text(t).resources
        for pattern, why in OLD_LINKS.items()
        if re.search(pattern, r.url)
    ]
    assert old == []


def test_one_host_for_one_site(catalog: Catalog) -> None:
    hosts = {
        r.url.split("/")[2] for t in catalog.topics.values() for r in catalog.text(t).resources
    }
    assert not {"pytorch.org", "docs.pytorch.org"} <= hosts


# ------------------------------------------------------------------ what the seeds name


def _seed_rows() -> list[list[str]]:
    readme = (paths.builtin_roadmaps_dir() / "README.md").read_text(encoding="utf-8")
    section = readme.split("## What the seeds name, and where it is taught", 1)[1]
    table = [line for line in section.split("\n## ", 1)[0].splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in table[2:]]


def test_every_seed_concept_has_a_topic_or_a_reason(catalog: Catalog) -> None:
    rows = _seed_rows()
    assert len(rows) >= 40
    for concept, taught, notes in rows:
        named = re.findall(r"`([a-z0-9-]+/[a-z0-9-]+)`", taught)
        assert named or notes.startswith("Left out"), f"{concept}: no topic and no reason"
        missing = [t for t in named if t not in catalog.topics]
        assert missing == [], f"{concept}: {missing}"


def test_the_readmes_give_the_current_numbers(catalog: Catalog) -> None:
    from mlpath.roadmaps import track_files

    core = [t for r in CORE for t in catalog.roadmaps[r].topics]
    path = f"{len(core)} topics, {sum(t.hours for t in core):,.0f} hours"
    found, _ = build_catalog(roadmap_files(), tracks=[(p, b) for p, b in track_files() if b])
    junior = found.tracks["junior-ml-engineer"].topics
    track = f"{len(junior)} topics, {sum(found.topics[t].hours for t in junior):,.0f} hours"
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert path in readme and track in readme
    guide = (paths.builtin_roadmaps_dir() / "README.md").read_text(encoding="utf-8")
    assert f"The core path is {path.replace(', ', ' and ')}." in guide
    for rid in CORE:
        r = catalog.roadmaps[rid]
        assert f"| `{rid}` | {len(r.topics)} | {r.total_hours:,.0f} |" in guide
    for rid in ELECTIVES:
        r = catalog.roadmaps[rid]
        assert f"({len(r.topics)} topics, {r.total_hours:,.0f} h)" in guide
