"""How your own picture compares with the data: its reconstruction error's percentile
among the data's ("typical", "unusual", or "out of distribution" above the 99th), and
whether its brightness is the inverse of the data's (light on dark against dark on
light), with the inverted picture one call away (`invert_placed`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .arrows import PlacedImage
    from .session import Session

UNUSUAL_PERCENTILE = 90.0
OUT_OF_DISTRIBUTION_PERCENTILE = 99.0


@dataclass(frozen=True)
class PictureCheck:
    error: float  # mean squared pixel error of its reconstruction, 0..1 scale
    percentile: float | None  # of that error among the data's (None: no data errors)
    verdict: str  # "typical", "unusual", "out of distribution" or ""
    inverted: bool  # its mean brightness is the inverse of the data's

    def text(self) -> str:
        parts = []
        if self.percentile is not None:
            parts.append(f"reconstruction error at the {self.percentile:.1f}th percentile "
                         f"of the data: {self.verdict}")
        if self.inverted:
            parts.append("its brightness is the inverse of the data's (Map ▸ Invert your "
                         "picture)")
        return "; ".join(parts)


def verdict_for(percentile: float) -> str:
    if percentile > OUT_OF_DISTRIBUTION_PERCENTILE:
        return "out of distribution"
    return "unusual" if percentile > UNUSUAL_PERCENTILE else "typical"


def _chw_float(display: np.ndarray) -> np.ndarray:
    a = np.asarray(display, np.float32) / 255.0
    return a[None] if a.ndim == 2 else np.transpose(a, (2, 0, 1))


def check_picture(session: Session, placed: PlacedImage) -> PictureCheck:
    """The percentile and brightness check of `placed` against `session`'s data."""
    original = np.asarray(placed.original, np.float32) / 255.0
    error = float(np.mean((original - _chw_float(placed.reconstruction)) ** 2))
    errors = session.recon_error
    percentile = None
    if errors is not None and len(errors):
        percentile = float(100.0 * np.mean(np.asarray(errors) <= error))
    inverted = False
    if session.images is not None and len(session.images):
        data_mean = float(np.mean(session.images[:2048], dtype=np.float64)) / 255.0
        mine = float(original.mean())
        inverted = (data_mean < 0.5) != (mine < 0.5) and abs(mine - (1 - data_mean)) < abs(
            mine - data_mean)
    return PictureCheck(error, percentile, verdict_for(percentile) if percentile is not None
                        else "", inverted)


def invert_placed(session: Session) -> PlacedImage:
    """Place the inverse of the current picture instead (light and dark swapped)."""
    p = session.placed
    if p is None:
        raise ValueError("place a picture first (File ▸ Open image…)")
    name = p.name[:-len(" (inverted)")] if p.name.endswith(" (inverted)") else (
        f"{p.name} (inverted)")
    return session.place_image(name, (255 - np.asarray(p.original)).astype(np.uint8))
