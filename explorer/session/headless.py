"""A model opened for scripts and notebooks: codes, the 2-D map, decodes and the comparison,
with no display. `latent_atlas.open` returns one; the windows and the CLI compute the same
things with the same functions (`open_model`, `encode`, `build_map`, `Decoder`,
`compare_over_seeds`), so a number read here is the number they show.

Arrays follow the model contract: images are float N x C x H x W in [0, 1], codes N x d.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .opening import OpenedModel, OpenError, open_model

if TYPE_CHECKING:
    from latent_atlas.explorer.core.data.base import ImageSet
    from latent_atlas.explorer.core.latent.map import MapLike

MAP_METHODS = ("auto", "umap", "pca", "latent")
INTERPOLATION_MODES = ("lerp", "slerp")


def json_safe(value: Any) -> Any:
    """NaN and infinity are not JSON: None instead, recursively through dicts and lists."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def table_name(path: Any, kind: str, taken: set[str]) -> str:
    """A model's name in a table: its kind ("AE"), or kind and file stem when two share a
    kind; `taken` collects the names given so far."""
    name = kind.upper()
    if name in taken:
        stem = Path(path).stem if path else str(len(taken) + 1)
        name = f"{name} ({stem})"
    taken.add(name)
    return name


def named_models(opened: list[OpenedModel]) -> tuple[dict[str, Any], dict[str, str]]:
    """The models under their names in a comparison's table (`table_name`) and the file
    each came from ("" for a model opened from no file), by the same names."""
    models: dict[str, Any] = {}
    files: dict[str, str] = {}
    taken: set[str] = set()
    for o in opened:
        name = table_name(o.stored.path, o.model.kind, taken)
        models[name] = o.model
        files[name] = str(o.stored.path) if o.stored.path else ""
    return models, files


# With the per-latent rows, the comparison is this share of the progress, those the rest.
_TABLE_SHARE = 0.9


def compare_iter(opened: list[OpenedModel], data: ImageSet, settings: Any = None,
                 seeds: list[int] | None = None, *, latents: bool = False,
                 cancel: Any = None) -> Generator[Any, None, tuple[Any, dict[str, Any]]]:
    """Measure models on the same data, repeated with each sampling seed
    (`compare_over_seeds`), and with `latents` then each model's per-latent diagnostics (and
    disentanglement, when the data has factor columns) into `result.latents`: yields
    progress, returns the result and the document `compare --json` prints (NaN as null),
    with the models' files."""
    from latent_atlas.explorer.core.analysis.comparison.seeds import compare_over_seeds
    from latent_atlas.explorer.core.progress import Progress, relay

    models, files = named_models(opened)
    work = compare_over_seeds(models, data, settings, seeds, cancel=cancel)
    if not latents:
        result = yield from work
    else:
        from latent_atlas.explorer.core.analysis.disentangle.per_model import latents_iter

        def share(low: float, high: float):
            return lambda ev: Progress(ev.stage, low + (high - low) * (ev.fraction or 0.0),
                                       ev.message)

        result = yield from relay(work, share(0.0, _TABLE_SHARE))
        first_seed = result.settings.seed
        result.latents = yield from relay(latents_iter(models, data, seed=first_seed,
                                                       cancel=cancel), share(_TABLE_SHARE, 1.0))
    doc = result.to_dict()
    doc["files"] = files
    return result, json_safe(doc)


def compare_document(opened: list[OpenedModel], data: ImageSet, settings: Any = None,
                     seeds: list[int] | None = None, *, on_progress: Any = None,
                     cancel: Any = None) -> tuple[Any, dict[str, Any]]:
    """`compare_iter` without the per-latent rows, run to its end (`on_progress` is given
    each event): the result and the document `compare --json` prints."""
    from latent_atlas.explorer.core.progress import drain

    return drain(compare_iter(opened, data, settings, seeds, cancel=cancel), on_progress)


