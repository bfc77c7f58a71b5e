"""The β sweep dialog's model with seeds, without Qt: the β × seed sweep of
`latent-atlas sweep --seeds`, its table, verdicts and plot as the command gives them."""

from __future__ import annotations

import io

import pytest

from latent_atlas.explorer.session.dispatch import ManualDispatcher
from latent_atlas.explorer.session.jobs import Jobs
from latent_atlas.explorer.session.panels.sweep import SweepModel
from latent_atlas.explorer.session.sweep import SweepRequest


def _run(model: SweepModel, dispatcher: ManualDispatcher, make) -> None:
    model.run(make)
    assert dispatcher.wait_until(lambda: not model.running, 600), "the sweep did not finish"
    dispatcher.process()


def test_seeds_run_the_beta_seed_sweep_and_show_what_the_command_prints(tmp_path):
    from PIL import Image

    from latent_atlas.explorer.core.analysis.disentangle.beta_seeds import (
        BetaSeedResult,
        format_beta_seed_table,
    )

    dispatcher = ManualDispatcher()
    m = SweepModel(Jobs(dispatcher))
    assert "seeds" in m.status
    req = SweepRequest(data_spec="shapes:300?size=16", betas=(0.0, 4.0), arch="mlp",
                       latent_dim=3, epochs=1, device="cpu",
                       seeds=SweepRequest.parse_seeds("0, 1"))
    _run(m, dispatcher, lambda: req)
    r = m.result
    assert isinstance(r, BetaSeedResult), m.status
    assert sorted((p.beta, p.seed) for p in r.points) == [(0, 0), (0, 1), (4, 0), (4, 1)]
    assert "4 models (2 β × 2 seeds)" in m.status and m.fraction == 1.0
    fig = m.figure
    assert fig is not None and fig.header[:3] == ["β", "kind", "seeds"]
    assert [row[:3] for row in fig.rows] == [["0", "ae", "2"], ["4", "vae", "2"]]
    cli = format_beta_seed_table(r, markdown=True)  # what `sweep --seeds --markdown` prints
    for row in fig.rows:
        assert "| " + " | ".join(row) + " |" in cli
    assert fig.footer and fig.footer in cli and "MIG:" in fig.footer
    with Image.open(io.BytesIO(fig.png)) as im:
        assert im.size[0] > 800
    m.save_plot(tmp_path / "seeds.png")
    assert (tmp_path / "seeds.png").read_bytes() == fig.png


@pytest.mark.parametrize("data, seeds, words", [
    ("digits?limit=200", "0", "no factor columns"),
])
def test_seeds_on_data_without_factors_say_why(data, seeds, words):
    dispatcher = ManualDispatcher()
    m = SweepModel(Jobs(dispatcher))
    _run(m, dispatcher, lambda: SweepRequest(data_spec=data, betas=(0.0,), arch="mlp",
                                             latent_dim=2, epochs=1, device="cpu",
                                             seeds=SweepRequest.parse_seeds(seeds)))
    assert m.result is None and words in m.status and m.status.startswith("The sweep failed")


@pytest.mark.parametrize("text, words", [("0, 0", "each seed once"), ("a", "whole numbers"),
                                         ("-1", ">= 0")])
def test_bad_seeds_say_why_and_start_nothing(text, words):
    dispatcher = ManualDispatcher()
    m = SweepModel(Jobs(dispatcher))
    m.run(lambda: SweepRequest(seeds=SweepRequest.parse_seeds(text)))
    assert not m.running and m.status.startswith("Cannot run:") and words in m.status
    assert SweepRequest.parse_seeds("  ") == ()
