"""Every number `compare_models` reports, recomputed independently (numpy, brute force,
the documented seeds), plus its settings checks, held-out rules, progress reports, notes,
dictionary and tables."""

from __future__ import annotations

import numpy as np
import pytest
from metric_models import SHAPE, LinearModel, nearest_rms, pca_model, synthetic_data

from latent_atlas.explorer.core.analysis.comparison.metrics import (
    CompareResult,
    MetricSettings,
    ModelMetrics,
    compare_models,
    first_look,
    held_out_indices,
    measure_rest,
)
from latent_atlas.explorer.core.analysis.comparison.table import format_table
from latent_atlas.explorer.core.analysis.gaps.generate import fit_gaussian
from latent_atlas.explorer.core.inference import decode_float
from latent_atlas.explorer.core.progress import Cancelled, drain
from latent_atlas.models.trainer import split_indices
from tests.fixture_scope import shared

SETTINGS = MetricSettings(n_prior=200, n_pairs=40, steps=5, n_path=60, seed=4, epsilon=0.05)


@pytest.fixture(scope=shared)
def data():
    return synthetic_data(240, seed=1)


def independent(model: LinearModel, data, s: MetricSettings) -> dict[str, float]:
    """The definitions of docs/metrics.md, computed directly."""
    images = data.images
    n = len(images)
    held = split_indices(n, s.val_fraction, 0)[1]
    train = np.setdiff1d(np.arange(n), held)
    ref = images[train]
    x = images.reshape(n, -1).astype(np.float64) / 255.0
    codes = model.np_encode(images)
    recon = model.np_decode(codes[held]).astype(np.float64)
    sq = ((recon - x[held]) ** 2).mean(axis=1)
    recon_dist = nearest_rms(recon, ref)
    if model.config.kind == "vae":
        z_prior = np.random.default_rng(s.seed).standard_normal((s.n_prior, model.latent_dim))
    else:
        z_prior = fit_gaussian(codes[train]).sample(s.n_prior, s.seed)
    prior_dist = nearest_rms(model.np_decode(z_prior.astype(np.float32)), ref)
    rng = np.random.default_rng(s.seed + 1)
    pairs = [rng.choice(held, size=2, replace=False) for _ in range(s.n_pairs)]
    t = np.linspace(0.0, 1.0, s.steps)[:, None]
    paths = np.concatenate([codes[a] + t * (codes[b].astype(np.float64) - codes[a]) for a, b in pairs])
    imgs = model.np_decode(paths.astype(np.float32)).astype(np.float64).reshape(s.n_pairs, s.steps, -1)
    inner = nearest_rms(imgs[:, 1:-1].reshape(-1, imgs.shape[-1]), ref)
    steps = np.sqrt(((imgs[:, 1:] - imgs[:, :-1]) ** 2).mean(axis=2))
    smooth = np.where(steps.mean(axis=1) > 0, steps.max(axis=1) / np.maximum(steps.mean(axis=1), 1e-300), 1.0)
    rng = np.random.default_rng(s.seed + 2)
    pick = rng.choice(n, size=min(s.n_path, n), replace=False)
    z = codes[pick].astype(np.float64)
    spread = float(np.sqrt(codes.astype(np.float64).var(axis=0).mean()))
    u = rng.standard_normal(z.shape)
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    step = s.epsilon * (spread if spread > 0 else 1.0)
    a = model.np_decode(z.astype(np.float32)).astype(np.float64)
    b = model.np_decode((z + step * u).astype(np.float32)).astype(np.float64)
    path_len = np.sqrt(((a - b) ** 2).mean(axis=1)) / s.epsilon
    return {
        "n_held_out": len(held), "n_reference": len(train), "recon_dist": recon_dist,
        "recon_mse": sq.mean(), "recon_rms": np.sqrt(sq).mean(),
        "recon_p95": np.percentile(recon_dist, s.hole_percentile),
        "prior_dist": prior_dist, "prior_distance": prior_dist.mean(),
        "interp_distance": inner.mean(), "interp_smoothness": smooth.mean(),
        "path_length": path_len.mean(), "code_spread": spread,
    }


