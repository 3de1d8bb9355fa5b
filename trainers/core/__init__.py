"""Pieces shared by every trainer: rollouts, advantages, loss aggregation, the update step."""
