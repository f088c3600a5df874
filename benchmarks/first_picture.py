"""How long after opening the studio the first picture shows, and when the rest follows, on a first open.

Opens the window as ``make run`` does (offscreen, the default model, the preview backend "auto") with an empty
cache, so the ONNX export and the principal directions are computed as on a user's first start, and prints the
seconds from the window's creation to: the model loaded, the first full picture on the canvas, onnxruntime
drawing, the sliders' directions ready, and every task ended; wall-clock and the process's CPU seconds (all its
threads), which on a shared machine say more than the wall-clock.

    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/first_picture.py [--model default] [--timeout 600]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="first-picture-")
    os.environ["GAN_STUDIO_CACHE"] = os.path.join(scratch, "cache")  # a first open: nothing cached
    os.environ["GAN_STUDIO_DATA"] = os.path.join(scratch, "data")

    from PySide6.QtCore import QCoreApplication, QSettings, QTimer

    from studio.ui.app import create_app

    app = create_app([sys.argv[0]])
    QCoreApplication.setOrganizationName("GAN Studio Benchmark")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, os.path.join(scratch, "settings"))

    from studio.ui.window.main_window import MainWindow

    start, cpu = time.perf_counter(), time.process_time()
    window = MainWindow()
    window.show()
    marks: dict[str, tuple[float, float]] = {}
    window.directions_ready.connect(lambda: marks.setdefault("directions ready", elapsed()))
    window.open_model(args.model)

    def elapsed() -> tuple[float, float]:
        return time.perf_counter() - start, time.process_time() - cpu

    def poll() -> None:
        now = elapsed()
        if window.model is not None:
            marks.setdefault("model loaded", now)
        if window.last_full is not None:
            marks.setdefault("first picture", now)
        if window.preview is not None and window.preview.backend_name.startswith("onnxruntime"):
            marks.setdefault("onnxruntime draws", now)
        if "directions ready" in marks and "first picture" in marks and not window.tasks.busy:
            marks.setdefault("all tasks ended", now)
            app.quit()
        elif now[0] > args.timeout:
            app.quit()

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(20)
    app.exec()
    window.close()
    import torch

    print(f"{args.model}: seconds after the window was created, torch threads {torch.get_num_threads()}")
    print(f"  {'':20s} {'wall':>7s} {'CPU':>7s}")
    for name, (wall, used) in sorted(marks.items(), key=lambda kv: kv[1]):
        print(f"  {name:20s} {wall:7.1f} {used:7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
