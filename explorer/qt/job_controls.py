"""The foot of a dialog that runs a job: a progress bar, a status line and a row of
buttons (the first the default, the second Cancel, disabled until the job starts)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton


def job_controls(status: str, *labels: str, disabled: tuple[int, ...] = (1,)
                 ) -> tuple[QProgressBar, QLabel, list[QPushButton], QHBoxLayout]:
    """(progress 0..1000, status label, the buttons named `labels`, their right-aligned
    row); buttons at the indices `disabled` start disabled."""
    progress = QProgressBar()
    progress.setRange(0, 1000)
    label = QLabel(status)
    label.setWordWrap(True)
    buttons = [QPushButton(text) for text in labels]
    buttons[0].setDefault(True)
    row = QHBoxLayout()
    row.addStretch(1)
    for i, b in enumerate(buttons):
        b.setEnabled(i not in disabled)
        row.addWidget(b)
    return progress, label, buttons, row
