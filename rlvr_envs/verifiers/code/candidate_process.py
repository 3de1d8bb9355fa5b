"""The candidate's process in a function-test job, and the value encoding both sides share.

Part of the harness (`rlvr_envs.verifiers.code.harness`): it runs in the sandbox and
imports only the standard library. The harness imports it for `encode` and `decode`, and
runs it as its child (a fresh interpreter)::

    python -I .../candidate_process.py

with /dev/null as stdin, two capture pipes as stdout and stderr, and the protocol pipes as
fds 3 (requests) and 4 (answers); nothing else. The child reads the program and the
entry point's name, compiles and runs the program in a namespace of its own (as module
``__candidate__``: a ``if __name__ == "__main__":`` block does not run), then answers calls
of the entry point until its request pipe closes. It imports only what it needs, so it
starts in about 15 ms.

Nothing this process sends is trusted: the candidate's code runs here and may replace any
of it. What keeps the verdict honest is that the harness reads answers with `decode`,
which builds new plain values from the wire, so no object of the candidate's ever
reaches a comparison.

Wire format (both directions): a 4-byte big-endian length, then that many bytes of UTF-8
JSON: an object. Values are a tagged JSON tree: None, bool, str and list as themselves;
``{"i": hex}`` an int, ``{"f": repr}`` a float, ``{"y": hex}`` bytes, ``{"t": [...]}`` a
tuple, ``{"d": [[key, value], ...]}`` a dict, ``{"s": [...]}`` a set, ``{"z": [...]}`` a
frozenset, ``{"r": [start, stop, step]}`` a range, ``{"n": [...]}`` an iterator (a
generator, ``map``, ``filter``...: its items, read to the end, arrive as an iterator over
them, so ``list(candidate(x))`` works and ``candidate(x) == [...]`` is false, as it is
in-process).
"""

from __future__ import annotations

import builtins
import json
import os
import struct
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is not imported at run time: it costs the child's start-up
    from typing import Any, BinaryIO

MAX_MESSAGE_BYTES = 16 << 20
"""Largest message either side accepts; a bigger return value fails its test."""
MAX_DEPTH = 100
"""Deepest nesting of a value sent either way."""
MAX_ITEMS = 1_000_000
"""Most values (containers and scalars) in one encoded value."""
TEXT_CHARS = 300
"""Longest message (an exception's text) sent or reported."""
REQUESTS_FD = 3
ANSWERS_FD = 4
HEADER = struct.Struct(">I")
PLAIN_NAMES = "None, bool, int, float, str, bytes, list, tuple, dict, set and frozenset"
_HEX_DIGITS = frozenset("0123456789abcdef")


class Uncheckable(Exception):
    """A value that is not plain data (or too big, or too deep) to send."""


class ProtocolError(Exception):
    """A message that is not what the protocol allows."""


def encode(value: Any) -> Any:
    """The wire tree of `value`; raises `Uncheckable` for anything but plain data.

    Instances of subclasses of the plain types (a ``Counter``, a namedtuple, an
    ``IntEnum``) are sent as the plain value their base type stores, read by the base
    type's own methods, never the subclass's overrides; numpy scalars as ``.item()``;
    iterators as their items (at most `MAX_ITEMS`).
    """
    count = 0

    def walk(item: Any, depth: int) -> Any:
        nonlocal count
        count += 1
        if count > MAX_ITEMS:
            raise Uncheckable(f"the value holds more than {MAX_ITEMS:,} items")
        if depth > MAX_DEPTH:
            raise Uncheckable(f"the value is nested deeper than {MAX_DEPTH} levels")
        kind = type(item)
        if item is None or kind is bool or kind is str:
            return item
        if kind is int:
            return {"i": format(item, "x")}
        if kind is float:
            return {"f": repr(item)}
        if kind is bytes:
            return {"y": item.hex()}
        if kind is list:
            return [walk(element, depth + 1) for element in item]
        if kind is tuple:
            return {"t": [walk(element, depth + 1) for element in item]}
        if kind is dict:
            return {"d": [[walk(k, depth + 1), walk(v, depth + 1)] for k, v in item.items()]}
        if kind is set:
            return {"s": [walk(element, depth + 1) for element in item]}
        if kind is frozenset:
            return {"z": [walk(element, depth + 1) for element in item]}
        if kind is range:
            return {"r": [walk(item.start, depth), walk(item.stop, depth), walk(item.step, depth)]}
        if hasattr(kind, "__next__") and hasattr(kind, "__iter__"):
            return {"n": [walk(element, depth + 1) for element in item]}
        return walk(_plain_base(item), depth)

    return walk(value, 0)


