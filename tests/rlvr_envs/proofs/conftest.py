import pytest

from rlvr_envs.verifiers.proof import CoqBackend


@pytest.fixture(scope="session")
def warm_coq():
    with CoqBackend(warm=True) as backend:
        yield backend


@pytest.fixture(scope="session")
def cold_coq():
    with CoqBackend(warm=False) as backend:
        yield backend


@pytest.fixture(scope="session")
def unscreened_coq():
    """Warm, with the textual screening off: only the kernel checks decide."""
    with CoqBackend(warm=True, screen=False) as backend:
        yield backend


@pytest.fixture(scope="session")
def unscreened_cold_coq():
    with CoqBackend(warm=False, screen=False) as backend:
        yield backend