@pytest.mark.parametrize("kind", ["vae", "ae"])
def test_every_metric_matches_its_definition(data, kind):
    model = pca_model(data, 3, kind=kind, gain=4.0)  # curved decoder: uneven steps
    want = independent(model, data, SETTINGS)
    res = drain(compare_models({"m": model}, data, SETTINGS))
    m = res.models[0]
    assert (res.n_held_out, res.n_reference) == (want["n_held_out"], want["n_reference"])
    for key in ("recon_mse", "recon_rms", "recon_p95", "prior_distance", "interp_distance",
                "interp_smoothness"):
        assert getattr(m, key) == pytest.approx(want[key], rel=2e-5), key
    assert m.path_length == pytest.approx(want["path_length"], rel=1e-3)
    assert m.extras == {"code_spread": pytest.approx(want["code_spread"], rel=1e-6),
                        "probe_right": {}}  # no labels: no probe
    assert m.interp_smoothness > 1.01  # the curve makes the steps uneven
    threshold = np.percentile(want["recon_dist"], SETTINGS.hole_percentile)
    assert res.hole_threshold == pytest.approx(threshold, rel=2e-5)
    assert m.hole_fraction == pytest.approx(float((want["prior_dist"] > threshold).mean()),
                                            abs=1.5 / SETTINGS.n_prior)
    assert 0.05 < m.hole_fraction < 0.95


def test_path_length_with_collapsed_codes_uses_a_unit_step(data):
    # every image encodes to the same code: the code spread is 0, so the step is epsilon
    model = LinearModel(np.zeros((64, 2)), np.random.default_rng(0).normal(size=(2, 64)), gain=3.0)
    want = independent(model, data, SETTINGS)
    m = drain(compare_models({"flat": model}, data, SETTINGS)).models[0]
    assert want["code_spread"] == 0.0 and m.extras["code_spread"] == 0.0
    assert m.path_length == pytest.approx(want["path_length"], rel=1e-3)
    assert m.path_length > 0.1
    # identical codes decode to identical images: interpolation is perfectly even
    assert m.interp_smoothness == 1.0 and m.interp_distance == pytest.approx(want["interp_distance"],
                                                                            rel=1e-5)


def test_a_model_is_named_by_its_kind_by_default_and_either_pass_can_be_cancelled(data):
    from latent_atlas.explorer.core.analysis.gaps.score import RealImageIndex

    model = pca_model(data, 2)
    held = split_indices(len(data.images), 0.1, 0)[1]
    index = RealImageIndex(data.images)
    events = []
    first = drain(first_look(model, data.images, held, index, SETTINGS), events.append)
    measured = drain(measure_rest(first, data.images, held, index, SETTINGS), events.append)
    assert first.name == "VAE" and measured.metrics.name == "VAE"
    assert measured.metrics.kind == "vae"
    assert events and all(e.message.startswith("VAE: ") for e in events)
    with pytest.raises(Cancelled, match="measuring cancelled"):
        drain(first_look(model, data.images, held, index, SETTINGS, cancel=lambda: True))
    with pytest.raises(Cancelled, match="measuring cancelled"):
        drain(measure_rest(first, data.images, held, index, SETTINGS, cancel=lambda: True))


def test_cancelling_after_the_first_look_stops_the_comparison(data):
    """`cancel` reaches the second pass too: a request that arrives once every model's
    first look is done still stops the measuring."""
    from dataclasses import replace

    models = {"A": pca_model(data, 2), "B": pca_model(data, 3)}
    seen = []

    def cancel():
        return any(e.partial is not None for e in seen)  # the first looks' table

    settings = replace(SETTINGS, classifier=False)  # no judge to train in between
    with pytest.raises(Cancelled, match="measuring cancelled"):
        drain(compare_models(models, data, settings, cancel=cancel), seen.append)
    assert seen[-1].partial is not None  # nothing after it was measured
    assert [e.partial is not None for e in seen].count(True) == 1


