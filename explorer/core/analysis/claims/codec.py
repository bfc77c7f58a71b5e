"""The autoencoder as a lossy image codec, against JPEG at the same number of bytes.

    result = drain(compress_iter(model, images, CompressSettings(bits=(2, 4, 8))))
    print(format_compress_table(result))

The course claims that an autoencoder rarely beats JPEG at compression. Here an image is
sent as its code with every latent dimension quantised uniformly to b bits
(`Quantiser`), so it costs exactly latent_dim x b bits; the receiver holds the decoder
and the quantiser's per-dimension range (fitted once on the training codes), as a JPEG
decoder holds its standard tables. Each held-out image (the trainer's validation split)
is also saved as a JPEG (Pillow) at the quality whose size is closest to the code's
size, and both are scored by PSNR and SSIM (scikit-image) against the original.

JPEG is counted two ways (docs/metrics.md):
- "file": the whole JPEG file, headers included, the size on disk;
- "scan": the entropy-coded scan data only. Pillow's baseline JPEG (optimize off) writes
  headers that depend only on the image size, mode and quality (standard Huffman tables,
  quality-scaled quantisation tables), so they are a shared codebook like the AE's
  decoder, and the scan data is what one image really costs.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from latent_atlas.explorer.core.analysis.claims.jpeg import (  # noqa: F401  (re-exported: the codec's API)
    JPEG_QUALITIES,
    PSNR_CAP,
    closest_size,
    jpeg_bytes,
    jpeg_decode,
    jpeg_scan_size,
    jpeg_scan_start,
    jpeg_sizes,
    psnr,
    ssim,
)
from latent_atlas.explorer.core.inference import decode_float, encode_iter, to_display
from latent_atlas.explorer.core.progress import Progress, check_cancel, relay

MAX_BITS = 16
CURVE_QUALITIES = (1, 2, 3, 5, 8, 12, 20, 30, 50, 75, 95)
VARIANTS = ("file", "scan")


# ---- quantising codes -------------------------------------------------------------------

@dataclass(frozen=True)
class Quantiser:
    """Uniform scalar quantiser of each latent dimension to `bits` bits.

    Dimension j's range [low_j, high_j] (the training codes' min and max) is cut into
    2**bits equal bins; a code is clipped into the range, sent as its bin number and
    decoded as the bin's centre, so a code inside the range comes back within half a
    step, (high_j - low_j) / 2**(bits + 1).
    """

    low: np.ndarray
    high: np.ndarray
    bits: int

    @classmethod
    def fit(cls, codes: np.ndarray, bits: int) -> Quantiser:
        z = np.asarray(codes, dtype=np.float64)
        if z.ndim != 2 or len(z) == 0:
            raise ValueError(f"need N x d training codes to fit a quantiser, got shape {z.shape}")
        if not np.isfinite(z).all():
            raise ValueError("the training codes hold NaN or infinite values")
        check_bits(bits)
        return cls(z.min(axis=0), z.max(axis=0), int(bits))

    @property
    def dim(self) -> int:
        return len(self.low)

    @property
    def levels(self) -> int:
        return 1 << self.bits

    @property
    def step(self) -> np.ndarray:
        """Bin width per dimension (0 for a dimension the training codes never vary in)."""
        return (self.high - self.low) / self.levels

    @property
    def bits_per_image(self) -> int:
        return self.dim * self.bits

    def quantise(self, codes: np.ndarray) -> np.ndarray:
        """Codes N x d -> bin numbers N x d (int64, 0 .. 2**bits - 1); out-of-range clips."""
        z = np.asarray(codes, dtype=np.float64)
        if z.ndim != 2 or z.shape[1] != self.dim:
            raise ValueError(f"expected N x {self.dim} codes, got shape {z.shape}")
        width = self.high - self.low
        safe = np.where(width > 0, width, 1.0)
        k = np.floor((z - self.low) / safe * self.levels)
        k = np.where(width > 0, k, 0.0)
        return np.clip(k, 0, self.levels - 1).astype(np.int64)

    def dequantise(self, levels: np.ndarray) -> np.ndarray:
        """Bin numbers N x d -> codes N x d (float32): each bin's centre."""
        k = np.asarray(levels, dtype=np.float64)
        return (self.low + (k + 0.5) * self.step).astype(np.float32)

    def pack(self, levels: np.ndarray) -> bytes:
        """One image's bin numbers (d,) as a bit string of exactly d x bits bits, padded
        with zero bits to whole bytes (the padding is not counted as cost)."""
        k = np.asarray(levels, dtype=np.int64).reshape(-1)
        if len(k) != self.dim or k.min() < 0 or k.max() >= self.levels:
            raise ValueError(f"expected {self.dim} bin numbers in 0..{self.levels - 1}")
        shifts = np.arange(self.bits - 1, -1, -1)
        bits = ((k[:, None] >> shifts) & 1).astype(np.uint8).reshape(-1)
        return np.packbits(bits).tobytes()

    def unpack(self, data: bytes) -> np.ndarray:
        """The inverse of `pack`: (d,) bin numbers."""
        n = self.bits_per_image
        if len(data) != math.ceil(n / 8):
            raise ValueError(f"expected {math.ceil(n / 8)} bytes, got {len(data)}")
        bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8))[:n].astype(np.int64)
        weights = 1 << np.arange(self.bits - 1, -1, -1)
        return (bits.reshape(self.dim, self.bits) * weights).sum(axis=1)


