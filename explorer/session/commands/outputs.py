"""Output files of the commands: checked before any work starts, written atomically."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..errors import CommandError


def check_output(path: str | os.PathLike, suffixes: tuple[str, ...], *,
                 inputs: tuple[str | os.PathLike | None, ...] = (), flag: str = "--out",
                 error: type[Exception] = CommandError) -> Path:
    """An output path, checked before any work starts: its suffix, that its folder takes a
    new file (latent_atlas.models.files.writable_output) and that it is none of `inputs`;
    a failure raises `error` with the sentence."""
    from latent_atlas.models.files import writable_output

    out = Path(path)
    if out.suffix.lower() not in suffixes:
        raise error(f"{flag} must end in {' or '.join(suffixes)}, not '{out.name}'")
    return writable_output(out, error, inputs=tuple(i for i in inputs if i), flag=flag)


def check_writable(path: str | os.PathLike, *, flag: str = "--out",
                   error: type[Exception] = CommandError) -> Path:
    """A file that a command replaces (a model file that takes its map), checked like an
    output: its folder takes a new file, and it is no folder or special file."""
    from latent_atlas.models.files import writable_output

    return writable_output(path, error, flag=flag)


def check_folder(path: str | os.PathLike, *, probe: str, what: str,
                 error: type[Exception] = CommandError) -> Path:
    """An output folder: an existing folder must take the file `probe`; a new one is
    checked as an output; a file there is refused (`what` names the export)."""
    from latent_atlas.models.files import writable_output

    out = Path(path)
    if out.exists():
        if not out.is_dir():
            raise error(f"--out {out} is a file; {what} writes a folder")
        writable_output(out / probe, error)
    else:
        writable_output(out, error)
    return out


def write_png(path: str | os.PathLike, images: npt.ArrayLike, scale: int | None = 1,
              minimum: int | None = None) -> None:
    """Save display images (N x H x W or N x H x W x 3 uint8) side by side as one PNG,
    atomically; `scale` None enlarges each image to at least `minimum` (default 128) px."""
    from PIL import Image

    from latent_atlas.explorer.core.io.exports import MIN_IMAGE_PX, readable_scale
    from latent_atlas.explorer.core.io.images import image_strip
    from latent_atlas.models.modelfile import atomic_write_bytes

    shown = np.asarray(images)
    if scale is None:
        h, w = shown.shape[1:3]
        scale = readable_scale(int(h), int(w), minimum=minimum or MIN_IMAGE_PX)
    strip = image_strip(shown)
    if scale > 1:
        strip = np.repeat(np.repeat(strip, scale, axis=0), scale, axis=1)
    buf = io.BytesIO()
    Image.fromarray(strip).save(buf, format="PNG")
    atomic_write_bytes(path, buf.getvalue())