def test_the_real_images_bar_is_the_percentile_of_held_out_images_nearest_distances(data):
    """`pixel_real`'s bar: the `real_percentile` of each held-out image's RMS distance to
    its nearest training image (brute force here), not of anything else the index returns."""
    res = drain(compare_models({"m": pca_model(data, 2)}, data, SETTINGS))
    n = len(data.images)
    held = split_indices(n, SETTINGS.val_fraction, 0)[1]
    train = np.setdiff1d(np.arange(n), held)
    real = nearest_rms(data.images[held].astype(np.float64) / 255.0, data.images[train])
    assert res.real_threshold == pytest.approx(
        float(np.percentile(real, SETTINGS.real_percentile)), rel=1e-5)
    assert 0.0 < res.real_threshold < 1.0


def test_a_decode_exactly_at_the_bar_is_not_a_hole(data):
    """A decoder that ignores its code paints one image for every code: each prior decode
    is exactly as far from the real images as every reconstruction, so it sits exactly at
    the bar (their percentile) and is not a hole: a hole is strictly farther than the bar."""
    flat = LinearModel(np.random.default_rng(0).normal(size=(64, 2)), np.zeros((2, 64)))
    m = drain(compare_models({"flat": flat}, data, SETTINGS)).models[0]
    assert m.prior_distance == pytest.approx(m.hole_threshold, rel=1e-6)
    assert m.hole_fraction == 0.0
    assert m.holes["own"]["pixel"]["fraction"] == 0.0


def test_progress_reports_every_stage_in_order(data):
    models = {"A": pca_model(data, 2), "B": pca_model(data, 3)}
    events = []
    drain(compare_models(models, data, SETTINGS), events.append)
    # First every model's cheap rows (issue 24: they stream to the table), then each
    # model's remaining measures.
    looks = [("encode", 0.0, "encoding the data"),
             ("reconstruction", 0.5, "reconstructing held-out images"),
             ("prior", 0.75, "decoding own-prior samples"),
             ("first look", 1.0, "reconstruction and own prior measured")]
    rest = [("prior", 0.0, "codes as features (probe)"),
            ("prior", 0.1, "decoding prior samples"), ("between", 0.4, "decoding between codes"),
            ("interpolation", 0.6, "interpolating held-out pairs"),
            ("path length", 0.8, "measuring local path length"), ("done", 1.0, "measured")]
    # (no labels, so no classifier judge to train between the two)
    names = list(models)
    want = [("index", 0.0, "indexing the real images")]
    for i, name in enumerate(names):
        want += [(st, 0.02 + 0.13 * (i + f) / 2, f"{name}: {msg}") for st, f, msg in looks]
    want.append(("first look", 0.15, "reconstruction and own-prior holes measured"))
    for i, name in enumerate(names):
        want += [(st, 0.25 + 0.75 * (i + f) / 2, f"{name}: {msg}") for st, f, msg in rest]
        if i == 0:
            want.append(("model measured", 0.25 + 0.75 / 2, f"{name} measured"))
    want.append(("done", 1.0, "metrics ready"))
    # The mixture's fit reports each number of components it tries (issue 26), in order,
    # between the probe and the prior samples; it may stop before the most it would try
    # (BIC has turned, issue 25).
    fits = [e for e in events if "fitting a Gaussian mixture" in e.message]
    for name in models:
        mine = [e for e in fits if e.message.startswith(f"{name}: ")]
        k_max = int(mine[0].message.rsplit("/", 1)[1].split()[0]) if mine else 0
        assert 1 <= len(mine) <= k_max and [e.message for e in mine] == [
            f"{name}: fitting a Gaussian mixture to the codes ({k}/{k_max} components)"
            for k in range(1, len(mine) + 1)]
        assert all(a.fraction < b.fraction for a, b in zip(mine, mine[1:], strict=False))
    events = [e for e in events if e not in fits]
    assert [(e.stage, e.message) for e in events] == [(st, msg) for st, _, msg in want]
    np.testing.assert_allclose([e.fraction for e in events], [f for _, f, _ in want])


