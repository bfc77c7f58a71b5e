"""The upsampling table's markdown (benchmarks/upsampling_table.py), on a constructed
compare document: each number lands in its own column, with its interval and verdict."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _module():
    spec = importlib.util.spec_from_file_location("upsampling_table",
                                                  ROOT / "benchmarks" / "upsampling_table.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _judged(f: float) -> dict:
    return {"fraction": f, "low": f - 0.01, "high": f + 0.01}


def _model(kind: str, own_pixel: float, knn: float) -> dict:
    return {"kind": kind, "recon_mse": 0.0123, "path_length": 0.0871,
            "holes": {"own": {"pixel": _judged(own_pixel), "classifier": _judged(0.5)},
                      "gmm": {"classifier": _judged(0.2)}},
            "between": {"same_label": {"classifier": _judged(0.08)}},
            "reconstruction": {"classifier": _judged(0.14)},
            "checker": {"recon": {"ratio": 0.41, "low": 0.39, "high": 0.44}},
            "checker_prior": 0.33, "checker_standard_normal": 6.07,
            "probe": {"100%": {"logistic": {"accuracy": 0.9}, "knn": {"accuracy": knn}},
                      "10%": {"knn": {"accuracy": knn - 0.03}}}}


def test_the_tables_carry_the_paired_difference_the_floors_and_the_probe_test():
    mod = _module()
    doc = {"hole_threshold": 0.2031,
           "models": [_model("ae", 0.324, 0.947), _model("vae", 0.267, 0.959)],
           "judge_floors": {"pixel": _judged(0.05), "classifier": _judged(0.1)},
           "differences": [{"measure": "holes/own", "judge": "pixel", "difference": 0.057,
                            "low": 0.031, "high": 0.082, "verdict": "differs"},
                           {"measure": "holes/gmm", "judge": "classifier",
                            "difference": 0.004, "low": -0.01, "high": 0.02,
                            "verdict": "same"}],
           "probe_tests": {"100%": {"knn": {"p": 0.0234}}}}
    doc["differences"].append({"measure": "probe/100%/knn", "judge": None,
                               "difference": -0.012, "low": -0.022, "high": -0.003,
                               "verdict": "not detected", "p_holm": 0.3851})
    text = mod.markdown([("transpose", doc)])
    lines = text.splitlines()
    row = next(line for line in lines if line.startswith("| transpose (stride) | AE | 0.0123"))
    assert "32.4% [31.4%, 33.4%]" in row
    paired = next(line for line in lines if line.startswith("| transpose (stride) | +"))
    cells = [c.strip() for c in paired.strip("|").split("|")]
    assert cells[1] == "+5.7 [+3.1, +8.2] differs"
    assert cells[2] == "—"  # no record for the classifier's own-prior row
    assert cells[3] == "+0.4 [-1.0, +2.0] same"
    other = next(line for line in lines if line.startswith("| transpose (stride) | VAE | 0.087"))
    cells = [c.strip() for c in other.strip("|").split("|")]
    assert cells[3] == "0.41 [0.39, 0.44]"  # the interval where the document has one
    assert cells[4] == "0.33"  # the bare ratio where it has none
    assert cells[7:] == ["95.9%", "92.9%"]
    test = next(line for line in lines if "McNemar" in line)
    assert [c.strip() for c in test.strip("|").split("|")][-3:] == [
        "—", "-1.2, not detected (p 0.39)", "—"]
    assert "pixel 5.0% [4.0%, 6.0%]" in text and "transpose 0.203" in text
