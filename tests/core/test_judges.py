"""Issue 11: the classifier judge, between-code gaps, bootstrap intervals, sampling seeds and
the explanation sentence."""

from __future__ import annotations

import json

import numpy as np
import pytest
from metric_models import SHAPE, pca_model

from latent_atlas.explorer.cli import main
from latent_atlas.explorer.core.analysis.comparison.explain import decompose, explain
from latent_atlas.explorer.core.analysis.comparison.metrics import (
    CompareResult,
    MetricSettings,
    ModelMetrics,
    compare_models,
)
from latent_atlas.explorer.core.analysis.comparison.seeds import compare_over_seeds
from latent_atlas.explorer.core.analysis.comparison.table import format_table, judged_rows
from latent_atlas.explorer.core.analysis.gaps.holes import between_pairs, knn_targets
from latent_atlas.explorer.core.analysis.gaps.judges import cache_folder, classifier_judge
from latent_atlas.explorer.core.analysis.gaps.samplers import SAMPLERS
from latent_atlas.explorer.core.analysis.intervals import bootstrap_interval, overlap
from latent_atlas.explorer.core.data import ImageSet, load_data
from latent_atlas.explorer.core.progress import drain
from tests.fixture_scope import shared

SETTINGS = MetricSettings(n_prior=300, n_pairs=5, n_path=20, n_between=60, seed=1)


# --- the classifier judge ----------------------------------------------------------------

@pytest.fixture(scope=shared)
def digits_judge():
    data = load_data("digits")
    rng = np.random.default_rng(0)
    order = rng.permutation(len(data))
    held, train = np.sort(order[:300]), np.sort(order[300:])
    judge = drain(classifier_judge(data.images, data.labels, train, held, use_cache=False))
    return data, held, judge


def test_classifier_judge_passes_real_images_and_fails_garbage(digits_judge):
    data, held, judge = digits_judge
    assert judge.accuracy > 0.9, judge.describe()
    real = judge.holes(data.images[held])
    # by construction about 10 % of real held-out images fall below the bar
    assert 0.05 <= real.mean() <= 0.15
    rng = np.random.default_rng(1)
    noise = rng.uniform(0, 1, size=(200, *data.images.shape[1:])).astype(np.float32)
    blank = np.full((50, *data.images.shape[1:]), 0.5, dtype=np.float32)
    blend = (data.images[held[:100]].astype(np.float32) + data.images[held[100:200]]) / 510.0
    assert judge.holes(noise).mean() > 0.9
    assert judge.holes(blank).mean() > 0.9
    # averaging two random digits makes an ambiguous image far more often than a real one
    assert judge.holes(blend).mean() > 2 * real.mean()
    scores = judge.scores(data.images[held])
    assert np.all((scores >= 0) & (scores <= 1))


