"""Opening a model Latent Atlas did not build: the same `OpenedModel` as a model file.

    opened = open_source(my_vae, data="digits")                 # a plain nn.Module
    opened = open_source((encoder, decoder), data=images_uint8)  # a pair, numpy images
    opened = open_source(PythonFactory("my.py:make"), data="mnist")  # --python (runs code)
    opened = open_source("exported/", data="digits")             # ONNX / diffusers / pythae folder

Every source is wrapped behind the model contract (`models/contract.py`), probed once on
a few of the data's images (`latent_atlas.models.sources.checks`: a bad model is one `BadModelError`
sentence, a slow decoder a note), and handed back with its data, exactly as `open_model`
hands back a model file (`latent_atlas.explorer.session.opening.open_source` and `open_model` call
`prepare_source` here). The windows make a `Session` of it with `open_session.session_of_opened`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .user_code import PythonFactory, SourceError, UserSource

if TYPE_CHECKING:
    from latent_atlas.explorer.core.data.base import ImageSet

_SAMPLE = 16  # images the probe encodes and decodes
# What a folder holds that says which source it is.
_ONNX = ("encoder.onnx", "decoder.onnx")
_PICKLE_CONSENT = ("{detail}: pickled, and unpickling may run code stored in the files. Open "
                   "it only if you trust where it came from, with --allow-pickle (CLI) or "
                   "allow_pickle=True (Python)")


def is_source(obj: Any) -> bool:
    """Whether `open_model` should hand `obj` to `open_source`: anything but a path, or a
    path to a folder of a foreign model."""
    if isinstance(obj, (str, Path)):
        return folder_kind(Path(obj)) is not None
    return True


def folder_kind(path: Path) -> str | None:
    """'onnx', 'diffusers' or 'pythae' for a folder holding such a model, else None."""
    if not path.is_dir():
        return None
    if all((path / f).is_file() for f in _ONNX):
        return "onnx"
    config = path / "config.json"
    if config.is_file() and "AutoencoderKL" in config.read_text(errors="replace")[:4096]:
        return "diffusers"
    if (path / "model_config.json").is_file():
        return "pythae"
    return None


def as_image_set(data: Any, **options: Any) -> ImageSet | None:
    """A data spec, an ImageSet, an image array (uint8, or floats in [0, 1]; N x H x W,
    N x H x W x C or N x C x H x W) or an (images, labels) pair as an ImageSet; None stays
    None."""
    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.explorer.core.data.base import DataError, ImageSet

    if data is None or isinstance(data, ImageSet):
        return data
    if isinstance(data, (str, Path)):
        return load_data(str(data), **options)
    from latent_atlas.explorer.core.data.arrays import to_labels, to_nchw, to_uint8

    images, labels = data if isinstance(data, tuple) and len(data) == 2 else (data, None)
    arr = np.asarray(images)
    if arr.size == 0:
        raise DataError("the array holds no images: give at least one")
    images = to_uint8(to_nchw(arr, "the array"), "the array")
    return ImageSet(images=images, spec="array",
                    labels=None if labels is None else to_labels(np.asarray(labels), len(images),
                                                                 "the array"))


@dataclass
class PreparedSource:
    """A foreign model behind the contract, its data, notes and what it says of itself."""

    model: Any
    data: ImageSet
    name: str
    notes: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def no_file(self) -> Any:
        """The `ModelFile` of a model opened from no file (no path, no config, no map)."""
        from latent_atlas.models.modelfile import ModelFile

        return ModelFile(meta=self.meta, arrays={}, path=None, config=None)


def prepare_source(obj: Any, *, data: Any = None, name: str | None = None,
                   output: str | None = None, image_shape: tuple[int, int, int] | None = None,
                   variational: bool | None = None, allow_pickle: bool = False,
                   need_labels: bool = False, conditioning: Any = None,
                   **data_options: Any) -> PreparedSource:
    """Wrap a model Latent Atlas did not build and load its data, checked (module
    docstring); `latent_atlas.explorer.session.opening.open_source` makes it an `OpenedModel`.

    `data` is a data spec, an `ImageSet` or an image array (it gives the image shape, unless
    `image_shape` does); `output="logits"` reads the decoder's output through a sigmoid;
    `variational=False` ignores an encoder's log-variance; `conditioning` declares a
    conditional model (`latent_atlas.models.sources.conditioning`: a dict such as
    `{"classes": 10}`; a factory's dict may hold it, or the module its
    `latent_atlas_conditioning`). Failures are one `SourceError`, `DataError` or
    `BadModelError` sentence.
    """
    label = name
    if isinstance(obj, UserSource):
        output = output or obj.output
        allow_pickle = allow_pickle or obj.allow_pickle
        obj = obj.target
    fallback = ""
    if isinstance(obj, PythonFactory):
        fallback = obj.name
        obj = obj.load()
    if isinstance(obj, dict):  # a factory's model with its options
        opts = dict(obj)
        data = data if data is not None else opts.pop("data", None)
        label = label or opts.pop("name", None)
        output = output or opts.pop("output", None)
        conditioning = conditioning if conditioning is not None else opts.get("conditioning")
        obj = opts.get("model") or (opts.get("encoder"), opts.get("decoder"))
    label = label or fallback or None
    images = as_image_set(data, **data_options)
    folder_meta: dict[str, Any] = {}
    if isinstance(obj, (str, Path)):
        if conditioning is not None:
            raise SourceError(f"{Path(obj).name} is a model folder (ONNX, diffusers or pythae), "
                              "and those take no labels: conditioning is declared for a model "
                              "of your own in Python")
        obj, folder_meta = _open_folder(Path(obj), allow_pickle=allow_pickle)
        label = label or Path(obj_name(folder_meta)).name
        output = output or folder_meta.get("output")
        if image_shape is None and folder_meta.get("image_shape"):
            image_shape = tuple(int(s) for s in folder_meta["image_shape"])  # type: ignore[assignment]
        if images is None and folder_meta.get("data_spec"):
            images = as_image_set(folder_meta["data_spec"], **data_options)
    shape = image_shape or (images.shape if images is not None else None)
    shape = shape or getattr(obj, "image_shape", None)
    if shape is None:
        raise SourceError("give the data to map (--data SPEC on the command line, data=SPEC "
                          "or an image array in Python), so the model's image shape is known")
    label = label or type(obj).__name__
    if images is None:
        raise SourceError(f"{label} was handed over without data; give data=SPEC or an "
                          "image array (CLI: --data SPEC)")
    if tuple(images.shape) != tuple(shape):
        c, h, w = images.shape
        raise SourceError(f"{images.spec} has {h}x{w}x{c} images but {label} takes "
                        f"{shape[1]}x{shape[2]}x{shape[0]}")
    if need_labels and images.labels is None:
        raise SourceError(f"{images.spec} has no labels; this needs a labelled data set")
    from latent_atlas.models.sources.conditioning import declared

    cond = declared(obj, conditioning)
    if cond is not None:
        check_condition_labels(images, cond.classes, label)
    model = _contract_model(obj, tuple(shape), images, output, variational, label,
                            str(folder_meta.get("source") or "user"), cond)
    from latent_atlas.explorer.core.model_check import probe_model

    sample_labels = None if cond is None or images.labels is None else images.labels[:_SAMPLE]
    notes = probe_model(model, np.asarray(images.images[:_SAMPLE]), name=label,
                        labels=sample_labels)
    meta = {"data_spec": images.spec if images.spec != "array" else "",
            "label_names": list(images.label_names), "source": model.kind, **folder_meta}
    return PreparedSource(model=model, data=images, name=label, notes=notes, meta=meta)


def check_condition_labels(images: ImageSet, classes: int, name: str) -> None:
    """A conditional model needs every image's label, each one of its classes."""
    if images.labels is None:
        raise SourceError(f"{name} is conditional ({classes} classes) and needs labelled data; "
                          f"{images.spec} has no labels (give data=(images, labels) in Python)")
    top = int(np.max(images.labels)) if len(images.labels) else 0
    if top >= classes:
        raise SourceError(f"{images.spec} has labels up to {top} but {name} declares "
                          f"{classes} classes (0..{classes - 1}); declare the classes it was "
                          "trained with, or give data with those labels")


