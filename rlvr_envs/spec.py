"""The task specification: what a task YAML file holds, validated.

A task file, ``tasks/arithmetic/arithmetic-add-v1.yaml``::

    id: arithmetic-add-v1           # <name>-v<N>; becomes the Gymnasium id rlvr/arithmetic-add-v1
    family: arithmetic
    description: Sums of two two-digit integers.
    dataset:
      generator: arithmetic         # or  jsonl: {train: train.jsonl, test: test.jsonl}
      params: {operations: ["+"], digits: 2}
      splits: {test: 200, train: null}   # null: unbounded; splits never share a problem
    prompt: "What is {question}?"   # {field} substitution only; {{ and }} are literal braces
    verifier: {name: integer, options: {extract: last_number}}
    reward: {correct: 1.0, wrong: 0.0}
    max_turns: 1

Relative dataset paths are relative to the task file. A changed prompt, dataset or
verifier option makes a new version (a new file); released versions are never edited.

Other dataset blocks::

    dataset:                        # GSM8K-style records: the answer after '####'
      jsonl: {test: data/gsm8k_sample.jsonl}
      format: gsm8k                 # records (default) | gsm8k | math | mbpp | io | io-c |
                                    # io-cpp | io-javascript; jsonl/huggingface only

    dataset: {package: champ}       # data an installed Python package ships (see
                                    # rlvr_envs.packages); its splits come with it
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

import pydantic
import yaml

from rlvr_envs.errors import RlvrError, TaskSpecError
from rlvr_envs.packages import find_package
from rlvr_envs.schema import STRICT, validate
from rlvr_envs.sources.base import ProblemSource
from rlvr_envs.sources.formats import RecordFormat
from rlvr_envs.verification import Status, Verification
from rlvr_envs.verifiers.base import DEFAULT_MAX_RESPONSE_CHARS, Verifier

__all__ = [
    "DatasetSpec",
    "HuggingFaceSpec",
    "RewardSpec",
    "TaskSpec",
    "VerifierSpec",
    "load_task_file",
    "template_fields",
]

DEFAULT_RETRY_PROMPT = "That is not right: {reason}. Please try again."
"""The next user message after a wrong answer in a multi-turn task, unless a task says otherwise."""

TASK_ID = re.compile(r"[a-z0-9][a-z0-9_.]*(?:-[a-z0-9_.]+)*-v[0-9]+")
GYM_NAMESPACE = "rlvr"


def template_fields(template: str) -> list[str]:
    """The field names a prompt template substitutes; raises ValueError for anything but
    plain ``{name}`` fields (no attribute access, indexing, conversion or format spec)."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(
            f"is not a valid template ({exc}); write literal braces as {{{{ and }}}}"
        ) from None
    names = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(
                f"may only substitute plain fields like {{question}}, found {{{name}"
                f"{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}; "
                "write literal braces as {{ and }}"
            )
        names.append(name)
    return names


@pydantic.dataclasses.dataclass(frozen=True, config=STRICT)
class VerifierSpec:
    name: str
    """A registered verifier name (``integer``, ...), never an import path."""
    options: dict[str, Any] = pydantic.Field(default_factory=dict)
    """Keyword options of the verifier, validated against its `Options`."""


@pydantic.dataclasses.dataclass(frozen=True, config=STRICT)
class HuggingFaceSpec:
    builder: str
    """A packaged `datasets` builder for local files: json, csv, parquet, text, ..."""
    files: dict[str, Path]
    """Split name -> local data file."""


