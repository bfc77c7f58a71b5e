"""Compression against JPEG, Qt-free: each held-out image sent as its code, every
dimension quantised to b bits, against a JPEG of the same size (`compress_iter` in
`latent_atlas.explorer.core.analysis.claims.codec`), one job per shown model; the rate-distortion curves,
the summary and a row of examples are what the panel draws."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from latent_atlas.explorer.core.analysis.claims.codec import (
    CompressSettings,
    compress_iter,
    compress_summary,
    parse_bits,
)
from latent_atlas.explorer.core.analysis.claims.codec_figure import rate_distortion_curves

from ..jobs import Jobs
from ..session import Session
from ..workspace import ShownSessions
from .measure import MeasureModel
from .sources import session_title

SESSION_COLOURS = ((200, 50, 40), (150, 60, 200))
HINT = ("Send each held-out image as its code, every dimension quantised to b bits, and "
        "compare it with a JPEG of the same size (PSNR, higher is better).")


@dataclass(frozen=True)
class Curve:
    """One line of the chart: bits per image against PSNR."""

    name: str
    bits: np.ndarray
    psnr: np.ndarray
    colour: tuple[int, int, int]
    dashed: bool = False
    symbol: str = "o"


@dataclass
class CompressView:
    """The chart's curves, the summary lines, the bits the examples can show, the example
    columns ((title, display images), original / AE / JPEG) and the hint."""

    curves: list[Curve] = field(default_factory=list)
    summary: str = ""
    bit_choices: list[int] = field(default_factory=list)
    example_bits: int | None = None
    examples: list[tuple[str, np.ndarray]] = field(default_factory=list)
    hint: str = ""


class CompressModel(MeasureModel):
    WHAT = "compression"

    def __init__(self, shown: ShownSessions, jobs: Jobs):
        self.bits_text = "2,4,8"
        self.max_images = 300  # 0: all held-out images
        self.example_bits: int | None = None
        self.view = CompressView()
        super().__init__(shown, jobs)

    def set_bits_text(self, text: str) -> None:
        self.bits_text = text
        self.setting_changed()

    def set_max_images(self, n: int) -> None:
        self.max_images = int(n)
        self.setting_changed()

    def set_example_bits(self, bits: int | None) -> None:
        self.example_bits = bits
        self.schedule()

    def settings(self) -> CompressSettings:
        return CompressSettings(bits=parse_bits(self.bits_text), examples=4,
                                max_images=self.max_images or None)

    def refuses(self, s: Session) -> str:
        if s.model is not None and s.model.config.is_conditional:
            return ("A conditional model needs each image's label beside its code; "
                    "compression is measured for plain models only.")
        return ""

    def make_job(self, s: Session, settings: Any) -> Callable[[threading.Event], Any]:
        model, images, spec = s.model, s.images, s.data_spec
        assert images is not None  # `run` measures loaded models only
        return lambda cancel: compress_iter(model, images, settings, data_spec=spec,
                                            cancel=cancel)

    def update(self) -> None:
        results = self.shown_results()
        view = CompressView()
        if not results:
            self.hint = view.hint = self.idle_hint(HINT)
            self.view = view
            self.changed.emit()
            return
        many = len(results) > 1
        for k, (s, r) in enumerate(results):
            ae = rate_distortion_curves(r)[0]
            name = f"{s.kind.upper()} ({s.name})" if many else ae.name
            view.curves.append(Curve(name, np.asarray(ae.bits), np.asarray(ae.psnr),
                                     SESSION_COLOURS[k % 2], symbol="s"))
        for c in rate_distortion_curves(results[0][1])[1:]:
            view.curves.append(Curve(c.name, np.asarray(c.bits), np.asarray(c.psnr), c.colour,
                                     c.dashed))
        lines = []
        for s, r in results:
            head = f"{session_title(s)}: " if many else ""
            lines += [head + line for line in compress_summary(r)]
        view.summary = "\n".join(lines)
        first = results[0][1]
        view.bit_choices = [row.bits for row in sorted(first.rows, key=lambda r: r.bits)]
        if self.example_bits not in view.bit_choices:
            self.example_bits = view.bit_choices[-1] if view.bit_choices else None
        view.example_bits = self.example_bits
        view.examples = _examples(first, self.example_bits)
        view.hint = (f"{first.n_held_out} held-out images of {first.data_spec or 'the data'}. "
                     "JPEG 'scan data only' leaves out its headers (the same for every image "
                     "of this size), as the AE leaves out its decoder.")
        self.hint, self.message = view.hint, ""
        self.view = view
        self.changed.emit()

    @property
    def curves(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """name -> (bits, psnr) of each curve shown."""
        return {c.name: (c.bits, c.psnr) for c in self.view.curves}


def _examples(result: Any, b: int | None) -> list[tuple[str, np.ndarray]]:
    """(title, display images) of the example columns at `b` bits: original, AE, JPEG."""
    row = next((r for r in result.rows if r.bits == b), None)
    if row is None or not len(result.example_indices):
        return []
    return [("original", result.examples["original"]),
            (f"AE {b} bits\n{row.ae.bits / 8:g} B", result.examples[f"ae{b}"]),
            (f"JPEG\n~{row.jpeg['scan'].bits / 8:.1f} B", result.examples[f"jpeg{b}"])]
