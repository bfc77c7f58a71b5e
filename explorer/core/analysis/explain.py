"""The sentences under the metrics table: which effect the numbers show, and how sure.

    text = explain(result)        # a CompareResult from explorer.core.analysis.metrics

A hole fraction under a model's own prior mixes three effects, which the table measures
apart (docs/metrics.md):

- **reconstruction**: the share of held-out *reconstructions* the judge already calls
  holes, the floor any decode of this model starts from;
- **prior mismatch**: own prior minus the best sampler fitted to the codes themselves
  (the full-covariance Gaussian or the Gaussian mixture): holes that come from sampling
  where the codes are not;
- **gaps between codes**: decodes between two held-out codes of one label (random pairs
  without labels) minus the reconstruction floor: holes *between* the codes.

`explain` names, for each model, the largest of the three, compares the first two models
under their own prior and between codes, and calls a difference significant only when the
95 % intervals do not overlap. It prefers the classifier judge when there is one and says
whether the pixel judge agrees. Everything it says is read off the numbers.
"""

from __future__ import annotations

from typing import Any

from explorer.core.analysis.intervals import overlap
from explorer.core.analysis.samplers import SAMPLER_LABELS

EFFECTS = ("reconstruction", "prior mismatch", "gaps between codes")


def _pct(cell: dict[str, float]) -> str:
    return f"{cell['fraction']:.1%}"


def main_judge(models: list[Any]) -> str:
    """"classifier" when every model was judged by it, else "pixel"."""
    if models and all("classifier" in m.holes.get("own", {}) for m in models):
        return "classifier"
    return "pixel"


def between_kind(m: Any) -> str | None:
    """The between-code measure the explanation weighs as "gaps": pairs of one label when
    there are labels, else random pairs, else neighbours. Pairs of different labels are
    reported but not weighed: a decode halfway between a 3 and an 8 is ambiguous in any
    continuous latent space, so a classifier calls it a hole by design."""
    for kind in ("same_label", "random", "knn"):
        if kind in m.between:
            return kind
    return None


def decompose(m: Any, judge: str) -> dict[str, Any]:
    """The three effects of one model under `judge`, as fractions (may be negative when a
    fitted sampler does worse than the own prior, or decodes between codes do better than
    reconstructions), with the sampler and between-code kind used."""
    own = m.holes["own"][judge]
    fitted = {k: m.holes[k][judge] for k in ("fitted_gaussian", "gmm")
              if judge in m.holes.get(k, {})}
    best_key = min(fitted, key=lambda k: fitted[k]["fraction"]) if fitted else "own"
    best = fitted.get(best_key, own)
    recon = m.reconstruction.get(judge, {"fraction": 0.0, "low": 0.0, "high": 0.0})
    kind = between_kind(m)
    between = m.between[kind][judge] if kind and judge in m.between[kind] else None
    effects = {"reconstruction": recon["fraction"],
               "prior mismatch": own["fraction"] - best["fraction"],
               "gaps between codes": (between["fraction"] - recon["fraction"]
                                      if between is not None else float("nan"))}
    return {"own": own, "best": best, "best_key": best_key, "recon": recon,
            "between": between, "kind": kind, "effects": effects,
            "mismatch_significant": not overlap(own, best)}


def _significance(a: dict[str, float], b: dict[str, float]) -> str:
    return ("significant: the 95 % intervals do not overlap" if not overlap(a, b)
            else "not significant: the 95 % intervals overlap")


def _compare_sentence(a: Any, b: Any, judge: str, other: str | None) -> str:
    fa, fb = a.holes["own"][judge], b.holes["own"][judge]
    s = (f"Sampled from its own prior, the {a.name} decodes to a hole {_pct(fa)} of the time "
         f"and the {b.name} {_pct(fb)} ({judge} judge; {_significance(fa, fb)})")
    if other is not None and other in a.holes["own"] and other in b.holes["own"]:
        oa, ob = a.holes["own"][other], b.holes["own"][other]
        same_sign = (fa["fraction"] - fb["fraction"]) * (oa["fraction"] - ob["fraction"]) > 0
        verb = "agrees" if same_sign or (overlap(fa, fb) and overlap(oa, ob)) else "disagrees"
        sig = "not significant" if overlap(oa, ob) else "significant"
        s += f"; the {other} judge {verb} ({_pct(oa)} against {_pct(ob)}, {sig})"
    if "mean" in fa and len(fa.get("per_seed", [])) > 1:
        s += (f"; over {len(fa['per_seed'])} sampling seeds {fa['mean']:.1%} ± {fa['sd']:.1%} "
              f"against {fb['mean']:.1%} ± {fb['sd']:.1%}")
    return s + "."


