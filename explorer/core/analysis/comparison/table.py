"""The compare metrics as tables: text or markdown, and the judged rows the compare
window shows (one cell per model, and whether the first two differ)."""

from __future__ import annotations

import textwrap

from latent_atlas.explorer.core.analysis.comparison.metrics import CompareResult, ModelMetrics
from latent_atlas.explorer.core.analysis.gaps.holes import BETWEEN_T
from latent_atlas.explorer.core.analysis.gaps.judges import JUDGE_LABELS
from latent_atlas.explorer.core.analysis.gaps.samplers import SAMPLER_LABELS, SAMPLERS

# (header, attribute, format) of each table column
COLUMNS = (
    ("recon MSE", "recon_mse", "{:.4f}"),
    ("recon RMS", "recon_rms", "{:.3f}"),
    ("hole fraction", "hole_fraction", "{:.1%}"),
    ("prior-sample dist", "prior_distance", "{:.3f}"),
    ("interp dist", "interp_distance", "{:.3f}"),
    ("interp smoothness", "interp_smoothness", "{:.2f}"),
    ("path length", "path_length", "{:.2f}"),
    ("checkerboard, recon", "checker_recon", "{:.2f}"),
    ("checkerboard, prior", "checker_prior", "{:.2f}"),
)


def format_table(result: CompareResult, markdown: bool = False) -> str:
    """The metrics as a plain-text (or markdown) table, one row per model, with a footer
    stating the threshold and the sample sizes."""
    header = ["model", "prior"] + [c[0] for c in COLUMNS]
    rows = [[m.name + f" ({m.kind})", "N(0, I)" if "N(0, I)" in m.prior else "fitted Gaussian"]
            + [fmt.format(getattr(m, attr)) for _, attr, fmt in COLUMNS]
            for m in result.models]
    s = result.settings
    foot = (f"data {result.data_spec}: {result.n_held_out} held-out images; nearest real image "
            f"searched among {result.n_reference} training images; distances are pixel RMS.\n"
            f"hole threshold {result.hole_threshold:.3f}: the {s.hole_percentile:g}th percentile "
            f"of the held-out reconstructions' nearest-real distances (all models pooled).\n"
            f"{s.n_prior} prior samples, {s.n_pairs} pairs x {s.steps} steps, {s.n_path} path "
            f"points, epsilon {s.epsilon:g}, {s.n_between} between-code pairs at t = "
            f"{', '.join(f'{t:g}' for t in BETWEEN_T)}, seed"
            + (f"s {', '.join(map(str, result.seeds))}" if len(result.seeds) > 1
               else f" {s.seed}") + ".")
    foot += "".join(f"\njudge {name}: {text}." for name, text in result.judges.items())
    if result.explanation:
        foot = "\n".join(textwrap.wrap(result.explanation, 100)) + "\n\n" + foot
    if markdown:
        lines = ["| " + " | ".join(header) + " |",
                 "|" + "|".join(["---"] * 2 + ["---:"] * len(COLUMNS)) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines + _holes_block(result, True) + _probe_block(result, True)
                          + ["", foot]
                          + [f"note: {n}" for n in result.notes])
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    fmt_row = lambda r: "  ".join(v.ljust(w) if i < 2 else v.rjust(w)  # noqa: E731
                                  for i, (v, w) in enumerate(zip(r, widths, strict=True)))
    lines = [fmt_row(header), "  ".join("-" * w for w in widths)] + [fmt_row(r) for r in rows]
    return "\n".join(lines + _holes_block(result, False) + _probe_block(result, False)
                      + ["", foot]
                     + [f"note: {n}" for n in result.notes])


def hole_cell(m: ModelMetrics, sampler: str, judge: str = "pixel", group: str = "holes") -> str:
    """'54.9% [52.7%, 57.1%]': a model's hole fraction under `sampler` (or, with group
    "between", a between-code kind; with group "reconstruction", the floor) and `judge`,
    with its 95 % interval, '± sd' over seeds when there were several, or '-'."""
    if group == "reconstruction":
        h = m.reconstruction.get(judge)
    else:
        h = getattr(m, group).get(sampler, {}).get(judge)
    return interval_cell(h, "fraction")


def interval_cell(c: dict[str, float] | None, key: str) -> str:
    """'54.9% [52.7%, 57.1%]': c[key] with its 95 % interval, and '(seeds mean ± sd)' when
    it was measured over several seeds; '-' when there is no cell."""
    if c is None:
        return "-"
    text = f"{c[key]:.1%} [{c['low']:.1%}, {c['high']:.1%}]"
    per_seed = c.get("per_seed")
    if isinstance(per_seed, list) and len(per_seed) > 1:
        text += f" (seeds {c['mean']:.1%} ± {c['sd']:.1%})"
    return text


