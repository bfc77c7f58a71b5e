"""Exports: codes and 2-D positions as CSV / NPZ, interpolation strips as PNG / GIF.

Every file is written atomically (temporary file beside it, then os.replace), so a
failed export never leaves half a file where a good one was.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from explorer.core.io.blend import stack_rows, tile_row, upscale
from models.modelfile import atomic_write_bytes


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
