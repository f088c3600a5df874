"""Lay out one portrait as distance fields: head, features, hair, neck, clothes, on a supersampled grid.

The painter, the region masks and the sketch all read this one ``Scene``, so the three always agree.
Lengths are in head units (half the head height, ``b``) in a frame that turns and tilts with the head;
``Scene.px`` converts them to pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import shapes
from .textures import smooth_noise, strokes

# Painting order, back to front. Each part belongs to exactly one region of the partition.
PARTS = ("background", "hair_back", "neck", "clothes", "collar", "ear", "face", "hair_front")
REGION_OF_PART = {
    "background": "background", "hair_back": "hair", "neck": "face", "clothes": "clothes",
    "collar": "clothes", "ear": "face", "face": "face", "hair_front": "hair",
}
# face shape -> (half width in head units, jaw taper, superellipse exponent)
_FACE = {"oval": (0.74, 0.24, 2.0), "round": (0.80, 0.12, 2.0), "long": (0.67, 0.2, 2.0),
         "heart": (0.77, 0.4, 2.0), "square": (0.78, 0.1, 2.7)}
_FAR = 1e3  # distance used for parts a portrait does not have


@dataclass
class Scene:
    """One portrait laid out at ``n`` x ``n``: part coverages, the label map and feature distance fields."""

    n: int
    px: float  # pixels per head unit
    p: np.ndarray  # head frame x (head units), turns and tilts with the head
    q: np.ndarray  # head frame y, down the face
    P: np.ndarray  # upright frame x around the head centre (head units)
    Q: np.ndarray
    turn: float
    face_w: float  # face half-width, head units
    center: float  # x of the feature column in the head frame (moves with the turn)
    alpha: dict[str, np.ndarray]  # part -> coverage in [0, 1]
    labels: np.ndarray  # index into PARTS of the top part at each pixel
    box: tuple[slice, slice]  # rows, cols holding the whole head
    features: dict[str, np.ndarray]  # eyes, brows, lips... distances (px) on ``box``


def _grid(n: int, head: dict) -> tuple[np.ndarray, ...]:
    b = head["scale"]
    t = (np.arange(n, dtype=np.float32) + 0.5) / n
    P = ((t - head["x"]) / b)[None, :]
    Q = ((t - head["y"]) / b)[:, None]
    th = np.radians(head["tilt_deg"])
    c, s = np.float32(np.cos(th)), np.float32(np.sin(th))
    return P, Q, c * P + s * Q, -s * P + c * Q


def _face(p, q, t: float, shape: str) -> tuple[np.ndarray, float]:
    w, taper, e = _FACE[shape]
    qc = np.clip(q, 0.0, 1.2)
    pf = p - 0.12 * t * qc * qc  # the chin swings toward the turn
    ws = np.where(pf > 0, w * (1 - 0.12 * t), w * (1 + 0.12 * t))  # far cheek foreshortened
    u = pf / (ws * (1 - taper * qc * qc))
    r = np.hypot(u, q) if e == 2.0 else (np.abs(u) ** e + np.abs(q) ** e) ** (1 / e)
    return (r - 1.0) * w, w


def _hair(p, q, style: str, w: float, vol: float, part: float, t: float) -> tuple[np.ndarray, np.ndarray]:
    """(back, front) distance fields of the hair in head units; 'back' is painted behind the head."""
    cap = shapes.ellipse(p, q + 0.08, w * 1.06 + 0.07 + vol, 1.04 + 0.5 * vol)
    hl = q - (-0.56 + 0.45 * ((p - part * w) / w) ** 2)  # hairline: front hair where this < 0
    front = np.maximum(cap, hl)
    if style == "short":
        back = np.maximum(cap, q - 0.2)
    elif style == "long":
        back = shapes.union(cap, shapes.superellipse(p, q - 1.0, w * 1.3 + vol, 1.7, 3.0))
        front = shapes.union(front, np.maximum(back, np.maximum(w * 0.8 - np.abs(p), -q - 0.3)))
    elif style == "bob":
        back = shapes.superellipse(p, q + 0.1, w * 1.24 + vol, 1.0 + 0.3 * vol, 3.2)
        fringe = q - (-0.3 + 0.12 * (p / w) ** 2)
        front = shapes.union(np.maximum(cap, fringe), np.maximum(back, np.maximum(w * 0.86 - np.abs(p), -q - 0.2)))
    elif style == "bun":
        cap = shapes.ellipse(p, q + 0.05, w * 1.03 + 0.04, 1.02)
        back = shapes.union(np.maximum(cap, q - 0.15), shapes.circle(p + 0.25 * t, q + 1.02, 0.34 + vol))
        front = np.maximum(cap, q - (-0.62 + 0.5 * (p / w) ** 2))
    elif style == "curly":
        ang = np.arctan2(q + 0.3, p)
        bumps = 1 + 0.05 * np.sin(9 * ang + 3 * part) + 0.03 * np.sin(16 * ang + 1.0)
        back = np.hypot(p / 1.15, q + 0.3) - (1.25 + 1.2 * vol) * bumps
        front = np.maximum(back, q - (-0.5 + 0.4 * (p / w) ** 2))
    elif style == "bald":
        side = shapes.ellipse(p, q + 0.02, w * 1.05 + 0.04, 1.02)
        back = np.maximum(side, np.maximum(q - 0.28, -q - 0.2))
        front = np.full_like(p, _FAR)
    else:
        raise ValueError(f"unknown hair style {style!r}")
    return back, front


def _body(P, Q, neckline: str, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(neck incl. exposed chest, clothes, collar) distance fields in head units, upright frame."""
    nx, sh = -0.08 * t, 1.38
    nw = 0.34 + 1.2 * np.clip(Q - (sh - 0.35), 0, 0.5) ** 2  # flares into the shoulders
    neck = np.maximum(np.abs(P - nx) - nw, np.maximum(0.2 - Q, Q - sh - 1.2))
    # Sloping shoulders with rounded caps, then straight sides down past the bottom edge.
    tp, tw = P + 0.2 * t, 2.45 * (1 - 0.12 * abs(t))
    torso = shapes.superellipse(tp, Q - 0.16 * tp * tp - (sh + 1.6), tw, 1.6, 4.5)
    waist = tw - 0.1 * np.clip(Q - sh - 1.6, 0, None)  # the body narrows a little below the shoulders
    torso = np.minimum(torso, np.maximum(np.abs(tp) - waist, sh + 1.6 - Q))
    collar = np.full_like(neck, _FAR)
    if neckline == "turtleneck":
        tube = np.maximum(np.abs(P - nx) - (nw + 0.05), 0.78 - Q)
        return neck, shapes.union(torso, tube), collar
    if neckline == "round":
        cut = shapes.ellipse(P - nx, Q - sh + 0.1, 0.62, 0.5)
    elif neckline == "boat":
        cut = shapes.ellipse(P - nx, Q - sh + 0.05, 1.15, 0.26)
    elif neckline == "v":
        cut = shapes.polygon(P, Q, [(nx - 0.6, sh - 0.4), (nx + 0.6, sh - 0.4), (nx, sh + 1.15)])
    elif neckline == "collar":
        cut = shapes.ellipse(P - nx, Q - sh + 0.1, 0.45, 0.32)
        flaps = [shapes.polygon(P, Q, [(nx + k * 0.5, sh - 0.18), (nx + k * 0.02, sh + 0.42),
                                       (nx + k * 0.72, sh + 0.34)][:: -k]) for k in (-1, 1)]
        collar = np.maximum(shapes.union(*flaps), torso)
    else:
        raise ValueError(f"unknown neckline {neckline!r}")
    return shapes.union(neck, np.maximum(cut, torso)), np.maximum(torso, -cut), collar


