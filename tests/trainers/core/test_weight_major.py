"""The weight-major fp32 linear of decoding: the same product as ``F.linear``, and only
where it applies."""

from __future__ import annotations

import contextlib

import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402

from trainers.core import weight_major  # noqa: E402
from trainers.core.rollout import SamplingSettings, sample_responses  # noqa: E402
from trainers.core.weight_major import MAX_ROWS, WeightMajorLinear  # noqa: E402


def operands(rows, *, bias=True, dtype=torch.float32, leading=()):
    generator = torch.Generator().manual_seed(rows)
    inputs = torch.randn(*leading, rows, 48, generator=generator, dtype=dtype)
    weight = torch.randn(80, 48, generator=generator, dtype=dtype)
    offset = torch.randn(80, generator=generator, dtype=dtype) if bias else None
    return inputs, weight, offset


def rewritten(monkeypatch, function):
    """`function()` within the mode, and whether the weight-major product computed it."""
    calls = []
    product = weight_major._weight_major_linear

    def counted(*args, **kwargs):
        calls.append(args)
        return product(*args, **kwargs)

    monkeypatch.setattr(weight_major, "_weight_major_linear", counted)
    with WeightMajorLinear():
        result = function()
    return result, bool(calls)


@pytest.mark.parametrize("rows", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 100, MAX_ROWS])
@pytest.mark.parametrize("bias", [True, False])
def test_same_product_as_linear(rows, bias):
    inputs, weight, offset = operands(rows, bias=bias)
    expected = F.linear(inputs, weight, offset)
    with WeightMajorLinear():
        got = F.linear(inputs, weight, offset)
    assert got.shape == expected.shape and got.is_contiguous()
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_leading_dimensions_are_kept():
    inputs, weight, offset = operands(3, leading=(2,))  # (batch 2, 3 tokens, features)
    with WeightMajorLinear():
        got = F.linear(inputs, weight, offset)
    assert got.shape == (2, 3, 80)
    torch.testing.assert_close(got, F.linear(inputs, weight, offset), rtol=1e-5, atol=1e-5)


def test_decoding_shapes_are_rewritten(monkeypatch):
    inputs, weight, offset = operands(4, leading=(1,))
    with torch.no_grad():
        _, used = rewritten(monkeypatch, lambda: F.linear(inputs, weight, offset))
    assert used


@pytest.mark.parametrize(
    "case",
    ["bf16", "autocast", "needs-grad", "too-many-rows"],
)
def test_other_calls_pass_through_unchanged(case, monkeypatch):
    dtype = torch.bfloat16 if case == "bf16" else torch.float32
    rows = MAX_ROWS + 1 if case == "too-many-rows" else 4
    inputs, weight, offset = operands(rows, dtype=dtype)
    if case == "needs-grad":
        weight.requires_grad_(True)

    def call():
        if case == "autocast":
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return F.linear(inputs, weight, offset)
        return F.linear(inputs, weight, offset)

    expected = call()
    got, used = rewritten(monkeypatch, call)
    assert not used
    assert torch.equal(got, expected)
    if case == "needs-grad":
        got.sum().backward()
        assert weight.grad is not None


def test_sampling_agrees_with_plain_linear(tiny_model, monkeypatch):
    """The sampler's greedy tokens and log-probs are those of the model's own layers."""
    settings = SamplingSettings(max_new_tokens=10, temperature=0)
    conversations = [[{"role": "user", "content": "What is 12 + 30?"}]]

    def greedy():
        return sample_responses(
            tiny_model.model, tiny_model.tokenizer, conversations, settings, group_size=3
        )

    fast = greedy()
    monkeypatch.setattr("trainers.core.rollout.WeightMajorLinear", contextlib.nullcontext)
    plain = greedy()
    assert torch.equal(fast.response_ids, plain.response_ids)
    torch.testing.assert_close(fast.logprobs, plain.logprobs, rtol=1e-5, atol=1e-5)
