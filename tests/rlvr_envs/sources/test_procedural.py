import re

import numpy as np
import pytest

import rlvr_envs
from rlvr_envs import DatasetError, GeneratedProblem, Generator
from rlvr_envs.generators.arithmetic import ArithmeticGenerator, ArithmeticParams
from rlvr_envs.registry import builtin_tasks_dir
from rlvr_envs.sources.procedural import ProceduralSource


def one_digit_products(splits, *, seed=0):
    """The source of arithmetic-mul-v1's kind: a space of only 100 problems."""
    generator = ArithmeticGenerator(ArithmeticParams(operations=("*",), digits=1))
    return ProceduralSource(generator, splits, seed=seed)


def questions(problems):
    return [p.fields["question"] for p in problems]


def test_train_never_yields_a_test_problem_even_in_a_tiny_space():
    task = rlvr_envs.default_registry().task("arithmetic-mul-v1")
    source = task.source
    assert source.size("test") == 30
    test_questions = set(questions(source.iter_split("test")))
    assert len(test_questions) == 30
    rng = np.random.default_rng(0)
    train_questions = [task.sample("train", rng).fields["question"] for _ in range(3000)]
    assert not test_questions & set(train_questions)
    # ... and the training draws still cover every other problem of the space
    space = {f"{a} * {b}" for a in range(10) for b in range(10)}
    assert set(train_questions) == space - test_questions


def test_episodes_of_the_train_split_avoid_the_test_split():
    env = rlvr_envs.default_registry().make("arithmetic-mul-v1")
    test_questions = set(questions(env.task.source.iter_split("test")))
    for seed in range(300):
        env.reset(seed=seed)
        assert env.problem.id.startswith("train/")
        assert env.problem.fields["question"] not in test_questions


def test_finite_splits_are_disjoint_and_hold_distinct_problems():
    source = one_digit_products({"test": 30, "validation": 40, "train": None})
    test = questions(source.iter_split("test"))
    validation = questions(source.iter_split("validation"))
    assert len(set(test)) == 30
    assert len(set(validation)) == 40
    assert not set(test) & set(validation)
    rng = np.random.default_rng(1)
    train = {source.sample("train", rng).fields["question"] for _ in range(2000)}
    assert not train & (set(test) | set(validation))
    assert len(train) == 30


def test_a_split_larger_than_the_problem_space_fails_clearly():
    source = one_digit_products({"test": 101, "train": None})
    with pytest.raises(DatasetError, match=re.escape("could not draw problem test/100")) as info:
        source.get("test", "test/0")
    assert "its problem space is too small for the split sizes {'test': 101, 'train': None}" in str(
        info.value
    )


def test_the_whole_space_fits_a_finite_split():
    source = one_digit_products({"test": 100})
    assert len(set(questions(source.iter_split("test")))) == 100


def test_problem_ids_are_stable_across_fresh_sources():
    a = one_digit_products({"test": 30, "train": None})
    b = one_digit_products({"test": 30, "train": None})
    assert a.get("test", "test/17") == b.get("test", "test/17")
    assert a.get("train", "train/123456789") == b.get("train", "train/123456789")
    assert questions(a.iter_split("test")) == questions(b.iter_split("test"))
    # asking for a train problem first (which fills the finite splits) changes nothing
    c = one_digit_products({"test": 30, "train": None})
    assert c.get("train", "train/5") == a.get("train", "train/5")
    assert c.get("test", "test/17") == a.get("test", "test/17")


@pytest.mark.parametrize(
    ("task_id", "problem_id", "question", "reference"),
    [
        ("arithmetic-add-v1", "test/17", "36 + 59", 95),
        ("arithmetic-add-v1", "train/17", "10 + 10", 20),
        ("arithmetic-mul-v1", "test/17", "1 * 8", 8),
        ("arithmetic-hard-v1", "test/17", "(836 + 601) - (275 + (755 + 847))", -440),
    ],
)
def test_problems_are_the_same_on_every_machine(task_id, problem_id, question, reference):
    # Pinned values: a change here silently changes every published test split.
    registry = rlvr_envs.TaskRegistry()
    registry.add_folder(builtin_tasks_dir())
    split = problem_id.split("/")[0]
    problem = registry.task(task_id).problem(split, problem_id)
    assert (problem.id, problem.fields["question"], problem.reference) == (
        problem_id,
        question,
        reference,
    )


