"""Turn any picture file into an input the model understands.

The classic experiment is "what does an MNIST autoencoder make of a photo of a face?",
so this must accept any PNG or JPEG (any size, mode, alpha or EXIF rotation) and produce
uint8 C x H x W at the model's size. Pillow does the decoding; nothing here imports torch.
Also the way back for display: dataset samples as display images, images in a strip.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np

from latent_atlas.explorer.core.inference import to_display

Polarity = Literal["auto", "keep", "invert"]

# Extensions offered in file dialogs and accepted by drag-and-drop.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


class ImageImportError(ValueError):
    """A picture that cannot be used; the message is one readable line."""


def is_image_path(path: str | os.PathLike) -> bool:
    """True when the file name looks like a picture we can read."""
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def read_image(path: str | os.PathLike):
    """Open a picture with Pillow, applying its EXIF rotation; readable errors only.

    Only regular files are opened, and a picture declaring more than MAX_PIXELS is refused
    from its header (the guard of the folder data source, `latent_atlas.explorer.core.io.pictures`).
    """
    from PIL import ImageOps, UnidentifiedImageError

    from .pictures import PictureTooLarge, check_pixels, open_picture

    path = Path(path)
    try:
        with open_picture(path, ImageImportError) as img:
            check_pixels(img)
            img.load()
            return ImageOps.exif_transpose(img) or img
    except PictureTooLarge as exc:
        raise ImageImportError(f"{path.name}: {exc}") from None
    except FileNotFoundError:
        raise ImageImportError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise ImageImportError(f"{path} is a folder, not a picture") from None
    except PermissionError:
        raise ImageImportError(f"{path} cannot be read: permission denied") from None
    except UnidentifiedImageError:
        raise ImageImportError(f"{path.name} is not a picture Pillow can read (try PNG or JPEG)") from None
    except (OSError, ValueError, SyntaxError) as exc:  # truncated / corrupt files
        if isinstance(exc, ImageImportError):
            raise
        raise ImageImportError(f"{path.name} could not be decoded: {exc}") from None


def _flatten_alpha(img):
    """Composite transparent pixels over white, as a viewer would show them."""
    from PIL import Image

    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img


def _border_level(arr: np.ndarray) -> float:
    """Median brightness of the outer ring of pixels (H x W), 0..255.

    The median, not the mean: a stroke touching the edge must not tint the background.
    """
    ring = np.concatenate([arr[0].ravel(), arr[-1].ravel(), arr[:, 0].ravel(), arr[:, -1].ravel()])
    return float(np.median(ring))


def dataset_background(images: np.ndarray) -> float:
    """Typical border brightness of a dataset (uint8 N x C x H x W), 0..255.

    MNIST-like sets are light strokes on black (near 0); a photo of paper is near 255.
    """
    if images.size == 0:
        return 0.0
    sample = images[: min(len(images), 256)].astype(np.float32)
    ring = np.concatenate([sample[:, :, 0, :].ravel(), sample[:, :, -1, :].ravel(),
                           sample[:, :, :, 0].ravel(), sample[:, :, :, -1].ravel()])
    return float(ring.mean())


def to_model_input(img, shape: tuple[int, int, int], *, polarity: Polarity = "auto",
                   background: float = 0.0) -> np.ndarray:
    """Convert a Pillow image to uint8 C x H x W for a model with input `shape`.

    The picture is padded to the target aspect ratio with its own border colour (so a digit
    is never cropped), resized with a Lanczos filter and converted to 1 or 3 channels.
    With `polarity="auto"` it is inverted when its border is bright and the dataset's
    `background` is dark (or the other way round): a black digit on white paper then
    looks like an MNIST digit.
    """
    from PIL import Image

    c, h, w = (int(v) for v in shape)
    if c not in (1, 3):
        raise ImageImportError(f"the model expects {c} channels; only 1 or 3 are supported")
    img = _flatten_alpha(img).convert("L" if c == 1 else "RGB")
    if img.width < 1 or img.height < 1:
        raise ImageImportError("the picture is empty (0 pixels)")
    arr = np.asarray(img)
    fill = _border_level(arr) if arr.ndim == 2 else tuple(
        int(round(_border_level(arr[..., k]))) for k in range(arr.shape[2]))
    if isinstance(fill, float):
        fill = int(round(fill))
    # Pad (never crop) to the target aspect ratio.
    target = w / h
    if img.width / img.height > target:
        new_w, new_h = img.width, max(1, round(img.width / target))
    else:
        new_w, new_h = max(1, round(img.height * target)), img.height
    canvas = Image.new(img.mode, (new_w, new_h), fill)
    canvas.paste(img, ((new_w - img.width) // 2, (new_h - img.height) // 2))
    small = canvas.resize((w, h), Image.Resampling.LANCZOS)
    out = np.asarray(small, dtype=np.uint8)
    out = out[None, :, :] if c == 1 else np.transpose(out, (2, 0, 1))
    if polarity == "invert" or (polarity == "auto" and _needs_inversion(out, background)):
        out = 255 - out
    return np.ascontiguousarray(out)


def _needs_inversion(chw: np.ndarray, background: float) -> bool:
    border = _border_level(np.transpose(chw, (1, 2, 0)).mean(axis=2))
    return abs(border - background) > 127.5


def load_model_input(path: str | os.PathLike, shape: tuple[int, int, int], *,
                     polarity: Polarity = "auto", background: float = 0.0) -> np.ndarray:
    """Read a picture file and convert it for a model with input `shape` (C, H, W)."""
    return to_model_input(read_image(path), shape, polarity=polarity, background=background)


def sample_display(images: np.ndarray, indices) -> np.ndarray:
    """Display images (N x H x W or N x H x W x 3 uint8) of the dataset samples `indices`
    from uint8 N x C x H x W data images."""
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    batch = np.asarray(images)[idx]
    return to_display(batch.astype(np.float32) / np.float32(255.0))


def image_strip(images: np.ndarray, gap: int = 2, background: int = 255) -> np.ndarray:
    """Display images (N x H x W or N x H x W x 3) side by side in one uint8 image."""
    images = np.asarray(images, dtype=np.uint8)
    if images.ndim == 2:  # one gray image
        images = images[None]
    if images.ndim not in (3, 4) or len(images) == 0:
        raise ValueError(f"expected N x H x W or N x H x W x 3 images, not shape {images.shape}")
    n, h, w = images.shape[:3]
    extra = images.shape[3:]
    strip = np.full((h, n * w + max(0, n - 1) * gap, *extra), background, dtype=np.uint8)
    for i, img in enumerate(images):
        x = i * (w + gap)
        strip[:, x:x + w] = img
    return strip
