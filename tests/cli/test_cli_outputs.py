"""Issue 13, as a careful but careless user met it: outputs that lost data, numbers that made silent nonsense,
messages that needed guessing. Each reproduction is a test; every refusal is one line and exit status 2, and
comes before any work."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.cli import build_parser, main
from studio.engine import save_model
from tests.conftest import make_tiny_pair


@pytest.fixture
def model(tmp_path) -> Path:
    return save_model(tmp_path / "m.safetensors", *make_tiny_pair())


def _one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- 1. export-onnx into a folder of the user's files -----------------------------------------------------


def test_export_onnx_refuses_a_folder_of_other_files_and_keeps_them(tmp_path, model, capsys):
    out = tmp_path / "work"
    out.mkdir()
    (out / "essay.txt").write_text("mine")
    (out / "sub").mkdir()
    (out / "sub" / "photo.jpg").write_bytes(b"\xff\xd8 mine too")
    before = _tree(out)
    assert main(["export-onnx", "--model", str(model), "--out", str(out)]) == 2
    assert "work is not empty and does not hold an ONNX export" in _one_line(capsys)
    assert _tree(out) == before


def test_export_onnx_into_the_empty_current_folder(tmp_path, model, monkeypatch):
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    assert main(["export-onnx", "--model", str(model), "--out", "."]) == 0  # was "Device or resource busy"
    assert (here / "model.json").is_file() and Path.cwd() == here
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here", "m.json", "m.safetensors"]  # no ".old" folder left


def test_export_onnx_opset_is_the_one_the_graphs_have(tmp_path, model, capsys):
    assert main(["export-onnx", "--model", str(model), "--opset", "99"]) == 2
    assert "argument --opset: opset 99 cannot be exported; choose one from 18 to" in _one_line(capsys)
    assert main(["export-onnx", "--model", str(model), "--opset", "17"]) == 2  # torch would write 18 instead
    capsys.readouterr()


# --- 2. project / customize over their own inputs, PNG bytes under other names -----------------------------


def _photo(path: Path) -> Path:
    Image.fromarray((np.random.default_rng(0).random((40, 40, 3)) * 255).astype(np.uint8)).save(path)
    return path


def test_project_never_overwrites_its_picture_or_a_foreign_file(tmp_path, model, capsys):
    photo = _photo(tmp_path / "a.jpg")
    original = photo.read_bytes()
    assert main(["project", "--model", str(model), "--image", str(photo), "--out", str(photo)]) == 2
    assert "a.jpg: the output is written as PNG, so its name must end in .png" in _one_line(capsys)
    png = _photo(tmp_path / "b.png")
    assert main(["project", "--model", str(model), "--image", str(png), "--out", str(png)]) == 2
    assert "b.png is an input of this job" in _one_line(capsys)
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list")
    assert main(["project", "--model", str(model), "--image", str(photo), "--out", str(notes)]) == 2
    assert "must end in .png" in _one_line(capsys)
    (tmp_path / "out.json").write_text('{"my": "settings"}')  # OUT.json would be written beside OUT.png
    assert main(["project", "--model", str(model), "--image", str(photo), "--out", str(tmp_path / "out.png")]) == 2
    assert "out.json already exists and was not made by GAN Studio" in _one_line(capsys)
    assert photo.read_bytes() == original and notes.read_text() == "shopping list"


def test_project_reruns_over_its_own_output(tmp_path, model):
    photo = _photo(tmp_path / "p.png")
    args = ["project", "--model", str(model), "--image", str(photo), "--steps", "2", "--out", str(tmp_path / "o.png")]
    assert main(args) == 0 and main(args) == 0


def test_customize_refuses_to_overwrite_its_base_model(tmp_path, model, capsys):
    before = model.read_bytes(), model.with_suffix(".json").read_bytes()
    assert main(["customize", "--model", str(model), "--sketches", str(tmp_path / "nowhere"), "--steps", "1",
                 "--out", str(model)]) == 2
    assert "m.safetensors is an input of this job" in _one_line(capsys)
    assert (model.read_bytes(), model.with_suffix(".json").read_bytes()) == before


# --- 3. world data sets are added to, never rewritten --------------------------------------------------------


def _seeds(folder: Path) -> list[int]:
    return [json.loads(line)["seed"] for line in (folder / "attributes.jsonl").read_text().splitlines()]


def test_world_adds_to_an_existing_data_set(tmp_path, capsys):
    out = tmp_path / "world"
    assert main(["world", "--count", "4", "--size", "32", "--out", str(out)]) == 0
    assert main(["world", "--count", "2", "--size", "32", "--out", str(out)]) == 0  # was: 2 records left
    assert _seeds(out) == [0, 1, 2, 3, 4, 5] and len(list((out / "images").iterdir())) == 6
    assert "added 2 portraits" in capsys.readouterr().out
    assert main(["world", "--count", "3", "--size", "32", "--start-seed", "4", "--out", str(out)]) == 0
    assert _seeds(out) == [0, 1, 2, 3, 4, 5, 6]
    assert "(2 of the seeds asked for were there already)" in capsys.readouterr().out


def test_world_refuses_another_size_or_someone_elses_folder(tmp_path, capsys):
    out = tmp_path / "world"
    assert main(["world", "--count", "1", "--size", "32", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["world", "--count", "1", "--size", "64", "--out", str(out)]) == 2
    assert "holds a data set of 32 px images" in _one_line(capsys)
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"mine")
    assert main(["world", "--count", "1", "--size", "32", "--out", str(tmp_path / "photos")]) == 2
    assert "photos is not empty and does not hold a world data set" in _one_line(capsys)


# --- 4. full disks, huge requests, damaged checkpoints ---------------------------------------------------------


def test_seed_requests_state_their_size(tmp_path, model, capsys):
    out = tmp_path / "out"
    assert main(["generate", "--model", str(model), "--seeds", "0-10000000000", "--out", str(out)]) == 2
    assert "seed 10000000000 is out of range" in _one_line(capsys)  # was a MemoryError in the parser
    assert main(["generate", "--model", str(model), "--seeds", "0-100000", "--out", str(out)]) == 2
    assert "--seeds 0-100000 asks for 100,001 pictures, more than 1,000 at once; add --yes" in _one_line(capsys)
    assert main(["mix", "--model", str(model), "--rows", "0-99", "--cols", "0-99", "--out", str(out) + ".png"]) == 2
    assert "asks for 10,000 mixes" in _one_line(capsys)
    assert main(["world", "--count", "20000", "--out", str(out)]) == 2
    assert "asks for 20,000 portraits" in _one_line(capsys)
    assert not out.exists()


def test_a_full_disk_during_world_names_the_file(tmp_path):
    from tests.engine.test_outputs import _run_limited

    result = _run_limited("""
        import sys
        from studio.cli import main
        sys.exit(main(["world", "--count", "3", "--size", "256", "--out", "w"]))
    """, tmp_path, max_file_bytes=20_000)
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("studio world: Could not write w/images/000000.png: the file is larger than") or \
        line.startswith("studio world: Could not write w/sketches/000000.png"), line


# --- 6. silent nonsense ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, says", [
    (["generate", "--truncation", "nan"], "argument --truncation: must be a finite number, not nan"),
    (["generate", "--truncation", "inf"], "argument --truncation: must be a finite number, not inf"),
    (["generate", "--batch", "-2"], "argument --batch: must be a whole number from 1 to 1024, not -2"),
    (["generate", "--batch", "0"], "argument --batch: must be a whole number from 1 to 1024, not 0"),
    (["world", "--count", "-3"], "argument --count: must be a whole number of at least 1, not -3"),
    (["project", "--image", "x.png", "--steps", "-4"], "argument --steps: must be a whole number of at least 1"),
    (["recolor", "--seed", "1", "--mask", "m.png", "--steps", "-4"], "argument --steps: must be a whole number"),
    (["customize", "--sketches", "s", "--steps", "-4"], "argument --steps: must be a whole number of at least 1"),
    (["train", "--steps", "-4"], "argument --steps: must be a whole number of at least 1, not -4"),
    (["train", "--kimg", "nan"], "argument --kimg: must be a finite number, not nan"),
    (["train", "--mixing", "1.5"], "argument --mixing: must be a number from 0 to 1, not 1.5"),
    (["train", "--minutes", "0"], "argument --minutes: must be a number above 0, not 0"),
    (["mix", "--strength", "2"], "argument --strength: must be a number from 0 to 1, not 2"),
    (["world", "--size", "16"], "argument --size: must be a whole number from 32 to 1024, not 16"),
    (["generate", "--seeds", "a-b"], "argument --seeds: 'a-b' is not a seed: use whole numbers or ranges"),
    (["generate", "--seeds", "-1"], "argument --seeds: seed -1 is out of range"),
    (["recolor", "--seed", "-1", "--mask", "m.png"], "argument --seed: must be a whole number from 0 to 4294967295"),
    (["recolor", "--seed", "1", "--mask", "m.png", "--work-size", "100"],
     "argument --work-size: must be a power of two from 4 (4, 8, 16 … 1024), not 100"),
    (["project", "--image", "x.png", "--work-size", "2"], "argument --work-size: must be a whole number of at least 4"),
])
def test_numbers_are_checked_while_parsing(tmp_path, capsys, args, says):
    out = tmp_path / "out"
    full = [*args, "--out", str(out if args[0] in ("generate", "world", "train") else str(out) + ".png")]
    if args[0] == "world" and "--count" not in args:
        full += ["--count", "1"]
    assert main(full) == 2
    err = _one_line(capsys)
    assert err.startswith(f"studio {args[0]}: {says}"), err
    assert not out.exists()  # nothing made before the refusal


# --- 7. masks ------------------------------------------------------------------------------------------------


def test_a_non_square_mask_is_refused_by_name(tmp_path, model, capsys):
    mask = np.zeros((32, 64, 4), np.uint8)
    mask[:, :8] = (200, 40, 40, 255)  # paint only at the left edge: a centre crop would find nothing
    Image.fromarray(mask, "RGBA").save(tmp_path / "wide.png")
    assert main(["recolor", "--model", str(model), "--seed", "1", "--mask", str(tmp_path / "wide.png"),
                 "--out", str(tmp_path / "o.png")]) == 2
    assert "wide.png is 64x32 pixels, but a mask covers the square portrait" in _one_line(capsys)


# --- 8. the gallery's website --------------------------------------------------------------------------------


def test_gallery_publish_names_and_skips_a_damaged_picture(tmp_path, capsys):
    from studio.engine.library.gallery import export_picture

    g = tmp_path / "g"
    export_picture(g, np.zeros((16, 16, 3), np.uint8), {"seed": 1}, name="good")
    (g / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"torn")
    assert main(["gallery", "publish", str(g), str(tmp_path / "site")]) == 0  # was: stopped at bad.png
    captured = capsys.readouterr()
    assert f"studio gallery publish: skipped a picture: {g / 'bad.png'} is not an image file" in captured.err
    assert "(1 picture; skipped 1 unreadable)" in captured.out and (tmp_path / "site" / "pages" / "good.html").exists()


# --- 10. messages that needed guessing ----------------------------------------------------------------------


def test_out_that_is_a_file_is_named(tmp_path, model, capsys):
    (tmp_path / "afile.txt").write_text("x")
    assert main(["generate", "--model", str(model), "--out", str(tmp_path / "afile.txt")]) == 2
    assert "afile.txt is a file, not a folder; the pictures need a folder" in _one_line(capsys)


def test_a_bad_out_is_noticed_before_the_model_is_even_loaded(tmp_path, capsys):
    (tmp_path / "file.txt").write_text("x")
    out = tmp_path / "file.txt" / "o.png"
    for args in (["project", "--image", "x.png"], ["recolor", "--seed", "1", "--mask", "m.png"], ["mix"]):
        assert main([*args, "--model", str(tmp_path / "missing.pt"), "--out", str(out)]) == 2
        assert "file.txt is a file, not a folder" in _one_line(capsys)  # not "missing.pt: no such file"


def test_generate_never_replaces_a_picture_it_did_not_make(tmp_path, model, capsys):
    out = tmp_path / "out"
    out.mkdir()
    Image.new("RGB", (8, 8), "red").save(out / "seed0002.png")
    (out / "holiday.jpg").write_bytes(b"kept")
    assert main(["generate", "--model", str(model), "--seeds", "0-3", "--out", str(out)]) == 2
    assert "seed0002.png already exists and was not made by GAN Studio" in _one_line(capsys)
    assert main(["generate", "--model", str(model), "--seeds", "0-1", "--out", str(out)]) == 0
    assert main(["generate", "--model", str(model), "--seeds", "0-1", "--out", str(out)]) == 0  # its own: replaced
    assert sorted(p.name for p in out.iterdir()) == [
        "holiday.jpg", "seed0000.json", "seed0000.png", "seed0001.json", "seed0001.png", "seed0002.png"]


def test_mix_rewrites_its_own_grid(tmp_path, model):
    args = ["mix", "--model", str(model), "--rows", "1", "--cols", "2", "--out", str(tmp_path / "g.png")]
    assert main(args) == 0 and main(args) == 0


# --- help: every option says what it is for ---------------------------------------------------------------------


def _parsers(parser):
    yield parser
    for action in parser._actions:
        if action.choices and isinstance(action.choices, dict):  # a subparsers action
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_every_option_and_command_has_help():
    import argparse

    missing = []
    for parser in _parsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                missing += [f"{parser.prog} {c.dest}" for c in action._choices_actions if not (c.help or "").strip()]
            elif not isinstance(action, argparse._HelpAction) and (not action.help or action.help == argparse.SUPPRESS):
                missing.append(f"{parser.prog} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []


def test_train_presets_and_choices_come_from_the_code():
    from studio.engine.train.config import AUGMENTS, PRESETS

    train = next(p for p in _parsers(build_parser()) if p.prog.endswith(" train"))
    actions = {a.dest: a for a in train._actions}
    assert list(actions["preset"].choices) == list(PRESETS) and list(actions["augment"].choices) == list(AUGMENTS)
    for name, config in PRESETS.items():
        assert f"{name}: {config.resolution} px, batch {config.batch}" in actions["preset"].help


def test_help_exits_cleanly(capsys):
    assert main(["world", "--help"]) == 0
    assert "--start-seed" in capsys.readouterr().out
