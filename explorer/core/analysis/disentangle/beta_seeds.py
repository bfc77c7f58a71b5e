"""β against seeds: does a heavier KL weight disentangle beyond what the seed changes?

    gen = run_beta_seeds(config, data, betas=(0, 1, 4, 8, 16), seeds=(0, 1, 2),
                         models_dir="runs/")          # trains, or reuses saved models
    result = drain(gen)                               # BetaSeedResult
    print(format_beta_seed_table(result, markdown=True))

Every (β, seed) model has the same data, architecture and epochs; β = 0 is the plain AE.
With `as_trained=True` the models must all be in `models_dir` already and each is taken at
the epoch count it was trained to (benchmarks/beta_rounds.py --each trains every model until
its own held-out loss converged): the table then gives each β's epochs.
Each is measured on the whole data set: the disentanglement metrics of its mean codes
against the factor columns (`measure.disentanglement`), its per-latent diagnostics
(`latents`), and its reconstruction error on the images its trainer held out. Each
metric is then summarised per β as the mean and the spread (sample standard deviation
and range) over seeds: Locatello et al. (ICML 2019) found the seed to matter as much as
the objective, so a difference between two β counts only when their seed ranges part.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from latent_atlas.explorer.core.analysis.comparison.sweep import (
    SweepProgress,
    beta_name,
    check_betas,
    sweep_configs,
)
from latent_atlas.explorer.core.progress import Cancelled, check_cancel, relay

from .latents import latent_diagnostics
from .measure import METRICS, SHORT, DisentangleSettings, disentanglement

MAX_SEEDS = 10
MEASURE_SEED = 12345  # which images a --measure-limit keeps (the same for every model)
# Columns of the table besides the disentanglement metrics: key -> label.
EXTRA = {"recon_mse": "recon MSE", "kl": "KL (nats)", "n_active": "active units",
         "mi": "I(x;z) (nats)"}


class ModelDirError(ValueError):
    """A saved model in the models folder does not match the sweep's settings."""


def parse_seeds(text: str) -> tuple[int, ...]:
    """'0,1,2' -> (0, 1, 2); ValueError with a readable message otherwise."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        seeds = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"--seeds must be whole numbers separated by commas, not '{text}'"
                         ) from None
    if any(s < 0 for s in seeds):
        raise ValueError(f"seeds must be >= 0, not '{text}'")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"each seed once, please: '{text}'")
    if len(seeds) > MAX_SEEDS:
        raise ValueError(f"at most {MAX_SEEDS} seeds (each trains every β), not {len(seeds)}")
    return seeds


def model_path(folder: str | Path, beta: float, seed: int, kind: str) -> Path:
    return Path(folder) / f"seed_{seed}" / f"beta_{beta:g}_{kind}.safetensors"


@dataclass
class SeedPoint:
    """One trained model: its β, seed and measured numbers."""

    beta: float
    seed: int
    kind: str
    epochs: int
    values: dict[str, float]  # every metric key of METRICS and EXTRA (None-free)
    intervals: dict[str, tuple[float, float]]
    importance: np.ndarray = field(repr=False)
    factor_names: tuple[str, ...] = ()
    reused: bool = False


@dataclass
class BetaSeedResult:
    points: list[SeedPoint]
    betas: tuple[float, ...]
    seeds: tuple[int, ...]
    data_spec: str
    arch: str
    latent_dim: int
    epochs: int
    train_seconds: float = 0.0
    settings: DisentangleSettings = field(default_factory=DisentangleSettings)
    measure_limit: int | None = None
    as_trained: bool = False  # each model at its own epoch count (see the module docstring)

    def epochs_of(self, beta: float) -> list[int]:
        """The epoch counts of β's models, in seed order."""
        return [p.epochs for p in self.points if p.beta == beta]

    def epochs_text(self, short: bool = False) -> str:
        """'8 epochs' when every model has the same count, else each β's range (`short`:
        the overall range only)."""
        counts = sorted({p.epochs for p in self.points}) or [self.epochs]
        if len(counts) == 1:
            return f"{counts[0]} epochs"
        if short:
            return f"{counts[0]}–{counts[-1]} epochs as trained"
        parts = []
        for b in self.betas:
            e = self.epochs_of(b)
            parts.append(f"β={b:g}: {min(e)}" + (f"–{max(e)}" if max(e) != min(e) else ""))
        return "epochs as trained (" + ", ".join(parts) + ")"

    def column(self, key: str, beta: float) -> np.ndarray:
        return np.array([p.values[key] for p in self.points if p.beta == beta
                         and key in p.values], dtype=np.float64)

    def summary(self, key: str, beta: float) -> dict[str, float]:
        """{"mean", "sd", "min", "max", "n"} of one metric over the seeds of one β."""
        v = self.column(key, beta)
        if len(v) == 0:
            return {"mean": float("nan"), "sd": float("nan"), "min": float("nan"),
                    "max": float("nan"), "n": 0}
        return {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
                "min": float(v.min()), "max": float(v.max()), "n": len(v)}

    def to_dict(self) -> dict[str, Any]:
        keys = list(EXTRA) + list(METRICS)
        return {"data": self.data_spec, "arch": self.arch, "latent_dim": self.latent_dim,
                "epochs": self.epochs, "as_trained": self.as_trained, "betas": list(self.betas), "seeds": list(self.seeds),
                "measure_limit": self.measure_limit,
                "summary": {f"{b:g}": {k: self.summary(k, b) for k in keys} for b in self.betas},
                "points": [{"beta": p.beta, "seed": p.seed, "kind": p.kind, "epochs": p.epochs,
                            "reused": p.reused, "values": p.values,
                            "intervals": {k: list(v) for k, v in p.intervals.items()},
                            "importance": p.importance.round(4).tolist(),
                            "factors": list(p.factor_names)} for p in self.points],
                "verdicts": verdicts(self)}


