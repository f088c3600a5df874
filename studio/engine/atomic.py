"""Atomic file writes: write a temp file beside the target, fsync, then rename over it.

A crash or kill mid-write leaves either the old file or the new one, never a torn one. Temporary names
carry the writing process's id (``.<name>.gs<pid>.<random>.tmp``), so the next run can tell the leftovers
of a killed process from a write still in progress and sweep them (``sweep_stale``).

Every failure to write (disk full, permission, I/O) surfaces as one ``WriteError`` sentence naming the
target file, never the temp file and never a library's internal message.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from .paths import PathLike


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp makes 0600 files and mkdtemp 0700 folders; finished ones get what a plain open()/mkdir() would give.
_UMASK = _current_umask()
FILE_MODE = 0o666 & ~_UMASK
DIR_MODE = 0o777 & ~_UMASK

# Leftovers of a process that is still alive are swept once they are this old (a stuck or foreign-host writer).
STALE_AFTER_S = 24 * 3600
_TEMP_NAME = re.compile(r"^\..+\.gs(\d+)\.[^.]+\.(tmp|old)$")

_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the disk is read-only",
    errno.EFBIG: "the file is larger than the disk or the system allows",
    errno.EIO: "an input/output error (the disk may be failing or was removed)",
    errno.ENAMETOOLONG: "the name is too long",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder",
    errno.ENOENT: "the folder does not exist",
}


def os_error_reason(exc: OSError) -> str:
    """A few words for what went wrong, without the errno number."""
    return _REASONS.get(exc.errno or 0) or (exc.strerror or str(exc) or type(exc).__name__).rstrip(".").lower()


class WriteError(OSError):
    """A file could not be written; the message is one sentence naming the target file."""

    def __init__(self, path: PathLike, cause: OSError) -> None:
        self.message = f"Could not write {path}: {os_error_reason(cause)}."
        super().__init__(cause.errno, self.message, str(path))

    def __str__(self) -> str:
        return self.message


def describe_os_error(exc: OSError) -> str:
    """One sentence for any OSError: ours already are; others get the file they name and a plain reason."""
    if isinstance(exc, WriteError):
        return str(exc)
    if exc.filename:
        return f"{exc.filename}: {os_error_reason(exc)}."
    return f"{os_error_reason(exc)[:1].upper()}{os_error_reason(exc)[1:]}."


@contextlib.contextmanager
def writing(path: PathLike, only_this_file: bool = True) -> Iterator[None]:
    """Turn an OSError raised while writing ``path`` into a ``WriteError`` naming it.

    With ``only_this_file``, an error that names another file (say, the source of a copy) is not about writing
    ``path`` and passes as is; without it, every OSError is (making the folders, renaming into place).
    """
    try:
        yield
    except WriteError:
        raise
    except OSError as exc:
        other = exc.filename and exc.errno != errno.ENOSPC and not _is_temp_of(exc.filename, Path(path))
        if only_this_file and other:
            raise
        raise WriteError(path, exc) from exc


def _is_temp_of(name: PathLike, path: Path) -> bool:
    name = Path(name)
    return name == path or (name.parent == path.parent and name.name.startswith(f".{path.name}."))


def temp_prefix(path: Path) -> str:
    """The start of this process's temporary names for ``path`` (see ``sweep_stale``)."""
    return f".{path.name}.gs{os.getpid()}."


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it replaces ``path`` atomically."""
    path = Path(path)
    with writing(path, only_this_file=False):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent)
        os.close(fd)
    tmp_path = Path(tmp)
    try:
        with writing(path):
            yield tmp_path
        with writing(path, only_this_file=False):
            os.chmod(tmp_path, FILE_MODE)  # after the writer: some writers recreate the file
            with open(tmp_path, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_bytes(path: PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_save(path: PathLike, writer: Callable[[Path], None]) -> None:
    """Call ``writer(tmp_path)`` and move the result onto ``path`` atomically."""
    with atomic_path(path) as tmp:
        writer(tmp)


class _RecordingFile(io.RawIOBase):
    """A binary file that remembers the OSError of a failed write: libraries that write through a file object
    (torch.save, numpy) replace it with their own message ("enforce fail at inline_container.cc")."""

    def __init__(self, f: BinaryIO) -> None:
        super().__init__()
        self.f, self.error = f, None

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.f.seek(offset, whence)

    def tell(self) -> int:
        return self.f.tell()

    def write(self, data) -> int:  # type: ignore[override]
        try:
            return self.f.write(data)
        except OSError as exc:
            self.error = exc
            raise


def atomic_stream(path: PathLike, writer: Callable[[BinaryIO], None]) -> None:
    """Call ``writer(file)`` on a binary file object and move the result onto ``path`` atomically.

    A write that fails for lack of space (or any OS reason) is reported as that reason, whatever the
    library made of it.
    """
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        recorder = _RecordingFile(f)
        try:
            writer(recorder)  # type: ignore[arg-type]
            f.flush()
        except Exception:
            if recorder.error is not None:
                raise recorder.error from None
            raise


@contextlib.contextmanager
def atomic_dir(path: PathLike, last: str | None = None, replaces: Sequence[str] = ()) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; on success its files are moved into ``path``.

    A new ``path`` is the renamed temporary folder, with ordinary permissions. An existing one keeps its own
    identity (it may be the current folder): the names in ``replaces`` that the new set lacks are removed,
    ``last`` first of all, and the new files are moved in with ``last`` at the end, so a folder that holds
    ``last`` holds a complete set. On failure the temporary folder is deleted and ``path`` is untouched.
    """
    path = Path(os.path.abspath(path))
    with writing(path, only_this_file=False):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent))
    try:
        with writing(path, only_this_file=False):
            yield tmp
            for f in tmp.iterdir():
                with open(f, "rb") as fh:
                    os.fsync(fh.fileno())
            if not path.exists():
                os.chmod(tmp, DIR_MODE)
                os.replace(tmp, path)
                return
            names = {f.name for f in tmp.iterdir()}
            for name in ([last] if last else []) + [n for n in replaces if n not in names]:
                (path / name).unlink(missing_ok=True)
            for f in sorted(tmp.iterdir(), key=lambda f: f.name == last):
                os.replace(f, path / f.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def sweep_stale(folder: PathLike) -> list[Path]:
    """Delete the temp files and folders that killed GAN Studio processes left in ``folder``; returns them.

    Only names of the form ``.<name>.gs<pid>.<random>.tmp|.old`` are considered, and only when their process is
    gone (or they are over ``STALE_AFTER_S`` old); nothing else is ever touched.
    """
    folder = Path(folder)
    swept = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return swept
    now = time.time()
    for entry in entries:
        m = _TEMP_NAME.match(entry.name)
        if not m:
            continue
        try:
            old = now - entry.lstat().st_mtime > STALE_AFTER_S
        except OSError:
            continue
        if int(m.group(1)) == os.getpid() or (_alive(int(m.group(1))) and not old):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        swept.append(entry)
    return swept
