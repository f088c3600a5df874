"""``LatestWinsRenderer``: renders preview frames on one worker thread, always the newest request only.

A dragged slider sends far more requests than any backend can render. Queueing them makes the preview lag
ever further behind the hand; this renderer keeps one pending slot instead: a new request replaces the
pending one, and when a frame finishes the worker takes whatever is newest. The preview is then at most one
frame behind the slider, whatever the frame time. Pure Python threading, so the engine stays free of Qt: the
callbacks run on the worker thread, and the UI hands them to its own thread (a queued signal).

``use`` swaps the backend between frames (torch draws a model's first pictures while its export for
onnxruntime runs; onnxruntime takes over once it is ready): no request is lost, and each frame names its backend.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .runtime import ArrayLike, Backend, NoiseMaps, Transform, prepare_transform

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Frame:
    """One rendered preview: the request it answers, uint8 (N, H, W, 3) images, how long it took and which
    backend drew it (its ``name``)."""

    request_id: int
    image: np.ndarray
    level: str  # the level drawn: a name of the backend's levels ("drag" asks for the one its backend chose)
    seconds: float
    tag: Any = None
    backend: str = ""


@dataclass(frozen=True)
class _Request:
    request_id: int
    ws: np.ndarray
    level: str
    tag: Any
    noise: dict[str, np.ndarray]
    transform: np.ndarray | None = None


FrameFn = Callable[[Frame], None]
ErrorFn = Callable[[int, Exception], None]


class LatestWinsRenderer:
    """Submit latents from any thread; frames arrive via ``on_frame``, failures via ``on_error(request_id, exc)``."""

    def __init__(
        self,
        backend: Backend,
        on_frame: FrameFn | None = None,
        on_error: ErrorFn | None = None,
        fps_window: float = 1.0,
    ) -> None:
        self.backend = backend
        self.on_frame, self.on_error = on_frame, on_error
        self.fps_window = fps_window
        self.rendered = 0  # frames delivered
        self.dropped = 0  # requests replaced by a newer one before they were rendered
        self._cond = threading.Condition()
        self._pending: _Request | None = None
        self._busy = False
        self._closed = False
        self._last_id = 0
        self._finished: deque[float] = deque()
        self._thread = threading.Thread(target=self._run, name="preview-renderer", daemon=True)
        self._thread.start()

    def submit(
        self, ws: ArrayLike, level: str = "full", tag: Any = None, noise: NoiseMaps | None = None,
        transform: Transform | None = None,
    ) -> int:
        """Ask for a frame of ``ws`` (N, num_ws, w_dim); returns its request id. Replaces any pending request.

        ``noise``: the frame's noise maps by layer name, ``transform``: a StyleGAN3 picture's input transform
        (``Backend.render``), both checked here so that one that does not fit raises ValueError in the caller
        rather than on the worker.
        """
        ws = self.backend.prepare_ws(ws).copy()  # the caller may reuse its array for the next request
        noise_maps = self.backend.prepare_noise(noise, copy=True)  # and its maps, or edit them in place
        transform = prepare_transform(transform)  # a copy
        self.backend.resolve_level(level)  # a ValueError here; "drag" is resolved by the backend that draws it
        with self._cond:
            if self._closed:
                raise RuntimeError("the preview renderer is closed")
            self._last_id += 1
            if self._pending is not None:
                self.dropped += 1
            self._pending = _Request(self._last_id, ws, level, tag, noise_maps, transform)
            self._cond.notify_all()
            return self._last_id

    @property
    def fps(self) -> float:
        """Frames delivered per second over the last ``fps_window`` seconds (0 once the preview is idle)."""
        with self._cond:
            self._forget_old(time.monotonic())
            return len(self._finished) / self.fps_window

    def use(self, backend: Backend) -> None:
        """Draw with ``backend`` from the next frame on (the frame being drawn finishes on the old one). It must
        render the same model: ValueError when its resolution, latent shape or noise layers differ."""
        old = self.backend
        if (backend.resolution, backend.num_ws, backend.w_dim, backend.noise_shapes) != (
            old.resolution, old.num_ws, old.w_dim, old.noise_shapes
        ):
            raise ValueError(f"{backend!r} does not render the model {old!r} renders.")
        with self._cond:
            self.backend = backend

    def wait_until_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is pending or rendering; False if ``timeout`` ran out first."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending is None and not self._busy, timeout)

    def close(self, timeout: float | None = 5.0) -> None:
        """Drop any pending request, let the frame in progress finish, stop the worker."""
        with self._cond:
            self._closed = True
            self._pending = None
            self._cond.notify_all()
        self._thread.join(timeout)

    def __enter__(self) -> LatestWinsRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _forget_old(self, now: float) -> None:
        while self._finished and now - self._finished[0] > self.fps_window:
            self._finished.popleft()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None or self._closed)
                if self._closed:
                    return
                request, self._pending, self._busy = self._pending, None, True
                backend = self.backend
            try:
                self._render(backend, request)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _render(self, backend: Backend, request: _Request) -> None:
        start = time.perf_counter()
        try:
            image = backend.render(request.ws, request.level, request.noise, request.transform)
            seconds = time.perf_counter() - start
            frame = Frame(request.request_id, image, backend.level_drawn(image), seconds, request.tag, backend.name)
            with self._cond:
                self.rendered += 1
                self._finished.append(time.monotonic())
                self._forget_old(self._finished[-1])
            if self.on_frame is not None:
                self.on_frame(frame)
        except Exception as e:  # noqa: BLE001 - any failure of a frame is reported, never raised in the worker
            self._report(request.request_id, e)

    def _report(self, request_id: int, error: Exception) -> None:
        if self.on_error is None:
            LOG.error("preview request %d failed: %s", request_id, error)
            return
        try:
            self.on_error(request_id, error)
        except Exception:
            LOG.exception("the preview's on_error callback failed")
