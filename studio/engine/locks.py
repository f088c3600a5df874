"""One run at a time per output: an OS lock on a lock file, held for the run's life.

Two runs writing one folder would interleave their metrics and replace each other's checkpoints. The lock is
the OS's own (``flock`` on POSIX, ``msvcrt.locking`` on Windows): it belongs to the open file, so it ends when
the process ends, however it ends (kill -9 and power loss included), and a lock file a killed run left behind
is simply taken over. The file holds the holder's process id, for the message that refuses a second run.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

from .atomic import writing
from .paths import PathLike

LOCK_NAME = ".lock"  # a run folder's lock file
_WINDOWS_LOCK_AT = 1 << 30  # Windows locks bytes: one far past the pid, which stays readable


class RunBusyError(ValueError):
    """Another process holds the lock; one sentence naming the output and that process."""


class RunLock:
    """A held lock on ``path`` (``release`` ends it; so does the process ending)."""

    def __init__(self, path: Path, fd: int, made_folder: bool) -> None:
        self.path, self._fd, self._made_folder = path, fd, made_folder

    def release(self) -> None:
        """Let the next run in: the lock file goes (POSIX; the newcomer checks it locked the file that is
        there), and so does its folder if the lock made it and nothing else was written."""
        if self._fd is None:
            return
        if sys.platform != "win32":
            self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None
        if self._made_folder:
            try:
                self.path.parent.rmdir()
            except OSError:
                pass  # it holds the run's files (or a newcomer's lock): it stays

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __del__(self) -> None:
        if self._fd is not None:
            os.close(self._fd)


def lock_run(path: PathLike, output: PathLike) -> RunLock:
    """Lock ``path`` (made with its folder if missing) for this process; ``output`` names what it guards.

    A lock another live process holds is a ``RunBusyError`` naming ``output`` and that process's id.
    """
    path = Path(path)
    made_folder = not path.parent.exists()
    with writing(path, only_this_file=False):
        path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        with writing(path, only_this_file=False):
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
        if not _try_lock(fd):
            holder = _read_pid(fd)
            os.close(fd)
            by = f"process {holder}" if holder else "another process"
            raise RunBusyError(f"{output} is in use by another GAN Studio run ({by}); let it finish or stop it, "
                               "or choose another output.")
        try:  # the previous holder may have removed the file between our open and our lock
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return RunLock(path, fd, made_folder)


def _try_lock(fd: int) -> bool:
    """Take the lock without waiting; False when another process holds it. A disk that has no locks (some
    network shares) is written unlocked, as before locks existed, rather than refused."""
    try:
        if sys.platform == "win32":
            import msvcrt

            os.lseek(fd, _WINDOWS_LOCK_AT, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            os.lseek(fd, 0, os.SEEK_SET)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        return e.errno not in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES, errno.EDEADLK)
    return True


def _read_pid(fd: int) -> int | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return int(os.read(fd, 32).decode("ascii").strip())
    except (OSError, ValueError):
        return None
