"""Math answers: extraction, normalisation and equivalence, for verifiable rewards.

``grade(response, gold, options)`` finds the final answer in a model response, reads it and
the gold answer into typed values, and decides whether they are equivalent.

======================  =============================================================
module                  holds
======================  =============================================================
`options`               `MathOptions`: extraction rule, percent rule, tolerance
`extract`               finding the final answer(s) in a response
`normalize`, `units`    LaTeX and text clean-up of an answer; units after a value
`braces`                bracket-aware splitting and matching (linear scans)
`values`, `parse`       the typed values, and reading an answer into one
`exact`, `exact_parser` the fast path: exact arithmetic on sums of c·√m·π^k·x^a
`symbolic`              the SymPy stage (the only one that can be slow)
`equivalence`           comparison, kind by kind
`grading`               `grade`, `parse_gold`, `GradeResult`
`verifier`              `MathVerifier`: the fast path here, SymPy in a killable pool
======================  =============================================================

Cost: extraction, normalisation, parsing and the exact path are linear in the response
length and never build huge numbers (``9^{9^{9^9}}`` is refused in microseconds). SymPy runs
only when the exact path cannot decide (functions, ``e``, rational functions...), and it can
be slow on hostile input: run `grade` in a process the caller can kill (it uses no signals or
threads itself), or run `grade_fast` anywhere (it never reaches SymPy and returns None
instead) and send only its None cases to such a process. SymPy and latex2sympy2_extended
are imported on first use, not on import; `symbolic.warm_up` imports and exercises them
once, for a pool to call before it forks.
"""

from __future__ import annotations

from rlvr_envs.verifiers.math.grading import GradeResult, grade, grade_fast, parse_gold
from rlvr_envs.verifiers.math.options import MathOptions
from rlvr_envs.verifiers.math.values import Answer
from rlvr_envs.verifiers.math.verifier import MathVerifier

__all__ = [
    "Answer",
    "GradeResult",
    "MathOptions",
    "MathVerifier",
    "grade",
    "grade_fast",
    "parse_gold",
]
