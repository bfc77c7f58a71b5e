"""MetricSettings refuses what it cannot measure, at exactly its limits, with a sentence
that names the limit (the CLI and the compare window's form pass these on as they are)."""

from __future__ import annotations

import pytest

from latent_atlas.explorer.core.analysis.comparison.metrics import MAX_PAIRS, MAX_PRIOR
from latent_atlas.explorer.core.analysis.comparison.results import MetricSettings

COUNTS = "n_prior, n_pairs, n_path, n_between and knn must be >= 1 and steps >= 3"
BETWEEN = f"at most {MAX_PAIRS:,} between-code pairs and 1,000 neighbours are measured"
PERCENTILES = "real_percentile must be in (0, 100] and classifier_percentile in (0, 100)"
SIZES = (f"at most {MAX_PRIOR:,} prior samples and path codes, {MAX_PAIRS:,} pairs and "
         "1,000 steps are measured")
EPSILON = "epsilon must be in (0, 1) and hole_percentile in (0, 100]"
PROBE = "probe label fractions must be in (0, 1], e.g. 0.1 for 10 %"
BOOT = "equivalence_margin must be in (0, 0.5) and n_boot in [100, 100,000]"
SMALL = {"n_prior": 10, "n_pairs": 10, "n_path": 10, "n_between": 10}


@pytest.mark.parametrize("field,edge,beyond,words", [
    ("n_between", MAX_PAIRS, MAX_PAIRS + 1, BETWEEN),
    ("knn", 1000, 1001, BETWEEN),
    ("real_percentile", 100.0, 100.01, PERCENTILES),
    ("real_percentile", 0.01, 0.0, PERCENTILES),
    ("classifier_percentile", 99.99, 100.0, PERCENTILES),
    ("classifier_percentile", 0.01, 0.0, PERCENTILES),
    ("n_prior", MAX_PRIOR, MAX_PRIOR + 1, SIZES),
    ("n_path", MAX_PRIOR, MAX_PRIOR + 1, SIZES),
    ("n_pairs", MAX_PAIRS, MAX_PAIRS + 1, SIZES),
    ("steps", 1000, 1001, SIZES),
    ("steps", 3, 2, COUNTS),
    ("knn", 1, 0, COUNTS),
    ("n_prior", 1, 0, COUNTS),
    ("n_pairs", 1, 0, COUNTS),
    ("n_path", 1, 0, COUNTS),
    ("n_between", 1, 0, COUNTS),
    ("epsilon", 0.999, 1.0, EPSILON),
    ("epsilon", 1e-6, 0.0, EPSILON),
    ("hole_percentile", 100.0, 100.01, EPSILON),
    ("hole_percentile", 0.01, 0.0, EPSILON),
    ("probe_labels", (1.0,), (1.01,), PROBE),
    ("probe_labels", (0.001, 1.0), (0.5, 0.0), PROBE),
    ("equivalence_margin", 0.499, 0.5, BOOT),
    ("equivalence_margin", 1e-6, 0.0, BOOT),
    ("n_boot", 100, 99, BOOT),
    ("n_boot", 100_000, 100_001, BOOT),
])
def test_each_limit_is_inclusive_and_refused_one_step_beyond(field, edge, beyond, words):
    kept = MetricSettings(**{**SMALL, field: edge})  # the limit itself is measured
    assert getattr(kept, field) == edge
    with pytest.raises(ValueError) as refused:
        MetricSettings(**{**SMALL, field: beyond})
    assert str(refused.value) == words


def test_one_field_out_of_range_is_enough():
    """Each condition refuses on its own, whatever the other fields hold."""
    with pytest.raises(ValueError, match="between-code pairs"):
        MetricSettings(**SMALL, knn=1001)  # n_between within range
    with pytest.raises(ValueError, match="real_percentile"):
        MetricSettings(**SMALL, real_percentile=101.0)  # classifier_percentile within range
    with pytest.raises(ValueError, match="real_percentile"):
        MetricSettings(**SMALL, classifier_percentile=100.0)  # real_percentile within range
    with pytest.raises(ValueError, match="epsilon"):
        MetricSettings(**SMALL, hole_percentile=101.0)  # epsilon within range
    with pytest.raises(ValueError, match="equivalence_margin"):
        MetricSettings(**SMALL, n_boot=10)  # equivalence_margin within range