def test_settings_are_checked_at_their_bounds():
    for ok in (dict(n_prior=1, n_pairs=1, n_path=1, steps=3), dict(epsilon=0.999),
               dict(hole_percentile=100), dict(hole_percentile=0.5), dict(epsilon=1e-9)):
        MetricSettings(**ok)
    for bad in (dict(n_prior=0), dict(n_pairs=0), dict(n_path=0), dict(steps=2), dict(n_between=0),
                dict(knn=0)):
        with pytest.raises(ValueError, match=r"^n_prior, n_pairs, n_path, n_between and knn must be "
                                             r">= 1 and steps >= 3$"):
            MetricSettings(**bad)
    for bad in (dict(epsilon=0), dict(epsilon=1), dict(hole_percentile=0), dict(hole_percentile=100.5)):
        with pytest.raises(ValueError, match=r"^epsilon must be in \(0, 1\) and hole_percentile in \(0, 100\]$"):
            MetricSettings(**bad)


def test_held_out_rules_at_their_bounds():
    assert held_out_indices(100, [0]) == (pytest.approx(split_indices(100, 0.1, 0)[1]), [])
    held, notes = held_out_indices(15, [0])  # 2 held-out images are enough
    assert len(held) == 2 and notes == []
    with pytest.raises(ValueError, match=r"^10 images leave too few held-out images to measure; "
                                         r"use a larger data set$"):
        held_out_indices(10, [0])
    # find sizes where two seeds' splits overlap in exactly 20 and 19 images
    found = {}
    for n in range(1000, 4000, 7):
        k = len(np.intersect1d(split_indices(n, 0.1, 0)[1], split_indices(n, 0.1, 1)[1]))
        found.setdefault(k, n)
        if 19 in found and 20 in found:
            break
    held, notes = held_out_indices(found[20], [0, 1])
    assert len(held) == 20 and notes == ["the models were trained with different seeds; the "
                                         "held-out images are those none of them trained on"]
    held, notes = held_out_indices(found[19], [0, 1])
    np.testing.assert_array_equal(held, split_indices(found[19], 0.1, 0)[1])
    assert notes == ["the models were trained with different seeds, so they held out different "
                     "images; the first model's validation split is used"]


def test_validation_fraction_and_reference_cap_are_honoured(data):
    model = pca_model(data, 2)
    s = MetricSettings(n_prior=50, n_pairs=5, n_path=20, val_fraction=0.25, max_reference=40, seed=1)
    res = drain(compare_models({"m": model}, data, s))
    assert res.n_held_out == len(split_indices(len(data.images), 0.25, 0)[1])
    assert res.n_reference == 40
    n_train = len(data.images) - res.n_held_out
    assert res.notes == [f"nearest real images searched among 40 of the {n_train} training images "
                         "(random subset)", NO_LABELS]
    assert res.data_spec == data.spec == "metric-test" and res.to_dict()["data"] == data.spec
    again = drain(compare_models({"m": model}, data, s))
    assert again.to_dict() == res.to_dict()  # the capped subset is seeded...
    # ...with the settings' seed: the reference images are that seed's subset of the training set
    held = split_indices(len(data.images), 0.25, 0)[1]
    train = np.setdiff1d(np.arange(len(data.images)), held)
    subset = np.sort(np.random.default_rng(s.seed).choice(len(train), size=40, replace=False))
    recon = model.np_decode(model.np_encode(data.images[held]))
    want = np.percentile(nearest_rms(recon, data.images[train][subset]), s.hole_percentile)
    assert res.models[0].recon_p95 == pytest.approx(want, rel=2e-5)
    full = drain(compare_models({"m": model}, data, MetricSettings(n_prior=50, n_pairs=5, n_path=20)))
    assert full.notes == [NO_LABELS] and full.n_reference == len(data.images) - full.n_held_out


def test_compare_input_errors_are_exact(data):
    with pytest.raises(ValueError, match=r"^nothing to compare: give at least one model$"):
        drain(compare_models({}, data))
    model = LinearModel(np.zeros((64, 2)), np.zeros((2, 64)))
    model.config = model.config.replace(input_shape=(1, 4, 16))
    with pytest.raises(ValueError, match=r"^bad expects images \(1, 4, 16\) \(C, H, W\) but the data "
                                         r"has \(1, 8, 8\); use the data it was trained on$"):
        drain(compare_models({"bad": model}, data))


