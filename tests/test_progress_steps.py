"""Progress inside long steps (issue 26): training batches, the classifier judge's and the
mixture's fits report steps, so no bar stands still for tens of seconds."""

from __future__ import annotations

import re

import numpy as np

from latent_atlas.explorer.core.progress import drain


class _Bar:
    def __init__(self):
        self.n, self.shown = 0, []

    def set_description(self, text):
        pass

    def set_postfix_str(self, text, refresh=True):
        self.postfix = text

    def set_postfix(self, post):
        self.shown.append((self.n, "epoch"))

    def refresh(self):
        self.shown.append((self.n, self.postfix))


def test_training_shows_batches_within_an_epoch_throttled():
    from latent_atlas.explorer.cli.train import BATCH_REFRESH_S, _drain
    from latent_atlas.models.trainer import TrainProgress

    def run():
        for epoch in (1, 2):
            for step in range(1, 41):
                yield TrainProgress("batch", epoch=epoch, epochs=2, step=step, steps=40,
                                    losses={"total": 1.0}, images_per_s=100.0)
            yield TrainProgress("epoch", epoch=epoch, epochs=2, step=40, steps=40,
                                losses={"total": 1.0}, images_per_s=100.0)
        return "done"

    ticks = iter(np.arange(0, 100, 0.1))  # a fake clock: 0.1 s per event
    bar = _Bar()
    assert _drain(run(), bar, clock=lambda: next(ticks)) == "done"
    batches = [(n, text) for n, text in bar.shown if text != "epoch"]
    # 82 events 0.1 s apart, refreshed at most every BATCH_REFRESH_S: about 16, not 80
    assert 10 <= len(batches) <= 82 * 0.1 / BATCH_REFRESH_S + 2
    assert any(0 < n < 1 for n, _ in batches) and any(1 < n < 2 for n, _ in batches)
    assert all("batch " in text and "/40" in text for _, text in batches)
    assert [n for n, text in bar.shown if text == "epoch"] == [1, 2]


def test_the_classifier_judge_reports_steps_of_its_fit(tmp_path, monkeypatch):
    from latent_atlas.explorer.core.analysis.gaps import judges
    from latent_atlas.explorer.core.data import load_data

    data = load_data("digits", limit=300)
    idx = np.arange(300)
    events = []
    judge = drain(judges.classifier_judge(data.images, data.labels, idx[:250], idx[250:],
                                          use_cache=False, span=(0.0, 0.1)), events.append)
    assert judge is not None
    steps = [e for e in events if "training the classifier judge: step" in e.message]
    assert len(steps) >= 10
    fractions = [e.fraction for e in steps]
    assert fractions == sorted(fractions) and 0 < fractions[0] and fractions[-1] <= 0.1
    assert re.search(r"step (\d+)/\1$", steps[-1].message)  # the last step is reported


def test_the_mixture_fit_reports_each_component_count_and_gives_the_same_mixture():
    from latent_atlas.explorer.core.analysis.gaps.samplers import fit_gmm, fit_gmm_steps

    codes = np.random.default_rng(0).normal(size=(400, 2))
    codes[:200] += 6
    seen = []
    mixture = drain(fit_gmm_steps(codes, 4, seed=1), seen.append)
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    again = fit_gmm(codes, 4, seed=1)
    np.testing.assert_allclose(mixture.means, again.means)
    assert mixture.bic == again.bic
