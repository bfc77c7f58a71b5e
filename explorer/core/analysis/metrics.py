"""Continuity metrics for AE against VAE: numbers, not only pictures.

    result = drain(compare_models({"AE": ae, "VAE": vae}, data))   # fixed seeds
    print(format_table(result))

Every metric is defined in docs/metrics.md. All image distances are root-mean-square
pixel distances with pixels in [0, 1] (so 0.1 means a typical pixel is off by 10 % of the
full range), the unit of the gap score in `explorer.core.analysis.gaps`.

- reconstruction error: mean per-pixel squared error on held-out images (the trainer's
  validation split, so the models never saw them);
- hole fraction: of n prior samples, the fraction whose decoded image is farther from
  every real image than a threshold: the 95th percentile of held-out reconstruction
  distances (pooled over the compared models, so both face the same bar);
- interpolation: over M random held-out pairs, the mean nearest-real distance of the
  intermediate images of a straight latent path, and its smoothness (largest step over
  mean step; 1.0 is perfectly even), after ACAI (Berthelot et al., 2018);
- local path length: mean |D(z + eps*s*u) - D(z)| / eps over data codes z, random unit
  directions u and the code spread s, after StyleGAN's perceptual path length (Karras et
  al., 2019), measured in pixels instead of VGG features;
- holes by sampler: the hole fraction (same threshold, same n and seed) under each sampler
  of `explorer.core.analysis.samplers` (own prior, N(0, I), fitted Gaussian, Gaussian
  mixture), each with its 95 % Wilson interval, so prior mismatch reads apart from gaps.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from explorer.core.analysis.gaps import RealImageIndex, flatten_float
from explorer.core.analysis.intervals import fraction_interval
from explorer.core.analysis.samplers import SAMPLER_LABELS, SAMPLERS, make_samplers
from explorer.core.progress import Progress, check_cancel

MAX_PRIOR = 100_000
MAX_PAIRS = 10_000


@dataclass(frozen=True)
class MetricSettings:
    """How much to measure. The seed fixes every random choice (samples, pairs, directions)."""

    seed: int = 0
    n_prior: int = 2000  # prior samples for the hole fraction
    n_pairs: int = 100  # held-out pairs for interpolation
    steps: int = 9  # codes per interpolation path, ends included
    n_path: int = 500  # data codes for the local path length
    epsilon: float = 0.01  # finite-difference step, in units of the code spread
    hole_percentile: float = 95.0
    max_reference: int | None = 20_000  # cap on the real images searched for the nearest
    val_fraction: float = 0.1  # the trainer's validation split

    def __post_init__(self) -> None:
        if min(self.n_prior, self.n_pairs, self.n_path) < 1 or self.steps < 3:
            raise ValueError("n_prior, n_pairs and n_path must be >= 1 and steps >= 3")
        # Each count is a batch of decoded images: bounded, so no flag asks for gigabytes.
        if self.n_prior > MAX_PRIOR or self.n_pairs > MAX_PAIRS or self.n_path > MAX_PRIOR \
                or self.steps > 1000:
            raise ValueError(f"at most {MAX_PRIOR:,} prior samples and path codes, "
                             f"{MAX_PAIRS:,} pairs and 1,000 steps are measured")
        if not 0 < self.epsilon < 1 or not 0 < self.hole_percentile <= 100:
            raise ValueError("epsilon must be in (0, 1) and hole_percentile in (0, 100]")


@dataclass(frozen=True)
class MetricsProgress(Progress):
    """`stage` of the measurement, overall `fraction` done, and a readable `message`."""


@dataclass
class ModelMetrics:
    """The measured numbers for one model (all distances in pixel RMS units)."""

    name: str
    kind: str
    prior: str
    recon_mse: float  # mean per-pixel squared error on held-out images
    recon_rms: float  # mean RMS distance of a held-out reconstruction to its original
    recon_p95: float  # percentile of held-out reconstructions' nearest-real distances
    hole_threshold: float = float("nan")
    hole_fraction: float = float("nan")
    prior_distance: float = float("nan")  # mean nearest-real distance of prior samples
    interp_distance: float = float("nan")
    interp_smoothness: float = float("nan")
    path_length: float = float("nan")
    # holes[sampler]["pixel"] = {"fraction", "low", "high"} (95 % Wilson interval)
    holes: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    gmm_components: int | None = None  # chosen by BIC for the `gmm` sampler
    extras: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("extras")
        return d


@dataclass
class CompareResult:
    """Metrics of several models on one data set, with the shared settings and threshold."""

    models: list[ModelMetrics]
    data_spec: str
    n_held_out: int
    n_reference: int
    hole_threshold: float
    settings: MetricSettings
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"data": self.data_spec, "n_held_out": self.n_held_out,
                "n_reference_images": self.n_reference, "hole_threshold": self.hole_threshold,
                "settings": asdict(self.settings), "notes": list(self.notes),
                "models": [m.to_dict() for m in self.models]}


def held_out_indices(n: int, seeds: list[int], val_fraction: float = 0.1
                     ) -> tuple[np.ndarray, list[str]]:
    """Images no compared model trained on: the trainer's validation split for each seed,
    intersected. Models trained with one seed share their split exactly."""
    from models.trainer import split_indices

    notes: list[str] = []
    sets = [split_indices(n, val_fraction, int(s))[1] for s in dict.fromkeys(seeds)]
    held = sets[0]
    for other in sets[1:]:
        held = np.intersect1d(held, other)
    if len(held) < 20 and len(sets) > 1:
        held = sets[0]
        notes.append("the models were trained with different seeds, so they held out "
                     "different images; the first model's validation split is used")
    elif len(sets) > 1:
        notes.append("the models were trained with different seeds; the held-out images are "
                     "those none of them trained on")
    if len(held) < 2:
        raise ValueError(f"{n} images leave too few held-out images to measure; use a "
                         "larger data set")
    return held, notes


def _rms(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise RMS distance of two image batches (float or uint8)."""
    fa, fb = flatten_float(a), flatten_float(b)
    return np.sqrt(((fa - fb) ** 2).mean(axis=1))


