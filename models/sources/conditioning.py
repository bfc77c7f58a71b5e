"""Conditioning of a model of your own: which of its halves take a class label, and how.

Declared by the user, never guessed from a signature:

    open_source(cvae, data="digits", conditioning={"classes": 10})          # encode(x, y), decode(z, y)
    open_source(cvae, data="digits", conditioning=Conditioning(10, encoder=False))  # decode(z, y) only
    def make(): return {"model": cvae, "data": "digits", "conditioning": {"classes": 10}}  # --python
    cvae.latent_atlas_conditioning = {"classes": 10, "form": "one-hot"}    # on the module itself

`y` is handed over as N class indices (a LongTensor, `form="index"`) or as N x classes
one-hot floats (`form="one-hot"`). Without a label (a click on the map, a prior sample) the
model decodes under `default_label`, as Latent Atlas's own conditional VAE does.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import torch

from .checks import BadModelError

Form = Literal["index", "one-hot"]
FORMS = ("index", "one-hot")
ATTRIBUTE = "latent_atlas_conditioning"  # what a module may declare itself with


@dataclass(frozen=True)
class Conditioning:
    """A conditional model's labels: `classes` classes, given to the encoder (`encode(x, y)`)
    and/or the decoder (`decode(z, y)`) as class indices or one-hot vectors."""

    classes: int
    encoder: bool = True
    decoder: bool = True
    form: Form = "index"
    default_label: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.classes, bool) or not isinstance(self.classes, int) \
                or self.classes < 2:
            raise BadModelError(f"conditioning needs 'classes', the number of classes (a whole "
                                f"number of at least 2), not {self.classes!r}")
        if not isinstance(self.encoder, bool) or not isinstance(self.decoder, bool):
            raise BadModelError("conditioning's 'encoder' and 'decoder' are true or false: "
                                "whether that half takes the label")
        if not (self.encoder or self.decoder):
            raise BadModelError("conditioning says neither the encoder nor the decoder takes "
                                "the label; leave conditioning out for a model without labels")
        if self.form not in FORMS:
            raise BadModelError(f"conditioning's 'form' is 'index' (class numbers) or 'one-hot', "
                                f"not {self.form!r}")
        d = self.default_label
        if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d < self.classes:
            raise BadModelError(f"conditioning's 'default_label' must be a class in "
                                f"0..{self.classes - 1}, not {d!r}")

    @classmethod
    def from_value(cls, value: Any) -> Conditioning | None:
        """A `Conditioning` from what a user declared: None, a Conditioning, a number of
        classes, or a dict of its fields (anything else is one `BadModelError` sentence)."""
        if value is None or isinstance(value, Conditioning):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(classes=value)
        if isinstance(value, dict):
            unknown = sorted(set(value) - set(cls.__dataclass_fields__))
            if unknown:
                raise BadModelError(f"conditioning does not know {', '.join(map(repr, unknown))}; "
                                    "it takes classes, encoder, decoder, form and default_label")
            if "classes" not in value:
                raise BadModelError("conditioning needs 'classes', the number of classes")
            return cls(**value)
        raise BadModelError(f"conditioning is a dict such as {{'classes': 10}} (or a number of "
                            f"classes), not a {type(value).__name__}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """'10 classes, to the encoder and the decoder as class indices'."""
        halves = " and the ".join(h for h, on in (("encoder", self.encoder),
                                                   ("decoder", self.decoder)) if on)
        form = "class indices" if self.form == "index" else "one-hot vectors"
        return f"{self.classes} classes, to the {halves} as {form}"

    def tensor(self, y: Any, n: int, device: torch.device | None = None) -> torch.Tensor:
        """The labels of `n` images or codes as the model takes them (None: the default)."""
        if y is None:
            t = torch.full((n,), self.default_label, dtype=torch.long, device=device)
        else:
            t = torch.as_tensor(y, device=device).long().reshape(-1)
            if t.numel() == 1 and n != 1:
                t = t.expand(n)
            if t.numel() != n:
                raise BadModelError(f"{n} images or codes but {t.numel()} labels")
            if n and (int(t.min()) < 0 or int(t.max()) >= self.classes):
                raise BadModelError(f"labels must be in 0..{self.classes - 1}: the model "
                                    f"declares {self.classes} classes")
        if self.form == "one-hot":
            return torch.nn.functional.one_hot(t, self.classes).float()
        return t


def declared(obj: Any, given: Any) -> Conditioning | None:
    """The conditioning a user declared: `given` (the keyword or a factory's dict), else the
    model's own `latent_atlas_conditioning` attribute, else None (not conditional)."""
    if given is not None:
        return Conditioning.from_value(given)
    return Conditioning.from_value(getattr(obj, ATTRIBUTE, None))
