"""The β × seed summary: mean and spread per β, and the verdict that a difference counts
only when the seed ranges part."""

from __future__ import annotations

import numpy as np
import pytest

from latent_atlas.explorer.core.analysis.disentangle.beta_seeds import (
    BetaSeedResult,
    SeedPoint,
    beyond_spread,
    format_beta_seed_table,
    parse_seeds,
    verdicts,
)
from latent_atlas.explorer.core.analysis.disentangle.measure import METRICS


def _result(mig: dict[float, list[float]]) -> BetaSeedResult:
    points = []
    for beta, values in mig.items():
        for seed, v in enumerate(values):
            vals = {k: 0.5 for k in METRICS} | {"mig": v, "recon_mse": 0.01 * (1 + beta),
                                                "n_active": 5.0}
            points.append(SeedPoint(beta=beta, seed=seed, kind="vae" if beta else "ae",
                                    epochs=1, values=vals, intervals={},
                                    importance=np.eye(2)))
    return BetaSeedResult(points=points, betas=tuple(mig), seeds=(0, 1, 2), data_spec="shapes",
                          arch="conv", latent_dim=2, epochs=1)


def test_summary_is_mean_and_sample_sd_over_seeds():
    r = _result({0.0: [0.1, 0.2, 0.3], 1.0: [0.2, 0.2, 0.2]})
    s = r.summary("mig", 0.0)
    assert s["mean"] == pytest.approx(0.2) and s["sd"] == pytest.approx(0.1)
    assert (s["min"], s["max"], s["n"]) == (0.1, 0.3, 3)
    assert r.summary("kl", 0.0)["n"] == 0  # the AE has no KL


def test_a_difference_counts_only_beyond_the_seed_range():
    r = _result({0.0: [0.1, 0.1, 0.1], 1.0: [0.1, 0.2, 0.3], 4.0: [0.31, 0.4, 0.5],
                 8.0: [0.25, 0.4, 0.5], 16.0: [0.0, 0.01, 0.05]})
    assert beyond_spread(r, "mig", 1.0, 4.0) == 1
    assert beyond_spread(r, "mig", 1.0, 8.0) == 0  # 0.25 < 0.3: the ranges overlap
    assert beyond_spread(r, "mig", 1.0, 16.0) == -1
    v = verdicts(r)
    assert "above β=1 beyond the seed spread at β=4" in v["mig"]
    assert "below β=1 beyond the seed spread at β=16" in v["mig"]
    assert "no β above 1" in v["sap"]


def test_table_has_one_row_per_beta():
    r = _result({0.0: [0.1, 0.2, 0.3], 4.0: [0.2, 0.2, 0.2]})
    text = format_beta_seed_table(r, markdown=True)
    lines = text.splitlines()
    assert lines[2].startswith("| 0 | ae | 3 |") and "0.200 ± 0.100" in lines[2]
    assert lines[3].startswith("| 4 | vae | 3 |")


@pytest.mark.parametrize("text", ["", "a", "1,1", "-2"])
def test_bad_seed_lists_say_why(text):
    with pytest.raises(ValueError):
        parse_seeds(text)


def test_measure_rows_are_the_same_subset_for_every_model():
    from latent_atlas.explorer.core.analysis.disentangle.beta_seeds import measure_rows

    a, b = measure_rows(1000, 200), measure_rows(1000, 200)
    assert np.array_equal(a, b) and len(a) == 200 and len(np.unique(a)) == 200
    assert np.all(np.diff(a) > 0)
    assert np.array_equal(measure_rows(50, None), np.arange(50))
    assert np.array_equal(measure_rows(50, 80), np.arange(50))
