"""Backend selection: the default, by name, and the description of each backend."""

from __future__ import annotations

import re
import sys

import pytest

from sandboxes import (
    BwrapExecutor,
    ProcessExecutor,
    SandboxError,
    SandboxUnavailable,
    default_executor,
    describe_backends,
    get_executor,
)
from sandboxes.select import BACKENDS, PREFERENCE
from sandboxes.warm import WarmPythonExecutor

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the sandboxes need Linux"
)


def test_default_is_the_first_available_in_preference_order():
    expected = next(name for name in PREFERENCE if BACKENDS[name].available() is None)
    with default_executor() as executor:
        assert executor.name == expected
    if BwrapExecutor.available() is None:
        assert expected == "bwrap"


def test_warm_default_sends_python_to_warm_bwrap_and_the_rest_to_the_default():
    cold_name = next(name for name in PREFERENCE if BACKENDS[name].available() is None)
    with default_executor(warm=True, workers=1) as executor:
        if cold_name == "bwrap" and WarmPythonExecutor.available() is None:
            assert isinstance(executor, WarmPythonExecutor) and executor.workers == 1
            assert executor.fallback is not None and executor.fallback.name == "bwrap"
        else:  # never warm-process: without bubblewrap the cold backend isolates more
            assert executor.name == cold_name


def test_docker_is_never_the_default():
    assert "docker" not in PREFERENCE


def test_get_executor_by_name():
    with get_executor("process") as executor:
        assert isinstance(executor, ProcessExecutor)


def test_get_executor_passes_options():
    with get_executor("process", namespaces=False) as executor:
        assert executor.namespaces is False


def test_unknown_backend_names_the_known_ones():
    message = "unknown sandbox backend 'bwarp'; the backends are bwrap, process, docker"
    with pytest.raises(SandboxError, match=re.escape(message)) as caught:
        get_executor("bwarp")
    assert "Did you mean 'bwrap'?" in str(caught.value)
    assert "available here:" in str(caught.value)


def test_an_unavailable_backend_says_why():
    unavailable = [name for name, cls in BACKENDS.items() if cls.available() is not None]
    if not unavailable:
        pytest.skip("every backend runs here")
    name = unavailable[0]
    with pytest.raises(SandboxUnavailable, match=f"the {name} sandbox cannot run here: "):
        get_executor(name)


def test_describe_backends_lists_every_backend_once():
    infos = describe_backends()
    assert [info.name for info in infos] == list(BACKENDS)
    assert sum(info.default for info in infos) == 1
    for info in infos:
        assert info.isolation == BACKENDS[info.name].isolation
        assert info.available or info.reason  # an unavailable backend says why
        assert info.name in str(info)
    default = next(info for info in infos if info.default)
    with default_executor() as executor:
        assert default.name == executor.name
