"""The AE as a codec against JPEG (latent_atlas.explorer.core.analysis.claims.codec)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from latent_atlas.explorer.core.analysis.claims.codec import (
    JPEG_QUALITIES,
    PSNR_CAP,
    CompressSettings,
    Quantiser,
    closest_size,
    compress_iter,
    format_compress_table,
    jpeg_bytes,
    jpeg_decode,
    jpeg_scan_size,
    jpeg_scan_start,
    jpeg_sizes,
    psnr,
    ssim,
)
from latent_atlas.explorer.core.progress import drain
from tests.fixture_scope import shared

ROOT = Path(__file__).resolve().parents[2]
BUNDLED_AE = ROOT / "resources" / "models" / "digits_ae.safetensors"


# ---- quantiser ----------------------------------------------------------------------------

@pytest.mark.parametrize("d,bits", [(8, 1), (8, 2), (16, 4), (5, 3), (7, 8), (3, 13), (16, 16)])
def test_quantised_code_costs_exactly_latent_dim_times_bits(d, bits):
    rng = np.random.default_rng(d * 100 + bits)
    train = rng.normal(size=(200, d))
    q = Quantiser.fit(train, bits)
    assert q.bits_per_image == d * bits
    codes = rng.normal(size=(50, d))
    levels = q.quantise(codes)
    assert levels.min() >= 0 and levels.max() < 2 ** bits
    for row in levels:
        packed = q.pack(row)
        assert len(packed) == math.ceil(d * bits / 8)  # d*b bits, padded to whole bytes
        np.testing.assert_array_equal(q.unpack(packed), row)
        # The padding carries nothing: past bit d*b every bit is zero.
        all_bits = np.unpackbits(np.frombuffer(packed, dtype=np.uint8))
        assert not all_bits[d * bits:].any()


def test_every_bit_pattern_is_a_distinct_code():
    """2 dims x 3 bits = 6 bits: all 64 level pairs pack to 64 different strings."""
    q = Quantiser(np.zeros(2), np.ones(2), 3)
    strings = {q.pack(np.array([a, b])) for a in range(8) for b in range(8)}
    assert len(strings) == 64


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
def test_round_trip_within_half_a_step(bits):
    rng = np.random.default_rng(bits)
    train = rng.normal(size=(500, 6)) * np.array([1, 2, 0.5, 3, 1, 10])
    q = Quantiser.fit(train, bits)
    inside = rng.uniform(q.low, q.high, size=(300, 6))
    back = q.dequantise(q.quantise(inside))
    err = np.abs(back - inside)
    assert np.all(err <= q.step / 2 * (1 + 1e-5) + 1e-6)
    # the training codes' own extremes too
    assert np.all(np.abs(q.dequantise(q.quantise(train)) - train) <= q.step / 2 * (1 + 1e-5) + 1e-6)
    # 2**bits levels, all used by codes spread evenly over the range
    even = np.linspace(q.low, q.high, 4 * 2 ** bits)
    assert len(np.unique(q.quantise(even)[:, 0])) == 2 ** bits


def test_codes_outside_the_range_clip_to_the_end_bins():
    q = Quantiser(np.array([0.0]), np.array([1.0]), 2)  # bins of 0.25, centres .125 .. .875
    levels = q.quantise(np.array([[-5.0], [0.1], [0.3], [0.99], [7.0]]))
    np.testing.assert_array_equal(levels[:, 0], [0, 0, 1, 3, 3])
    np.testing.assert_allclose(q.dequantise(levels)[:, 0], [0.125, 0.125, 0.375, 0.875, 0.875])


def test_a_constant_dimension_comes_back_exactly():
    train = np.column_stack([np.linspace(-1, 1, 20), np.full(20, 3.5)])
    q = Quantiser.fit(train, 4)
    back = q.dequantise(q.quantise(np.array([[0.2, 3.5]])))
    assert back[0, 1] == pytest.approx(3.5)


@pytest.mark.parametrize("bits", [0, 17, 2.5])
def test_bad_bits_are_refused(bits):
    with pytest.raises(ValueError, match="bits"):
        Quantiser.fit(np.zeros((3, 2)), bits)


# ---- JPEG -----------------------------------------------------------------------------------

@pytest.mark.parametrize("sizes,target,expected", [
    ([10, 20, 30], 24, 1),
    ([10, 20, 30], 25, 1),  # a tie goes to the smaller size (at or below the target)
    ([10, 20, 30], 26, 2),
    ([10, 20, 30], 2, 0),
    ([10, 20, 30], 99, 2),
    ([30, 12, 12, 40], 11, 1),  # equal sizes: the earlier (lower) quality
    ([50, 45, 60, 44], 46, 1),  # sizes need not grow with quality
])
def test_closest_size(sizes, target, expected):
    assert closest_size(sizes, target) == expected


def test_jpeg_matching_picks_the_closest_size_of_all_qualities():
    img = (np.random.default_rng(0).random((28, 28)) * 255).astype(np.uint8)
    files, scans = jpeg_sizes(img)
    for target in (5, 40.5, 100, 333, 10_000):
        k = closest_size(scans, target)
        best = np.min(np.abs(scans - target))
        assert abs(scans[k] - target) == best
        assert len(jpeg_bytes(img, JPEG_QUALITIES[k])) == files[k]


def test_jpeg_headers_depend_on_size_and_quality_only():
    rng = np.random.default_rng(1)
    a = (rng.random((28, 28)) * 255).astype(np.uint8)
    b = np.zeros((28, 28), np.uint8)
    b[5:20, 10:15] = 255
    for quality in (1, 50, 95):
        da, db = jpeg_bytes(a, quality), jpeg_bytes(b, quality)
        sa, sb = jpeg_scan_start(da), jpeg_scan_start(db)
        assert sa == sb and da[:sa] == db[:sb]  # the same header bytes
        assert jpeg_scan_size(da) == len(da) - sa - 2  # less the end-of-image marker
        assert jpeg_scan_size(da) > jpeg_scan_size(db)  # noise costs more than a bar
    assert jpeg_decode(jpeg_bytes(a, 90)).shape == (28, 28)
    rgb = (rng.random((16, 16, 3)) * 255).astype(np.uint8)
    assert jpeg_decode(jpeg_bytes(rgb, 90)).shape == (16, 16, 3)


def test_a_non_jpeg_is_refused():
    with pytest.raises(ValueError, match="not a JPEG"):
        jpeg_scan_start(b"\x89PNG....")


# ---- PSNR and SSIM ----------------------------------------------------------------------------

def test_psnr_and_ssim_of_a_known_pair():
    a = np.zeros((16, 16), np.uint8)
    b = np.full((16, 16), 10, np.uint8)
    # MSE = (10/255)^2, so PSNR = 20 log10(255 / 10)
    assert psnr(a, b) == pytest.approx(20 * math.log10(255 / 10), abs=1e-9)
    # Flat images: SSIM is the luminance term C1 / (mu_b^2 + C1), C1 = (0.01 * 1)^2
    c1, mu = 1e-4, 10 / 255
    assert ssim(a, b) == pytest.approx(c1 / (mu ** 2 + c1), rel=1e-6)
    assert psnr(a, a) == PSNR_CAP and ssim(b, b) == pytest.approx(1.0)


def test_psnr_and_ssim_agree_on_floats_and_uint8_and_rank_noise():
    rng = np.random.default_rng(2)
    clean = (rng.random((28, 28)) * 255).astype(np.uint8)
    small = np.clip(clean + rng.normal(0, 5, clean.shape), 0, 255).astype(np.uint8)
    large = np.clip(clean + rng.normal(0, 40, clean.shape), 0, 255).astype(np.uint8)
    assert psnr(clean, small) > psnr(clean, large)
    assert ssim(clean, small) > ssim(clean, large)
    assert psnr(clean, small) == pytest.approx(psnr(clean / 255.0, small / 255.0))
    with pytest.raises(ValueError, match="shapes"):
        psnr(clean, clean[:10])
    assert 0 < ssim(clean[:5, :5], small[:5, :5]) <= 1  # a smaller window for tiny images


# ---- the comparison -------------------------------------------------------------------------------

@pytest.fixture(scope=shared)
def digits_result():
    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.models.checkpoint import load_model

    model = load_model(BUNDLED_AE).model
    data = load_data("digits")
    gen = compress_iter(model, data.images, CompressSettings(bits=(2, 8), examples=3,
                                                             max_images=40,
                                                             curve_qualities=(1, 20, 95)),
                        data_spec=data.spec)
    events = []
    try:
        while True:
            events.append(next(gen))
    except StopIteration as stop:
        return model, data, stop.value, events


def test_compress_on_digits(digits_result):
    model, data, r, events = digits_result
    d = model.config.latent_dim
    assert r.latent_dim == d and r.n_held_out == 40
    assert [row.bits for row in r.rows] == [2, 8]
    for row in r.rows:
        assert row.ae.bits == d * row.bits
        assert row.target_bytes == d * row.bits / 8
        assert row.jpeg["file"].bits > row.jpeg["scan"].bits  # headers cost something
        assert 0 <= row.jpeg["scan"].at_or_below <= 1
        assert 1 <= row.jpeg["scan"].quality <= 95
    assert r.rows[1].ae.psnr > r.rows[0].ae.psnr  # more bits, better images
    assert r.unquantised.psnr >= r.rows[1].ae.psnr - 0.5
    # JPEG's curve rises with quality
    scan = r.jpeg_curve["scan"]
    assert scan[0].bits < scan[1].bits < scan[2].bits and scan[0].psnr < scan[2].psnr
    assert r.examples["original"].shape == (3, 8, 8) and r.examples["jpeg8"].shape == (3, 8, 8)
    from latent_atlas.explorer.core.analysis.gaps.heldout import held_out_indices

    held, _ = held_out_indices(len(data), [model.config.seed])
    np.testing.assert_array_equal(r.example_indices, held[:3])
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    text = format_compress_table(r)
    assert "AE PSNR" in text and "40 held-out" in text
    doc = r.to_dict()
    assert doc["rows"][0]["ae"]["bits"] == 2 * d and len(doc["jpeg_curve"]["file"]) == 3


def test_compress_picture(digits_result, tmp_path):
    from PIL import Image

    from latent_atlas.explorer.core.analysis.claims.codec_figure import (
        compress_picture,
        rate_distortion_curves,
        save_compress_png,
    )

    _, _, r, _ = digits_result
    curves = rate_distortion_curves(r)
    assert [len(c.bits) for c in curves] == [2, 3, 3]
    chart = compress_picture(r, examples=False)
    full = compress_picture(r, examples=True)
    assert chart.ndim == 3 and full.shape[0] > chart.shape[0]
    out = tmp_path / "rd.png"
    save_compress_png(out, r)
    with Image.open(out) as img:
        assert img.size == (full.shape[1], full.shape[0])


def test_compress_refuses_a_conditional_model():
    import torch

    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model

    torch.manual_seed(0)
    cfg = ModelConfig(kind="cvae", arch="mlp", input_shape=(1, 8, 8), latent_dim=2,
                      hidden=(16,), n_classes=3)
    model = build_model(cfg)
    images = np.zeros((30, 1, 8, 8), np.uint8)
    with pytest.raises(ValueError, match="conditional"):
        drain(compress_iter(model, images))


def test_settings_are_checked():
    with pytest.raises(ValueError):
        CompressSettings(bits=())
    with pytest.raises(ValueError):
        CompressSettings(bits=(2, 2))
    with pytest.raises(ValueError):
        CompressSettings(max_images=1)
    with pytest.raises(ValueError):
        CompressSettings(curve_qualities=(0,))


def test_compress_refuses_a_max_unpooling_model():
    import torch

    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model

    torch.manual_seed(0)
    cfg = ModelConfig(kind="ae", arch="conv", input_shape=(1, 8, 8), latent_dim=2,
                      hidden=(8, 16), upsample="max-unpool", downsample="max")
    images = np.zeros((30, 1, 8, 8), np.uint8)
    with pytest.raises(ValueError, match="switches beside the code"):
        drain(compress_iter(build_model(cfg), images))
