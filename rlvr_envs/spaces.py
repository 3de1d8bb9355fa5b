"""A Gymnasium space of arbitrary Unicode text.

Gymnasium's `Text` space only admits the characters of its charset (alphanumerics by
default), so real prompts with spaces, punctuation or LaTeX fall outside it and
``check_env`` complains. `UnicodeText` admits every `str` up to a length limit, and samples
hostile strings (control characters, astral code points, combining marks) so that random
actions exercise the robustness of ``step``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.spaces import Space

__all__ = ["UnicodeText"]

# Pieces sampled from, mixed so random text hits both plausible answers and junk.
_PLAUSIBLE = "0123456789 +-*/=.,()xyz\\{}abcdefABCDEF\n"
_UNICODE_RANGES = (
    (0x00, 0x7F),  # ASCII, control characters included
    (0x80, 0x2FF),  # Latin-1 and extensions
    (0x300, 0x36F),  # combining marks
    (0x2000, 0x206F),  # punctuation, zero-width and bidi controls
    (0x4E00, 0x9FFF),  # CJK
    (0x1F300, 0x1FAFF),  # emoji (astral plane)
)


class UnicodeText(Space[str]):
    """Any Python `str` of at most `max_length` characters (None: no limit).

    Args:
        max_length: the longest string the space contains; None admits any length.
        sample_length: the longest string `sample` draws.
        seed: seed for `sample`.
    """

    def __init__(
        self,
        max_length: int | None = None,
        *,
        sample_length: int = 64,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        if max_length is not None and max_length < 0:
            raise ValueError(f"max_length must be >= 0 or None, got {max_length}")
        self.max_length = max_length
        self.sample_length = sample_length if max_length is None else min(sample_length, max_length)
        super().__init__(shape=None, dtype=None, seed=seed)

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        """A random string: plausible answer characters mixed with arbitrary code points."""
        if mask is not None or probability is not None:
            raise NotImplementedError("UnicodeText.sample takes no mask or probability")
        rng = self.np_random
        length = int(rng.integers(0, self.sample_length + 1))
        chars = []
        for _ in range(length):
            if rng.random() < 0.6:
                chars.append(_PLAUSIBLE[int(rng.integers(len(_PLAUSIBLE)))])
            else:
                low, high = _UNICODE_RANGES[int(rng.integers(len(_UNICODE_RANGES)))]
                chars.append(chr(int(rng.integers(low, high + 1))))
        return "".join(chars)

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and (self.max_length is None or len(x) <= self.max_length)

    def __repr__(self) -> str:
        return f"UnicodeText(max_length={self.max_length})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UnicodeText) and other.max_length == self.max_length

    def __hash__(self) -> int:
        return hash(("UnicodeText", self.max_length))

    def to_jsonable(self, sample_n: Any) -> list[str]:
        return list(sample_n)

    def from_jsonable(self, sample_n: list[str]) -> list[str]:
        return list(sample_n)
