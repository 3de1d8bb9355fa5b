"""Record formats of common datasets, adapted to problems with a reference.

A file dataset's ``format`` says how to read each record (JSONL line or ``datasets`` row):

===========  ==========================  ==============================================
format       record                      reference (put in the field ``answer``)
===========  ==========================  ==============================================
``records``  any fields                  the ``reference_field`` as it is (the default)
``gsm8k``    ``{"question", "answer"}``  what follows the last ``####`` of ``answer``,
                                         stripped, thousands separators removed
                                         (``#### 1,200`` gives ``1200``); the worked
                                         solution moves to the field ``solution``
``math``     ``{"problem", "solution",   the content of the last ``\\boxed{...}`` (or
             "level", "type"}``          ``\\fbox{...}``) of ``solution``, braces
                                         balanced; ``level`` and ``type`` also go to
                                         the problem's metadata
``mbpp``     ``{"text" or "prompt",      a function test spec in mode ``full`` (the
             "code"?, "test_list",       response is a whole program): the asserts of
             "test_setup_code"?,         ``test_list``, after ``test_imports`` and
             "test_imports"?,            ``test_setup_code``; the entry point is
             "entry_point"?}``           ``entry_point``, else inferred (see below)
``io``       ``{"problem" or "question", a stdin/stdout test spec in the record's
             "tests": [{"stdin",         ``language`` (``python``, ``c``, ``cpp``,
             "expected_output"}],        ``javascript``), default ``python``;
             "language"?}``              ``io-c``, ``io-cpp``, ``io-javascript``: the
                                         same with another default language
``proof``    ``{"statement",             the statement (a theorem to prove); also
             "preamble"?}`` or miniF2F   miniF2F's ``formal_statement``/``header``
             ``{"formal_statement"}``    (see `rlvr_envs.sources.proof_records`)
===========  ==========================  ==============================================

A record without its final answer (no ``####``, no box, an empty one, an unclosed brace)
is a `DatasetError` naming the file and line. The other fields are kept as they are, so a
prompt can use ``{question}`` (GSM8K) or ``{problem}`` (MATH).

Code formats
------------

Their reference is the test spec a code verifier runs (`rlvr_envs.verifiers.code`)::

    {"kind": "function", "prompt": "", "entry_point": "add", "mode": "full",
     "test": "import math\nassert add(1, 2) == 3\n..."}
    {"kind": "io", "language": "python",
     "tests": [{"stdin": "1 2\n", "expected_output": "3\n"}, ...]}

``mbpp``: ``text`` is the task (copied from ``prompt`` when the record has no ``text``, as
in MBPP's sanitized set), and ``prompt`` becomes what MBPP's papers show a model: the task,
then its first test as an example that names the function::

    Write a function to add two numbers.
    Your code should pass this test:

    assert add(1, 2) == 3

The entry point, unless the record names it in ``entry_point``, is the first function the
first test calls that ``code`` (the reference solution) defines; without ``code``, the first
called name that is not a Python builtin. ``test_list`` must be a non-empty list of Python
statements (each parsed); ``entry_point`` is also set on the record.

``io``: ``problem`` is the statement (copied from ``question`` when there is none);
``tests`` a non-empty list of ``{"stdin": text, "expected_output": text}`` and nothing
else. The record's ``language`` is set to the spec's (``c++``, ``py``, ``js`` are read as
``cpp``, ``python``, ``javascript``), and ``language_name`` to its display name
(``Python``, ``C``, ``C++``, ``JavaScript``), so a prompt can say
``Write a {language_name} program``; ``language`` also goes to the metadata.

A record that breaks these rules is a `DatasetError` naming the file, the line and the
field.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args

from rlvr_envs.errors import DatasetError
from rlvr_envs.sources.proof_records import adapt_proof_record
from rlvr_envs.verifiers.math.braces import closing_brace

__all__ = [
    "CODE_LANGUAGES",
    "RECORD_FORMATS",
    "RecordFormat",
    "adapt_record",
    "code_language",
    "gsm8k_final_answer",
    "io_language",
    "io_tests",
    "last_boxed",
    "mbpp_entry_point",
    "mbpp_prompt",
    "metadata_fields",
]

RecordFormat = Literal[
    "records", "gsm8k", "math", "mbpp", "io", "io-c", "io-cpp", "io-javascript", "proof"
]
RECORD_FORMATS: tuple[str, ...] = get_args(RecordFormat)

CODE_LANGUAGES: dict[str, str] = {
    "python": "Python",
    "c": "C",
    "cpp": "C++",
    "javascript": "JavaScript",
}
"""The languages of stdin/stdout problems, and the names prompts show for them."""
_LANGUAGE_ALIASES = {"py": "python", "python3": "python", "c++": "cpp", "js": "javascript"}
_IO_DEFAULT_LANGUAGE = {"io": "python", "io-c": "c", "io-cpp": "cpp", "io-javascript": "javascript"}
_IO_TEST_KEYS = ("stdin", "expected_output")
_BUILTIN_NAMES = frozenset(dir(builtins))

_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")
# A comma between digit groups: 1,234,567 -> 1234567 (but not 1,2 or a list "3, 4").
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_METADATA_FIELDS: dict[str, tuple[str, ...]] = {
    "math": ("level", "type"),
    **{name: ("language",) for name in _IO_DEFAULT_LANGUAGE},
}


def gsm8k_final_answer(solution: str) -> str | None:
    """What follows the last ``####`` of a GSM8K answer, without thousands separators;
    None when there is no ``####`` or nothing follows it."""
    _, marker, tail = solution.rpartition("####")
    if not marker:
        return None
    answer = _THOUSANDS.sub("", tail.strip())
    return answer or None


