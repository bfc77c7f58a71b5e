"""The progression strip (hold the code, sweep the condition) and its measure, on models
whose answer is known: one that obeys the condition perfectly and one that ignores it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latent_atlas.explorer.core.analysis.applications.common import ApplicationError
from latent_atlas.explorer.core.analysis.applications.progression import progression
from latent_atlas.explorer.core.analysis.applications.progression_measure import (
    condition_factor,
    factor_classes,
    format_progression_table,
    measure_progression,
)
from latent_atlas.explorer.core.progress import drain


class MeanDigit(torch.nn.Module):
    """A conditional model of known behaviour on digits: the code is the image's own
    class; `obeys` decodes (code, label) as the mean image of the label, otherwise as the
    mean image of the code's class (it ignores the condition)."""

    latent_dim, n_cond, variational, seed, kind = 1, 10, False, 0, "mean-digit"
    image_shape = (1, 8, 8)
    code_shape = (1,)

    def __init__(self, digits, obeys: bool):
        super().__init__()
        x = digits.images.astype(np.float32) / 255.0
        means = np.stack([x[digits.labels == c].mean(axis=0) for c in range(10)])
        self.means = torch.from_numpy(means)
        self.obeys = obeys
        self.anchor = torch.nn.Parameter(torch.zeros(1))  # a parameter: the device is the CPU

    def encode(self, x, y=None):
        d = ((x[:, None] - self.means[None]) ** 2).flatten(2).sum(-1)  # nearest mean
        return d.argmin(dim=1, keepdim=True).float(), None

    def decode(self, z, y=None):
        y = torch.as_tensor(0 if y is None else y).expand(len(z))
        which = y if self.obeys else z[:, 0].round().long()
        return self.means[which]


def test_the_strip_decodes_one_code_under_every_condition(digits):
    model = MeanDigit(digits, obeys=True)
    strip = progression(model, np.array([4.0], dtype=np.float32),
                        label_names=[f"d{k}" for k in range(10)])
    assert strip.conditions == list(range(10)) and strip.names[3] == "d3"
    expected = np.round(model.means.numpy()[:, 0] * 255).astype(np.uint8)
    assert np.abs(strip.images.astype(int) - expected.astype(int)).max() <= 1
    ignoring = progression(MeanDigit(digits, obeys=False), np.array([4.0], dtype=np.float32))
    assert all(np.array_equal(ignoring.images[0], ignoring.images[k]) for k in range(10))
    with pytest.raises(ApplicationError, match="has none"):
        progression(type("Plain", (), {"image_shape": (1, 8, 8), "encode": 0, "decode": 0,
                                       "n_cond": 0})(), np.zeros(1))


def test_obeying_reads_as_asked_and_ignoring_reads_as_chance(digits):
    obey = drain(measure_progression(MeanDigit(digits, obeys=True), digits, limit=60))
    ignore = drain(measure_progression(MeanDigit(digits, obeys=False), digits, limit=60))
    assert obey.n_sources == 60 and obey.condition.n == 600 and obey.identity == []
    assert obey.condition.hit["fraction"] > 0.95 and obey.condition.mean_error < 0.1
    # ignoring the label, only the decode under the source's own class reads as asked
    own = ignore.condition.hit["fraction"]
    assert own == pytest.approx(0.1, abs=0.03)
    assert ignore.condition.hit["high"] < obey.condition.hit["low"]
    assert obey.condition.chance == pytest.approx(0.1) and 0.9 < obey.condition.ceiling <= 1
    table = format_progression_table([obey, ignore])
    assert table.count("| mean-digit |") == 2 and "ceiling" in table


def test_the_condition_factor_and_the_identity_classes():
    from latent_atlas.explorer.core.data import load_data

    assert condition_factor(load_data("shapes:300?label=scale")) == "scale"
    assert condition_factor(load_data("shapes:300?label=x&bins=3")) == "x"
    assert condition_factor(load_data("shapes:300")) == "shape"
    assert condition_factor(load_data("digits?limit=50")) is None
    classes, k = factor_classes(np.array([0.0, 0.49, 0.5, 1.0]), 2)
    assert k == 2 and classes.tolist() == [0, 0, 1, 1]
    classes, k = factor_classes(np.array([2, 0, 3]), 6)
    assert k == 4 and classes.tolist() == [2, 0, 3]
