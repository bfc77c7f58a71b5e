"""All the disentanglement metrics of one set of codes against the data's factors.

    result = disentanglement(codes, data.factors)          # DisentanglementResult
    result.value("mig"), result.interval("dci_d"), result.to_dict()

The codes are the mean codes of the data (the map's codes). Train and test rows are
drawn once per call from `settings.seed`, so two models measured with the same settings
on the same data share them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .dci import dci
from .factors import N_BINS, FactorTable, check_codes, discretise_codes, factor_table
from .factorvae import factorvae_score
from .mig import mi_matrix, mig, sap

# Key, label, and the paper; in the order the tables show them.
METRICS = {
    "mig": "MIG",
    "dci_d": "DCI disentanglement",
    "dci_c": "DCI completeness",
    "dci_i": "DCI informativeness",
    "sap": "SAP",
    "factorvae": "FactorVAE score",
}
SHORT = {"mig": "MIG", "dci_d": "DCI-D", "dci_c": "DCI-C", "dci_i": "DCI-I", "sap": "SAP",
         "factorvae": "FactorVAE"}


@dataclass(frozen=True)
class DisentangleSettings:
    """Sizes as disentanglement_lib's defaults where they fit (see each module)."""

    seed: int = 0
    n_bins: int = N_BINS
    n_boot: int = 200  # percentile bootstrap: MIG, SAP, FactorVAE
    dci_boot: int = 6  # refits for the DCI standard error
    dci_train: int = 5_000
    dci_test: int = 2_500
    sap_train: int = 10_000
    sap_test: int = 5_000
    level: float = 0.95


@dataclass
class DisentanglementResult:
    """Each metric as {"value", "low", "high", "interval"}; `importance` is the DCI
    importance matrix (d x K), `mi` the MIG's d x K mutual information (nats)."""

    factor_names: tuple[str, ...]
    metrics: dict[str, dict[str, Any]]
    importance: np.ndarray
    mi: np.ndarray
    n_codes: int
    settings: DisentangleSettings = field(default_factory=DisentangleSettings)

    def value(self, key: str) -> float:
        return float(self.metrics[key]["value"])

    def interval(self, key: str) -> tuple[float, float]:
        m = self.metrics[key]
        return float(m["low"]), float(m["high"])

    def best_dimension(self, factor: str) -> int:
        """The dimension with the largest DCI importance for `factor`."""
        k = self.factor_names.index(factor)
        return int(np.argmax(self.importance[:, k]))

    def to_dict(self) -> dict[str, Any]:
        return {"factors": list(self.factor_names), "n_codes": self.n_codes,
                "metrics": {k: dict(v) for k, v in self.metrics.items()},
                "importance": self.importance.round(4).tolist(),
                "mutual_information": self.mi.round(4).tolist(),
                "settings": asdict(self.settings)}


def _percentile(value: float, samples: np.ndarray, level: float) -> dict[str, Any]:
    tail = (1 - level) / 2 * 100
    if len(samples) == 0:
        return {"value": value, "low": value, "high": value, "interval": "none"}
    lo, hi = np.percentile(samples, [tail, 100 - tail])
    return {"value": value, "low": float(min(lo, value)), "high": float(max(hi, value)),
            "interval": "percentile bootstrap"}


def _standard_error(value: float, samples: np.ndarray, level: float) -> dict[str, Any]:
    from scipy.stats import norm

    if len(samples) < 2:
        return {"value": value, "low": value, "high": value, "interval": "none"}
    half = float(norm.ppf(0.5 + level / 2) * np.std(samples, ddof=1))
    return {"value": value, "low": value - half, "high": value + half,
            "interval": "bootstrap standard error (refits)"}


def split_rows(n: int, n_train: int, n_test: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint train and test rows: at most n_train and n_test, two thirds / one third of
    n when there are fewer."""
    order = np.random.default_rng(seed).permutation(n)
    n_tr = min(n_train, (2 * n) // 3)
    n_te = min(n_test, n - n_tr)
    return np.sort(order[:n_tr]), np.sort(order[n_tr:n_tr + n_te])


def disentanglement(codes: Any, factors: Mapping[str, Any] | FactorTable,
                    settings: DisentangleSettings | None = None) -> DisentanglementResult:
    """MIG, DCI (D, C, I), SAP and the FactorVAE score of N x d `codes` against the factor
    columns (a mapping name -> N values, as `ImageSet.factors`), each with its interval.
    Raises `DisentangleError` (a ValueError) with a readable message for unusable input."""
    s = settings or DisentangleSettings()
    table = factors if isinstance(factors, FactorTable) else factor_table(factors, s.n_bins)
    z = check_codes(codes, len(table.values))
    m = mig(z, table, n_bins=s.n_bins, n_boot=s.n_boot, seed=s.seed)
    tr, te = split_rows(len(z), s.dci_train, s.dci_test, s.seed)
    d = dci(z, table, tr, te, n_boot=s.dci_boot, seed=s.seed)
    tr2, te2 = split_rows(len(z), s.sap_train, s.sap_test, s.seed + 1)
    sp = sap(z, table, tr2, te2, n_boot=s.n_boot, seed=s.seed)
    fv = factorvae_score(z, table, n_boot=s.n_boot, seed=s.seed)
    metrics = {
        "mig": _percentile(m["value"], m["samples"], s.level),
        "dci_d": _standard_error(d["disentanglement"]["value"],
                                 d["disentanglement"]["samples"], s.level),
        "dci_c": _standard_error(d["completeness"]["value"], d["completeness"]["samples"],
                                 s.level),
        "dci_i": _standard_error(d["informativeness"]["value"],
                                 d["informativeness"]["samples"], s.level),
        "sap": _percentile(sp["value"], sp["samples"], s.level),
        "factorvae": _percentile(fv["value"], fv["samples"], s.level),
    }
    for key in ("dci_d", "dci_c", "dci_i"):  # each lies in [0, 1]
        metrics[key]["low"] = max(0.0, metrics[key]["low"])
        metrics[key]["high"] = min(1.0, metrics[key]["high"])
    mi = mi_matrix(discretise_codes(z, s.n_bins), table.bins)
    return DisentanglementResult(factor_names=table.names, metrics=metrics,
                                 importance=d["importance"], mi=mi, n_codes=len(z), settings=s)


def format_metrics(result: DisentanglementResult) -> list[str]:
    """One line per metric: 'MIG  0.123 [0.110, 0.135]'."""
    width = max(len(v) for v in METRICS.values())
    return [f"{label.ljust(width)}  {result.value(k):.3f} "
            f"[{result.interval(k)[0]:.3f}, {result.interval(k)[1]:.3f}]"
            for k, label in METRICS.items()]
