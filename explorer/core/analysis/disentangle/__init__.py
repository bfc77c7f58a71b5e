"""Disentanglement on data with known factors, and per-latent diagnostics of any model.

`disentanglement(codes, factors)` measures MIG, DCI, SAP and the FactorVAE score
(disentanglement_lib's definitions; each module says where and why it departs);
`latent_diagnostics(mu, logvar)` gives KL per dimension, active units, the mutual
information estimate and the per-dimension variance.
"""

from .factors import DisentangleError, FactorTable, factor_table
from .latents import LatentDiagnostics, diagnose_model, latent_diagnostics
from .measure import (
    METRICS,
    SHORT,
    DisentanglementResult,
    DisentangleSettings,
    disentanglement,
    format_metrics,
)

__all__ = ["METRICS", "SHORT", "DisentangleError", "DisentangleSettings",
           "DisentanglementResult", "FactorTable", "LatentDiagnostics", "diagnose_model",
           "disentanglement", "factor_table", "format_metrics", "latent_diagnostics"]
