"""The options of the math grader, validated when a task loads.

===========================  ========  =========================================================
option                       default   effect
===========================  ========  =========================================================
``extract``                  ``auto``  ``auto``: the answer is taken from ``\\boxed{}``, an
                                       ``<answer>`` block, ``#### x``, "final answer: x", "the
                                       answer is x", ``**x**``, or else the last mathematical
                                       expression. ``boxed``: only ``\\boxed{}``/``\\fbox{}``
                                       count; a response without one is a ``format_error``.
``percent_equals_fraction``  ``True``  whether ``50\\%`` also equals ``0.5``. Dropping or
                                       adding the sign (``50\\%`` vs ``50``) is always accepted.
``rel_tol``                  ``1e-6``  relative tolerance, used only when the reference is
                                       written with a decimal point (``0.15``, ``1.5e3``),
                                       which may be a rounded value. Exact references are
                                       compared exactly: ``3.14`` is not ``\\pi``, and
                                       ``0.933`` is not ``\\frac{14}{15}``.
===========================  ========  =========================================================

Why these defaults: in the labelled yardstick (``math_equivalence.jsonl``), every pair where a
percentage is answered as a fraction (``5\\%`` vs ``0.05``) is labelled equivalent, and every
pair where an exact answer is given as a rounded decimal (``2\\pi`` vs ``6.283185307``,
``\\frac{14}{15}`` vs ``0.933``) is labelled not equivalent.
"""

from __future__ import annotations

from typing import Literal

import pydantic

from rlvr_envs.schema import STRICT

__all__ = ["MathOptions"]


@pydantic.dataclasses.dataclass(frozen=True, config=STRICT)
class MathOptions:
    extract: Literal["auto", "boxed"] = "auto"
    """Where the final answer is taken from; see the module docstring."""
    percent_equals_fraction: bool = True
    """Whether a percentage also equals its fraction: ``50\\%`` vs ``0.5``."""
    rel_tol: float = pydantic.Field(default=1e-6, ge=0.0, lt=1.0)
    """Relative tolerance against a reference written as a decimal; exact ones compare exactly."""
    timeout: float = pydantic.Field(default=5.0, gt=0.0, le=600.0)
    """Seconds a symbolic comparison may take before the verdict is ``timeout``."""
