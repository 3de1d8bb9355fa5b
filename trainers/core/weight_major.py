"""fp32 linear layers on the CPU for a few rows at a time, as decoding runs them.

A decoding step multiplies a handful of rows (one new token per sequence) by every weight
matrix of the model, so it is bound by reading the weights. PyTorch's CPU ``linear``
(``input @ weight.T``, through MKL's sgemm) reads them slowly at that shape: on a 2-core
machine SmolLM2-135M's 540 MB of fp32 weights took 57 ms for 4 rows, against 20 ms for
the same product written the other way round, ``(weight @ input.T).T``. The second form
is fast for 2 or 4 rows and for multiples of 8, and never slower than ``linear`` there
(measured from 1 to 256 rows); other row counts are padded with zero rows up to the next
of those, which costs nothing next to the weights. The result is the same product in the
same precision (the sums are only ordered differently).

Only plain fp32 CPU products are rewritten: bf16 (and autocast) goes through oneDNN,
which has no such gap, and a GPU's libraries have none either.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.overrides import TorchFunctionMode

__all__ = ["WeightMajorLinear"]

MAX_ROWS = 256
"""Above this many rows ``linear``'s own kernel is as fast (and the padding would show)."""


class WeightMajorLinear(TorchFunctionMode):
    """Within this mode, fp32 CPU ``F.linear`` of at most `MAX_ROWS` rows runs as
    ``(weight @ input.T).T``. Meant for no-grad decoding; other calls pass through."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is F.linear and _applies(*args, **kwargs):
            return _weight_major_linear(*args, **kwargs)
        return func(*args, **kwargs)


def _applies(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> bool:
    return (
        input.device.type == "cpu"
        and input.dtype == weight.dtype == torch.float32
        and weight.dim() == 2
        and input.numel() // max(input.shape[-1], 1) <= MAX_ROWS
        and not torch.is_autocast_enabled("cpu")
        and not (torch.is_grad_enabled() and (input.requires_grad or weight.requires_grad))
    )


def _weight_major_linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    rows = input.reshape(-1, input.shape[-1])
    count = rows.shape[0]
    padded = _padded_rows(count)
    if padded != count:
        rows = torch.cat([rows, rows.new_zeros(padded - count, rows.shape[1])])
    output = (weight @ rows.T)[:, :count].T.contiguous()
    if bias is not None:
        output += bias
    return output.reshape(*input.shape[:-1], weight.shape[0])


def _padded_rows(count: int) -> int:
    if count <= 2:
        return 2
    if count <= 4:
        return 4
    return -(-count // 8) * 8
