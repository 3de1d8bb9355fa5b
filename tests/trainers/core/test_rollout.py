"""Response sampling on a tiny model: shapes, masks, log-probs the trainer agrees with."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from trainers.core.logprobs import response_logprobs  # noqa: E402
from trainers.core.rollout import SamplingSettings, sample_responses  # noqa: E402

CONVERSATIONS = [
    [{"role": "user", "content": "What is 12 + 30?"}],
    [{"role": "user", "content": "What is 7 + 5? Think it through before you answer."}],
]


def sample(tiny_model, settings, *, group_size=3, seed=0):
    return sample_responses(
        tiny_model.model,
        tiny_model.tokenizer,
        CONVERSATIONS,
        settings,
        group_size=group_size,
        generator=torch.Generator().manual_seed(seed),
    )


def test_groups_shapes_and_masks(tiny_model):
    rollouts = sample(tiny_model, SamplingSettings(max_new_tokens=12))
    assert len(rollouts) == 6
    assert rollouts.prompt_index.tolist() == [0, 0, 0, 1, 1, 1]
    assert rollouts.response_ids.shape == rollouts.response_mask.shape == rollouts.logprobs.shape
    assert rollouts.response_ids.shape[1] <= 12
    lengths = rollouts.lengths.long()
    for row in range(len(rollouts)):
        mask = rollouts.response_mask[row]
        assert mask[: lengths[row]].eq(1).all() and mask[lengths[row] :].eq(0).all()
        assert rollouts.logprobs[row, lengths[row] :].eq(0).all()
        assert (rollouts.logprobs[row, : lengths[row]] <= 0).all()
    # Rows of one prompt share the prompt; prompts are left-padded.
    assert torch.equal(rollouts.prompt_ids[0], rollouts.prompt_ids[2])
    assert rollouts.prompt_mask[0, 0] == 0 and rollouts.prompt_mask[:, -1].eq(1).all()


def bias_token(tiny_model, token: int, bias: float) -> None:
    """Add `bias` to one token's logit at every position."""

    def hook(module, inputs, output):
        output[..., token] += bias
        return output

    tiny_model.model.lm_head.register_forward_hook(hook)


def test_end_token_ends_a_row_and_is_in_the_mask(tiny_model):
    eos = tiny_model.tokenizer.eos_token_id
    bias_token(tiny_model, eos, 1e4)
    rollouts = sample(tiny_model, SamplingSettings(max_new_tokens=8))
    assert rollouts.lengths.eq(1).all()
    assert rollouts.response_mask.shape[1] == 1
    assert rollouts.response_ids[:, 0].eq(eos).all()
    assert not rollouts.truncated.any()
    assert rollouts.texts == [""] * 6


def test_truncated_rows_are_flagged(tiny_model):
    bias_token(tiny_model, tiny_model.tokenizer.eos_token_id, -1e4)
    rollouts = sample(tiny_model, SamplingSettings(max_new_tokens=5))
    assert rollouts.truncated.all()
    assert rollouts.lengths.eq(5).all()


@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_sampler_log_probs_equal_the_trainers_at_the_temperature(tiny_model, temperature):
    """ALGORITHMS.md §11: same weights, log-probs at T on both sides → ratio 1."""
    rollouts = sample(tiny_model, SamplingSettings(max_new_tokens=10, temperature=temperature))
    logp, _ = response_logprobs(
        tiny_model.model,
        rollouts.prompt_ids,
        rollouts.prompt_mask,
        rollouts.response_ids,
        rollouts.response_mask,
        temperature=temperature,
    )
    log_ratio = (logp - rollouts.logprobs) * rollouts.response_mask
    assert log_ratio.abs().max() < 1e-3


def test_greedy_is_deterministic_and_group_rows_agree(tiny_model):
    settings = SamplingSettings(max_new_tokens=8, temperature=0.0)
    first = sample(tiny_model, settings, seed=1)
    second = sample(tiny_model, settings, seed=2)
    assert torch.equal(first.response_ids, second.response_ids)
    assert first.texts[0] == first.texts[1] == first.texts[2]