def test_split_seed_and_dataset_seed_change_the_problems():
    a = one_digit_products({"test": 30, "train": None}, seed=0)
    b = one_digit_products({"test": 30, "train": None}, seed=1)
    assert questions(a.iter_split("test")) != questions(b.iter_split("test"))
    c = one_digit_products({"validation": 30, "train": None}, seed=0)
    assert questions(a.iter_split("test")) != questions(c.iter_split("validation"))


def test_sampling_depends_only_on_the_rng():
    a = one_digit_products({"test": 30, "train": None})
    b = one_digit_products({"test": 30, "train": None})
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    drawn_a = [a.sample("train", rng_a) for _ in range(50)]
    drawn_b = [b.sample("train", rng_b) for _ in range(50)]
    assert drawn_a == drawn_b
    assert [p.id for p in drawn_a] != [p.id for p in drawn_b[1:] + drawn_b[:1]]


def test_a_sampled_problem_can_be_fetched_again_by_its_id():
    source = one_digit_products({"test": 30, "train": None})
    rng = np.random.default_rng(9)
    for split in ("test", "train"):
        for _ in range(20):
            problem = source.sample(split, rng)
            assert source.get(split, problem.id) == problem


def test_problem_metadata_holds_the_content_key():
    problem = one_digit_products({"test": 30}).get("test", "test/3")
    assert problem.metadata["key"] == problem.fields["question"]
    assert problem.metadata["operations"] == ["*"]


@pytest.mark.parametrize(
    ("split", "problem_id", "message"),
    [
        ("test", "test/30", "split 'test' has 30 problems; id 'test/30' is out of range"),
        ("test", "train/3", "split 'test' has no problem with id 'train/3'"),
        ("test", "test/x", "ids of this split look like 'test/<index>'"),
        ("test", "test/-1", "split 'test' has no problem with id 'test/-1'"),
        ("test", "test/", "split 'test' has no problem with id 'test/'"),
        ("test", "17", "split 'test' has no problem with id '17'"),
        ("test", "test/\u0661", "has no problem with id"),  # an Arabic-Indic digit
        ("train", f"train/{2**62}", f"problem index {2**62} is beyond {2**62 - 1}"),
        ("tset", "tset/1", "this task has no split 'tset'; its splits are ['test', 'train']."),
    ],
)
def test_bad_problem_ids(split, problem_id, message):
    source = one_digit_products({"test": 30, "train": None})
    with pytest.raises(DatasetError, match=re.escape(message)):
        source.get(split, problem_id)


def test_unknown_split_suggests_a_known_one():
    source = one_digit_products({"test": 30, "train": None})
    with pytest.raises(DatasetError, match=re.escape("Did you mean 'test'?")):
        source.size("tset")
    with pytest.raises(DatasetError, match="no split 'valid'"):
        source.sample("valid", np.random.default_rng(0))


def test_an_unbounded_split_cannot_be_listed():
    source = one_digit_products({"test": 30, "train": None})
    assert source.size("train") is None
    with pytest.raises(DatasetError, match="split 'train' is unbounded"):
        source.iter_split("train")


def test_an_empty_split_cannot_be_sampled():
    source = one_digit_products({"test": 0, "train": None})
    assert list(source.iter_split("test")) == []
    with pytest.raises(DatasetError, match="split 'test' is empty"):
        source.sample("test", np.random.default_rng(0))


def test_a_source_needs_a_split():
    with pytest.raises(DatasetError, match="needs at least one split"):
        one_digit_products({})


def test_splits_keep_their_declared_order_and_describe_names_the_generator():
    source = one_digit_products({"train": None, "test": 5})
    assert source.splits == ("train", "test")
    assert source.describe() == "generator arithmetic"


class Coin(Generator):
    """A generator of exactly two problems, and its own notion of sameness."""

    name = "coin"
    Params = dict

    def generate(self, rng):
        side = ["heads", "tails"][int(rng.integers(2))]
        return GeneratedProblem(
            fields={"side": side, "noise": int(rng.integers(1000))}, reference=1
        )

    def key(self, problem):
        return problem.fields["side"]


def test_content_keys_come_from_the_generator():
    source = ProceduralSource(Coin({}), {"test": 1, "train": None})
    (held_out,) = source.iter_split("test")
    rng = np.random.default_rng(0)
    sides = {source.sample("train", rng).fields["side"] for _ in range(100)}
    assert sides == {"heads", "tails"} - {held_out.fields["side"]}
    assert Coin({}).describe_params() == {}


def test_default_key_is_the_canonical_fields():
    problem = GeneratedProblem(fields={"b": 1, "a": [2, 3]}, reference=0)
    assert Generator.key(Coin({}), problem) == '{"a": [2, 3], "b": 1}'
