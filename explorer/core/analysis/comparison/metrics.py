"""Continuity metrics for AE against VAE: numbers, not only pictures.

    result = drain(compare_models({"AE": ae, "VAE": vae}, data))   # fixed seeds
    print(format_table(result))

Every metric is defined in docs/metrics.md. All image distances are root-mean-square
pixel distances with pixels in [0, 1] (so 0.1 means a typical pixel is off by 10 % of the
full range), the unit of the gap score in `latent_atlas.explorer.core.analysis.gaps.score`.

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
  of `latent_atlas.explorer.core.analysis.gaps.samplers` (own prior, N(0, I), fitted Gaussian, Gaussian
  mixture), each with its 95 % Wilson interval, so prior mismatch reads apart from gaps;
- codes as features (with labels): held-out accuracy of a logistic regression and a k-NN
  classifier trained on the codes of a labelled fraction of the training images.
"""

from __future__ import annotations

import copy
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from latent_atlas.explorer.core.analysis.claims.checkerboard import checkerboard_interval
from latent_atlas.explorer.core.analysis.claims.probe import probe_metrics
from latent_atlas.explorer.core.analysis.comparison.paired import (
    Bars,
    PairedRow,
    crossfit_fraction,
    judge_floors,
)
from latent_atlas.explorer.core.analysis.comparison.paired import (
    paired_differences as _paired_differences,
)
from latent_atlas.explorer.core.analysis.comparison.results import (  # noqa: F401  (re-exported)
    MAX_PAIRS,
    MAX_PRIOR,
    CompareResult,
    MetricSettings,
    MetricsProgress,
    ModelMetrics,
)
from latent_atlas.explorer.core.analysis.gaps.heldout import held_out_indices
from latent_atlas.explorer.core.analysis.gaps.holes import (
    BETWEEN_T,
    Judged,
    between_pairs,
    fill_fractions,
    knn_targets,
    pixel_judge_descriptions,
)
from latent_atlas.explorer.core.analysis.gaps.samplers import SAMPLERS, fit_gmm_steps, make_samplers
from latent_atlas.explorer.core.analysis.gaps.score import RealImageIndex, flatten_float
from latent_atlas.explorer.core.analysis.intervals import mcnemar
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


def measure_model(model: Any, images: np.ndarray, held_out: np.ndarray, index: RealImageIndex,
                  settings: MetricSettings, *, name: str = "", cancel: Any = None,
                  span: tuple[float, float] = (0.0, 1.0), labels: np.ndarray | None = None,
                  judge: Any = None) -> Generator[MetricsProgress, None, _Measured]:
    """Measure one model (`first_look`, then `measure_rest`); the hole fractions are left
    for the caller's (shared) thresholds.

    `judge` (a `ClassifierJudge` or None) scores every decode's class confidence.
    """
    lo, hi = span
    mid = lo + 0.3 * (hi - lo)
    first = yield from first_look(model, images, held_out, index, settings, name=name,
                                  cancel=cancel, span=(lo, mid), labels=labels)
    return (yield from measure_rest(first, images, held_out, index, settings, cancel=cancel,
                                    span=(mid, hi), labels=labels, judge=judge))


def _shared_bars(m: _Measured, threshold: float, bars: dict[str, float], judge: Any,
                 seed: int) -> None:
    """A model's hole fractions under the bars every compared model shares."""
    m.metrics.hole_threshold = threshold
    m.metrics.hole_fraction = float((m.prior_dist > threshold).mean())
    fill_fractions(m, bars, judge, seed)


