"""A small line chart drawn with Pillow, for figures the CLI writes without a display
(the project has no plotting library; the GUI draws its charts with pyqtgraph).

    picture = line_chart([Series("AE", xs, ys, (200, 60, 40))], x_label="bits", y_label="dB",
                         log_x=True)                    # H x W x 3 uint8
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Colour = tuple[int, int, int]


@dataclass(frozen=True)
class Series:
    """One line of the chart; `dashed` draws it dashed, `marker` its points as squares
    ("s"), circles ("o") or nothing ("")."""

    name: str
    x: Sequence[float]
    y: Sequence[float]
    colour: Colour
    dashed: bool = False
    marker: str = "o"


def chart_font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def nice_ticks(low: float, high: float, count: int = 6) -> list[float]:
    """Round tick values covering [low, high] (steps of 1, 2 or 5 times a power of ten)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low]
    raw = (high - low) / max(1, count - 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.ceil(low / step - 1e-9) * step
    return [first + k * step for k in range(int((high - first) / step + 1e-9) + 1)]


def _tick_text(v: float) -> str:
    if v >= 10_000:
        return f"{v / 1000:g}k"
    return f"{v:g}"


def line_chart(series: Sequence[Series], *, title: str = "", x_label: str = "",
               y_label: str = "", log_x: bool = False, size: tuple[int, int] = (640, 420)
               ) -> np.ndarray:
    """Draw the series on shared axes with a legend; returns an RGB picture (H x W x 3)."""
    from PIL import Image, ImageDraw

    pts = [(float(x), float(y)) for s in series for x, y in zip(s.x, s.y, strict=True)
           if math.isfinite(float(x)) and math.isfinite(float(y)) and (not log_x or x > 0)]
    if not pts:
        raise ValueError("nothing to plot: every point is missing or not finite")
    w, h = size
    img = Image.new("RGB", (w, h), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    font, small = chart_font(15), chart_font(12)
    left, right, top, bottom = 64, 16, 34 if title else 14, 52
    fx = (lambda v: math.log2(v)) if log_x else (lambda v: v)
    xs = [fx(p[0]) for p in pts]
    ys = [p[1] for p in pts]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    pad_x = 0.05 * (x1 - x0) or 0.5
    pad_y = 0.08 * (y1 - y0) or 1.0
    x0, x1, y0, y1 = x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y

    def to_px(x: float, y: float) -> tuple[float, float]:
        px = left + (fx(x) - x0) / (x1 - x0) * (w - left - right)
        py = h - bottom - (y - y0) / (y1 - y0) * (h - top - bottom)
        return px, py

    grid, ink = (225, 225, 225), (60, 60, 60)
    if log_x:
        xticks = [2.0 ** k for k in range(math.ceil(x0), math.floor(x1) + 1)]
        if len(xticks) > 10:
            xticks = xticks[::math.ceil(len(xticks) / 10)]
    else:
        xticks = nice_ticks(x0, x1)
    for t in xticks:
        px, _ = to_px(t, y0)
        draw.line([(px, top), (px, h - bottom)], fill=grid)
        draw.text((px, h - bottom + 4), _tick_text(t), fill=ink, font=small, anchor="ma")
    for t in nice_ticks(y0, y1):
        _, py = to_px(2.0 ** x0 if log_x else x0, t)
        draw.line([(left, py), (w - right, py)], fill=grid)
        draw.text((left - 5, py), _tick_text(t), fill=ink, font=small, anchor="rm")
    draw.rectangle([left, top, w - right, h - bottom], outline=ink)
    if title:
        draw.text((w / 2, 8), title, fill=(0, 0, 0), font=font, anchor="ma")
    if x_label:
        draw.text(((left + w - right) / 2, h - 8), x_label, fill=ink, font=font, anchor="md")
    if y_label:
        label = Image.new("RGB", (h, 22), (255, 255, 255))
        ImageDraw.Draw(label).text((h / 2, 2), y_label, fill=ink, font=font, anchor="ma")
        img.paste(label.rotate(90, expand=True), (2, 0))

    for s in series:
        line = [to_px(float(x), float(y)) for x, y in zip(s.x, s.y, strict=True)
                if math.isfinite(float(x)) and math.isfinite(float(y)) and (not log_x or x > 0)]
        _polyline(draw, line, s.colour, s.dashed)
        for px, py in line:
            if s.marker == "s":
                draw.rectangle([px - 4, py - 4, px + 4, py + 4], fill=s.colour)
            elif s.marker == "o":
                draw.ellipse([px - 4, py - 4, px + 4, py + 4], fill=s.colour)
    # legend, top left inside the axes (low cost and high quality: where no codec lives)
    rows = [s for s in series if s.name]
    lx, ly = left + 14, top + 12
    if rows:
        draw.rectangle([lx - 6, ly - 6, lx + 230, ly + 18 * len(rows) + 2],
                       fill=(255, 255, 255), outline=grid)
    for k, s in enumerate(rows):
        y = ly + 18 * k + 7
        _polyline(draw, [(lx, y), (lx + 26, y)], s.colour, s.dashed)
        draw.text((lx + 34, y), s.name, fill=(0, 0, 0), font=small, anchor="lm")
    return np.asarray(img, dtype=np.uint8).copy()


def _polyline(draw, points: list[tuple[float, float]], colour: Colour, dashed: bool) -> None:
    if len(points) < 2:
        return
    if not dashed:
        draw.line(points, fill=colour, width=2)
        return
    for (ax, ay), (bx, by) in zip(points, points[1:], strict=False):
        length = math.hypot(bx - ax, by - ay)
        n = max(1, int(length // 8))
        for k in range(0, n, 2):
            t0, t1 = k / n, min(1.0, (k + 1) / n)
            draw.line([(ax + (bx - ax) * t0, ay + (by - ay) * t0),
                       (ax + (bx - ax) * t1, ay + (by - ay) * t1)], fill=colour, width=2)