def test_decode_float_batches_and_empty_input(data):
    model = pca_model(data, 3)
    codes = np.random.default_rng(0).normal(size=(70, 3))
    out = decode_float(model, codes, batch_size=32)
    assert out.shape == (70, *SHAPE) and out.dtype == np.float32
    np.testing.assert_allclose(out.reshape(70, -1), model.np_decode(codes.astype(np.float32)),
                               rtol=1e-6, atol=1e-7)
    empty = decode_float(model, np.zeros((0, 3)))
    assert empty.shape == (0, *SHAPE) and empty.dtype == np.float32


NO_LABELS = "the data has no labels, so only the pixel judges are used"


def _result() -> CompareResult:
    a = ModelMetrics(name="AE", kind="ae", prior="fitted Gaussian to the codes", recon_mse=0.01234,
                     recon_rms=0.1, recon_p95=0.2, hole_threshold=0.25, hole_fraction=0.125,
                     prior_distance=0.3, interp_distance=0.21, interp_smoothness=1.5,
                     path_length=2.25, checker_recon=0.5, checker_prior=5.125)
    b = ModelMetrics(name="VAE-long-name", kind="vae", prior="standard normal N(0, I)",
                     recon_mse=0.02, recon_rms=0.125, recon_p95=0.3, hole_threshold=0.25,
                     hole_fraction=0.5, prior_distance=0.2, interp_distance=0.15,
                     interp_smoothness=1.25, path_length=1.5, checker_recon=0.25,
                     checker_prior=1.0)
    return CompareResult(models=[a, b], data_spec="digits", n_held_out=180, n_reference=1617,
                         hole_threshold=0.25, settings=MetricSettings(), notes=["a note"])


FOOT = ("data digits: 180 held-out images; nearest real image searched among 1617 training "
        "images; distances are pixel RMS.\n"
        "hole threshold 0.250: the 95th percentile of the held-out reconstructions' "
        "nearest-real distances (all models pooled).\n"
        "2000 prior samples, 100 pairs x 9 steps, 500 path points, epsilon 0.01, 300 between-code "
        "pairs at t = 0.25, 0.5, 0.75, seed 0.\n"
        "note: a note")


def test_plain_table_is_exact():
    want = "\n".join([
        "model                prior            recon MSE  recon RMS  hole fraction  prior-sample dist  interp dist  interp smoothness  path length  checkerboard, recon  checkerboard, prior",
        "-------------------  ---------------  ---------  ---------  -------------  -----------------  -----------  -----------------  -----------  -------------------  -------------------",
        "AE (ae)              fitted Gaussian     0.0123      0.100          12.5%              0.300        0.210               1.50         2.25                 0.50                 5.12",
        "VAE-long-name (vae)  N(0, I)             0.0200      0.125          50.0%              0.200        0.150               1.25         1.50                 0.25                 1.00",
        "",
    ]) + "\n" + FOOT
    assert format_table(_result()) == want


def test_markdown_table_is_exact():
    want = "\n".join([
        "| model | prior | recon MSE | recon RMS | hole fraction | prior-sample dist | interp dist | interp smoothness | path length | checkerboard, recon | checkerboard, prior |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        "| AE (ae) | fitted Gaussian | 0.0123 | 0.100 | 12.5% | 0.300 | 0.210 | 1.50 | 2.25 | 0.50 | 5.12 |",
        "| VAE-long-name (vae) | N(0, I) | 0.0200 | 0.125 | 50.0% | 0.200 | 0.150 | 1.25 | 1.50 | 0.25 | 1.00 |",
        "",
    ]) + "\n" + FOOT
    assert format_table(_result(), markdown=True) == want


