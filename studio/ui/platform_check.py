"""Before Qt opens a window: can it load its platform plugin? If not, one sentence naming what to install.

PySide6's wheel brings Qt but not the system libraries its platform plugins link to (X11/xcb, EGL/GL,
fontconfig, D-Bus). Where one is missing, Qt only says "Could not load the Qt platform plugin "xcb" … even
though it was found". ``ldd`` on the plugin lists what the dynamic loader cannot find; a table turns those
libraries into Debian/Ubuntu packages. Nothing here imports Qt, so the check runs where Qt cannot load.

``python -m studio.ui.platform_check [--install]`` is the step ``make run`` takes before the window: with
``--install``, as root on Debian or Ubuntu, it installs the missing packages with apt-get.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

# Shared libraries Qt's platform plugins (and QtGui under them) link to -> the Debian/Ubuntu package with it.
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
}
# What each platform needs from the session besides libraries: xcb an X display, wayland a compositor.
DISPLAY_VARIABLES = {"xcb": "DISPLAY", "wayland": "WAYLAND_DISPLAY"}


def platforms(env: Mapping[str, str]) -> list[str]:
    """The plugins Qt will try, in order: QT_QPA_PLATFORM's list, else wayland then xcb in a Wayland session."""
    if env.get("QT_QPA_PLATFORM"):
        return [p.split(":")[0] for p in env["QT_QPA_PLATFORM"].split(";") if p]
    if env.get("XDG_SESSION_TYPE") == "wayland" and env.get("WAYLAND_DISPLAY"):
        return ["wayland", "xcb"]
    return ["xcb"]


def plugin_path(name: str) -> Path | None:
    """PySide6's plugin for platform ``name`` (found without importing Qt), or None if it has none."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "Qt" / "plugins" / "platforms" / f"libq{name}.so"
    return path if path.is_file() else None


def parse_ldd(text: str) -> list[str]:
    """The libraries ``ldd`` reported as "not found", each once, in its order."""
    missing: list[str] = []
    for line in text.splitlines():
        name, sep, where = line.strip().partition(" => ")
        if sep and where.strip() == "not found" and name not in missing:
            missing.append(name)
    return missing


def missing_libraries(plugin: Path) -> list[str]:
    """What ``plugin`` needs that the dynamic loader cannot find; empty where there is no ``ldd`` to ask."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    env = dict(os.environ)
    if getattr(sys, "frozen", False):  # a bundle keeps the libraries it carries beside its executable
        env["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, [sys._MEIPASS, env.get("LD_LIBRARY_PATH")]))
    run = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, check=False, env=env)
    return parse_ldd(run.stdout)


def is_debian_like(os_release: str) -> bool:
    """Debian, Ubuntu and their derivatives, from the text of /etc/os-release."""
    fields = dict(line.split("=", 1) for line in os_release.splitlines() if "=" in line)
    family = " ".join(fields.get(k, "").strip('"') for k in ("ID", "ID_LIKE")).split()
    return bool({"debian", "ubuntu"} & set(family))


def debian_packages(libraries: Sequence[str]) -> list[str]:
    """The Debian/Ubuntu packages that provide ``libraries`` (those the table knows), each once."""
    return list(dict.fromkeys(DEBIAN_PACKAGES[lib] for lib in libraries if lib in DEBIAN_PACKAGES))


def advice(platform: str, missing: Sequence[str], debian: bool) -> str:
    """One sentence: which libraries Qt's ``platform`` plugin lacks and how to install them."""
    names = " and ".join([", ".join(missing[:-1]), missing[-1]] if len(missing) > 1 else missing)
    lead = f"GAN Studio cannot open its window: Qt's {platform} plugin needs {names}, which this system lacks"
    if debian and all(lib in DEBIAN_PACKAGES for lib in missing):
        packages = debian_packages(missing)
        return (f"{lead}; install them with `sudo apt-get install {' '.join(packages)}` "
                "(`make run` does this itself when run as root).")
    return f"{lead}; install the packages of your distribution that provide them."


def diagnose(env: Mapping[str, str] = os.environ, os_release: str | None = None) -> str | None:
    """Why Qt could not open a window here, in one sentence, or None when nothing stands in its way."""
    if not sys.platform.startswith("linux"):
        return None
    debian = is_debian_like(_os_release() if os_release is None else os_release)
    problems = []
    for name in platforms(env):
        plugin = plugin_path(name)
        if plugin is None:
            return None  # a plugin we do not know (or a Qt laid out otherwise): let Qt speak for itself
        missing = missing_libraries(plugin)
        variable = DISPLAY_VARIABLES.get(name)
        if not missing and (variable is None or env.get(variable)):
            return None
        if missing:
            problems.append(advice(name, missing, debian))
        else:
            problems.append(f"GAN Studio cannot open its window: {variable} is not set, so there is no display to "
                            "show it on; start it from a desktop session (or over SSH with `ssh -X`).")
    return problems[0] if problems else None


def _os_release() -> str:
    try:
        return Path("/etc/os-release").read_text(encoding="utf-8")
    except OSError:
        return ""


def install_missing(env: Mapping[str, str] = os.environ) -> bool:
    """As root on Debian/Ubuntu, apt-get the packages Qt's plugins lack; True if it installed anything."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None or not is_debian_like(_os_release()):
        return False
    libraries = [lib for name in platforms(env) if (plugin := plugin_path(name)) for lib in missing_libraries(plugin)]
    packages = debian_packages(libraries)
    if not packages:
        return False
    print(f"Installing the system libraries Qt needs: {' '.join(packages)}", flush=True)
    apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=apt_env, check=False)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages], env=apt_env, check=False,
                   stdout=subprocess.DEVNULL)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studio.ui.platform_check",
                                     description="Check that Qt can open a window here; name what is missing.")
    parser.add_argument("--install", action="store_true",
                        help="as root on Debian/Ubuntu, install the missing system libraries with apt-get")
    args = parser.parse_args(argv)
    if args.install and diagnose() is not None:
        install_missing()
    problem = diagnose()
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