def _features(p, q, c0: float, t: float, a: dict) -> dict[str, np.ndarray]:
    """Eyes, irises, brows, nose and lips in head units; ``c0`` is the feature column (moves with turn)."""
    eyes, mouth, brows = a["eyes"], a["mouth"], a["brows"]
    f: dict[str, np.ndarray] = {}
    size, ey = eyes["size"], 0.02
    for side, tag in ((-1, "l"), (1, "r")):
        squash = 1 - 0.35 * side * t  # the eye on the far side of the turn is foreshortened
        ex = c0 + side * 0.3 * eyes["spacing"] * squash
        ew = 0.13 * size * squash
        f[f"eye_{tag}"] = shapes.vesica(p - ex, q - ey, ew, 0.068 * size, 0.042 * size)
        f[f"iris_{tag}"] = shapes.circle(p - ex - 0.3 * ew * t, q - ey + 0.005, 0.055 * size)
        bx, by = ex + side * 0.02, ey - 0.17 - 0.04 * brows["arch"]
        radius = 0.55 - 0.3 * brows["arch"]
        half = 0.5 * 0.045 * brows["thickness"] * (1 - 0.5 * side * (p - bx) / (0.17 * squash))
        arc = np.abs(np.hypot(p - bx, q - by - radius) - radius) - np.clip(half, 0.004, None)
        f[f"brow_{tag}"] = np.maximum(np.maximum(arc, np.abs(p - bx) - 0.17 * squash), q - by - 0.1)
    nose = np.abs(np.hypot(p - c0 * 1.15, q - 0.28) - 0.085)
    f["nose"] = np.maximum(nose, 0.33 - q)
    f["nostrils"] = shapes.union(*(shapes.circle(p - c0 * 1.15 - k * 0.045, q - 0.37, 0.016) for k in (-1, 1)))
    mx, my, mw = c0 * 1.05, 0.6, 0.19 * mouth["width"] * (1 - 0.2 * abs(t))
    x = (p - mx) / mw
    x2 = np.minimum(x * x, 1.0)
    line = my + 0.005 - mouth["smile"] * 0.045 * x2
    top = line - 0.05 * (1 - x2) * (1 + 0.35 * np.cos(np.pi * np.clip(x, -1, 1) * 2.2))
    bottom = line + 0.075 * (1 - x2)
    f["lip_line"] = np.maximum(np.abs(q - line), (np.abs(x) - 1) * mw)
    f["lips"] = np.maximum(np.maximum(top - q, q - bottom), (np.abs(x) - 1) * mw)
    f["upper_lip"] = np.maximum(np.maximum(top - q, q - line), (np.abs(x) - 1) * mw)
    return f