def _load_matching(path: Path, cfg: Any, any_epochs: bool = False) -> tuple[Any, int] | None:
    """(model, epochs trained) saved at `path` if it was trained with `cfg` (epochs
    included, unless `any_epochs`), None if there is no file; ModelDirError if it was
    trained otherwise."""
    if not path.exists():
        return None
    from latent_atlas.models.checkpoint import load_model

    loaded = load_model(path)
    want, have = cfg.to_dict(), loaded.config.to_dict()
    diff = [k for k in want if k != "epochs" and want.get(k) != have.get(k)]
    done = len(loaded.meta.get("history") or [])
    if diff:
        k = diff[0]
        raise ModelDirError(f"{path} was trained with {k}={have.get(k)!r}, the sweep asks for "
                            f"{want.get(k)!r}; move it away or choose another --models folder")
    if done != cfg.epochs and not any_epochs:
        raise ModelDirError(f"{path} was trained for {done} epochs, the sweep asks for "
                            f"{cfg.epochs}; pass --epochs {done} or move it away")
    return loaded.model, done


def _measures_path(path: Path) -> Path:
    return path.with_name(path.name.replace(".safetensors", ".measures.json"))


def _model_stamp(path: Path) -> list[float]:
    st = path.stat()
    return [float(st.st_size), float(st.st_mtime_ns)]


def _stored_measures(path: Path | None, spec: str, settings: DisentangleSettings,
                     limit: int | None) -> dict[str, Any] | None:
    """The measurements saved beside a reused model, when they were made of this very file
    (size and modification time), on this data and with these settings; else None."""
    import json
    from dataclasses import asdict

    if path is None or not _measures_path(path).exists():
        return None
    try:
        doc = json.loads(_measures_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = (isinstance(doc, dict) and doc.get("data") == spec
          and doc.get("settings") == asdict(settings) and doc.get("model") == _model_stamp(path)
          and doc.get("measure_limit") == limit)
    return doc if ok else None


def _store_measures(path: Path, spec: str, settings: DisentangleSettings,
                    stored: dict[str, Any], limit: int | None) -> None:
    import json
    from dataclasses import asdict

    from latent_atlas.models.modelfile import atomic_write_bytes

    doc = {**stored, "data": spec, "settings": asdict(settings), "model": _model_stamp(path),
           "measure_limit": limit,
           "intervals": {k: list(v) for k, v in stored["intervals"].items()}}
    atomic_write_bytes(_measures_path(path), json.dumps(doc).encode("utf-8"))


def measure_rows(n: int, limit: int | None) -> np.ndarray:
    """The rows every model is measured on: all, or `limit` of them drawn with a fixed seed
    (the same rows for every model and seed of a sweep)."""
    if limit is None or limit >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(MEASURE_SEED).choice(n, limit, replace=False))


