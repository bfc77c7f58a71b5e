"""Qt-free models of the application panels and the compare-only views.

Each panel of the windows (latent_atlas.explorer.qt.panels, the compare window's views, the dialogs)
binds to one model here: the model follows the shown sessions, owns its caches, runs its
work as named jobs off the owner thread (a newer job supersedes its predecessor) and
exposes typed results and a `changed` signal. The widget only shows what the model says
and turns gestures into calls, so every panel's behaviour is tested without a display
(tests/session/test_panel_*.py). The windows import what they need from here, never
from `latent_atlas.explorer.core.analysis` or `models`.
"""

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

__all__ = [
    "PICK_MODES", "SOURCES", "AnomalyColumn", "AnomalyModel", "CompressModel", "CompressView",
    "Curve", "DenoiseModel", "DenoiseView", "DirectionMeasureModel", "FactorColumn",
    "FactorsModel", "FactorsResult", "InpaintModel",
    "InpaintView", "JobGroup", "MeasureColumn", "PanelModel", "PickedImage", "ProbeModel",
    "RetrievalColumn", "RetrievalModel", "RetrievalResult", "SamplePick", "SelectionModel", "ShownImage",
    "TraversalColumn", "TraversalModel", "TraversalResult", "label_text", "model_ready",
    "heat_colour", "sample_captions", "select_sample", "session_title", "shared_reason",
]
