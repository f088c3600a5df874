import numpy as np

from studio.cli import main
from studio.engine import save_model
from studio.engine.images import load_image
from studio.engine.library.gallery import export_picture
from tests.conftest import make_tiny_pair


def test_mix_writes_the_grid(tmp_path):
    path = save_model(tmp_path / "m.safetensors", *make_tiny_pair())
    out = tmp_path / "grid.png"
    args = ["mix", "--model", str(path), "--rows", "1,2,3", "--cols", "10,11", "--layers", "coarse", "--out", str(out)]
    assert main(args) == 0
    assert load_image(out).shape == (4 * 32 + 5 * 2, 3 * 32 + 4 * 2, 3)  # B row + 3 A rows, A column + 2 B columns


def test_mix_reports_bad_layers_in_one_line(tmp_path, capsys):
    path = save_model(tmp_path / "m.safetensors", *make_tiny_pair())
    assert main(["mix", "--model", str(path), "--layers", "fine", "--out", str(tmp_path / "g.png")]) == 2
    assert capsys.readouterr().err.strip() == "studio mix: the layers 'fine' select no styles in this 32 px model."


def test_gallery_list_and_publish(tmp_path, capsys):
    export_picture(tmp_path / "g", np.zeros((16, 16, 3), np.uint8), {"seed": 1}, name="one")
    assert main(["gallery", "list", str(tmp_path / "g")]) == 0
    out = capsys.readouterr().out
    assert "recipe  one.png" in out and f"1 picture in {tmp_path / 'g'}" in out
    assert main(["gallery", "publish", str(tmp_path / "g"), str(tmp_path / "site"), "--title", "Mine"]) == 0
    assert "<title>Mine</title>" in (tmp_path / "site" / "index.html").read_text()
    assert main(["gallery", "list", str(tmp_path / "missing")]) == 2
