"""Two panels on what a code is worth: as a compressed image (the AE against JPEG at the
same number of bytes) and as features for a classifier (the linear / k-NN probe).

Both run their measurement as a background job per shown model (`compress_iter`,
`probe_iter` in `explorer.core.analysis`) and only show what comes back: the compression
panel a rate-distortion chart (bits per image against PSNR, log scale) and a row of
examples (original, the AE at b bits, JPEG at the same size); the probe panel a small
table of held-out accuracies, codes against raw pixels.
"""

from __future__ import annotations

import weakref

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.core.analysis.compress import (
    CompressSettings,
    compress_iter,
    compress_summary,
    parse_bits,
)
from explorer.core.analysis.compress_figure import rate_distortion_curves
from explorer.core.analysis.probe import (
    CLASSIFIER_TITLES,
    CLASSIFIERS,
    ProbeSettings,
    parse_fractions,
    probe_iter,
)
from explorer.session.jobs import Jobs
from explorer.session.session import Session
from explorer.session.workspace import ShownSessions

from .common import PanelBase, RunOrCancel, hint_label, labelled_row, session_title, to_pixmap

SESSION_COLOURS = ((200, 50, 40), (150, 60, 200))
EXAMPLE_PX = 56
SHORT_TITLES = {"logistic": "logistic", "knn": "k-NN"}


class _JobPanel(RunOrCancel, PanelBase):
    """A panel whose one button starts one job per shown model (and cancels them)."""

    START_TEXT = "Run"
    WHAT = "measurement"

    def __init__(self, shown: ShownSessions, jobs: Jobs | None = None,
                 parent: QWidget | None = None):
        super().__init__(shown, jobs, parent)
        self.run_button = QPushButton(self.START_TEXT)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.hint = hint_label()
        # session -> (its images, settings, result): kept per model, so switching back and
        # forth shows a result again without measuring again.
        self._results: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._jobs: dict[str, object] = {}
        self._fractions: dict[str, float] = {}
        self.run_button.clicked.connect(self._on_button)

    def start_jobs(self) -> None:
        self.run()

    def settings(self):  # pragma: no cover - subclasses
        raise NotImplementedError

    def refuses(self, s: Session) -> str:
        """Why this panel cannot measure `s` ("" when it can)."""
        return ""

    def make_job(self, s: Session, settings):  # pragma: no cover - subclasses
        raise NotImplementedError

    def result_for(self, s: Session):
        """The stored result of `s` for its current images and the panel's settings."""
        cached = self._results.get(s)
        try:
            settings = self.settings()
        except ValueError:
            return None
        if cached is not None and cached[0] is s.images and cached[1] == settings:
            return cached[2]
        return None

    def run(self) -> None:
        try:
            settings = self.settings()
        except ValueError as exc:
            self.hint.setText(str(exc))
            return
        loaded = [s for s in self.sessions if s.model is not None and s.images is not None]
        if not loaded:
            self.hint.setText("Wait until the model and its data have loaded.")
            return
        sessions = [s for s in loaded if not self.refuses(s)]
        if not sessions:
            self.hint.setText(self.refuses(loaded[0]))
            return
        todo = [s for s in sessions if self.result_for(s) is None]
        if not todo:
            self.schedule()
            return
        for s in todo:
            name = f"{self.WHAT}-{id(s)}"
            images = s.images
            job = self.jobs.start(name, self.make_job(s, settings))
            job.progress.connect(lambda ev, name=name: self._on_progress(name, ev.fraction))
            job.succeeded.connect(lambda r, s=s, images=images:
                                  self._on_done(s, images, settings, r))
            job.failed.connect(lambda msg: self.hint.setText(f"The {self.WHAT} failed: {msg}"))
            job.cancelled.connect(lambda: self.hint.setText(f"The {self.WHAT} was cancelled."))
            job.finished.connect(lambda name=name: self._on_finished(name))
            self._jobs[name] = job
            self._fractions[name] = 0.0
            job.start()
        self.progress.setValue(0)
        self.progress.show()
        self.run_button.setText("Cancel")
        self.hint.setText(f"Running the {self.WHAT} on {len(todo)} model(s)…")

    def _on_progress(self, name: str, fraction: float | None) -> None:
        self._fractions[name] = float(fraction or 0.0)
        self.progress.setValue(int(1000 * sum(self._fractions.values()) / len(self._fractions)))

    def _on_done(self, s: Session, images, settings, result) -> None:
        self._results[s] = (images, settings, result)
        self.schedule()

    def _on_finished(self, name: str) -> None:
        self._jobs.pop(name, None)
        if not self._jobs:
            self._fractions.clear()
            self.progress.hide()
            self.run_button.setText(self.START_TEXT)
            self.schedule()

    def shown_results(self) -> list[tuple[Session, object]]:
        return [(s, r) for s in self.sessions if (r := self.result_for(s)) is not None]


