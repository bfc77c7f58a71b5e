"""The PySide6 + pyqtgraph front end: windows, widgets and background workers."""

from .refguard import pin_singletons

pin_singletons()
