"""Measuring one model for the compare metrics (metrics.py compares them): a cheap first
look (codes, held-out reconstructions, own-prior decodes with their nearest-real
distances) and the rest (the classifier's verdicts, the probe, the other samplers, the
codes in between, interpolation, local path length, the checkerboard share). Definitions:
docs/metrics.md."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from latent_atlas.explorer.core.analysis.claims.checkerboard import checkerboard_interval
from latent_atlas.explorer.core.analysis.claims.probe import probe_metrics
from latent_atlas.explorer.core.analysis.comparison.results import (
    MetricSettings,
    MetricsProgress,
    ModelMetrics,
)
from latent_atlas.explorer.core.analysis.gaps.holes import (
    BETWEEN_T,
    Judged,
    between_pairs,
    knn_targets,
)
from latent_atlas.explorer.core.analysis.gaps.samplers import SAMPLERS, fit_gmm_steps, make_samplers
from latent_atlas.explorer.core.analysis.gaps.score import RealImageIndex, flatten_float
from latent_atlas.explorer.core.progress import check_cancel, relay


def _rms(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise RMS distance of two image batches (float or uint8)."""
    fa, fb = flatten_float(a), flatten_float(b)
    return np.sqrt(((fa - fb) ** 2).mean(axis=1))


@dataclass
class _Measured:
    metrics: ModelMetrics
    recon_dist: np.ndarray
    prior_dist: np.ndarray
    # "holes/<sampler>", "between/<kind>", "reconstruction" -> the judged decodes
    judged: dict[str, Judged] = field(default_factory=dict)


@dataclass
class _FirstLook:
    """What the first, cheap pass of one model measured: its codes, the held-out
    reconstructions and the own prior's decodes with their nearest-real distances (the
    rows a user sees within seconds; `measure_rest` carries on from here)."""

    name: str
    model: Any
    codes: np.ndarray
    own: np.ndarray | None  # the labels a conditional model encoded under, else None
    train_pool: np.ndarray
    reference: Any  # SwitchReference of a max-unpooling model, else None
    recon: np.ndarray
    sq: np.ndarray  # per held-out image, mean squared error
    recon_dist: np.ndarray
    prior: Any  # the own-prior sampler
    z_prior: np.ndarray
    prior_imgs: np.ndarray
    prior_dist: np.ndarray

    def metrics(self, settings: MetricSettings) -> ModelMetrics:
        """The first-look numbers as a ModelMetrics (everything else NaN or empty)."""
        return ModelMetrics(
            name=self.name, kind=self.model.kind, prior=self.prior.description,
            recon_mse=float(self.sq.mean()), recon_rms=float(np.sqrt(self.sq).mean()),
            recon_p95=float(np.percentile(self.recon_dist, settings.hole_percentile)),
            prior_distance=float(self.prior_dist.mean()))


def _progress_in(span: tuple[float, float], name: str, cancel: Any):
    lo, hi = span

    def progress(frac: float, stage: str, msg: str) -> MetricsProgress:
        check_cancel(cancel, "measuring")
        return MetricsProgress(stage, lo + (hi - lo) * frac, f"{name}: {msg}")

    return progress


def first_look(model: Any, images: np.ndarray, held_out: np.ndarray, index: RealImageIndex,
               settings: MetricSettings, *, name: str = "", cancel: Any = None,
               span: tuple[float, float] = (0.0, 1.0), labels: np.ndarray | None = None
               ) -> Generator[MetricsProgress, None, _FirstLook]:
    """The cheap pass over one model: encode, reconstruct the held-out images and decode
    the own prior's samples, each decode with its nearest-real distance."""
    from latent_atlas.explorer.core.analysis.gaps.generate import model_prior
    from latent_atlas.explorer.core.inference import (
        SwitchReference,
        decode_float,
        encode,
        needs_switches,
    )

    name = name or model.kind.upper()
    progress = _progress_in(span, name, cancel)
    yield progress(0.0, "encode", "encoding the data")
    # A conditional model (cvae, caae) encodes and reconstructs each image under its own
    # label; what it generates (prior samples, paths) decodes under its default label.
    own = labels if labels is not None and int(model.n_cond) else None
    codes = encode(model, images, labels=own)
    held_mask = np.zeros(len(images), dtype=bool)
    held_mask[held_out] = True

    yield progress(0.5, "reconstruction", "reconstructing held-out images")
    # A max-unpooling model reconstructs with each image's own switches and decodes every
    # other code with those of the nearest training image (it cannot generate alone).
    recon = decode_float(model, codes[held_out], switch_images=images[held_out],
                         labels=None if own is None else own[held_out])
    sq = ((flatten_float(recon) - flatten_float(images[held_out])) ** 2).mean(axis=1)
    # The hole threshold compares like with like: a decoded image's distance to the
    # nearest real (training) image, for decodes of codes known to be good.
    recon_dist = index.nearest(recon)[0]

    yield progress(0.75, "prior", "decoding own-prior samples")
    train_pool = np.flatnonzero(~held_mask)
    if len(train_pool) < 2:
        train_pool = np.arange(len(codes))
    train_codes = codes[train_pool]
    ref = SwitchReference(images[train_pool], train_codes) if needs_switches(model) else None
    prior = model_prior(model, train_codes)
    z_prior = prior.sample(settings.n_prior, settings.seed)
    prior_imgs = decode_float(model, z_prior, reference=ref)
    prior_dist = index.nearest(prior_imgs)[0]
    yield progress(1.0, "first look", "reconstruction and own prior measured")
    return _FirstLook(name, model, codes, own, train_pool, ref, recon, sq, recon_dist, prior,
                      z_prior, prior_imgs, prior_dist)


