"""Application start-up: ``gan-studio [PATH]``, the desktop entry, and the checks before the first window.

Qt is imported only once the platform check has passed, so a missing system library is named in one sentence
instead of Qt's abort. PATH may be a checkpoint (opened as the model), a gallery picture or recipe (its recipe,
on the model it names) or any other image (projected into the default model).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from studio.engine.library.recipe import has_recipe
from studio.engine.paths import shipped
from studio.ui import desktop
from studio.ui.platform_check import diagnose

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from studio.ui.window.main_window import MainWindow

APP_NAME = "GAN Studio"
ORG_NAME = "GAN Studio"
CHECKPOINT_SUFFIXES = (".safetensors", ".pt", ".pth", ".ckpt", ".pkl")


def create_app(argv: Sequence[str] | None = None) -> QApplication:
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from studio.ui.theme import apply_dark_theme

    app = QApplication.instance() or QApplication(list(argv or sys.argv))
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setDesktopFileName(desktop.APP_ID)
    app.setWindowIcon(QIcon(str(shipped("resources", "desktop", f"{desktop.APP_ID}.svg"))))
    apply_dark_theme(app)
    return app


def open_path(window: MainWindow, path: Path) -> None:
    """Open what ``gan-studio PATH`` names; the crash-autosave offer comes first, as on a plain start."""
    if path.suffix.lower() in CHECKPOINT_SUFFIXES:
        window.open_model(str(path), then=window.offer_autosave)
        return
    is_recipe = path.suffix.lower() == ".json" or (path.suffix.lower() == ".png" and has_recipe(path))

    def then() -> None:
        window.offer_autosave()
        if is_recipe:
            window.open_recipe_file(path)
        else:
            window.edit_image(path)

    window.open_model("default", then=then)


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our options, and the rest for Qt (``-platform offscreen``, ``-style`` …)."""
    parser = argparse.ArgumentParser(prog="gan-studio", description="GAN Studio: generate and edit paintings.")
    parser.add_argument("path", nargs="?", type=Path,
                        help="a checkpoint to open, a gallery picture (opens its recipe) or an image to project")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--install-desktop", action="store_true",
                       help="add GAN Studio to the desktop's menus and file associations (for this user)")
    group.add_argument("--uninstall-desktop", action="store_true", help="remove what --install-desktop added")
    return parser.parse_known_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    args, qt_args = parse_args(argv[1:])
    if args.install_desktop or args.uninstall_desktop:
        files = desktop.install_desktop() if args.install_desktop else desktop.uninstall_desktop()
        print("\n".join(f"{'wrote' if args.install_desktop else 'removed'} {f}" for f in files) or "nothing to remove")
        return 0
    if args.path is not None and not args.path.is_file():
        print(f"{args.path}: no such file.", file=sys.stderr)
        return 2
    problem = diagnose()
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    app = create_app([argv[0], *qt_args])
    window = open_window(args.path)  # noqa: F841 (kept alive while the application runs)
    return app.exec()


def open_window(path: Path | None = None) -> MainWindow:
    """The studio window, shown, opening the default model or what ``path`` names."""
    from studio.ui.window.main_window import MainWindow

    window = MainWindow()
    window.show()
    if path is None:
        window.start()
    else:
        open_path(window, path.resolve())
    return window


if __name__ == "__main__":
    sys.exit(main())
