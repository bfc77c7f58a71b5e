"""Qt-free models of the application panels and the compare-only views.

Each panel of the windows (latent_atlas.explorer.qt.panels, the compare window's views, the dialogs)
binds to one model here: the model follows the shown sessions, owns its caches, runs its
work as named jobs off the owner thread (a newer job supersedes its predecessor) and
exposes typed results and a `changed` signal. The widget only shows what the model says
and turns gestures into calls, so every panel's behaviour is tested without a display
(tests/session/test_panel_*.py). The windows import what they need from here, never
from `latent_atlas.explorer.core.analysis` or `models`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# name -> the module that defines it. The package imports a panel's module (and the
# analysis behind it) when a name is first asked for, so opening the window does not
# wait for every panel's computations (PEP 562).
_WHERE = {
    "AnomalyColumn": "anomaly",
    "AnomalyModel": "anomaly",
    "CompressModel": "compress",
    "CompressView": "compress",
    "Curve": "compress",
    "DenoiseModel": "denoise",
    "DenoiseView": "denoise",
    "DirectionMeasureModel": "direction",
    "FactorColumn": "factors",
    "FactorsModel": "factors",
    "FactorsResult": "factors",
    "InpaintModel": "inpaint",
    "InpaintView": "inpaint",
    "JobGroup": "base",
    "MeasureColumn": "direction",
    "PICK_MODES": "sources",
    "PanelModel": "base",
    "PickedImage": "sources",
    "ProbeModel": "probe",
    "RetrievalColumn": "retrieval",
    "RetrievalModel": "retrieval",
    "RetrievalResult": "retrieval",
    "SOURCES": "sources",
    "SamplePick": "sources",
    "SelectionModel": "selection",
    "ShownImage": "denoise",
    "TraversalColumn": "traversal",
    "TraversalModel": "traversal",
    "TraversalResult": "traversal",
    "heat_colour": "factors",
    "label_text": "sources",
    "model_ready": "sources",
    "sample_captions": "sources",
    "select_sample": "sources",
    "session_title": "sources",
    "shared_reason": "base",
}

if TYPE_CHECKING:  # the names as the type checker and the linters see them
    from .anomaly import AnomalyColumn, AnomalyModel
    from .base import JobGroup, PanelModel, shared_reason
    from .compress import CompressModel, CompressView, Curve
    from .denoise import DenoiseModel, DenoiseView, ShownImage
    from .direction import DirectionMeasureModel, MeasureColumn
    from .factors import FactorColumn, FactorsModel, FactorsResult, heat_colour
    from .inpaint import InpaintModel, InpaintView
    from .probe import ProbeModel
    from .retrieval import RetrievalColumn, RetrievalModel, RetrievalResult
    from .selection import SelectionModel
    from .sources import (
        PICK_MODES,
        SOURCES,
        PickedImage,
        SamplePick,
        label_text,
        model_ready,
        sample_captions,
        select_sample,
        session_title,
    )
    from .traversal import TraversalColumn, TraversalModel, TraversalResult


def __getattr__(name: str) -> Any:
    """Import the module behind `name` on first use and keep the name here."""
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{where}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))

__all__ = [
    "PICK_MODES", "SOURCES", "AnomalyColumn", "AnomalyModel", "CompressModel", "CompressView",
    "Curve", "DenoiseModel", "DenoiseView", "DirectionMeasureModel", "FactorColumn",
    "FactorsModel", "FactorsResult", "InpaintModel",
    "InpaintView", "JobGroup", "MeasureColumn", "PanelModel", "PickedImage", "ProbeModel",
    "RetrievalColumn", "RetrievalModel", "RetrievalResult", "SamplePick", "SelectionModel", "ShownImage",
    "TraversalColumn", "TraversalModel", "TraversalResult", "label_text", "model_ready",
    "heat_colour", "sample_captions", "select_sample", "session_title", "shared_reason",
]
