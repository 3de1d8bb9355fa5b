"""CHAMP from the installed champ-dataset: which problems are kept, and their references."""

from collections import Counter

import pytest

from rlvr_envs import DatasetSpec, Task, TaskSpec, VerifierSpec
from rlvr_envs.packages.champ import ChampDataset, select_answer

pytest.importorskip(
    "champ_dataset",
    reason="champ-dataset is not installed (pip install 'rlvr-envs[math]'; the dev extra has it)",
)

# The counts tasks/math/README.md reports.
KEPT = {"number": 85, "with_note": 50, "expression": 27, "limit": 9, "equivalent": 8}
LEFT_OUT = {"yes_no": 34, "statement": 25, "solutions": 21, "notation": 7, "factorization": 4}


@pytest.fixture(scope="module")
def selections():
    return ChampDataset().selections()


@pytest.fixture(scope="module")
def task():
    spec = TaskSpec(
        id="champ-check-v1",
        dataset=DatasetSpec(package="champ"),
        prompt="{problem}",
        verifier=VerifierSpec(name="integer"),
        default_split="test",
    )
    return Task(spec)


def test_the_kept_and_left_out_counts_are_those_documented(selections):
    assert len(selections) == 270
    counts = Counter(selection.rule for selection in selections.values())
    assert counts == Counter({**KEPT, **LEFT_OUT})
    assert all((s.reference is not None) == (s.rule in KEPT) for s in selections.values())


@pytest.mark.parametrize(
    ("identifier", "reference", "rule"),
    [
        ("P_Combinatorics_1", "239", "number"),
        ("P_Combinatorics_2", "252", "equivalent"),  # C(10, 5), or equivalently 252
        ("P_Combinatorics_14", r"\frac{5}{14}", "equivalent"),  # or approximately 35.7%
        ("P_Combinatorics_11", r"\frac{n (n - 3)}{2}", "expression"),
        ("P_Combinatorics_29", r"\frac{n (n - 1) (n - 2) (n - 3)}{4!}", "equivalent"),
        ("P_Inequality_2", r"\frac{1}{2}", "number"),
        ("P_Inequality_14", "100", "with_note"),  # 100 (i.e., all values)
        ("P_Inequality_18", r"\frac{\sqrt{3}}{3}", "equivalent"),
        ("P_Inequality_19", "2", "with_note"),  # 2 inequalities
        ("P_Number-Theory_10", "1", "with_note"),  # At least 1 number
        ("P_Number-Theory_25", "3", "with_note"),  # 3 is the only possible value
        ("P_Number-Theory_51", "1176470588235294", "equivalent"),
        ("P_Polynomial_3", "0", "with_note"),  # At most 0 integer-valued zeros (i.e., ...)
        ("P_Polynomial_26", "-3", "with_note"),
        ("P_Polynomial_28", r"\frac{(-1)^{n + 1} + n + 1}{n + 2}", "with_note"),
        ("P_Sequence_23", r"-\frac{1}{2}", "number"),
        ("P_Sequence_29", r"\frac{2}{3}", "limit"),
        ("P_Sequence_41", r"\frac{1 + \sqrt{4 a + 1}}{2}", "limit"),
        ("P_Combinatorics_17", None, "yes_no"),
        ("P_Sequence_43", None, "yes_no"),  # Yes, and the sequence is ...
        ("P_Number-Theory_3", None, "solutions"),  # 376 and 625
        ("P_Polynomial_22", None, "solutions"),  # x=±1
        ("P_Inequality_1", None, "notation"),  # [-1, 1]
        ("P_Combinatorics_16", None, "notation"),  # C(n+1, 2m+1)
        ("P_Number-Theory_7", None, "statement"),  # No integer solutions
        ("P_Sequence_48", None, "statement"),  # The function is periodic, with a period of 8
        ("P_Polynomial_14", None, "factorization"),
    ],
)
def test_selected_answers(selections, identifier, reference, rule):
    assert (selections[identifier].reference, selections[identifier].rule) == (reference, rule)


@pytest.fixture(scope="module")
def problems(task):
    return {problem.id: problem for problem in task.source.iter_split("test")}


def test_number_references_are_the_numbers_of_the_answer(selections, problems, latex):
    sympy = pytest.importorskip("sympy")
    answers = {i: p.metadata["answer_text"] for i, p in problems.items()}
    for identifier, selection in selections.items():
        if selection.rule == "number":
            assert latex(selection.reference) == sympy.Rational(answers[identifier])


def test_expression_references_mean_the_answer(selections, problems, latex, plain):
    sympy = pytest.importorskip("sympy")
    checked = 0
    for identifier, selection in selections.items():
        if selection.rule in ("expression", "limit"):
            text = problems[identifier].metadata["answer_text"].rsplit(" ", 1)[-1]
            expected = plain(text)
            assert sympy.simplify(latex(selection.reference) - expected) == 0, identifier
            checked += 1
    assert checked == KEPT["expression"] + KEPT["limit"]


def test_the_task_serves_the_kept_problems(task):
    assert task.split_sizes() == {"test": sum(KEPT.values())}
    problem = task.problem("test", "P_Combinatorics_1")
    assert task.prompt(problem).startswith("Let a string consist of digit 1, 2, 3.")
    assert problem.reference == "239"
    assert problem.metadata == {
        "source": "champ_dataset/dataset_files/v0.json#P_Combinatorics_1",
        "category": "Combinatorics",
        "answer_text": "239",
        "answer_rule": "number",
    }
    ids = [p.id for p in task.source.iter_split("test")]
    assert "P_Combinatorics_17" not in ids  # a yes/no question
    categories = Counter(p.metadata["category"] for p in task.source.iter_split("test"))
    assert set(categories) == {
        "Combinatorics",
        "Inequality",
        "Number-Theory",
        "Polynomial",
        "Sequence",
    }


def test_select_answer_rules_on_made_up_answers():
    assert select_answer("Find x.", "The limit exists and is equal to sqrt(2)").reference == (
        r"\sqrt{2}"
    )
    assert select_answer("Factorise x^2-1.", "(x-1)(x+1)").rule == "factorization"
    assert select_answer("How many?", "12 pairs").reference == "12"
    assert select_answer("Is it?", "No").rule == "yes_no"
