"""benchmarks/regressions.py: which figure got more than 20 % worse (no timing here)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _module():
    spec = importlib.util.spec_from_file_location("regressions", ROOT / "benchmarks" / "regressions.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_figures_are_the_key_value_lines():
    r = _module()
    text = ("models: a, b\nfirst_paint_s=0.812 (min 0.7; target 0.5)\nrun 0: first_paint_s=9\n"
            "compare.bundled.maps_ready_s=1.5\ncompare.mnist-nomap.aligned_s=9\nalign.bundled.trust_refined=0.97\nn=3 x")
    assert r.figures(text) == {"first_paint_s": 0.812, "compare.bundled.maps_ready_s": 1.5,
                               "compare.mnist-nomap.aligned_s": 9.0,
                               "align.bundled.trust_refined": 0.97, "n": 3.0}


def test_only_judged_figures_more_than_the_limit_worse_are_flagged():
    r = _module()
    before = {"ready_s": 1.0, "gap_ms": 40.0, "align.x.trust_refined": 0.9, "n": 3.0}
    now = {"ready_s": 1.3, "gap_ms": 44.0, "align.x.trust_refined": 0.6, "n": 9.0,
           "new_s": 5.0}
    flagged = {k for k, *_ in r.worse(now, before, 0.2)}
    assert flagged == {"ready_s", "align.x.trust_refined"}
    assert r.worse({"ready_s": 0.5}, before) == []  # faster is never flagged


def test_history_round_trip(tmp_path):
    r = _module()
    path = tmp_path / "history.csv"
    r.record({"ready_s": 2.0}, path)
    r.record({"ready_s": 1.5, "first_paint_s": 0.4}, path)
    assert r.last_recorded(path) == {"ready_s": 1.5, "first_paint_s": 0.4}
