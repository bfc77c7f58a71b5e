"""The dialogs' and the compare window's models without a display: the Train form's
choices, the metrics table, the gap judges, and the β sweep run as a job."""

from __future__ import annotations

import typing

import numpy as np
import pytest
from psygnal import Signal

from latent_atlas.explorer.core.analysis.comparison.metrics import (
    CompareResult,
    MetricSettings,
    ModelMetrics,
)
from latent_atlas.explorer.core.training import BETA_VAE_DEFAULT, PENALTY_FIELD
from latent_atlas.explorer.session.dispatch import ManualDispatcher
from latent_atlas.explorer.session.jobs import Jobs
from latent_atlas.explorer.session.panels import compare_views, train_form
from latent_atlas.explorer.session.panels.sweep import SweepModel
from latent_atlas.explorer.session.sweep import SweepRequest
from latent_atlas.models.config import (
    DOWNSAMPLE_CHOICES,
    UPSAMPLE_CHOICES,
    Kind,
    downsample_choices,
)


def test_the_train_form_offers_every_kind_of_models_config_the_default_first():
    keys = [k for k, _ in train_form.KINDS]
    assert sorted(keys) == sorted(typing.get_args(Kind)) and keys[0] == "vae"
    assert dict(train_form.KINDS)["beta-vae"] == "BETA-VAE (beta-VAE)"
    assert [k for k, _ in train_form.UPSAMPLES] == list(UPSAMPLE_CHOICES)
    assert [k for k, _ in train_form.DOWNSAMPLES] == list(DOWNSAMPLE_CHOICES)
    for up in UPSAMPLE_CHOICES:
        assert train_form.downsample_choices(up) == downsample_choices(up, "conv")


def test_the_train_form_enables_each_kinds_own_options():
    dae = train_form.variant_fields("dae", "conv")
    assert dae.noise and not dae.penalty_field and not dae.beta and not dae.pretrain
    for kind, (name, label, default) in PENALTY_FIELD.items():
        f = train_form.variant_fields(kind, "mlp")
        assert (f.penalty_field, f.penalty_label, f.penalty_default) == (name, label, default)
    assert train_form.variant_fields("vae", "mlp").pretrain
    assert not train_form.variant_fields("cvae", "mlp").pretrain
    assert not train_form.variant_fields("vae", "conv").pretrain
    assert train_form.beta_for_kind("beta-vae", 1.0) == BETA_VAE_DEFAULT
    assert train_form.beta_for_kind("vae", BETA_VAE_DEFAULT) == 1.0
    assert train_form.beta_for_kind("vae", 2.5) == 2.5
    extra = train_form.train_extra("dae", "mlp", noise="masking", noise_level=0.4, penalty=1.0,
                                   pretrain_epochs=2, sampling={})
    assert extra == {"noise": "masking", "noise_level": 0.4, "pretrain_epochs": 2}
    extra = train_form.train_extra("sae", "conv", noise="gaussian", noise_level=0.3,
                                   penalty=0.01, pretrain_epochs=2,
                                   sampling={"upsample": "nearest", "downsample": "stride"})
    assert extra == {"sparsity_weight": 0.01, "upsample": "nearest", "downsample": "stride"}


def test_the_pair_dialog_starts_from_the_shown_pair(desk):
    ae, _ = desk.show("ae", "vae")
    req = train_form.pair_request_for(ae)
    assert (req.data_spec, req.latent_dim) == ("digits", ae.config.latent_dim)
    assert train_form.pair_request_for(None) == train_form.PairRequest()


def _result() -> CompareResult:
    models = [ModelMetrics(name=n, kind=k, prior="p", recon_mse=m, recon_rms=0.2, recon_p95=0.3)
              for n, k, m in (("a", "ae", 0.01), ("b", "vae", 0.02))]
    return CompareResult(models=models, data_spec="digits", n_held_out=180, n_reference=1617,
                         hole_threshold=0.25, settings=MetricSettings(), real_threshold=0.3,
                         explanation="The VAE has fewer holes.")


