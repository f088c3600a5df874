"""The run lock with real processes: a second holder is refused by name and pid; a kill -9 frees it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from studio.engine.locks import LOCK_NAME, RunBusyError, lock_run

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the holder is killed with SIGKILL")


def _holder(lock_file) -> subprocess.Popen:
    """Another process that takes the lock, says so, and then waits to be killed."""
    code = textwrap.dedent(f"""
        import sys, time
        from studio.engine.locks import lock_run
        lock = lock_run({str(lock_file)!r}, "run")
        print("locked", flush=True)
        time.sleep(600)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_holder_is_refused_naming_the_output_and_the_process(tmp_path):
    lock = lock_run(tmp_path / "run" / LOCK_NAME, tmp_path / "run")
    assert (tmp_path / "run" / LOCK_NAME).read_text() == f"{os.getpid()}\n"
    with pytest.raises(RunBusyError) as e:
        lock_run(tmp_path / "run" / LOCK_NAME, tmp_path / "run")
    assert str(e.value) == (f"{tmp_path / 'run'} is in use by another GAN Studio run (process {os.getpid()}); "
                            "let it finish or stop it, or choose another output.")
    lock.release()
    assert not (tmp_path / "run").exists()  # the lock made the folder and nothing else was written
    with lock_run(tmp_path / "run" / LOCK_NAME, tmp_path / "run"):
        (tmp_path / "run" / "metrics.jsonl").write_text("{}\n")
    assert (tmp_path / "run").is_dir() and not (tmp_path / "run" / LOCK_NAME).exists()


def test_a_live_process_holds_it_and_a_killed_one_leaves_it_free(tmp_path):
    lock_file = tmp_path / "run" / LOCK_NAME
    holder = _holder(lock_file)
    try:
        with pytest.raises(RunBusyError, match=f"process {holder.pid}"):
            lock_run(lock_file, tmp_path / "run")
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert lock_file.read_text() == f"{holder.pid}\n"  # the killed run's lock file is still there …
    with lock_run(lock_file, tmp_path / "run"):  # … and is taken over
        assert lock_file.read_text() == f"{os.getpid()}\n"


def test_a_symlinked_lock_file_is_not_followed(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "photo.jpg").write_bytes(b"a user's photo")
    (tmp_path / "run" / LOCK_NAME).symlink_to(tmp_path / "photo.jpg")
    with pytest.raises(OSError, match=f"Could not write {tmp_path / 'run' / LOCK_NAME}"):
        lock_run(tmp_path / "run" / LOCK_NAME, tmp_path / "run")
    assert (tmp_path / "photo.jpg").read_bytes() == b"a user's photo"
