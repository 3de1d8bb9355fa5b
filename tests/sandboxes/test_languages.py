"""Each language builds and runs in every backend; statuses and exit codes pass through."""

from __future__ import annotations

import sys
import time

import pytest

from sandboxes import BwrapExecutor, Job, Language, Limits, ProcessExecutor, RunStatus
from sandboxes.languages import COMPILE_LIMITS, Toolchain, plan

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the sandboxes need Linux"
)


def _needs(executor, tool: str) -> None:
    if getattr(getattr(executor, "toolchain", None), tool, "") is None:
        pytest.skip(f"no {tool} for the {executor.name} backend here")


C_ECHO = """
#include <stdio.h>
#include <math.h>
int main(int argc, char **argv) {
    int x;
    if (scanf("%d", &x) != 1) return 2;
    printf("%d %s %.0f\\n", 2 * x, argc > 1 ? argv[1] : "-", sqrt(81.0));
    return 3;
}
"""


def test_c_runs_with_stdin_and_argv_and_its_exit_code(executor, run):
    _needs(executor, "cc")
    result = run(C_ECHO, language=Language.C, stdin="21\n", argv=("arg",))
    assert result.status is RunStatus.OK and result.exit_code == 3, result
    assert result.stdout == b"42 arg 9\n"


def test_c_segfault_is_killed_with_sigsegv(executor, run):
    _needs(executor, "cc")
    result = run("int main(void) { volatile int *p = 0; return *p; }", language=Language.C)
    assert result.status is RunStatus.KILLED and result.exit_code == -11, result
    assert "SIGSEGV" in result.detail


def test_c_compile_error_is_an_error_with_the_compilers_message(executor, run):
    _needs(executor, "cc")
    result = run("int main(void) { return undeclared; }", language=Language.C)
    assert result.status is RunStatus.ERROR and result.exit_code is None, result
    assert "undeclared" in result.detail and "error" in result.detail


def test_c_writing_past_the_file_size_limit_is_output_limit(executor, run):
    _needs(executor, "cc")
    source = """
#include <stdio.h>
int main(void) {
    static char block[1 << 20];
    FILE *f = fopen("big", "wb");
    for (int i = 0; i < 64; i++) fwrite(block, 1, sizeof block, f);
    fclose(f);
    return 0;
}
"""
    result = run(source, language=Language.C)
    assert result.status is RunStatus.OUTPUT_LIMIT and result.exit_code == -25, result


def test_cpp_runs(executor, run):
    _needs(executor, "cxx")
    source = """
#include <algorithm>
#include <iostream>
#include <vector>
int main() {
    std::vector<int> v{3, 1, 2};
    std::sort(v.begin(), v.end());
    for (int x : v) std::cout << x;
    std::cout << std::endl;
}
"""
    result = run(source, language=Language.CPP)
    assert result.ok and result.stdout == b"123\n", result


def test_cpp_bad_alloc_is_status_memory(executor, run):
    _needs(executor, "cxx")
    source = """
#include <vector>
int main() {
    std::vector<std::vector<char>> blocks;
    while (true) blocks.emplace_back(10 << 20, 'x');
}
"""
    result = run(source, language=Language.CPP)
    assert result.status is RunStatus.MEMORY, result


def test_multi_file_c_program(executor, limits):
    _needs(executor, "cc")
    files = {
        "main.c": '#include "util.h"\n#include <stdio.h>\n'
        'int main(void) { printf("%d\\n", twice(4)); }',
        "util.h": "int twice(int x);",
        "util.c": "int twice(int x) { return 2 * x; }",
    }
    result = executor.run(Job(files=files, language=Language.C, limits=limits))
    assert result.ok and result.stdout == b"8\n", result


def test_javascript_runs_and_passes_its_exit_code(executor, run):
    _needs(executor, "node")
    source = "const lines = require('fs').readFileSync(0, 'utf8').trim().split('\\n');\n"
    source += "console.log(lines.map(Number).reduce((a, b) => a + b));\nprocess.exit(4);\n"
    result = run(source, language=Language.JAVASCRIPT, stdin="1\n2\n3\n")
    assert result.status is RunStatus.OK and result.exit_code == 4, result
    assert result.stdout == b"6\n"


def test_javascript_runs_with_few_processes(executor, run):
    _needs(executor, "node")
    result = run("console.log(1)", language=Language.JAVASCRIPT, limits=Limits(processes=1))
    assert result.ok and result.stdout == b"1\n", result


def test_javascript_infinite_loop_times_out(executor, run):
    _needs(executor, "node")
    started = time.monotonic()
    limits = Limits(wall_seconds=1, cpu_seconds=1, memory_mb=256)
    result = run("for (;;) {}", language=Language.JAVASCRIPT, limits=limits)
    assert result.status is RunStatus.TIMEOUT, result
    assert time.monotonic() - started < 2.5