@pydantic.dataclasses.dataclass(frozen=True, config=STRICT)
class DatasetSpec:
    """Where problems come from: exactly one of `generator`, `jsonl`, `huggingface`,
    `package`."""

    generator: str | None = None
    """A registered procedural generator."""
    params: dict[str, Any] = pydantic.Field(default_factory=dict)
    """The generator's parameters, validated against its `Params`."""
    splits: dict[str, pydantic.NonNegativeInt | None] | None = None
    """Generator only: split name -> number of problems (null: unbounded)."""
    seed: int = 0
    """Generator only: the base seed of every split's problems."""
    jsonl: dict[str, Path] | None = None
    """Split name -> JSONL file, one problem per line."""
    huggingface: HuggingFaceSpec | None = None
    """Local files read through Hugging Face `datasets`."""
    package: str | None = None
    """A dataset an installed Python package ships (``champ``), by its registered name."""
    id_field: str | None = None
    """File sources: the field holding a problem's id (default: ``<split>/<line>``)."""
    reference_field: str = "answer"
    """File sources: the field holding the reference answer."""
    format: RecordFormat = "records"
    """File sources: how records are read; ``gsm8k`` and ``math`` extract the final answer
    into ``answer`` (see `rlvr_envs.sources.formats`)."""

    def __post_init__(self) -> None:
        chosen = [
            name
            for name in ("generator", "jsonl", "huggingface", "package")
            if getattr(self, name) is not None
        ]
        if len(chosen) != 1:
            raise ValueError(
                "give exactly one of 'generator', 'jsonl', 'huggingface', 'package', got "
                + (", ".join(repr(c) for c in chosen) if chosen else "none")
            )
        if self.generator is not None and not self.splits:
            raise ValueError("a generator dataset needs 'splits', e.g. {test: 200, train: null}")
        if self.generator is None and (self.splits is not None or self.params):
            raise ValueError("'splits' and 'params' belong to generator datasets only")
        if self.format != "records":
            if self.jsonl is None and self.huggingface is None:
                raise ValueError("'format' applies to 'jsonl' and 'huggingface' datasets only")
            if self.reference_field != "answer":
                raise ValueError(
                    f"format {self.format!r} puts the final answer in 'answer'; "
                    "leave 'reference_field' out"
                )
        if self.package is not None:
            if self.id_field is not None or self.reference_field != "answer":
                raise ValueError(
                    "'id_field' and 'reference_field' belong to file datasets; "
                    "a package dataset names its own fields"
                )
            try:
                find_package(self.package)
            except RlvrError as exc:  # a ValueError is what names the field in the file
                raise ValueError(str(exc)) from None

    @property
    def kind(self) -> str:
        for kind in ("generator", "jsonl", "huggingface", "package"):
            if getattr(self, kind) is not None:
                return kind
        raise AssertionError("guaranteed by __post_init__")

    @property
    def split_names(self) -> tuple[str, ...]:
        if self.splits is not None:
            return tuple(self.splits)
        if self.jsonl is not None:
            return tuple(self.jsonl)
        if self.package is not None:
            return find_package(self.package).splits
        assert self.huggingface is not None  # guaranteed by __post_init__
        return tuple(self.huggingface.files)


@pydantic.dataclasses.dataclass(frozen=True, config=STRICT)
class RewardSpec:
    """Rewards by outcome. A partial score s in (0, 1) earns ``wrong + s * (correct - wrong)``.

    ``timeout`` and ``verifier_error`` always earn 0.0; trainers leave them out.
    """

    correct: float = 1.0
    wrong: float = 0.0
    unparsable: float = 0.0
    format_error: float = 0.0

    def reward(self, verification: Verification) -> float:
        status = verification.status
        if status.is_infrastructure_failure:
            return 0.0
        if status is Status.UNPARSABLE:
            return self.unparsable
        if status is Status.FORMAT_ERROR:
            return self.format_error
        score = min(max(verification.score, 0.0), 1.0)
        return self.wrong + score * (self.correct - self.wrong)


