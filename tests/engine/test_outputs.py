"""The output policy (outputs.py) and atomic writes (atomic.py): nothing the user made is lost, every failure to
write is one sentence naming the file, and what killed processes leave behind is swept."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.engine import save_model
from studio.engine.atomic import (
    DIR_MODE,
    STALE_AFTER_S,
    WriteError,
    atomic_dir,
    atomic_write_text,
    describe_os_error,
    sweep_stale,
)
from studio.engine.images import save_png
from studio.engine.outputs import (
    OutputError,
    check_files_in,
    check_output_file,
    check_output_folder,
    dialog_output,
    made_here,
)
from tests.conftest import make_tiny_pair

ROOT = Path(__file__).resolve().parents[2]


def _dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _run_limited(code: str, cwd: Path, max_file_bytes: int) -> subprocess.CompletedProcess:
    """Run Python ``code`` where no file may grow past ``max_file_bytes``: writes then fail as on a full disk
    (EFBIG rather than ENOSPC, through the same paths), with no root, mount or mock needed."""
    prelude = textwrap.dedent(f"""
        import resource, signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, ({max_file_bytes}, {max_file_bytes}))
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


# --- atomic writes --------------------------------------------------------------------------------------------


def test_atomic_dir_makes_a_new_folder_with_ordinary_permissions(tmp_path):
    out = tmp_path / "export"
    with atomic_dir(out, last="model.json") as tmp:
        (tmp / "graph.onnx").write_bytes(b"g")
        (tmp / "model.json").write_text("{}")
    assert stat.S_IMODE(out.stat().st_mode) == DIR_MODE  # not mkdtemp's 0700
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]  # no temporary folder left


def test_atomic_dir_fills_an_existing_folder_in_place_even_the_current_one(tmp_path, monkeypatch):
    out = tmp_path / "here"
    out.mkdir()
    (out / "stale.onnx").write_bytes(b"old")
    monkeypatch.chdir(out)
    with atomic_dir(".", last="model.json", replaces=("stale.onnx", "model.json")) as tmp:
        (tmp / "model.json").write_text("{}")
        (tmp / "new.onnx").write_bytes(b"new")
    assert sorted(p.name for p in out.iterdir()) == ["model.json", "new.onnx"]
    assert Path.cwd() == out and out.is_dir()


