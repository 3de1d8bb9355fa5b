"""Final-answer extraction: markers, their priority, reasoning blocks, several answers."""

import time

import pytest

from rlvr_envs.verifiers.math.extract import MAX_ANSWERS, extract_answers, looks_like_answer

EXTRACT = [
    # (response, answers found, source)
    (r"so $\boxed{42}$.", ("42",), "boxed"),
    (r"\boxed{\frac{1}{\sqrt{2}}}", (r"\frac{1}{\sqrt{2}}",), "boxed"),
    (r"\boxed{\{1, 2\}}", (r"\{1, 2\}",), "boxed"),
    (r"\fbox{7}", ("7",), "boxed"),
    (r"$\boxed 7$.", ("7",), "boxed"),
    (r"\boxed {x}", ("x",), "boxed"),
    (r"\boxed{\boxed{5}}", (r"\boxed{5}",), "boxed"),  # the outer box; normalisation unwraps
    (r"\boxed{3} then \boxed{4}", ("3", "4"), "boxed"),
    (r"\boxed{3} and again \boxed{3}", ("3",), "boxed"),
    (r"the answer is 5, so \boxed{6}", ("6",), "boxed"),  # a box beats a phrase
    ("<answer> 12 </answer>", ("12",), "answer_tag"),
    ("work...\n#### 1,234", ("1,234",), "hash"),
    ("#### Step 1\nwe get 5", ("5",), "last_math"),  # a markdown heading is no answer
    (
        "The final answer is $\\frac{3}{4}$. I hope it is correct.",
        (r"\frac{3}{4}",),
        "final_answer",
    ),
    ("Final Answer: 12", ("12",), "final_answer"),
    ("### Final Answer\n\n$42$", ("42",), "final_answer"),
    ("**Final Answer**\n42", ("42",), "final_answer"),
    ("the answer is 4. Final answer: 5", ("5",), "final_answer"),  # final beats plain
    ("The answer is 3.5.", ("3.5",), "answer_phrase"),
    ("Answer: (B)", ("(B)",), "answer_phrase"),
    ("the answer is 3, since 1+2=3", ("3",), "answer_phrase"),
    ("The answer is $\\$ 1{,}250$.", (r"\$ 1{,}250",), "answer_phrase"),
    ("The answer is 3. Later: the answer is 4.", ("3", "4"), "answer_phrase"),
    ("If the answer is 3 we are done; it is not. The answer is 4.", ("4",), "answer_phrase"),
    ("The answer is 5. I checked the answer is correct.", ("5",), "answer_phrase"),
    ("We get **42** apples in all.", ("42",), "bold"),
    ("**Step 1.** Add. **Step 2.** So **17**", ("17",), "bold"),
    ("3110", ("3110",), "whole"),
    ("Monday", ("Monday",), "whole"),
    ("$x = 3$", ("$x = 3$",), "whole"),
    ("B) 12", ("B) 12",), "whole"),
    ("First 2 + 3 = 5, then times 2 is 10.", ("10",), "last_math"),
    ("We find $x = 2$ and then $y = 7$ at the end", ("y = 7",), "last_math"),
    ("So we get \\frac{3}{4} in total", (r"\frac{3}{4}",), "last_math"),
    # spans joined by "and", "or" or commas are one answer
    ("Thus the roots are $x=2$ and $x=3$.", ("x=2, x=3",), "last_math"),
    ("The solutions are $2$, $3$, and $5$", ("2, 3, 5",), "last_math"),
    ("We have $a=3$ and the perimeter is $14$.", ("14",), "last_math"),
    ("The answer is $x < -1$ or $x > 2$.", (r"x < -1 \text{ or } x > 2",), "answer_phrase"),
]


@pytest.mark.parametrize(("response", "answers", "source"), EXTRACT)
def test_extraction_rules(response, answers, source):
    found = extract_answers(response)
    assert (found.answers, found.source, found.problem) == (answers, source, None)


REASONING = [
    # (response, answers, problem)
    ("<think>the answer is 5</think>The answer is 6", ("6",), None),
    ("<think>\\boxed{5}</think>no box out here: 7", ("7",), None),
    ("<THINK>5</THINK> 8", ("8",), None),
    ("<thinking>5</thinking> 9", ("9",), None),
    ("template put the tag in the prompt: 5 </think> 6", ("6",), None),
    ("<think>a</think> 1 <think>b</think> done", ("1",), None),
    ("<think>the answer is 5", (), "unclosed_think"),
    ("<think>x</think> 4 <think> the answer is 5", (), "unclosed_think"),
    ("<think>all of it</think>   ", (), "empty"),
    ("", (), "empty"),
    (r"\boxed{}", (), "empty_box"),
    ("lorem ipsum dolor sit amet consectetur", (), "no_answer"),
]


@pytest.mark.parametrize(("response", "answers", "problem"), REASONING)
def test_reasoning_is_not_the_answer(response, answers, problem):
    found = extract_answers(response)
    assert (found.answers, found.problem) == (answers, problem)


def test_boxed_only_requires_a_box():
    assert extract_answers("the answer is 5", boxed_only=True).problem == "missing_box"
    assert extract_answers(r"<think>\boxed{5}</think> 5", boxed_only=True).problem == (
        "missing_box"
    )
    assert extract_answers(r"so \boxed{5}", boxed_only=True).answers == ("5",)


def test_an_unclosed_box_is_not_an_answer():
    assert extract_answers(r"\boxed{\frac{1}{2}").problem == "empty_box"


def test_at_most_a_few_more_than_max_answers_are_kept():
    response = "".join(f"\\boxed{{{i}}}" for i in range(1000))
    assert len(extract_answers(response).answers) == MAX_ANSWERS + 1


@pytest.mark.parametrize(
    ("text", "answer_like"),
    [
        ("42", True),
        (r"\frac{1}{2}", True),
        ("12 dollars", True),
        ("2xy + 1", True),
        ("Step 1", False),
        ("so it is 5", False),
        ("", False),
    ],
)
def test_looks_like_answer(text, answer_like):
    assert looks_like_answer(text) is answer_like


HOSTILE = {
    "digits": "1" * 1_000_000,
    "open boxes": "\\boxed{" * 140_000,
    "boxes": "\\boxed{1}" * 110_000,
    "braces": "{" * 1_000_000,
    "dollars": "$" * 1_000_000,
    "backslashes": "\\" * 1_000_000,
    "markers": "the answer is 5 " * 62_000,
    "final markers": "Final answer: " * 70_000,
    "think tags": "<think>" * 140_000,
    "answer tags": "<answer>" * 120_000,
    "bold": "**a** " * 160_000,
}


@pytest.mark.parametrize("name", HOSTILE)
def test_extraction_is_linear_on_a_megabyte(name):
    started = time.perf_counter()
    extract_answers(HOSTILE[name])
    assert time.perf_counter() - started < 2.0
