"""Conditional models of your own (issue 21): declared labels reach the encoder and the
decoder the user named, in the form named; the conditional views (a traversal decoded as
each label, the labelled map) work with them; what cannot be done is one sentence."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latent_atlas.explorer.core.inference import decode_float, encode
from latent_atlas.explorer.session.opening import open_source
from latent_atlas.models.sources.conditioning import Conditioning
from tests import user_models as um


def _cvae():
    made = um.make_cvae()
    return made["model"], made


def test_a_declared_cvae_takes_its_labels_in_both_halves(digits):
    model, made = _cvae()
    opened = open_source(model, data="digits", conditioning=made["conditioning"])
    m = opened.model
    assert m.kind == "user-cvae" and m.n_cond == 10 and m.capabilities.labels
    assert m.capabilities.why_not("labels") == ""
    images, labels = digits.images[:12], digits.labels[:12]
    x = torch.from_numpy(images).float() / 255.0
    with torch.inference_mode():
        mu_own, _ = model.encode(x, torch.from_numpy(labels).long())
        out_own = model.decode(mu_own, torch.full((12,), 3, dtype=torch.long))
    codes = encode(m, images, labels=labels)
    np.testing.assert_allclose(codes, mu_own.numpy(), atol=1e-5)  # each under its label
    assert not np.allclose(codes, encode(m, images))  # the default label gives other codes
    np.testing.assert_allclose(decode_float(m, codes, labels=3), out_own.numpy(), atol=1e-5)
    assert not np.allclose(decode_float(m, codes, labels=3), decode_float(m, codes, labels=8))
    # the map of a model opened from no file is made of the labelled codes
    np.testing.assert_allclose(opened.latent_map.codes[:12], codes, atol=1e-5)


def test_a_factory_or_the_module_itself_declares_it():
    from latent_atlas.explorer.session.user_code import PythonFactory

    opened = open_source(PythonFactory(f"{um.__file__}:make_cvae"))
    assert opened.model.n_cond == 10 and opened.name == "my-cvae"
    cae = open_source(um.make_decoder_cae(), data="digits").model  # its own attribute
    assert cae.kind == "user-cae" and cae.conditioning.form == "one-hot"
    assert not cae.conditioning.encoder and cae.conditioning.decoder
    z = np.zeros((2, um.D), np.float32)
    assert not np.allclose(decode_float(cae, z, labels=0), decode_float(cae, z, labels=7))


def test_the_headless_api_decodes_under_a_label_and_says_what_a_plain_model_cannot():
    import latent_atlas as la

    model, made = _cvae()
    s = la.open(model, data="digits?limit=200", conditioning={"classes": 10})
    xy = s.map("pca").positions[:2]
    as3, as8 = s.decode(xy, "pca", label=3), s.decode(xy, "pca", label=8)
    assert as3.shape == (2, 1, 8, 8) and not np.allclose(as3, as8)
    np.testing.assert_allclose(s.decode(xy, "pca"), s.decode(xy, "pca", label=0), atol=1e-6)
    assert s.interpolate(0, 1, steps=3, label=5).shape == (3, 1, 8, 8)
    with pytest.raises(ValueError, match=r"0\.\.9"):
        s.decode_codes(np.zeros((1, um.D)), label=10)
    plain = la.open(um.make_ae(), data="digits?limit=50")
    with pytest.raises(ValueError, match="takes no labels .it is not conditional.; decode it"):
        plain.decode_codes(np.zeros((1, um.D)), label=2)


def test_the_traversal_decodes_a_user_cvae_as_each_label(desk, digits):
    from latent_atlas.explorer.core.inference import Decoder
    from latent_atlas.explorer.session.loading import DataExtras
    from latent_atlas.explorer.session.panels import TraversalModel
    from latent_atlas.explorer.session.session import Session

    model, made = _cvae()
    opened = open_source(model, data="digits", conditioning=made["conditioning"])
    s = Session("my-cvae", dict(opened.meta), latent_map=opened.latent_map,
                labels=digits.labels, dispatcher=desk.dispatcher)
    s.set_model(opened.model, Decoder(opened.model))
    s.set_data(DataExtras(data=digits, images=digits.images, labels=digits.labels,
                          label_names=list(digits.label_names)))
    (ae,) = desk.show("ae")
    desk.shown.set([s, ae])  # beside a model that takes no labels
    m = TraversalModel(desk.shown, desk.jobs)
    m.set_source("hovered")
    s.set_hover(10)
    ae.set_hover(10)
    desk.settle(m)
    assert len(m.label_choices) == 1 + 10
    assert m.result.columns[0].traversal.label == int(digits.labels[10])  # the sample's own
    grids = {}
    for label in (3, 8):
        m.set_label(label)
        desk.settle(m)
        cvae_col, ae_col = m.result.columns
        assert cvae_col.traversal.label == label and cvae_col.note == ""
        grids[label] = cvae_col.traversal.images.copy()
        # the other model says, in a sentence, why the label does not apply to it
        assert ae_col.traversal is not None
        assert "takes no labels (it is not conditional): decoded without a label" in ae_col.note
    assert not np.array_equal(grids[3], grids[8])
    m.close()
    s.close()


@pytest.mark.parametrize(("factory", "words"), [
    ("make_cvae_undeclared", "if it takes labels, declare them: conditioning="),
    ("make_cvae_too_few_classes", "has labels up to 9 but make_cvae_too_few_classes declares 3"),
    ("make_cvae_encoder_not_conditional", "declare 'encoder': False"),
    ("make_cvae_wrong_form", "as class indices or one-hot vectors ('form')"),
    ("make_cvae_bad_declaration", "'form' is 'index' (class numbers) or 'one-hot'"),
])
def test_a_conditioning_that_does_not_fit_is_one_sentence(factory, words):
    from latent_atlas.explorer.session.user_code import PythonFactory

    with pytest.raises(ValueError, match=None) as err:
        open_source(PythonFactory(f"{um.__file__}:{factory}"), data="digits")
    assert words in str(err.value) and "\n" not in str(err.value)


def test_conditioning_needs_labels_and_a_model_of_your_own(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (30, 1, 8, 8), dtype=np.uint8)
    model, _ = _cvae()
    with pytest.raises(ValueError, match="is conditional .10 classes. and needs labelled data"):
        open_source(model, data=images, conditioning={"classes": 10})
    opened = open_source(model, data=(images, np.arange(30) % 10), conditioning=10)
    assert opened.model.n_cond == 10
    with pytest.raises(ValueError, match="take no labels"):
        open_source(str(tmp_path), data="digits", conditioning={"classes": 10})
    for bad, words in (({"classes": 1}, "at least 2"), ({"clases": 10}, "does not know 'clases'"),
                       ({"classes": 10, "encoder": False, "decoder": False}, "neither"),
                       ({"classes": 4, "default_label": 4}, "0..3"), ("ten", "a dict")):
        with pytest.raises(ValueError, match=words):
            Conditioning.from_value(bad)


def test_library_models_cannot_be_declared_conditional():
    pytest.importorskip("pythae", reason="the pythae extra is not installed")
    from pythae.models import VAE, VAEConfig

    vae = VAE(VAEConfig(input_dim=(1, 8, 8), latent_dim=3))
    with pytest.raises(ValueError, match="a pythae model takes no labels"):
        open_source(vae, data="digits", conditioning={"classes": 10})
