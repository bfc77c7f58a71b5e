"""Samplers of the latent space, the Wilson interval and the hole fraction per sampler
(issue 11, first step): prior mismatch reads apart from gaps."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from metric_models import N_PIX, SHAPE, LinearModel, pca_model, synthetic_data

from latent_atlas.explorer.cli import main
from latent_atlas.explorer.core.analysis.comparison.metrics import MetricSettings, compare_models
from latent_atlas.explorer.core.analysis.comparison.table import format_table
from latent_atlas.explorer.core.analysis.gaps.generate import model_prior
from latent_atlas.explorer.core.analysis.gaps.samplers import (
    BIC_PATIENCE,
    SAMPLERS,
    fit_gmm,
    make_samplers,
)
from latent_atlas.explorer.core.analysis.intervals import fraction_interval, wilson_interval
from latent_atlas.explorer.core.data import ImageSet
from latent_atlas.explorer.core.progress import drain
from tests.fixture_scope import shared

SETTINGS = MetricSettings(n_prior=400, n_pairs=5, n_path=20, seed=1)


# --- the Wilson interval -------------------------------------------------------------

def test_wilson_interval_covers_a_known_bernoulli_about_95_percent():
    p, n, reps = 0.3, 200, 400
    rng = np.random.default_rng(0)
    ks = rng.binomial(n, p, size=reps)
    covered = [lo <= p <= hi for lo, hi in (wilson_interval(int(k), n) for k in ks)]
    assert 0.9 <= np.mean(covered) <= 0.99


@pytest.mark.parametrize("n", [1, 5, 200])
def test_wilson_interval_edges_stay_in_the_unit_interval_and_are_symmetric(n):
    lo0, hi0 = wilson_interval(0, n)
    lon, hin = wilson_interval(n, n)
    assert lo0 == 0.0 and 0.0 < hi0 < 1.0 and hin == 1.0 and 0.0 < lon < 1.0
    assert hi0 == pytest.approx(1.0 - lon) and lo0 == pytest.approx(1.0 - hin)
    for k in range(n + 1):
        lo, hi = wilson_interval(k, n)
        assert 0.0 <= lo <= k / n <= hi <= 1.0


def test_wilson_interval_known_value_and_bad_input():
    # 30 of 100: the textbook Wilson 95 % interval is (0.2189, 0.3958)
    lo, hi = wilson_interval(30, 100)
    assert lo == pytest.approx(0.2189, abs=1e-4) and hi == pytest.approx(0.3958, abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert fraction_interval(1, 4)["fraction"] == 0.25
    for k, n in ((3, 2), (-1, 5), (1.5, 4)):
        with pytest.raises(ValueError):
            wilson_interval(k, n)


# --- the samplers --------------------------------------------------------------------

def test_gmm_picks_several_components_on_bimodal_codes_and_one_on_a_blob():
    rng = np.random.default_rng(0)
    blob = rng.normal(size=(400, 3))
    bimodal = np.concatenate([rng.normal(size=(200, 3)) - 6, rng.normal(size=(200, 3)) + 6])
    assert fit_gmm(blob, seed=0).n_components == 1
    two = fit_gmm(bimodal, seed=0)
    assert two.n_components > 1 and not two.capped
    # the search ran past the best until BIC had turned, and no further
    assert len(two.bic) == two.n_components + BIC_PATIENCE
    assert min(two.bic) == two.bic[two.n_components - 1] < two.bic[-1]
    z = two.sample(1000, seed=3)
    assert z.shape == (1000, 3) and z.dtype == np.float32
    np.testing.assert_array_equal(z, two.sample(1000, seed=3))
    # both modes are sampled, nothing lands between them
    assert 0.35 < (z[:, 0] > 0).mean() < 0.65 and (np.abs(z[:, 0]) > 2).mean() > 0.9


def test_gmm_says_when_bic_was_still_falling_at_the_cap():
    rng = np.random.default_rng(1)
    # eight well-separated modes, but at most three components allowed
    centres = rng.normal(size=(8, 2)) * 30
    codes = np.concatenate([c + rng.normal(size=(60, 2)) for c in centres])
    capped = fit_gmm(codes, max_components=3, seed=0)
    assert capped.capped and capped.n_components == 3 and len(capped.bic) == 3
    assert "still falling" in capped.description
    free = fit_gmm(codes, seed=0)
    assert not free.capped and free.n_components >= 6 and "still falling" not in free.description


def test_make_samplers_own_is_the_models_prior():
    data = synthetic_data(200)
    for kind in ("vae", "ae"):
        model = pca_model(data, 3, kind=kind)
        codes = np.random.default_rng(0).normal(2.0, 1.0, size=(150, 3))
        samplers = make_samplers(model, codes, seed=0)
        assert list(samplers) == list(SAMPLERS)
        want = model_prior(model, codes).sample(50, 4)
        np.testing.assert_array_equal(samplers["own"].sample(50, 4), want)
        same = "standard_normal" if kind == "vae" else "fitted_gaussian"
        np.testing.assert_array_equal(samplers[same].sample(50, 4), want)


class ShiftedModel(LinearModel):
    """A 'VAE' whose codes sit far from N(0, I): encode adds `offset`, decode removes it."""

    def __init__(self, base: LinearModel, offset: float):
        super().__init__(base.proj.detach().numpy(), base.back.detach().numpy(), kind="vae")
        self.offset = offset

    def encode(self, x, y=None):
        z, logvar = super().encode(x)
        return z + self.offset, logvar

    def decode(self, z):
        return super().decode(torch.as_tensor(z) - self.offset)


def _blob_data(n: int = 300, seed: int = 0) -> ImageSet:
    """Images on a 3-d linear manifold with Gaussian coordinates: codes without gaps."""
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(3, N_PIX)) / np.sqrt(3)
    x = 128 + 25 * rng.normal(size=(n, 3)) @ q + rng.normal(0, 2, size=(n, N_PIX))
    return ImageSet(images=np.clip(x, 0, 255).astype(np.uint8).reshape(n, *SHAPE), spec="blob")


def _holes(model, data) -> tuple[dict[str, float], dict]:
    m = drain(compare_models({"m": model}, data, SETTINGS)).models[0]
    assert m.hole_fraction == m.holes["own"]["pixel"]["fraction"]
    return {k: m.holes[k]["pixel"]["fraction"] for k in SAMPLERS}, m.holes


def test_shifted_codes_show_prior_mismatch_not_gaps():
    # a 'VAE' whose codes are one Gaussian blob, shifted far from N(0, I): its own prior
    # (N(0, I)) finds holes almost everywhere, the fitted Gaussian and the mixture hardly any
    data = _blob_data()
    holes, full = _holes(ShiftedModel(pca_model(data, 3), offset=4.0), data)
    assert holes["own"] == holes["standard_normal"] > 0.9, holes
    assert holes["fitted_gaussian"] < 0.3 and holes["gmm"] < 0.3, holes
    # the intervals tell the two apart
    assert full["fitted_gaussian"]["pixel"]["high"] < full["standard_normal"]["pixel"]["low"]
    # unshifted, N(0, I) is as good as the fitted Gaussian: the holes were the mismatch
    plain, _ = _holes(pca_model(data, 3), data)
    assert plain["standard_normal"] < 0.3, plain


def test_clustered_codes_show_gaps_the_mixture_avoids():
    # codes in six clusters: the fitted Gaussian puts mass between them (gaps), the
    # mixture does not
    data = synthetic_data(300)
    holes, full = _holes(ShiftedModel(pca_model(data, 3), offset=4.0), data)
    assert holes["standard_normal"] > 0.9, holes
    assert full["gmm"]["pixel"]["high"] < full["fitted_gaussian"]["pixel"]["low"], holes


def test_holes_own_equals_hole_fraction_and_the_table_lists_the_samplers():
    data = synthetic_data(300)
    models = {"AE": pca_model(data, 2, kind="ae", gain=3.0), "VAE": pca_model(data, 4)}
    res = drain(compare_models(models, data, SETTINGS))
    for m in res.models:
        assert m.hole_fraction == m.holes["own"]["pixel"]["fraction"]
        assert m.gmm_components is not None and m.gmm_components >= 1
        for key in SAMPLERS:
            h = m.holes[key]["pixel"]
            assert h["low"] <= h["fraction"] <= h["high"]
            lo, hi = wilson_interval(round(h["fraction"] * SETTINGS.n_prior), SETTINGS.n_prior)
            assert (h["low"], h["high"]) == pytest.approx((lo, hi))
    text = format_table(res)
    for title in ("holes, own prior (pixel)", "holes, N(0, I) (pixel)",
                  "holes, fitted Gaussian (pixel)", "holes, GMM (BIC) (pixel)"):
        assert title in text
    assert text.index("holes, own prior") < text.index("hole threshold")
    md = format_table(res, markdown=True)
    assert "| hole fraction | AE (ae), GMM k=" in md and "| differs |" in md
    assert "| holes, GMM (BIC) (pixel) | " in md


# --- `compare --json` end to end ---------------------------------------------------

@pytest.fixture(scope=shared)
def pair_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pair")
    assert main(["train-pair", "--data", "digits", "--latent-dim", "4", "--hidden", "8,16",
                 "--epochs", "1", "--limit", "300", "--seed", "0", "--device", "cpu",
                 "--quiet", "--out", str(folder / "digits")]) == 0
    return folder / "digits_ae.safetensors", folder / "digits_vae.safetensors"


def test_compare_json_has_holes_by_sampler(pair_files, capsys):
    capsys.readouterr()
    assert main(["compare", *map(str, pair_files), "--json", "--samples", "200", "--pairs",
                 "5", "--quiet"]) == 0
    doc = json.loads(capsys.readouterr().out)
    for m in doc["models"]:
        assert set(m["holes"]) == set(SAMPLERS)
        for key in SAMPLERS:
            h = m["holes"][key]["pixel"]
            assert set(h) == {"fraction", "low", "high"}
            assert 0.0 <= h["low"] <= h["fraction"] <= h["high"] <= 1.0
        assert m["holes"]["own"]["pixel"]["fraction"] == m["hole_fraction"]
        assert isinstance(m["gmm_components"], int)
