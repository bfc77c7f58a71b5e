"""`train` (a new model, or one `--resume` continues: its start is `resume.py`) and the
saving of `train-pair`'s models: the flags the model family offers (read from
`models.config` and `models.kinds`, so a new kind's options appear without touching the
CLI) and the run itself on the trainer (`models.trainer`), in one process or as one of
torchrun's (`models.distributed`).

Importing this module stays cheap (no torch): the CLI builds its parser from it."""

from __future__ import annotations

import os
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from latent_atlas.models.config import DOWNSAMPLE_CHOICES, UPSAMPLE_CHOICES, field_default
from latent_atlas.models.kinds import KINDS, all_options

if TYPE_CHECKING:
    from latent_atlas.explorer.core.data.base import ImageSet


@dataclass(frozen=True)
class VariantFlag:
    """A field a kind adds to the model config, as a command-line flag."""

    field: str  # the ModelConfig field (and the parsed argument's name)
    flag: str  # "--field-name"
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    bounds: tuple[float, float] | None = None  # a number refused outside [low, high]


def variant_flags() -> tuple[VariantFlag, ...]:
    """Every kind's own options (models/kinds.py), once each, with their config defaults."""
    return tuple(VariantFlag(o.field, o.flag, field_default(o.field), o.help, tuple(o.choices),
                             o.bounds) for o in all_options())


def sampling_choices() -> dict[str, tuple[str, ...]]:
    """The conv blocks' choices: "upsample" (decoder) and "downsample" (encoder)."""
    return {"upsample": tuple(UPSAMPLE_CHOICES), "downsample": tuple(DOWNSAMPLE_CHOICES)}


def is_conditional(kind: str) -> bool:
    """Whether models of `kind` are trained with labels (cvae, caae)."""
    return bool(KINDS[kind].conditional)


def resolve_device(preference: str) -> Any:
    """The torch device for "auto", "cpu", "cuda" or "mps" (a readable error if missing)."""
    from latent_atlas.models.device import resolve_device as resolve

    return resolve(preference)


def process_group(device: Any) -> Any:
    """This process's training group: one process, or one of torchrun's (then set up);
    `is_main`, `device`, `world_size`, `barrier()` and `close()`."""
    from latent_atlas.models.distributed import from_env

    return from_env(device)


def new_model(config: Any) -> Any:
    """A freshly initialised network of `config` (a ModelConfig)."""
    from latent_atlas.models.networks import build_model

    return build_model(config)


@dataclass
class Training:
    """What a run trains: the data, the network (new, or a file's weights), the epochs
    it already has and the optimizer state it continues (None: a fresh optimizer)."""

    data: ImageSet
    model: Any
    history: list[dict[str, Any]] = field(default_factory=list)
    state: Any = None
    notes: list[str] = field(default_factory=list)  # what a front end should tell first

    def run(self, epochs: int, group: Any, cancel: Any = None) -> Generator[Any, None, Any]:
        """Train `epochs` more epochs in `group`: yields the trainer's progress (pretrain,
        batch and epoch events), returns its TrainResult."""
        from latent_atlas.models.trainer import train

        return train(self.model, self.data.images, labels=self.data.labels, epochs=epochs,
                     device=str(group.device), cancel=cancel, history=self.history,
                     state=self.state, group=group)

    def save(self, out: str | os.PathLike, result: Any) -> None:
        """Write the trained model with its data spec, label names, whole history and
        training state (so `train --resume` continues it), atomically."""
        from latent_atlas.models.checkpoint import save_model

        save_model(out, result.model, data_spec=self.data.spec,
                   label_names=self.data.label_names, history=result.history,
                   train_state=result.state)


def save_pair_model(out: str | os.PathLike, trained: Any, data: ImageSet) -> None:
    """One model `train-pair` trained (a TrainResult of `core.training.train_pair`), with
    its data spec, label names, history and training state (resumable), and for a 2-D
    latent its own map stored at once (with the labels that colour it)."""
    from latent_atlas.explorer.core.io.saving import save_explorable
    from latent_atlas.explorer.core.training import latent_identity_map

    latent_map = latent_identity_map(trained.model.cpu().eval(), data)
    save_explorable(out, trained.model, latent_map=latent_map, data_spec=data.spec,
                    label_names=data.label_names, history=trained.history,
                    labels=data.labels if latent_map is not None else None,
                    train_state=trained.state)
