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


def measure_model(model: Any, images: np.ndarray, held_out: np.ndarray, index: RealImageIndex,
                  settings: MetricSettings, *, name: str = "", cancel: Any = None,
                  span: tuple[float, float] = (0.0, 1.0), labels: np.ndarray | None = None,
                  judge: Any = None) -> Generator[MetricsProgress, None, _Measured]:
    """Measure one model; the hole fractions are left for the caller's (shared) thresholds.

    `judge` (a `ClassifierJudge` or None) scores every decode's class confidence.
    """
    from latent_atlas.explorer.core.inference import (
        SwitchReference,
        decode_float,
        encode,
        needs_switches,
    )
    from latent_atlas.explorer.core.latent.interpolation import lerp

    lo, hi = span
    name = name or model.kind.upper()

    def progress(frac: float, stage: str, msg: str) -> MetricsProgress:
        check_cancel(cancel, "measuring")
        return MetricsProgress(stage, lo + (hi - lo) * frac, f"{name}: {msg}")

    judged: dict[str, Judged] = {}

    def judge_images(key: str, imgs: np.ndarray, shape: tuple[int, int],
                     dist: np.ndarray | None = None) -> np.ndarray:
        """Judge decodes (float N x C x H x W) as one set; returns their pixel distances."""
        if dist is None:
            dist = index.nearest(imgs)[0]
        conf = None if judge is None else judge.confidence(imgs).reshape(shape)
        judged[key] = Judged(np.asarray(dist).reshape(shape), conf)
        return dist

    yield progress(0.0, "encode", "encoding the data")
    # A conditional model (cvae, caae) encodes and reconstructs each image under its own
    # label; what it generates (prior samples, paths) decodes under its default label.
    own = labels if labels is not None and int(model.n_cond) else None
    codes = encode(model, images, labels=own)
    held_mask = np.zeros(len(images), dtype=bool)
    held_mask[held_out] = True

    yield progress(0.15, "reconstruction", "reconstructing held-out images")
    # A max-unpooling model reconstructs with each image's own switches and decodes every
    # other code with those of the nearest training image (it cannot generate alone).
    recon = decode_float(model, codes[held_out], switch_images=images[held_out],
                         labels=None if own is None else own[held_out])
    sq = ((flatten_float(recon) - flatten_float(images[held_out])) ** 2).mean(axis=1)
    # The hole threshold compares like with like: a decoded image's distance to the
    # nearest real (training) image, for decodes of codes known to be good.
    recon_dist = judge_images("reconstruction", recon, (len(recon), 1))

    yield progress(0.3, "prior", "codes as features (probe)")
    train_pool = np.flatnonzero(~held_mask)
    if len(train_pool) < 2:
        train_pool = np.arange(len(codes))
    train_codes = codes[train_pool]
    ref = SwitchReference(images[train_pool], train_codes) if needs_switches(model) else None
    probe_right: dict[str, dict[str, np.ndarray]] = {}  # per image, for the paired test
    probe = {} if labels is None or not settings.probe_labels else probe_metrics(
        codes, labels, train_pool, held_out, settings.probe_labels, settings.seed, probe_right)

    def decode(z: np.ndarray) -> np.ndarray:
        return decode_float(model, z, reference=ref)

    gmm = yield from relay(  # seconds on MNIST: report each number of components tried
        fit_gmm_steps(train_codes, seed=settings.seed),
        lambda step: progress(0.3 + 0.05 * (step[0] - 1) / step[1], "prior",
                              f"fitting a Gaussian mixture to the codes ({step[0]}/{step[1]} "
                              "components)"))
    yield progress(0.35, "prior", "decoding prior samples")
    samplers = make_samplers(model, train_codes, seed=settings.seed, gmm=gmm)
    prior = samplers["own"]
    n = settings.n_prior
    z_prior = prior.sample(n, settings.seed)
    prior_imgs = decode(z_prior)
    prior_dist = judge_images("holes/own", prior_imgs, (n, 1))
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

    yield progress(0.5, "between", "decoding between codes")
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

    yield progress(0.65, "interpolation", "interpolating held-out pairs")
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

    yield progress(0.85, "path length", "measuring local path length")
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
    metrics = ModelMetrics(
        name=name, kind=model.kind, prior=prior.description,
        recon_mse=float(sq.mean()), recon_rms=float(np.sqrt(sq).mean()),
        recon_p95=float(np.percentile(recon_dist, settings.hole_percentile)),
        prior_distance=float(prior_dist.mean()),
        interp_distance=float(inner_dist.mean()), interp_smoothness=float(ratio.mean()),
        path_length=float(path_len.mean()),
        checker_recon=checker["recon"]["ratio"], checker_prior=checker["prior"]["ratio"],
        checker=checker,
        gmm_components=getattr(samplers["gmm"], "n_components", None), probe=probe,
        gmm_capped=bool(getattr(samplers["gmm"], "capped", False)), same_draws=same_draws,
        extras={"code_spread": spread, "probe_right": probe_right})
    yield progress(1.0, "done", "measured")
    return _Measured(metrics, recon_dist, prior_dist, judged)


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
    judge = None
    if settings.classifier:
        judge = yield from relay(
            classifier_judge(images, labels, train_idx, held_out,
                             percentile=settings.classifier_percentile,
                             use_cache=settings.classifier_cache, cancel=cancel,
                             span=(0.0, 0.1)),
            lambda e: MetricsProgress(e.stage, e.fraction, e.message))
    if judge is None:
        notes.append("the data has no labels, so only the pixel judges are used"
                     if labels is None or settings.classifier else
                     "the classifier judge was turned off")
    real_nn = index.nearest(images[held_out])[0]
    real_threshold = float(np.percentile(real_nn, settings.real_percentile))
    measured: list[_Measured] = []
    k = len(models)
    for i, (name, model) in enumerate(models.items()):
        measured.append((yield from measure_model(
            model, images, held_out, index, settings, name=name, cancel=cancel,
            span=(0.1 + 0.9 * i / k, 0.1 + 0.9 * (i + 1) / k), labels=labels, judge=judge)))
    threshold = float(np.percentile(np.concatenate([m.recon_dist for m in measured]),
                                    settings.hole_percentile))
    bars = {"pixel": threshold, "pixel_real": real_threshold}
    for m in measured:
        m.metrics.hole_threshold = threshold
        m.metrics.hole_fraction = float((m.prior_dist > threshold).mean())
        fill_fractions(m, bars, judge, settings.seed)
    judges = pixel_judge_descriptions(threshold, real_threshold, settings)
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
    real_conf = None if judge is None else judge.confidence(images[held_out])
    paired_tests(result, measured, real_nn, real_conf, judge, settings)
    result.explanation = explain(result)
    return result


def paired_tests(result: CompareResult, measured: list[_Measured], real_nn: np.ndarray,
                 real_conf: np.ndarray | None, judge: Any, settings: MetricSettings) -> None:
    """Fill `result.judge_floors`, the cross-fitted reconstruction rows and, for two or
    more models, `result.differences`: the paired tests of the first two (paired.py)."""
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
    bars = Bars(setters, percentiles, above, real, fold)
    boot = {"n_boot": settings.n_boot, "seed": settings.seed}
    result.judge_floors = judge_floors(bars, **boot)

    def values(j: Any, name: str) -> np.ndarray | None:
        return j.conf if name == "classifier" else j.dist

    # A held-out reconstruction is judged by the bar the other half of the held-out
    # images set, never by a bar it helped to set (the pooled pixel bar is made of them).
    for m in measured:
        rec = m.judged["reconstruction"]
        for name in bars.judges:
            v = values(rec, name)
            if v is not None and name in m.metrics.reconstruction:
                m.metrics.reconstruction[name] = crossfit_fraction(bars, name, v, **boot)
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