def _plain_base(value: Any) -> Any:
    readers = (
        (int, int.__int__),
        (float, float.__float__),
        (str, str.__str__),
        (bytes, bytes.__bytes__),
        (list, lambda v: list(list.__iter__(v))),
        (tuple, lambda v: tuple(tuple.__iter__(v))),
        (dict, lambda v: dict(dict.items(v))),
        (frozenset, lambda v: frozenset(frozenset.__iter__(v))),
        (set, lambda v: set(set.__iter__(v))),
    )
    try:
        for base, read in readers:
            if isinstance(value, base):
                plain = read(value)
                if type(plain) is base:
                    return plain
                break
        numpy = sys.modules.get("numpy")
        if numpy is not None and isinstance(value, numpy.generic):
            plain = value.item()
            if type(plain) in (bool, int, float, str, bytes):
                return plain
    except Exception as exc:
        raise Uncheckable(f"its value could not be read: {type(exc).__name__}") from None
    raise Uncheckable(f"the value is a {type_name(value)}; only {PLAIN_NAMES} can be checked")


def decode(tree: Any, depth: int = 0) -> Any:
    """New plain values from a wire tree; raises `ProtocolError` for anything else."""
    if depth > MAX_DEPTH + 1:
        raise ProtocolError("a value nested too deep")
    kind = type(tree)
    if tree is None or kind is bool or kind is str:
        return tree
    if kind is list:
        return [decode(element, depth + 1) for element in tree]
    if kind is not dict or len(tree) != 1:
        raise ProtocolError(f"an unexpected {kind.__name__} in a value")
    ((tag, body),) = tree.items()
    try:
        if tag == "i" and type(body) is str and _is_hex(body.removeprefix("-")):
            return int(body, 16)
        if tag == "f" and type(body) is str and len(body) <= 64:
            return float(body)
        if tag == "y" and type(body) is str:
            return bytes.fromhex(body)
        if type(body) is list:
            if tag == "t":
                return tuple(decode(element, depth + 1) for element in body)
            if tag == "s":
                return {decode(element, depth + 1) for element in body}
            if tag == "z":
                return frozenset(decode(element, depth + 1) for element in body)
            if tag == "d":
                return dict(_pair(pair, depth) for pair in body)
            if tag == "n":
                return iter([decode(element, depth + 1) for element in body])
            if tag == "r" and len(body) == 3:
                bounds = [decode(bound, depth + 1) for bound in body]
                if all(type(bound) is int for bound in bounds):
                    return range(*bounds)
    except (ValueError, TypeError) as exc:  # bad digits, an unhashable key or element
        raise ProtocolError(f"a malformed {tag!r} value: {exc}") from None
    raise ProtocolError(f"an unknown value tag {tag!r}")


def _is_hex(digits: str) -> bool:
    return bool(digits) and _HEX_DIGITS.issuperset(digits)


def _pair(pair: Any, depth: int) -> tuple[Any, Any]:
    if type(pair) is not list or len(pair) != 2:
        raise ProtocolError("a malformed dict entry")
    return decode(pair[0], depth + 1), decode(pair[1], depth + 1)


