"""JPEG at a given quality (Pillow), its sizes (whole file and scan data only), and the two
image-quality scores, PSNR and SSIM (scikit-image), that compare it with the autoencoder
(`latent_atlas.explorer.core.analysis.claims.codec`; docs/metrics.md)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np

JPEG_QUALITIES = tuple(range(1, 96))  # Pillow's useful range; above 95 it only grows
PSNR_CAP = 100.0  # dB reported for a perfect copy (its PSNR is infinite)


def jpeg_bytes(image: np.ndarray, quality: int) -> bytes:
    """A display image (H x W or H x W x 3 uint8) as a baseline JPEG file (Pillow, standard
    Huffman tables, default 4:2:0 chroma subsampling for colour)."""
    from PIL import Image

    a = np.ascontiguousarray(image, dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(a).save(
        buf, format="JPEG", quality=int(quality), optimize=False)
    return buf.getvalue()


def jpeg_decode(data: bytes) -> np.ndarray:
    """A JPEG file back to a display image (H x W or H x W x 3 uint8)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        img.load()
        return np.asarray(img, dtype=np.uint8).copy()


def jpeg_scan_start(data: bytes) -> int:
    """Offset of the entropy-coded data: just past the (first) start-of-scan header."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG file (no start-of-image marker)")
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ValueError(f"malformed JPEG: expected a marker at byte {pos}")
        marker = data[pos + 1]
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker == 0xDA:  # start of scan: the compressed data follows its header
            return pos + 2 + length
        pos += 2 + length
    raise ValueError("malformed JPEG: no start-of-scan marker")


def jpeg_scan_size(data: bytes) -> int:
    """Bytes of entropy-coded data in a baseline JPEG: the file less its headers and the
    end-of-image marker."""
    end = len(data) - 2 if data[-2:] == b"\xff\xd9" else len(data)
    return end - jpeg_scan_start(data)


def jpeg_sizes(image: np.ndarray, qualities: Sequence[int] = JPEG_QUALITIES
               ) -> tuple[np.ndarray, np.ndarray]:
    """(file bytes, scan bytes) of one image at each quality."""
    files, scans = [], []
    for q in qualities:
        data = jpeg_bytes(image, q)
        files.append(len(data))
        scans.append(jpeg_scan_size(data))
    return np.asarray(files, dtype=np.int64), np.asarray(scans, dtype=np.int64)


def closest_size(sizes: Sequence[int] | np.ndarray, target: float) -> int:
    """Index of the size closest to `target` bytes; a tie goes to the smaller size (at or
    below the target), then to the earlier (lower) quality."""
    s = np.asarray(sizes, dtype=np.float64)
    if len(s) == 0:
        raise ValueError("no sizes to choose from")
    order = np.lexsort((np.arange(len(s)), s, np.abs(s - target)))
    return int(order[0])


# ---- image quality ------------------------------------------------------------------------

def _as_unit(image: np.ndarray) -> np.ndarray:
    a = np.asarray(image)
    return a.astype(np.float64) / 255.0 if a.dtype == np.uint8 else a.astype(np.float64)


def psnr(reference: np.ndarray, test: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB of two display images (uint8, or floats in [0, 1]),
    peak = the full pixel range; a perfect copy reports `PSNR_CAP`."""
    from skimage.metrics import peak_signal_noise_ratio

    a, b = _as_unit(reference), _as_unit(test)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare images of shapes {a.shape} and {b.shape}")
    if np.array_equal(a, b):
        return PSNR_CAP
    return float(min(PSNR_CAP, peak_signal_noise_ratio(a, b, data_range=1.0)))


def ssim(reference: np.ndarray, test: np.ndarray) -> float:
    """Structural similarity (Wang et al., 2004; scikit-image, uniform 7 x 7 window, or the
    largest odd window that fits a smaller image) of two display images; 1 is identical."""
    from skimage.metrics import structural_similarity

    a, b = _as_unit(reference), _as_unit(test)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare images of shapes {a.shape} and {b.shape}")
    side = min(a.shape[:2])
    win = min(7, side if side % 2 else side - 1)
    if win < 3:
        raise ValueError(f"SSIM needs images of at least 3 x 3 pixels, not {a.shape[:2]}")
    return float(structural_similarity(a, b, data_range=1.0, win_size=win,
                                       channel_axis=-1 if a.ndim == 3 else None))
