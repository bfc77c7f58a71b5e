"""One readable line for any failure that reaches a user."""

from __future__ import annotations


def readable_error(exc: BaseException) -> str:
    """Our typed errors carry their own message; others are named, never a traceback."""
    from latent_atlas.explorer.core.data import DataError
    from latent_atlas.explorer.core.io.images import ImageImportError
    from latent_atlas.models.config import ConfigError
    from latent_atlas.models.modelfile import ModelFileError

    if isinstance(exc, (ModelFileError, DataError, ConfigError, ImageImportError, ValueError,
                        FileNotFoundError, PermissionError, IsADirectoryError)):
        return str(exc) or type(exc).__name__
    if isinstance(exc, MemoryError):
        return "Not enough memory for this operation; try a smaller data set (limit=...)."
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    return f"Unexpected error ({type(exc).__name__}): {exc}"