@pydantic.dataclasses.dataclass(frozen=True, config=STRICT)
class TaskSpec:
    """Everything that defines a task. See the module docstring for the YAML form."""

    id: str
    """``<name>-v<N>``, lower case; the Gymnasium id is ``rlvr/<id>``."""
    dataset: DatasetSpec | ProblemSource
    """Where problems come from (Python specs may pass a `ProblemSource` directly)."""
    prompt: str
    """The user message; ``{field}`` substitutes a problem field."""
    verifier: VerifierSpec | Verifier
    """Which verifier decides (Python specs may pass a `Verifier` instance)."""
    description: str = ""
    family: str = "custom"
    """A grouping shown by ``rlvr list`` (arithmetic, math, code, proof, ...)."""
    system_prompt: str | None = None
    """An optional system message before the prompt."""
    reward: RewardSpec = pydantic.Field(default_factory=RewardSpec)
    max_turns: int = pydantic.Field(default=1, ge=1, le=1000)
    """1: single-turn. More: after a wrong answer the policy sees the reason and tries again."""
    retry_prompt: str = DEFAULT_RETRY_PROMPT
    """Multi-turn: the next user message after a wrong answer; ``{reason}`` is the verdict."""
    max_response_chars: int = pydantic.Field(default=DEFAULT_MAX_RESPONSE_CHARS, ge=1)
    """Longer responses are a ``format_error`` without being verified."""
    default_split: str = "train"
    """The split environments draw from unless told otherwise."""
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not TASK_ID.fullmatch(self.id):
            raise ValueError(
                "id must look like '<name>-v<N>' in lower case (e.g. 'arithmetic-add-v1'), "
                f"got {self.id!r}"
            )
        for name, template in (("prompt", self.prompt), ("retry_prompt", self.retry_prompt)):
            try:
                fields = template_fields(template)
            except ValueError as exc:
                raise ValueError(f"{name} {exc}") from None
            if name == "retry_prompt" and set(fields) - {"reason"}:
                raise ValueError(f"retry_prompt may only use {{reason}}, found {fields}")
        if self.system_prompt is not None:
            try:
                template_fields(self.system_prompt)
            except ValueError as exc:  # name the template: the message starts with "is ..."
                raise ValueError(f"system_prompt {exc}") from None
        splits = self.split_names
        if self.default_split not in splits:
            raise ValueError(
                f"default_split {self.default_split!r} is not one of the splits {list(splits)}"
            )

    @property
    def name(self) -> str:
        return self.id.rsplit("-v", 1)[0]

    @property
    def version(self) -> int:
        return int(self.id.rsplit("-v", 1)[1])

    @property
    def gym_id(self) -> str:
        return f"{GYM_NAMESPACE}/{self.id}"

    @property
    def split_names(self) -> tuple[str, ...]:
        if isinstance(self.dataset, ProblemSource):
            return self.dataset.splits
        return self.dataset.split_names


def load_task_file(path: Path) -> TaskSpec:
    """Read and validate one task YAML file; relative data paths resolve against its folder.

    Raises:
        TaskSpecError: naming the file, the field and what was expected.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TaskSpecError(f"{path}: cannot read task file: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise TaskSpecError(f"{where}: not valid YAML: {problem}") from None
    if isinstance(data, dict) and isinstance(data.get("dataset"), dict):
        data = {**data, "dataset": _resolve_paths(data["dataset"], path.parent)}
    spec = validate(TaskSpec, data, where=str(path))
    if path.stem != spec.id:
        raise TaskSpecError(
            f"{path}: field 'id' is {spec.id!r} but the file is named {path.name!r}; "
            f"name the file '{spec.id}.yaml'"
        )
    return spec


def _resolve_paths(dataset: dict[str, Any], base: Path) -> dict[str, Any]:
    """Make the data paths of a dataset block absolute, relative to the task file."""

    def resolve(files: Any) -> Any:
        if not isinstance(files, dict):
            return files  # validation reports the wrong type
        return {split: str(base / f) if isinstance(f, str) else f for split, f in files.items()}

    resolved = dict(dataset)
    if "jsonl" in resolved:
        resolved["jsonl"] = resolve(resolved["jsonl"])
    hf = resolved.get("huggingface")
    if isinstance(hf, dict) and "files" in hf:
        resolved["huggingface"] = {**hf, "files": resolve(hf["files"])}
    return resolved