def parse_bits(text: str) -> tuple[int, ...]:
    """"2,4,8" -> (2, 4, 8): bits per latent dimension, each from 1 to MAX_BITS, once each."""
    try:
        values = [int(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        raise ValueError(f"bits must be whole numbers separated by commas, like 2,4,8, "
                         f"not '{text}'") from None
    if not values or any(not 1 <= v <= MAX_BITS for v in values):
        raise ValueError(f"bits must be whole numbers from 1 to {MAX_BITS}, like 2,4,8, "
                         f"not '{text}'")
    return tuple(dict.fromkeys(values))


def check_bits(bits: int) -> int:
    if not isinstance(bits, int | np.integer) or not 1 <= int(bits) <= MAX_BITS:
        raise ValueError(f"bits per latent dimension must be a whole number from 1 to "
                         f"{MAX_BITS}, not {bits!r}")
    return int(bits)


# ---- JPEG ---------------------------------------------------------------------------------

# ---- the comparison -----------------------------------------------------------------------

@dataclass(frozen=True)
class CompressSettings:
    """What to compare. `max_images` caps the held-out images measured (the first ones)."""

    bits: tuple[int, ...] = (2, 4, 8)
    examples: int = 4
    max_images: int | None = None
    val_fraction: float = 0.1  # the trainer's validation split
    curve_qualities: tuple[int, ...] = CURVE_QUALITIES

    def __post_init__(self) -> None:
        if not self.bits:
            raise ValueError("give at least one number of bits")
        for b in self.bits:
            check_bits(b)
        if len(set(self.bits)) != len(self.bits):
            raise ValueError("each number of bits may be given once")
        if not 0 <= self.examples <= 32:
            raise ValueError(f"examples must be from 0 to 32, not {self.examples}")
        if self.max_images is not None and self.max_images < 2:
            raise ValueError(f"measure at least 2 images, not {self.max_images}")
        if any(q not in JPEG_QUALITIES for q in self.curve_qualities):
            raise ValueError("JPEG qualities must be from 1 to 95")


@dataclass(frozen=True)
class CompressProgress(Progress):
    """`stage` of the comparison, overall `fraction` done, and a readable `message`."""


@dataclass
class CodecScore:
    """Means over the held-out images of one codec at one setting."""

    bits: float  # mean bits per image
    psnr: float
    ssim: float
    at_or_below: float = 1.0  # fraction of images whose size is at or below the target
    quality: float = float("nan")  # mean JPEG quality chosen (JPEG only)

    def to_dict(self) -> dict[str, float]:
        d = {"bits": self.bits, "bytes": self.bits / 8, "psnr": self.psnr, "ssim": self.ssim,
             "at_or_below": self.at_or_below}
        if not math.isnan(self.quality):
            d["quality"] = self.quality
        return d


@dataclass
class BitsRow:
    """One quantisation level: the AE's cost and quality, and JPEG's at the matched size."""

    bits: int  # per latent dimension
    ae: CodecScore
    jpeg: dict[str, CodecScore]  # variant ("file", "scan") -> score

    @property
    def target_bytes(self) -> float:
        return self.ae.bits / 8

    def to_dict(self) -> dict[str, Any]:
        return {"bits_per_dim": self.bits, "target_bytes": self.target_bytes,
                "ae": self.ae.to_dict(), "jpeg": {k: v.to_dict() for k, v in self.jpeg.items()}}


@dataclass
class CompressResult:
    data_spec: str
    latent_dim: int
    n_held_out: int
    rows: list[BitsRow]
    unquantised: CodecScore  # the AE with float codes (32-bit floats, the ceiling)
    jpeg_curve: dict[str, list[CodecScore]]  # variant -> one score per curve quality
    curve_qualities: tuple[int, ...]
    example_indices: np.ndarray  # data indices of the examples
    examples: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"data": self.data_spec, "latent_dim": self.latent_dim,
                "n_held_out": self.n_held_out, "rows": [r.to_dict() for r in self.rows],
                "ae_unquantised": self.unquantised.to_dict(),
                "jpeg_curve": {k: [dict(s.to_dict(), quality=q) for s, q in
                                   zip(v, self.curve_qualities, strict=True)]
                               for k, v in self.jpeg_curve.items()},
                "examples": [int(i) for i in self.example_indices], "notes": list(self.notes)}


def _stage(stage: str, fraction: float, message: str) -> CompressProgress:
    return CompressProgress(stage, float(min(1.0, max(0.0, fraction))), message)


def _score(originals: np.ndarray, recons: np.ndarray, bits: np.ndarray,
           below: np.ndarray | None = None, quality: np.ndarray | None = None) -> CodecScore:
    p = [psnr(a, b) for a, b in zip(originals, recons, strict=True)]
    s = [ssim(a, b) for a, b in zip(originals, recons, strict=True)]
    return CodecScore(float(np.mean(bits)), float(np.mean(p)), float(np.mean(s)),
                      1.0 if below is None else float(np.mean(below)),
                      float("nan") if quality is None else float(np.mean(quality)))


def compress_iter(model: Any, images: np.ndarray, settings: CompressSettings | None = None, *,
                  data_spec: str = "", cancel: Any = None
                  ) -> Generator[Progress, None, CompressResult]:
    """Yield progress; return the AE-against-JPEG comparison on the held-out images.

    `images` is the whole data set (uint8 N x C x H x W) the model was trained on: the
    quantiser's range comes from the codes of the training split, the scores from the
    validation split (`held_out_indices` with the model's seed)."""
    from latent_atlas.explorer.core.analysis.gaps.heldout import held_out_indices

    settings = settings or CompressSettings()
    cfg = model.config
    if cfg.is_conditional or cfg.needs_switches:  # the code alone is not the image
        raise ValueError(
            "a conditional model needs each image's label beside its code; compress a plain "
            "(unconditional) model" if cfg.is_conditional else "a max-unpooling decoder needs "
            "the encoder's switches beside the code, so the code alone is not a compressed "
            "image; compress a model with another upsampling")
    n = len(images)
    held, notes = held_out_indices(n, [int(cfg.seed)], settings.val_fraction)
    train = np.setdiff1d(np.arange(n), held)
    if len(train) == 0:
        raise ValueError("no training images are left to fit the quantiser's range")
    if settings.max_images is not None and len(held) > settings.max_images:
        held = held[:settings.max_images]
    d = int(cfg.latent_dim)

    yield _stage("encode", 0.0, "encoding the training images…")
    train_codes = yield from relay(encode_iter(model, images[train], cancel=cancel),
                                   lambda ev: _stage("encode", 0.2 * (ev.fraction or 0.0),
                                                     ev.message))
    held_codes = yield from relay(encode_iter(model, images[held], cancel=cancel),
                                  lambda ev: _stage("encode", 0.2 + 0.05 * (ev.fraction or 0.0),
                                                    ev.message))
    originals = to_display(images[held].astype(np.float32) / 255.0)
    m = len(held)

    # AE at each b, and unquantised
    ae_images: dict[int, np.ndarray] = {}
    rows_ae: dict[int, CodecScore] = {}
    for k, b in enumerate(settings.bits):
        check_cancel(cancel, "compression")
        q = Quantiser.fit(train_codes, b)
        recon = to_display(decode_float(model, q.dequantise(q.quantise(held_codes))))
        ae_images[b] = recon
        rows_ae[b] = _score(originals, recon, np.full(m, q.bits_per_image, dtype=np.float64))
        yield _stage("ae", 0.25 + 0.1 * (k + 1) / len(settings.bits),
                     f"scored the AE at {b} bits per dimension")
    float_recon = to_display(decode_float(model, held_codes))
    unquantised = _score(originals, float_recon, np.full(m, 32.0 * d))

    # JPEG sizes at every quality, per image
    qualities = np.asarray(JPEG_QUALITIES)
    sizes = {v: np.empty((m, len(qualities)), dtype=np.int64) for v in VARIANTS}
    for i in range(m):
        if i % 25 == 0:
            check_cancel(cancel, "compression")
            yield _stage("jpeg", 0.35 + 0.35 * i / m, f"JPEG sizes of image {i + 1:,}/{m:,}…")
        sizes["file"][i], sizes["scan"][i] = jpeg_sizes(originals[i], JPEG_QUALITIES)

    decoded: dict[tuple[int, int], np.ndarray] = {}

    def jpeg_image(i: int, quality: int) -> np.ndarray:
        key = (i, quality)
        if key not in decoded:
            decoded[key] = jpeg_decode(jpeg_bytes(originals[i], quality))
        return decoded[key]

    rows: list[BitsRow] = []
    jpeg_examples: dict[int, np.ndarray] = {}
    for k, b in enumerate(settings.bits):
        target = d * b / 8
        scores: dict[str, CodecScore] = {}
        for variant in VARIANTS:
            check_cancel(cancel, "compression")
            pick = np.array([closest_size(sizes[variant][i], target) for i in range(m)])
            chosen = sizes[variant][np.arange(m), pick]
            recon = np.stack([jpeg_image(i, int(qualities[pick[i]])) for i in range(m)])
            scores[variant] = _score(originals, recon, 8.0 * chosen, chosen <= target + 1e-9,
                                     qualities[pick].astype(np.float64))
            if variant == "scan":
                jpeg_examples[b] = recon
        rows.append(BitsRow(b, rows_ae[b], scores))
        yield _stage("jpeg", 0.7 + 0.15 * (k + 1) / len(settings.bits),
                     f"scored JPEG at the size of {b}-bit codes")

    curve: dict[str, list[CodecScore]] = {v: [] for v in VARIANTS}
    for k, quality in enumerate(settings.curve_qualities):
        check_cancel(cancel, "compression")
        col = int(np.searchsorted(qualities, quality))
        recon = np.stack([jpeg_image(i, quality) for i in range(m)])
        for variant in VARIANTS:
            curve[variant].append(_score(originals, recon, 8.0 * sizes[variant][:, col]))
        yield _stage("curve", 0.85 + 0.15 * (k + 1) / len(settings.curve_qualities),
                     f"JPEG quality {quality}")

    ex = np.arange(min(settings.examples, m))
    examples = {"original": originals[ex]}
    for b in settings.bits:
        examples[f"ae{b}"] = ae_images[b][ex]
        examples[f"jpeg{b}"] = jpeg_examples[b][ex]
    notes.append("quantiser range: min and max of each dimension over the training codes "
                 f"({len(train):,} images); the range and the decoder are shared, not counted "
                 "per image")
    return CompressResult(data_spec, d, m, rows, unquantised, curve,
                          tuple(settings.curve_qualities), held[ex], examples, notes)


def compress_summary(result: CompressResult) -> list[str]:
    """One plain sentence per number of bits: the AE's size and PSNR against JPEG's at the
    matched size (scan data, and the whole file)."""
    lines = []
    for r in sorted(result.rows, key=lambda r: r.bits):
        f, s = r.jpeg["file"], r.jpeg["scan"]
        verdict = "beats" if r.ae.psnr > s.psnr else "loses to"
        lines.append(f"{r.bits} bits/dim: AE {r.ae.bits / 8:g} B, {r.ae.psnr:.1f} dB "
                     f"{verdict} JPEG {s.bits / 8:.1f} B, {s.psnr:.1f} dB "
                     f"(whole file {f.bits / 8:.0f} B)")
    return lines


def format_compress_table(result: CompressResult, markdown: bool = False) -> str:
    """The comparison as a plain-text (or markdown) table, one row per number of bits."""
    head = ["bits/dim", "AE bits", "AE PSNR", "AE SSIM", "JPEG file bits", "PSNR", "SSIM",
            "<= AE", "JPEG scan bits", "PSNR", "SSIM", "<= AE"]
    body = []
    for r in result.rows:
        f, s = r.jpeg["file"], r.jpeg["scan"]
        body.append([str(r.bits), f"{r.ae.bits:.0f}", f"{r.ae.psnr:.2f}", f"{r.ae.ssim:.3f}",
                     f"{f.bits:.0f}", f"{f.psnr:.2f}", f"{f.ssim:.3f}", f"{100 * f.at_or_below:.0f} %",
                     f"{s.bits:.0f}", f"{s.psnr:.2f}", f"{s.ssim:.3f}",
                     f"{100 * s.at_or_below:.0f} %"])
    u = result.unquantised
    foot = (f"{result.data_spec or 'data'}: {result.n_held_out} held-out images, latent "
            f"{result.latent_dim}. Unquantised AE (32-bit floats, {u.bits:.0f} bits): PSNR "
            f"{u.psnr:.2f} dB, SSIM {u.ssim:.3f}. JPEG at the quality whose size is closest "
            "to the AE's; '<= AE' is the share of images whose JPEG is no larger. "
            "'file' counts the whole file, 'scan' only the entropy-coded data.")
    from latent_atlas.explorer.core.io.tables import render_table

    return render_table(head, body, markdown=markdown) + ("\n\n" if markdown else "\n") + foot
