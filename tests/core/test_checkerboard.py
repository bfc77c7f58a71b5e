"""Checkerboard artefacts (explorer.core.analysis.checkerboard): the period-2 share."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.core.analysis.checkerboard import checkerboard_ratio, nyquist_share


def _checker(h: int = 28, w: int = 28) -> np.ndarray:
    return (np.indices((h, w)).sum(axis=0) % 2).astype(np.float64)


def test_a_pure_checkerboard_is_all_period_two_and_a_smooth_image_none():
    assert nyquist_share(_checker()[None, None]) == pytest.approx([1.0])
    stripes = (np.arange(28) % 2)[None, :].repeat(28, axis=0).astype(np.float64)
    assert nyquist_share(stripes[None, None]) == pytest.approx([1.0])  # period 2 along x
    ramp = np.linspace(0, 1, 28)[None, :].repeat(28, axis=0)
    assert nyquist_share(ramp[None, None])[0] < 0.01  # only its wrap-around edge
    assert nyquist_share(np.full((1, 1, 28, 28), 0.7)) == pytest.approx([0.0])  # flat


def test_share_of_a_mixture_is_the_energy_fraction():
    rng = np.random.default_rng(0)
    # a whole period of a slow wave is orthogonal to the period-2 pattern: the share is
    # exactly the chequer's part of the variance
    wave = np.cos(2 * np.pi * np.arange(16) / 16)[:, None] * np.ones((1, 16))
    chk = _checker(16, 16) - 0.5
    a = 0.1
    img = 0.5 + 0.3 * wave + a * chk
    centred = img - img.mean()
    expected = ((a * chk) ** 2).sum() / (centred ** 2).sum()
    assert nyquist_share(img[None, None])[0] == pytest.approx(expected, rel=1e-9)
    # uint8 and float agree; channels are averaged
    u8 = np.round(rng.uniform(0, 255, (3, 2, 8, 8))).astype(np.uint8)
    np.testing.assert_allclose(nyquist_share(u8), nyquist_share(u8 / 255.0), rtol=1e-9)
    per_channel = [nyquist_share(u8[:, c:c + 1]) for c in range(2)]
    np.testing.assert_allclose(nyquist_share(u8), np.mean(per_channel, axis=0), rtol=1e-9)


def test_ratio_reads_decodes_against_real_images():
    rng = np.random.default_rng(1)
    real = rng.uniform(0, 1, (50, 1, 12, 12))
    assert checkerboard_ratio(real, real) == pytest.approx(1.0)
    chequered = np.clip(real + 0.3 * (_checker(12, 12) - 0.5), 0, 1)
    assert checkerboard_ratio(chequered, real) > 1.5
    assert np.isnan(checkerboard_ratio(real[:, :, :1, :1], real[:, :, :1, :1]))
    with pytest.raises(ValueError, match="N x C x H x W"):
        nyquist_share(real[0])


def test_compare_metrics_see_a_decoder_that_adds_a_chequer():
    """Two linear models with the same encoder; one decoder adds a fixed period-2 pattern.
    The metrics report its decodes as far more chequered than the other's, per column."""
    import torch
    from metric_models import SHAPE, pca_model, synthetic_data

    from explorer.core.analysis.metrics import MetricSettings, compare_models
    from explorer.core.analysis.metrics_table import format_table
    from explorer.core.progress import drain

    data = synthetic_data(300)
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
    assert "checkerboard, prior" in format_table(result)
