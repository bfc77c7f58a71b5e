"""`folder:DIR`: image files (PNG, JPEG, BMP, GIF first frame, TIFF, WebP) via Pillow.

Sub-folder names become labels (images directly in DIR get the label "(top level)").
Every image is resized keeping its aspect ratio and centre-cropped to size x size.
Unreadable files are skipped and reported in the set's notes, never fatal unless no
image can be read at all.

Huge images are never decoded at full size: JPEGs are decoded at a reduced scale
(Pillow's draft mode), and anything still above MAX_PIXELS is refused from its header
alone, before any pixel memory is allocated.

Options: size (default 32), channels (1 or 3; default: 3 if any image has colour),
limit (alias max), seed (shuffle the files before limit).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from latent_atlas.explorer.core.io.pictures import (
    MAX_PIXELS,
    PictureTooLarge,
    check_pixels,
    open_picture,
)
from latent_atlas.models.files import is_regular_file

from .base import MAX_IMAGE_BYTES, DataError, DataSpec, ImageSet, check_image_budget, source
from .options import (
    canonical,
    channels_option,
    existing_path,
    limit_option,
    limit_pick,
    normalise_options,
    seed_option,
    size_option,
)
from .transform import fit_pil

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
DEFAULT_SIZE = 32
TOP_LEVEL = "(top level)"
_GRAY_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
_SHOW = 3  # skipped files named in the note


class _Skip(Exception):
    """This file cannot be used; the message says why."""


def scan_folder(root: Path) -> tuple[list[tuple[Path, str | None]], int, list[str]]:
    """Image files under root with their label (first sub-folder), other-file count, notes."""
    try:
        entries = list(os.scandir(root))
    except PermissionError:
        raise DataError(f"cannot read {root}: permission denied") from None
    if not entries:
        raise DataError(f"the folder {root} is empty")
    found: list[tuple[Path, str | None]] = []
    others, unreadable = 0, []

    def on_error(exc: OSError) -> None:
        unreadable.append(os.path.relpath(exc.filename, root) if exc.filename else str(exc))

    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel = Path(dirpath).relative_to(root)
        label = rel.parts[0] if rel.parts else None
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            if Path(name).suffix.lower() in IMAGE_EXTENSIONS:
                found.append((Path(dirpath) / name, label))
            else:
                others += 1
    notes = []
    if unreadable:
        notes.append(f"skipped {len(unreadable)} unreadable sub-folder(s): "
                     + ", ".join(unreadable[:_SHOW]))
    return found, others, notes


def _to_mode(im, want_rgb: bool):
    """A Pillow image as "L" or "RGB"; alpha is composited over black, 16-bit scaled."""
    from PIL import Image

    if im.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        arr = np.asarray(im, dtype=np.float32)
        top = 1.0 if im.mode == "F" and arr.max(initial=0) <= 1.0 else (
            65535.0 if arr.max(initial=0) > 255 else 255.0)
        im = Image.fromarray(np.clip(arr * (255.0 / top) + 0.5, 0, 255).astype(np.uint8))
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = np.asarray(im.convert("RGBA"), dtype=np.uint16)
        rgb = (rgba[..., :3] * rgba[..., 3:] + 127) // 255
        im = Image.fromarray(rgb.astype(np.uint8), "RGB")
    return im.convert("RGB" if want_rgb else "L")


def load_image(path: Path, size: int, channels: int | None) -> np.ndarray:
    """One file as uint8 C x size x size (C = channels, or its natural 1 / 3 if None)."""
    if not is_regular_file(path):
        raise _Skip("not a regular file")
    try:
        with open_picture(path, _Skip) as im:
            if im.format == "JPEG":
                im.draft("RGB" if channels != 1 else "L", (size, size))
            check_pixels(im, MAX_PIXELS)
            gray = im.mode in _GRAY_MODES or (im.mode == "P" and _gray_palette(im))
            rgb = channels == 3 or (channels is None and not gray)
            out = np.asarray(fit_pil(_to_mode(im, rgb), size))
    except PictureTooLarge as why:
        raise _Skip(str(why)) from None
    except PermissionError:
        raise _Skip("permission denied") from None
    except Exception as exc:  # noqa: BLE001 - any decoder failure means "unreadable", never a crash
        raise _Skip(_short(exc)) from None
    return out[None] if out.ndim == 2 else out.transpose(2, 0, 1)


def _gray_palette(im) -> bool:
    palette = im.getpalette() or []
    rgb = np.asarray(palette[: len(palette) // 3 * 3]).reshape(-1, 3)
    return bool(len(rgb)) and bool((rgb == rgb[:, :1]).all())


def _short(exc: Exception) -> str:
    text = str(exc).split("\n")[0]
    return text[:80] if text else type(exc).__name__


OPTIONS = ("limit", "seed", "size", "channels")


@source("folder", options=OPTIONS)
def load_folder(spec: DataSpec) -> ImageSet:
    spec = normalise_options(spec, OPTIONS)
    root = existing_path(spec.arg, "dir", "folder")
    if not root.is_dir():
        raise DataError(f"{root} is a file; folder:DIR takes a folder of images "
                        "(for arrays use npz:FILE)")
    size = size_option(spec, DEFAULT_SIZE, lo=4, hi=512)
    channels, limit, seed = channels_option(spec, None), limit_option(spec), seed_option(spec)
    files, others, notes = scan_folder(root)
    if not files:
        raise DataError(f"no image files (PNG, JPEG, BMP, GIF, TIFF, WebP) in {root}"
                        + (f"; it holds {others} other file(s)" if others else ""))
    # The files come sorted by sub-folder, i.e. grouped by class: a limit samples across
    # the classes (limit_pick) instead of keeping the first class or two.
    _, codes = _labels([label for _, label in files])
    idx, note = limit_pick(len(files), seed, limit, codes)
    if idx is not None:
        files = files[idx] if isinstance(idx, slice) else [files[i] for i in idx]
    if note:
        notes.append(note)
    check_image_budget(min(len(files), limit or len(files)), (channels or 1, size, size),
                       str(root))
    images: list[np.ndarray] = []
    labels: list[str | None] = []
    skipped: list[str] = []
    loaded = 0
    for path, label in files:
        if limit is not None and len(images) >= limit:
            break
        try:
            images.append(load_image(path, size, channels))
            labels.append(label)
            loaded += images[-1].nbytes
            if loaded > MAX_IMAGE_BYTES // 2:  # np.stack below needs as much again
                check_image_budget(2 * len(images), images[-1].shape, str(root))
        except _Skip as why:
            skipped.append(f"{path.relative_to(root)} ({why})")
    if not images:
        raise DataError(f"none of the {len(files)} image file(s) in {root} could be read: "
                        + ", ".join(skipped[:_SHOW]))
    if skipped:
        more = f" and {len(skipped) - _SHOW} more" if len(skipped) > _SHOW else ""
        notes.append(f"skipped {len(skipped)} unreadable file(s): "
                     + ", ".join(skipped[:_SHOW]) + more)
    if channels is None and any(im.shape[0] == 3 for im in images):
        images = [np.repeat(im, 3, axis=0) if im.shape[0] == 1 else im for im in images]
    stack = np.stack(images)
    names, codes = _labels(labels)
    result = ImageSet(images=stack, labels=codes, label_names=names, notes=notes)
    result.spec = canonical(spec, str(root), {"size": size, "channels": channels,
                                              "limit": limit, "seed": seed},
                            {"size": DEFAULT_SIZE})
    return result


def _labels(labels: list[str | None]) -> tuple[list[str], np.ndarray | None]:
    """Sorted sub-folder names and each image's index into them (None: no sub-folders)."""
    if all(lab is None for lab in labels):
        return [], None
    named = [TOP_LEVEL if lab is None else lab for lab in labels]
    names = sorted(set(named))
    lookup = {name: i for i, name in enumerate(names)}
    return names, np.array([lookup[n] for n in named], dtype=np.int64)
