"""The one guard in front of Pillow: pictures are opened only when they are regular files,
and never decoded when their header declares more than MAX_PIXELS.

Pillow reads the size from the header alone, so a 100000 x 100000 PNG of a few hundred
bytes is refused before any pixel memory is allocated. The folder data source, `--image`,
`--mask` and pictures dropped on the window all open pictures through here.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator

from latent_atlas.models.files import regular_file

MAX_PIXELS = 40_000_000  # 40 Mpx: at most 160 MB while one picture is decoded


class PictureTooLarge(ValueError):
    """A picture whose declared size is above MAX_PIXELS; the message says how large."""


@contextlib.contextmanager
def open_picture(path: str | os.PathLike, error: type[Exception] = ValueError) -> Iterator:
    """`PIL.Image.open` of a regular file, with Pillow's own bomb check turned into
    PictureTooLarge. Call `check_pixels` before decoding (after a JPEG `draft`)."""
    from PIL import Image

    path = regular_file(path, error, "picture")
    with warnings.catch_warnings():
        # We apply our own, lower pixel limit; Pillow's warning would only repeat it.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            im = Image.open(path)
        except Image.DecompressionBombError:
            raise PictureTooLarge("too large to decode safely") from None
        with im:
            yield im


def check_pixels(im, max_pixels: int | None = None) -> None:
    """PictureTooLarge when the opened picture would decode to more than `max_pixels`
    (default MAX_PIXELS)."""
    w, h = im.size
    if w * h > (MAX_PIXELS if max_pixels is None else max_pixels):
        raise PictureTooLarge(f"{w}x{h} pixels is too large to decode safely")
