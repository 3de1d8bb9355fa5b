"""Every ``assert`` of the trusted test code made a test of its own: recorded, and passed over.

The host rewrites each problem's test code once (`prepared`), and the harness
(`rlvr_envs.verifiers.code.harness`) compiles the source it is sent. Where the rewritten
tree does not read back the same from its source, this module ships with the harness,
which rewrites the test code itself; so it imports only the standard library.
`AssertRewriter` turns::

    assert candidate(x) == 3, "message"

into code that evaluates both sides (left first, as Python does), compares them, and calls
the `recorder.Recorder` with the outcome instead of raising, so the test code goes on to
its next assert; an assert inside a loop is a test per iteration. An exception while
evaluating the assert (the candidate raised, timed out, returned something the test cannot
use) fails that test only. The recorded reason of a failed comparison shows both values (``5 == 6 is
false``); with a message, the message too.

An assert of a true constant (``assert True, "..."``, common in HumanEval) checks
nothing about the candidate and is dropped, so it never earns partial credit.
"""

from __future__ import annotations

import ast

from rlvr_envs.verifiers.code.candidate_process import clip

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SITE_CHARS = 160
"""Longest test name (the assert's source text)."""

_CHECK = """
try:
CAPTURE    _rlvr_ok_ = True if COND else False
except Exception as _rlvr_error_:
    _rlvr_record_(SITE, False, None, _rlvr_error_, None)
else:
    if _rlvr_ok_:
        _rlvr_record_(SITE, True, None, None, None)
    else:
        try:
            _rlvr_message_ = MESSAGE
        except Exception:
            _rlvr_message_ = None
        _rlvr_record_(SITE, False, _rlvr_message_, None, COMPARED)
"""
# A comparison keeps both sides, evaluated once, to show them when it fails.
_COMPARE = _CHECK.replace("CAPTURE", "    _rlvr_left_ = LEFT\n    _rlvr_right_ = RIGHT\n").replace(
    "COMPARED", "(_rlvr_left_, OP, _rlvr_right_)"
)
_PLAIN = _CHECK.replace("CAPTURE", "").replace("COMPARED", "None")
_OPERATORS = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}


class _Substitute(ast.NodeTransformer):
    def __init__(self, names: dict[str, ast.expr]) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.expr:
        found = self.names.get(node.id)
        if found is None:
            return node
        if isinstance(found, ast.Constant):  # a fresh node per use
            return ast.copy_location(ast.Constant(found.value), node)
        return found


class AssertRewriter(ast.NodeTransformer):
    """Rewrites each ``assert`` (see the module docstring); `sites` holds their texts."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sites: list[str] = []

    def visit_Assert(self, node: ast.Assert) -> ast.stmt:
        if isinstance(node.test, ast.Constant) and node.test.value:
            return ast.copy_location(ast.Pass(), node)
        site = len(self.sites)
        text = ast.get_source_segment(self.source, node) or ast.unparse(node)
        self.sites.append(clip(text, SITE_CHARS))
        names: dict[str, ast.expr] = {
            "SITE": ast.Constant(site),
            "MESSAGE": node.msg if node.msg is not None else ast.Constant(None),
        }
        test = node.test
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            names["LEFT"] = test.left
            names["RIGHT"] = test.comparators[0]
            names["OP"] = ast.Constant(_OPERATORS[type(test.ops[0])])
            names["COND"] = ast.Compare(
                left=ast.Name("_rlvr_left_", ast.Load()),
                ops=test.ops,
                comparators=[ast.Name("_rlvr_right_", ast.Load())],
            )
            template = _COMPARE
        else:
            names["COND"] = test
            template = _PLAIN
        (statement,) = ast.parse(template).body
        for part in ast.walk(statement):  # the template's own nodes report the assert's line
            ast.copy_location(part, node)
        return _Substitute(names).visit(statement)


def imported_modules(tree: ast.Module) -> list[str]:
    """Every module the code imports (absolute imports, at any depth), in order; with
    ``from a import b`` both ``a`` and ``a.b``, for ``b`` may be a module."""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return list(dict.fromkeys(names))


def instrument(source: str) -> tuple[ast.Module, list[str], bool]:
    """The rewritten test code, its assert sites, and whether it defines ``check``.

    Raises:
        SyntaxError, ValueError: the test code does not compile.
    """
    tree = ast.parse(source, "<tests>")
    defines_check = any(
        isinstance(node, ast.FunctionDef) and node.name == "check" for node in tree.body
    )
    rewriter = AssertRewriter(source)
    tree = ast.fix_missing_locations(rewriter.visit(tree))
    return tree, rewriter.sites, defines_check


def prepared(source: str) -> dict[str, Any] | None:
    """The test code as the harness takes it from the host, rewritten once: ``source``
    (the rewritten code, `ast.unparse`), ``sites``, ``defines_check`` (see `instrument`)
    and ``imports`` (`imported_modules`). None when the code does not compile, or its
    rewritten tree does not read back the same from that source: the harness then
    rewrites the original itself (and reports what is wrong with it)."""
    try:
        tree, sites, defines_check = instrument(source)
        text = ast.unparse(tree)
        if ast.dump(ast.parse(text)) != ast.dump(tree):
            return None
    except (SyntaxError, ValueError, RecursionError):
        return None
    imports = imported_modules(tree)
    return {"source": text, "sites": sites, "defines_check": defines_check, "imports": imports}
