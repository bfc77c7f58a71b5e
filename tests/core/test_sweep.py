"""The β sweep in core: parsing β, one config per β, reading gap measures generically,
a tiny end-to-end sweep on digits, cancelling, and the PNG."""

from __future__ import annotations

import io
import json
import math
import threading

import numpy as np
import pytest

from latent_atlas.explorer.core.analysis.comparison.metrics import (
    CompareResult,
    MetricSettings,
    ModelMetrics,
)
from latent_atlas.explorer.core.analysis.comparison.sweep import (
    SweepPoint,
    SweepResult,
    beta_columns,
    dodge_offsets,
    format_sweep_table,
    gap_measures,
    gap_series,
    parse_betas,
    rate_points,
    run_sweep,
    sweep_configs,
    sweep_table,
)
from latent_atlas.explorer.core.progress import Cancelled, drain
from latent_atlas.models.config import ModelConfig
from tests.fixture_scope import shared

TINY = MetricSettings(n_prior=200, n_pairs=10, n_path=50)


@pytest.fixture(scope=shared, autouse=True)
def _one_torch_thread():
    """On a shared, loaded 2-core machine two intra-op threads train 15-60x slower than one
    (measured: 2 epochs of a small MLP on digits 10-37 s against 0.6 s)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_parse_betas_reads_a_comma_list():
    assert parse_betas("0, 0.25,1,4") == (0.0, 0.25, 1.0, 4.0)
    assert parse_betas("2") == (2.0,)


@pytest.mark.parametrize("text", ["", " ", ",", "a", "0,x", "-1", "0,-0.5", "0,,1", "1,1",
                                  "nan", "inf", "1e9", ",".join(["1"] * 3)])
def test_parse_betas_refuses_bad_lists_with_a_message(text):
    with pytest.raises(ValueError) as info:
        parse_betas(text)
    assert "β" in str(info.value) or "--beta" in str(info.value)


def test_one_config_per_beta_only_kind_and_beta_change():
    base = ModelConfig(kind="vae", arch="mlp", input_shape=(1, 8, 8), latent_dim=4,
                       hidden=(16,), epochs=3, seed=5)
    ae, vae, heavy = sweep_configs(base, (0, 0.5, 4))
    assert ae.kind == "ae" and vae.kind == "vae" and heavy.kind == "vae"
    assert (vae.beta, heavy.beta) == (0.5, 4.0)
    assert not ae.is_variational
    for c in (ae, vae, heavy):
        assert c.replace(kind="vae", beta=1.0) == base.replace(beta=1.0)


def _metrics(name: str, kind: str, mse: float, own: float, fitted: float) -> ModelMetrics:
    def h(f):
        return {"pixel": {"fraction": f, "low": f - 0.02, "high": f + 0.03}}
    return ModelMetrics(name=name, kind=kind, prior="", recon_mse=mse, recon_rms=math.sqrt(mse),
                        recon_p95=0.2, hole_threshold=0.2,
                        holes={"own": h(own), "standard_normal": h(0.9),
                               "fitted_gaussian": h(fitted), "gmm": h(0.1)})


def test_gap_measures_read_holes_and_between_when_the_metrics_have_it():
    m = _metrics("β=1", "vae", 0.05, 0.3, 0.2)
    g = gap_measures(m)
    assert list(g) == ["holes.own.pixel", "holes.fitted_gaussian.pixel"]
    assert g["holes.own.pixel"]["fraction"] == 0.3 and g["holes.own.pixel"]["high"] == pytest.approx(0.33)
    # the `between` field of the new metrics, and a second judge, read generically
    m.holes["own"]["classifier"] = {"fraction": 0.6, "low": 0.5, "high": 0.7}
    m.between = {"same_label": {"pixel": {"fraction": 0.1, "low": 0.05, "high": 0.15}},
                 "knn": {"pixel": {"fraction": 0.2, "low": 0.1, "high": 0.3},
                         "classifier": {"fraction": 0.4, "low": 0.3, "high": 0.5}}}
    g = gap_measures(m)
    assert set(g) == {"holes.own.pixel", "holes.own.classifier", "holes.fitted_gaussian.pixel",
                      "between.same_label.pixel", "between.knn.pixel", "between.knn.classifier"}
    assert "classifier" in g["between.knn.classifier"]["label"]
    assert set(gap_measures(m, ["pixel"])) == {"holes.own.pixel", "holes.fitted_gaussian.pixel",
                                              "between.same_label.pixel", "between.knn.pixel"}


def _fake_result(with_between: bool) -> SweepResult:
    points = []
    for beta, mse, own, kl in ((0.0, 0.02, 0.5, None), (1.0, 0.03, 0.2, 12.0),
                               (4.0, 0.05, 0.1, 4.0)):
        m = _metrics(f"β={beta:g}", "ae" if beta == 0 else "vae", mse, own, own / 2)
        if with_between:
            m.between = {"different_label": {"pixel": {"fraction": own / 3, "low": 0.0,
                                                       "high": own / 2}}}
        points.append(SweepPoint(beta=beta, kind=m.kind, name=m.name, epochs_completed=3,
                                 metrics=m, kl=kl, val_recon_loss=20.0))
    compare = CompareResult(models=[p.metrics for p in points], data_spec="fake",
                            n_held_out=100, n_reference=900, hole_threshold=0.2,
                            settings=MetricSettings())
    return SweepResult(points=points, data_spec="fake", arch="mlp", latent_dim=4, epochs=3,
                       seed=0, compare=compare)


def test_series_table_and_rate_points_of_a_constructed_sweep():
    r = _fake_result(with_between=True)
    series = gap_series(r)
    assert [s.key for s in series] == ["holes.own.pixel", "holes.fitted_gaussian.pixel",
                                       "between.different_label.pixel"]
    own = series[0]
    assert own.betas == (0.0, 1.0, 4.0) and own.x == (0.02, 0.03, 0.05)
    assert own.y == (0.5, 0.2, 0.1)
    assert rate_points(r) == [(1.0, 0.03, 12.0), (4.0, 0.05, 4.0)]  # the AE has no rate
    header, rows = sweep_table(r)
    assert header[:4] == ["β", "kind", "recon MSE", "KL (nats)"] and len(header) == 7
    assert rows[0][:4] == ["0", "ae", "0.0200", "-"] and rows[1][3] == "12.00"
    assert rows[0][4] == "50.0% [48.0%, 53.0%]"
    text = format_sweep_table(r)
    assert "hole threshold 0.200" in text
    md = format_sweep_table(r, markdown=True)
    assert md.splitlines()[0].startswith("| β | kind |")
    assert len(gap_series(_fake_result(with_between=False))) == 2


def test_beta_columns_share_a_label_when_errors_coincide():
    r = _fake_result(with_between=False)
    cols = beta_columns(r)
    assert [(c.x, c.label) for c in cols] == [(0.02, "β=0"), (0.03, "β=1"), (0.05, "β=4")]
    assert cols[0].top == pytest.approx(0.53)  # the AE's highest interval end
    r.points[1].metrics.recon_mse = 0.0201  # β=1 as good as the AE: one column, one label
    cols = beta_columns(r)
    assert [c.label for c in cols] == ["β=0, 1", "β=4"] and cols[0].betas == (0.0, 1.0)
    assert cols[0].x == pytest.approx(0.02005)


def test_dodge_offsets_are_centred_and_spaced_by_the_x_range():
    r = _fake_result(with_between=False)  # recon MSE 0.02 .. 0.05
    assert dodge_offsets(r, 3, width=0.1) == pytest.approx([-0.003, 0.0, 0.003])
    assert dodge_offsets(r, 1) == [0.0]


def test_plot_is_a_png_with_content():
    from PIL import Image

    from latent_atlas.explorer.core.analysis.comparison.sweep_plot import render_sweep_png

    for between in (False, True):
        img = Image.open(io.BytesIO(render_sweep_png(_fake_result(between), dpi=60)))
        assert img.format == "PNG" and img.width > 400 and img.height > 200
        a = np.asarray(img.convert("L"), dtype=float)
        assert a.std() > 5  # axes, points and text, not a blank canvas


@pytest.fixture(scope=shared)
def tiny_sweep():
    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.explorer.core.training import make_config

    data = load_data("digits", limit=500)
    cfg = make_config(data, kind="vae", arch="mlp", latent_dim=4, hidden=(32,), epochs=2,
                      seed=1)
    events = []
    result = drain(run_sweep(cfg, data, (0, 1), settings=TINY, device="cpu"), events.append)
    return result, events


def test_tiny_sweep_trains_an_ae_for_beta_zero_and_measures_both(tiny_sweep):
    import torch

    r, events = tiny_sweep
    assert r.betas == [0.0, 1.0]
    ae, vae = r.points
    assert (ae.kind, vae.kind) == ("ae", "vae")
    assert ae.model.config.kind == "ae" and vae.model.config.beta == 1.0
    with torch.inference_mode():
        _, logvar = ae.model.encode(torch.zeros(1, 1, 8, 8))
    assert logvar is None  # a plain AE: no variance head
    assert ae.kl is None and vae.kl is not None and vae.kl > 0
    assert ae.epochs_completed == vae.epochs_completed == 2
    # measured together: one threshold, one held-out set
    assert ae.metrics.hole_threshold == vae.metrics.hole_threshold == r.compare.hole_threshold
    for p in r.points:
        assert 0 < p.recon_mse < 1
        for g in p.gaps().values():
            assert 0 <= g["low"] <= g["fraction"] <= g["high"] <= 1
    fractions = [e.fraction for e in events if e.fraction is not None]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    doc = json.loads(json.dumps(r.to_dict()))
    assert [p["beta"] for p in doc["points"]] == [0.0, 1.0]
    assert doc["points"][0]["kl"] is None and "holes.own.pixel" in doc["points"][1]["gaps"]


def test_cancel_during_training_raises_cancelled():
    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.explorer.core.training import make_config

    data = load_data("digits", limit=300)
    cfg = make_config(data, kind="vae", arch="mlp", latent_dim=2, hidden=(8,), epochs=50,
                      batch_size=16)
    cancel = threading.Event()
    gen = run_sweep(cfg, data, (0, 1), settings=TINY, device="cpu", cancel=cancel)
    seen = 0
    with pytest.raises(Cancelled):
        for event in gen:
            seen += 1
            if event.stage == "batch":
                cancel.set()
    assert seen < 50


def test_bad_inputs_are_value_errors():
    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.explorer.core.training import make_config

    data = load_data("digits", limit=100)
    cfg = make_config(data, kind="vae", arch="mlp", latent_dim=2, epochs=0)
    with pytest.raises(ValueError, match="at least 1 epoch"):
        drain(run_sweep(cfg, data, (0, 1)))
    with pytest.raises(ValueError, match="β"):
        drain(run_sweep(cfg.replace(epochs=1), data, (0, -1)))
