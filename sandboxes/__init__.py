"""sandboxes: run untrusted programs (Python, C, C++, JavaScript) under hard limits.

Knows nothing of environments or trainers: a verifier receives an `Executor` and calls
``executor.run(Job(...))``; what comes back is an `Execution` whose `RunStatus` says why
the program ended. A program that crashes, hangs, floods, forks or attacks is an
execution with a status, never an exception.

```python
from sandboxes import Job, Limits, default_executor

with default_executor() as executor:             # bwrap here, else process; .name says
    result = executor.run(Job(source="print(input()[::-1])", stdin="abc",
                              limits=Limits(wall_seconds=2, memory_mb=256)))
result.status, result.stdout                      # (<RunStatus.OK: 'ok'>, b'cba\\n')
```

Backends (`describe_backends` says which run here and why not):

=========  =================================================================================
process    rlimits, uid nobody when root; with user namespaces (on by default where the
           kernel allows): own pid/net/ipc/uts namespaces, read-only mounts, private /tmp
bwrap      bubblewrap: every namespace new, only /usr and the toolchain visible read-only,
           private /tmp, no capabilities, uid nobody; plus the same rlimits
docker     a single-use container per job from a warm pool: no network, read-only root,
           cgroup memory and pids limits, uid nobody; plus the same rlimits
warm-bwrap Python only: a bubblewrap sandbox per worker kept warm with a pre-forked
           interpreter; each job a fresh child with its own limits, uid and work dir,
           everything it leaves behind killed (see `sandboxes.warm`)
=========  =================================================================================

Cost per job (2-core VM, Python 3.11; p50 over 50 runs interleaved with the bare baseline,
in three sessions on a machine others were loading: wall times moved with the load, CPU
per job did not):

==========================  ==================  =====================  =====================
job                         bare (no sandbox)   process                bwrap
==========================  ==================  =====================  =====================
``print(1)`` in Python      10 ms, 10 ms CPU    30-32 ms, 26-29 CPU    30-36 ms, 28-31 CPU
trivial C, compile + run    36-39 ms            55-63 ms, 52-56 CPU    57-64 ms, 54-59 CPU
==========================  ==================  =====================  =====================

p99: 50-160 ms. The ~20 ms per job is the launcher's interpreter start (10 ms) and the
namespaces' creation and teardown. ``run_many`` with 2 workers: 36-62 Python jobs/s, about
25 C jobs/s. The caller's size does not matter: the launcher starts by ``vfork`` (see
`supervise.Launch`), so a trainer holding gigabytes pays the same.

Every backend runs the same launcher (``_child.py``) inside its sandbox, which compiles
(C, C++) and runs the program under rlimits and reports to a supervisor outside
(``supervise.py``: the status rules and who enforces which limit). Languages and their
commands: ``languages.py``.

A long-lived program talked to over its stdin and stdout (a proof assistant's
read-eval-print loop) runs in the same bubblewrap sandbox as a `SandboxSession`
(``session.py``).

Errors (raised for the caller's mistakes and the machine's, never for the program's)::

    SandboxError              an unknown backend name, a bad option
    ├── SandboxUnavailable    this backend cannot run here (no bwrap, no engine, ...)
    └── SessionClosed         a session's program has exited and cannot answer
"""

from sandboxes.base import Executor, SandboxError, SandboxUnavailable
from sandboxes.bwrap import BwrapExecutor
from sandboxes.docker import DockerExecutor
from sandboxes.job import Execution, Job, Language, Limits, RunStatus
from sandboxes.process import ProcessExecutor
from sandboxes.select import BackendInfo, default_executor, describe_backends, get_executor
from sandboxes.session import SandboxSession, SessionClosed
from sandboxes.warm import WarmProcessExecutor, WarmPythonExecutor, warm_executor

__all__ = [
    "BackendInfo",
    "BwrapExecutor",
    "DockerExecutor",
    "Execution",
    "Executor",
    "Job",
    "Language",
    "Limits",
    "ProcessExecutor",
    "RunStatus",
    "SandboxError",
    "SandboxSession",
    "SandboxUnavailable",
    "SessionClosed",
    "WarmProcessExecutor",
    "WarmPythonExecutor",
    "default_executor",
    "describe_backends",
    "get_executor",
    "warm_executor",
]