def pack(message: dict[str, Any]) -> bytes:
    """One message on the wire; raises `Uncheckable` past `MAX_MESSAGE_BYTES`."""
    payload = json.dumps(message, separators=(",", ":")).encode("utf-8")
    if len(payload) > MAX_MESSAGE_BYTES:
        raise Uncheckable(f"the value takes more than {MAX_MESSAGE_BYTES >> 20} MB to send")
    return HEADER.pack(len(payload)) + payload


def unpack(payload: bytes) -> dict[str, Any]:
    """The message in `payload`; raises `ProtocolError` unless it is a JSON object."""
    try:
        message = json.loads(payload.decode("utf-8"), parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"a message that is not JSON: {type(exc).__name__}") from None
    if type(message) is not dict:
        raise ProtocolError("a message that is not a JSON object")
    return message


def _no_constants(name: str) -> Any:
    raise ValueError(f"JSON constant {name} is not allowed")


def type_name(value: Any) -> str:
    kind = type(value)
    name = f"{kind.__module__}.{kind.__qualname__}"
    return name.removeprefix("builtins.")[:80]


def clip(text: str, limit: int = TEXT_CHARS) -> str:
    """One line of at most `limit` characters, valid UTF-8 (no lone surrogates)."""
    text = " ".join(text.encode("utf-8", "replace").decode("utf-8").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_exception(exc: BaseException, *, where: str | None = None) -> str:
    """``Type: message``, and with `where` the last line of that file the error passed."""
    try:
        text = f"{type(exc).__name__}: {exc}"
    except BaseException:
        text = f"{type(exc).__name__} (unprintable)"
    if where is not None:
        line, trace = None, exc.__traceback__
        while trace is not None:
            if trace.tb_frame.f_code.co_filename == where:
                line = trace.tb_lineno
            trace = trace.tb_next
        if line is not None:
            text += f" (line {line})"
    return clip(text)


# ---------------------------------------------------------------------------------------
# The child itself. Everything below runs in the candidate's process.


def serve() -> None:
    """Load the program, then answer calls until the request pipe closes."""
    requests = os.fdopen(REQUESTS_FD, "rb", buffering=0)

    def receive() -> dict[str, Any] | None:
        header = _read_exactly(requests, HEADER.size)
        if header is None:
            return None
        payload = _read_exactly(requests, HEADER.unpack(header)[0])
        return None if payload is None else unpack(payload)

    def reply(message: dict[str, Any]) -> None:
        data = memoryview(pack(message))
        while data:
            data = data[os.write(ANSWERS_FD, data) :]

    load = receive()
    if load is None:
        return
    try:
        code = compile(load["program"], "<candidate>", "exec")
    except (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError) as exc:
        reply({"load": "syntax_error", "error": _describe_syntax_error(exc)})
        return
    namespace = {"__name__": "__candidate__", "__builtins__": builtins}
    try:
        exec(code, namespace)
    except BaseException as exc:
        reply({"load": "error", "error": describe_exception(exc, where="<candidate>")})
        return
    function = namespace.get(load["entry_point"])
    if not callable(function):
        missing = f"the program defines no function {load['entry_point']!r}"
        reply({"load": "missing", "error": missing})
        return
    reply({"load": "ok"})
    while (call := receive()) is not None:
        seq = call["seq"]
        try:
            result = function(*decode(call["args"]), **decode(call["kwargs"]))
        except BaseException as exc:
            reply({"seq": seq, "raised": [type(exc).__name__, describe_exception(exc)]})
            continue
        try:
            reply({"seq": seq, "value": encode(result)})
        except Uncheckable as exc:
            reply({"seq": seq, "uncheckable": str(exc)})
        except BaseException as exc:
            reply({"seq": seq, "uncheckable": f"it could not be read: {type(exc).__name__}"})


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def _describe_syntax_error(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        where = f" (line {exc.lineno})" if exc.lineno else ""
        return clip(f"{type(exc).__name__}: {exc.msg}{where}")
    return f"{type(exc).__name__}: the program cannot be compiled"


if __name__ == "__main__":
    serve()
