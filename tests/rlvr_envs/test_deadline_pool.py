"""DeadlinePool: real worker processes, real hangs, real crashes; no mocks.

The functions run in the workers are from the standard library (``time.sleep``, ``sum``,
``os._exit``, ``ctypes.string_at``...), so the workers never import this file.
"""

import ctypes
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rlvr_envs.deadline_pool import DeadlinePool, Outcome, OutcomeKind, shared_pool

OK, TIMEOUT, ERROR, CRASHED = OutcomeKind
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pool():
    with DeadlinePool(2, memory_mb=512) as pool:
        yield pool


def gone(pid: int) -> bool:
    """True when no process `pid` runs (a zombie whose reaper is busy counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "ZX"
    except FileNotFoundError:
        return True


def wait_until_gone(pids: list[int], seconds: float = 5.0) -> list[int]:
    """The pids still alive after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not all(gone(pid) for pid in pids):
        time.sleep(0.02)
    return [pid for pid in pids if not gone(pid)]


def test_a_call_returns_its_value(pool):
    outcome = pool.run(pow, 2, 10, timeout=10)
    assert outcome.kind is OK and outcome.value == 1024 and outcome.error is None
    assert 0 < outcome.seconds < 10


def test_an_exception_is_an_error_with_its_type_and_message(pool):
    outcome = pool.run(int, "x", timeout=10)
    assert outcome == Outcome(ERROR, error=outcome.error, seconds=outcome.seconds)
    assert outcome.error == "ValueError: invalid literal for int() with base 10: 'x'"


@pytest.mark.parametrize(
    ("fn", "args"),
    [
        (time.sleep, (60,)),  # never returns in time
        (sum, (range(10**15),)),  # a C loop holding the GIL
        (pow, (9, 9**9)),  # 9**9**9: big-integer arithmetic in C
    ],
    ids=["sleep", "sum", "pow"],
)
def test_a_hang_times_out_at_the_bound_and_the_pool_recovers(pool, fn, args):
    started = time.monotonic()
    outcome = pool.run(fn, *args, timeout=0.2)
    elapsed = time.monotonic() - started
    assert outcome.kind is TIMEOUT and "0.2 s" in outcome.error
    assert 0.2 <= outcome.seconds <= elapsed < 0.4
    assert pool.run(abs, -5, timeout=10).value == 5


def test_sympy_on_a_tower_of_powers_times_out():
    sympy = pytest.importorskip("sympy")
    with DeadlinePool(1, preload=("sympy",)) as pool:
        assert pool.run(sympy.sympify, "x + x", timeout=30).value == 2 * sympy.Symbol("x")
        started = time.monotonic()
        assert pool.run(sympy.sympify, "9**9**9**9", timeout=0.3).kind is TIMEOUT
        assert time.monotonic() - started < 0.5
        assert pool.run(sympy.sympify, "2**10", timeout=30).value == 1024


@pytest.mark.parametrize(
    ("fn", "args", "error"),
    [
        (os._exit, (3,), "exited with status 3"),
        (ctypes.string_at, (0,), "killed by SIGSEGV (segmentation fault)"),
        (signal.raise_signal, (signal.SIGKILL,), "killed by SIGKILL (out of memory?)"),
    ],
    ids=["exit", "segfault", "sigkill"],
)
def test_a_dying_worker_is_crashed_and_replaced(pool, fn, args, error):
    def worker_pids() -> set[int]:
        return {outcome.value for outcome in pool.map(os.getpid, [(), ()], timeout=10)}

    before = worker_pids()
    outcome = pool.run(fn, *args, timeout=10)
    assert outcome.kind is CRASHED and error in outcome.error
    assert pool.run(abs, -5, timeout=10).value == 5
    after = worker_pids()
    assert len(after) == 2 and len(before & after) == 1


def test_processes_killed_from_outside_are_replaced(pool):
    workers = {outcome.value for outcome in pool.map(os.getpid, [(), ()], timeout=10)}
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)  # dead, but not reaped: their zygote reaps them when the pool asks
    assert [o.value for o in pool.map(abs, [(-1,), (-2,)], timeout=10)] == [1, 2]
    os.kill(pool.run(os.getppid, timeout=10).value, signal.SIGKILL)  # the zygote
    time.sleep(0.2)
    assert [o.value for o in pool.map(abs, [(-1,), (-2,)], timeout=10)] == [1, 2]
    assert not workers & {o.value for o in pool.map(os.getpid, [(), ()], timeout=10)}


def test_memory_beyond_the_limit_is_an_error_and_the_pool_goes_on(pool):
    outcome = pool.run(bytearray, 2**30, timeout=10)  # the pool's limit is 512 MB
    assert outcome.kind is ERROR and outcome.error == "MemoryError"
    assert pool.run(len, bytearray(2**20), timeout=10).value == 2**20


def test_what_does_not_pickle_is_an_error_or_refused(pool):
    result = pool.run(threading.Lock, timeout=10)
    assert result.kind is ERROR and result.error.startswith("the result could not be pickled")
    argument = pool.run(len, threading.Lock(), timeout=10)
    assert argument.kind is ERROR and argument.error.startswith("the arguments could not")
    with pytest.raises(TypeError, match="module-level function"):
        pool.run(lambda: 1, timeout=10)
    with pytest.raises(ValueError, match="positive number of seconds"):
        pool.run(abs, 1, timeout=0)


def test_map_keeps_order_and_runs_on_all_workers_at_once(pool):
    assert [o.value for o in pool.map(abs, [(-i,) for i in range(100)], timeout=10)] == list(
        range(100)
    )
    started = time.monotonic()
    outcomes = pool.map(time.sleep, [(0.2,)] * 4, timeout=10)
    assert [o.kind for o in outcomes] == [OK] * 4
    assert time.monotonic() - started < 0.7  # two at a time, not one


