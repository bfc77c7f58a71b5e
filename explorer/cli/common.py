"""Shared CLI plumbing: the user-error boundary and small argument helpers."""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass

EXIT_USAGE = 2


class UserError(Exception):
    """Something the user can fix; printed as one line, exit code 2."""


@dataclass
class _Status:
    code: int = EXIT_USAGE


def user_error_types() -> tuple[type[BaseException], ...]:
    """Every exception type whose message is written for the user."""
    from explorer.core.data import DataError
    from models.config import ConfigError
    from models.modelfile import ModelFileError

    return (UserError, DataError, ModelFileError, ConfigError, ValueError, FileNotFoundError,
            PermissionError, IsADirectoryError)


@contextlib.contextmanager
def user_errors():
    """Turn user-facing exceptions into `latent-atlas: error: ...` and exit code 2."""
    status = _Status()
    try:
        yield status
    except KeyboardInterrupt:
        print("latent-atlas: interrupted", file=sys.stderr)
        status.code = 130
    except user_error_types() as exc:
        print(f"latent-atlas: error: {exc}", file=sys.stderr)
        status.code = EXIT_USAGE
