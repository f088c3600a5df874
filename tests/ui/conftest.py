"""UI test fixtures: everything the app writes goes to tmp, modal dialogs are recorded, no thread may leak."""

from __future__ import annotations

import gc
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings, QThread
from PySide6.QtWidgets import QMessageBox

from studio.engine import save_model
from tests.conftest import make_tiny_pair, make_tiny_sg3


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory) -> Path:
    G, D = make_tiny_pair()
    return save_model(tmp_path_factory.mktemp("models") / "tiny.safetensors", G, D, card={"name": "tiny"})


@pytest.fixture(scope="session")
def tiny_sg3_model_path(tmp_path_factory) -> Path:
    """A tiny StyleGAN3-T model (16 px: every layer samples at 16, so all its W+ entries are coarse)."""
    G, D = make_tiny_sg3("t")
    return save_model(tmp_path_factory.mktemp("models") / "tiny-sg3.safetensors", G, D, card={"name": "tiny sg3"})


TINY_CLASSES = ["portrait", "still_life", "landscape"]


@pytest.fixture(scope="session")
def tiny_cond_model_path(tmp_path_factory) -> Path:
    """A tiny class-conditional model with three classes named in its card."""
    G, D = make_tiny_pair(seed=1, c_dim=3)
    return save_model(tmp_path_factory.mktemp("models") / "genres.safetensors", G, D,
                      card={"name": "tiny genres", "classes": TINY_CLASSES})


@pytest.fixture(scope="session")
def _pca_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")  # shared: PCA is keyed by weights hash, so tests may reuse it


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch, _pca_cache):
    """Cache, data and QSettings under tmp, never the real home."""
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(_pca_cache))
    monkeypatch.setenv("GAN_STUDIO_DATA", str(tmp_path / "data"))
    QCoreApplication.setOrganizationName("GAN Studio Tests")
    QCoreApplication.setApplicationName("GAN Studio Tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    settings = QSettings()
    settings.setValue("gallery_folder", str(tmp_path / "gallery"))
    settings.setValue("preview/backend", "torch")  # an ONNX export takes a minute on CI; the runtime has its own tests
    settings.sync()


class Dialogs:
    """Stands in for QMessageBox's static dialogs: records (kind, title, text); ``answer`` for questions."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, str, str]] = []
        self.answer = QMessageBox.StandardButton.No

    def texts(self, kind: str = "warning") -> list[str]:
        return [text for k, _, text in self.shown if k == kind]


@pytest.fixture(autouse=True)
def dialogs(monkeypatch) -> Dialogs:
    rec = Dialogs()

    def fake(kind):
        def show(parent, title, text, *args, **kwargs):
            rec.shown.append((kind, title, text))
            return rec.answer if kind == "question" else QMessageBox.StandardButton.Ok

        return staticmethod(show)

    for kind in ("warning", "question", "information", "critical"):
        monkeypatch.setattr(QMessageBox, kind, fake(kind))
    return rec


@pytest.fixture(autouse=True)
def no_leaked_threads(monkeypatch):
    """Fail a test that leaves a QThread (or a Python thread it started) running after its teardown."""
    started: list[QThread] = []
    original = QThread.start

    def start(self, *args):
        started.append(self)
        return original(self, *args)

    monkeypatch.setattr(QThread, "start", start)
    before = set(threading.enumerate())
    yield
    # Collect the test's parentless Qt objects now, on this thread, rather than whenever a worker thread
    # happens to trigger the garbage collector (which can crash Qt).
    gc.collect()
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        running = [t for t in started if _running(t)]
        threads = [t for t in threading.enumerate() if t not in before and t.is_alive() and not _dummy(t)]
        if not running and not threads:
            return
        time.sleep(0.02)
    pytest.fail(f"test left threads running: {running + threads}")


def _running(thread: QThread) -> bool:
    try:
        return thread.isRunning()
    except RuntimeError:  # the C++ object is gone, so is its thread
        return False


def _dummy(t: threading.Thread) -> bool:
    return isinstance(t, threading._DummyThread)