def test_sampling_is_seeded(tiny_model):
    settings = SamplingSettings(max_new_tokens=8)
    assert sample(tiny_model, settings, seed=3).texts == sample(tiny_model, settings, seed=3).texts
    assert sample(tiny_model, settings, seed=3).texts != sample(tiny_model, settings, seed=4).texts


def test_top_p_keeps_only_the_nucleus(tiny_model):
    """With a tiny nucleus every draw is the most likely token: the same as greedy."""
    nucleus = sample(tiny_model, SamplingSettings(max_new_tokens=6, top_p=1e-6), seed=5)
    greedy = sample(tiny_model, SamplingSettings(max_new_tokens=6, temperature=0.0))
    assert torch.equal(nucleus.response_ids, greedy.response_ids)


def test_stop_string_cuts_the_text_after_it(tiny_model):
    settings = SamplingSettings(max_new_tokens=12, temperature=0.0)
    free = sample(tiny_model, settings, group_size=1)
    marker = free.texts[0][2:4]
    assert marker, "the tiny model should say something"
    stopped = sample(
        tiny_model,
        SamplingSettings(max_new_tokens=12, temperature=0.0, stop=(marker,)),
        group_size=1,
    )
    cut = stopped.texts[0]
    assert cut.endswith(marker) and free.texts[0].startswith(cut)
    assert cut.find(marker) == len(cut) - len(marker)
    assert not stopped.truncated[0]
    assert stopped.lengths[0] < free.lengths[0] or free.truncated[0]


def test_finished_rows_leave_the_batch_without_changing_the_others(tiny_model):
    """A row sampled alone equals the same row sampled next to rows that end early."""
    settings = SamplingSettings(max_new_tokens=10, temperature=0.0)
    together = sample_responses(
        tiny_model.model, tiny_model.tokenizer, CONVERSATIONS, settings, group_size=1
    )
    alone = sample_responses(
        tiny_model.model, tiny_model.tokenizer, CONVERSATIONS[1:], settings, group_size=1
    )
    assert together.texts[1] == alone.texts[0]
    assert torch.allclose(
        together.logprobs[1, : int(alone.lengths[0])],
        alone.logprobs[0, : int(alone.lengths[0])],
        atol=1e-4,
    )


def test_min_new_tokens_holds_the_end_back(tiny_model):
    bias_token(tiny_model, tiny_model.tokenizer.eos_token_id, 1e4)
    rollouts = sample(tiny_model, SamplingSettings(max_new_tokens=8, min_new_tokens=3))
    assert rollouts.lengths.eq(4).all()  # three forced tokens, then the end
    assert not rollouts.truncated.any()


def test_shared_prompt_pass_gives_the_same_log_probs_and_gradients(tiny_model):
    rollouts = sample(tiny_model, SamplingSettings(max_new_tokens=7), group_size=3)
    model = tiny_model.model
    results = []
    for index in (None, rollouts.prompt_index):
        model.zero_grad()
        logp, entropy = response_logprobs(
            model,
            rollouts.prompt_ids,
            rollouts.prompt_mask,
            rollouts.response_ids,
            rollouts.response_mask,
            temperature=0.9,
            prompt_index=index,
            with_entropy=True,
        )
        (logp * rollouts.response_mask).sum().backward()
        grads = {name: p.grad.clone() for name, p in model.named_parameters()}
        results.append((logp * rollouts.response_mask, entropy * rollouts.response_mask, grads))
    (logp_a, entropy_a, grads_a), (logp_b, entropy_b, grads_b) = results
    assert torch.allclose(logp_a, logp_b, atol=1e-5)
    assert torch.allclose(entropy_a, entropy_b, atol=1e-5)
    for name in grads_a:
        assert torch.allclose(grads_a[name], grads_b[name], atol=1e-5, rtol=1e-4), name