def measure_rest(first: _FirstLook, images: np.ndarray, held_out: np.ndarray,
                 index: RealImageIndex, settings: MetricSettings, *, cancel: Any = None,
                 span: tuple[float, float] = (0.0, 1.0), labels: np.ndarray | None = None,
                 judge: Any = None) -> Generator[MetricsProgress, None, _Measured]:
    """Everything `first_look` left: the classifier's verdicts on its decodes, the probe,
    the other samplers, the between-code decodes, interpolation, path length and the
    checkerboard share. The hole fractions are left for the caller's (shared) bars."""
    from latent_atlas.explorer.core.inference import decode_float
    from latent_atlas.explorer.core.latent.interpolation import lerp

    model, name, codes, ref = first.model, first.name, first.codes, first.reference
    progress = _progress_in(span, name, cancel)
    judged: dict[str, Judged] = {}

    def judge_images(key: str, imgs: np.ndarray, shape: tuple[int, int],
                     dist: np.ndarray | None = None) -> np.ndarray:
        """Judge decodes (float N x C x H x W) as one set; returns their pixel distances."""
        if dist is None:
            dist = index.nearest(imgs)[0]
        conf = None if judge is None else judge.confidence(imgs).reshape(shape)
        judged[key] = Judged(np.asarray(dist).reshape(shape), conf)
        return dist

    recon, prior_imgs, z_prior = first.recon, first.prior_imgs, first.z_prior
    recon_dist = judge_images("reconstruction", recon, (len(recon), 1), first.recon_dist)
    n = settings.n_prior
    prior_dist = judge_images("holes/own", prior_imgs, (n, 1), first.prior_dist)

    yield progress(0.0, "prior", "codes as features (probe)")
    train_pool = first.train_pool
    train_codes = codes[train_pool]
    probe_right: dict[str, dict[str, np.ndarray]] = {}  # per image, for the paired test
    probe = {} if labels is None or not settings.probe_labels else probe_metrics(
        codes, labels, train_pool, held_out, settings.probe_labels, settings.seed, probe_right)

    def decode(z: np.ndarray) -> np.ndarray:
        return decode_float(model, z, reference=ref)

    gmm = yield from relay(  # seconds on MNIST: report each number of components tried
        fit_gmm_steps(train_codes, seed=settings.seed),
        lambda step: progress(0.05 * (step[0] - 1) / step[1], "prior",
                              f"fitting a Gaussian mixture to the codes ({step[0]}/{step[1]} "
                              "components)"))
    yield progress(0.1, "prior", "decoding prior samples")
    samplers = make_samplers(model, train_codes, seed=settings.seed, gmm=gmm)
    # Every sampler draws as many codes with the same seed; one that draws exactly the own
    # prior's codes (N(0, I) for a VAE, the fitted Gaussian for an AE) reuses its decodes.
    same_draws: dict[str, str] = {}
    for key in SAMPLERS[1:]:
        z = samplers[key].sample(n, settings.seed)
        if np.array_equal(z, z_prior):
            judged[f"holes/{key}"] = judged["holes/own"]
            same_draws[key] = "own"
        else:
            judge_images(f"holes/{key}", decode(z), (n, 1))

    yield progress(0.4, "between", "decoding between codes")
    nb = settings.n_between
    t = np.asarray(BETWEEN_T, dtype=np.float32)[None, :, None]
    for kind, pairs in between_pairs(held_out, labels, nb, settings.seed).items():
        za, zb = codes[pairs[:, 0]][:, None, :], codes[pairs[:, 1]][:, None, :]
        z = ((1 - t) * za + t * zb).reshape(-1, codes.shape[1])
        judge_images(f"between/{kind}", decode(z), (len(pairs), len(BETWEEN_T)))
    rng = np.random.default_rng(settings.seed + 5)
    starts = rng.choice(held_out, size=min(nb, len(held_out)), replace=False)
    targets = knn_targets(codes, starts, train_pool, settings.knn, settings.seed)
    tk = rng.uniform(0.0, 1.0, size=(len(starts), 1)).astype(np.float32)
    z = (1 - tk) * codes[starts] + tk * codes[targets]
    judge_images("between/knn", decode(z), (len(starts), 1))

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

    checker = {"recon": checkerboard_interval(recon, images[held_out], seed=settings.seed),
               "prior": checkerboard_interval(prior_imgs, images[held_out], seed=settings.seed)}
    metrics = first.metrics(settings)
    metrics.interp_distance = float(inner_dist.mean())
    metrics.interp_smoothness = float(ratio.mean())
    metrics.path_length = float(path_len.mean())
    metrics.checker_recon, metrics.checker_prior = (checker["recon"]["ratio"],
                                                    checker["prior"]["ratio"])
    metrics.checker = checker
    metrics.gmm_components = getattr(samplers["gmm"], "n_components", None)
    metrics.probe = probe
    metrics.gmm_capped = bool(getattr(samplers["gmm"], "capped", False))
    metrics.same_draws = same_draws
    metrics.extras = {"code_spread": spread, "probe_right": probe_right}
    yield progress(1.0, "done", "measured")
    return _Measured(metrics, recon_dist, prior_dist, judged)
