"""Pictures of the AE-against-JPEG comparison: the rate-distortion curve (bits per image
against PSNR) and rows of examples (original, AE at b bits, JPEG at the same size).

`rate_distortion_curves` gives the numbers both the CLI figure and the GUI chart draw.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from latent_atlas.explorer.core.analysis.claims.codec import CompressResult

AE_COLOUR = (200, 50, 40)
FILE_COLOUR = (40, 90, 200)
SCAN_COLOUR = (40, 150, 90)


@dataclass(frozen=True)
class Curve:
    name: str
    bits: np.ndarray  # mean bits per image
    psnr: np.ndarray  # mean dB
    ssim: np.ndarray
    colour: tuple[int, int, int]
    dashed: bool = False


def rate_distortion_curves(result: CompressResult) -> list[Curve]:
    """AE at each b; JPEG over its quality sweep, whole files and scan data only."""
    rows = sorted(result.rows, key=lambda r: r.bits)
    ae = Curve(f"AE, latent {result.latent_dim} x b bits",
               np.array([r.ae.bits for r in rows]), np.array([r.ae.psnr for r in rows]),
               np.array([r.ae.ssim for r in rows]), AE_COLOUR)
    out = [ae]
    for variant, title, colour, dashed in (("file", "JPEG, whole file", FILE_COLOUR, False),
                                           ("scan", "JPEG, scan data only", SCAN_COLOUR, True)):
        scores = result.jpeg_curve[variant]
        out.append(Curve(title, np.array([s.bits for s in scores]),
                         np.array([s.psnr for s in scores]), np.array([s.ssim for s in scores]),
                         colour, dashed))
    return out


def example_columns(result: CompressResult) -> list[tuple[str, np.ndarray]]:
    """(column title, display images) of the example rows: the original, then for each b
    the AE and the JPEG (scan-matched) of the same size."""
    if not len(result.example_indices):
        return []
    cols = [("original", result.examples["original"])]
    for r in sorted(result.rows, key=lambda r: r.bits):
        cols.append((f"AE {r.bits} b\n{r.ae.bits / 8:g} B", result.examples[f"ae{r.bits}"]))
        cols.append((f"JPEG\n~{r.jpeg['scan'].bits / 8:.0f} B", result.examples[f"jpeg{r.bits}"]))
    return cols


def compress_figure_png(result: CompressResult, *, examples: bool = True,
                        width: int = 760, dpi: int = 100) -> bytes:
    """The rate-distortion chart (PSNR against bits per image, log scale), with the example
    rows under it, as PNG bytes (matplotlib)."""
    from matplotlib.figure import Figure

    from latent_atlas.explorer.core.io.blend import stack_rows, tile_row
    from latent_atlas.explorer.core.io.plots import Line, draw_lines, figure_png

    lines = [Line(c.name, c.bits, c.psnr, c.colour, c.dashed, "s" if k == 0 else "o")
             for k, c in enumerate(rate_distortion_curves(result))]
    title = (f"AE against JPEG on {result.data_spec or 'the data'} "
             f"({result.n_held_out} held-out images)")
    cols = example_columns(result) if examples else []
    chart_h = 4.6
    if not cols:
        fig = Figure(figsize=(width / dpi, chart_h), dpi=dpi, layout="constrained")
        draw_lines(fig.add_subplot(), lines, title=title, x_label="bits per image (log scale)",
                   y_label="PSNR (dB)", log_x=True)
        return figure_png(fig)
    n = len(cols[0][1])
    rows = [tile_row(np.stack([np.asarray(images[i]) for _t, images in cols]), gap=2, fill=255)
            for i in range(n)]
    grid = stack_rows(rows, gap=2, fill=255)
    grid_h = width / dpi * grid.shape[0] / grid.shape[1] + 0.7  # room for the column titles
    fig = Figure(figsize=(width / dpi, chart_h + grid_h), dpi=dpi, layout="constrained")
    ax_chart, ax_ex = fig.subplots(2, 1, height_ratios=[chart_h, grid_h])
    draw_lines(ax_chart, lines, title=title, x_label="bits per image (log scale)",
               y_label="PSNR (dB)", log_x=True)
    ax_ex.imshow(grid, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    cell = grid.shape[1] / len(cols)
    ax_ex.set_xticks([cell * (k + 0.5) for k in range(len(cols))],
                     [t for t, _i in cols], fontsize=8)
    ax_ex.xaxis.tick_top()
    ax_ex.set_yticks([])
    ax_ex.tick_params(length=0)
    for side in ax_ex.spines.values():
        side.set_visible(False)
    return figure_png(fig)


def compress_picture(result: CompressResult, *, examples: bool = True,
                     width: int = 760) -> np.ndarray:
    """`compress_figure_png` as RGB H x W x 3."""
    from latent_atlas.explorer.core.io.plots import png_rgb

    return png_rgb(compress_figure_png(result, examples=examples, width=width))


def save_compress_png(path: str | os.PathLike, result: CompressResult, *,
                      examples: bool = True) -> None:
    """Write the figure as a PNG, atomically."""
    from latent_atlas.explorer.core.io.plots import save_png

    save_png(path, compress_figure_png(result, examples=examples))
