"""A small line chart drawn with Pillow (no plotting library on the start-up path or in
the dependencies): x and y axes with ticks, one coloured line with markers per series and
a legend. Used for the denoising sweep (PSNR against noise level).

    img = line_chart({"DAE": (levels, psnr)}, title=..., x_label=..., y_label=...)
    save_line_chart_png(path, series, ...)
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from models.modelfile import atomic_write_bytes

# Colour-blind-safe palette (Okabe & Ito, 2008).
PALETTE = [(0, 114, 178), (213, 94, 0), (0, 158, 115), (204, 121, 167), (230, 159, 0),
           (86, 180, 233), (0, 0, 0), (240, 228, 66)]
Series = Mapping[str, tuple[Sequence[float], Sequence[float]]]


def nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """Round tick values covering lo..hi (about `count` of them)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError("the chart has no finite values")
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    raw = (hi - lo) / max(1, count - 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    v = start
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 10))
        v += step
    if ticks[-1] < hi:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _font(size: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has only the fixed bitmap font
        return ImageFont.load_default()


def line_chart(series: Series, *, title: str = "", x_label: str = "", y_label: str = "",
               size: tuple[int, int] = (760, 500), muted: Sequence[str] = ()) -> Any:
    """The chart as a PIL image (RGB); series named in `muted` are drawn in grey (a
    reference such as the noisy input)."""
    from PIL import Image, ImageDraw

    if not series:
        raise ValueError("the chart has no series")
    xs_all: list[float] = []
    ys_all: list[float] = []
    for name, (xs, ys) in series.items():
        if len(xs) != len(ys) or len(xs) == 0:
            raise ValueError(f"series {name!r} needs as many x as y values, at least one")
        xs_all.extend(float(v) for v in xs)
        ys_all.extend(float(v) for v in ys if math.isfinite(float(v)))
    if not ys_all:
        raise ValueError("the chart has no finite values")
    w, h = size
    img = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(img)
    font, small = _font(15), _font(13)
    left, right, top, bottom = 70, w - 190, 40, h - 60
    xt = nice_ticks(min(xs_all), max(xs_all))
    yt = nice_ticks(min(ys_all), max(ys_all))
    x0, x1, y0, y1 = xt[0], xt[-1], yt[0], yt[-1]

    def px(x: float, y: float) -> tuple[float, float]:
        return (left + (x - x0) / (x1 - x0) * (right - left),
                bottom - (y - y0) / (y1 - y0) * (bottom - top))

    for v in yt:
        _, y = px(x0, v)
        draw.line([(left, y), (right, y)], fill=(230, 230, 230))
        draw.text((left - 8, y), f"{v:g}", fill="black", font=small, anchor="rm")
    for v in xt:
        x, _ = px(v, y0)
        draw.line([(x, top), (x, bottom)], fill=(236, 236, 236))
        draw.text((x, bottom + 8), f"{v:g}", fill="black", font=small, anchor="mt")
    draw.rectangle([left, top, right, bottom], outline="black")
    draw.text(((left + right) / 2, 12), title, fill="black", font=font, anchor="mt")
    draw.text(((left + right) / 2, h - 24), x_label, fill="black", font=font, anchor="mt")
    label = Image.new("RGB", (bottom - top, 22), "white")
    ImageDraw.Draw(label).text(((bottom - top) / 2, 11), y_label, fill="black", font=font,
                               anchor="mm")
    img.paste(label.rotate(90, expand=True), (8, top))
    k_colour = 0
    for k, (name, (xs, ys)) in enumerate(series.items()):
        if name in muted:
            colour = (150, 150, 150)
        else:
            colour = PALETTE[k_colour % len(PALETTE)]
            k_colour += 1
        pts = [px(float(x), float(y)) for x, y in zip(xs, ys, strict=True)
               if math.isfinite(float(y))]
        if len(pts) > 1:
            draw.line(pts, fill=colour, width=3)
        for x, y in pts:
            draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=colour)
        ly = top + 10 + 24 * k
        draw.line([(right + 16, ly), (right + 46, ly)], fill=colour, width=3)
        draw.ellipse([right + 27, ly - 4, right + 35, ly + 4], fill=colour)
        draw.text((right + 54, ly), name, fill="black", font=small, anchor="lm")
    return img


def line_chart_array(series: Series, **kwargs: Any) -> np.ndarray:
    """The chart as an H x W x 3 uint8 array (for a widget to show)."""
    return np.asarray(line_chart(series, **kwargs), dtype=np.uint8)


def save_line_chart_png(path: str | os.PathLike, series: Series, **kwargs: Any) -> None:
    """Draw the chart and write it as a PNG, atomically."""
    buf = io.BytesIO()
    line_chart(series, **kwargs).save(buf, format="PNG")
    atomic_write_bytes(path, buf.getvalue())
