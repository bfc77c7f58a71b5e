"""β sweep: the rate–distortion trade-off that the KL weight controls, against the gaps.

    gen = run_sweep(config, data, betas=(0, 0.25, 1, 4))   # one seed, one architecture
    for event in gen: bar.set(event.fraction)               # SweepProgress
    result = drain(gen)                                     # SweepResult

Each β trains one model with everything else equal (data, split, seed, architecture,
epochs): β = 0 is the plain autoencoder (kind `ae`, no KL term), any other β a VAE whose
loss is recon + β·KL (Higgins et al., "beta-VAE", ICLR 2017). A larger β buys a smaller
rate (the KL, in nats per image) with more distortion (reconstruction error): the
trade-off of Alemi et al., "Fixing a Broken ELBO", ICML 2018. The models are then measured
together by `compare_models`, so they share the held-out images, the prior samples' seeds
and the pooled hole threshold, and their gap measures can be read against their
reconstruction error.

Gap measures are read from `ModelMetrics` generically (`gap_measures`): the hole fraction
under the own prior and under a Gaussian fitted to the codes, and every between-code entry
(`ModelMetrics.between`) when the metrics have it, each per judge with its interval.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from latent_atlas.explorer.core.analysis.comparison.metrics import (
    CompareResult,
    MetricSettings,
    ModelMetrics,
)
from latent_atlas.explorer.core.progress import Cancelled, Progress, check_cancel, relay
from latent_atlas.explorer.core.threads import single_threaded_blas

MAX_BETAS = 12  # each β trains a model: a sweep is a handful of them
MAX_BETA = 1e6
TRAIN_SHARE = 0.85  # of the progress bar: training; the rest is measuring

# Which hole fractions a sweep plots, in this order (the sampler keys of metrics.holes).
HOLE_SAMPLERS = {"own": "holes, own prior", "fitted_gaussian": "holes, fitted Gaussian"}
BETWEEN_LABELS = {"same_label": "between codes, same label",
                  "different_label": "between codes, different labels",
                  "knn": "between codes, nearest neighbours"}


def parse_betas(text: str) -> tuple[float, ...]:
    """'0,0.25,1,4' -> (0.0, 0.25, 1.0, 4.0). Raises ValueError with a readable message
    for an empty list, a non-number, a negative, infinite or repeated value."""
    parts = [p.strip() for p in str(text).split(",")]
    if not any(parts):
        raise ValueError("--beta needs at least one value, e.g. --beta 0,0.25,1,4")
    betas: list[float] = []
    for p in parts:
        if not p:
            raise ValueError(f"--beta has an empty value in '{text}'; separate numbers "
                             "with single commas, e.g. 0,1,4")
        try:
            b = float(p)
        except ValueError:
            raise ValueError(f"--beta values must be numbers, not '{p}'") from None
        betas.append(b)
    return check_betas(betas)


def check_betas(betas: Iterable[float]) -> tuple[float, ...]:
    """The betas as a tuple, or ValueError: at least one, finite, >= 0, distinct, few."""
    out = tuple(float(b) for b in betas)
    if not out:
        raise ValueError("a sweep needs at least one β, e.g. 0,0.25,1,4")
    for b in out:
        if not math.isfinite(b) or b < 0:
            raise ValueError(f"β must be a finite number >= 0 (0 trains the plain AE), not {b:g}")
        if b > MAX_BETA:
            raise ValueError(f"β must be at most {MAX_BETA:g}, not {b:g}")
    if len(set(out)) != len(out):
        raise ValueError(f"each β once, please: {', '.join(f'{b:g}' for b in out)}")
    if len(out) > MAX_BETAS:
        raise ValueError(f"at most {MAX_BETAS} values of β (each trains a model), not {len(out)}")
    return out


def beta_name(beta: float) -> str:
    """The model's name in tables and plots: 'β=0 (AE)', 'β=0.25'."""
    return f"β={beta:g}" + (" (AE)" if beta == 0 else "")


def sweep_configs(config: Any, betas: Sequence[float]) -> list[Any]:
    """One config per β: `config` with kind `ae` for β = 0, else kind `vae` with that β."""
    return [config.replace(kind="ae", beta=0.0) if b == 0 else config.replace(kind="vae", beta=b)
            for b in check_betas(betas)]


