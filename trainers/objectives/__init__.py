"""Policy objectives: per-token losses and gradient coefficients, one module per algorithm.

``OBJECTIVES`` maps a config key to its class; a key not listed here is not an objective.
"""

from trainers.objectives.base import Objective, TokenTerms
from trainers.objectives.dppo import Divergence, DPPOObjective
from trainers.objectives.drpo import DRPOObjective
from trainers.objectives.grpo import GRPOObjective
from trainers.objectives.kl import KLEstimator, kl_terms

__all__ = [
    "OBJECTIVES",
    "DPPOObjective",
    "DRPOObjective",
    "Divergence",
    "GRPOObjective",
    "KLEstimator",
    "Objective",
    "TokenTerms",
    "kl_terms",
]

OBJECTIVES: dict[str, type[Objective]] = {
    GRPOObjective.name: GRPOObjective,
    DPPOObjective.name: DPPOObjective,
    DRPOObjective.name: DRPOObjective,
}
