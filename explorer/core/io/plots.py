"""Line charts as PNG files for the CLI (matplotlib's Agg backend through a bare `Figure`:
no pyplot state, no GUI backend, no Qt). The windows draw their live charts with pyqtgraph.

    png = line_chart_png([Line("DAE", levels, psnr), Line("noisy", levels, p0, muted=True)],
                         title="PSNR against noise", x_label="sigma", y_label="dB")
    save_png(path, png)                      # atomic
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# Colour-blind-safe palette (Okabe & Ito, 2008), used in order for lines without a colour.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
           "#F0E442")
MUTED = "#8c8c8c"


@dataclass(frozen=True)
class Line:
    """One line of a chart. `colour`: a matplotlib colour or an RGB 0..255 tuple (None: the
    next palette colour); `marker`: "o", "s", ... or "" for none; `muted` draws it grey,
    behind the others (a reference such as the noisy input)."""

    name: str
    x: Sequence[float] | np.ndarray
    y: Sequence[float] | np.ndarray
    colour: Any = None
    dashed: bool = False
    marker: str = "o"
    muted: bool = False


def _colour(c: Any) -> Any:
    if isinstance(c, tuple) and len(c) == 3 and any(v > 1 for v in c):
        return tuple(v / 255.0 for v in c)
    return c


def draw_lines(ax: Any, lines: Sequence[Line], *, title: str = "", x_label: str = "",
               y_label: str = "", log_x: bool = False) -> None:
    """Draw `lines` on a matplotlib axes, leaving out points that are not finite (a PSNR of
    a perfect copy is infinite). ValueError when no line has a finite point."""
    palette = iter(PALETTE * (len(lines) // len(PALETTE) + 1))
    drawn = 0
    for line in lines:
        x = np.asarray(line.x, dtype=np.float64)
        y = np.asarray(line.y, dtype=np.float64)
        if x.shape != y.shape:
            raise ValueError(f"line {line.name!r} has {x.size} x values and {y.size} y values")
        ok = np.isfinite(x) & np.isfinite(y) & ((x > 0) if log_x else True)
        colour = MUTED if line.muted else _colour(line.colour) or next(palette)
        if not ok.any():
            continue
        ax.plot(x[ok], y[ok], linestyle="--" if line.dashed else "-",
                marker=line.marker or None, color=colour, lw=1.6, ms=5, label=line.name,
                zorder=1 if line.muted else 2)
        drawn += 1
    if not drawn:
        raise ValueError("the chart has no finite values")
    if log_x:
        ax.set_xscale("log")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")


def line_chart_png(lines: Sequence[Line], *, size: tuple[int, int] = (760, 500),
                   dpi: int = 100, **labels: Any) -> bytes:
    """A chart of `lines` (`draw_lines` keywords) as PNG bytes of exactly `size` pixels."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi, layout="constrained")
    draw_lines(fig.add_subplot(), lines, **labels)
    return figure_png(fig)


def figure_png(fig: Any) -> bytes:
    """A matplotlib figure as RGB PNG bytes (Agg writes RGBA; the alpha is all opaque)."""
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    with Image.open(io.BytesIO(buf.getvalue())) as img:
        out = io.BytesIO()
        img.convert("RGB").save(out, format="PNG", optimize=True)
    return out.getvalue()


def png_rgb(data: bytes) -> np.ndarray:
    """PNG bytes -> RGB H x W x 3 uint8."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()


def save_png(path: str | os.PathLike, data: bytes) -> None:
    """Write PNG bytes atomically."""
    from latent_atlas.models.modelfile import atomic_write_bytes

    atomic_write_bytes(path, data)
