"""CHAMP: competition problems with final answers, from the installed ``champ-dataset``.

Mao, Kim and Zhou (2024), "CHAMP: A Competition-level Dataset for Fine-Grained Analyses
of LLMs' Mathematical Reasoning Capabilities". MIT license. The package ships
``champ_dataset/dataset_files/v0.json``, read with `importlib.resources` (never
downloaded); its ``problems`` map an id (``P_Combinatorics_1``) to the problem text
(``_text``), a ``category`` and the answer in words (``_answer``, e.g.
``"C(10, 5), or equivalently 252"``).

A verifier compares one final answer, so a problem is kept only when its answer reduces to
one value, which becomes a LaTeX reference (`rlvr_envs.packages.ascii_math`):

==============  ========================================================  =========================
rule            answer                                                    reference
==============  ========================================================  =========================
``number``      a number                                                  ``239``, ``\\frac{1}{2}``
``expression``  one formula                                               ``2^{n - 1}``
``with_note``   a value with a note or unit: ``100 (i.e., all values)``,  ``100``, ``3``, ``0``
                ``3 is the only possible value``, ``At most 0 values``
``limit``       ``The limit exists and is equal to 2/3``                  ``\\frac{2}{3}``
``equivalent``  ``X, or equivalently Y``: the first plain number of the   ``252``
                forms, else the first formula this module translates
==============  ========================================================  =========================

and left out when it is not one checkable value:

=================  =========================================================================
reason             answers
=================  =========================================================================
``yes_no``         ``Yes`` / ``No`` (a coin flip earns half the reward)
``solutions``      several values or an assignment: ``376 and 625``, ``x=6, y=5``, ``x=±1``
``notation``       notation not translated: ``floor``, ``C(n, k)``, sums, intervals, ``...``
``statement``      a sentence: ``No integer solutions``, ``Monotonically increasing``
``factorization``  "Factorize ...": symbolic equality would accept the question itself
=================  =========================================================================

Records: ``id``, ``problem`` (the text), ``answer`` (the LaTeX reference), ``category``,
``answer_text`` (CHAMP's own words) and ``answer_rule``; the last three also go to each
problem's metadata. One split, ``test``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from rlvr_envs.errors import DatasetError
from rlvr_envs.packages.ascii_math import ascii_to_latex
from rlvr_envs.sources.packaged import PackagedDataset

__all__ = ["ChampDataset", "ChampSelection", "select_answer"]

_NUMBER = re.compile(r"-?\d+(?:/\d+)?")
_YES_NO = re.compile(r"(?:Yes|No)(?:,.*)?")
_NOTE = re.compile(r"\s+\((?:i\.e\.|none |no ).*\)$")
_LIMIT_PREFIXES = ("The limit exists and is equal to ", "The only possible value for the limit is ")
_BOUND_PREFIXES = ("At least ", "At most ")
_SUFFIX = re.compile(
    r"(?: is the only possible value"
    r"| (?:integer-valued )?(?:values?|pairs?|roots?|zeros?|inequalities|times|numbers?))$"
)
_ALTERNATIVES = re.compile(r", or (?:equivalently|an equivalent form such as|approximately) ")
_NOTATION = re.compile(r"floor|C\(|sum_|\.\.\.|\[|<|>|≤|≥")
_SOLUTIONS = re.compile(r" and |=|,|±| or ")
_FIELDS = ("_text", "_answer", "category")
_SENTENCE = re.compile(r"[A-Z][a-z]+\b")


@dataclass(frozen=True)
class ChampSelection:
    """Whether a CHAMP answer is kept, its reference, and the rule or reason that decided."""

    reference: str | None
    """The LaTeX reference; None when the problem is left out."""
    rule: str
    """A rule of the module docstring when kept, else the reason it is left out."""


def select_answer(question: str, answer: str) -> ChampSelection:
    """Decide one CHAMP problem by the rules of the module docstring."""
    text = answer.strip()
    if re.match(r"Factori[sz]e\b", question.strip()):
        return ChampSelection(None, "factorization")
    if _YES_NO.fullmatch(text):
        return ChampSelection(None, "yes_no")
    core, notes = _NOTE.subn("", text)
    rule = "with_note" if notes else None
    for prefix in _LIMIT_PREFIXES + _BOUND_PREFIXES:
        if core.startswith(prefix):
            core = core[len(prefix) :]
            rule = "limit" if prefix in _LIMIT_PREFIXES else "with_note"
    core, suffixes = _SUFFIX.subn("", core)
    if suffixes:
        rule = "with_note"
    forms = _ALTERNATIVES.split(core)
    for form in sorted(forms, key=lambda f: _NUMBER.fullmatch(f) is None):  # numbers first
        try:
            reference = ascii_to_latex(form)
        except ValueError:
            continue
        if len(forms) > 1:
            rule = "equivalent"
        elif rule is None:
            rule = "number" if _NUMBER.fullmatch(form) else "expression"
        return ChampSelection(reference, rule)
    if _SENTENCE.match(text):
        return ChampSelection(None, "statement")
    if _NOTATION.search(text):
        return ChampSelection(None, "notation")
    if _SOLUTIONS.search(text):
        return ChampSelection(None, "solutions")
    return ChampSelection(None, "statement")


class ChampDataset(PackagedDataset):
    """The CHAMP problems with one checkable final answer; see the module docstring."""

    name = "champ"
    module = "champ_dataset"
    distribution = "champ-dataset"
    install_hint = "pip install 'rlvr-envs[math]'"
    splits = ("test",)
    id_field = "id"
    metadata_fields = ("category", "answer_text", "answer_rule")

    def records(self, split: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        for identifier, problem, where in self._problems():
            selection = select_answer(problem["_text"], problem["_answer"])
            if selection.reference is None:
                continue
            yield (
                where,
                {
                    "id": identifier,
                    "problem": problem["_text"],
                    "answer": selection.reference,
                    "category": problem["category"],
                    "answer_text": problem["_answer"],
                    "answer_rule": selection.rule,
                },
            )

    def selections(self) -> dict[str, ChampSelection]:
        """Every problem's selection, kept or not, by id (for reports and tests)."""
        return {
            identifier: select_answer(problem["_text"], problem["_answer"])
            for identifier, problem, _ in self._problems()
        }

    def _problems(self) -> Iterator[tuple[str, Mapping[str, Any], str]]:
        where = f"{self.module}/dataset_files/v0.json"
        for identifier, problem in _read_problems(self.module).items():
            yield identifier, problem, f"{where}#{identifier}"


@functools.cache
def _read_problems(module: str) -> dict[str, dict[str, str]]:
    """The fields we use of every CHAMP problem, by id. The file is 70 MB (it also holds
    model conversations), so it is read once per process and only these fields are kept."""
    where = f"{module}/dataset_files/v0.json"
    try:
        resource = resources.files(module) / "dataset_files" / "v0.json"
        problems = json.loads(resource.read_text(encoding="utf-8"))["problems"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DatasetError(
            f"{where}: cannot read the CHAMP problems from the installed package: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    kept = {}
    for identifier, problem in problems.items():
        missing = [k for k in _FIELDS if k not in problem]
        if missing:
            raise DatasetError(f"{where}: problem {identifier!r} has no field {missing[0]!r}")
        kept[identifier] = {k: problem[k] for k in _FIELDS}
    return kept
