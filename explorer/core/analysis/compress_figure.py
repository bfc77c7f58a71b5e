"""Pictures of the AE-against-JPEG comparison: the rate-distortion curve (bits per image
against PSNR) and rows of examples (original, AE at b bits, JPEG at the same size).

`rate_distortion_curves` gives the numbers both the CLI figure and the GUI chart draw.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass

import numpy as np

from explorer.core.analysis.compress import CompressResult
from explorer.core.io.blend import upscale

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


def compress_picture(result: CompressResult, *, examples: bool = True,
                     width: int = 720) -> np.ndarray:
    """The rate-distortion chart, with the example rows under it; RGB H x W x 3."""
    from PIL import Image, ImageDraw

    from explorer.core.io.chart import Series, chart_font, line_chart

    series = [Series(c.name, c.bits.tolist(), c.psnr.tolist(), c.colour, c.dashed,
                     "s" if k == 0 else "o")
              for k, c in enumerate(rate_distortion_curves(result))]
    chart = line_chart(series, title=f"AE against JPEG on {result.data_spec or 'the data'} "
                       f"({result.n_held_out} held-out images)",
                       x_label="bits per image (log scale)", y_label="PSNR (dB)", log_x=True,
                       size=(width, 440))
    cols = example_columns(result) if examples else []
    if not cols:
        return chart
    n = len(cols[0][1])
    h_img, w_img = cols[0][1].shape[1:3]
    scale = max(1, min(8, (width - 40) // (len(cols) * (w_img + 2))))
    cell_w, cell_h = w_img * scale + 6, h_img * scale + 6
    head = 36
    grid_w = len(cols) * cell_w
    pic = Image.new("RGB", (max(width, grid_w + 20), chart.shape[0] + head + n * cell_h + 10),
                    (255, 255, 255))
    pic.paste(Image.fromarray(chart), (0, 0))
    draw = ImageDraw.Draw(pic)
    font = chart_font(11)
    x0 = (pic.width - grid_w) // 2
    y0 = chart.shape[0] + head
    for k, (title, images) in enumerate(cols):
        x = x0 + k * cell_w
        draw.multiline_text((x + cell_w / 2, y0 - 4), title, fill=(40, 40, 40), font=font,
                            anchor="md", align="center")
        for i, im in enumerate(images):
            tile = upscale(np.asarray(im), scale)
            pic.paste(Image.fromarray(np.ascontiguousarray(tile)),
                      (x + 3, y0 + i * cell_h + 3))
    return np.asarray(pic, dtype=np.uint8).copy()


def save_compress_png(path: str | os.PathLike, result: CompressResult, *,
                      examples: bool = True) -> None:
    """Write `compress_picture` as a PNG, atomically."""
    from PIL import Image

    from models.modelfile import atomic_write_bytes

    buf = io.BytesIO()
    Image.fromarray(compress_picture(result, examples=examples)).save(buf, format="PNG")
    atomic_write_bytes(path, buf.getvalue())
