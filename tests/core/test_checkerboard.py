"""Checkerboard artefacts (latent_atlas.explorer.core.analysis.claims.checkerboard): the band around period 2."""

from __future__ import annotations

import numpy as np
import pytest

from latent_atlas.explorer.core.analysis.claims.checkerboard import (
    checkerboard_interval,
    checkerboard_ratio,
    nyquist_amplitude,
    nyquist_share,
)


def _checker(h: int = 28, w: int = 28) -> np.ndarray:
    return (np.indices((h, w)).sum(axis=0) % 2).astype(np.float64)


def test_a_pure_checkerboard_is_all_period_two_and_a_smooth_image_none():
    assert nyquist_share(_checker()[None, None])[0] > 0.99
    stripes = (np.arange(28) % 2)[None, :].repeat(28, axis=0).astype(np.float64)
    # period 2 along x: (-1)^j is not one DCT basis function; 95 % of it lies in the band
    assert nyquist_share(stripes[None, None])[0] > 0.9
    ramp = np.linspace(0, 1, 28)[None, :].repeat(28, axis=0)
    assert nyquist_share(ramp[None, None])[0] < 1e-4  # no wrap-around edge in a DCT
    assert nyquist_share(np.full((1, 1, 28, 28), 0.7)) == pytest.approx([0.0])  # flat
    # the amplitude is the chequer's RMS in pixel units: +-0.05 around a mean
    assert nyquist_amplitude((0.1 * _checker())[None, None])[0] == pytest.approx(0.05, rel=0.02)


def test_odd_sizes_are_handled_without_leaking_the_mean_or_the_edges():
    ramp = np.linspace(0, 1, 7)[None, :].repeat(7, axis=0)
    assert nyquist_share(ramp[None, None])[0] < 1e-4  # was 0.26 with the period-2 sums
    assert nyquist_share(_checker(7, 7)[None, None])[0] > 0.9
    assert nyquist_share(np.full((1, 1, 7, 9), 0.3))[0] == 0.0
    bright = np.zeros((7, 7))
    bright[3, 3] = 1.0  # a single pixel holds every frequency, so part of it is in the band
    assert 0.2 < nyquist_share(bright[None, None])[0] < 0.8


def test_blur_does_not_inflate_the_amplitude():
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(0)
    chequer = 0.05 * (_checker() - 0.5)
    base = rng.random((28, 28))
    amps, shares = [], []
    for sigma in (1.0, 2.0, 3.0):
        img = (gaussian_filter(base, sigma) + chequer)[None, None]
        amps.append(nyquist_amplitude(img)[0])
        shares.append(nyquist_share(img)[0])
    # the same chequer on a blurrier image: the share of variance grows, the amplitude not
    assert shares[2] > 1.5 * shares[0]
    assert max(amps) < 1.1 * min(amps)
    assert amps[0] == pytest.approx(0.025, rel=0.1)


def test_a_local_chequer_is_caught_by_the_band():
    # a chequer that fades in and out over the image: its energy sits near, not at, the
    # three exact period-2 frequencies
    y, x = np.indices((28, 28))
    envelope = np.exp(-((x - 14) ** 2 + (y - 14) ** 2) / (2 * 4.0 ** 2))
    local = (envelope * (_checker() - 0.5))[None, None]
    assert nyquist_share(local)[0] > 0.9


def test_ratio_reads_decodes_against_real_images_with_an_interval():
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(1)
    # smooth 'real' images (white noise would hold more high frequencies than any chequer)
    real = gaussian_filter(rng.uniform(0, 1, (50, 1, 12, 12)), (0, 0, 1.0, 1.0))
    assert checkerboard_ratio(real, real) == pytest.approx(1.0)
    chequered = np.clip(real + 0.3 * (_checker(12, 12) - 0.5), 0, 1)
    assert checkerboard_ratio(chequered, real) > 1.5
    iv = checkerboard_interval(chequered, real, n_boot=300)
    assert iv["low"] <= iv["ratio"] <= iv["high"] and iv["low"] > 1.0
    same = checkerboard_interval(real[:25], real[25:], n_boot=300)
    assert same["low"] < 1.0 < same["high"]
    assert np.isnan(checkerboard_ratio(real[:, :, :1, :1], real[:, :, :1, :1]))
    with pytest.raises(ValueError, match="N x C x H x W"):
        nyquist_share(real[0])
    # uint8 and float agree; channels are averaged
    u8 = np.round(rng.uniform(0, 255, (3, 2, 8, 8))).astype(np.uint8)
    np.testing.assert_allclose(nyquist_share(u8), nyquist_share(u8 / 255.0), rtol=1e-9)
    per_channel = [nyquist_share(u8[:, c:c + 1]) for c in range(2)]
    np.testing.assert_allclose(nyquist_share(u8), np.mean(per_channel, axis=0), rtol=1e-9)


def test_compare_metrics_see_a_decoder_that_adds_a_chequer():
    """Two linear models with the same encoder; one decoder adds a fixed period-2 pattern.
    The metrics report its decodes as more chequered than the other's, per column."""
    import torch
    from metric_models import SHAPE, pca_model
    from scipy.ndimage import gaussian_filter

    from latent_atlas.explorer.core.analysis.comparison.metrics import (
        MetricSettings,
        compare_models,
    )
    from latent_atlas.explorer.core.analysis.comparison.table import format_table
    from latent_atlas.explorer.core.data import ImageSet
    from latent_atlas.explorer.core.progress import drain

    # smooth images (blurred noise around six bases): real data with little near-period-2
    # amplitude, as real digits have
    rng = np.random.default_rng(0)
    base = gaussian_filter(rng.uniform(0, 255, (6, *SHAPE)), (0, 0, 1.5, 1.5))
    base = (base - base.min()) / (base.max() - base.min()) * 255
    noise = gaussian_filter(rng.normal(0, 25, (300, *SHAPE)), (0, 0, 1.5, 1.5))
    imgs = np.clip(base[rng.integers(0, 6, 300)] + noise, 0, 255).astype(np.uint8)
    data = ImageSet(images=imgs, spec="smooth-test")
    plain = pca_model(data, 3, kind="ae")
    chequered = pca_model(data, 3, kind="ae")
    pattern = torch.from_numpy(0.15 * (_checker(*SHAPE[1:]) - 0.5)).float()
    base_decode = chequered.decode
    chequered.decode = lambda z: (base_decode(z) + pattern).clamp(0, 1)  # type: ignore[method-assign]
    settings = MetricSettings(n_prior=100, n_pairs=5, steps=3, n_path=20, n_between=20,
                              classifier=False)
    result = drain(compare_models({"plain": plain, "chequered": chequered}, data, settings))
    a, b = result.models
    for m in (a, b):
        assert np.isfinite(m.checker_recon) and np.isfinite(m.checker_prior)
    assert b.checker_recon > 3 * a.checker_recon and b.checker_prior > 3 * a.checker_prior
    for key in ("recon", "prior"):
        assert b.checker[key]["low"] > a.checker[key]["high"], key
    assert b.checker_recon == b.checker["recon"]["ratio"]
    assert "checkerboard, prior" in format_table(result)
