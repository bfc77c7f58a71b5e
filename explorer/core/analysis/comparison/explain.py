"""The sentences under the metrics table: which effect the numbers show, and how sure.

    text = explain(result)        # a CompareResult from latent_atlas.explorer.core.analysis.comparison.metrics

A hole fraction under a model's own prior is split into four quantities, each measured
once (docs/metrics.md, "The decomposition"):

- **reconstruction floor**: the share of held-out *reconstructions* the judge already
  calls holes (each judged by the bar of the other half of the held-out images);
- **prior mismatch**: own prior minus the Gaussian fitted to the codes: the nominal prior
  against a density fitted to the codes. None by construction for a model whose own
  prior *is* that fitted Gaussian (a plain AE): the same draws, the same decodes;
- **space between clusters**: the fitted Gaussian minus the Gaussian mixture fitted to
  the codes: the mass one Gaussian puts between clusters, which the mixture avoids;
- **gaps between codes**: decodes between two held-out codes of one label (random pairs
  without labels) minus the reconstruction floor, measured directly along the pairs.

The first two models are compared by the paired tests of `latent_atlas.explorer.core.analysis.comparison.paired`
(the difference with its paired-bootstrap interval, Holm-adjusted p-values, an
equivalence test for "the same"); without them (a result built by hand) it falls back to
whether the 95 % intervals overlap. It prefers the classifier judge when there is one,
says what the pixel judge finds, and gives every judge's floor on real held-out images.
Everything it says is read off the numbers.
"""

from __future__ import annotations

from typing import Any

from latent_atlas.explorer.core.analysis.comparison.paired import difference_words, find
from latent_atlas.explorer.core.analysis.intervals import overlap

EFFECTS = ("reconstruction floor", "prior mismatch", "space between clusters",
           "gaps between codes")


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
    """The four quantities of one model under `judge` (fractions; a difference may be
    negative), with the cells they come from. `by_construction` lists the quantities that
    are zero because two samplers reuse the same draws (an AE's own prior is its fitted
    Gaussian)."""
    own = m.holes["own"][judge]
    fitted = m.holes.get("fitted_gaussian", {}).get(judge, own)
    gmm = m.holes.get("gmm", {}).get(judge, fitted)
    recon = m.reconstruction.get(judge, {"fraction": 0.0, "low": 0.0, "high": 0.0})
    kind = between_kind(m)
    between = m.between[kind][judge] if kind and judge in m.between[kind] else None
    same = getattr(m, "same_draws", {}) or {}
    by_construction = ["prior mismatch"] if same.get("fitted_gaussian") == "own" else []
    effects = {"reconstruction floor": recon["fraction"],
               "prior mismatch": (0.0 if by_construction
                                  else own["fraction"] - fitted["fraction"]),
               "space between clusters": fitted["fraction"] - gmm["fraction"],
               "gaps between codes": (between["fraction"] - recon["fraction"]
                                      if between is not None else float("nan"))}
    return {"own": own, "fitted": fitted, "gmm": gmm, "recon": recon, "between": between,
            "kind": kind, "effects": effects, "by_construction": by_construction,
            "mismatch_significant": not by_construction and not overlap(own, fitted),
            "clusters_significant": not overlap(fitted, gmm)}


def _significance(a: dict[str, float], b: dict[str, float]) -> str:
    return ("significant: the 95 % intervals do not overlap" if not overlap(a, b)
            else "not significant: the 95 % intervals overlap")


def _verdict(result: Any, measure: str, judge: str | None, a: Any, b: Any,
             ca: dict[str, float], cb: dict[str, float]) -> str:
    """The paired test's words for one row, or interval overlap when it was not run."""
    rec = find(getattr(result, "differences", None) or [], measure, judge)
    return difference_words(rec, a.name, b.name) if rec else _significance(ca, cb)


def _direction(result: Any, measure: str, judge: str) -> int | None:
    """+1 / -1 when the paired test finds the first model higher / lower, 0 when it finds
    them the same or no difference, None when it was not run."""
    rec = find(getattr(result, "differences", None) or [], measure, judge)
    if rec is None:
        return None
    return 0 if rec["verdict"] != "differs" else (1 if rec["difference"] > 0 else -1)