BETWEEN_KINDS = ("same_label", "different_label", "random", "knn")
BETWEEN_LABELS = {"same_label": "between, same label", "different_label":
                  "between, different labels", "random": "between, random pairs",
                  "knn": "between, k nearest"}
JUDGE_ORDER = ("pixel", "classifier", "pixel_real")


SAME_DRAWS = "= own prior"  # the cell of a sampler that reuses the own prior's draws


def judged_rows(result: CompareResult) -> list[tuple[str, list[str], str]]:
    """(title, one cell per model, significance) for every measure x judge measured:
    the reconstruction floor, each judge's floor on real held-out images (one value, the
    same for every model), each sampler, each between-code kind. A sampler that reuses a
    model's own-prior draws (identical by construction) shows SAME_DRAWS instead of the
    numbers again. Significance compares the first two models by the paired test
    (`paired.difference_cell`: verdict, difference in points [95 % interval], Holm-adjusted
    p), or by interval overlap ('yes' / 'n.s.') when it was not run; '' for one model."""
    from latent_atlas.explorer.core.analysis.comparison.paired import difference_cell, find

    models = result.models
    measures = ([("reconstruction", "", "reconstruction")]
                + [("holes", k, "holes, " + SAMPLER_LABELS[k]) for k in SAMPLERS]
                + [("between", k, BETWEEN_LABELS[k]) for k in BETWEEN_KINDS])
    rows: list[tuple[str, list[str], str]] = []
    floors = result.judge_floors
    for group, key, title in measures:
        if group == "holes" and key == SAMPLERS[0]:  # the floors just above the samplers
            for judge in JUDGE_ORDER:
                if judge in floors:
                    rows.append((f"real held-out images, judge floor ({JUDGE_LABELS[judge]})",
                                 [interval_cell(floors[judge], "fraction")] * len(models), ""))
        for judge in JUDGE_ORDER:
            def cell(m: ModelMetrics, g: str = group, k: str = key, j: str = judge
                     ) -> dict[str, float] | None:
                if g == "reconstruction":
                    return m.reconstruction.get(j)
                return getattr(m, g).get(k, {}).get(j)

            cells = [cell(m) for m in models]
            if all(c is None for c in cells):
                continue
            measure = group if group == "reconstruction" else f"{group}/{key}"
            rec = find(result.differences, measure, judge) if len(models) >= 2 else None
            sig = difference_cell(rec) if rec is not None else _differs(cells)
            texts = [SAME_DRAWS if group == "holes" and m.same_draws.get(key) == "own"
                     else hole_cell(m, key, judge, group) for m in models]
            rows.append((f"{title} ({JUDGE_LABELS[judge]})", texts, sig))
    return rows


def _differs(cells: list[dict[str, float] | None]) -> str:
    """"yes" when the first two intervals do not overlap, "n.s." when they do, "" when there
    are not two to compare."""
    from latent_atlas.explorer.core.analysis.intervals import overlap

    if len(cells) < 2 or cells[0] is None or cells[1] is None:
        return ""
    return "n.s." if overlap(cells[0], cells[1]) else "yes"


def _holes_block(result: CompareResult, markdown: bool) -> list[str]:
    """Hole fractions [95 % interval] under every sampler, between codes and for the
    reconstructions, for every judge, one column per model, as lines to follow the main
    table; none when no model has them."""
    rows = judged_rows(result)
    if not rows:
        return []
    models = result.models

    def label(m: ModelMetrics) -> str:
        k = m.gmm_components
        return m.name + f" ({m.kind})" + (f", GMM k={k}" if k else "")

    two = len(models) >= 2
    header = ["hole fraction"] + [label(m) for m in models] + (["differs"] if two else [])
    table = [[title] + cells + ([sig] if two else []) for title, cells, sig in rows]
    title = ("hole fractions by sampler, between codes and of reconstructions, per judge "
             "[95 % interval]; 'differs': first minus second model in percentage points "
             "[95 % paired-bootstrap interval, bars redrawn] and the Holm-adjusted p over the "
             f"table (McNemar, or sign-flip over pairs): yes when p < 0.05, 'same ±"
             f"{100 * result.settings.equivalence_margin:.1f}' when the 90 % interval lies "
             "inside that margin (equivalence test), n.s. otherwise; "
             f"'{SAME_DRAWS}': the same draws as that model's own prior (identical by "
             "construction); judge floor: real held-out images judged by the bar the other "
             "half sets:")
    return _block(title, header, table, markdown)


