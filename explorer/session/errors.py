"""One readable line for any failure that reaches a user."""

from __future__ import annotations


class CommandError(ValueError):
    """A command cannot run as asked (a flag out of range, a model that cannot do it); the
    message says why and what to do. The CLI prints it as one line with exit code 2."""


def typed_errors() -> tuple[type[ValueError], ...]:
    """The error types of model files, data, configs, imported images and commands, whose
    messages are written for the user. They are not the only ones: other modules raise
    their own ValueErrors written for the user too (`OpenError`, the applications'
    `ApplicationError`, `TrainingChoiceError`, the β × seed sweep's `ModelDirError`), so a
    front end shows every ValueError's message, as `readable_error` and the CLI do."""
    from latent_atlas.explorer.core.data import DataError
    from latent_atlas.explorer.core.io.images import ImageImportError
    from latent_atlas.models.config import ConfigError
    from latent_atlas.models.modelfile import ModelFileError

    return (ModelFileError, DataError, ConfigError, ImageImportError, CommandError)


def readable_error(exc: BaseException) -> str:
    """Our typed errors carry their own message; others are named, never a traceback."""
    if isinstance(exc, (*typed_errors(), ValueError, FileNotFoundError, PermissionError,
                        IsADirectoryError)):
        return str(exc) or type(exc).__name__
    if isinstance(exc, MemoryError):
        return "Not enough memory for this operation; try a smaller data set (limit=...)."
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    return f"Unexpected error ({type(exc).__name__}): {exc}"
