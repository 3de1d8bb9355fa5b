"""Finding the final answer in a model response.

Reasoning is removed first: ``<think>...</think>`` (or ``<thinking>``) blocks are dropped, and
text before a lone ``</think>`` is reasoning too (the opening tag was in the prompt). An
unclosed ``<think>`` means the response never left its reasoning: no final answer.

Then the first rule that finds something decides (``auto``; ``boxed`` uses only the first):

==================  ==========================================================================
rule (source)       finds
==================  ==========================================================================
``boxed``           every ``\\boxed{...}``, ``\\fbox{...}`` and ``\\boxed 5`` (nested braces)
``answer_tag``      every ``<answer>...</answer>`` block
``hash``            every ``#### 42`` line (GSM8K style; a markdown heading is not an answer)
``final_answer``    every "final answer: x" / "the final answer is x"
``answer_phrase``   every "the answer is x" / "Answer: x" (not "if the answer is ...")
``bold``            the last ``**x**`` that looks like an answer
``whole``           a short one-line response that looks like an answer ("3110", "Monday")
``last_math``       the last ``$...$``/``\\(...\\)``/``\\[...\\]`` or bare formula or number
==================  ==========================================================================

A rule may find several answers; they are all final answers, and the grader requires every
distinct one to be right (``\\boxed{3}`` ... ``\\boxed{4}`` is wrong, ``\\boxed{3}`` twice is
fine). After a marker, the answer runs to the end of its math delimiters or of the sentence.

Every scan is linear in the response length (``str.find`` and regular expressions without
nested quantifiers); the fallback reads only the last `_TAIL` characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rlvr_envs.verifiers.math.braces import group_matches
from rlvr_envs.verifiers.math.units import is_unit_word

__all__ = ["MAX_ANSWERS", "MAX_ANSWER_CHARS", "Extraction", "extract_answers", "looks_like_answer"]

MAX_ANSWER_CHARS = 2_000
"""Longest final answer read after a marker; the grader refuses longer answers unread."""
MAX_ANSWERS = 16
"""Different final answers kept; a response with more is hedging, and wrong anyway."""
_TAIL = 4_000
_THINK = re.compile(r"<(/?)think(?:ing)?>", re.IGNORECASE)
_BOX = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")
_HASH = re.compile(r"^[ \t]*####(?!#)[ \t]*([^\n]+)", re.MULTILINE)
_FINAL = re.compile(
    r"final\s+answer\b[^.\n:$]{0,40}?(?:\bis\b\s*:?|:|=)"
    r"|^[ \t#>*_]*final\s+answer[ \t*_:.]*$",  # a heading; the answer is on the next line
    re.IGNORECASE | re.MULTILINE,
)
_PHRASE = re.compile(
    r"(?<!if )(?<!if the )(?<!whether )(?<!whether the )\b(?:the\s+)?answer\s*(?:is\b\s*:?|:|=)"
    r"(?!\s*(?:correct|right|wrong|incorrect|reasonable|consistent|valid|not|indeed|also)\b)",
    re.IGNORECASE,
)
_BOLD = re.compile(r"\*\*([^*\n]{1,200})\*\*")
_SENTENCE_END = re.compile(r"\.(?=\s|$)|(?<!\d)\.(?!\d)|[!?;\n]|,\s+(?:since|because|which|so)\b")
_MATH_RUN = re.compile(
    r"(?:\\[A-Za-z]+|\\[{}]|[0-9]|[-+(\[{|])"
    r"(?:\s?(?:\\[A-Za-z]+|\\[{}]|[0-9.,]|[-+*/^_=<>()\[\]{}|!])|[A-Za-z%'])*"
)
_DELIMITERS = (("$$", "$$"), ("\\(", "\\)"), ("\\[", "\\]"), ("$", "$"))
_JOINT = re.compile(r"[ \t]*(,)?[ \t]*(?:(and|or)\b)?[ \t]*")
_JOINT_BEFORE = re.compile(r"[ \t]*(,)?[ \t]*(?:\b(and|or))?[ \t]*$")
_SPACES = re.compile(r"[ \t]*")
_BLANK = re.compile(r"\s*")
_COMMAND_OR_TEXT = re.compile(r"\\text\s*\{[^{}]*\}|\\[A-Za-z]+")
_SHORT_WORDS = frozenset(
    "is so be to of in an at or if we it as by on no do go up he me my".split()  # noqa: SIM905
)
_CHOICE_LINE = re.compile(r"^\(?[A-J]\)")


@dataclass(frozen=True)
class Extraction:
    """The final answers of a response, or why there are none."""

    answers: tuple[str, ...]
    """Distinct final answers as written, in order (at most `MAX_ANSWERS`); empty when
    `problem` is set."""
    source: str
    """The rule that found them (see the module docstring)."""
    problem: str | None = None
    """``unclosed_think``, ``empty``, ``empty_box``, ``missing_box`` or ``no_answer``."""


def extract_answers(response: str, *, boxed_only: bool = False) -> Extraction:
    """The final answers of `response`; see the module docstring."""
    visible, unclosed = _strip_reasoning(response)
    if unclosed:
        return Extraction((), "none", "unclosed_think")
    if not visible.strip():
        return Extraction((), "none", "empty")
    boxes = _boxes(visible)
    if boxes is not None:
        found = _distinct(boxes)
        return Extraction(found, "boxed") if found else Extraction((), "boxed", "empty_box")
    if boxed_only:
        return Extraction((), "none", "missing_box")
    plain = visible.replace("**", "")
    rules = (
        ("answer_tag", lambda: _answer_tags(visible)),
        ("hash", lambda: [m[1] for m in _HASH.finditer(visible) if looks_like_answer(m[1])]),
        ("final_answer", lambda: _marked(plain, _FINAL)),
        ("answer_phrase", lambda: _marked(plain, _PHRASE)),
        ("bold", lambda: _last_bold(visible)),
        ("whole", lambda: _whole(visible)),
        ("last_math", lambda: _last_math(visible[-_TAIL:])),
    )
    for source, rule in rules:
        found = _distinct(rule())
        if found:
            return Extraction(found, source)
    return Extraction((), "none", "no_answer")


def looks_like_answer(text: str) -> bool:
    """No words but units outside LaTeX commands: ``42``, ``2xy``, ``12 dollars``; not
    ``Step 1`` or ``so it is 5``."""
    words = re.findall(r"[A-Za-z]{2,}", _COMMAND_OR_TEXT.sub(" ", text))
    return bool(text.strip()) and all(
        is_unit_word(word) or (len(word) == 2 and word.lower() not in _SHORT_WORDS)
        for word in words
    )


def _strip_reasoning(text: str) -> tuple[str, bool]:
    """The text outside ``<think>`` blocks, and whether a block is left open."""
    parts, start, hidden = [], 0, False
    for tag in _THINK.finditer(text):
        closing = bool(tag[1])
        if not hidden and not closing:
            parts.append(text[start : tag.start()])
            hidden = True
        elif closing:
            if not hidden:
                parts = []  # a lone </think>: everything before it was reasoning
            hidden = False
            start = tag.end()
    if hidden:
        return "", True
    parts.append(text[start:])
    return "".join(parts), False


def _boxes(text: str) -> list[str] | None:
    """The contents of every outermost box, or None when there is no box at all."""
    found = list(_BOX.finditer(text))
    if not found:
        return None
    matches = group_matches(text, found[0].end())
    contents, covered_until = [], -1
    for box in found:
        if box.start() < covered_until:
            continue  # a box inside a box: the outer one is the answer
        index = box.end()
        while index < len(text) and text[index] in " \t":
            index += 1
        if index < len(text) and text[index] == "{":
            end = matches.get(index)
            if end is None:
                continue  # never closed
            contents.append(text[index + 1 : end])
            covered_until = end
        else:  # \boxed 5
            token = re.match(r"[^\s$.,;]+", text[index : index + MAX_ANSWER_CHARS])
            if token:
                contents.append(token.group())
    return contents


def _answer_tags(text: str) -> list[str]:
    found, index = [], 0
    while True:
        start = text.find("<answer>", index)
        if start < 0:
            return found
        end = text.find("</answer>", start)
        if end < 0:
            return found
        found.append(text[start + len("<answer>") : end])
        index = end


def _marked(text: str, marker: re.Pattern[str]) -> list[str]:
    """The answer after each marker; an answer never runs into the next marker."""
    found = list(marker.finditer(text))
    if not found:
        return []
    ends = [match.start() for match in found[1:]] + [len(text)]
    return [_answer_after(text, match.end(), end) for match, end in zip(found, ends, strict=True)]


def _answer_after(text: str, index: int, end: int) -> str:
    """The answer following a marker ending at `index`: a math span, or the sentence's rest.

    Searches are bounded by positions (before `end`), not slices, so that many markers
    cost time in proportion to the text between them.
    """
    limit = min(end, index + MAX_ANSWER_CHARS)
    index = _SPACES.match(text, index, limit).end()  # type: ignore[union-attr]
    if text.startswith("\n", index):  # "Final answer:\n42"
        index = _BLANK.match(text, index, limit).end()  # type: ignore[union-attr]
    for opener, closer in _DELIMITERS:
        if text.startswith(opener, index):
            pieces, joiner = [], ""
            while len(pieces) < MAX_ANSWERS:  # "$x = 2$ or $x = 3$": one answer of two spans
                close = _find_unescaped(text, closer, index + len(opener), limit)
                if close < 0:
                    break
                pieces.append(joiner + text[index + len(opener) : close])
                joint = _JOINT.match(text, close + len(closer), limit)
                if not (joint[1] or joint[2]) or not text.startswith(opener, joint.end()):  # type: ignore[index]
                    break
                joiner, index = _joiner(joint[2]), joint.end()  # type: ignore[index, union-attr]
            if pieces:
                return "".join(pieces)
    end = _SENTENCE_END.search(text, index, limit)
    return text[index : end.start() if end else limit]


def _joiner(word: str | None) -> str:
    return " \\text{ or } " if word == "or" else ", "


def _find_unescaped(text: str, token: str, start: int, end: int) -> int:
    """The first `token` in ``text[start:end]`` that is not ``\\$`` (a dollar sign), or -1."""
    index = text.find(token, start, end)
    while token == "$" and index > 0 and text[index - 1] == "\\":
        index = text.find(token, index + 1, end)
    return index


def _last_bold(text: str) -> list[str]:
    candidates = [m[1] for m in _BOLD.finditer(text) if looks_like_answer(m[1].strip(" .:$"))]
    return candidates[-1:]


def _whole(text: str) -> list[str]:
    """A short, single-line response: all of it is the answer (``Monday``, ``$x = 3$``)."""
    line = text.strip().rstrip(".")
    if len(line) > 200 or "\n" in line:
        return []
    words_only = not re.search(r"\d", line) and len(re.findall(r"[A-Za-z]+", line)) <= 3
    if looks_like_answer(line) or words_only or _CHOICE_LINE.match(line):
        return [line]
    return []


def _last_math(tail: str) -> list[str]:
    """The later of the last delimited math span and the last bare formula or number."""
    segment = _last_segment(tail)
    run = None
    for match in _MATH_RUN.finditer(tail, segment[1] if segment else 0):
        if re.search(r"[0-9\\]", match.group()):
            run = match
    if run is not None:
        return [run.group().rstrip(".,;: ")]  # without the sentence's full stop
    return [segment[2]] if segment else []


def _last_segment(text: str) -> tuple[int, int, str] | None:
    """``(start, end, content)`` of the last ``$$..$$``, ``\\(..\\)``, ``\\[..\\]`` or ``$..$``,
    with the spans joined to it by "and", "or" or a comma (``$x = 2$ and $x = 3$``).

    Found backwards with ``rfind``, so that unmatched openers cost nothing.
    """
    best = None
    for opener, closer in _DELIMITERS:
        end = _rfind_unescaped(text, closer, len(text))
        start = _rfind_unescaped(text, opener, end - len(opener) + 1) if end > 0 else -1
        if start < 0:
            continue
        content = text[start + len(opener) : end].strip()
        if not content or content.startswith("$") or (best is not None and end <= best[1]):
            continue
        stop = end + len(closer)
        for _ in range(MAX_ANSWERS):
            joint = _JOINT_BEFORE.search(text, max(0, start - 12), start)
            if joint is None or not (joint[1] or joint[2]):
                break
            close = joint.start()
            if not text.endswith(closer, 0, close):
                break
            previous = _rfind_unescaped(text, opener, close - len(closer) - len(opener) + 1)
            if previous < 0:
                break
            inner = text[previous + len(opener) : close - len(closer)].strip()
            content, start = inner + _joiner(joint[2]) + content, previous
        best = (start, stop, content)
    return best


def _rfind_unescaped(text: str, token: str, end: int) -> int:
    """The last `token` starting before `end` that is not ``\\$`` (a dollar sign), or -1."""
    index = text.rfind(token, 0, end)
    while token == "$" and index > 0 and text[index - 1] == "\\":
        index = text.rfind(token, 0, index)
    return index


def _distinct(answers: list[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for answer in answers:
        answer = answer.strip()
        if answer and answer not in seen:
            seen[answer] = None
            if len(seen) > MAX_ANSWERS:
                break
    return tuple(seen)