def test_the_metrics_table_has_a_column_per_model_and_says_what_differs():
    empty = compare_views.metrics_table(None)
    assert empty.rows == compare_views.metric_rows() and empty.columns == []
    t = compare_views.metrics_table(_result())
    assert t.headers == ["a (AE)", "b (VAE)", "differs"]
    assert len(t.columns) == 3 and all(len(c) == len(t.rows) for c in t.columns)
    assert t.columns[0][t.rows.index("recon MSE")] == "0.0100"
    assert t.explanation == "The VAE has fewer holes." and "180 held-out images" in t.note


def test_the_metrics_model_follows_its_pair():
    class Pair:
        metrics_changed = Signal()

        def __init__(self):
            self.metrics = None
            self.asked = []

        def compute_metrics(self, settings):
            self.asked.append(settings)

    pair = Pair()
    m = compare_views.MetricsModel(MetricSettings(n_prior=10))
    seen = []
    m.changed.connect(lambda: seen.append(m.table))
    m.set_pair(pair)  # type: ignore[arg-type]
    m.compute()
    assert pair.asked == [m.settings]
    pair.metrics = _result()
    pair.metrics_changed.emit()
    assert seen[-1].headers[0] == "a (AE)"
    m.set_pair(None)
    assert m.table.columns == []


def test_the_heatmap_hatches_the_cells_outside_the_hull():
    class Grid:
        inside = np.array([[True, False], [False, False]])
        rect = (0.0, 2.0, 0.0, 2.0)

    assert compare_views.outside_cells(Grid()) == [(1.0, 0.0, 1.0, 1.0), (0.0, 1.0, 2.0, 1.0)]
    assert [name for name, _ in compare_views.GAP_JUDGES] == ["pixel", "classifier"]


@pytest.fixture()
def sweep_jobs():
    d = ManualDispatcher()
    jobs = Jobs(d)
    yield d, jobs
    jobs.shutdown()


def test_bad_betas_say_why_and_start_nothing(sweep_jobs):
    _, jobs = sweep_jobs
    m = SweepModel(jobs)
    for text in ("0, -1", "a", "", "1, 1"):
        m.run(lambda text=text: SweepRequest(betas=SweepRequest.parse_betas(text)))
        assert m.status.startswith("Cannot run:") and not m.running and not jobs.running()
    with pytest.raises(ValueError, match="run the sweep first"):
        m.save_plot("never.png")


def test_a_tiny_sweep_runs_as_a_job_and_gives_the_figure(sweep_jobs, tmp_path):
    import torch

    d, jobs = sweep_jobs
    m = SweepModel(jobs)
    req = SweepRequest(data_spec="digits?limit=400", betas=(0.0, 1.0), arch="mlp", epochs=2,
                       n_prior=200, device="cpu")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # two intra-op threads on a busy 2-core machine train far slower
    try:
        m.run(lambda: req)
        assert m.running and m.status.startswith("Training 2 models")
        assert d.wait_until(lambda: not m.running, 300)
    finally:
        torch.set_num_threads(threads)
    fig = m.figure
    assert fig is not None and m.fraction == 1.0 and m.status == m.result.message
    assert [row[1] for row in fig.rows] == ["ae", "vae"]
    assert fig.header[4] == "holes, own prior"
    assert [label for label, _, _ in fig.columns] == ["β=0", "β=1"]
    assert len(fig.rate) == 1 and len(fig.gaps) >= 2  # one VAE; own prior + fitted Gaussian
    assert all(len(s.x) == len(s.y) == len(s.low) == len(s.high) for s in fig.gaps)
    m.save_plot(tmp_path / "sweep.png")
    assert (tmp_path / "sweep.png").stat().st_size > 10_000


def test_a_streamed_table_marks_what_is_still_measured():
    from dataclasses import replace

    partial = replace(_result(), complete=False, explanation="")
    t = compare_views.metrics_table(partial)
    row = t.rows.index
    assert t.columns[0][row("recon MSE")] == "0.0100"
    assert t.columns[0][row("interp dist")] == compare_views.PENDING  # NaN: not yet measured
    assert t.explanation == compare_views.STREAMING
    done = compare_views.metrics_table(_result())
    assert done.columns[0][row("interp dist")] == "nan"  # a finished NaN is not "pending"
    # the paired tests and the sentences have run, only the per-latent rows are to come
    tested = compare_views.metrics_table(replace(_result(), complete=False))
    assert tested.explanation == "The VAE has fewer holes."
