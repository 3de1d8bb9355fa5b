import numpy as np
import pytest
from gymnasium.spaces import Text

from rlvr_envs import UnicodeText


@pytest.mark.parametrize(
    "text",
    ["", "What is 2 + 2?", "\\boxed{42}", "línea\nnueva", "中文 🙂", "\x00\x07", "a" * 100_000],
)
def test_unbounded_space_contains_every_string(text):
    assert UnicodeText().contains(text)
    assert text in UnicodeText()


@pytest.mark.parametrize("value", [None, 42, b"42", ["4", "2"], {"answer": "42"}])
def test_space_contains_only_strings(value):
    assert not UnicodeText().contains(value)


def test_max_length_bounds_the_space():
    space = UnicodeText(max_length=3)
    assert space.contains("abc")
    assert not space.contains("abcd")
    assert UnicodeText(max_length=0).contains("")
    assert not UnicodeText(max_length=0).contains("a")


def test_negative_max_length_is_refused():
    with pytest.raises(ValueError, match="max_length must be >= 0 or None, got -1"):
        UnicodeText(max_length=-1)


def test_real_prompts_are_outside_gymnasiums_text_space_but_inside_ours():
    prompt = "What is (3 * 2) - 91? Reply with the integer only."
    assert not Text(max_length=1000).contains(prompt)
    assert UnicodeText().contains(prompt)


def test_samples_are_contained_and_respect_sample_length():
    space = UnicodeText(sample_length=16, seed=0)
    samples = [space.sample() for _ in range(300)]
    assert all(isinstance(s, str) and space.contains(s) for s in samples)
    assert max(len(s) for s in samples) == 16
    assert min(len(s) for s in samples) == 0


def test_sample_length_is_capped_by_max_length():
    space = UnicodeText(max_length=5, sample_length=64, seed=1)
    assert space.sample_length == 5
    assert all(len(space.sample()) <= 5 for _ in range(200))


def test_samples_are_hostile_text():
    space = UnicodeText(seed=2)
    text = "".join(space.sample() for _ in range(300))
    assert any(c.isdigit() for c in text)
    assert any(ord(c) < 0x20 for c in text), "no control characters"
    assert any(0x300 <= ord(c) <= 0x36F for c in text), "no combining marks"
    assert any(ord(c) > 0xFFFF for c in text), "no astral code points"
    text.encode("utf-8")  # never a lone surrogate: samples are valid text


def test_seeded_samples_repeat():
    a, b, c = UnicodeText(seed=7), UnicodeText(seed=7), UnicodeText(seed=8)
    first = [a.sample() for _ in range(20)]
    assert first == [b.sample() for _ in range(20)]
    assert first != [c.sample() for _ in range(20)]
    a.seed(7)
    assert [a.sample() for _ in range(20)] == first


def test_seed_accepts_a_numpy_generator():
    space = UnicodeText(seed=np.random.default_rng(3))
    assert isinstance(space.sample(), str)


def test_sample_takes_no_mask():
    with pytest.raises(NotImplementedError, match="no mask or probability"):
        UnicodeText().sample(mask=np.ones(3, dtype=np.int8))
    with pytest.raises(NotImplementedError, match="no mask or probability"):
        UnicodeText().sample(probability=np.ones(3))


def test_equality_and_hash_follow_max_length():
    assert UnicodeText() == UnicodeText()
    assert UnicodeText(max_length=5) == UnicodeText(max_length=5, sample_length=2)
    assert UnicodeText(max_length=5) != UnicodeText(max_length=6)
    assert UnicodeText() != Text(max_length=5)
    assert len({UnicodeText(), UnicodeText(), UnicodeText(max_length=5)}) == 2
    assert repr(UnicodeText(max_length=5)) == "UnicodeText(max_length=5)"


def test_space_is_not_flattenable_and_has_no_shape():
    space = UnicodeText()
    assert space.is_np_flattenable is False
    assert space.shape is None


def test_jsonable_round_trip():
    space = UnicodeText()
    batch = ["4", "", "中文 🙂\n"]
    assert space.from_jsonable(space.to_jsonable(batch)) == batch