def measure_model(model: Any, data: Any, seed: int, settings: DisentangleSettings,
                  limit: int | None = None) -> tuple[dict[str, float],
                                                     dict[str, tuple[float, float]], Any]:
    """(values, intervals, disentanglement result) of one model on `data` (on `limit`
    of its images when given; the reconstruction error on the held-out images among them)."""
    from latent_atlas.explorer.core.inference import encode_posterior, reconstruct_float
    from latent_atlas.models.trainer import split_indices

    rows = measure_rows(len(data), limit)
    mu, logvar = encode_posterior(model, data.images[rows])
    diag = latent_diagnostics(mu, logvar, seed=seed)
    _, val = split_indices(len(data), 0.1, seed)  # the rows the trainer held out
    val = np.intersect1d(val, rows) if limit is not None else val
    held = data.images[val] if len(val) else data.images[rows]
    recon = reconstruct_float(model, held)
    mse = float(((recon - held.astype(np.float32) / 255.0) ** 2).mean())
    dis = disentanglement(mu, {k: v[rows] for k, v in data.factors.items()}, settings)
    values = {"recon_mse": mse, "n_active": float(diag.n_active)}
    if diag.kl_total is not None:
        values["kl"] = diag.kl_total
    if diag.mutual_information is not None:
        values["mi"] = diag.mutual_information
    values.update({k: dis.value(k) for k in METRICS})
    return values, {k: dis.interval(k) for k in METRICS}, dis


def run_beta_seeds(config: Any, data: Any, betas: Sequence[float], seeds: Sequence[int], *,
                   models_dir: str | Path | None = None, device: str = "auto",
                   settings: DisentangleSettings | None = None, cancel: Any = None,
                   measure_limit: int | None = None, as_trained: bool = False
                   ) -> Generator[SweepProgress, None, BetaSeedResult]:
    """Train (or reuse from `models_dir`, saving what it trains there) one model per β and
    seed, and measure each. Yields `SweepProgress`; returns a `BetaSeedResult`.
    `as_trained`: reuse every model at the epochs it has, train none (see the module
    docstring); a missing one is a ModelDirError."""
    import time

    from latent_atlas.models.checkpoint import save_model
    from latent_atlas.models.networks import build_model
    from latent_atlas.models.trainer import train

    betas = check_betas(betas)
    if not data.factors:
        raise ValueError(f"{data.spec} has no factor columns; the disentanglement sweep needs "
                         "data with known factors, such as shapes")
    if as_trained and models_dir is None:
        raise ModelDirError("reusing models as trained needs the folder they are in (--models)")
    settings = settings or DisentangleSettings()
    jobs = [(s, b, c) for s in seeds for b, c in zip(betas, sweep_configs(config.replace(
        seed=s), betas), strict=True)]
    n = len(jobs)
    points: list[SeedPoint] = []
    train_seconds = 0.0
    for i, (seed, beta, cfg) in enumerate(jobs):
        check_cancel(cancel, "sweep")
        where = f"{beta_name(beta)}, seed {seed} ({i + 1}/{n})"
        path = model_path(models_dir, beta, seed, cfg.kind) if models_dir else None
        found = _load_matching(path, cfg, any_epochs=as_trained) if path is not None else None
        model, epochs = found if found is not None else (None, cfg.epochs)
        reused = model is not None
        if model is None and as_trained:
            raise ModelDirError(f"no model at {path}: with the models as trained, every β and "
                                "seed must be there already (train them with "
                                "benchmarks/beta_rounds.py --each, or drop --as-trained)")
        if model is None:
            def relabel(e: Any, i: int = i, where: str = where, beta: float = beta
                        ) -> SweepProgress:
                return SweepProgress(e.stage, (i + 0.8 * (e.fraction or 0.0)) / n,
                                     f"{where}: epoch {e.epoch}/{e.epochs}", beta=beta,
                                     index=i, count=n)

            start = time.perf_counter()
            r = yield from relay(train(build_model(cfg), data.images, device=device,
                                       cancel=cancel), relabel)
            train_seconds += time.perf_counter() - start
            if r.status == "cancelled":
                raise Cancelled("sweep cancelled")
            if r.status != "completed":
                raise ValueError(f"{where}: {r.message}")
            model = r.model
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                save_model(path, model, data_spec=data.spec, label_names=data.label_names,
                           history=r.history)
        yield SweepProgress("measure", (i + 0.8) / n, f"{where}: measuring", beta=beta,
                            index=i, count=n)
        stored = (_stored_measures(path, data.spec, settings, measure_limit) if reused
                  else None)
        if stored is None:
            values, intervals, dis = measure_model(model, data, seed, settings, measure_limit)
            stored = {"values": values, "intervals": intervals,
                      "importance": dis.importance.tolist(), "factors": list(dis.factor_names)}
            if path is not None:
                _store_measures(path, data.spec, settings, stored, measure_limit)
        points.append(SeedPoint(beta=beta, seed=seed, kind=cfg.kind, epochs=epochs,
                                values=dict(stored["values"]),
                                intervals={k: (float(v[0]), float(v[1]))
                                           for k, v in stored["intervals"].items()},
                                importance=np.asarray(stored["importance"]),
                                factor_names=tuple(stored["factors"]), reused=reused))
    return BetaSeedResult(points=points, betas=betas, seeds=tuple(seeds), data_spec=data.spec,
                          arch=config.arch, latent_dim=config.latent_dim, epochs=config.epochs,
                          train_seconds=train_seconds, settings=settings,
                          measure_limit=measure_limit, as_trained=as_trained)


