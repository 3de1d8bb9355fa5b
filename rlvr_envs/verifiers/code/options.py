"""The options of the code verifier, validated when a task loads.

=================  ============  ==========================================================
option             default       effect
=================  ============  ==========================================================
``reward``         ``all_pass``  ``all_pass``: score 1 when every test passes, else 0.
                                 ``fraction``: the fraction of tests passed. The status is
                                 ``correct`` only when all pass, either way.
``extract``        ``auto``      ``auto``: the code is the last fenced block (```` ``` ````)
                                 whose info string is empty or names the problem's language
                                 (``python``, ``py``, ``python3``; ``c``; ``cpp``, ``c++``,
                                 ``cc``, ``cxx``; ``javascript``, ``js``, ``node``), an
                                 unclosed last fence running to the end; with no such block,
                                 the whole response. ``whole``: always the whole response.
``test_timeout``   ``5.0``       seconds one test may take: one call of the candidate's
                                 function (and loading the program, once per process), or
                                 one stdin/stdout run (C/C++ compile under the sandbox's
                                 own compile limits).
``timeout``        ``30.0``      seconds for the whole verification; the tests that did
                                 not finish by then fail (status ``wrong``: a slow program is
                                 the response's fault).
``memory_mb``      ``512``       address space of each of the candidate's processes.
=================  ============  ==========================================================
"""

from __future__ import annotations

from typing import Literal

import pydantic

from rlvr_envs.schema import STRICT

__all__ = ["CodeOptions"]


@pydantic.dataclasses.dataclass(frozen=True, config=STRICT)
class CodeOptions:
    reward: Literal["all_pass", "fraction"] = "all_pass"
    """Score 1 only when every test passes, or the fraction passed; see the module docstring."""
    extract: Literal["auto", "whole"] = "auto"
    """Where the code is taken from: the last fenced block of the language, or the whole text."""
    test_timeout: float = pydantic.Field(default=5.0, gt=0.0, le=600.0)
    """Seconds per test: one call of the candidate, or one stdin/stdout run."""
    timeout: float = pydantic.Field(default=30.0, gt=0.0, le=3600.0)
    """Seconds for the whole verification of one response."""
    memory_mb: int = pydantic.Field(default=512, ge=64, le=65536)
    """Address space (MB) of each process of the candidate."""
