"""Side panel: the image decoded at the cursor, the hovered sample and the user's picture."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QVBoxLayout, QWidget

from .binding import FollowsSession, SessionBinding
from .image_box import ImageBox


class ImagePanel(FollowsSession, QWidget):
    """Follows one session at a time (`set_session`)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.decoded = ImageBox("", min_size=200)
        self.decoded.caption.setWordWrap(True)  # a max-unpooling model's note is long
        self.hover_original = ImageBox("original", min_size=72)
        self.hover_recon = ImageBox("reconstruction", min_size=72)
        self.own_original = ImageBox("your image", min_size=72)
        self.own_recon = ImageBox("reconstruction", min_size=72)

        decoded_box = QGroupBox("Decoded at the cursor")
        QVBoxLayout(decoded_box).addWidget(self.decoded)
        self.hover_group = QGroupBox("Hovered sample")
        row = QHBoxLayout(self.hover_group)
        row.addWidget(self.hover_original)
        row.addWidget(self.hover_recon)
        self.own_group = QGroupBox("Your image")
        row = QHBoxLayout(self.own_group)
        row.addWidget(self.own_original)
        row.addWidget(self.own_recon)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(decoded_box, 3)
        layout.addWidget(self.hover_group, 2)
        layout.addWidget(self.own_group, 2)

        self._binding = SessionBinding([
            ("cursor_changed", self._update_decoded), ("decoder_changed", self._update_decoded),
            ("hover_changed", self._update_hover), ("data_changed", self._update_hover),
            ("placed_changed", self._update_placed)], widget=self)
        self.set_session(None)

    def _show_session(self) -> None:
        self._update_decoded()
        self._update_hover()
        self._update_placed()

    def _update_decoded(self) -> None:
        s = self.session
        if s is None or s.cursor_xy is None:
            self.decoded.set_image(None, "Click or drag on the map to decode any point.")
        elif s.cursor_image is None:
            self.decoded.set_image(None, s.cursor_note or "Loading the model…")
        else:
            x, y = (float(v) for v in s.cursor_xy)
            caption = f"map point ({x:.2f}, {y:.2f})"
            self.decoded.set_image(s.cursor_image,
                                   f"{caption}\n{s.cursor_note}" if s.cursor_note else caption)

    def _update_hover(self) -> None:
        s = self.session
        i = None if s is None else s.hover_index
        if s is None or i is None:
            self.hover_original.set_image(None, "")
            self.hover_recon.set_image(None, "")
            self.hover_group.setTitle("Hovered sample")
            return
        label = ""
        if s.labels is not None and i < len(s.labels):
            lab = int(s.labels[i])
            label = ", label " + (s.label_names[lab] if 0 <= lab < len(s.label_names) else str(lab))
        self.hover_group.setTitle(f"Hovered sample #{i}{label}")
        if s.data_matches_map():
            original = s.images[i]
            display = original[0] if original.shape[0] == 1 else np.transpose(original, (1, 2, 0))
            self.hover_original.set_image(display, "")
            recon = s.reconstructions[i] if s.reconstructions is not None else None
            err = f"error {s.recon_error[i]:.4f}" if s.recon_error is not None else ""
            self.hover_recon.set_image(recon, err)
        else:
            self.hover_original.set_image(None, s.data_status())
            self.hover_recon.set_image(None, "")

    def _update_placed(self) -> None:
        s = self.session
        p = s.placed if s is not None else None
        if p is None:
            self.own_original.set_image(None, "File ▸ Open image…")
            self.own_recon.set_image(None, "or drop a picture")
            self.own_group.setTitle("Your image")
        else:
            self.own_group.setTitle(f"Your image: {p.name}")
            self.own_original.set_image(p.display, "as the model sees it")
            self.own_recon.set_image(p.reconstruction, "★ on the map")
