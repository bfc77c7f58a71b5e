"""Denoising, Qt-free: corrupt the picked image (a sample or your own) with a chosen noise
and level, reconstruct it with each shown model that takes its size, and measure MSE /
PSNR / SSIM against the clean image; beside them the classic denoisers (median filter,
non-local means) on the same noisy image.

The numbers are `latent_atlas.explorer.core.analysis.applications.denoise`, computed in a background
job (a newer request supersedes it) with the display images the panel shows.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from latent_atlas.explorer.core.analysis.applications import (
    BASELINES,
    NOISE_KINDS,
    ApplicationError,
    classic_denoise,
    denoise,
)
from latent_atlas.explorer.core.analysis.applications.baselines import BASELINE_TITLES
from latent_atlas.explorer.core.analysis.applications.denoise import psnr_of_mse, quality_caption
from latent_atlas.explorer.core.inference import one_torch_thread
from latent_atlas.explorer.core.io.images import sample_display
from latent_atlas.explorer.core.progress import check_cancel

from ..jobs import Jobs
from ..workspace import ShownSessions
from .base import PanelModel, job_name
from .sources import PickedImage, SamplePick, label_array, session_title

NOISE_TITLES = {"gaussian": "Gaussian", "masking": "masking (pixels zeroed)",
                "salt-and-pepper": "salt and pepper"}
NOISES = tuple((kind, NOISE_TITLES.get(kind, kind)) for kind in NOISE_KINDS)
CLASSIC = tuple((name, BASELINE_TITLES[name]) for name in BASELINES)


def level_text(kind: str, level: float) -> str:
    """What the level means for this noise: a sigma or a share of the pixels."""
    return f"σ = {level:.2f}" if kind == "gaussian" else f"{100 * level:.0f} % of pixels"


def _lines(caption: str) -> str:
    return caption.replace(" · ", "\n")


@dataclass
class ShownImage:
    """One image box: its title, display image (None: nothing) and caption."""

    title: str
    image: np.ndarray | None = None
    caption: str = ""


@dataclass
class DenoiseView:
    """What the panel shows: the clean and noisy images, one reconstruction per model that
    takes the image, the classic denoisers (empty when off) and a hint; `results` and
    `baselines` are the core's DenoiseResult per session name and BaselineOutput per name."""

    clean: ShownImage = field(default_factory=lambda: ShownImage("clean"))
    noisy: ShownImage = field(default_factory=lambda: ShownImage("noisy"))
    models: list[ShownImage] = field(default_factory=list)
    classic: dict[str, ShownImage] = field(default_factory=dict)
    hint: str = ""
    results: dict[str, Any] = field(default_factory=dict)
    baselines: dict[str, Any] = field(default_factory=dict)


class DenoiseModel(PanelModel):
    """The denoising panel's state and job (see module docstring)."""

    FOLLOW = SamplePick.FOLLOW

    def __init__(self, shown: ShownSessions, jobs: Jobs):
        self.pick = SamplePick()
        self.noise = "gaussian"
        self.level = 0.3
        self.seed = 0
        self.classic = True
        self.view = DenoiseView()
        super().__init__(shown, jobs)
        self.schedule()

    # ---- gestures ----------------------------------------------------------------------
    def set_pick_mode(self, mode: str) -> None:
        self.pick.set_mode(mode)
        self.changed.emit()  # the picker shows the choice at once; the image follows
        self.schedule()

    def set_pick_number(self, number: int) -> None:
        self.pick.set_number(number)
        self.changed.emit()
        self.schedule()

    def set_noise(self, kind: str) -> None:
        if kind not in NOISE_KINDS:
            raise ValueError(f"unknown noise {kind!r}")
        self.noise = kind
        self.schedule()

    def set_level(self, level: float) -> None:
        self.level = float(level)
        self.schedule()

    def new_noise(self) -> None:
        """Draw another random noise pattern at the same level."""
        self.seed += 1
        self.schedule()

    def set_classic(self, on: bool) -> None:
        self.classic = bool(on)
        self.schedule()

    def level_text(self) -> str:
        return level_text(self.noise, self.level)

    def pick_max(self) -> int:
        return SamplePick.largest(self.shown.first)

    # ---- work ----------------------------------------------------------------------------
    def update(self) -> None:
        picked, why = self.pick.pick(self.shown.first)
        shape = None if picked is None else tuple(picked.image.shape)
        models = [s for s in self.sessions if s.model is not None and s.input_shape == shape]
        if picked is None or not models:
            for j in self.jobs.running(job_name("denoise", self)):
                j.supersede()
            self.view = DenoiseView(hint=why or "Waiting for the model to load…")
            self.changed.emit()
            return
        skipped = len([s for s in self.sessions if s.model is not None]) - len(models)
        settings = (self.noise, self.level, self.seed, self.classic)
        tasks = [(session_title(s), s.name, s.model) for s in models]
        job = self.jobs.start(job_name("denoise", self),
                              lambda cancel: _denoise_all(tasks, picked, settings, skipped,
                                                          cancel))
        job.succeeded.connect(self._on_view)
        job.failed.connect(lambda msg: self._on_view(DenoiseView(hint=msg)))
        job.start()

    def _on_view(self, view: DenoiseView) -> None:
        self.view = view
        self.changed.emit()

    @property
    def results(self) -> dict[str, Any]:
        return self.view.results

    @property
    def baselines(self) -> dict[str, Any]:
        return self.view.baselines


def _denoise_all(tasks: list[tuple[str, str, Any]], picked: PickedImage, settings: tuple,
                 skipped: int, cancel: threading.Event) -> DenoiseView:
    """Worker: every model's reconstruction of one noisy image, and the classic ones."""
    kind, level, seed, classic = settings
    view = DenoiseView()
    first = None
    with one_torch_thread():
        for title, name, model in tasks:
            check_cancel(cancel, "denoising")
            box = ShownImage(title)
            view.models.append(box)
            try:
                r = denoise(model, picked.image, kind, level, seed=seed, labels=label_array(picked.label))
            except ApplicationError as exc:
                box.caption = str(exc)
                continue
            view.results[name] = r
            m = r.summary()
            box.image = sample_display(r.reconstruction, [0])[0]
            box.caption = _lines(quality_caption(m["recon_mse"], m["recon_psnr"],
                                                 m["recon_ssim"]))
            first = first or r
    if first is None:
        view.hint = "No shown model could denoise this image."
        return view
    m = first.summary()
    view.clean = ShownImage("clean", sample_display(first.clean, [0])[0], picked.title)
    view.noisy = ShownImage("noisy", sample_display(first.noisy, [0])[0],
                            _lines(quality_caption(m["noisy_mse"], m["noisy_psnr"],
                                                   m["noisy_ssim"])))
    if classic:  # on the very noisy image the models were given
        view.baselines = dict(classic_denoise(first.clean, first.noisy, BASELINES))
        for name, b in view.baselines.items():
            err = float(b.mse.mean())
            view.classic[name] = ShownImage(
                BASELINE_TITLES[name], sample_display(b.output, [0])[0],
                _lines(quality_caption(err, psnr_of_mse(err), float(b.ssim.mean()))))
    note = f" ({skipped} shown model(s) take a different image size)" if skipped else ""
    denoiser = " and classic denoiser" if classic else ""
    view.hint = ("Errors against the clean image; higher PSNR and SSIM are better. "
                 f"Each model{denoiser} sees the same noisy image{note}.")
    return view