def test_atomic_dir_failure_leaves_the_target_untouched(tmp_path):
    out = tmp_path / "export"
    out.mkdir()
    (out / "model.json").write_text("old")
    with pytest.raises(RuntimeError), atomic_dir(out, last="model.json") as tmp:
        (tmp / "model.json").write_text("new")
        raise RuntimeError("parity failed")
    assert (out / "model.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]


def test_sweep_removes_only_the_leftovers_of_dead_processes(tmp_path):
    dead, alive = _dead_pid(), os.getppid()
    leftover_dir = tmp_path / f".export.gs{dead}.abc123.tmp"
    leftover_dir.mkdir()
    (leftover_dir / "synthesis.onnx").write_bytes(b"x" * 100)
    leftover_file = tmp_path / f".seed0001.png.gs{dead}.k9_x.tmp"
    leftover_file.write_bytes(b"half a png")
    running = tmp_path / f".model.json.gs{alive}.zz.tmp"
    running.write_text("being written")
    users = [tmp_path / ".hidden.tmp", tmp_path / "notes.gs1.a.tmp", tmp_path / "picture.png"]
    for f in users:
        f.write_text("mine")
    assert sorted(sweep_stale(tmp_path)) == sorted([leftover_dir, leftover_file])
    assert running.exists() and all(f.exists() for f in users)
    os.utime(running, (0, 0))  # a day-old temp of a live process id: stuck, or a reused id
    assert sweep_stale(tmp_path) == [running] and STALE_AFTER_S <= 24 * 3600


def test_write_errors_name_the_target_file(tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("x")
    with pytest.raises(WriteError) as caught:
        atomic_write_text(blocker / "sub" / "out.json", "{}")
    target = blocker / "sub" / "out.json"
    assert str(caught.value) == f"Could not write {target}: a part of the path is a file, not a folder."
    missing = FileNotFoundError(2, "No such file or directory", "x.png")
    assert describe_os_error(missing) == "x.png: the folder does not exist."


def test_a_full_disk_is_one_sentence_for_pillow_torch_numpy_and_safetensors(tmp_path):
    """Each writer fails in its own words on a full disk ("enforce fail at inline_container.cc" from torch); the
    atomic writers turn every one into the same sentence, and leave no temporary file."""
    result = _run_limited("""
        import numpy as np, torch
        from studio.engine.atomic import atomic_stream
        from studio.engine.images import ImageError, save_png
        from studio.engine import save_model
        from tests.conftest import make_tiny_pair
        def attempt(name, fn):
            try:
                fn()
                print(name, "wrote")
            except (OSError, ImageError) as e:
                print(name, type(e).__name__, e)
        noise = np.random.default_rng(0).integers(0, 256, (256, 256, 3), np.uint8)
        attempt("png", lambda: save_png("big.png", noise))
        attempt("torch", lambda: atomic_stream("ckpt.pt", lambda f: torch.save({"x": torch.zeros(100_000)}, f)))
        attempt("npz", lambda: atomic_stream("p.npz", lambda f: np.savez(f, w=np.zeros(100_000))))
        attempt("model", lambda: save_model("m.safetensors", *make_tiny_pair()))
    """, tmp_path, max_file_bytes=64_000)
    lines = dict(line.split(" ", 1) for line in result.stdout.strip().splitlines())
    assert result.returncode == 0, result.stderr
    for name, file in (("png", "big.png"), ("torch", "ckpt.pt"), ("npz", "p.npz"), ("model", "m.safetensors")):
        assert lines[name].endswith(f"Could not write {file}: the file is larger than the disk or the system allows.")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_really_full_disk_says_so(tmp_path):
    """ENOSPC from a real 256 kB tmpfs, where the machine lets a user namespace mount one (else skipped)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    code = ("import numpy as np; from studio.engine.images import save_png; "
            "save_png('disk/noise.png', np.random.default_rng(0).integers(0, 256, (512, 512, 3), np.uint8))")
    script = f"mount -t tmpfs -o size=256k tmpfs disk && {sys.executable} -c \"{code}\""
    if not shutil.which("unshare"):
        pytest.skip("unshare is not available")
    result = subprocess.run(["unshare", "-rm", "sh", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    if "mount" in result.stderr and "ImageError" not in result.stderr:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()[:100]}")
    assert result.stderr.strip().splitlines()[-1].endswith("Could not write disk/noise.png: the disk is full.")


# --- the output policy ------------------------------------------------------------------------------------


def test_output_file_suffix_must_match_the_format(tmp_path):
    with pytest.raises(OutputError, match=r"notes.txt: the output is written as PNG, so its name must end in \.png"):
        check_output_file(tmp_path / "notes.txt", ".png", "PNG")
    assert check_output_file(tmp_path / "Out.PNG", ".png", "PNG") == tmp_path / "Out.PNG"


def test_output_file_never_replaces_an_input(tmp_path):
    picture = tmp_path / "a.png"
    Image.new("RGB", (8, 8)).save(picture)
    with pytest.raises(OutputError, match="is an input of this job"):
        check_output_file(tmp_path / "a.png", ".png", "PNG", inputs=[picture])
    os.link(picture, tmp_path / "b.png")  # the same file under another name
    with pytest.raises(OutputError, match="is an input of this job"):
        check_output_file(tmp_path / "b.png", ".png", "PNG", inputs=[picture])
    with pytest.raises(OutputError, match="a.png is an input"):  # a file written beside the output counts too
        check_output_file(tmp_path / "a.jpg.png", ".png", "PNG", inputs=[picture], companions=[picture])


def test_output_file_replaces_only_gan_studio_files(tmp_path):
    theirs, ours = tmp_path / "theirs.png", tmp_path / "ours.png"
    Image.new("RGB", (8, 8)).save(theirs)
    save_png(ours, np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(OutputError, match="theirs.png already exists and was not made by GAN Studio"):
        check_output_file(theirs, ".png", "PNG")
    assert check_output_file(ours, ".png", "PNG") == ours
    notes = tmp_path / "ours.json"
    notes.write_text('{"shopping": ["eggs"]}')
    with pytest.raises(OutputError, match="ours.json already exists"):
        check_output_file(ours, ".png", "PNG", companions=[notes])
    assert dialog_output(tmp_path / "theirs", ".png", "PNG") == theirs  # a save dialog asked before replacing


def test_made_here_reads_the_content_not_the_name(tmp_path):
    model = save_model(tmp_path / "m.safetensors", *make_tiny_pair())
    assert made_here(model) and made_here(model.with_suffix(".json"))
    (tmp_path / "fake.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    (tmp_path / "recipe.json").write_text(json.dumps({"schema": 1, "seed": 3}))
    (tmp_path / "list.json").write_text("[1, 2]")
    with open(tmp_path / "proj.npz", "wb") as f:
        np.savez(f, w_plus=np.zeros((2, 3)))
    with open(tmp_path / "other.npz", "wb") as f:
        np.savez(f, data=np.zeros(3))
    (tmp_path / "empty.png").write_bytes(b"")
    found = {p.name: made_here(p) for p in tmp_path.iterdir()}
    assert found == {"m.safetensors": True, "m.json": True, "fake.safetensors": False, "recipe.json": True,
                     "list.json": False, "proj.npz": True, "other.npz": False, "empty.png": False}


def test_unwritable_output_is_refused_before_any_work(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(OutputError, match=r"Cannot write .*out.png: .*file.txt is a file, not a folder"):
        check_output_file(tmp_path / "file.txt" / "sub" / "out.png", ".png", "PNG")
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        with pytest.raises(OutputError, match=r"Cannot write .*out.png: .*locked cannot be written to \(permission"):
            check_output_file(locked / "out.png", ".png", "PNG")


def test_output_folder_refuses_someone_elses_files(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("years of work")
    with pytest.raises(OutputError, match="mine is not empty and does not hold an export"):
        check_output_folder(mine, "an export", lambda f: False)
    assert (mine / "thesis.docx").exists()
    (tmp_path / "empty").mkdir()
    assert check_output_folder(tmp_path / "empty", "an export", lambda f: False) == tmp_path / "empty"
    assert check_output_folder(tmp_path / "new" / "deeper", "an export", lambda f: False)
    assert not (tmp_path / "new").exists()  # checking creates nothing
    with pytest.raises(OutputError, match="thesis.docx is a file, not a folder"):
        check_output_folder(mine / "thesis.docx", "an export", lambda f: True)


def test_files_added_to_a_folder_must_not_replace_foreign_ones(tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "seed0003.png")
    (tmp_path / "holiday.jpg").write_bytes(b"not ours, not touched")
    assert check_files_in(tmp_path, "the pictures", lambda name: name == "seed0004.png") == tmp_path
    with pytest.raises(OutputError, match="seed0003.png already exists and was not made by GAN Studio"):
        check_files_in(tmp_path, "the pictures", lambda name: name.startswith("seed"))
