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
from typing import Any

import numpy as np

from latent_atlas.explorer.core.analysis.comparison.measure import (  # noqa: F401  (re-exported)
    _FirstLook,
    _Measured,
    first_look,
    measure_rest,
)
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
    Judged,
    fill_fractions,
    pixel_judge_descriptions,
)
from latent_atlas.explorer.core.analysis.gaps.score import RealImageIndex
from latent_atlas.explorer.core.analysis.intervals import mcnemar
from latent_atlas.explorer.core.progress import relay


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
    labels = data.labels
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
