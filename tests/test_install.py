"""A non-editable install works from any folder: the wheel carries the shipped models and resources.

The wheel is built from a copy of the project (so stale ``build/`` folders of the checkout cannot leak into it),
installed with ``pip --target`` into an empty folder, and run from another empty folder with this interpreter
(it has the dependencies) and ``PYTHONPATH`` set to that folder only. Nothing is downloaded (``--no-index``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
LEFT_OUT = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "runs", "*.whl")
MAX_WHEEL_MB = 40  # the models are ~24 MB; tests, benchmarks or docs inside would push it past this


def _pip(*args: str, cwd: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args], cwd=cwd, check=True)


def test_wheel_installs_and_paints_with_the_default_model_from_another_folder(tmp_path: Path) -> None:
    src, wheels, site, elsewhere = (tmp_path / d for d in ("src", "wheels", "site", "elsewhere"))
    shutil.copytree(ROOT, src, ignore=LEFT_OUT)
    elsewhere.mkdir()
    _pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(wheels), ".", cwd=src)
    (wheel,) = wheels.glob("gan_studio-*.whl")

    names = zipfile.ZipFile(wheel).namelist()
    assert {"studio/models/default.safetensors", "studio/models/default.json", "studio/resources/studio.qss",
            "studio/models/world_probe.safetensors", "studio/models/sketch_extractor_world.safetensors"} <= set(names)
    assert any(n.startswith("studio/resources/sketches/") and n.endswith(".png") for n in names)
    assert {"studio/resources/desktop/gan-studio.desktop", "studio/resources/desktop/gan-studio.svg"} <= set(names)
    assert not [n for n in names if n.split("/")[0] in ("tests", "benchmarks", "docs", "tools", "packaging")]
    assert wheel.stat().st_size < MAX_WHEEL_MB * 2**20

    _pip("install", "--no-deps", "--no-index", "--target", str(site), str(wheel), cwd=elsewhere)
    script = (
        "import json, sys, studio; from studio.cli import main; from studio.ui.theme import STYLE_SHEET\n"
        "print(json.dumps({'studio': studio.__file__, 'qss': STYLE_SHEET.is_file()}))\n"
        "sys.exit(main(['generate', '--model', 'default', '--seeds', '3', '--out', 'pictures']))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONNOUSERSITE": "1"}
    run = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    where = json.loads(run.stdout.splitlines()[0])
    assert Path(where["studio"]).is_relative_to(site), where  # the installed package, not the checkout
    assert where["qss"]

    (png,) = (elsewhere / "pictures").glob("*.png")
    card = json.loads((site / "studio" / "models" / "default.json").read_text())
    resolution = card["architecture"]["generator"]["resolution"]
    picture = np.asarray(Image.open(png).convert("RGB"))
    assert picture.shape == (resolution, resolution, 3)
    assert picture.std() > 10  # a painting, not a flat field
