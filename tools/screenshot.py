"""The README's screenshots: the real studio window on a shipped model, grabbed once everything has rendered.

    xvfb-run -s "-screen 0 1500x920x24" python tools/screenshot.py [--model default] [--seed 4]
    xvfb-run -s "-screen 0 1366x768x24" python tools/screenshot.py --out docs/images/studio_window_1366x768.png
    xvfb-run -s "-screen 0 1920x1080x24" python tools/screenshot.py --out docs/images/studio_window_1920x1080.png

The window takes the size it opens at on that screen, as a first start does (``--size WxH`` sets one);
``--paint`` grabs it with the Paint colours tab open. Settings and user data go to a fresh temporary folder (no
recent models, no autosave offer); the ONNX cache is the user's, so a second run is quick. Writes
``docs/images/studio_window.png`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="default", help="a shipped model's name or a checkpoint path")
    ap.add_argument("--seed", type=int, default=4, help="the seed shown on the canvas")
    ap.add_argument("--size", default="", help="window size WxH (default: as a first start opens on this screen)")
    ap.add_argument("--paint", action="store_true", help="with the Paint colours tab open")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "studio_window.png")
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="gan-studio-shot-")
    os.environ.update(XDG_CONFIG_HOME=home, GAN_STUDIO_DATA=home)

    from PySide6.QtCore import QEventLoop, QTimer

    from studio.ui.app import create_app
    from studio.ui.window.main_window import MainWindow

    app = create_app([sys.argv[0]])
    window = MainWindow()
    if args.size:
        window.resize(*(int(v) for v in args.size.split("x")))
    window.show()
    loop = QEventLoop()
    window.directions_ready.connect(loop.quit)
    window.open_model(args.model)
    loop.exec()
    window.choose_seed(args.seed)
    if args.paint:
        window.window_actions.paint.trigger()
    for _ in range(3):  # the seed page, the canvas at full quality, the thumbnails
        window.tasks.wait_idle(120_000)
        QTimer.singleShot(500, loop.quit)
        loop.exec()
    window.grab().save(str(args.out))
    print(f"wrote {args.out} ({window.width()}x{window.height()}, {args.model}, seed {args.seed})")
    window.close()
    app.processEvents()


if __name__ == "__main__":
    main()
