"""Codes as features, Qt-free: a logistic regression and a k-NN classifier trained on the
codes of a few labelled images and scored on held-out images, against the same
classifiers on raw pixels (`probe_iter` in `latent_atlas.explorer.core.analysis.claims.probe`), one job per
shown model; the panel shows one table."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from latent_atlas.explorer.core.analysis.claims.probe import (
    CLASSIFIER_TITLES,
    CLASSIFIERS,
    ProbeSettings,
    parse_fractions,
    probe_iter,
)

from ..jobs import Jobs
from ..session import Session
from ..workspace import ShownSessions
from .measure import MeasureModel

SHORT_TITLES = {"logistic": "logistic", "knn": "k-NN"}
HINT = ("Train a logistic regression and a k-NN classifier on the codes of a few labelled "
        "images and score them on held-out images, against the same classifiers on raw "
        "pixels.")


class ProbeModel(MeasureModel):
    WHAT = "probe"

    def __init__(self, shown: ShownSessions, jobs: Jobs):
        self.fractions_text = "1%,10%,100%"
        self.head: list[str] = []
        self.body: list[list[str]] = []
        super().__init__(shown, jobs)

    def set_fractions_text(self, text: str) -> None:
        self.fractions_text = text
        self.setting_changed()

    def settings(self) -> ProbeSettings:
        return ProbeSettings(fractions=parse_fractions(self.fractions_text))

    def same_settings(self, stored: Any, now: Any) -> bool:
        return bool(stored.fractions == now.fractions)  # the pixels flag differs per model

    def refuses(self, s: Session) -> str:
        if s.labels is None or s.images is None or len(s.labels) != len(s.images):
            return "This data has no labels, so there is nothing to classify."
        return ""

    def make_job(self, s: Session, settings: Any) -> Callable[[threading.Event], Any]:
        model, images, labels, spec = s.model, s.images, s.labels, s.data_spec
        assert images is not None  # `run` measures loaded models only
        first = s is self.sessions[0]
        # Pixels do not depend on the model: the first model's job measures them once.
        settings = ProbeSettings(settings.fractions, settings.seed, settings.val_fraction,
                                 pixels=first)
        return lambda cancel: probe_iter(model, images, labels, settings, data_spec=spec,
                                         cancel=cancel)

    def rows(self) -> tuple[list[str], list[list[str]]]:
        """The table's header and cells."""
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

    def update(self) -> None:
        self.head, self.body = self.rows()
        results = self.shown_results()
        if not results:
            self.hint = self.idle_hint(HINT)
        else:
            r = results[0][1]
            titles = "; ".join(f"{SHORT_TITLES[c]}: {CLASSIFIER_TITLES[c]}" for c in CLASSIFIERS)
            self.hint = (f"Accuracy on {r.n_held_out} held-out images ({titles}); codes have "
                         f"{r.latent_dim} dimensions, pixels {r.n_pixels}; chance "
                         f"{100 * r.chance:.1f} %.")
            self.message = ""
        self.changed.emit()
