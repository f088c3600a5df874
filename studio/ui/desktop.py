"""``gan-studio --install-desktop``: the launcher, icon and file types under the user's XDG data folder.

Installs ``applications/gan-studio.desktop`` (its Exec is the command that is running now: the bundle's
executable, the ``gan-studio`` script beside this interpreter, else ``python -m studio.ui.app``), the icon in
the hicolor theme and the MIME type ``application/x-gan-studio-model`` (our ``.safetensors``, told apart by the
format marker in their header). The entry opens those and PNGs, so a gallery picture opens with its recipe.
``--uninstall-desktop`` removes exactly these files. No Qt here: it runs before (and without) a window.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from studio.engine.atomic import atomic_write_text
from studio.engine.paths import shipped

APP_ID = "gan-studio"
MODEL_MIME_TYPE = "application/x-gan-studio-model"
# Characters that make an Exec argument need quoting (Desktop Entry Specification, "The Exec key").
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def data_home(env: Mapping[str, str] = os.environ) -> Path:
    return Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def installed_files(env: Mapping[str, str] = os.environ) -> dict[Path, Path]:
    """Where each shipped desktop file goes: destination -> source."""
    home, src = data_home(env), shipped("resources", "desktop")
    return {
        home / "applications" / f"{APP_ID}.desktop": src / f"{APP_ID}.desktop",
        home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg": src / f"{APP_ID}.svg",
        home / "mime" / "packages" / f"{APP_ID}.xml": src / f"{APP_ID}-mime.xml",
    }


def launcher() -> list[str]:
    """The command that starts this GAN Studio again."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    script = Path(sys.executable).parent / APP_ID
    return [str(script)] if script.is_file() else [sys.executable, "-m", "studio.ui.app"]


def exec_line(command: list[str]) -> str:
    """``command`` as a desktop entry's Exec value: quoted where needed, then escaped as a string value."""
    def quote(arg: str) -> str:
        if not _RESERVED & set(arg):
            return arg
        return '"' + "".join("\\" + c if c in '"`$\\' else c for c in arg) + '"'

    return " ".join(quote(a) for a in command).replace("\\", "\\\\").replace("%", "%%")


def install_desktop(env: Mapping[str, str] = os.environ, command: list[str] | None = None) -> list[Path]:
    """Write the entry, icon and MIME type, then refresh the caches where the tools exist; returns the files."""
    for dest, src in installed_files(env).items():
        dest.parent.mkdir(parents=True, exist_ok=True)
        text = src.read_text(encoding="utf-8")
        if dest.suffix == ".desktop":
            text = text.replace("{exec}", exec_line(command or launcher()))
        atomic_write_text(dest, text)
    _refresh(env)
    return list(installed_files(env))


def uninstall_desktop(env: Mapping[str, str] = os.environ) -> list[Path]:
    """Remove what ``install_desktop`` wrote (nothing else); returns the files that were there."""
    removed = [dest for dest in installed_files(env) if dest.exists()]
    for dest in removed:
        dest.unlink()
    _refresh(env)
    return removed


def _refresh(env: Mapping[str, str]) -> None:
    """Rebuild the user's MIME and desktop caches so file managers see the change at once (optional tools)."""
    home = data_home(env)
    for tool, folder in (("update-mime-database", home / "mime"), ("update-desktop-database", home / "applications")):
        if shutil.which(tool) and folder.is_dir():
            subprocess.run([tool, str(folder)], capture_output=True, check=False)
