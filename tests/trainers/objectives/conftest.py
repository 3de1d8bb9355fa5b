"""Evaluate an objective on one token given by its probabilities, as hand-computed tables are."""

import math

import pytest


@pytest.fixture
def one_token():
    """``evaluate(objective, q, p, advantage)`` → (loss, dl/dℓ by autograd, TokenTerms)."""
    torch = pytest.importorskip("torch")

    def evaluate(objective, q, p, advantage):
        logp = torch.tensor([[math.log(p)]], dtype=torch.float64, requires_grad=True)
        anchor = torch.tensor([[math.log(q)]], dtype=torch.float64)
        terms = objective.token_terms(
            logp, anchor, torch.tensor([[advantage]], dtype=torch.float64)
        )
        (gradient,) = torch.autograd.grad(terms.loss.sum(), logp)
        return terms.loss.item(), gradient.item(), terms

    return evaluate
