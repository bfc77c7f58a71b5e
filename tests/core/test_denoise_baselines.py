"""Classic denoisers beside the models: median filter, non-local means, PSNR and SSIM against
scikit-image, the sweep over noise levels, and the measured NL-means parameters."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from latent_atlas.explorer.core.analysis.applications import (
    ApplicationError,
    add_noise,
    classic_denoise,
    denoise,
    denoise_sweep,
    median_denoise,
    mse,
    nl_means_denoise,
    psnr,
    ssim,
)
from latent_atlas.explorer.core.analysis.applications.baselines import (
    NL_MEANS,
    NLMeansParams,
    check_baselines,
)
from latent_atlas.explorer.core.analysis.applications.common import to_unit
from latent_atlas.explorer.core.analysis.applications.denoise import psnr_of_mse
from latent_atlas.explorer.core.analysis.applications.denoise_sweep import tune_nl_means
from latent_atlas.explorer.core.progress import Progress, drain


def smooth_image(size: int = 32) -> np.ndarray:
    """A smooth uint8 1 x 1 x size x size image: a soft bright disc on a gradient."""
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
    disc = np.exp(-(((xx - 0.55) ** 2 + (yy - 0.45) ** 2) / 0.05))
    img = 0.2 + 0.3 * xx + 0.45 * disc
    return (np.clip(img, 0, 1) * 255).round().astype(np.uint8)[None, None]


def test_median_filter_removes_an_isolated_hot_pixel_and_keeps_flat_areas():
    img = np.full((1, 1, 7, 7), 40, dtype=np.uint8)
    img[0, 0, 3, 3] = 255
    out = median_denoise(img)
    assert out.shape == img.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, 40 / 255, atol=1e-6)
    # Channels and images never mix: a second all-white image stays white.
    two = np.concatenate([img, np.full_like(img, 255)])
    np.testing.assert_allclose(median_denoise(two)[1], 1.0)


def test_median_filter_equals_the_3x3_median_inside_the_image():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, size=(1, 1, 9, 9), dtype=np.uint8)
    out = median_denoise(img)
    for r, c in [(1, 1), (4, 5), (7, 7)]:
        expected = np.median(img[0, 0, r - 1:r + 2, c - 1:c + 2]) / 255
        assert out[0, 0, r, c] == pytest.approx(expected, abs=1e-6)


def test_nl_means_reduces_gaussian_noise_on_a_smooth_image():
    clean = smooth_image()
    noisy = add_noise(clean, "gaussian", 0.1, seed=0)
    out = nl_means_denoise(noisy)
    assert out.shape == clean.shape and out.min() >= 0 and out.max() <= 1
    before, after = psnr(noisy, clean)[0], psnr(out, clean)[0]
    assert after > before + 3.0  # NL-means removes most of the noise of a smooth image
    # and so does the median filter, by less on this image
    assert psnr(median_denoise(noisy), clean)[0] > before


def test_nl_means_of_a_colour_image_and_of_a_clean_constant_one():
    clean = np.repeat(smooth_image(24), 3, axis=1)
    noisy = add_noise(clean, "gaussian", 0.1, seed=1)
    out = nl_means_denoise(noisy)
    assert out.shape == (1, 3, 24, 24)
    assert psnr(out, clean)[0] > psnr(noisy, clean)[0]
    flat = np.full((1, 1, 10, 10), 90, dtype=np.uint8)  # no noise to estimate: unchanged
    np.testing.assert_allclose(nl_means_denoise(flat), to_unit(flat))


def test_psnr_and_ssim_agree_with_scikit_image_on_a_known_pair():
    clean = smooth_image()
    noisy = add_noise(clean, "gaussian", 0.15, seed=2)
    a, b = to_unit(noisy)[0, 0].astype(np.float64), to_unit(clean)[0, 0].astype(np.float64)
    assert psnr(noisy, clean)[0] == pytest.approx(peak_signal_noise_ratio(b, a, data_range=1.0),
                                                  abs=1e-4)
    assert ssim(noisy, clean)[0] == pytest.approx(structural_similarity(b, a, data_range=1.0),
                                                  abs=1e-4)
    assert ssim(clean, clean)[0] == pytest.approx(1.0)
    assert 0 < ssim(noisy, clean)[0] < 0.9


def test_ssim_fits_its_window_to_small_images_and_refuses_tiny_ones():
    rng = np.random.default_rng(3)
    small = rng.integers(0, 256, size=(2, 1, 5, 5), dtype=np.uint8)
    assert ssim(small, small) == pytest.approx([1.0, 1.0])
    with pytest.raises(ApplicationError, match="too small"):
        ssim(small[:, :, :2, :2], small[:, :, :2, :2])


def test_baseline_names_are_checked():
    assert check_baselines(["NLM", "median", "nl-means"]) == ("nl-means", "median")
    with pytest.raises(ApplicationError, match="unknown denoiser 'wiener'"):
        check_baselines(["wiener"])


def test_baselines_run_on_the_same_noisy_input_as_the_model(digits_model):
    model, images = digits_model
    r = denoise(model, images[:6], "gaussian", 0.3, seed=4, baselines=["median", "nl-means"])
    assert set(r.baselines) == {"median", "nl-means"}
    np.testing.assert_array_equal(r.noisy, add_noise(images[:6], "gaussian", 0.3, seed=4))
    direct = classic_denoise(r.clean, r.noisy, ["median"])["median"]
    np.testing.assert_array_equal(r.baselines["median"].output, direct.output)
    np.testing.assert_allclose(r.baselines["median"].mse,
                               mse(median_denoise(r.noisy), r.clean), rtol=1e-6)
    s = r.summary()
    for key in ("noisy", "recon", "median", "nl-means"):
        assert 0 < s[f"{key}_ssim"] <= 1 and np.isfinite(s[f"{key}_psnr"])
    assert s["median_psnr"] == pytest.approx(psnr_of_mse(s["median_mse"]))
    assert len(r.display_rows()) == 5  # clean, noisy, model, median, NL-means


@pytest.fixture(scope="module")
def digits_model():
    from latent_atlas.explorer.core.bundled import RESOURCES
    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.models.checkpoint import load_model

    path = RESOURCES / "models" / "digits_ae.safetensors"
    if not path.exists():
        pytest.skip("the bundled digits models are missing (resources/models/make_bundled.sh)")
    loaded = load_model(path)
    return loaded.model, load_data(loaded.meta["data_spec"]).images


def test_sweep_measures_every_method_at_every_level_on_the_same_noise(digits_model):
    model, images = digits_model
    batch = images[:24]
    events: list[Progress] = []
    result = drain(denoise_sweep([("AE", model)], batch, [0.1, 0.4], seed=1), events.append)
    assert result.methods == ["noisy", "AE", "median", "nl-means"]
    assert result.levels == [0.1, 0.4] and result.n_images == 24
    assert events and events[-1].fraction == pytest.approx(1.0)
    for k, level in enumerate(result.levels):
        noisy = add_noise(batch, "gaussian", level, seed=1)
        r = denoise(model, batch, "gaussian", level, seed=1)
        assert result.psnr["noisy"][k] == pytest.approx(psnr_of_mse(float(mse(noisy, batch).mean())))
        assert result.psnr["AE"][k] == pytest.approx(r.summary()["recon_psnr"], abs=1e-3)
        den = nl_means_denoise(noisy)
        assert result.psnr["nl-means"][k] == pytest.approx(psnr_of_mse(float(mse(den, batch).mean())))
        assert result.ssim["median"][k] == pytest.approx(float(ssim(median_denoise(noisy), batch).mean()))
    assert result.psnr["noisy"][0] > result.psnr["noisy"][1]  # more noise, lower PSNR
    lines = result.table_lines()
    assert len(lines) == 2 + 2 and "nl-means" in lines[0] and lines[2].startswith(" 0.10")
    assert result.to_dict()["psnr"]["AE"] == result.psnr["AE"]
    with pytest.raises(ApplicationError, match="sigma"):
        drain(denoise_sweep([("AE", model)], batch, [0.1, 9.0]))


def test_tuning_ranks_settings_by_measured_psnr():
    clean = np.concatenate([smooth_image(16), smooth_image(16)[:, :, ::-1]])
    rows = tune_nl_means(clean, (0.1,), patch_sizes=(3,), patch_distances=(2,),
                         h_factors=(0.1, 0.8))
    assert [r.mean_psnr for r in rows] == sorted((r.mean_psnr for r in rows), reverse=True)
    best = rows[0]
    noisy = add_noise(clean, "gaussian", 0.1, seed=0)
    expected = psnr_of_mse(float(mse(nl_means_denoise(noisy, best.params), clean).mean()))
    assert best.psnr_by_level[0] == pytest.approx(expected)
    assert best.params.h_factor == 0.8  # h = 0.1 sigma barely smooths


def test_nl_means_runs_with_the_parameters_measured_on_mnist(mnist_dir):
    """The shipped NL-means parameters are no worse than their neighbours in the search of
    docs/metrics.md, on MNIST images outside the evaluation split (a fresh sample)."""
    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.models.trainer import split_indices

    data = load_data(f"mnist:{mnist_dir}")
    train_idx, _ = split_indices(len(data), 0.1, 0)
    pick = np.random.default_rng(7).choice(train_idx, 30, replace=False)
    clean = data.images[np.sort(pick)]
    shipped = NL_MEANS
    others = [NLMeansParams(3, shipped.patch_distance, shipped.h_factor),
              NLMeansParams(shipped.patch_size, 3, shipped.h_factor),
              NLMeansParams(shipped.patch_size, shipped.patch_distance, 1.2)]
    scores = {}
    for params in [shipped, *others]:
        values = []
        for level in (0.1, 0.3, 0.5):
            noisy = add_noise(clean, "gaussian", level, seed=3)
            values.append(psnr_of_mse(float(mse(nl_means_denoise(noisy, params), clean).mean())))
        scores[params] = float(np.mean(values))
    assert all(scores[shipped] >= scores[p] - 0.05 for p in others), scores
