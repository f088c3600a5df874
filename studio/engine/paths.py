"""Where GAN Studio keeps things: what it ships (inside the package) and the user's caches and data.

``GAN_STUDIO_CACHE`` and ``GAN_STUDIO_DATA`` override the platform defaults (tests point them at tmp).
"""

from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path

APP_DIR = "gan-studio"
PathLike = str | os.PathLike  # what every function taking a path accepts


def shipped(*parts: str) -> Path:
    """A file the package ships (``"models", "default.safetensors"``), found the way the package was imported.

    A checkout, a wheel in site-packages and a frozen bundle all unpack the package into folders, so
    ``importlib.resources`` hands back a real path, which safetensors and Qt need.
    """
    return Path(resources.files(__package__.partition(".")[0]).joinpath(*parts))


def user_cache_dir() -> Path:
    """Where recomputable results live (PCA directions, exported ONNX graphs)."""
    if os.environ.get("GAN_STUDIO_CACHE"):
        return Path(os.environ["GAN_STUDIO_CACHE"])
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / APP_DIR / "cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / APP_DIR
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / APP_DIR


def user_data_dir() -> Path:
    """Where the user's own things live (saved directions, autosave)."""
    if os.environ.get("GAN_STUDIO_DATA"):
        return Path(os.environ["GAN_STUDIO_DATA"])
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home())) / APP_DIR
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_DIR
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / APP_DIR
