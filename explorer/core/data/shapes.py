"""`shapes[:N]`: a procedural dSprites-style set with known generative factors.

Each image holds one white shape (square, ellipse, triangle or heart) on black, with a
random scale, rotation and x / y position. The factors are returned as columns, so a
latent map can be coloured by position or scale: a continuous latent space shows smooth
colour gradients there. Generation is vectorised numpy and deterministic by seed.

Shapes are drawn from signed distance functions (negative inside, in units of the shape
radius) with a one-pixel anti-aliased edge, so small moves give small pixel changes.
Factors sit on a fine grid (quarter-pixel centres, quarter-pixel radius steps, rotation
steps that move the tip by about half a pixel; the factor columns hold the grid values
drawn): each distinct shape is rendered once as a small stamp and copied into place, so
a million images load in a few seconds (see `_Grid`).

Options: N (default 20,000), seed (default 0), size (default 32; 64 is the big option),
channels, limit, and `label`: what the labels are, the shape (default) or one factor
binned into `bins` equal-width bins over its range (default 5), e.g.
`shapes?label=scale&bins=5`. A factor as the label is what a conditional model is
conditioned on: the scale stands in for the age of Zhang et al.'s age progression.
"""

from __future__ import annotations

import numpy as np

from .base import DataError, DataSpec, ImageSet, check_image_budget, int_option, source
from .options import (
    canonical,
    channels_option,
    effective_limit,
    limit_option,
    normalise_options,
    seed_option,
    size_option,
)
from .transform import to_channels

SHAPE_NAMES = ["square", "ellipse", "triangle", "heart"]
DEFAULT_COUNT = 20_000
DEFAULT_SIZE = 32
MAX_COUNT = 2_000_000
SCALE_RANGE = (0.5, 1.0)
# The factors a label can be, each with its full range (the bins do not depend on N).
LABEL_RANGES = {"scale": SCALE_RANGE, "rotation": (0.0, 360.0), "x": (0.0, 1.0),
                "y": (0.0, 1.0)}
DEFAULT_BINS = 5
MAX_BINS = 50
# Shape radius at scale 1, as a fraction of the image side; every shape fits its circle.
_RADIUS = 0.25
_CHUNK = 2048  # stamps rendered at once: bounds the float temporaries to a few MB each
_PLACE_CHUNK = 32768  # images assembled at once (32 MB at size 32)

_SQ2 = np.float32(np.sqrt(2.0))
_HEART_SIDE = np.float32(1.05)  # diamond side; lobes of diameter equal to the side
_HEART_DROP = np.float32(-0.0735 * 1.05)  # centres the heart's height on the origin
_TRI_NORMALS = np.array([[0.0, -1.0], [np.cos(np.pi / 6), np.sin(np.pi / 6)],
                         [-np.cos(np.pi / 6), np.sin(np.pi / 6)]], dtype=np.float32)