def _block(title: str, header: list[str], table: list[list[str]], markdown: bool) -> list[str]:
    """A titled table (first column left-aligned, the rest right) as markdown or text lines."""
    if markdown:
        lines = ["| " + " | ".join(header) + " |",
                 "|---|" + "---:|" * (len(header) - 1)]
        return ["", title, ""] + lines + ["| " + " | ".join(r) + " |" for r in table]
    widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(header)]
    fmt_row = lambda r: "  ".join(v.ljust(w) if i == 0 else v.rjust(w)  # noqa: E731
                                  for i, (v, w) in enumerate(zip(r, widths, strict=True)))
    return (["", title, fmt_row(header), "  ".join("-" * w for w in widths)]
            + [fmt_row(r) for r in table])


PROBE_TITLES = {"logistic": "logistic regression", "knn": "k-NN (k = 5)",
                "knn_standardised": "k-NN on standardised features"}


def _preprocessing_disagrees(result: CompareResult, key: str) -> bool:
    """True when k-NN on standardised features reaches another verdict than k-NN on the
    unscaled features (or, without paired tests, another side of 0.05 in McNemar's p)."""
    from latent_atlas.explorer.core.analysis.comparison.paired import find

    plain = find(result.differences, f"probe/{key}/knn", None)
    std = find(result.differences, f"probe/{key}/knn_standardised", None)
    if plain is not None and std is not None:
        return plain["verdict"] != std["verdict"] or (
            plain["verdict"] == "differs" and plain["difference"] * std["difference"] < 0)
    tests = result.probe_tests.get(key, {})
    if "knn" in tests and "knn_standardised" in tests:
        return (tests["knn"]["p"] < 0.05) != (tests["knn_standardised"]["p"] < 0.05)
    return False


def probe_cell(m: ModelMetrics, key: str, clf: str) -> str:
    """'91.2% [89.3%, 92.8%]': a model's probe accuracy with its 95 % interval, '± sd' over
    seeds when there were several, or '-'."""
    return interval_cell(m.probe.get(key, {}).get(clf), "accuracy")


def probe_rows(result: CompareResult) -> list[tuple[str, list[str], str]]:
    """(title, one cell per model, significance) for each labelled fraction x classifier of
    the codes-as-features probe (higher is better); [] when no model was probed. The first
    two models differ when McNemar's test on the shared held-out images gives p < 0.05."""
    from latent_atlas.explorer.core.analysis.comparison.paired import difference_cell, find

    models = result.models
    keys = list(dict.fromkeys(k for m in models for k in m.probe))
    rows: list[tuple[str, list[str], str]] = []
    for key in keys:
        for clf, title in PROBE_TITLES.items():
            if clf == "knn_standardised" and not _preprocessing_disagrees(result, key):
                continue  # shown only where the preprocessing changes the verdict
            cells = [m.probe.get(key, {}).get(clf) for m in models]
            if all(c is None for c in cells):
                continue
            test = result.probe_tests.get(key, {}).get(clf)
            rec = find(result.differences, f"probe/{key}/{clf}", None)
            # both probes scored the same images: McNemar's paired test when it was run
            sig = (difference_cell(rec) if rec is not None else _differs(cells) if test is None
                   else ("yes" if test["p"] < 0.05 else "n.s."))
            labelled = "all labels" if key == "100%" else f"{key} labelled"
            rows.append((f"probe accuracy, {title}, {labelled}",
                         [probe_cell(m, key, clf) for m in models], sig))
    return rows


def _probe_block(result: CompareResult, markdown: bool) -> list[str]:
    """The probe accuracies as lines to follow the hole table; none without labels."""
    rows = probe_rows(result)
    if not rows:
        return []
    models = result.models
    two = len(models) >= 2
    header = ["codes as features"] + [f"{m.name} ({m.kind})" for m in models] + (
        ["differs"] if two else [])
    table = [[title] + cells + ([sig] if two else []) for title, cells, sig in rows]
    title = ("held-out accuracy of classifiers trained on the codes of a labelled share of the "
             "training images [95 % interval; higher is better; 'differs': first minus second "
             "in points [paired-bootstrap interval], McNemar's paired test on the same images, "
             "Holm-adjusted with the hole rows]:")
    return _block(title, header, table, markdown)