@dataclass(frozen=True)
class SweepProgress(Progress):
    """Progress of the whole sweep: `beta` being trained or measured (`index` of `count`);
    `stage` is the trainer's ("batch", "epoch") or the measurement's."""

    beta: float | None = None
    index: int = 0
    count: int = 1


def gap_measures(m: ModelMetrics, judges: Sequence[str] | None = None
                 ) -> dict[str, dict[str, Any]]:
    """The gap measures of one model, keyed 'holes.own.pixel', 'between.knn.pixel', ...:
    each {"label", "judge", "fraction", "low", "high"}. Holes under the own prior and the
    fitted Gaussian, then every `between` entry when the metrics have that field; only the
    `judges` given (default: every judge measured)."""
    out: dict[str, dict[str, Any]] = {}

    def add(prefix: str, key: str, label: str, by_judge: Any) -> None:
        if not isinstance(by_judge, dict):
            return
        for judge, v in by_judge.items():
            if (judges is None or judge in judges) and isinstance(v, dict) and "fraction" in v:
                f = float(v["fraction"])
                out[f"{prefix}.{key}.{judge}"] = {
                    "label": label + ("" if judge == "pixel" else f" ({judge} judge)"),
                    "judge": judge, "fraction": f, "low": float(v.get("low", f)),
                    "high": float(v.get("high", f))}

    for sampler, label in HOLE_SAMPLERS.items():
        add("holes", sampler, label, m.holes.get(sampler))
    between = getattr(m, "between", None) or {}
    for key, by_judge in between.items():
        add("between", key, BETWEEN_LABELS.get(key, "between codes, " + key.replace("_", " ")),
            by_judge)
    return out


