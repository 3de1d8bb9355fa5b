"""Run configuration: YAML, overrides, and errors that name the field and the fix."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from trainers.config import ConfigError, TrainConfig, describe_fields
from trainers.core.advantages import AdvantageEstimator


def test_defaults_are_the_embedded_run():
    config = TrainConfig()
    assert config.model.name == "smollm2-135m-instruct"
    assert config.algorithm.algo == "grpo"
    assert config.rollout.task == "rlvr/arithmetic-add-v1"


def test_yaml_round_trip(tmp_path):
    config = TrainConfig().with_overrides(
        ["algorithm.algo=drpo", "algorithm.delta=0.15", 'rollout.stop=["\\n\\n"]']
    )
    path = tmp_path / "run.yaml"
    path.write_text(config.to_yaml())
    loaded = TrainConfig.from_yaml(path)
    assert loaded == config
    assert loaded.algorithm.delta == 0.15
    assert loaded.rollout.stop == ["\n\n"]


def test_overrides_parse_values_as_yaml():
    config = TrainConfig().with_overrides(
        ["optim.lr=1e-4", "rollout.group_size=4", "algorithm.advantage=rloo", "algorithm.is_cap="]
    )
    assert config.optim.lr == 1e-4
    assert config.rollout.group_size == 4
    assert config.algorithm.advantage is AdvantageEstimator.RLOO
    assert config.algorithm.is_cap is None


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("rollout.group_sise=4", "unknown key 'group_sise'; did you mean 'group_size'?"),
        ("rollot.group_size=4", "unknown key 'rollot'; did you mean 'rollout'?"),
        ("rollout.group_size=1", "rollout.group_size is 1: group advantages need at least 2"),
        ("rollout.group_size=four", "rollout.group_size: expected int, got 'four'"),
        ("algorithm.algo=ppo2", "unknown objective 'ppo2'"),
        ("algorithm.advantage=mean", "'mean' is not one of grpo"),
        ("model.precision=fp16", "choose fp32, bf16-mixed or bf16"),
        ("rollout.top_p=0", "rollout.top_p is 0.0: it must be in (0, 1]"),
        ("rollout.min_new_tokens=99", "rollout.min_new_tokens is 99"),
        ("optim.lr=-1", "optim.lr is -1.0: it must be greater than 0"),
        ("group_size=4", "write section.key=value"),
    ],
)
def test_bad_values_say_what_and_how_to_fix(override, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):  # fmt: skip
        TrainConfig().with_overrides([override])


def test_yaml_errors_name_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("rollout:\n  group_size: [\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: not valid YAML"):
        TrainConfig.from_yaml(path)
    path.write_text("optimizer:\n  lr: 1\n")
    with pytest.raises(ConfigError, match="unknown key 'optimizer'; did you mean 'optim'"):
        TrainConfig.from_yaml(path)
    with pytest.raises(ConfigError, match="cannot read"):
        TrainConfig.from_yaml(tmp_path / "missing.yaml")


def test_every_field_is_documented():
    text = describe_fields()
    for section, values in TrainConfig().to_dict().items():
        assert f"{section}:" in text
        for name in values:
            assert f"  {name} = " in text
