"""Where a path enters the program: only regular files are ever opened for reading, and an
output is checked before any work starts.

Opening a FIFO blocks until someone writes to it, a device such as /dev/zero never ends,
and a symlink loop fails deep inside a library: `regular_file` refuses all of them from
`stat` alone, before anything is opened, with one readable line. Model files, data
sources and pictures all pass through it; so does `writable_output` for every output.
The standard library only, so the lowest floor (models) can use it.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _why(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "too many levels of symbolic links (a symlink loop?)"
    if exc.errno == errno.ENAMETOOLONG:
        return "the name is too long"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return exc.strerror or type(exc).__name__


def regular_file(path: str | os.PathLike, error: type[Exception] = ValueError,
                 what: str = "file") -> Path:
    """`path` as a Path when it names an existing regular file (symlinks followed);
    otherwise raise `error` with one readable line. Nothing is opened."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise error(f"{path} does not exist") from None
    except NotADirectoryError:
        raise error(f"{path} does not exist (a part of the path is a file, not a folder)") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        why = _why(exc) if isinstance(exc, OSError) else "the name is not valid"
        raise error(f"{path} cannot be opened: {why}") from None
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        raise error(f"{path} is a folder, not a {what}")
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "a special file")
        raise error(f"{path} is not a regular file (it is {kind}); give a {what}")
    return path


def is_regular_file(path: str | os.PathLike) -> bool:
    """True for an existing regular file (symlinks followed); never raises, never opens."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """True when both paths name the same file (an existing one, or the same resolved name)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        try:
            return Path(a).resolve() == Path(b).resolve()
        except (OSError, RuntimeError, ValueError):
            return False


def writable_output(path: str | os.PathLike, error: type[Exception] = ValueError, *,
                    inputs: tuple[str | os.PathLike, ...] = (), flag: str = "--out") -> Path:
    """Check, before any work, that `path` can be written the way every output is written
    (a temporary file beside it, then a rename): its folder exists and takes a new file,
    it is not a folder or a special file, and it is none of `inputs`. Returns the Path."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    for src in inputs:
        if same_file(path, src):
            raise error(f"{flag} {path} is the same file as the input {src}; "
                        "choose another output name")
    if not folder.exists():
        if _exists_as_file_part(folder):
            raise error(f"{flag} {path} cannot be written: {_file_part(folder)} is a file, "
                        "not a folder")
        raise error(f"{flag} {path} cannot be written: the folder {folder} does not exist")
    if not folder.is_dir():
        raise error(f"{flag} {path} cannot be written: {folder} is a file, not a folder")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise error(f"{flag} {path} cannot be written: {_why(exc)}") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise error(f"{flag} {path} is a folder; give a file name inside it")
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise error(f"{flag} {path} is not a regular file; give another file name")
    try:  # the real test: create (and remove) a file where the output's temp file will go
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=folder)
    except OSError as exc:
        raise error(f"{flag} {path} cannot be written: {_why(exc)} in {folder}") from None
    os.close(fd)
    os.unlink(probe)
    return path


def _file_part(folder: Path) -> Path:
    for parent in [folder, *folder.parents]:
        if parent.exists():
            return parent
    return folder


def _exists_as_file_part(folder: Path) -> bool:
    part = _file_part(folder)
    return part.exists() and not part.is_dir()
