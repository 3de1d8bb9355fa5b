"""Trainer-side log-probs (trainers/core/logprobs.py): the output layer run a chunk of
tokens at a time gives the values and gradients of the logits made all at once."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from trainers.core import logprobs as module  # noqa: E402
from trainers.core.logprobs import TokenLogprobs, response_logprobs  # noqa: E402
from trainers.core.rollout import SamplingSettings, sample_responses  # noqa: E402

CONVERSATIONS = [
    [{"role": "user", "content": "What is 12 + 30?"}],
    [{"role": "user", "content": "What is 7 + 5? Think it through before you answer."}],
]


def sample(tiny_model, *, tokens, group_size, seed):
    return sample_responses(
        tiny_model.model,
        tiny_model.tokenizer,
        CONVERSATIONS,
        SamplingSettings(max_new_tokens=tokens),
        group_size=group_size,
        generator=torch.Generator().manual_seed(seed),
    )


def batch(rollouts):
    """The four tensors `response_logprobs` takes first."""
    return rollouts.prompt_ids, rollouts.prompt_mask, rollouts.response_ids, rollouts.response_mask


def test_token_logprobs_equal_log_softmax_with_gradients(monkeypatch):
    """Hand oracle: log_softmax of the full logits, and autograd through it."""
    monkeypatch.setattr(module, "TOKEN_CHUNK", 3)  # several chunks, the last one short
    generator = torch.Generator().manual_seed(0)
    hidden = torch.randn(10, 6, generator=generator, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(17, 6, generator=generator, dtype=torch.float64, requires_grad=True)
    targets = torch.randint(0, 17, (10,), generator=generator)
    upstream = torch.randn(10, generator=generator, dtype=torch.float64)
    for temperature in (1.0, 0.7):
        logits = hidden @ weight.t() / temperature
        expected = logits.log_softmax(-1).gather(-1, targets[:, None]).squeeze(-1)
        probabilities = logits.softmax(-1)
        expected_entropy = -(probabilities * logits.log_softmax(-1)).sum(-1)
        want = torch.autograd.grad((expected * upstream).sum(), (hidden, weight))
        got, entropy = TokenLogprobs.apply(hidden, weight, targets, temperature, True)
        assert torch.allclose(got.double(), expected, atol=1e-6)
        assert torch.allclose(entropy.double(), expected_entropy, atol=1e-5)
        grads = torch.autograd.grad((got * upstream).sum(), (hidden, weight))
        for mine, theirs in zip(grads, want, strict=True):
            assert torch.allclose(mine, theirs, atol=1e-6)


@pytest.mark.parametrize("shared", [False, True], ids=["one pass a row", "shared prompt"])
def test_chunked_output_layer_matches_the_models_logits(tiny_model, monkeypatch, shared):
    monkeypatch.setattr(module, "TOKEN_CHUNK", 5)
    model = tiny_model.model
    rollouts = sample(tiny_model, tokens=7, group_size=3, seed=0)
    index = rollouts.prompt_index if shared else None
    results = []
    for compute in (response_logprobs, _all_logits):
        model.zero_grad()
        logp, entropy = compute(
            model,
            *batch(rollouts),
            temperature=0.9,
            prompt_index=index,
            with_entropy=True,
        )
        mask = rollouts.response_mask
        (logp * mask).sum().backward()
        grads = {name: p.grad.clone() for name, p in model.named_parameters()}
        results.append((logp * mask, entropy * mask, grads))
    (logp_a, entropy_a, grads_a), (logp_b, entropy_b, grads_b) = results
    assert torch.allclose(logp_a, logp_b, atol=1e-5)
    assert torch.allclose(entropy_a, entropy_b, atol=1e-5)
    for name in grads_a:
        assert torch.allclose(grads_a[name], grads_b[name], atol=1e-5, rtol=1e-4), name


def test_bf16_autocast_stays_close_to_fp32(tiny_model):
    model = tiny_model.model
    rollouts = sample(tiny_model, tokens=6, group_size=2, seed=1)
    args = batch(rollouts)
    exact, _ = response_logprobs(model, *args, temperature=1.0)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        rough, _ = response_logprobs(model, *args, temperature=1.0)
    (rough * rollouts.response_mask).sum().backward()
    mask = rollouts.response_mask.bool()
    assert (rough - exact)[mask].abs().max() < 0.1
    assert all(p.grad is not None and p.grad.isfinite().all() for p in model.parameters())


def test_a_model_whose_logits_are_not_its_output_layer_gets_its_own_logits(tiny_model):
    """A logit scale (as some architectures have) is found, and the model's logits used."""
    model = tiny_model.model
    original = model.lm_head.forward
    model.lm_head.forward = lambda hidden: 3.0 * original(hidden)
    rollouts = sample(tiny_model, tokens=5, group_size=2, seed=2)
    args = batch(rollouts)
    for index in (None, rollouts.prompt_index):
        got, _ = response_logprobs(model, *args, temperature=1.0, prompt_index=index)
        want, _ = _all_logits(model, *args, temperature=1.0, prompt_index=index)
        mask = rollouts.response_mask.bool()
        assert torch.allclose(got[mask], want[mask], atol=1e-5)


def _all_logits(model, prompt_ids, prompt_mask, response_ids, response_mask, **options):
    """The log-probs from the model's logits, made for every token at once."""
    attention = torch.cat([prompt_mask, response_mask.to(prompt_mask.dtype)], dim=1)
    positions = (attention.cumsum(dim=1) - 1).clamp(min=0)
    inputs = (prompt_ids, prompt_mask, response_ids, attention, positions)
    logits, _ = module._predicting(model, *inputs, options.get("prompt_index"), hidden=False)
    return module._from_logits(
        logits, response_ids, options["temperature"], options.get("with_entropy", False)
    )