def _prior_words(m: Any) -> str:
    own = m.holes.get("own", {})
    same = getattr(m, "same_draws", {}) or {}
    if same.get("fitted_gaussian") == "own":
        return "the Gaussian fitted to its codes"
    if same.get("standard_normal") == "own":
        return "N(0, I)"
    return "its own prior" if own else "?"


def _compare_sentence(result: Any, a: Any, b: Any, judge: str, other: str | None) -> str:
    fa, fb = a.holes["own"][judge], b.holes["own"][judge]
    s = (f"Sampled from its own prior (the {a.name}: {_prior_words(a)}; the {b.name}: "
         f"{_prior_words(b)}), the {a.name} decodes to a hole {_pct(fa)} of the time and the "
         f"{b.name} {_pct(fb)} ({judge} judge): "
         f"{_verdict(result, 'holes/own', judge, a, b, fa, fb)}")
    if other is not None and other in a.holes["own"] and other in b.holes["own"]:
        oa, ob = a.holes["own"][other], b.holes["own"][other]
        s += (f". By the {other} judge {_pct(oa)} against {_pct(ob)}: "
              f"{_verdict(result, 'holes/own', other, a, b, oa, ob)}")
        da, do = _direction(result, "holes/own", judge), _direction(result, "holes/own", other)
        if da is not None and do is not None and da != do and (da or do):
            s += (". The two judges disagree, and they react to blur in opposite directions "
                  "(the classifier's bar comes from sharp real images, so it rejects blurry "
                  "decodes; the pooled pixel bar is set by the models' own reconstructions, "
                  "so it forgives them): a verdict that flips between them is about blur")
        elif da is None:  # no paired tests: read the two judges' intervals
            same_sign = (fa["fraction"] - fb["fraction"]) * (oa["fraction"] - ob["fraction"]) > 0
            verb = "agrees" if same_sign or (overlap(fa, fb) and overlap(oa, ob)) else \
                "disagrees"
            s += f" (the {other} judge {verb})"
    if "mean" in fa and len(fa.get("per_seed", [])) > 1:
        s += (f"; over {len(fa['per_seed'])} sampling seeds {fa['mean']:.1%} ± {fa['sd']:.1%} "
              f"against {fb['mean']:.1%} ± {fb['sd']:.1%}")
    return s + "."


def _floors_sentence(result: Any, judges: list[str]) -> str | None:
    floors = getattr(result, "judge_floors", None) or {}
    parts = [f"the {j} judge {_pct(floors[j])} [{floors[j]['low']:.1%}, "
             f"{floors[j]['high']:.1%}]" for j in judges if j in floors]
    if not parts:
        return None
    return ("On the real held-out images themselves (each judged by the bar the other half "
            "sets) " + ", ".join(parts) + " are holes: the rate a perfect generator would "
            "score, so read every rate against it.")


def _model_sentence(m: Any, judge: str) -> str:
    d = decompose(m, judge)
    effects = {k: v for k, v in d["effects"].items()
               if v == v and k not in d["by_construction"]}  # drop NaN and zero by design
    top = max(effects, key=lambda k: effects[k])
    own, fitted, gmm, recon = d["own"], d["fitted"], d["gmm"], d["recon"]
    k = getattr(m, "gmm_components", None)
    mixture = f"the mixture of {k}" if k else "the mixture"
    if getattr(m, "gmm_capped", False):
        mixture += " (BIC still falling at the most components tried)"
    parts = [f"reconstruction floor {_pct(recon)}"]
    if d["by_construction"]:
        parts.append("prior mismatch none by construction (its own prior is the Gaussian "
                     "fitted to its codes: the same draws)")
    else:
        parts.append(f"prior mismatch {_pp(d['effects']['prior mismatch'])} points (own "
                     f"prior {_pct(own)}, fitted Gaussian {_pct(fitted)}"
                     + ("" if d["mismatch_significant"] else ", within the intervals") + ")")
    parts.append(f"space between clusters {_pp(d['effects']['space between clusters'])} "
                 f"points (fitted Gaussian {_pct(fitted)}, {mixture} {_pct(gmm)}"
                 + ("" if d["clusters_significant"] else ", within the intervals") + ")")
    if d["between"] is not None:
        parts.append(f"gaps between codes {_pp(d['effects']['gaps between codes'])} points "
                     f"({_pct(d['between'])} of decodes between {_kind_words(d['kind'])} "
                     f"against the floor)")
    return (f"For the {m.name} the largest effect is {top}: " + "; ".join(parts) + ".")


