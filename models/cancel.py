"""The one cancellation test every long-running generator uses (torch-free)."""

from __future__ import annotations

from typing import Any


def is_cancelled(cancel: Any) -> bool:
    """True when `cancel` (None, an Event-like object or a callable) says stop."""
    if cancel is None:
        return False
    if hasattr(cancel, "is_set"):
        return bool(cancel.is_set())
    return bool(cancel())
