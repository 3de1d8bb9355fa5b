"""Procedural problem generators, by the name task files use.

Third-party packages add generators through the entry-point group ``rlvr_envs.generators``
(name = the generator's key, value = ``"package.module:GeneratorClass"``).
"""

from __future__ import annotations

from rlvr_envs.errors import TaskSpecError
from rlvr_envs.generators.arithmetic import ArithmeticGenerator
from rlvr_envs.plugins import find_plugin
from rlvr_envs.sources.procedural import Generator

__all__ = ["BUILTIN_GENERATORS", "find_generator"]

BUILTIN_GENERATORS: dict[str, type[Generator]] = {
    ArithmeticGenerator.name: ArithmeticGenerator,
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