def compare_models(models: dict[str, Any], data: Any, settings: MetricSettings | None = None,
                   *, cancel: Any = None) -> Generator[MetricsProgress, None, CompareResult]:
    """Measure every model of `models` (name -> model) on the ImageSet `data`.

    Yields `MetricsProgress`; returns a `CompareResult`. The held-out images, the prior
    samples' seeds, the pairs and the directions are the same for every model.
    """
    from latent_atlas.explorer.core.analysis.comparison.explain import explain
    from latent_atlas.explorer.core.analysis.gaps.judges import classifier_judge

    settings = settings or MetricSettings()
    if not models:
        raise ValueError("nothing to compare: give at least one model")
    images = data.images
    for name, model in models.items():
        if tuple(model.image_shape) != tuple(images.shape[1:]):
            raise ValueError(f"{name} expects images {tuple(model.image_shape)} (C, H, W) "
                             f"but the data has {tuple(images.shape[1:])}; use the data it was "
                             "trained on")
    held_out, notes = held_out_indices(len(images), [m.seed for m in models.values()],
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
    labels = getattr(data, "labels", None)
    real_nn = index.nearest(images[held_out])[0]
    real_threshold = float(np.percentile(real_nn, settings.real_percentile))
    bars = {"pixel": float("nan"), "pixel_real": real_threshold}
    k = len(models)
    # First the cheap rows of every model (reconstruction, own-prior holes under the pixel
    # judges), shown while the rest is measured; then each model's remaining measures.
    firsts: list[_FirstLook] = []
    for i, (name, model) in enumerate(models.items()):
        firsts.append((yield from first_look(
            model, images, held_out, index, settings, name=name, cancel=cancel,
            span=(0.02 + 0.13 * i / k, 0.02 + 0.13 * (i + 1) / k), labels=labels)))
    threshold = float(np.percentile(np.concatenate([f.recon_dist for f in firsts]),
                                    settings.hole_percentile))
    bars["pixel"] = threshold
    judges = pixel_judge_descriptions(threshold, real_threshold, settings)

    looks = [_Measured(f.metrics(settings), f.recon_dist, f.prior_dist, {
        "reconstruction": Judged(f.recon_dist.reshape(-1, 1), None),
        "holes/own": Judged(f.prior_dist.reshape(-1, 1), None)}) for f in firsts]
    pixel_bars = _bars(looks, real_nn, None, None, settings)  # the final table's, less one
    for m in looks:
        _shared_bars(m, threshold, bars, None, settings.seed)
    _crossfit_reconstruction(looks, pixel_bars, settings)
    floors = judge_floors(pixel_bars, n_boot=settings.n_boot, seed=settings.seed)

    def partial(done: list[_Measured], full_bars: Bars | None = None) -> CompareResult:
        """The table so far: the measured models whole, the others' first look; every
        number in it is the one the finished table shows (a copy: the caller goes on)."""
        if full_bars is not None:
            _crossfit_reconstruction(done, full_bars, settings)
        shown = copy.deepcopy([m.metrics for m in done] + [m.metrics for m in looks[len(done):]])
        return CompareResult(models=shown, data_spec=data.spec, n_held_out=len(held_out),
                             n_reference=len(index), hole_threshold=threshold,
                             settings=settings, notes=list(notes),
                             real_threshold=real_threshold, judges=dict(judges),
                             seeds=[settings.seed], judge_floors=copy.deepcopy(floors),
                             complete=False)

    yield MetricsProgress("first look", 0.15, "reconstruction and own-prior holes measured",
                          partial=partial([]))
    judge = None
    if settings.classifier:
        judge = yield from relay(
            classifier_judge(images, labels, train_idx, held_out,
                             percentile=settings.classifier_percentile,
                             use_cache=settings.classifier_cache, cancel=cancel,
                             span=(0.15, 0.25)),
            lambda e: MetricsProgress(e.stage, e.fraction, e.message))
    if judge is None:
        notes.append("the data has no labels, so only the pixel judges are used"
                     if labels is None or settings.classifier else
                     "the classifier judge was turned off")
    real_conf = None if judge is None else judge.confidence(images[held_out])
    full_bars = _bars(looks, real_nn, real_conf, judge, settings)
    measured: list[_Measured] = []
    for i, first in enumerate(firsts):
        m = yield from measure_rest(first, images, held_out, index, settings, cancel=cancel,
                                    span=(0.25 + 0.75 * i / k, 0.25 + 0.75 * (i + 1) / k),
                                    labels=labels, judge=judge)
        _shared_bars(m, threshold, bars, judge, settings.seed)
        measured.append(m)
        if i + 1 < k:
            yield MetricsProgress("model measured", 0.25 + 0.75 * (i + 1) / k,
                                  f"{first.name} measured",
                                  partial=partial(measured, full_bars))
    classifier = None
    if judge is not None:  # the classifier judge's own accuracy and bar
        judges["classifier"] = judge.describe()
        classifier = {"accuracy": judge.accuracy, "threshold": judge.threshold,
                      "percentile": judge.percentile, "n_train": judge.n_train,
                      "n_held_out": judge.n_held_out}
    yield MetricsProgress("done", 1.0, "metrics ready")
    result = CompareResult(models=[m.metrics for m in measured], data_spec=data.spec,
                           n_held_out=len(held_out), n_reference=len(index),
                           hole_threshold=threshold, settings=settings, notes=notes,
                           real_threshold=real_threshold, classifier=classifier, judges=judges,
                           seeds=[settings.seed])
    if len(measured) >= 2:  # both probes scored the same held-out images: a paired test
        a, b = (m.metrics.extras["probe_right"] for m in measured[:2])
        result.probe_tests = {k: {c: mcnemar(a[k][c], b[k][c]) for c in a[k] if c in b[k]}
                              for k in a if k in b}
    paired_tests(result, measured, real_nn, real_conf, judge, settings)
    result.explanation = explain(result)
    return result


def _bars(measured: list[_Measured], real_nn: np.ndarray, real_conf: np.ndarray | None,
          judge: Any, settings: MetricSettings) -> Bars:
    """What sets each judge's bar (paired.Bars): the models' held-out reconstructions for
    the pooled pixel bar, the real held-out images for the others."""
    setters: dict[str, np.ndarray] = {
        "pixel": np.stack([m.recon_dist for m in measured], axis=1), "pixel_real": real_nn}
    percentiles = {"pixel": settings.hole_percentile, "pixel_real": settings.real_percentile}
    above = {"pixel": True, "pixel_real": True}
    real: dict[str, np.ndarray] = {"pixel": real_nn, "pixel_real": real_nn}
    if judge is not None and real_conf is not None:
        setters["classifier"] = real_conf
        percentiles["classifier"] = judge.percentile
        above["classifier"] = False
        real["classifier"] = real_conf
    fold = np.zeros(len(real_nn), dtype=np.int64)
    fold[np.random.default_rng(settings.seed + 7).permutation(len(real_nn))[
        : len(real_nn) // 2]] = 1
    return Bars(setters, percentiles, above, real, fold)


def _crossfit_reconstruction(measured: list[_Measured], bars: Bars,
                             settings: MetricSettings) -> None:
    """A held-out reconstruction is judged by the bar the other half of the held-out
    images set, never by a bar it helped to set (the pooled pixel bar is made of them)."""
    for m in measured:
        rec = m.judged["reconstruction"]
        for name in bars.judges:
            v = rec.conf if name == "classifier" else rec.dist
            if v is not None and name in m.metrics.reconstruction:
                m.metrics.reconstruction[name] = crossfit_fraction(
                    bars, name, v, n_boot=settings.n_boot, seed=settings.seed)


def paired_tests(result: CompareResult, measured: list[_Measured], real_nn: np.ndarray,
                 real_conf: np.ndarray | None, judge: Any, settings: MetricSettings) -> None:
    """Fill `result.judge_floors`, the cross-fitted reconstruction rows and, for two or
    more models, `result.differences`: the paired tests of the first two (paired.py)."""
    bars = _bars(measured, real_nn, real_conf, judge, settings)
    boot = {"n_boot": settings.n_boot, "seed": settings.seed}
    result.judge_floors = judge_floors(bars, **boot)
    _crossfit_reconstruction(measured, bars, settings)

    def values(j: Any, name: str) -> np.ndarray | None:
        return j.conf if name == "classifier" else j.dist

    if len(measured) < 2:
        return
    first, second = measured[:2]
    rows: list[PairedRow] = []
    for key in first.judged:
        if key not in second.judged:
            continue
        ja, jb = first.judged[key], second.judged[key]
        for name in bars.judges:
            va, vb = values(ja, name), values(jb, name)
            if va is None or vb is None or np.shape(va) != np.shape(vb):
                continue
            rows.append(PairedRow(key, name, va, vb, held_out=key == "reconstruction"))
    ra, rb = (m.metrics.extras.get("probe_right", {}) for m in (first, second))
    for share in ra:
        for clf in ra[share]:
            if clf in rb.get(share, {}):
                rows.append(PairedRow(f"probe/{share}/{clf}", None, ra[share][clf],
                                      rb[share][clf], higher_is_better=True))
    result.differences = _paired_differences(rows, bars, margin=settings.equivalence_margin,
                                             **boot)