def build_scene(attrs: dict, n: int, rng: np.random.Generator) -> Scene:
    """Lay out the portrait of ``attrs`` on an ``n`` x ``n`` grid; ``rng`` only roughens the edges."""
    head, hair = attrs["head"], attrs["hair"]
    t = head["turn"]
    P, Q, p, q = _grid(n, head)
    px = head["scale"] * n
    face, w = _face(p, q, t, attrs["face_shape"])
    back, front = _hair(p, q, hair["style"], w, hair["volume"], hair["part"], t)
    neck, clothes, collar = _body(P, Q, attrs["clothes"]["neckline"], t)
    ears = []
    for side in (-1, 1):
        if side * t > 0.35:
            continue  # hidden behind the head when turned away
        ex = side * w * (1 - 0.12 * side * t) * 0.97
        ears.append(shapes.ellipse(p - ex, q - 0.1, 0.11, 0.2))
    ear = shapes.union(*ears) if ears else np.full_like(face, _FAR)

    # Painted edges wander a little, hair most; masks and sketch follow the same wandering edges.
    wobble = smooth_noise(rng, n, 12) * (0.004 * n)
    wisps = strokes(rng, n, 90.0 + head["tilt_deg"], 0.15, 0.015) * (0.006 * n)
    dist = {
        "hair_back": back * px + wobble + wisps,
        "neck": neck * px + 0.5 * wobble,
        "clothes": clothes * px + wobble,
        "collar": collar * px + 0.5 * wobble,
        "ear": ear * px,
        "face": face * px + 0.3 * wobble,
        "hair_front": front * px + wobble + wisps,
    }
    soft = max(1.0, n / 160)
    alpha = {k: shapes.coverage(d, soft * (2.0 if k.startswith("hair") else 1.0)) for k, d in dist.items()}
    labels = np.zeros((n, n), np.uint8)
    for i, k in enumerate(PARTS[1:], start=1):
        labels[np.broadcast_to(alpha[k] > 0.5, (n, n))] = i
    c0 = 0.32 * t
    box = _head_box(head, n)
    feats = {k: v * px for k, v in _features(p[box], q[box], c0, t, attrs).items()}
    return Scene(n=n, px=px, p=p, q=q, P=P, Q=Q, turn=t, face_w=w, center=c0, alpha=alpha,
                 box=box, features=feats, labels=labels)


def _head_box(head: dict, n: int) -> tuple[slice, slice]:
    """Rows and columns that contain the head, ears included, whatever its tilt: features live there."""
    r = 1.3 * head["scale"] * n
    y, x = head["y"] * n, head["x"] * n
    return (slice(max(0, int(y - r)), min(n, int(y + r) + 1)), slice(max(0, int(x - r)), min(n, int(x + r) + 1)))
