"""Per-latent diagnostics and, for data with factors, the disentanglement metrics of each
model of a comparison: what `compare --json` reports under "latents" and the compare
window adds to its metrics table.

    latents = drain(latents_iter({"ae": ae, "vae": vae}, data))
    latents["vae"]["latents"]["n_active"], latents["vae"]["disentanglement"]["metrics"]["mig"]
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from latent_atlas.explorer.core.progress import Progress, check_cancel

from .latents import latent_diagnostics
from .measure import METRICS, DisentangleSettings, disentanglement


def latents_iter(models: dict[str, Any], data: Any, *, seed: int = 0, cancel: Any = None
                 ) -> Generator[Progress, None, dict[str, dict[str, Any]]]:
    """Yield Progress per model; return name -> {"latents": LatentDiagnostics.to_dict(),
    "disentanglement": DisentanglementResult.to_dict() or None (data without factors)}."""
    from latent_atlas.explorer.core.inference import encode_posterior

    out: dict[str, dict[str, Any]] = {}
    n = len(models)
    factors = getattr(data, "factors", None) or {}
    for i, (name, model) in enumerate(models.items()):
        check_cancel(cancel, "latent diagnostics")
        yield Progress("latents", i / n, f"{name}: per-latent diagnostics")
        mu, logvar = encode_posterior(model, data.images, labels=getattr(data, "labels", None)
                                      if model.n_cond else None)
        entry: dict[str, Any] = {"latents": latent_diagnostics(mu, logvar, seed=seed).to_dict(),
                                 "disentanglement": None}
        if factors:
            yield Progress("latents", (i + 0.3) / n, f"{name}: disentanglement metrics")
            entry["disentanglement"] = disentanglement(
                mu, factors, DisentangleSettings(seed=seed)).to_dict()
        out[name] = entry
    yield Progress("latents", 1.0, "per-latent diagnostics done")
    return out


def latent_rows(latents: dict[str, dict[str, Any]], names: list[str]
                ) -> list[tuple[str, list[str]]]:
    """(row title, one cell per model) for a metrics table: active units, KL, I(x; z),
    then each disentanglement metric with its interval when the data has factors."""
    rows: list[tuple[str, list[str]]] = []
    entries = [latents.get(n) or {} for n in names]
    lat = [e.get("latents") or {} for e in entries]
    if not any(lat):
        return rows
    rows.append(("active units (var of mean code > 0.01)",
                 [f"{x['n_active']} of {len(x['variance'])}" if x else "-" for x in lat]))
    rows.append(("KL (nats, sum over dims)",
                 [f"{x['kl_total']:.2f}" if x and x.get("kl_total") is not None else "- (AE)"
                  for x in lat]))
    rows.append(("I(x; z) (nats, Hoffman & Johnson)",
                 [f"{x['mutual_information']:.2f}" if x and x.get("mutual_information")
                  is not None else "- (AE)" for x in lat]))
    dis = [e.get("disentanglement") for e in entries]
    if any(dis):
        for key, label in METRICS.items():
            cells = []
            for d in dis:
                m = d["metrics"][key] if d else None
                cells.append("-" if m is None else
                             f"{m['value']:.3f} [{m['low']:.3f}, {m['high']:.3f}]")
            rows.append((label, cells))
    return rows


def format_latent_rows(latents: dict[str, dict[str, Any]], names: list[str]) -> str:
    """The rows as plain text under the compare table."""
    rows = latent_rows(latents, names)
    if not rows:
        return ""
    width = max(len(t) for t, _ in rows)
    cols = [max(len(n), *(len(r[1][j]) for r in rows)) for j, n in enumerate(names)]
    lines = ["per latent and disentanglement".ljust(width) + "  "
             + "  ".join(n.rjust(w) for n, w in zip(names, cols, strict=True))]
    lines += [t.ljust(width) + "  " + "  ".join(c.rjust(w) for c, w in zip(cells, cols,
                                                                           strict=True))
              for t, cells in rows]
    return "\n".join(lines)