def _sd_square(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    # Half side 0.7: the corners just touch the unit circle.
    return np.maximum(np.abs(u), np.abs(v)) - np.float32(0.7)


def _sd_ellipse(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    # Semi-axes 1 and 0.55; (k - 1) * minor axis approximates the distance near the edge.
    k = np.sqrt(u * u + (v / np.float32(0.55)) ** 2)
    return (k - 1) * np.float32(0.55)


def _sd_triangle(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    # Equilateral, circumradius 1 (inradius 0.5), pointing up: the farthest edge plane wins.
    d = u * _TRI_NORMALS[0, 0] + v * _TRI_NORMALS[0, 1]
    for nx, ny in _TRI_NORMALS[1:]:
        np.maximum(d, u * nx + v * ny, out=d)
    return d - np.float32(0.5)


def _sd_heart(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    # A diamond (square turned 45 degrees) with a round lobe on each upper edge.
    half = _HEART_SIDE / 2
    w = v - _HEART_DROP
    p = (u + w) / _SQ2
    q = (w - u) / _SQ2
    d = np.maximum(np.abs(p), np.abs(q)) - half
    offset = _HEART_SIDE / (2 * _SQ2)  # lobe centres: midpoints of the upper edges
    lobe = np.sqrt((np.abs(u) - offset) ** 2 + (w - offset) ** 2) - half
    return np.minimum(d, lobe)


_SDF = (_sd_square, _sd_ellipse, _sd_triangle, _sd_heart)


def sample_factors(n: int, seed: int) -> dict[str, np.ndarray]:
    """Random factors for n images: shape code, scale, rotation (degrees), x and y in [0, 1]."""
    rng = np.random.default_rng(seed)
    return {
        "shape": rng.integers(0, len(SHAPE_NAMES), n).astype(np.int64),
        "scale": rng.uniform(*SCALE_RANGE, n).astype(np.float32),
        "rotation": rng.uniform(0.0, 360.0, n).astype(np.float32),
        "x": rng.uniform(0.0, 1.0, n).astype(np.float32),
        "y": rng.uniform(0.0, 1.0, n).astype(np.float32),
    }


class _Grid:
    """The factor grid of one image size: every image is drawn from a pre-rendered stamp.

    Scale has `size / 2 + 1` levels (radius steps of 1/4 pixel), rotation `12 * ceil(size
    / 4)` steps (the tip of the largest shape moves about half a pixel per step), and the
    centre sits on a quarter-pixel lattice. A stamp is a (2h + 1)-pixel square holding one
    shape at one scale, rotation and sub-pixel offset; an image is its stamp copied to the
    whole-pixel position. A million images need at most ~55,000 stamps at size 32, so the
    floating-point drawing costs a fraction of what drawing every image would, and the
    copy is plain array slicing (dSprites, too, has a grid of factor values).
    """

    SUB = 4  # sub-pixel steps of the centre

    def __init__(self, size: int) -> None:
        self.size = size
        self.n_scale = size // 2 + 1
        self.n_rot = 12 * -(-size // 4)
        # A shape repeats after a quarter turn (square), a half (ellipse), a third
        # (triangle) or a full turn (heart): rotations one period apart share a stamp.
        self.period = np.array([self.n_rot // 4, self.n_rot // 2, self.n_rot // 3, self.n_rot])
        self.margin = _RADIUS * size + 1.5
        # Pixels whose centre lies within radius + 1/2 of the centre can be covered; the
        # centre lies in [i, i + 1) of its whole pixel i, so h pixels each side suffice.
        self.half = int(np.floor(_RADIUS * size + 0.5)) + 1
        lo = int(np.ceil(self.margin * self.SUB))
        hi = int(np.floor((size - self.margin) * self.SUB))
        self.centre_range = (lo, max(lo, hi))  # centres in quarter pixels, margin kept
        angles = np.arange(self.n_rot) * (2 * np.pi / self.n_rot)  # float64: exact table
        self.cos = np.cos(angles).astype(np.float32)
        self.sin = np.sin(angles).astype(np.float32)

    def snap(self, factors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """`factors` moved to the nearest grid values (what the images actually show)."""
        si, ri, cx, cy = self.indices(factors)
        span = np.float32(self.size - 2 * self.margin) or np.float32(1)
        return {
            "shape": np.asarray(factors["shape"], dtype=np.int64).copy(),
            "scale": (SCALE_RANGE[0] + si * ((SCALE_RANGE[1] - SCALE_RANGE[0])
                                            / (self.n_scale - 1))).astype(np.float32),
            "rotation": (ri * (360.0 / self.n_rot)).astype(np.float32),
            "x": np.clip((cx / self.SUB - self.margin) / span, 0, 1).astype(np.float32),
            "y": np.clip(1 - (cy / self.SUB - self.margin) / span, 0, 1).astype(np.float32),
        }

    def indices(self, factors: dict[str, np.ndarray]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Grid indices: scale level, rotation step, centre x and y in quarter pixels."""
        lo_s, hi_s = SCALE_RANGE
        scale = np.asarray(factors["scale"], dtype=np.float64)
        si = np.clip(np.rint((scale - lo_s) / (hi_s - lo_s) * (self.n_scale - 1)),
                     0, self.n_scale - 1).astype(np.int64)
        rot = np.asarray(factors["rotation"], dtype=np.float64)
        ri = np.rint(rot / 360.0 * self.n_rot).astype(np.int64) % self.n_rot
        span = self.size - 2 * self.margin
        cx = self.margin + np.asarray(factors["x"], dtype=np.float64) * span
        cy = self.margin + (1 - np.asarray(factors["y"], dtype=np.float64)) * span  # y up
        lo, hi = self.centre_range
        qx = np.clip(np.rint(cx * self.SUB), lo, hi).astype(np.int64)
        qy = np.clip(np.rint(cy * self.SUB), lo, hi).astype(np.int64)
        return si, ri, qx, qy

    def stamps(self, kind: np.ndarray, si: np.ndarray, ri: np.ndarray, sub_x: np.ndarray,
               sub_y: np.ndarray) -> np.ndarray:
        """uint8 stamps (M x b x b) for M grid keys; each depends on its own key only."""
        q = self.SUB
        b = 2 * self.half + 1
        out = np.empty((len(kind), b, b), dtype=np.uint8)
        steps = np.arange(b, dtype=np.float32)
        step_s = (SCALE_RANGE[1] - SCALE_RANGE[0]) / (self.n_scale - 1)
        radius_all = (np.float32(_RADIUS * self.size)
                      * (SCALE_RANGE[0] + si * step_s).astype(np.float32))
        for start in range(0, len(kind), _CHUNK):
            sl = slice(start, start + _CHUNK)
            # Offsets of the stamp's pixel centres from the shape centre (rows grow down,
            # shape space is y-up).
            dx = (steps[None, None, :] + np.float32(0.5 - self.half)
                  - (sub_x[sl] / q).astype(np.float32)[:, None, None])
            dy = (np.float32(self.half - 0.5) - steps[None, :, None]
                  + (sub_y[sl] / q).astype(np.float32)[:, None, None])
            c = self.cos[ri[sl]][:, None, None]
            s = self.sin[ri[sl]][:, None, None]
            r = radius_all[sl][:, None, None]
            u = (c * dx + s * dy) / r
            v = (c * dy - s * dx) / r
            dist = np.empty(u.shape, dtype=np.float32)
            kinds = kind[sl]
            for k, sdf in enumerate(_SDF):
                sel = np.flatnonzero(kinds == k)
                if len(sel):
                    dist[sel] = sdf(u[sel], v[sel])
            # Signed distance in pixels -> coverage of a one-pixel-wide edge.
            cover = np.clip(np.float32(0.5) - dist * r, 0.0, 1.0)
            out[sl] = (cover * np.float32(255) + np.float32(0.5)).astype(np.uint8)
        return out


def snap_factors(factors: dict[str, np.ndarray], size: int = DEFAULT_SIZE
                 ) -> dict[str, np.ndarray]:
    """The grid values `render_shapes` draws for `factors` (see `_Grid`)."""
    return _Grid(size).snap(factors)


def render_shapes(factors: dict[str, np.ndarray], size: int = DEFAULT_SIZE) -> np.ndarray:
    """Draw the images described by `factors` as uint8 N x 1 x size x size.

    Factors are drawn at their nearest grid values (`snap_factors`). Each distinct
    (shape, scale, rotation, sub-pixel offset) is rendered once as a stamp; stamps are
    copied into place one whole-pixel position at a time (one slice assignment per
    position and block of 32,768 images).
    """
    grid = _Grid(size)
    kind = np.asarray(factors["shape"], dtype=np.int64)
    n = len(kind)
    if n and (kind.min() < 0 or kind.max() >= len(SHAPE_NAMES)):
        raise ValueError(f"shape codes run 0..{len(SHAPE_NAMES) - 1}, not "
                         f"{kind.min()}..{kind.max()}")
    si, ri, qx, qy = grid.indices(factors)
    q = grid.SUB
    ri = ri % grid.period[kind]
    key = (((kind * grid.n_scale + si) * grid.n_rot + ri) * q + qy % q) * q + qx % q
    uniq, which = np.unique(key, return_inverse=True)
    u_sx, rest = uniq % q, uniq // q
    u_sy, rest = rest % q, rest // q
    u_ri, rest = rest % grid.n_rot, rest // grid.n_rot
    u_si, u_kind = rest % grid.n_scale, rest // grid.n_scale
    stamps = grid.stamps(u_kind, u_si, u_ri, u_sx, u_sy)
    out = np.empty((n, 1, size, size), dtype=np.uint8)
    rows = out.reshape(n, size * size)
    h, b = grid.half, 2 * grid.half + 1
    flat_stamps = stamps.reshape(len(stamps), b * b)
    place = (qy // q) * size + qx // q
    block = np.zeros((min(n, _PLACE_CHUNK), size, size), dtype=np.uint8)
    for start in range(0, n, _PLACE_CHUNK):
        stop = min(n, start + _PLACE_CHUNK)
        # Sorted by whole-pixel position, the images of one position are one contiguous
        # run of `block`, filled by a plain slice copy (numpy's mixed fancy-and-slice
        # indexing is several times slower); whole rows then go back to their own places.
        order = np.argsort(place[start:stop], kind="stable")
        sorted_place = place[start:stop][order]
        picked = np.take(flat_stamps, which[start + order], axis=0).reshape(-1, b, b)
        cuts = np.flatnonzero(np.diff(sorted_place)) + 1
        part = block[:stop - start]
        part.fill(0)
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, stop - start], strict=True):
            iy, ix = divmod(int(sorted_place[lo]), size)
            x0, y0 = ix - h, iy - h
            # The margin keeps every covered pixel inside; a stamp's empty border may not be.
            cx0, cy0 = max(0, -x0), max(0, -y0)
            cx1, cy1 = min(b, size - x0), min(b, size - y0)
            part[lo:hi, y0 + cy0:y0 + cy1, x0 + cx0:x0 + cx1] = picked[lo:hi, cy0:cy1, cx0:cx1]
        rows[start + order] = part.reshape(-1, size * size)
    return out


OPTIONS = ("limit", "seed", "size", "channels", "label", "bins")


def factor_labels(values: np.ndarray, factor: str, bins: int) -> tuple[np.ndarray, list[str]]:
    """Labels 0..bins-1 of a factor's values: equal-width bins over its full range
    (`LABEL_RANGES`), and their names ("scale 0.50-0.60")."""
    lo, hi = LABEL_RANGES[factor]
    edges = np.linspace(lo, hi, bins + 1)
    labels = np.clip(np.searchsorted(edges, np.asarray(values, dtype=np.float64),
                                     side="right") - 1, 0, bins - 1).astype(np.int64)
    unit = "°" if factor == "rotation" else ""
    fmt = "{:.0f}" if factor == "rotation" else "{:.2f}"
    names = [f"{factor} {fmt.format(a)}–{fmt.format(b)}{unit}"
             for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return labels, names


def _label_option(spec: DataSpec) -> tuple[str, int | None]:
    label = (spec.get("label") or "shape").strip().lower()
    if label != "shape" and label not in LABEL_RANGES:
        raise DataError(f"option label must be shape, {', '.join(LABEL_RANGES)}, not '{label}'")
    bins = int_option(spec, "bins", None, minimum=2)
    if bins is not None and label == "shape":
        raise DataError("option bins goes with a factor label (label=scale, rotation, x or y)")
    if bins is not None and bins > MAX_BINS:
        raise DataError(f"option bins must be at most {MAX_BINS}, not {bins}")
    return label, (bins or DEFAULT_BINS) if label != "shape" else None


@source("shapes", options=OPTIONS)
def load_shapes(spec: DataSpec) -> ImageSet:
    spec = normalise_options(spec, OPTIONS)
    count = DEFAULT_COUNT
    if spec.arg:
        try:
            count = int(spec.arg.replace("_", "").replace(",", ""))
        except ValueError:
            raise DataError(f"shapes:N needs a whole number of images, not '{spec.arg}'") from None
        if not 1 <= count <= MAX_COUNT:
            raise DataError(f"shapes:N must be between 1 and {MAX_COUNT:,}, not {count}")
    seed = seed_option(spec, 0)
    size = size_option(spec, DEFAULT_SIZE, lo=16, hi=256)
    channels = channels_option(spec, 1)
    label, bins = _label_option(spec)
    limit = effective_limit(limit_option(spec), count)
    check_image_budget(limit or count, (channels, size, size), f"shapes:{count}")
    factors = sample_factors(count, seed)
    if limit is not None:  # factors depend on N, so draw N and render only the first `limit`
        factors = {k: v[:limit] for k, v in factors.items()}
    factors = snap_factors(factors, size)
    images = render_shapes(factors, size)
    if channels == 3:
        images = to_channels(images, 3)
    labels, names = factors["shape"].copy(), list(SHAPE_NAMES)
    if bins is not None:
        labels, names = factor_labels(factors[label], label, bins)
    result = ImageSet(images=images, labels=labels, label_names=names, factors=factors)
    arg = "" if count == DEFAULT_COUNT else str(count)
    result.spec = canonical(spec, arg, {"seed": seed, "size": size, "channels": channels,
                                        "limit": limit, "label": label, "bins": bins},
                            {"seed": 0, "size": DEFAULT_SIZE, "channels": 1, "label": "shape"})
    return result