def _model_sentence(m: Any, judge: str) -> str:
    d = decompose(m, judge)
    effects = {k: v for k, v in d["effects"].items() if v == v}  # drop NaN
    top = max(effects, key=lambda k: effects[k])
    own, best, recon = d["own"], d["best"], d["recon"]
    label = SAMPLER_LABELS[d["best_key"]]
    if top == "prior mismatch":
        s = (f"For the {m.name} the largest effect is prior mismatch: sampled from the "
             f"{label} fitted to its codes its holes fall from {_pct(own)} to {_pct(best)}"
             + ("" if d["mismatch_significant"] else " (within the intervals)"))
    elif top == "gaps between codes":
        s = (f"For the {m.name} the largest effect is gaps between codes: "
             f"{_pct(d['between'])} of decodes between {_kind_words(d['kind'])} are holes, "
             f"against {_pct(recon)} of its reconstructions")
    else:
        s = (f"For the {m.name} the largest effect is reconstruction: {_pct(recon)} of its "
             "held-out reconstructions already fail the judge")
    if top != "gaps between codes" and d["between"] is not None:
        s += (f"; between {_kind_words(d['kind'])}, {_pct(d['between'])} of decodes are holes")
    return s + "."


def _kind_words(kind: str | None) -> str:
    return {"different_label": "codes of different labels", "same_label": "codes of one label",
            "random": "random pairs of codes", "knn": "neighbouring codes"}.get(kind or "",
                                                                               "codes")


def _between_sentence(a: Any, b: Any, judge: str) -> str | None:
    parts = []
    for kind in ("same_label", "different_label", "random"):
        if kind not in a.between or kind not in b.between or judge not in a.between[kind] \
                or judge not in b.between[kind]:
            continue
        fa, fb = a.between[kind][judge], b.between[kind][judge]
        parts.append(f"between {_kind_words(kind)} the {a.name} has {_pct(fa)} holes and the "
                     f"{b.name} {_pct(fb)} ({_significance(fa, fb)})")
    if not parts:
        return None
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _probe_sentence(a: Any, b: Any, tests: dict[str, Any]) -> str | None:
    """Which model's codes separate the labels better: each classifier of the probe with the
    most labels both models were probed with, significant by McNemar's paired test (by
    interval overlap when the test was not run)."""
    keys = [k for k in a.probe if k in b.probe]
    if not keys:
        return None
    key = max(keys, key=lambda k: float(k.rstrip("%")))
    parts = []
    for clf, title in (("logistic", "a logistic regression"), ("knn", "k-NN")):
        ca, cb = a.probe[key].get(clf), b.probe[key].get(clf)
        if ca is None or cb is None:
            continue
        test = tests.get(key, {}).get(clf)
        sig = _significance(ca, cb) if test is None else (
            f"{'significant' if test['p'] < 0.05 else 'not significant'}: McNemar p = "
            f"{test['p']:.2g} over the images only one of them gets right")
        parts.append(f"{title} reads {ca['accuracy']:.1%} of the held-out labels off the "
                     f"{a.name}'s codes and {cb['accuracy']:.1%} off the {b.name}'s ({sig})")
    if not parts:
        return None
    labelled = "all training labels" if key == "100%" else f"{key} of the training labels"
    return f"Codes as features, with {labelled}: " + "; ".join(parts) + "."


def explain(result: Any) -> str:
    """A few sentences saying what the table shows (see the module docstring)."""
    models = [m for m in result.models if "own" in m.holes]
    if not models:
        return "No hole fractions were measured."
    judge = main_judge(models)
    other = "pixel" if judge == "classifier" else None
    parts: list[str] = []
    if len(models) >= 2:
        parts.append(_compare_sentence(models[0], models[1], judge, other))
    parts += [_model_sentence(m, judge) for m in models]
    if len(models) >= 2:
        between = _between_sentence(models[0], models[1], judge)
        if between:
            parts.append(between)
        probe = _probe_sentence(models[0], models[1], getattr(result, "probe_tests", {}))
        if probe:
            parts.append(probe)
    if judge == "pixel" and not any("classifier" in m.holes.get("own", {}) for m in models):
        why = ("the classifier judge was turned off"
               if not getattr(getattr(result, "settings", None), "classifier", True)
               else "the data has no labels for a classifier")
        parts.append(f"Judged by pixel distance only ({why}).")
    return " ".join(parts)
