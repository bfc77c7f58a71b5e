"""The pieces the settings dialogs (train, sweep, Python model) build their forms from."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtWidgets import QFormLayout, QLayout, QSpinBox, QWidget


def spin(lo: int, hi: int, value: int) -> QSpinBox:
    """An integer field from `lo` to `hi`, set to `value`."""
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setValue(value)
    return box


def form_of(rows: Iterable[tuple[str | QWidget, QWidget | QLayout]]) -> QFormLayout:
    """A form with one row per (label, field); a label may be a widget of its own (so it
    can be shown, hidden or renamed with its field)."""
    form = QFormLayout()
    for label, field in rows:
        form.addRow(label, field)
    return form