def test_javascript_heap_bomb_is_status_memory(executor, run):
    _needs(executor, "node")
    source = "const a = [];\nfor (;;) a.push(new Array(1e6).fill(Math.random()));\n"
    result = run(source, language=Language.JAVASCRIPT)
    assert result.status is RunStatus.MEMORY, result


def test_python_stdin_argv_and_exit_code(run):
    source = "import sys\nprint(input()[::-1], sys.argv[1:])\nexit(5)\n"
    result = run(source, stdin="abc\n", argv=("x", "y"))
    assert result.status is RunStatus.OK and result.exit_code == 5, result
    assert result.stdout == b"cba ['x', 'y']\n"


def test_python_uncaught_exception_is_exit_code_one(run):
    result = run("raise ValueError('nope')")
    assert result.status is RunStatus.OK and result.exit_code == 1
    assert b"ValueError: nope" in result.stderr


def test_python_multi_file_program_imports_its_sibling(executor, limits):
    files = {
        "main.py": "import helper\nprint(helper.twice(21))",
        "helper.py": "twice = lambda x: 2 * x",
    }
    result = executor.run(Job(files=files, limits=limits))
    assert result.ok and result.stdout == b"42\n", result


def test_python_ignores_the_environment_and_user_site(run, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/nonexistent")
    monkeypatch.setenv("PYTHONSTARTUP", "/nonexistent")
    result = run("import sys, site\nprint(sys.flags.ignore_environment, sys.flags.no_user_site)")
    assert result.ok and result.stdout == b"1 1\n", result


def test_large_stdin_that_is_never_read_does_not_block(run):
    result = run("print('fine')", stdin=b"x" * (8 << 20))
    assert result.ok and result.stdout == b"fine\n", result


def test_large_stdin_is_read_whole(run):
    result = run("import sys\nprint(len(sys.stdin.buffer.read()))", stdin=b"x" * (8 << 20))
    assert result.ok and result.stdout == b"8388608\n", result


def test_run_many_keeps_the_input_order(executor, limits):
    jobs = [
        Job(source=f"import time\ntime.sleep(0.0{9 - i})\nprint({i})", limits=limits)
        for i in range(6)
    ]
    results = executor.run_many(jobs, workers=2)
    assert [result.stdout for result in results] == [f"{i}\n".encode() for i in range(6)]


@pytest.mark.parametrize("backend", [ProcessExecutor, BwrapExecutor], ids=lambda cls: cls.name)
def test_a_compiler_bomb_stops_at_the_compile_time_limit(backend):
    if backend.available() is not None:
        pytest.skip(backend.available())
    executor = backend(compile_limits=Limits(wall_seconds=1, cpu_seconds=1, memory_mb=512))
    if executor.toolchain.cc is None:
        pytest.skip("no C compiler here")
    started = time.monotonic()
    result = executor.run(Job(source='#include "/dev/zero"\n', language=Language.C))
    assert result.status is RunStatus.ERROR, result
    assert "compilation" in result.detail
    assert time.monotonic() - started < 3.5


def test_a_missing_toolchain_is_an_error_that_names_the_tool():
    executor = ProcessExecutor(
        toolchain=Toolchain(ProcessExecutor().toolchain.python, None, None, None)
    )
    result = executor.run(Job(source="int main(void){}", language=Language.C))
    assert result.status is RunStatus.ERROR and "gcc" in result.detail


def test_plan_commands():
    toolchain = Toolchain("/usr/bin/python3", "/usr/bin/gcc", "/usr/bin/g++", "/usr/bin/node")
    python = plan(Job(source="", argv=("a",)), toolchain)
    assert python.compile_argv is None
    assert python.run_argv == ("/usr/bin/python3", "-E", "-s", "-B", "main.py", "a")
    c = plan(Job(files={"main.c": "", "x.c": "", "x.h": ""}, language=Language.C), toolchain)
    assert c.compile_argv == (
        "/usr/bin/gcc",
        "-O2",
        "-std=c17",
        "-pipe",
        "-o",
        "main",
        "main.c",
        "x.c",
        "-lm",
    )
    assert c.run_argv == ("./main",)
    cpp = plan(Job(source="", language=Language.CPP), toolchain)
    assert cpp.compile_argv is not None and "-std=c++17" in cpp.compile_argv
    js = plan(Job(source="", language=Language.JAVASCRIPT, limits=Limits(memory_mb=300)), toolchain)
    assert js.run_argv == ("/usr/bin/node", "--max-old-space-size=300", "main.js")
    assert js.extra_address_space_mb == 1024 and js.extra_processes == 10
    assert COMPILE_LIMITS.wall_seconds == 30