@dataclass
class HeadlessSession:
    """One opened model with its data, for scripts: everything is computed on first use and
    kept. `selection` holds sample indices (what a viewer of it shows as selected)."""

    opened: OpenedModel
    _codes: np.ndarray | None = field(default=None, repr=False)
    _maps: dict[str, MapLike] = field(default_factory=dict, repr=False)
    _errors: np.ndarray | None = field(default=None, repr=False)
    _selection: list[int] = field(default_factory=list, repr=False)

    # ---- what it is ------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """As the windows name it: the file's stem."""
        path = self.opened.stored.path
        return path.stem if path is not None else self.opened.name

    @property
    def path(self) -> Path | None:
        return self.opened.stored.path

    @property
    def kind(self) -> str:
        return str(self.opened.model.kind)

    @property
    def model(self) -> Any:
        return self.opened.model

    @property
    def data(self) -> ImageSet:
        return self.opened.require_data()

    @property
    def labels(self) -> np.ndarray | None:
        return self.data.labels

    def __len__(self) -> int:
        return len(self.data)

    # ---- codes and the map -----------------------------------------------------------------
    @property
    def codes(self) -> npt.NDArray[np.float32]:
        """The data's codes, N x d (the posterior means of a variational model)."""
        if self._codes is None:
            from latent_atlas.explorer.core.inference import encode

            self._codes = encode(self.model, self.data.images, labels=self.opened.labels)
        return self._codes

    def map(self, method: str | None = None, *, seed: int = 0) -> MapLike:
        """The 2-D map: the file's stored map when it fits the data and no method is asked
        for, else one fitted now ("auto", "umap", "pca" or "latent"; kept once made)."""
        if method is not None and method not in MAP_METHODS:
            raise OpenError(f"map method must be one of {', '.join(MAP_METHODS)}, not {method!r}")
        stored = self.opened.latent_map
        if method is None:
            if stored is not None and stored.n_points == len(self.data):
                return stored
            method = "auto"
        if method not in self._maps:
            from latent_atlas.explorer.core.latent.map import build_map
            from latent_atlas.explorer.core.progress import drain

            self._maps[method] = drain(build_map(self.codes, method, seed=seed))
        return self._maps[method]

    @property
    def errors(self) -> npt.NDArray[np.float32]:
        """Each image's reconstruction error (mean squared pixel error, 0..1 scale)."""
        if self._errors is None:
            from latent_atlas.explorer.core.inference import reconstruct_float

            rec = reconstruct_float(self.model, self.data.images, labels=self.opened.labels)
            orig = self.data.images.astype(np.float32) / 255.0
            self._errors = np.mean((orig - rec).reshape(len(rec), -1) ** 2, axis=1)
        return self._errors

    def map_table(self, method: str | None = None) -> dict[str, np.ndarray]:
        """The map as columns: x, y, label (-1 when unlabelled), error."""
        xy = np.asarray(self.map(method).positions, dtype=np.float32)
        labels = self.labels
        return {"x": xy[:, 0], "y": xy[:, 1],
                "label": (np.full(len(xy), -1, np.int64) if labels is None
                          else np.asarray(labels, np.int64)),
                "error": self.errors}

    def dataframe(self, method: str | None = None) -> Any:
        """`map_table` as a pandas DataFrame (pandas is not a dependency: install it)."""
        try:
            import pandas as pd
        except ImportError:
            raise OpenError("dataframe() needs pandas: pip install pandas "
                            "(map_table() gives the same columns as numpy arrays)") from None
        return pd.DataFrame(self.map_table(method))

    # ---- decoding --------------------------------------------------------------------------
    def decode_codes(self, codes: npt.ArrayLike, label: int | None = None
                     ) -> npt.NDArray[np.float32]:
        """Codes (M x d) -> images M x C x H x W in [0, 1]; a conditional model decodes under
        `label` (None: its default label)."""
        from latent_atlas.explorer.core.inference import decode_float

        return decode_float(self.model, codes, labels=self._label(label))

    def _label(self, label: int | None) -> int | None:
        if label is None:
            return None
        from latent_atlas.models.contract import missing

        k = int(self.model.n_cond)
        if not k:
            raise OpenError(f"{missing(self.model, 'labels', self.name)}; decode it without "
                            "a label")
        if isinstance(label, bool) or not isinstance(label, (int, np.integer)) \
                or not 0 <= int(label) < k:
            raise OpenError(f"label must be a class of {self.name}, a whole number in "
                            f"0..{k - 1}, not {label!r}")
        return int(label)

    def decode(self, xy: npt.ArrayLike, method: str | None = None, *,
               label: int | None = None) -> npt.NDArray[np.float32]:
        """Map positions (M x 2, or one pair) -> the images decoded there, as a click does
        (a conditional model: under `label`, or its default label)."""
        pts = np.asarray(xy, dtype=np.float64)
        if pts.ndim == 1:
            pts = pts[None]
        if pts.ndim != 2 or pts.shape[1] != 2 or not np.all(np.isfinite(pts)):
            raise OpenError(f"decode takes finite map positions M x 2, not an array of shape "
                            f"{pts.shape}")
        return self.decode_codes(self.map(method).inverse(pts), label)

    def interpolate(self, i: int, j: int, steps: int = 7, mode: str = "lerp", *,
                    label: int | None = None) -> npt.NDArray[np.float32]:
        """Decodes along the path from sample i's code to sample j's: steps x C x H x W (a
        conditional model: under `label`, or its default label)."""
        from latent_atlas.explorer.core.latent.interpolation import interpolate

        n = len(self.data)
        for k in (i, j):
            if not 0 <= int(k) < n:
                raise OpenError(f"sample {k} is not in the data (0..{n - 1})")
        if not 2 <= int(steps) <= 1000:
            raise OpenError(f"steps must be between 2 and 1000, not {steps}")
        if mode not in INTERPOLATION_MODES:
            raise OpenError(f"mode must be one of {', '.join(INTERPOLATION_MODES)}, not {mode!r}")
        z = self.codes
        return self.decode_codes(interpolate(z[int(i)], z[int(j)], int(steps), mode), label)

    # ---- the selection ---------------------------------------------------------------------
    @property
    def selection(self) -> list[int]:
        return list(self._selection)

    @selection.setter
    def selection(self, indices: Any) -> None:
        from .selection import check_indices

        self._selection = [int(i) for i in check_indices(indices, len(self.data))]

    # ---- against another model -------------------------------------------------------------
    def compare(self, other: HeadlessSession, *, samples: int = 2000, pairs: int = 500,
                seed: int = 0, classifier: bool = True) -> dict[str, Any]:
        """What `latent-atlas compare --json` prints for this model against `other`, measured
        on this session's data."""
        from latent_atlas.explorer.core.analysis.comparison.metrics import MetricSettings

        mine, theirs = self.opened.model.image_shape, other.opened.model.image_shape
        if tuple(mine) != tuple(theirs):
            raise OpenError(f"{self.name} and {other.name} take images of different shapes "
                            f"({mine} and {theirs}); compare models of one data set")
        settings = MetricSettings(seed=seed, n_prior=samples, n_pairs=pairs,
                                  classifier=classifier)
        _, doc = compare_document([self.opened, other.opened], self.data, settings, [seed])
        return doc


def open_headless(source: Any, data: Any = None, **options: Any) -> HeadlessSession:
    """Open a model for scripts: a model file, a folder of a foreign model, or a model
    object (a plain nn.Module, an (encoder, decoder) pair), with its data: a spec such as
    "digits", an image array, or (images, labels)."""
    from .opening import check_shape
    from .user_model import as_image_set, is_source

    if isinstance(data, str) or data is None or is_source(source):
        return HeadlessSession(open_model(source, data=data, **options))
    opened = open_model(source, with_data=False)
    images = as_image_set(data)
    assert images is not None
    check_shape(images, opened.model.image_shape, opened.name)
    if opened.model.n_cond and images.labels is None:
        raise OpenError(f"{opened.name} is a conditional VAE and needs labelled data: "
                        "give data=(images, labels)")
    opened.data = images
    from latent_atlas.explorer.core.inference import set_switch_reference

    set_switch_reference(opened.model, images.images, labels=opened.labels)
    return HeadlessSession(opened)
