"""Short templated word problems with whole-number answers: shopping, rates, ages, sharing.

=============  =============================================================  =============
template      question                                                       answer
============  =============================================================  =============
``shopping``  n1 items at p1 dollars each and n2 at p2 each; the total?      n1 p1 + n2 p2
``change``    n items at p dollars each, b dollars handed over; the change?  b - n p
``distance``  v km/h for t1 hours, then w km/h for t2 hours; the distance?   v t1 + w t2
``ages``      A is d years older than B, their ages sum to s; A's age?       (s + d) / 2
``sharing``   t things, k kept, the rest shared equally by f friends; each?  (t - k) / f
``reading``   a book of t pages, p pages a day for d days; pages left?       t - p d
``fence``     a rectangle l by w metres; the fence around it?                2 (l + w)
``saving``    has h dollars, saves s a week; weeks until exactly g dollars?  (g - h) / s
``buses``     n students, c seats per bus; buses needed?                     ceil(n / c)
============  =============================================================  =============

Names, items and places come from fixed lists, drawn from the generator's rng like the
numbers, so a seed fixes the whole problem. Numbers appear in the question in the order of
the formulas above, as plain digits (no digit occurs in a name or an item). Problems carry
the field ``question``; the reference is the answer, an integer written in digits
(``"42"``). Every number a template draws is at least 2 where a plural noun follows it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal, get_args

import numpy as np
import pydantic

from rlvr_envs.schema import STRICT
from rlvr_envs.sources.procedural import GeneratedProblem, Generator

__all__ = ["TEMPLATES", "WordProblemGenerator", "WordProblemParams"]

Template = Literal[
    "shopping", "change", "distance", "ages", "sharing", "reading", "fence", "saving", "buses"
]
TEMPLATES: tuple[str, ...] = get_args(Template)

NAMES = (
    "Amara", "Ben", "Chen", "Dalia", "Emil", "Fatima", "Gus", "Hana", "Ivan", "Jade",
    "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tove",
)  # fmt: skip
SHOP_ITEMS = (
    "notebooks", "pencils", "apples", "oranges", "erasers", "mugs", "candles",
    "postcards", "bananas", "batteries", "socks", "rulers",
)  # fmt: skip
THINGS = ("stickers", "marbles", "cookies", "cards", "shells", "beads", "stamps", "grapes")
VEHICLES = ("train", "car", "bus", "truck", "boat", "ferry")
PLACES = ("garden", "field", "playground", "yard", "paddock", "car park")
_BILLS = (10, 20, 50)  # paid for a cost below 50; above, the next multiple of 100


@pydantic.dataclasses.dataclass(frozen=True, config=STRICT)
class WordProblemParams:
    templates: tuple[Template, ...] = TEMPLATES
    """The templates drawn from."""
    max_number: int = pydantic.Field(default=20, ge=5, le=1000)
    """Bound of the numbers a template draws."""

    def __post_init__(self) -> None:
        if not self.templates:
            raise ValueError(f"templates must name at least one of {', '.join(TEMPLATES)}")


class _Draw:
    """The rng and bound one problem draws from."""

    def __init__(self, rng: np.random.Generator, bound: int) -> None:
        self.rng = rng
        self.bound = bound

    def number(self, low: int = 2, high: int | None = None) -> int:
        """An integer in low..high (default high: the bound)."""
        return int(self.rng.integers(low, (self.bound if high is None else high) + 1))

    def pick(self, choices: tuple[str, ...], count: int = 1) -> list[str]:
        """`count` distinct choices."""
        return [choices[int(i)] for i in self.rng.choice(len(choices), count, replace=False)]


def _shopping(d: _Draw) -> tuple[str, int]:
    (name,), (item1, item2) = d.pick(NAMES), d.pick(SHOP_ITEMS, 2)
    n1, p1, n2, p2 = d.number(), d.number(), d.number(), d.number()
    return (
        f"{name} buys {n1} {item1} at {p1} dollars each and {n2} {item2} at {p2} dollars "
        f"each. How many dollars does {name} spend in total?",
        n1 * p1 + n2 * p2,
    )


def _change(d: _Draw) -> tuple[str, int]:
    (name,), (item,) = d.pick(NAMES), d.pick(SHOP_ITEMS)
    n, p = d.number(), d.number()
    cost = n * p
    paid = next((b for b in _BILLS if b > cost), 100 * (cost // 100 + 1))
    return (
        f"{name} buys {n} {item} that cost {p} dollars each and hands the cashier {paid} "
        f"dollars. How many dollars of change does {name} get?",
        paid - cost,
    )


def _distance(d: _Draw) -> tuple[str, int]:
    (vehicle,) = d.pick(VEHICLES)
    hours = max(2, d.bound // 4)
    v, t1, w, t2 = 5 * d.number(1), d.number(2, hours), 5 * d.number(1), d.number(2, hours)
    return (
        f"A {vehicle} travels at {v} kilometres per hour for {t1} hours, then at {w} "
        f"kilometres per hour for {t2} hours. How many kilometres does it travel in all?",
        v * t1 + w * t2,
    )


def _ages(d: _Draw) -> tuple[str, int]:
    older, younger = d.pick(NAMES, 2)
    age, gap = d.number(1), d.number()
    return (
        f"{older} is {gap} years older than {younger}. The sum of their ages is "
        f"{2 * age + gap}. How old is {older}?",
        age + gap,
    )


def _sharing(d: _Draw) -> tuple[str, int]:
    (name,), (things,) = d.pick(NAMES), d.pick(THINGS)
    kept, friends, each = d.number(1), d.number(2, max(2, d.bound // 2)), d.number(1)
    return (
        f"{name} has {kept + friends * each} {things}, keeps {kept} of them and shares the "
        f"rest equally among {friends} friends. How many {things} does each friend get?",
        each,
    )


def _reading(d: _Draw) -> tuple[str, int]:
    (name,) = d.pick(NAMES)
    per_day, days, left = d.number(), d.number(), d.number(1, 2 * d.bound)
    return (
        f"A book has {per_day * days + left} pages. {name} reads {per_day} pages every day "
        f"for {days} days. How many pages are left to read?",
        left,
    )


def _fence(d: _Draw) -> tuple[str, int]:
    (place,) = d.pick(PLACES)
    length, width = d.number(), d.number()
    return (
        f"A rectangular {place} is {length} metres long and {width} metres wide. How many "
        f"metres of fencing are needed to go all the way around it?",
        2 * (length + width),
    )


def _saving(d: _Draw) -> tuple[str, int]:
    (name,) = d.pick(NAMES)
    has, weekly, weeks = d.number(), d.number(), d.number()
    return (
        f"{name} has {has} dollars and saves {weekly} dollars every week. After how many "
        f"weeks will {name} have exactly {has + weekly * weeks} dollars?",
        weeks,
    )


def _buses(d: _Draw) -> tuple[str, int]:
    seats = d.number(5, max(5, 2 * d.bound))
    students = d.number(seats + 1, seats * d.bound)
    return (
        f"{students} students are going on a school trip. Each bus has {seats} seats for "
        f"students. How many buses are needed so that every student has a seat?",
        math.ceil(students / seats),
    )


_WRITERS: dict[str, Callable[[_Draw], tuple[str, int]]] = {
    "shopping": _shopping,
    "change": _change,
    "distance": _distance,
    "ages": _ages,
    "sharing": _sharing,
    "reading": _reading,
    "fence": _fence,
    "saving": _saving,
    "buses": _buses,
}


class WordProblemGenerator(Generator):
    """Templated word problems; see the module docstring for the templates."""

    name = "word_problem"
    Params = WordProblemParams
    params: WordProblemParams

    def generate(self, rng: np.random.Generator) -> GeneratedProblem:
        templates = self.params.templates
        template = templates[int(rng.integers(len(templates)))]
        question, answer = _WRITERS[template](_Draw(rng, self.params.max_number))
        return GeneratedProblem(
            fields={"question": question},
            reference=str(answer),
            metadata={"template": template},
        )

    def key(self, problem: GeneratedProblem) -> str:
        return str(problem.fields["question"])