@dataclass
class SweepPoint:
    """One β of the sweep: its model's training outcome and its measured numbers."""

    beta: float
    kind: str
    name: str
    epochs_completed: int
    metrics: ModelMetrics
    kl: float | None  # rate: held-out KL(q(z|x) || N(0, I)), nats per image; None for the AE
    val_recon_loss: float | None  # held-out reconstruction loss (the trainer's, per image)
    model: Any = field(default=None, repr=False)
    history: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def recon_mse(self) -> float:
        return self.metrics.recon_mse

    def gaps(self, judges: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
        return gap_measures(self.metrics, judges)

    def to_dict(self) -> dict[str, Any]:
        return {"beta": self.beta, "kind": self.kind, "name": self.name,
                "epochs_completed": self.epochs_completed, "recon_mse": self.recon_mse,
                "recon_rms": self.metrics.recon_rms, "kl": self.kl,
                "val_recon_loss": self.val_recon_loss, "gaps": self.gaps(),
                "metrics": self.metrics.to_dict()}


@dataclass
class SweepResult:
    """Every β's point, in the order given, with what they share."""

    points: list[SweepPoint]
    data_spec: str
    arch: str
    latent_dim: int
    epochs: int
    seed: int
    compare: CompareResult
    message: str = ""

    @property
    def betas(self) -> list[float]:
        return [p.beta for p in self.points]

    def to_dict(self) -> dict[str, Any]:
        c = self.compare
        return {"data": self.data_spec, "arch": self.arch, "latent_dim": self.latent_dim,
                "epochs": self.epochs, "seed": self.seed, "betas": self.betas,
                "hole_threshold": c.hole_threshold, "n_held_out": c.n_held_out,
                "n_reference_images": c.n_reference,
                "settings": c.to_dict()["settings"], "notes": list(c.notes),
                "points": [p.to_dict() for p in self.points]}


def _last_val(history: list[dict[str, Any]], term: str) -> float | None:
    for record in reversed(history):
        val = record.get("val") or {}
        if term in val:
            return float(val[term])
    return None


def run_sweep(config: Any, data: Any, betas: Sequence[float], *,
              settings: MetricSettings | None = None, device: str = "auto",
              cancel: Any = None) -> Generator[SweepProgress, None, SweepResult]:
    """Train one model per β (config with only kind and β changed), then measure them all
    together. Yields `SweepProgress`; returns a `SweepResult`.

    A cancel (Event-like or callable) stops at the next batch and raises `Cancelled`: a
    sweep with a missing β says nothing about the trade-off. A diverged model raises
    ValueError naming its β.
    """
    from latent_atlas.explorer.core.analysis.comparison.metrics import compare_models
    from latent_atlas.models.networks import build_model
    from latent_atlas.models.trainer import train

    configs = sweep_configs(config, betas)
    betas = check_betas(betas)
    if config.epochs < 1:
        raise ValueError("a sweep trains every model for at least 1 epoch")
    if config.is_conditional or config.n_classes:
        raise ValueError("a sweep trains unconditional models (AE and VAE)")
    n = len(configs)
    trained: list[tuple[float, Any]] = []
    for i, (beta, cfg) in enumerate(zip(betas, configs, strict=True)):
        check_cancel(cancel, "sweep")

        def relabel(e: Any, i: int = i, beta: float = beta) -> SweepProgress:
            msg = (f"{beta_name(beta)} ({i + 1}/{n}): epoch {e.epoch}/{e.epochs}"
                   + (f", batch {e.step}/{e.steps}" if e.stage == "batch" else ""))
            return SweepProgress(e.stage, TRAIN_SHARE * (i + (e.fraction or 0.0)) / n, msg,
                                 beta=beta, index=i, count=n)

        yield SweepProgress("model", TRAIN_SHARE * i / n, f"{beta_name(beta)}: building the model",
                            beta=beta, index=i, count=n)
        result = yield from relay(train(build_model(cfg), data.images, device=device,
                                        cancel=cancel), relabel)
        if result.status == "cancelled":
            raise Cancelled("sweep cancelled")
        if result.status != "completed":
            raise ValueError(f"{beta_name(beta)}: {result.message}")
        trained.append((beta, result))

    models = {beta_name(b): r.model for b, r in trained}

    def measuring(e: Any) -> SweepProgress:
        return SweepProgress(e.stage, TRAIN_SHARE + (1 - TRAIN_SHARE) * (e.fraction or 0.0),
                             "measuring: " + e.message, count=n)

    # The mixture fits of the measurement are many small LAPACK calls: with two BLAS threads
    # on a busy 2-core machine one fit took 160 s, with one thread 6.5 s.
    with single_threaded_blas():
        compared = yield from relay(compare_models(models, data, settings, cancel=cancel),
                                    measuring)
    by_name = {m.name: m for m in compared.models}
    points = []
    for (beta, r), cfg in zip(trained, configs, strict=True):
        name = beta_name(beta)
        points.append(SweepPoint(
            beta=beta, kind=cfg.kind, name=name, epochs_completed=r.epochs_completed,
            metrics=by_name[name],
            kl=_last_val(r.history, "kl") if cfg.is_variational else None,
            val_recon_loss=_last_val(r.history, "recon"), model=r.model, history=r.history))
    return SweepResult(points=points, data_spec=data.spec, arch=config.arch,
                       latent_dim=config.latent_dim, epochs=config.epochs, seed=config.seed,
                       compare=compared,
                       message=(f"Trained and measured {n} models ({config.arch}, latent "
                                f"{config.latent_dim}, {config.epochs} epochs, seed "
                                f"{config.seed}) on {data.spec}."))


# ---- what the table and the plots show (computed here, drawn by the CLI and the GUI) ----

@dataclass(frozen=True)
class GapSeries:
    """One gap measure across the sweep: its points in β order (x = recon MSE, y = fraction
    with its interval [low, high]); a β whose model lacks the measure is left out."""

    key: str
    label: str
    betas: tuple[float, ...]
    x: tuple[float, ...]
    y: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]


def gap_series(result: SweepResult, judge: str = "pixel") -> list[GapSeries]:
    """Every gap measure of the sweep under `judge`, one series each, in a stable order."""
    per_point = [p.gaps([judge]) for p in result.points]
    keys: list[str] = []
    for g in per_point:
        keys += [k for k in g if k not in keys]
    series = []
    for key in keys:
        rows = [(p.beta, p.recon_mse, g[key]) for p, g in zip(result.points, per_point,
                                                             strict=True) if key in g]
        series.append(GapSeries(
            key=key, label=rows[0][2]["label"], betas=tuple(r[0] for r in rows),
            x=tuple(r[1] for r in rows), y=tuple(r[2]["fraction"] for r in rows),
            low=tuple(r[2]["low"] for r in rows), high=tuple(r[2]["high"] for r in rows)))
    return series