def beyond_spread(result: BetaSeedResult, key: str, low_beta: float, high_beta: float) -> int:
    """+1 when every seed of `high_beta` scores above every seed of `low_beta`, -1 when
    every one scores below, 0 when the seed ranges overlap."""
    a, b = result.summary(key, low_beta), result.summary(key, high_beta)
    if b["min"] > a["max"]:
        return 1
    if b["max"] < a["min"]:
        return -1
    return 0


def verdicts(result: BetaSeedResult) -> dict[str, str]:
    """Per disentanglement metric, one sentence: does any β > 1 beat β = 1 (the plain VAE)
    beyond the seed spread?"""
    base = 1.0 if 1.0 in result.betas else min((b for b in result.betas if b > 0), default=None)
    out = {}
    for key in METRICS:
        if base is None:
            out[key] = "no VAE in the sweep"
            continue
        higher = [b for b in result.betas if b > base]
        up = [b for b in higher if beyond_spread(result, key, base, b) > 0]
        down = [b for b in higher if beyond_spread(result, key, base, b) < 0]
        parts = []
        if up:
            parts.append("above β=" + f"{base:g} beyond the seed spread at β=" +
                         ", ".join(f"{b:g}" for b in up))
        if down:
            parts.append(f"below β={base:g} beyond the seed spread at β="
                         + ", ".join(f"{b:g}" for b in down))
        out[key] = "; ".join(parts) if parts else (f"no β above {base:g} parts from β={base:g} "
                                                   "beyond the seed spread")
    return out


def _cell(s: dict[str, float], digits: int) -> str:
    if s["n"] == 0:
        return "-"
    return f"{s['mean']:.{digits}f} ± {s['sd']:.{digits}f}"


def beta_seed_table(result: BetaSeedResult) -> tuple[list[str], list[list[str]]]:
    """(header, rows): per β, each column as 'mean ± sd over seeds'."""
    keys = list(EXTRA) + list(METRICS)
    digits = {"recon_mse": 4, "kl": 1, "n_active": 1, "mi": 2}
    header = ["β", "kind", "seeds"] + [EXTRA.get(k) or SHORT[k] for k in keys]
    rows = []
    for b in result.betas:
        rows.append([f"{b:g}", "ae" if b == 0 else "vae", str(len(result.column("recon_mse", b)))]
                    + [_cell(result.summary(k, b), digits.get(k, 3)) for k in keys])
    return header, rows


def format_beta_seed_table(result: BetaSeedResult, markdown: bool = False) -> str:
    """The table, a footer that says what it measured, and the verdicts."""
    header, rows = beta_seed_table(result)
    if markdown:
        lines = ["| " + " | ".join(header) + " |",
                 "|" + "|".join(["---:", "---", "---:"] + ["---:"] * (len(header) - 3)) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
    else:
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
        lines = ["  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True))
                 for r in [header, ["-" * w for w in widths], *rows]]
    s = result.settings
    foot = [
        "",
        f"data {result.data_spec}, {result.arch}, latent {result.latent_dim}, "
        f"{result.epochs_text()}; seeds {', '.join(map(str, result.seeds))}; mean ± sample standard deviation "
        "over seeds.",
        "recon MSE on the images each trainer held out; KL, active units, I(x;z) and the "
        "metrics on the mean codes of "
        + ("the whole data" if result.measure_limit is None else
           f"{result.measure_limit:,} images drawn once (the same for every model)")
        + f" against its factors (bootstrap seed {s.seed}).",
    ]
    foot += [f"{METRICS[k]}: {v}." for k, v in verdicts(result).items()]
    return "\n".join(lines + foot)
