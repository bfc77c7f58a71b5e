"""The compression and probe panels' models without a display: the jobs run per model,
the results are the core's, kept per model and settings."""

from __future__ import annotations

import numpy as np

from latent_atlas.explorer.core.analysis.claims.codec import CompressSettings, compress_iter
from latent_atlas.explorer.core.analysis.claims.probe import ProbeSettings, probe_iter
from latent_atlas.explorer.core.progress import drain
from latent_atlas.explorer.session.panels import CompressModel, ProbeModel


def test_compression_draws_the_curves_and_the_examples(desk):
    (ae,) = desk.show("ae")
    m = CompressModel(desk.shown, desk.jobs)
    desk.settle(m)
    assert not m.curves and "JPEG" in m.hint
    m.set_bits_text("2,8")
    m.set_max_images(40)
    m.run_or_cancel()
    assert m.running() and "Running the compression on 1 model(s)" in m.hint
    desk.settle(m)
    expected = drain(compress_iter(ae.model, ae.images, CompressSettings(bits=(2, 8), examples=4,
                                                                         max_images=40)))
    assert set(m.curves) == {"AE, latent 8 x b bits", "JPEG, whole file",
                             "JPEG, scan data only"}
    bits, psnr = m.curves["AE, latent 8 x b bits"]
    np.testing.assert_array_equal(bits, [16, 64])
    np.testing.assert_allclose(psnr, [r.ae.psnr for r in expected.rows], rtol=1e-4)
    assert "8 bits/dim: AE 8 B" in m.view.summary
    assert m.view.bit_choices == [2, 8] and m.view.example_bits == 8
    titles = [title for title, _ in m.view.examples]
    assert titles[0] == "original" and titles[1].startswith("AE 8 bits")
    assert [len(images) for _, images in m.view.examples] == [4, 4, 4]
    m.set_example_bits(2)
    desk.settle(m)
    assert m.view.examples[1][0].startswith("AE 2 bits")
    m.set_bits_text("2,4")  # other settings: nothing kept for them, nothing shown
    desk.settle(m)
    assert not m.curves and "JPEG" in m.hint
    m.set_bits_text("2,8")  # back: the kept result shows again without a job
    desk.settle(m)
    assert m.curves and not m.running()
    m.close()


def test_compression_refuses_bad_bits(desk):
    desk.show("ae")
    m = CompressModel(desk.shown, desk.jobs)
    m.set_bits_text("0,99")
    m.run_or_cancel()
    assert not m.running() and "bits" in m.hint
    m.close()


def test_the_probe_makes_a_table_per_model_and_measures_pixels_once(desk):
    ae, _vae = desk.show("ae", "vae")
    m = ProbeModel(desk.shown, desk.jobs)
    desk.settle(m)
    assert m.body == [] and "raw pixels" in m.hint
    m.set_fractions_text("10%,100%")
    m.run_or_cancel()
    assert m.running()
    desk.settle(m, timeout=300)
    head, body = m.head, m.body
    assert head[:2] == ["labelled", "images"] and len(head) == 2 + 2 * 2 + 2
    assert head[2] == "AE\nlogistic" and head[5] == "VAE\nk-NN"
    assert head[-1].startswith("pixels") and len(body) == 2
    expected = drain(probe_iter(ae.model, ae.images, ae.labels,
                                ProbeSettings(fractions=(0.1, 1.0), pixels=False)))
    assert body[1][2] == f"{100 * expected.rows[1].codes['logistic']:.1f} %"
    assert body[1][3] == f"{100 * expected.rows[1].codes['knn']:.1f} %"
    for row in body:  # every accuracy well above chance (about 10 %)
        assert all(float(cell.rstrip(" %")) > 40 for cell in row[2:])
    assert "chance" in m.hint
    m.close()


def test_the_probe_without_labels_says_so(desk):
    (ae,) = desk.show("ae")
    labels, ae.labels = ae.labels, None
    m = ProbeModel(desk.shown, desk.jobs)
    m.run_or_cancel()
    assert not m.running() and "no labels" in m.hint
    ae.labels = labels
    m.close()