@dataclass
class _Measured:
    metrics: ModelMetrics
    recon_dist: np.ndarray
    prior_dist: np.ndarray
    sampler_dist: dict[str, np.ndarray] = field(default_factory=dict)


def measure_model(model: Any, images: np.ndarray, held_out: np.ndarray, index: RealImageIndex,
                  settings: MetricSettings, *, name: str = "", cancel: Any = None,
                  span: tuple[float, float] = (0.0, 1.0)
                  ) -> Generator[MetricsProgress, None, _Measured]:
    """Measure one model; the hole fraction is left for the caller's (shared) threshold."""
    from explorer.core.inference import SwitchReference, decode_float, encode, needs_switches
    from explorer.core.latent.interpolation import lerp

    lo, hi = span
    name = name or model.config.kind.upper()

    def progress(frac: float, stage: str, msg: str) -> MetricsProgress:
        check_cancel(cancel, "measuring")
        return MetricsProgress(stage, lo + (hi - lo) * frac, f"{name}: {msg}")

    yield progress(0.0, "encode", "encoding the data")
    codes = encode(model, images)
    held_mask = np.zeros(len(images), dtype=bool)
    held_mask[held_out] = True

    yield progress(0.2, "reconstruction", "reconstructing held-out images")
    # A max-unpooling model reconstructs with each image's own switches and decodes every
    # other code with those of the nearest training image (it cannot generate alone).
    recon = decode_float(model, codes[held_out], switch_images=images[held_out])
    sq = ((flatten_float(recon) - flatten_float(images[held_out])) ** 2).mean(axis=1)
    # The hole threshold compares like with like: a decoded image's distance to the
    # nearest real (training) image, for decodes of codes known to be good.
    recon_dist, _ = index.nearest(recon)

    yield progress(0.35, "prior", "decoding prior samples")
    train_codes = codes[~held_mask] if (~held_mask).sum() >= 2 else codes
    ref = None
    if needs_switches(model):
        train_images = images[~held_mask] if (~held_mask).sum() >= 2 else images
        ref = SwitchReference(train_images, train_codes)

    def decode(z: np.ndarray) -> np.ndarray:
        return decode_float(model, z, reference=ref)
    samplers = make_samplers(model, train_codes, seed=settings.seed)
    prior = samplers["own"]
    z_prior = prior.sample(settings.n_prior, settings.seed)
    prior_dist, _ = index.nearest(decode(z_prior))
    # Every sampler draws as many codes with the same seed; one that draws exactly the own
    # prior's codes (N(0, I) for a VAE, the fitted Gaussian for an AE) reuses its decodes.
    sampler_dist = {"own": prior_dist}
    for key in SAMPLERS[1:]:
        z = samplers[key].sample(settings.n_prior, settings.seed)
        sampler_dist[key] = (prior_dist if np.array_equal(z, z_prior)
                             else index.nearest(decode(z))[0])

    yield progress(0.6, "interpolation", "interpolating held-out pairs")
    rng = np.random.default_rng(settings.seed + 1)
    pairs = np.stack([rng.choice(held_out, size=2, replace=False)
                      for _ in range(settings.n_pairs)])
    paths = np.concatenate([lerp(codes[a], codes[b], settings.steps) for a, b in pairs])
    path_imgs = decode(paths).reshape(settings.n_pairs, settings.steps, -1)
    inner = path_imgs[:, 1:-1].reshape(-1, path_imgs.shape[-1])
    inner_dist, _ = index.nearest(inner)
    steps = np.sqrt(((path_imgs[:, 1:] - path_imgs[:, :-1]) ** 2).mean(axis=2))
    mean_step = steps.mean(axis=1)
    # A path whose images do not change at all is perfectly even, not undefined.
    ratio = np.divide(steps.max(axis=1), mean_step, out=np.ones_like(mean_step),
                      where=mean_step > 0)

    yield progress(0.8, "path length", "measuring local path length")
    rng = np.random.default_rng(settings.seed + 2)
    pick = rng.choice(len(codes), size=min(settings.n_path, len(codes)), replace=False)
    z = codes[pick].astype(np.float64)
    spread = float(np.sqrt(codes.astype(np.float64).var(axis=0).mean()))
    u = rng.standard_normal(z.shape)
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    step = settings.epsilon * (spread if spread > 0 else 1.0)
    moved = decode(np.concatenate([z, z + step * u]))
    path_len = _rms(moved[:len(z)], moved[len(z):]) / settings.epsilon

    yield progress(1.0, "done", "measured")
    metrics = ModelMetrics(
        name=name, kind=model.config.kind, prior=prior.description,
        recon_mse=float(sq.mean()), recon_rms=float(np.sqrt(sq).mean()),
        recon_p95=float(np.percentile(recon_dist, settings.hole_percentile)),
        prior_distance=float(prior_dist.mean()),
        interp_distance=float(inner_dist.mean()), interp_smoothness=float(ratio.mean()),
        path_length=float(path_len.mean()),
        gmm_components=getattr(samplers["gmm"], "n_components", None),
        extras={"code_spread": spread})
    return _Measured(metrics, recon_dist, prior_dist, sampler_dist)