def test_result_dictionary_is_exact():
    r = _result()
    d = r.to_dict()
    assert list(d) == ["data", "n_held_out", "n_reference_images", "hole_threshold",
                       "real_threshold", "classifier", "judges", "explanation", "seeds", "settings",
                       "notes", "probe_tests", "differences", "judge_floors", "latents", "models"]
    assert d["seeds"] == [0] and d["classifier"] is None and d["explanation"] == ""
    assert d["differences"] == [] and d["judge_floors"] == {}
    assert d["settings"]["equivalence_margin"] == 0.03 and d["settings"]["n_boot"] == 2000
    assert d["data"] == "digits" and d["n_held_out"] == 180 and d["n_reference_images"] == 1617
    assert d["hole_threshold"] == 0.25 and d["notes"] == ["a note"]
    assert d["settings"]["n_prior"] == 2000 and d["settings"]["epsilon"] == 0.01
    assert d["models"][0]["name"] == "AE" and "extras" not in d["models"][0]
    assert d["models"][1]["path_length"] == 1.5


@pytest.mark.parametrize("val_fraction,n_train", [(0.9, 2), (0.95, 1)])
def test_fitted_prior_uses_the_training_codes_when_there_are_two(val_fraction, n_train):
    # a plain AE's prior is fitted to its training codes; with fewer than two, to all codes
    data = synthetic_data(20, seed=2)
    model = pca_model(data, 2, kind="ae", gain=3.0)
    s = MetricSettings(n_prior=100, n_pairs=3, n_path=5, val_fraction=val_fraction, seed=3)
    held = split_indices(20, val_fraction, 0)[1]
    train = np.setdiff1d(np.arange(20), held)
    assert len(train) == n_train
    codes = model.np_encode(data.images)
    fit_on = codes[train] if n_train >= 2 else codes
    z = fit_gaussian(fit_on).sample(s.n_prior, s.seed)
    want = nearest_rms(model.np_decode(z), data.images[train]).mean()
    m = drain(compare_models({"ae": model}, data, s)).models[0]
    assert m.prior_distance == pytest.approx(want, rel=2e-5)


def test_a_conditional_model_is_reconstructed_under_each_images_own_label(digits):
    """The CVAE's encoder and decoder take the label: compare's reconstruction error is that
    of each held-out image under its own label, not under the default label, in the first
    look that streams to the table as in the finished one."""
    from dataclasses import replace

    from latent_atlas.explorer.core.data import ImageSet
    from latent_atlas.explorer.core.inference import reconstruct_float
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model

    model = build_model(ModelConfig(kind="cvae", arch="mlp", input_shape=(1, 8, 8),
                                    latent_dim=3, hidden=(32,), n_classes=10, seed=0)).eval()
    data = ImageSet(images=digits.images[:300], labels=digits.labels[:300], spec="digits:300")
    settings = replace(SETTINGS, classifier=False, probe_labels=())
    events = []
    m = drain(compare_models({"cvae": model}, data, settings), events.append).models[0]
    streamed = next(e.partial for e in events if e.partial is not None).models[0]
    held = held_out_indices(len(data.images), [0], settings.val_fraction)[0]
    x = data.images[held].reshape(len(held), -1).astype(np.float64) / 255.0

    def mse(lab):
        r = reconstruct_float(model, data.images[held], labels=lab).reshape(len(held), -1)
        return float(((r - x) ** 2).mean())

    assert m.recon_mse == pytest.approx(mse(data.labels[held]), rel=1e-5)
    assert streamed.recon_mse == pytest.approx(m.recon_mse, rel=1e-6)
    assert abs(mse(np.zeros(len(held), dtype=np.int64)) - m.recon_mse) > 1e-6


@pytest.mark.parametrize("classifier", [True, False])
def test_without_labels_the_note_says_so_whether_or_not_the_judge_was_asked_for(data, classifier):
    """No labels: the note names the missing labels (not a judge turned off), asked or not."""
    from dataclasses import replace

    res = drain(compare_models({"m": pca_model(data, 2)}, data,
                               replace(SETTINGS, classifier=classifier)))
    assert "the data has no labels, so only the pixel judges are used" in res.notes
    assert "the classifier judge was turned off" not in res.notes