def obj_name(meta: dict[str, Any]) -> str:
    return str(meta.get("folder") or "model")


def _contract_model(obj: Any, shape: tuple[int, ...], images: ImageSet, output: str | None,
                    variational: bool | None, label: str, family: str, cond: Any) -> Any:
    from latent_atlas.models.contract import LatentModel

    if isinstance(obj, LatentModel) and output is None:
        if cond is not None:
            raise SourceError(f"{label} already speaks the model contract; its conditioning is "
                              "its own (n_cond), not declared when it is opened")
        return obj  # ours, or an adapter already
    import torch

    from latent_atlas.models.sources.diffusers_vae import is_autoencoder_kl
    from latent_atlas.models.sources.pythae_model import is_pythae_model

    if is_autoencoder_kl(obj):
        family = "diffusers"
    elif is_pythae_model(obj):
        family = "pythae"

    from latent_atlas.models.sources import from_object

    sample = torch.from_numpy(np.array(images.images[:_SAMPLE])).float().div_(255.0)
    labels = None if cond is None or images.labels is None else images.labels[:_SAMPLE]
    if output not in (None, "probabilities", "logits"):
        raise SourceError(f"output must be 'probabilities' or 'logits', not '{output}'")
    return from_object(obj, (int(shape[0]), int(shape[1]), int(shape[2])), sample,
                       output="logits" if output == "logits" else "probabilities",
                       variational=variational, family=family, source=label,
                       conditioning=cond, sample_labels=labels)