# ---- compression ----------------------------------------------------------------------------
class CompressPanel(_JobPanel):
    START_TEXT = "Compare with JPEG"
    WHAT = "compression"

    def __init__(self, shown: ShownSessions, jobs: Jobs | None = None,
                 parent: QWidget | None = None):
        super().__init__(shown, jobs, parent)
        self.bits_edit = QLineEdit("2,4,8")
        self.bits_edit.setToolTip("Bits per latent dimension, comma-separated: each image "
                                  "then costs latent_dim x b bits")
        self.images_spin = QSpinBox()
        self.images_spin.setRange(0, 100_000)
        self.images_spin.setValue(300)
        self.images_spin.setSpecialValueText("all")
        self.images_spin.setPrefix("images ")
        self.images_spin.setToolTip("Held-out images to measure (0: all of them)")
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumHeight(220)
        # log2 of the bits on a linear axis, ticked at powers of two: pyqtgraph's own log
        # axis crowds its minor labels in a narrow dock.
        self.plot.setLabel("bottom", "bits per image (log scale)")
        self.plot.setLabel("left", "PSNR (dB)")
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.legend = self.plot.addLegend(offset=(8, 8))
        self.example_bits = QComboBox()
        self.example_bits.setToolTip("Which number of bits the example row shows")
        self.examples = QGridLayout()
        self.examples.setSpacing(4)
        self.example_labels: list[QLabel] = []
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # name -> (bits, psnr)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(labelled_row("Bits", self.bits_edit, self.images_spin))
        layout.addWidget(self.run_button)
        layout.addWidget(self.progress)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.summary)
        layout.addLayout(labelled_row("Examples at", self.example_bits))
        layout.addLayout(self.examples)
        layout.addWidget(self.hint)

        self.bits_edit.editingFinished.connect(self.schedule)
        self.images_spin.valueChanged.connect(self.schedule)
        self.example_bits.currentIndexChanged.connect(self.schedule)
        self.follow([("data_changed", self.schedule), ("decoder_changed", self.schedule)])

    def settings(self) -> CompressSettings:
        n = self.images_spin.value()
        return CompressSettings(bits=parse_bits(self.bits_edit.text()), examples=4,
                                max_images=n or None)

    def make_job(self, s: Session, settings: CompressSettings):
        model, images, spec = s.model, s.images, s.data_spec
        return lambda cancel: compress_iter(model, images, settings, data_spec=spec,
                                            cancel=cancel)

    def refuses(self, s: Session) -> str:
        if s.model.config.is_conditional:
            return ("A conditional model needs each image's label beside its code; "
                    "compression is measured for plain models only.")
        return ""

    def refresh(self) -> None:
        results = self.shown_results()
        self.plot.clear()
        self.legend.clear()
        self.curves = {}
        if not results:
            self.summary.setText("")
            self._set_examples(None, None)
            self.example_bits.clear()
            if not self.running():
                self.hint.setText(
                    "Send each held-out image as its code, every dimension quantised to b bits, "
                    "and compare it with a JPEG of the same size (PSNR, higher is better).")
            return
        many = len(results) > 1
        for k, (s, r) in enumerate(results):
            ae = rate_distortion_curves(r)[0]
            name = f"{s.kind.upper()} ({s.name})" if many else ae.name
            self._add_curve(name, ae.bits, ae.psnr, SESSION_COLOURS[k % 2], symbol="s")
        for c in rate_distortion_curves(results[0][1])[1:]:
            self._add_curve(c.name, c.bits, c.psnr, c.colour, dashed=c.dashed)
        self._set_bit_ticks()
        lines = []
        for s, r in results:
            head = f"{session_title(s)}: " if many else ""
            lines += [head + line for line in compress_summary(r)]
        self.summary.setText("\n".join(lines))
        self._update_bits_choice(results[0][1])
        self._set_examples(*results[0])
        r0 = results[0][1]
        self.hint.setText(f"{r0.n_held_out} held-out images of {r0.data_spec or 'the data'}. "
                          "JPEG 'scan data only' leaves out its headers (the same for every "
                          "image of this size), as the AE leaves out its decoder.")

    def _add_curve(self, name: str, bits: np.ndarray, psnr: np.ndarray, colour, *,
                   dashed: bool = False, symbol: str = "o") -> None:
        pen = pg.mkPen(colour, width=2,
                       style=Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
        self.plot.plot(np.log2(bits), psnr, pen=pen, symbol=symbol, symbolSize=7, symbolBrush=colour,
                       symbolPen=None, name=name)
        self.curves[name] = (np.asarray(bits), np.asarray(psnr))

    def _set_bit_ticks(self) -> None:
        every = np.concatenate([b for b, _ in self.curves.values()])
        lo, hi = int(np.floor(np.log2(every.min()))), int(np.ceil(np.log2(every.max())))
        step = max(1, (hi - lo + 1) // 7)
        ticks = [(float(k), f"{2 ** k:,}") for k in range(lo, hi + 1, step)]
        self.plot.getAxis("bottom").setTicks([ticks, []])

    def _update_bits_choice(self, result) -> None:
        bits = [row.bits for row in sorted(result.rows, key=lambda r: r.bits)]
        have = [self.example_bits.itemData(i) for i in range(self.example_bits.count())]
        if have == bits:
            return
        current = self.example_bits.currentData()
        self.example_bits.blockSignals(True)
        self.example_bits.clear()
        for b in bits:
            self.example_bits.addItem(f"{b} bits per dimension", b)
        self.example_bits.setCurrentIndex(bits.index(current) if current in bits
                                          else len(bits) - 1)
        self.example_bits.blockSignals(False)

    def _set_examples(self, session: Session | None, result) -> None:
        for label in self.example_labels:
            self.examples.removeWidget(label)
            label.deleteLater()
        self.example_labels = []
        if result is None or not len(result.example_indices):
            return
        b = self.example_bits.currentData()
        row = next((r for r in result.rows if r.bits == b), None)
        if row is None:
            return
        columns = [("original", result.examples["original"]),
                   (f"AE {b} bits\n{row.ae.bits / 8:g} B", result.examples[f"ae{b}"]),
                   (f"JPEG\n~{row.jpeg['scan'].bits / 8:.1f} B", result.examples[f"jpeg{b}"])]
        for i in range(len(result.example_indices)):
            for k, (title, images) in enumerate(columns):
                if i == 0:
                    head = QLabel(title)
                    head.setAlignment(Qt.AlignmentFlag.AlignCenter)
                    self.examples.addWidget(head, 0, k)
                    self.example_labels.append(head)
                img = images[i]
                label = QLabel()
                label.setPixmap(to_pixmap(img, max(1, EXAMPLE_PX // max(img.shape[:2]))))
                label.setAlignment(Qt.AlignmentFlag.AlignCenter)
                self.examples.addWidget(label, i + 1, k)
                self.example_labels.append(label)


# ---- probe ------------------------------------------------------------------------------------
class ProbePanel(_JobPanel):
    START_TEXT = "Train the probes"
    WHAT = "probe"

    def __init__(self, shown: ShownSessions, jobs: Jobs | None = None,
                 parent: QWidget | None = None):
        super().__init__(shown, jobs, parent)
        self.fractions_edit = QLineEdit("1%,10%,100%")
        self.fractions_edit.setToolTip("Fractions of the training split whose labels the "
                                       "classifiers may see")
        self.table = QTableWidget()
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(labelled_row("Labelled", self.fractions_edit))
        layout.addWidget(self.run_button)
        layout.addWidget(self.progress)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.hint)

        self.fractions_edit.editingFinished.connect(self.schedule)
        self.follow([("data_changed", self.schedule), ("decoder_changed", self.schedule)])

    def settings(self) -> ProbeSettings:
        return ProbeSettings(fractions=parse_fractions(self.fractions_edit.text()))

    def make_job(self, s: Session, settings: ProbeSettings):
        model, images, labels, spec = s.model, s.images, s.labels, s.data_spec
        first = s is self.sessions[0]
        # Pixels do not depend on the model: the first model's job measures them once.
        settings = ProbeSettings(settings.fractions, settings.seed, settings.val_fraction,
                                 pixels=first)
        return lambda cancel: probe_iter(model, images, labels, settings, data_spec=spec,
                                         cancel=cancel)

    def refuses(self, s: Session) -> str:
        if s.labels is None or len(s.labels) != len(s.images):
            return "This data has no labels, so there is nothing to classify."
        return ""

    def result_for(self, s: Session):
        cached = self._results.get(s)
        try:
            fractions = self.settings().fractions
        except ValueError:
            return None
        if cached is not None and cached[0] is s.images and cached[1].fractions == fractions:
            return cached[2]
        return None

    def rows(self) -> tuple[list[str], list[list[str]]]:
        """The table's header and cells (tests read them)."""
        results = self.shown_results()
        if not results:
            return [], []
        many = len(results) > 1
        head = ["labelled", "images"]
        for s, _ in results:
            for c in CLASSIFIERS:
                head.append(f"{s.kind.upper() if many else 'codes'}\n{SHORT_TITLES[c]}")
        pixels = next((r for _, r in results if r.rows and r.rows[0].pixels), None)
        if pixels is not None:
            head += [f"pixels\n{SHORT_TITLES[c]}" for c in CLASSIFIERS]
        body = []
        first = results[0][1]
        for k, row in enumerate(first.rows):
            cells = [f"{100 * row.fraction:g} %", f"{row.n_labelled:,}"]
            for _, r in results:
                cells += [f"{100 * r.rows[k].codes[c]:.1f} %" for c in CLASSIFIERS]
            if pixels is not None:
                cells += [f"{100 * pixels.rows[k].pixels[c]:.1f} %" for c in CLASSIFIERS]
            body.append(cells)
        return head, body

    def refresh(self) -> None:
        head, body = self.rows()
        self.table.clear()
        self.table.setColumnCount(len(head))
        self.table.setRowCount(len(body))
        self.table.setHorizontalHeaderLabels(head)
        for i, cells in enumerate(body):
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(i, j, item)
        if not body:
            if not self.running():
                self.hint.setText(
                    "Train a logistic regression and a k-NN classifier on the codes of a few "
                    "labelled images and score them on held-out images, against the same "
                    "classifiers on raw pixels.")
            return
        r = self.shown_results()[0][1]
        titles = "; ".join(f"{SHORT_TITLES[c]}: {CLASSIFIER_TITLES[c]}" for c in CLASSIFIERS)
        self.hint.setText(f"Accuracy on {r.n_held_out} held-out images ({titles}); codes have "
                          f"{r.latent_dim} dimensions, pixels {r.n_pixels}; chance "
                          f"{100 * r.chance:.1f} %.")
