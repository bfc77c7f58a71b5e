"""Exports: codes and 2-D positions as CSV / NPZ, interpolation strips as PNG / GIF.

Every file is written atomically (temporary file beside it, then os.replace), so a
failed export never leaves half a file where a good one was.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from latent_atlas.explorer.core.io.blend import stack_rows, tile_row, upscale
from latent_atlas.models.modelfile import atomic_write_bytes


def _check(codes: np.ndarray, positions: np.ndarray, labels: np.ndarray | None) -> None:
    if len(codes) != len(positions):
        raise ValueError(f"{len(codes)} codes but {len(positions)} positions")
    if labels is not None and len(labels) != len(codes):
        raise ValueError(f"{len(codes)} codes but {len(labels)} labels")


def codes_csv_text(codes: np.ndarray, positions: np.ndarray, labels: np.ndarray | None = None,
                   label_names: list[str] | None = None) -> str:
    """CSV with header index,x,y[,label,label_name],z0..z{d-1}."""
    _check(codes, positions, labels)
    d = codes.shape[1]
    header = ["index", "x", "y"]
    if labels is not None:
        header += ["label", "label_name"]
    header += [f"z{i}" for i in range(d)]
    lines = [",".join(header)]
    for i in range(len(codes)):
        row = [str(i), f"{positions[i, 0]:.7g}", f"{positions[i, 1]:.7g}"]
        if labels is not None:
            lab = int(labels[i])
            name = label_names[lab] if label_names and 0 <= lab < len(label_names) else str(lab)
            row += [str(lab), '"' + str(name).replace('"', '""') + '"']
        row += [f"{v:.7g}" for v in codes[i]]
        lines.append(",".join(row))
    return "\n".join(lines) + "\n"


def export_codes_csv(path: str | os.PathLike, codes: np.ndarray, positions: np.ndarray,
                     labels: np.ndarray | None = None, label_names: list[str] | None = None) -> None:
    """Write codes and positions (and labels) as CSV."""
    atomic_write_bytes(path, codes_csv_text(codes, positions, labels, label_names).encode("utf-8"))


def export_codes_npz(path: str | os.PathLike, codes: np.ndarray, positions: np.ndarray,
                     labels: np.ndarray | None = None, label_names: list[str] | None = None) -> None:
    """Write arrays `codes`, `positions` (and `labels`, `label_names`) as a compressed NPZ."""
    _check(codes, positions, labels)
    arrays = {"codes": np.asarray(codes, np.float32), "positions": np.asarray(positions, np.float32)}
    if labels is not None:
        arrays["labels"] = np.asarray(labels)
    if label_names:
        arrays["label_names"] = np.asarray([str(n) for n in label_names])
    buf = io.BytesIO()
    np.savez_compressed(buf, allow_pickle=True, **arrays)  # numpy's default, said for mypy
    atomic_write_bytes(path, buf.getvalue())


def strip_picture(rows: list[np.ndarray], scale: int = 4, gap: int = 2) -> np.ndarray:
    """One picture of several rows of display images (each N x H x W [x 3]), enlarged."""
    tiled = [tile_row(upscale_batch(r, scale), gap=gap, fill=255) for r in rows]
    return stack_rows(tiled, gap=gap * 2, fill=255)


def upscale_batch(images: np.ndarray, factor: int) -> np.ndarray:
    return np.stack([upscale(im, factor) for im in images])


def _pil(img: np.ndarray):
    from PIL import Image

    return Image.fromarray(np.ascontiguousarray(img), mode="L" if img.ndim == 2 else "RGB")


def export_strip_png(path: str | os.PathLike, rows: list[np.ndarray], scale: int = 4) -> None:
    """Save the strip rows (decoded steps, cross-fade, ...) as one PNG."""
    buf = io.BytesIO()
    _pil(strip_picture(rows, scale=scale)).save(buf, format="PNG")
    atomic_write_bytes(path, buf.getvalue())


MIN_IMAGE_PX = 128  # a picture a reader can see: every image at least this wide


def readable_scale(height: int, width: int, minimum: int = MIN_IMAGE_PX, most: int = 32) -> int:
    """The whole-number enlargement that makes an image at least `minimum` pixels on its
    longer side (1 for images already that big, at most `most`)."""
    side = max(1, int(height), int(width))
    return int(min(most, max(1, -(-minimum // side))))


def labelled_picture(rows: list[np.ndarray], row_labels: list[str],
                     column_labels: list[str] | None = None, scale: int = 4,
                     gap: int = 2) -> np.ndarray:
    """Rows of display images (each N x H x W [x 3]) enlarged, with a label left of each
    row and, optionally, a title above each column: black text on white."""
    from PIL import Image, ImageDraw, ImageFont

    try:
        font = ImageFont.load_default(size=14)
    except TypeError:  # Pillow < 10.1 has only the small bitmap font
        font = ImageFont.load_default()
    tiled = [tile_row(upscale_batch(r, scale), gap=gap, fill=255) for r in rows]
    colour = any(t.ndim == 3 for t in tiled)
    tiled = [np.repeat(t[..., None], 3, axis=2) if colour and t.ndim == 2 else t for t in tiled]
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))

    def text_size(text: str) -> tuple[int, int]:
        x0, y0, x1, y1 = probe.textbbox((0, 0), text, font=font)
        return int(x1 - x0), int(y1 - y0)

    pad = 6
    label_w = max((text_size(t)[0] for t in row_labels), default=0) + 2 * pad
    head_h = (max(text_size(t)[1] for t in column_labels) + 2 * pad) if column_labels else 0
    width = label_w + max(t.shape[1] for t in tiled)
    height = head_h + sum(t.shape[0] for t in tiled) + 2 * gap * (len(tiled) - 1)
    mode = "RGB" if colour else "L"
    canvas = Image.new(mode, (width, height), (255, 255, 255) if colour else 255)
    draw = ImageDraw.Draw(canvas)
    ink = (0, 0, 0) if colour else 0
    if column_labels:
        w_img = rows[0].shape[2] * scale
        for j, title in enumerate(column_labels):
            tw, _ = text_size(title)
            x = label_w + j * (w_img + gap) + max(0, (w_img - tw) // 2)
            draw.text((x, pad), title, fill=ink, font=font)
    y = head_h
    for tile, title in zip(tiled, row_labels, strict=True):
        canvas.paste(_pil(tile), (label_w, y))
        _, th = text_size(title)
        draw.text((pad, y + max(0, (tile.shape[0] - th) // 2)), title, fill=ink, font=font)
        y += tile.shape[0] + 2 * gap
    return np.asarray(canvas)


def export_labelled_png(path: str | os.PathLike, rows: list[np.ndarray], row_labels: list[str],
                        column_labels: list[str] | None = None, scale: int = 4) -> None:
    """Save `labelled_picture` as one PNG (atomically)."""
    buf = io.BytesIO()
    _pil(labelled_picture(rows, row_labels, column_labels, scale=scale)).save(buf, format="PNG")
    atomic_write_bytes(path, buf.getvalue())


def export_strip_gif(path: str | os.PathLike, frames: np.ndarray, scale: int = 8,
                     frame_ms: int = 120, bounce: bool = True) -> None:
    """Save decoded steps as an animated GIF that plays forward and back (loops forever)."""
    frames = np.asarray(frames)
    if len(frames) == 0:
        raise ValueError("there are no frames to animate")
    seq = list(frames) + (list(frames[-2:0:-1]) if bounce and len(frames) > 2 else [])
    pics = [_pil(upscale(f, scale)) for f in seq]
    buf = io.BytesIO()
    pics[0].save(buf, format="GIF", save_all=True, append_images=pics[1:], duration=frame_ms,
                 loop=0)
    atomic_write_bytes(path, buf.getvalue())


def default_export_name(model_path: str | os.PathLike | None, suffix: str) -> str:
    """A file name beside the model for an export, e.g. digits_vae_strip.png."""
    stem = Path(model_path).stem if model_path else "latent_atlas"
    return f"{stem}{suffix}"