def compare_models(models: dict[str, Any], data: Any, settings: MetricSettings | None = None,
                   *, cancel: Any = None) -> Generator[MetricsProgress, None, CompareResult]:
    """Measure every model of `models` (name -> model) on the ImageSet `data`.

    Yields `MetricsProgress`; returns a `CompareResult`. The held-out images, the prior
    samples' seeds, the pairs and the directions are the same for every model.
    """
    settings = settings or MetricSettings()
    if not models:
        raise ValueError("nothing to compare: give at least one model")
    images = data.images
    for name, model in models.items():
        if tuple(model.config.input_shape) != tuple(images.shape[1:]):
            raise ValueError(f"{name} expects images {tuple(model.config.input_shape)} (C, H, W) "
                             f"but the data has {tuple(images.shape[1:])}; use the data it was "
                             "trained on")
    held_out, notes = held_out_indices(len(images), [m.config.seed for m in models.values()],
                                       settings.val_fraction)
    yield MetricsProgress("index", 0.0, "indexing the real images")
    # The real images a decode is compared with are the training images: a held-out
    # reconstruction must not find its own original among them.
    train_idx = np.setdiff1d(np.arange(len(images)), held_out)
    index = RealImageIndex(images[train_idx], max_images=settings.max_reference,
                           seed=settings.seed)
    if len(index) < len(train_idx):
        notes.append(f"nearest real images searched among {len(index)} of the {len(train_idx)} "
                     "training images (random subset)")
    measured: list[_Measured] = []
    k = len(models)
    for i, (name, model) in enumerate(models.items()):
        m = yield from measure_model(model, images, held_out, index, settings, name=name,
                                     cancel=cancel, span=(i / k, (i + 1) / k))
        measured.append(m)
    pooled = np.concatenate([m.recon_dist for m in measured])
    threshold = float(np.percentile(pooled, settings.hole_percentile))
    for m in measured:
        m.metrics.hole_threshold = threshold
        m.metrics.hole_fraction = float((m.prior_dist > threshold).mean())
        m.metrics.holes = {
            key: {"pixel": fraction_interval(int((dist > threshold).sum()), len(dist))}
            for key, dist in m.sampler_dist.items()}
    yield MetricsProgress("done", 1.0, "metrics ready")
    return CompareResult(models=[m.metrics for m in measured], data_spec=data.spec,
                         n_held_out=len(held_out), n_reference=len(index),
                         hole_threshold=threshold, settings=settings, notes=notes)


