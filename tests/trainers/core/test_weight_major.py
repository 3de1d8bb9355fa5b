"""The weight-major fp32 linear of decoding: the same product as ``F.linear``, only where
it applies, and the model's own layers back afterwards."""

from __future__ import annotations

import contextlib

import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from trainers.core import weight_major  # noqa: E402
from trainers.core.rollout import SamplingSettings, sample_responses  # noqa: E402
from trainers.core.weight_major import (  # noqa: E402
    MAX_ROWS,
    weight_major_linear,
    weight_major_linears,
)


def layer(*, bias=True, dtype=torch.float32):
    torch.manual_seed(0)
    return nn.Linear(48, 80, bias=bias, dtype=dtype)


def inputs(*shape, dtype=torch.float32):
    return torch.randn(*shape, 48, generator=torch.Generator().manual_seed(1), dtype=dtype)


def counting(monkeypatch):
    """Record the calls of the weight-major product."""
    calls = []
    product = weight_major.weight_major_linear

    def counted(*args):
        calls.append(args)
        return product(*args)

    monkeypatch.setattr(weight_major, "weight_major_linear", counted)
    return calls


@pytest.mark.parametrize("rows", [1, 2, 3, 4, 5, 8, 17])
@pytest.mark.parametrize("bias", [True, False])
def test_same_product_as_linear(rows, bias):
    linear, x = layer(bias=bias), inputs(rows)
    expected = F.linear(x, linear.weight, linear.bias)
    got = weight_major_linear(x, linear.weight, linear.bias)
    assert got.shape == expected.shape and got.is_contiguous()
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_leading_dimensions_are_kept():
    linear, x = layer(), inputs(3, 1)  # 3 sequences, 1 new token each
    got = weight_major_linear(x, linear.weight, linear.bias)
    assert got.shape == (3, 1, 80)
    torch.testing.assert_close(got, linear(x), rtol=1e-5, atol=1e-5)


def test_decoding_calls_are_rewritten_and_the_layer_restored(monkeypatch):
    model = nn.Sequential(layer(), nn.ReLU(), nn.Linear(80, 8))
    x = inputs(MAX_ROWS, 1)
    expected = model(x)
    calls = counting(monkeypatch)
    with torch.no_grad(), weight_major_linears(model):
        got = model(x)
    assert len(calls) == 2
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    assert all("forward" not in vars(module) for module in model)
    model(x)
    assert len(calls) == 2


@pytest.mark.parametrize("case", ["bf16", "autocast", "needs-grad", "too-many-rows"])
def test_other_calls_pass_through_unchanged(case, monkeypatch):
    dtype = torch.bfloat16 if case == "bf16" else torch.float32
    linear = layer(dtype=dtype)
    x = inputs(MAX_ROWS + 1 if case == "too-many-rows" else 2, dtype=dtype)
    precision = (
        torch.autocast("cpu", dtype=torch.bfloat16)
        if case == "autocast"
        else contextlib.nullcontext()
    )
    grad = torch.enable_grad() if case == "needs-grad" else torch.no_grad()
    with grad, precision:
        expected = linear(x)
    calls = counting(monkeypatch)
    with grad, precision, weight_major_linears(linear):
        got = linear(x)
    assert not calls
    assert torch.equal(got, expected)
    if case == "needs-grad":
        got.sum().backward()
        assert linear.weight.grad is not None


def test_a_forward_already_replaced_is_left_alone(monkeypatch):
    linear = layer()
    linear.forward = lambda x: x  # as accelerate's hooks do, on the instance
    calls = counting(monkeypatch)
    with torch.no_grad(), weight_major_linears(linear):
        linear(inputs(2))
    assert not calls
    assert linear(inputs(2)) is not None and "forward" in vars(linear)


def test_sampling_agrees_with_plain_linear(tiny_model, monkeypatch):
    """The sampler's greedy tokens and log-probs are those of the model's own layers."""
    settings = SamplingSettings(max_new_tokens=10, temperature=0)
    conversations = [[{"role": "user", "content": "What is 12 + 30?"}]]

    def greedy():
        return sample_responses(
            tiny_model.model, tiny_model.tokenizer, conversations, settings, group_size=3
        )

    calls = counting(monkeypatch)
    fast = greedy()
    assert calls  # three rows decode: the product is used
    monkeypatch.setattr(
        "trainers.core.rollout.weight_major_linears", lambda model: contextlib.nullcontext()
    )
    plain = greedy()
    assert torch.equal(fast.response_ids, plain.response_ids)
    torch.testing.assert_close(fast.logprobs, plain.logprobs, rtol=1e-5, atol=1e-5)