def _open_folder(path: Path, *, allow_pickle: bool) -> tuple[Any, dict[str, Any]]:
    kind = folder_kind(path)
    meta: dict[str, Any] = {"folder": str(path)}
    if kind == "onnx":
        from latent_atlas.models.sources.onnx_pair import open_onnx_pair

        model, extra = open_onnx_pair(path)
        return model, {**meta, **extra}
    if kind == "diffusers":
        from latent_atlas.models.sources.diffusers_vae import open_autoencoder_kl

        return open_autoencoder_kl(path), {**meta, "source": "diffusers"}
    if kind == "pythae":
        from latent_atlas.models.sources.pythae_model import PickleRefused, open_pythae

        try:
            return open_pythae(path, allow_pickle=allow_pickle), {**meta, "source": "pythae"}
        except PickleRefused as exc:
            raise SourceError(_PICKLE_CONSENT.format(detail=exc)) from None
    raise SourceError(f"{path} is a folder but holds no model Latent Atlas can open (an ONNX "
                    "pair encoder.onnx + decoder.onnx, a diffusers AutoencoderKL or a pythae "
                    "model folder)")


_SOURCE_NAMES = {"user": "Python (a module or a factory)", "onnx": "an ONNX pair",
                 "diffusers": "a diffusers AutoencoderKL", "pythae": "a pythae model"}


def describe(opened: Any) -> dict[str, Any]:
    """What `latent-atlas info` says of a model opened from no file: its shapes, whether it
    is variational or conditional, its data, and what it cannot do (one sentence each)."""
    from dataclasses import asdict

    model = opened.model
    caps = model.capabilities
    # `switches` is a need (the encoder's switches to decode), not something a model lacks
    cannot = {k: caps.why_not(k, opened.name) for k in asdict(caps)
              if not getattr(caps, k) and k != "switches"}
    data = opened.data
    family = str(model.kind).rpartition("-")[0] or str(model.kind)
    cond = getattr(model, "conditioning", None)  # declared (models/sources/conditioning.py)
    return {"name": opened.name, "source": _SOURCE_NAMES.get(family, family),
            "kind": str(model.kind), "image_shape": list(model.image_shape),
            "code_shape": list(model.code_shape), "latent_dim": int(model.latent_dim),
            "variational": bool(model.variational), "n_cond": int(model.n_cond),
            "conditioning": None if cond is None else cond.to_dict(),
            "conditional": "no" if cond is None else cond.describe(),
            "data_spec": "" if data is None else data.spec,
            "n_images": 0 if data is None else len(data.images),
            "label_names": list(opened.meta.get("label_names") or []),
            "folder": opened.meta.get("folder"), "can": [k for k in asdict(caps)
                                                         if getattr(caps, k)],
            "cannot": cannot, "notes": list(opened.notes)}


ROUND_TRIP_TOL = 1e-5


def export_onnx(opened: Any, folder: Path) -> tuple[list[Path], float]:
    """Write an opened model as an ONNX pair (`latent_atlas.models.sources.onnx_pair`) into `folder`,
    then decode the same codes with onnxruntime and with the model: returns the files and
    the largest pixel difference, and refuses (removing nothing it did not write) above
    `ROUND_TRIP_TOL`."""
    import torch

    from latent_atlas.explorer.core.inference import decode_float
    from latent_atlas.models.sources.onnx_pair import export_onnx_pair, open_onnx_pair

    try:
        import onnx  # noqa: F401  (torch.onnx.export writes with it)
    except ImportError:
        raise SourceError("--format onnx needs onnx and onnxruntime: pip install "
                          "'latent-atlas[onnx]' (or pip install onnx onnxruntime)") from None
    model = opened.model
    meta = {k: v for k, v in (("data_spec", opened.meta.get("data_spec")),
                              ("label_names", opened.meta.get("label_names"))) if v}
    files = export_onnx_pair(model, Path(folder), meta=meta)
    (_, decode_fn), _ = open_onnx_pair(Path(folder))
    z = torch.from_numpy(np.random.default_rng(0).standard_normal((16, model.latent_dim),
                                                                   dtype=np.float32))
    ours = decode_float(model, z.numpy())
    theirs = decode_fn(z).reshape(ours.shape).numpy()  # the exported decoder takes flat codes
    gap = float(np.abs(ours - theirs).max())
    if not gap <= ROUND_TRIP_TOL:
        raise SourceError(f"the ONNX decoder differs from the model by {gap:.2e} (more than "
                          f"{ROUND_TRIP_TOL:g}); the export is not faithful")
    return files, gap