# (header, attribute, format) of each table column
COLUMNS = (
    ("recon MSE", "recon_mse", "{:.4f}"),
    ("recon RMS", "recon_rms", "{:.3f}"),
    ("hole fraction", "hole_fraction", "{:.1%}"),
    ("prior-sample dist", "prior_distance", "{:.3f}"),
    ("interp dist", "interp_distance", "{:.3f}"),
    ("interp smoothness", "interp_smoothness", "{:.2f}"),
    ("path length", "path_length", "{:.2f}"),
)


def format_table(result: CompareResult, markdown: bool = False) -> str:
    """The metrics as a plain-text (or markdown) table, one row per model, with a footer
    stating the threshold and the sample sizes."""
    header = ["model", "prior"] + [c[0] for c in COLUMNS]
    rows = [[m.name + f" ({m.kind})", "N(0, I)" if "N(0, I)" in m.prior else "fitted Gaussian"]
            + [fmt.format(getattr(m, attr)) for _, attr, fmt in COLUMNS]
            for m in result.models]
    s = result.settings
    foot = (f"data {result.data_spec}: {result.n_held_out} held-out images; nearest real image "
            f"searched among {result.n_reference} training images; distances are pixel RMS.\n"
            f"hole threshold {result.hole_threshold:.3f}: the {s.hole_percentile:g}th percentile "
            f"of the held-out reconstructions' nearest-real distances (all models pooled).\n"
            f"{s.n_prior} prior samples, {s.n_pairs} pairs x {s.steps} steps, {s.n_path} path "
            f"points, epsilon {s.epsilon:g}, seed {s.seed}.")
    if markdown:
        lines = ["| " + " | ".join(header) + " |",
                 "|" + "|".join(["---"] * 2 + ["---:"] * len(COLUMNS)) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines + _holes_block(result, True) + ["", foot]
                          + [f"note: {n}" for n in result.notes])
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    fmt_row = lambda r: "  ".join(v.ljust(w) if i < 2 else v.rjust(w)  # noqa: E731
                                  for i, (v, w) in enumerate(zip(r, widths, strict=True)))
    lines = [fmt_row(header), "  ".join("-" * w for w in widths)] + [fmt_row(r) for r in rows]
    return "\n".join(lines + _holes_block(result, False) + ["", foot]
                     + [f"note: {n}" for n in result.notes])


def hole_cell(m: ModelMetrics, sampler: str, judge: str = "pixel") -> str:
    """'54.9% [52.7%, 57.1%]': a model's hole fraction under `sampler` with its 95 %
    interval, or '-' when it was not measured."""
    h = m.holes.get(sampler, {}).get(judge)
    if h is None:
        return "-"
    return f"{h['fraction']:.1%} [{h['low']:.1%}, {h['high']:.1%}]"


def _holes_block(result: CompareResult, markdown: bool) -> list[str]:
    """Hole fraction [95 % interval] of every model under every sampler (pixel judge), as
    lines to follow the main table; none when no model has them."""
    models = [m for m in result.models if m.holes]
    if not models:
        return []

    def label(m: ModelMetrics) -> str:
        k = m.gmm_components
        return m.name + f" ({m.kind})" + (f", GMM k={k}" if k else "")

    header = ["holes by sampler"] + [SAMPLER_LABELS[k] for k in SAMPLERS]
    rows = [[label(m)] + [hole_cell(m, k) for k in SAMPLERS] for m in models]
    title = ("hole fraction under each sampler, pixel judge, same threshold "
             "[95 % Wilson interval]:")
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * len(SAMPLERS)]
        return ["", title, ""] + lines + ["| " + " | ".join(r) + " |" for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    fmt_row = lambda r: "  ".join(v.ljust(w) if i == 0 else v.rjust(w)  # noqa: E731
                                  for i, (v, w) in enumerate(zip(r, widths, strict=True)))
    return (["", title, fmt_row(header), "  ".join("-" * w for w in widths)]
            + [fmt_row(r) for r in rows])
