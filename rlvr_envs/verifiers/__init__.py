"""Verifiers, by the name task files use.

Third-party packages add verifiers through the entry-point group ``rlvr_envs.verifiers``
(name = the verifier's key, value = ``"package.module:VerifierClass"``).
"""

from __future__ import annotations

from rlvr_envs.errors import VerifierConfigError
from rlvr_envs.plugins import find_plugin
from rlvr_envs.verifiers.base import DEFAULT_MAX_RESPONSE_CHARS, Verifier, screen_response
from rlvr_envs.verifiers.code import CodeVerifier
from rlvr_envs.verifiers.integer import IntegerVerifier
from rlvr_envs.verifiers.math import MathVerifier
from rlvr_envs.verifiers.proof.verifier import ProofVerifier

__all__ = [
    "BUILTIN_VERIFIERS",
    "DEFAULT_MAX_RESPONSE_CHARS",
    "CodeVerifier",
    "IntegerVerifier",
    "MathVerifier",
    "ProofVerifier",
    "Verifier",
    "find_verifier",
    "screen_response",
]

BUILTIN_VERIFIERS: dict[str, type[Verifier]] = {
    CodeVerifier.name: CodeVerifier,
    IntegerVerifier.name: IntegerVerifier,
    MathVerifier.name: MathVerifier,
    ProofVerifier.name: ProofVerifier,
}


def find_verifier(name: str) -> type[Verifier]:
    """The verifier class registered under `name`, built-in or from an entry point."""
    return find_plugin(
        name,
        kind="verifier",
        builtins=BUILTIN_VERIFIERS,
        group="rlvr_envs.verifiers",
        base=Verifier,
        error=VerifierConfigError,
    )
