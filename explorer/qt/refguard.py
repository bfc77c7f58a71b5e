"""Guard against a reference-count bug in PySide6 6.12 on Python < 3.12.

Each call of a Python override of a Qt virtual (paintEvent, eventFilter, ...) drops one
reference to the object it returns when that object is None, True or False, without
having taken it. In a long session (every paint is such a call) the count of None
reaches zero and the interpreter aborts with "Fatal Python error: none_dealloc" (or
"bool_dealloc"), often at shutdown. Python 3.12+ makes these singletons immortal; on
older versions we give them a reference count so large that no session can exhaust it.
"""

from __future__ import annotations

import sys

_PINNED = False
_HEADROOM = 1 << 40  # ~1e12 leaked references: centuries of 60 fps repaints


def pin_singletons() -> None:
    """Raise the reference counts of None, True and False once (no-op on Python 3.12+)."""
    global _PINNED
    if _PINNED or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    import ctypes

    for obj in (None, True, False):
        # ob_refcnt is the first field of every CPython object (a Py_ssize_t).
        ctypes.c_ssize_t.from_address(id(obj)).value += _HEADROOM
    _PINNED = True
