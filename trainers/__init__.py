"""trainers: policy-gradient training of Hugging Face causal LMs against rlvr_envs tasks.

One core, pluggable objectives::

    from trainers import TrainConfig, Trainer

    config = TrainConfig().with_overrides(["algorithm.algo=drpo", "run.steps=40"])
    result = Trainer(config).run()
    result.accuracy_before, result.accuracy_after

- `trainers.objectives`: GRPO, DPPO, DRPO; each returns per-token losses and gradient
  coefficients (``OBJECTIVES`` maps config names to classes).
- `trainers.core`: what the objectives share: advantages, loss aggregation, response
  sampling, trainer-side log-probs, the policy update, prompt sampling.
- `trainers.trainer`: the loop (sample, score, update, evaluate, checkpoint, resume).
- `trainers.eval_source`: ``rlvr eval``'s source for models run here (checkpoints, runs,
  the default model), found through the ``rlvr_envs.model_sources`` entry point.

Talks to environments only through the public ``rlvr_envs`` API (a `Task` draws problems,
renders their messages and verifies responses in batches). ``rlvr train`` plugs into the
CLI through the ``rlvr_envs.commands`` entry-point group.
"""

from trainers.config import TrainConfig
from trainers.models import load_model
from trainers.objectives import OBJECTIVES
from trainers.trainer import Trainer, TrainResult

__all__ = ["OBJECTIVES", "TrainConfig", "TrainResult", "Trainer", "load_model"]
