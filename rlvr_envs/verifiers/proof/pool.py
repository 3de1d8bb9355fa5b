"""A warm pool of prover processes, reused across problems.

Starting a prover costs time (process start, libraries loaded); a pool keeps up to
`size` of them and lends one per check or session. A process goes back to the pool only
when the borrower says it is in a known state; one that died, timed out, grew past
`max_memory_mb` or served `max_uses` checks is ended, and the next borrower gets a
fresh one.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Generic, Protocol, TypeVar

__all__ = ["PoolLease", "PoolWorker", "WarmPool"]


class PoolWorker(Protocol):
    uses: int

    @property
    def alive(self) -> bool: ...

    def memory_mb_used(self) -> float: ...

    def close(self) -> None: ...


W = TypeVar("W", bound=PoolWorker)


class WarmPool(Generic[W]):
    """Lends warm workers made by `start`; see the module docstring.

    Args:
        start: makes a new worker (may raise; the borrower sees the error).
        size: workers kept at most; borrowers beyond it wait.
        max_memory_mb: a worker using more resident memory is retired.
        max_uses: a worker that served this many exchanges is retired.
    """

    def __init__(
        self,
        start: Callable[[], W],
        *,
        size: int = 1,
        max_memory_mb: float = 1536.0,
        max_uses: int = 2000,
    ) -> None:
        if size < 1:
            raise ValueError(f"a pool needs size >= 1, got {size}")
        self._start = start
        self.size = size
        self.max_memory_mb = max_memory_mb
        self.max_uses = max_uses
        self._idle: list[W] = []
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._closed = False
        self.started = 0
        """Workers started so far (restarts included)."""

    @contextlib.contextmanager
    def borrow(self) -> Iterator[PoolLease[W]]:
        """A worker for the ``with`` block; call ``lease.discard()`` when its state is
        unknown (a timeout, an error mid-exchange) so it is not lent again. An exception
        out of the block discards it too."""
        lease = self.acquire()
        try:
            yield lease
        except BaseException:
            lease.discard()
            raise
        finally:
            self.release(lease)

    def acquire(self, *, wait: bool = True) -> PoolLease[W]:
        """A worker until `release` (for borrowers that outlive one ``with`` block).

        Args:
            wait: wait for one of the pool's `size` slots. Without waiting, a borrower
                that holds its worker for long (a tactic episode, which may be one of many
                environments sharing the pool) gets an idle worker or a new one at once.
        """
        if wait:
            self._slots.acquire()
        try:
            return PoolLease(self._take(), counted=wait)
        except BaseException:
            if wait:
                self._slots.release()
            raise

    def release(self, lease: PoolLease[W]) -> None:
        """Give a worker back (ended instead if discarded or unhealthy); once per lease."""
        if lease.released:
            return
        lease.released = True
        try:
            self._give_back(lease)
        finally:
            if lease.counted:
                self._slots.release()

    def warm_up(self) -> None:
        """Start every worker now rather than on first use."""
        with self._lock:
            missing = self.size - len(self._idle)
        for _ in range(missing):
            worker = self._new()
            with self._lock:
                self._idle.append(worker)

    def close(self) -> None:
        """End every idle worker; lent ones end when given back. Idempotent."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()

    def _take(self) -> W:
        while True:
            with self._lock:
                worker = self._idle.pop() if self._idle else None
            if worker is None:
                return self._new()
            if self._healthy(worker):
                return worker
            worker.close()

    def _new(self) -> W:
        worker = self._start()
        with self._lock:
            self.started += 1
        return worker

    def _give_back(self, lease: PoolLease[W]) -> None:
        worker = lease.worker
        keep = not lease.discarded and self._healthy(worker)
        with self._lock:
            if keep and not self._closed and len(self._idle) < self.size:
                self._idle.append(worker)
                return
        worker.close()

    def _healthy(self, worker: W) -> bool:
        return (
            worker.alive
            and worker.uses < self.max_uses
            and worker.memory_mb_used() <= self.max_memory_mb
        )


class PoolLease(Generic[W]):
    """A borrowed worker."""

    def __init__(self, worker: W, *, counted: bool = True) -> None:
        self.worker = worker
        self.counted = counted
        """Whether the lease holds one of the pool's slots."""
        self.discarded = False
        self.released = False

    def discard(self) -> None:
        """Do not lend this worker again: it is ended when the ``with`` block exits."""
        self.discarded = True