def test_map_deadlines_are_per_item_and_start_on_a_worker(pool):
    # Six 0.15 s calls on two workers take 0.45 s; none waits out its 0.3 s on the queue.
    assert [o.kind for o in pool.map(time.sleep, [(0.15,)] * 6, timeout=0.3)] == [OK] * 6
    started = time.monotonic()
    outcomes = pool.map(time.sleep, [(0.02,), (60,), (0.02,), (0.02,)], timeout=0.2)
    assert [o.kind for o in outcomes] == [OK, TIMEOUT, OK, OK]
    assert time.monotonic() - started < 0.4


def test_many_threads_share_one_pool(pool):
    def caller(k: int) -> list[Outcome]:
        if k % 2:
            assert pool.run(time.sleep, 60, timeout=0.1).kind is TIMEOUT
        return [pool.run(pow, k, i, timeout=10) for i in range(20)]

    with ThreadPoolExecutor(8) as threads:
        results = list(threads.map(caller, range(8)))
    for k, outcomes in enumerate(results):
        assert [o.value for o in outcomes] == [k**i for i in range(20)]


def test_close_kills_and_reaps_every_process():
    pool = DeadlinePool(1)
    worker = pool.run(os.getpid, timeout=10).value
    zygote = pool.run(os.getppid, timeout=10).value
    assert pool.run(time.sleep, 60, timeout=0.2).kind is TIMEOUT
    assert gone(worker)  # killed and reaped before the call returned
    worker = pool.run(os.getpid, timeout=10).value
    busy = ThreadPoolExecutor(1)
    call = busy.submit(pool.run, time.sleep, 60, timeout=60)
    time.sleep(0.1)
    started = time.monotonic()
    pool.close()
    assert call.result(timeout=5).error == "the pool was closed during the call"
    assert time.monotonic() - started < 1
    busy.shutdown()
    for pid in worker, zygote:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # no zombie either
    pool.close()
    with pytest.raises(RuntimeError, match="closed"):
        pool.run(abs, 1, timeout=10)


def test_workers_die_with_their_owner_even_when_busy_in_c_code():
    owner = textwrap.dedent(
        """
        import os, threading, time
        from rlvr_envs.deadline_pool import DeadlinePool

        pool = DeadlinePool(2)
        workers = [o.value for o in pool.map(os.getpid, [(), ()], timeout=10)]
        zygote = pool.run(os.getppid, timeout=10).value
        threading.Thread(target=pool.run, args=(sum, range(10**15)), kwargs={"timeout": 60}).start()
        print(*workers, zygote, flush=True)
        time.sleep(0.2)  # the call reaches its worker
        os.kill(os.getpid(), 9)
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", owner], cwd=ROOT, stdout=subprocess.PIPE, text=True
    ) as process:  # the workers share its stdout: read one line, not up to EOF
        pids = [int(pid) for pid in process.stdout.readline().split()]
        assert process.wait(timeout=60) == -signal.SIGKILL
    assert len(set(pids)) == 3
    survivors = wait_until_gone(pids)
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert survivors == []


def test_shared_pool_is_one_per_process_and_a_forked_child_gets_its_own():
    with ThreadPoolExecutor(4) as threads:
        pools = list(threads.map(lambda _: shared_pool(), range(4)))
    parent = pools[0]
    assert all(p is parent for p in pools) and shared_pool() is parent
    other = shared_pool(["json"])
    assert other is not parent and shared_pool(("json", "json")) is other
    workers = {o.value for o in parent.map(os.getpid, [()] * parent.workers, timeout=10)}
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            mine = shared_pool()
            with pytest.raises(RuntimeError, match="parent process"):
                parent.run(abs, 1, timeout=10)
            if mine is not parent and mine.run(abs, -7, timeout=10).value == 7:
                code = 0
            mine.close()
        finally:
            os._exit(code)
    assert os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]) == 0
    # The child closed its copies of the parent's sockets; the parent's workers live on.
    assert {o.value for o in parent.map(os.getpid, [()] * parent.workers, timeout=10)} == workers
    parent.close()
    other.close()
    assert shared_pool() is not parent


def _use_a_pool() -> tuple[bool, int, str]:
    with DeadlinePool(1) as pool:
        value = pool.run(abs, -7, timeout=10).value
        return (
            multiprocessing.current_process().daemon,
            value,
            pool.run(time.sleep, 60, timeout=0.2).kind,
        )


def test_a_daemonic_multiprocessing_worker_can_use_a_pool():
    with multiprocessing.get_context("fork").Pool(1) as workers:
        assert workers.apply(_use_a_pool) == (True, 7, TIMEOUT)


def test_a_preload_that_fails_is_reported():
    with pytest.raises(ImportError, match="'no_such_module_for_this_test'"):
        DeadlinePool(1, preload=("no_such_module_for_this_test",))
    with pytest.raises(ValueError, match="workers"):
        DeadlinePool(0)


_WARMED = "cold"


def _warm() -> None:
    global _WARMED
    _WARMED = "warmed"


def _explode() -> None:
    raise RuntimeError("explode")


def _warmth() -> str:
    return _WARMED


def test_a_preload_function_runs_in_the_zygote_and_workers_inherit_its_work():
    module = __name__  # how the zygote imports this file: sys.path is copied to it
    with DeadlinePool(1, preload=(f"{module}:_warm",)) as pool:
        outcome = pool.run(_warmth, timeout=10)
    assert outcome.kind is OK, outcome.error
    assert outcome.value == "warmed"
    assert _WARMED == "cold"  # it ran there, not here
    with pytest.raises(ImportError, match="RuntimeError: explode"):
        DeadlinePool(1, preload=(f"{module}:_explode",))