def dodge_offsets(result: SweepResult, n_series: int, width: float = 0.012) -> list[float]:
    """x offsets that set the series of one column side by side (a `width` fraction of the
    x range apart), so measures with equal values, such as the AE's own prior and its
    fitted Gaussian (the same sampler), stay visible."""
    xs = [p.recon_mse for p in result.points]
    span = (max(xs) - min(xs)) if xs else 0.0
    step = width * (span or (abs(xs[0]) if xs else 0.0) or 1.0)
    return [(i - (n_series - 1) / 2) * step for i in range(n_series)]


@dataclass(frozen=True)
class BetaColumn:
    """Where the plots label models by β: at `x` (recon MSE), above `top` (the highest
    interval end of their gap measures, a fraction), with `label` ('β=0, 0.25')."""

    x: float
    label: str
    top: float
    betas: tuple[float, ...]


def beta_columns(result: SweepResult, tolerance: float = 0.08,
                 judge: str = "pixel") -> list[BetaColumn]:
    """One column per model, in order of recon MSE; models whose errors lie within
    `tolerance` of the x range of each other share one column and one label, so labels
    never overprint."""
    pts = sorted(result.points, key=lambda p: p.recon_mse)
    if not pts:
        return []
    span = (pts[-1].recon_mse - pts[0].recon_mse) or 1.0
    groups: list[list[SweepPoint]] = [[pts[0]]]
    for p in pts[1:]:
        if p.recon_mse - groups[-1][-1].recon_mse <= tolerance * span:
            groups[-1].append(p)
        else:
            groups.append([p])
    out = []
    for g in groups:
        highs = [v["high"] for p in g for v in p.gaps([judge]).values()]
        betas = sorted(p.beta for p in g)
        out.append(BetaColumn(x=sum(p.recon_mse for p in g) / len(g),
                              label="β=" + ", ".join(f"{b:g}" for b in betas),
                              top=max(highs, default=0.0), betas=tuple(p.beta for p in g)))
    return out


def rate_points(result: SweepResult) -> list[tuple[float, float, float]]:
    """(β, recon MSE, KL) of every VAE of the sweep: the rate–distortion curve."""
    return [(p.beta, p.recon_mse, p.kl) for p in result.points if p.kl is not None]


def _cell(g: dict[str, Any] | None) -> str:
    if g is None:
        return "-"
    return f"{g['fraction']:.1%} [{g['low']:.1%}, {g['high']:.1%}]"


def sweep_table(result: SweepResult, judge: str = "pixel") -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the sweep table: β, kind, recon MSE, KL, then each gap measure
    under `judge` as 'fraction [low, high]'."""
    series = gap_series(result, judge)
    header = ["β", "kind", "recon MSE", "KL (nats)"] + [s.label for s in series]
    rows = []
    for p in result.points:
        g = p.gaps([judge])
        rows.append([f"{p.beta:g}", p.kind, f"{p.recon_mse:.4f}",
                     "-" if p.kl is None else f"{p.kl:.2f}"]
                    + [_cell(g.get(s.key)) for s in series])
    return header, rows


def sweep_footer(result: SweepResult) -> list[str]:
    c = result.compare
    s = c.settings
    return [f"data {result.data_spec}, {result.arch}, latent {result.latent_dim}, "
            f"{result.epochs} epochs, seed {result.seed}; {c.n_held_out} held-out images.",
            "recon MSE: mean per-pixel squared error on held-out images (pixels in [0, 1]); "
            "KL: held-out KL(q(z|x) || N(0, I)) in nats per image (the rate; the AE has none).",
            f"hole threshold {c.hole_threshold:.3f} (the {s.hole_percentile:g}th percentile of "
            f"held-out reconstructions' nearest-real distances, all models pooled); "
            f"{s.n_prior} samples per sampler, seed {s.seed}; [95 % interval]."] + [
        f"note: {n}" for n in c.notes]


def format_sweep_table(result: SweepResult, markdown: bool = False,
                       judge: str = "pixel") -> str:
    """The sweep as a plain-text (or markdown) table with a footer."""
    header, rows = sweep_table(result, judge)
    foot = sweep_footer(result)
    if markdown:
        lines = ["| " + " | ".join(header) + " |",
                 "|" + "|".join(["---:", "---"] + ["---:"] * (len(header) - 2)) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines + [""] + foot)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(v.ljust(w) if i == 1 else v.rjust(w)
                       for i, (v, w) in enumerate(zip(r, widths, strict=True)))
             for r in [header, ["-" * w for w in widths], *rows]]
    return "\n".join(lines + [""] + foot)