def last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` or ``\\fbox{...}`` in `text`, stripped.

    Braces nest (``\\boxed{\\frac{1}{2}}`` gives ``\\frac{1}{2}``); escaped braces ``\\{``
    ``\\}`` do not count. Returns None when there is no box.

    Raises:
        ValueError: the last box is never closed.
    """
    matches = list(_BOXED.finditer(text))
    if not matches:
        return None
    start = matches[-1].end()  # just after the box's opening brace
    close = closing_brace(text, start - 1)
    if close is not None:
        return text[start:close].strip()
    raise ValueError(f"its last {matches[-1].group().rstrip('{').strip()}{{ is never closed")


def code_language(name: str) -> str | None:
    """The canonical name of a language of `CODE_LANGUAGES` (``C++`` gives ``cpp``), or None."""
    lowered = name.strip().lower()
    lowered = _LANGUAGE_ALIASES.get(lowered, lowered)
    return lowered if lowered in CODE_LANGUAGES else None


def mbpp_entry_point(tests: Sequence[str], code: str | None = None) -> str | None:
    """The function MBPP-style tests check: the first function the first test calls that
    `code` defines at its top level; without `code` (or when it defines none of them), the
    first called name that is not a Python builtin. None when there is none.

    Raises:
        SyntaxError: the first test or `code` is not valid Python.
    """
    if not tests:
        return None
    calls = sorted(
        (
            node
            for node in ast.walk(ast.parse(tests[0]))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        ),
        key=lambda node: (node.lineno, node.col_offset),
    )
    called = [node.func.id for node in calls if isinstance(node.func, ast.Name)]
    if code is not None:
        defined = _top_level_names(ast.parse(code))
        for name in called:
            if name in defined:
                return name
    return next((name for name in called if name not in _BUILTIN_NAMES), None)


def mbpp_prompt(text: str, first_test: str) -> str:
    """The task text with its first test as an example, as MBPP's papers prompt a model."""
    return f"{text.rstrip()}\nYour code should pass this test:\n\n{first_test.strip()}"


def _top_level_names(module: ast.Module) -> set[str]:
    names: set[str] = set()
    for statement in module.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(statement.name)
        elif isinstance(statement, ast.Assign):
            names.update(t.id for t in statement.targets if isinstance(t, ast.Name))
    return names


def metadata_fields(record_format: RecordFormat) -> tuple[str, ...]:
    """The record fields a format also reports in a problem's metadata."""
    return _METADATA_FIELDS.get(record_format, ())


def adapt_record(record_format: RecordFormat, record: Mapping[str, Any], where: str) -> dict:
    """The record as a problem's fields: with the reference in ``answer`` for a format
    that extracts one. Raises `DatasetError` naming `where` for a record without one."""
    if record_format == "records":
        return dict(record)
    if record_format == "gsm8k":
        solution = _text_field(record, "answer", where, "GSM8K")
        final = gsm8k_final_answer(solution)
        if final is None:
            raise DatasetError(
                f"{where}: GSM8K record has no final answer: field 'answer' must end with "
                f"'#### <answer>', got {_excerpt(solution)}"
            )
        return {**record, "answer": final, "solution": solution}
    if record_format == "math":
        solution = _text_field(record, "solution", where, "MATH")
        try:
            boxed = last_boxed(solution)
        except ValueError as exc:
            raise DatasetError(
                f"{where}: MATH record's field 'solution' has no complete final answer: {exc}"
            ) from None
        if not boxed:
            raise DatasetError(
                f"{where}: MATH record has no final answer: field 'solution' needs a non-empty "
                f"\\boxed{{...}}, got {_excerpt(solution)}"
            )
        return {**record, "answer": boxed}
    if record_format == "mbpp":
        return _adapt_mbpp(record, where)
    if record_format in _IO_DEFAULT_LANGUAGE:
        return _adapt_io(record, where, _IO_DEFAULT_LANGUAGE[record_format])
    if record_format == "proof":
        return adapt_proof_record(record, where)
    raise ValueError(f"unknown record format {record_format!r}")  # excluded by the spec


def _adapt_mbpp(record: Mapping[str, Any], where: str) -> dict:
    text_field = "text" if "text" in record or "prompt" not in record else "prompt"
    text = _text_field(record, text_field, where, "MBPP")
    if not text.strip():
        raise DatasetError(f"{where}: MBPP record's field {text_field!r} is empty")
    tests = record.get("test_list")
    if not isinstance(tests, list) or not tests:
        raise DatasetError(
            f"{where}: MBPP record's field 'test_list' must be a non-empty list of asserts, "
            f"got {_shown(tests) if 'test_list' in record else 'nothing'}"
        )
    for index, test in enumerate(tests):
        field = f"test_list[{index}]"
        if not isinstance(test, str) or not test.strip():
            raise DatasetError(
                f"{where}: MBPP record's field {field!r} must be a Python statement, "
                f"got {_shown(test)}"
            )
        _check_python(test, where, field)
    setup = [_setup_lines(record, where)] if record.get("test_setup_code") else []
    imports = record.get("test_imports", [])
    if not isinstance(imports, list) or not all(isinstance(i, str) for i in imports):
        raise DatasetError(
            f"{where}: MBPP record's field 'test_imports' must be a list of import lines, "
            f"got {_shown(imports)}"
        )
    code = None
    if "code" in record:
        code = _text_field(record, "code", where, "MBPP")
        _check_python(code, where, "code")
    entry_point = record.get("entry_point")
    if entry_point is None:
        entry_point = mbpp_entry_point(tests, code)
        if entry_point is None:
            raise DatasetError(
                f"{where}: MBPP record: cannot tell which function 'test_list' checks (its "
                "first test calls no function but Python's builtins); name it in 'entry_point'"
            )
    elif not isinstance(entry_point, str) or not entry_point.isidentifier():
        raise DatasetError(
            f"{where}: MBPP record's field 'entry_point' must be a function name, "
            f"got {_shown(entry_point)}"
        )
    test = "\n".join([*imports, *setup, *(t.strip() for t in tests)]) + "\n"
    return {
        **record,
        "text": text,
        "prompt": mbpp_prompt(text, tests[0]),
        "entry_point": entry_point,
        "answer": {
            "kind": "function",
            "prompt": "",
            "entry_point": entry_point,
            "test": test,
            "mode": "full",
        },
    }


def _setup_lines(record: Mapping[str, Any], where: str) -> str:
    setup = _text_field(record, "test_setup_code", where, "MBPP")
    _check_python(setup, where, "test_setup_code")
    return setup.strip()


def io_tests(tests: object) -> list[dict[str, str]]:
    """Stdin/stdout tests checked and copied: a non-empty list of ``{"stdin": text,
    "expected_output": text}`` objects and nothing else.

    Raises:
        ValueError: naming the field (``field 'tests[2].stdin' must be text, got int``).
    """
    if not isinstance(tests, list) or not tests:
        raise ValueError(
            "field 'tests' must be a non-empty list of "
            '{"stdin": ..., "expected_output": ...} objects, '
            f"got {'nothing' if tests is None else _shown(tests)}"
        )
    checked = []
    for index, test in enumerate(tests):
        field = f"tests[{index}]"
        if not isinstance(test, Mapping):
            raise ValueError(
                f"field {field!r} must be an object with 'stdin' and 'expected_output', "
                f"got {_shown(test)}"
            )
        unknown = sorted(set(test) - set(_IO_TEST_KEYS))
        if unknown:
            raise ValueError(
                f"field {field!r} has unknown key {unknown[0]!r}; "
                "a test has only 'stdin' and 'expected_output'"
            )
        for key in _IO_TEST_KEYS:
            if not isinstance(test.get(key), str):
                got = _shown(test[key]) if key in test else "nothing"
                raise ValueError(f"field '{field}.{key}' must be text, got {got}")
        checked.append({key: test[key] for key in _IO_TEST_KEYS})
    return checked


def io_language(named: object) -> str:
    """The canonical language a record's ``language`` field names.

    Raises:
        ValueError: naming the field and the languages there are.
    """
    language = code_language(named) if isinstance(named, str) else None
    if language is None:
        raise ValueError(
            f"field 'language' must be one of {list(CODE_LANGUAGES)}, got {_shown(named)}"
        )
    return language


def _adapt_io(record: Mapping[str, Any], where: str, default_language: str) -> dict:
    text_field = "problem" if "problem" in record or "question" not in record else "question"
    problem = _text_field(record, text_field, where, "io")
    if not problem.strip():
        raise DatasetError(f"{where}: io record's field {text_field!r} is empty")
    try:
        language = io_language(record["language"]) if "language" in record else default_language
        tests = io_tests(record.get("tests"))
    except ValueError as exc:
        raise DatasetError(f"{where}: io record's {exc}") from None
    return {
        **record,
        "problem": problem,
        "language": language,
        "language_name": CODE_LANGUAGES[language],
        "answer": {"kind": "io", "language": language, "tests": tests},
    }


def _check_python(source: str, where: str, field: str) -> None:
    try:
        ast.parse(source)
    except SyntaxError as exc:
        raise DatasetError(
            f"{where}: MBPP record's field {field!r} is not valid Python "
            f"(line {exc.lineno}: {exc.msg})"
        ) from None


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return _excerpt(value)
    return type(value).__name__


def _text_field(record: Mapping[str, Any], name: str, where: str, kind: str) -> str:
    if name not in record:
        raise DatasetError(
            f"{where}: {kind} record has no field {name!r} (it has {sorted(record)})"
        )
    value = record[name]
    if not isinstance(value, str):
        raise DatasetError(
            f"{where}: {kind} record's field {name!r} must be text, got {type(value).__name__}"
        )
    return value


def _excerpt(text: str, limit: int = 60) -> str:
    shown = text.strip().replace("\n", " ")
    return repr(shown if len(shown) <= limit else "..." + shown[-(limit - 3) :])
