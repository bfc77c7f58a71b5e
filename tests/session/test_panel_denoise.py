"""The denoising panel's model without a display: the picked image, one noisy image for
every shown model, the core's numbers in the captions, the classic denoisers beside."""

from __future__ import annotations

import numpy as np

from latent_atlas.explorer.core.analysis.applications import BASELINES, classic_denoise, denoise
from latent_atlas.explorer.core.analysis.applications.baselines import BASELINE_TITLES
from latent_atlas.explorer.core.analysis.applications.denoise import (
    error_caption,
    psnr_of_mse,
    quality_caption,
)
from latent_atlas.explorer.core.io.images import sample_display
from latent_atlas.explorer.session.panels import DenoiseModel


def _lines(text: str) -> str:
    return text.replace(" · ", "\n")


def test_the_level_changes_the_noisy_image_and_the_errors_of_every_model(desk):
    vae, ae = desk.show("vae", "ae")  # every open model, the active one first
    m = DenoiseModel(desk.shown, desk.jobs)
    desk.settle(m)
    assert m.results == {} and "Click on the map" in m.view.hint
    desk.click(vae, vae.latent_map.positions[7])
    desk.settle(m)
    assert m.pick.number == 7
    assert set(m.results) == {vae.name, ae.name} and len(m.view.models) == 2
    noisy_before = m.view.noisy.image.copy()
    captions_before = [m.view.noisy.caption] + [b.caption for b in m.view.models]

    m.set_level(0.8)
    desk.settle(m)
    assert m.level_text() == "σ = 0.80"
    assert not np.array_equal(m.view.noisy.image, noisy_before)
    captions = [m.view.noisy.caption] + [b.caption for b in m.view.models]
    assert all(a != b for a, b in zip(captions, captions_before, strict=True))
    # The numbers are the core's for the same image, noise, level and seed.
    r = denoise(vae.model, vae.images[7], "gaussian", 0.8, seed=m.seed)
    s = r.summary()
    assert np.array_equal(m.results[vae.name].noisy, r.noisy)
    assert m.view.noisy.caption == _lines(quality_caption(s["noisy_mse"], s["noisy_psnr"],
                                                          s["noisy_ssim"]))
    assert m.view.models[0].caption == _lines(quality_caption(s["recon_mse"], s["recon_psnr"],
                                                              s["recon_ssim"]))
    assert np.array_equal(m.view.models[0].image, sample_display(r.reconstruction, [0])[0])
    assert m.view.clean.caption.startswith("sample #7")

    m.set_noise("masking")
    desk.settle(m)
    assert m.level_text() == "80 % of pixels"
    assert (m.results[vae.name].noisy == 0).mean() > 0.6
    seed = m.seed
    m.new_noise()
    desk.settle(m)
    assert m.seed == seed + 1
    assert not np.array_equal(m.results[vae.name].noisy, r.noisy)
    m.close()


def test_the_classic_denoisers_on_the_same_noisy_image(desk):
    (vae,) = desk.show("vae")
    m = DenoiseModel(desk.shown, desk.jobs)
    desk.click(vae, vae.latent_map.positions[12])
    desk.settle(m)
    assert m.classic and set(m.baselines) == set(BASELINES)
    noisy = m.results[vae.name].noisy
    expected = classic_denoise(m.results[vae.name].clean, noisy, BASELINES)
    for name in BASELINES:
        b, shown = expected[name], m.view.classic[name]
        np.testing.assert_array_equal(m.baselines[name].output, b.output)
        assert shown.title == BASELINE_TITLES[name]
        assert np.array_equal(shown.image, sample_display(b.output, [0])[0])
        err = float(b.mse.mean())
        assert shown.caption == _lines(quality_caption(err, psnr_of_mse(err),
                                                       float(b.ssim.mean())))
    m.set_level(0.6)
    desk.settle(m)
    assert not np.array_equal(m.baselines["median"].output, expected["median"].output)
    m.set_classic(False)
    desk.settle(m)
    assert m.baselines == {} and m.view.classic == {} and m.view.models[0].image is not None
    assert "classic" not in m.view.hint
    m.close()


def test_each_models_reconstruction_of_the_same_noisy_image(desk):
    ae, vae = desk.show("ae", "vae")
    m = DenoiseModel(desk.shown, desk.jobs)
    m.set_pick_mode("number")
    m.set_pick_number(7)
    desk.settle(m)
    assert set(m.results) == {ae.name, vae.name}
    assert [b.title for b in m.view.models] == ["AE — digits_ae", "VAE — digits_vae"]
    for s, box in zip((ae, vae), m.view.models, strict=True):
        r = denoise(s.model, ae.images[7], "gaussian", 0.3, seed=m.seed)
        assert np.array_equal(m.results[s.name].noisy, r.noisy)  # one noisy image for both
        assert np.array_equal(box.image, sample_display(r.reconstruction, [0])[0])
        q = r.summary()
        assert box.caption.startswith(_lines(error_caption(q["recon_mse"], q["recon_psnr"])))
    assert not np.array_equal(m.view.models[0].image, m.view.models[1].image)
    assert m.view.clean.caption.startswith("sample #7")
    m.close()


def test_the_picker_follows_clicks_until_a_number_is_typed_and_takes_your_image(desk):
    (vae,) = desk.show("vae")
    m = DenoiseModel(desk.shown, desk.jobs)
    assert m.pick_max() == vae.n_points - 1
    desk.click(vae, vae.latent_map.positions[30])
    desk.settle(m)
    assert m.pick.mode == "clicked" and m.pick.number == 30
    m.set_pick_number(31)  # typing a number means "this sample"
    assert m.pick.mode == "number"
    desk.click(vae, vae.latent_map.positions[40])
    desk.settle(m)
    assert m.pick.number == 31 and m.view.clean.caption.startswith("sample #31")
    m.set_pick_mode("own")
    desk.settle(m)
    assert m.results == {} and "Open image" in m.view.hint
    vae.place_image("mine.png", vae.images[5])
    desk.settle(m)
    assert m.view.clean.caption == "mine.png" and vae.name in m.results
    m.close()
