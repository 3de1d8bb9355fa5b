"""fp32 linear layers on the CPU for a few rows at a time, as decoding runs them.

A decoding step multiplies a handful of rows (one new token per sequence) by every weight
matrix of the model, so it is bound by reading the weights. PyTorch's CPU ``linear``
(``input @ weight.T``, through MKL's sgemm) reads them slowly at that shape: on a 2-core
machine SmolLM2-135M's 540 MB of fp32 weights took 57 ms for 4 rows, against 20 ms for
the same product written the other way round, ``(weight @ input.T).T``, and a whole
decoding step went from 65, 120 and 107 ms to 53, 55 and 58 ms for 1, 2 and 4 rows.
The form is fastest for 2 or 4 rows, so 1 or 3 are padded with a zero row, which costs
nothing next to the weights. Above 4 rows whole steps were no faster (0.9 to 1.15× at 6
to 16 rows, slower at 128): those keep ``linear``. The result is the same product in
the same precision (the sums are only ordered differently).

Only plain fp32 CPU products are rewritten: bf16 (and autocast) goes through oneDNN,
which has no such gap, and a GPU's libraries have none either. The layers' ``forward``
is replaced for the duration, on the instances: intercepting every operation instead (a
``TorchFunctionMode``) cost 5 ms of a 42 ms bf16 decoding step.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["MAX_ROWS", "weight_major_linears"]

MAX_ROWS = 4


@contextlib.contextmanager
def weight_major_linears(model: nn.Module) -> Iterator[None]:
    """Within this context, `model`'s fp32 CPU ``nn.Linear`` layers compute no-grad calls
    of at most `MAX_ROWS` rows as ``(weight @ input.T).T``; other calls are unchanged.

    A layer whose ``forward`` is already replaced on the instance (a hook of accelerate's,
    say) is left alone."""
    layers = [
        module
        for module in model.modules()
        if type(module) is nn.Linear
        and "forward" not in vars(module)
        and module.weight.dtype == torch.float32
        and module.weight.device.type == "cpu"
    ]
    for layer in layers:
        layer.forward = types.MethodType(_forward, layer)
    try:
        yield
    finally:
        for layer in layers:
            del layer.forward


def _forward(layer: nn.Linear, input: Tensor) -> Tensor:
    if (
        input.dtype != torch.float32
        or input.numel() > MAX_ROWS * layer.in_features
        or torch.is_autocast_enabled("cpu")
        or (torch.is_grad_enabled() and (input.requires_grad or layer.weight.requires_grad))
    ):
        return F.linear(input, layer.weight, layer.bias)
    return weight_major_linear(input, layer.weight, layer.bias)


def weight_major_linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``F.linear(input, weight, bias)``, as ``(weight @ input.T).T``."""
    rows = input.reshape(-1, input.shape[-1])
    count = rows.shape[0]
    if count % 2:
        rows = torch.cat([rows, rows.new_zeros(1, rows.shape[1])])
    output = (weight @ rows.T)[:, :count].T.contiguous()
    if bias is not None:
        output += bias
    return output.reshape(*input.shape[:-1], weight.shape[0])
