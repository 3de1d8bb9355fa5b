"""Procedural problem generators, by the name task files use.

=====================  ==========================================================
name                   problems
=====================  ==========================================================
``arithmetic``         integer expressions of ``+ - *``
``fractions``          fraction arithmetic; the answer in lowest terms
``linear_equation``    ``a x + b = c x + d``; the value of x
``linear_system``      2 x 2 and 3 x 3 linear systems; the tuple of the unknowns
``quadratic``          quadratic equations; the set of roots
``polynomial``         expand a product, or factor a polynomial with integer roots
``word_problem``       templated word problems with whole-number answers
=====================  ==========================================================

Third-party packages add generators through the entry-point group ``rlvr_envs.generators``
(name = the generator's key, value = ``"package.module:GeneratorClass"``).
"""

from __future__ import annotations

from rlvr_envs.errors import TaskSpecError
from rlvr_envs.generators.arithmetic import ArithmeticGenerator
from rlvr_envs.generators.fractions import FractionsGenerator
from rlvr_envs.generators.linear_equation import LinearEquationGenerator
from rlvr_envs.generators.linear_system import LinearSystemGenerator
from rlvr_envs.generators.polynomial import PolynomialGenerator
from rlvr_envs.generators.quadratic import QuadraticGenerator
from rlvr_envs.generators.word_problem import WordProblemGenerator
from rlvr_envs.plugins import find_plugin
from rlvr_envs.sources.procedural import Generator

__all__ = ["BUILTIN_GENERATORS", "find_generator"]

BUILTIN_GENERATORS: dict[str, type[Generator]] = {
    generator.name: generator
    for generator in (
        ArithmeticGenerator,
        FractionsGenerator,
        LinearEquationGenerator,
        LinearSystemGenerator,
        PolynomialGenerator,
        QuadraticGenerator,
        WordProblemGenerator,
    )
}


def find_generator(name: str) -> type[Generator]:
    """The generator class registered under `name`, built-in or from an entry point."""
    return find_plugin(
        name,
        kind="generator",
        builtins=BUILTIN_GENERATORS,
        group="rlvr_envs.generators",
        base=Generator,
        error=TaskSpecError,
    )