def _pp(x: float) -> str:
    return f"{100 * x:+.1f}"


def _kind_words(kind: str | None) -> str:
    return {"different_label": "codes of different labels", "same_label": "codes of one label",
            "random": "random pairs of codes", "knn": "neighbouring codes"}.get(kind or "",
                                                                               "codes")


def _between_sentence(result: Any, a: Any, b: Any, judge: str) -> str | None:
    parts = []
    for kind in ("same_label", "different_label", "random"):
        if kind not in a.between or kind not in b.between or judge not in a.between[kind] \
                or judge not in b.between[kind]:
            continue
        fa, fb = a.between[kind][judge], b.between[kind][judge]
        parts.append(f"between {_kind_words(kind)} the {a.name} has {_pct(fa)} holes and the "
                     f"{b.name} {_pct(fb)}: "
                     f"{_verdict(result, f'between/{kind}', judge, a, b, fa, fb)}")
    if not parts:
        return None
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _probe_sentence(result: Any, a: Any, b: Any) -> str | None:
    """Which model's codes separate the labels better: each classifier of the probe with the
    most labels both models were probed with, by the paired test (McNemar's, Holm-adjusted
    with the rest of the table; by interval overlap when no test was run)."""
    keys = [k for k in a.probe if k in b.probe]
    if not keys:
        return None
    tests = getattr(result, "probe_tests", {}) or {}
    key = max(keys, key=lambda k: float(k.rstrip("%")))
    parts = []
    for clf, title in (("logistic", "a logistic regression"), ("knn", "k-NN")):
        ca, cb = a.probe[key].get(clf), b.probe[key].get(clf)
        if ca is None or cb is None:
            continue
        rec = find(getattr(result, "differences", None) or [], f"probe/{key}/{clf}", None)
        test = tests.get(key, {}).get(clf)
        if rec is not None:
            sig = (difference_words(rec, a.name, b.name)
                   + f"; McNemar p = {rec['p']:.2g} before Holm's adjustment")
        elif test is not None:
            sig = (f"{'significant' if test['p'] < 0.05 else 'not significant'}: McNemar p = "
                   f"{test['p']:.2g} over the images only one of them gets right")
        else:
            sig = _significance(ca, cb)
        parts.append(f"{title} reads {ca['accuracy']:.1%} of the held-out labels off the "
                     f"{a.name}'s codes and {cb['accuracy']:.1%} off the {b.name}'s: {sig}")
    if not parts:
        return None
    labelled = "all training labels" if key == "100%" else f"{key} of the training labels"
    text = f"Codes as features, with {labelled}: " + "; ".join(parts) + "."
    std = find(getattr(result, "differences", None) or [], f"probe/{key}/knn_standardised",
               None)
    plain = find(getattr(result, "differences", None) or [], f"probe/{key}/knn", None)
    if std is not None and plain is not None and std["verdict"] != plain["verdict"]:
        text += (f" The preprocessing decides k-NN's verdict: on standardised codes it reads "
                 f"{std['a']:.1%} and {std['b']:.1%}, and "
                 + difference_words(std, a.name, b.name) + ".")
    return text


def explain(result: Any) -> str:
    """A few sentences saying what the table shows (see the module docstring)."""
    models = [m for m in result.models if "own" in m.holes]
    if not models:
        return "No hole fractions were measured."
    judge = main_judge(models)
    other = "pixel" if judge == "classifier" else None
    parts: list[str] = []
    if len(models) >= 2:
        parts.append(_compare_sentence(result, models[0], models[1], judge, other))
    floors = _floors_sentence(result, [judge] + ([other] if other else []))
    if floors:
        parts.append(floors)
    parts += [_model_sentence(m, judge) for m in models]
    if len(models) >= 2:
        between = _between_sentence(result, models[0], models[1], judge)
        if between:
            parts.append(between)
        probe = _probe_sentence(result, models[0], models[1])
        if probe:
            parts.append(probe)
    if judge == "pixel" and not any("classifier" in m.holes.get("own", {}) for m in models):
        why = ("the classifier judge was turned off"
               if not getattr(getattr(result, "settings", None), "classifier", True)
               else "the data has no labels for a classifier")
        parts.append(f"Judged by pixel distance only ({why}).")
    return " ".join(parts)