def test_classifier_is_cached_and_a_damaged_cache_is_retrained(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_ATLAS_CACHE", str(tmp_path))
    data = load_data("digits", limit=400)
    held, train = np.arange(0, 400, 5), np.setdiff1d(np.arange(400), np.arange(0, 400, 5))
    first = drain(classifier_judge(data.images, data.labels, train, held))
    files = list(cache_folder().glob("*.safetensors"))
    assert len(files) == 1 and not first.cached
    second = drain(classifier_judge(data.images, data.labels, train, held))
    assert second.cached and second.threshold == pytest.approx(first.threshold)
    files[0].write_bytes(b"not a safetensors file")
    third = drain(classifier_judge(data.images, data.labels, train, held))
    assert not third.cached and third.accuracy == pytest.approx(first.accuracy, abs=0.1)
    # no labels, no judge
    assert drain(classifier_judge(data.images, None, train, held)) is None


# --- intervals ---------------------------------------------------------------------------

def test_bootstrap_interval_covers_a_known_bernoulli_about_95_percent():
    p, rows, reps = 0.3, 120, 300
    rng = np.random.default_rng(0)
    covered = []
    for r in range(reps):
        hits = rng.random((rows, 3)) < p
        iv = bootstrap_interval(hits, n_boot=400, seed=r)
        assert iv["low"] <= iv["fraction"] <= iv["high"]
        covered.append(iv["low"] <= p <= iv["high"])
    assert 0.88 <= np.mean(covered) <= 0.99


def test_bootstrap_interval_is_wider_for_clustered_hits():
    rng = np.random.default_rng(2)
    rows = rng.random(200) < 0.3
    clustered = np.repeat(rows[:, None], 3, axis=1)  # three copies of one verdict per row
    independent = rng.random((200, 3)) < 0.3
    w_c = np.diff([bootstrap_interval(clustered)[k] for k in ("low", "high")])[0]
    w_i = np.diff([bootstrap_interval(independent)[k] for k in ("low", "high")])[0]
    assert w_c > 1.3 * w_i
    all_zero = bootstrap_interval(np.zeros((50, 3), bool))
    assert all_zero["low"] == 0.0 and 0.0 < all_zero["high"] < 0.15
    assert overlap({"low": 0.1, "high": 0.2}, {"low": 0.2, "high": 0.3})
    assert not overlap({"low": 0.1, "high": 0.2}, {"low": 0.21, "high": 0.3})


# --- between-code gaps -------------------------------------------------------------------

def _clusters(n: int = 360, seed: int = 0) -> ImageSet:
    """Six labelled clusters of 8x8 images far apart in pixel space."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, size=(6, *SHAPE))
    labels = rng.integers(0, 6, n)
    imgs = np.clip(base[labels] + rng.normal(0, 12, (n, *SHAPE)), 0, 255)
    return ImageSet(images=imgs.astype(np.uint8), labels=labels, spec="clusters",
                    label_names=[str(i) for i in range(6)])


def test_pairs_are_same_and_different_label_and_knn_targets_are_neighbours():
    data = _clusters()
    held = np.arange(0, 360, 3)
    pairs = between_pairs(held, data.labels, 40, seed=0)
    assert set(pairs) == {"same_label", "different_label"}
    same, diff = pairs["same_label"], pairs["different_label"]
    assert np.all(data.labels[same[:, 0]] == data.labels[same[:, 1]])
    assert np.all(data.labels[diff[:, 0]] != data.labels[diff[:, 1]])
    assert np.isin(same, held).all() and np.all(same[:, 0] != same[:, 1])
    assert set(between_pairs(held, None, 10, seed=0)) == {"random"}
    codes = np.random.default_rng(0).normal(size=(360, 3)).astype(np.float32)
    pool = np.setdiff1d(np.arange(360), held)
    targets = knn_targets(codes, held, pool, 5, seed=0)
    assert np.isin(targets, pool).all() and np.all(targets != held)
    for s, t in zip(held, targets, strict=True):
        d = np.linalg.norm(codes[pool] - codes[s], axis=1)
        assert np.linalg.norm(codes[t] - codes[s]) <= np.sort(d)[4] + 1e-6


def test_midpoints_between_clusters_are_holes_within_clusters_are_not():
    data = _clusters()
    m = drain(compare_models({"m": pca_model(data, 5, kind="ae")}, data,
                             SETTINGS)).models[0]
    assert set(m.between) == {"same_label", "different_label", "knn"}
    assert set(m.between["different_label"]) == {"pixel", "classifier", "pixel_real"}
    # (the classes here are random pixel patterns, which the classifier is taught to
    # distrust as noise, and whose real-to-real distance is pure pixel noise, so the
    # pooled pixel judge is the one checked on them)
    for judge in ("pixel",):
        same = m.between["same_label"][judge]
        diff = m.between["different_label"][judge]
        # every midpoint (t = 0.5) between clusters is a blend of two far-apart images
        assert diff["fraction"] > same["fraction"] + 0.3 and same["fraction"] < 0.2, \
            (judge, same, diff)
        assert not overlap(same, diff)
    assert m.reconstruction["pixel"]["fraction"] < 0.2


def test_shifted_vae_is_explained_as_prior_mismatch():
    # the decomposition on a real measurement: a 'VAE' whose codes sit far from N(0, I)
    import test_samplers as ts

    data = ts._blob_data()
    model = ts.ShiftedModel(pca_model(data, 3), offset=4.0)
    res = drain(compare_models({"VAE": model}, data, SETTINGS))
    d = decompose(res.models[0], "pixel")
    assert d["effects"]["prior mismatch"] > 0.6
    assert d["effects"]["prior mismatch"] > d["effects"]["gaps between codes"] + 0.5
    assert "largest effect is prior mismatch" in res.explanation
    assert "pixel distance only" in res.explanation  # the blob data has no labels


# --- the explanation on constructed numbers ----------------------------------------------

def _cell(f: float, half: float = 0.02) -> dict[str, float]:
    return {"fraction": f, "low": max(0.0, f - half), "high": min(1.0, f + half)}


def _model(name: str, own: float, fitted: float, gmm: float, recon: float, same: float,
           diff: float | None = None, judges=("pixel",), half: float = 0.02) -> ModelMetrics:
    m = ModelMetrics(name=name, kind=name.lower(), prior="", recon_mse=0.0, recon_rms=0.0,
                     recon_p95=0.0)
    m.holes = {"own": {}, "standard_normal": {}, "fitted_gaussian": {}, "gmm": {}}
    for j in judges:
        m.holes["own"][j] = _cell(own, half)
        m.holes["standard_normal"][j] = _cell(own, half)
        m.holes["fitted_gaussian"][j] = _cell(fitted, half)
        m.holes["gmm"][j] = _cell(gmm, half)
        m.reconstruction[j] = _cell(recon, half)
        m.between.setdefault("same_label", {})[j] = _cell(same, half)
        if diff is not None:
            m.between.setdefault("different_label", {})[j] = _cell(diff, half)
    return m


def _result(*models: ModelMetrics) -> CompareResult:
    return CompareResult(models=list(models), data_spec="x", n_held_out=100, n_reference=900,
                         hole_threshold=0.1, settings=MetricSettings())


def test_explanation_names_the_dominant_effect():
    prior = _model("AE", own=0.9, fitted=0.85, gmm=0.1, recon=0.05, same=0.1)
    gaps = _model("VAE", own=0.5, fitted=0.5, gmm=0.45, recon=0.05, same=0.45)
    recon = _model("DAE", own=0.42, fitted=0.41, gmm=0.4, recon=0.4, same=0.42)
    text = explain(_result(prior, gaps))
    # own 90 % -> fitted Gaussian 85 % -> mixture 10 %: space between clusters, not mismatch
    assert "For the AE the largest effect is space between clusters" in text
    assert "space between clusters +75.0 points (fitted Gaussian 85.0%, the mixture 10.0%)" \
        in text
    assert "prior mismatch +5.0 points (own prior 90.0%, fitted Gaussian 85.0%)" in text
    assert "For the VAE the largest effect is gaps between codes" in text
    assert "the AE decodes to a hole 90.0% of the time and the VAE 50.0%" in text
    assert "significant: the 95 % intervals do not overlap" in text  # no paired tests run
    assert "pixel distance only" in text
    assert "For the DAE the largest effect is reconstruction floor" in explain(_result(recon))
    # an AE whose own prior is its fitted Gaussian has no prior mismatch, by construction
    prior.same_draws = {"fitted_gaussian": "own"}
    d = decompose(prior, "pixel")
    assert d["by_construction"] == ["prior mismatch"] and d["effects"]["prior mismatch"] == 0
    assert "prior mismatch none by construction" in explain(_result(prior, gaps))


def test_explanation_calls_overlapping_intervals_not_significant_and_reads_both_judges():
    a = _model("AE", own=0.30, fitted=0.3, gmm=0.2, recon=0.05, same=0.1, diff=0.3,
               judges=("pixel", "classifier"), half=0.05)
    b = _model("VAE", own=0.33, fitted=0.3, gmm=0.2, recon=0.05, same=0.1, diff=0.32,
               judges=("pixel", "classifier"), half=0.05)
    text = explain(_result(a, b))
    assert "(classifier judge): not significant: the 95 % intervals overlap" in text
    assert "By the pixel judge 30.0% against 33.0%: not significant: the 95 % intervals " \
        "overlap (the pixel judge agrees)" in text
    assert "between codes of different labels" in text.lower()
    assert "pixel distance only" not in text
    # the judges point opposite ways, both significantly
    b.holes["own"]["pixel"] = _cell(0.05)
    a.holes["own"]["classifier"] = _cell(0.6)
    b.holes["own"]["classifier"] = _cell(0.9)
    a.holes["own"]["pixel"] = _cell(0.5)
    assert "By the pixel judge 50.0% against 5.0%: significant: the 95 % intervals do not " \
        "overlap (the pixel judge disagrees)" in explain(_result(a, b))


def test_table_rows_mark_significance_and_list_every_judge():
    a = _model("AE", own=0.9, fitted=0.8, gmm=0.1, recon=0.05, same=0.1, diff=0.3,
               judges=("pixel", "classifier"))
    b = _model("VAE", own=0.91, fitted=0.3, gmm=0.2, recon=0.05, same=0.5, diff=0.3,
               judges=("pixel", "classifier"))
    rows = {title: (cells, sig) for title, cells, sig in judged_rows(_result(a, b))}
    assert rows["holes, own prior (classifier)"][1] == "n.s."
    assert rows["holes, fitted Gaussian (pixel)"][1] == "yes"
    assert rows["between, same label (classifier)"][0][1].startswith("50.0% [48.0%, 52.0%]")
    assert len(rows) == (1 + len(SAMPLERS) + 2) * 2


# --- compare end to end ------------------------------------------------------------------

@pytest.fixture(scope=shared)
def pair_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pair")
    assert main(["train-pair", "--data", "digits", "--latent-dim", "4", "--hidden", "8,16",
                 "--epochs", "1", "--limit", "400", "--seed", "0", "--device", "cpu",
                 "--quiet", "--out", str(folder / "digits")]) == 0
    return folder / "digits_ae.safetensors", folder / "digits_vae.safetensors"


def test_compare_json_has_every_sampler_judge_between_and_explanation(pair_files, capsys):
    capsys.readouterr()
    assert main(["compare", *map(str, pair_files), "--json", "--samples", "200", "--pairs",
                 "5", "--between", "40", "--seeds", "0,1", "--quiet", "--limit", "400"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert isinstance(doc["explanation"], str) and "own prior" in doc["explanation"]
    assert doc["seeds"] == [0, 1] and 0 < doc["classifier"]["accuracy"] <= 1
    assert set(doc["judges"]) == {"pixel", "pixel_real", "classifier"}
    for m in doc["models"]:
        assert set(m["holes"]) == set(SAMPLERS)
        for sampler in SAMPLERS:
            for judge in ("pixel", "classifier"):
                h = m["holes"][sampler][judge]
                assert {"fraction", "low", "high", "mean", "sd", "per_seed"} <= set(h)
                assert 0.0 <= h["low"] <= h["fraction"] <= h["high"] <= 1.0
                assert len(h["per_seed"]) == 2 and h["per_seed"][0] == h["fraction"]
        assert set(m["between"]) == {"same_label", "different_label", "knn"}
        for kind in m["between"]:
            assert set(m["between"][kind]) == {"pixel", "classifier", "pixel_real"}
    ae, vae = doc["models"]
    assert ae["same_draws"] == {"fitted_gaussian": "own"}
    assert vae["same_draws"] == {"standard_normal": "own"}
    assert isinstance(ae["gmm_capped"], bool)
    # the judges' floors: real held-out images under each judge, with an interval
    assert set(doc["judge_floors"]) == {"pixel", "pixel_real", "classifier"}
    for floor in doc["judge_floors"].values():
        assert 0.0 <= floor["low"] <= floor["fraction"] <= floor["high"] <= 1.0
    # one paired test per measure x judge (and probe row), Holm-adjusted together
    diffs = doc["differences"]
    measures = {d["measure"] for d in diffs}
    assert {"reconstruction", "holes/own", "holes/gmm", "between/same_label",
            "between/knn", "probe/100%/knn"} <= measures
    from latent_atlas.explorer.core.analysis.comparison.paired import holm
    np.testing.assert_allclose([d["p_holm"] for d in diffs], holm([d["p"] for d in diffs]))
    for d in diffs:
        assert d["low"] <= d["difference"] <= d["high"]
        assert d["difference"] == pytest.approx(d["a"] - d["b"])
        assert d["verdict"] in ("differs", "same", "not detected")
        assert (d["verdict"] == "differs") == (d["p_holm"] < 0.05)
        assert {"low90", "high90", "detectable", "margin", "test", "a_low", "b_high"} <= set(d)
    own = next(d for d in diffs if d["measure"] == "holes/own" and d["judge"] == "pixel")
    assert own["a"] == pytest.approx(ae["holes"]["own"]["pixel"]["fraction"])
    assert own["test"].startswith("McNemar")
    pairs = next(d for d in diffs if d["measure"] == "between/same_label")
    assert pairs["test"].startswith("sign-flip")


def test_compare_text_prints_the_explanation_and_the_judges(pair_files, capsys):
    capsys.readouterr()
    assert main(["compare", *map(str, pair_files), "--samples", "100", "--pairs", "5",
                 "--between", "20", "--no-classifier", "--quiet", "--limit", "400"]) == 0
    out = capsys.readouterr().out
    assert "Sampled from its own prior" in out and "judge pixel_real:" in out
    assert "(classifier)" not in out


@pytest.mark.parametrize("seeds", ["", "a,b", "-1", "0,0", ",".join(map(str, range(21)))])
def test_bad_seeds_exit_2(pair_files, seeds, capsys):
    assert main(["compare", *map(str, pair_files), "--seeds", seeds, "--quiet"]) == 2
    assert "--seeds" in capsys.readouterr().err


def test_seeds_report_spread_over_sampling(pair_files):
    from latent_atlas.models.checkpoint import load_model

    data = load_data("digits", limit=400)
    models = {"AE": load_model(pair_files[0]).model}
    res = drain(compare_over_seeds(models, data, SETTINGS, [3, 4, 5]))
    h = res.models[0].holes["own"]["pixel"]
    assert res.seeds == [3, 4, 5] and len(h["per_seed"]) == 3
    assert h["mean"] == pytest.approx(np.mean(h["per_seed"]))
    assert h["sd"] == pytest.approx(np.std(h["per_seed"], ddof=1))
    assert "seeds 3, 4, 5" in format_table(res)

