"""File ▸ Open Python model…: run a factory in the user's own Python file and open what it
returns (the window's twin of `--python FILE.py:FACTORY`).

The dialog says that the file's code will run before anything runs; nothing else in the
windows (a dropped file, a recent entry, a model file) ever runs Python.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from latent_atlas.explorer.session.user_code import PythonFactory, UserSource

from .forms import form_of

WARNING = ("Opening runs the code in this file with your permissions, as `python FILE` "
           "would. Open only code you trust.")


class PythonModelDialog(QDialog):
    """Python file, factory name(s), data spec, logits: `sources()` and `data()` after OK."""

    def __init__(self, parent: QWidget | None = None, *, factories: str = "make_model",
                 data: str = "digits") -> None:
        super().__init__(parent)
        self.setWindowTitle("Open Python model")
        self.file_edit = QLineEdit()
        self.file_edit.setPlaceholderText("my_models.py")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.file_edit)
        row.addWidget(browse)
        self.factory_edit = QLineEdit(factories)
        self.factory_edit.setToolTip("the function that returns the model (an nn.Module with "
                                     "encode/decode, or an (encoder, decoder) pair); two "
                                     "names, comma-separated, open two models (compare)")
        self.data_edit = QLineEdit(data)
        self.data_edit.setToolTip("the data to map, as on the command line: digits, "
                                  "mnist:DIR, folder:DIR, npz:FILE…")
        self.logits_check = QCheckBox("the decoder gives logits (apply a sigmoid)")
        form = form_of([("Python file", row), ("Factory", self.factory_edit),
                        ("Data", self.data_edit), ("", self.logits_check)])
        warning = QLabel(WARNING)
        warning.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Run and open")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(warning)
        layout.addWidget(buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Python file with a model factory", "",
                                              "Python files (*.py)")
        if path:
            self.file_edit.setText(path)

    def sources(self) -> list[UserSource]:
        """One `UserSource` per factory named (raises ValueError when a field is empty)."""
        path = self.file_edit.text().strip()
        names = [n.strip() for n in self.factory_edit.text().split(",") if n.strip()]
        if not path or not names:
            raise ValueError("give a Python file and the name of its factory function")
        output = "logits" if self.logits_check.isChecked() else None
        return [UserSource(PythonFactory(f"{path}:{n}"), output=output) for n in names]

    def data(self) -> str | None:
        return self.data_edit.text().strip() or None