def _measure_with_spy(monkeypatch, data, settings: MetricSettings, kind: str = "vae"):
    """`measure_rest` on a 3-component linear model, recording every batch of codes it
    decodes (in order) and returning (measured, batches, codes, held-out, training pool,
    first look)."""
    from latent_atlas.explorer.core import inference
    from latent_atlas.explorer.core.analysis.gaps.score import RealImageIndex

    model = pca_model(data, 3, kind=kind)
    held = split_indices(len(data.images), 0.1, 0)[1]
    index = RealImageIndex(data.images)
    first = drain(first_look(model, data.images, held, index, settings))
    batches: list[np.ndarray] = []
    real = inference.decode_float

    def spy(m, z, **kw):
        batches.append(np.array(z, copy=True))
        return real(m, z, **kw)

    monkeypatch.setattr(inference, "decode_float", spy)
    measured = drain(measure_rest(first, data.images, held, index, settings))
    return measured, batches, first.codes, held, first.train_pool, first


def test_knn_between_decodes_lie_strictly_inside_segments_to_near_neighbours(data, monkeypatch):
    """The kNN row decodes one point per distinct held-out start, at a uniform random
    fraction of the way to one of its `knn` nearest training codes: on the segment,
    strictly between its ends, and spread over (0, 1)."""
    s = MetricSettings(n_prior=50, n_pairs=4, steps=3, n_path=10, seed=4, n_between=1000, knn=3)
    measured, batches, codes, held, pool, _ = _measure_with_spy(monkeypatch, data, s)
    knn = [b for b in batches if len(b) == len(held)]
    assert len(knn) == 1  # n_between > held-out images: every held-out image starts once
    z = knn[0].astype(np.float64)
    c = codes.astype(np.float64)
    starts, fractions = [], []
    for row in z:
        best = None
        for a in held:
            d = c[pool] - c[a]  # every segment from this start to a training code
            t = np.clip(((row - c[a]) @ d.T) / np.maximum((d ** 2).sum(axis=1), 1e-300), 0, 1)
            miss = np.linalg.norm(c[a] + t[:, None] * d - row, axis=1)
            j = int(np.argmin(miss))
            if best is None or miss[j] < best[0]:
                best = (miss[j], a, pool[j], t[j])
        miss, a, target, t = best
        assert miss < 1e-4 * np.abs(c).max()  # on a segment start -> training code
        near = np.argsort(np.linalg.norm(c[pool] - c[a], axis=1))
        assert target in pool[near[:s.knn + 1]] and target != a
        starts.append(a)
        fractions.append(t)
    assert sorted(starts) == sorted(held.tolist())  # each held-out image once, no repeats
    fractions = np.asarray(fractions)
    assert 0.0 < fractions.min() and fractions.max() < 1.0
    assert fractions.std() > 0.15  # uniform on (0, 1): sd 0.29
    assert measured.judged["between/knn"].dist.shape == (len(held), 1)


def test_every_judged_set_is_units_by_draws(data, monkeypatch):
    """Each set of decodes is judged as P units x T draws: one column for independent
    decodes (the samplers, kNN), one per step of BETWEEN_T for pairs of codes."""
    from latent_atlas.explorer.core.analysis.gaps.holes import BETWEEN_T

    s = MetricSettings(n_prior=50, n_pairs=4, steps=3, n_path=10, seed=4, n_between=7, knn=3)
    measured, batches, codes, held, *_ = _measure_with_spy(monkeypatch, data, s, kind="ae")
    shapes = {k: j.dist.shape for k, j in measured.judged.items()}
    assert shapes == {"reconstruction": (len(held), 1), "holes/own": (50, 1),
                      "holes/fitted_gaussian": (50, 1), "holes/standard_normal": (50, 1),
                      "holes/gmm": (50, 1), "between/random": (7, len(BETWEEN_T)),
                      "between/knn": (7, 1)}
    # the between-codes batch is the pairs' codes at each fraction of BETWEEN_T, pair-major
    pairs = between_pairs_for(held, s)
    t = np.asarray(BETWEEN_T)[None, :, None]
    want = ((1 - t) * codes[pairs[:, 0]][:, None] + t * codes[pairs[:, 1]][:, None])
    got = [b for b in batches if len(b) == 7 * len(BETWEEN_T)]
    assert len(got) == 1
    np.testing.assert_allclose(got[0], want.reshape(-1, codes.shape[1]), rtol=1e-5, atol=1e-6)


def between_pairs_for(held: np.ndarray, s: MetricSettings) -> np.ndarray:
    from latent_atlas.explorer.core.analysis.gaps.holes import between_pairs

    return between_pairs(held, None, s.n_between, s.seed)["random"]


@pytest.mark.parametrize("kind,same", [("ae", {"fitted_gaussian": "own"}),
                                       ("vae", {"standard_normal": "own"})])
def test_the_sampler_equal_to_the_own_prior_reuses_its_decodes_at_any_seed(data, monkeypatch,
                                                                          kind, same):
    """With seed 4 (not a sampler's default 0), the sampler that draws the own prior's
    codes is still recognised and not decoded again; the mixture is fitted once, with the
    progress reports, never a second time by `make_samplers`."""
    from latent_atlas.explorer.core.analysis.gaps import samplers

    def refit(*a, **kw):
        raise AssertionError("the mixture was fitted a second time")

    monkeypatch.setattr(samplers, "fit_gmm", refit)
    s = MetricSettings(n_prior=50, n_pairs=4, steps=3, n_path=10, seed=4, n_between=7, knn=3)
    measured, batches, *_ = _measure_with_spy(monkeypatch, data, s, kind=kind)
    assert measured.metrics.same_draws == same
    assert measured.judged[f"holes/{next(iter(same))}"] is measured.judged["holes/own"]
    assert sum(len(b) == 50 for b in batches) == 2  # the two other samplers, once each


def test_the_checkerboard_intervals_and_the_mixture_record_follow_the_settings(data, monkeypatch):
    """The checkerboard intervals are bootstrapped with the settings' seed (a seed-0
    interval differs), and the mixture's size and whether BIC hit the cap reach the
    metrics as the search found them."""
    from dataclasses import replace

    from latent_atlas.explorer.core.analysis.claims.checkerboard import checkerboard_interval
    from latent_atlas.explorer.core.analysis.comparison import measure
    from latent_atlas.explorer.core.analysis.gaps.samplers import fit_gmm_steps

    def capped_search(codes, seed=0):
        gmm = yield from fit_gmm_steps(codes, max_components=2, seed=seed)
        return replace(gmm, capped=True)  # as if BIC was still falling at the largest size

    monkeypatch.setattr(measure, "fit_gmm_steps", capped_search)
    s = MetricSettings(n_prior=50, n_pairs=4, steps=3, n_path=10, seed=4, n_between=7, knn=3)
    measured, _, _, held, _, first = _measure_with_spy(monkeypatch, data, s, kind="ae")
    m = measured.metrics
    real = data.images[held]
    assert m.checker == {"recon": checkerboard_interval(first.recon, real, seed=4),
                         "prior": checkerboard_interval(first.prior_imgs, real, seed=4)}
    assert m.checker["recon"] != checkerboard_interval(first.recon, real, seed=0)
    assert m.checker["prior"] != checkerboard_interval(first.prior_imgs, real, seed=0)
    assert m.gmm_capped is True and m.gmm_components in (1, 2)


def test_the_first_look_records_labels_and_switches_only_for_models_that_use_them(digits):
    """`_FirstLook.own` holds the labels a conditional model encoded under (None for any
    other model, labels or not), and `reference` the switch reference of a max-unpooling
    model only (None for the others, which decode without one)."""
    from latent_atlas.explorer.core.analysis.gaps.score import RealImageIndex
    from latent_atlas.explorer.core.data import ImageSet
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model

    data = ImageSet(images=digits.images[:300], labels=digits.labels[:300], spec="digits:300")
    held = held_out_indices(len(data.images), [0], SETTINGS.val_fraction)[0]
    index = RealImageIndex(data.images)
    looks = {}
    for kind in ("vae", "cvae"):
        model = build_model(ModelConfig(kind=kind, arch="mlp", input_shape=(1, 8, 8),
                                        latent_dim=3, hidden=(32,), n_classes=10,
                                        seed=0)).eval()
        looks[kind] = drain(first_look(model, data.images, held, index, SETTINGS,
                                       labels=data.labels))
    assert looks["vae"].own is None and looks["vae"].reference is None
    assert looks["cvae"].own is data.labels and looks["cvae"].reference is None
