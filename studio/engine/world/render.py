"""Paint a ``Scene``: lit volumes for face, hair and clothes, brushwork over them, then the facial
features and a colour grade. Output stays supersampled; ``sample.py`` downsamples and adds the canvas.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from . import shapes
from .background import paint_background
from .brush import brushwork
from .light import grade, lambert, paint_over, rgb, tone
from .scene import PARTS, Scene
from .textures import color_noise, smooth_noise

# part -> (stroke length, stroke width) as fractions of the image size: broad on the backdrop, fine on the face
_STROKES = {"background": (0.08, 0.02), "hair_back": (0.055, 0.008), "neck": (0.03, 0.012),
            "clothes": (0.05, 0.014), "collar": (0.025, 0.008), "ear": (0.015, 0.006), "face": (0.022, 0.008),
            "hair_front": (0.05, 0.008)}
STROKES = tuple(_STROKES[p] for p in PARTS)
_FLESH = np.array([0.95, 0.72, 0.7], np.float32)  # skin shadows stay warm (blood under the skin)
_EYE_WHITE = np.array([0.86, 0.83, 0.78], np.float32)


def _blob(x, y, sx: float, sy: float) -> np.ndarray:
    return np.exp(-((x / sx) ** 2 + (y / sy) ** 2))


def _face_light(s: Scene, L: np.ndarray, unpainted: Collection[str]) -> np.ndarray:
    """Light on the head crop: an ellipsoid, modelled by the nose and the eye sockets (those not ``unpainted``)."""
    p, q, c0 = s.p[s.box], s.q[s.box], s.center
    light = 0.15 + 0.85 * lambert(np.clip((p - 0.15 * c0) / (s.face_w * 1.1), -1, 1), np.clip(q / 1.15, -1, 1), L)
    side = float(-np.sign(L[0]) or 1.0)
    nose = c0 * 1.15
    if "nose" not in unpainted:
        light = (light
                 - 0.2 * _blob(p - c0 - side * 0.07, q - 0.2, 0.035, 0.13)  # shadow side of the nose
                 + 0.1 * _blob(p - nose + side * 0.02, q - 0.2, 0.025, 0.1)  # lit ridge
                 - 0.12 * _blob(p - nose, q - 0.43, 0.07, 0.025))  # under the nose
    sockets = [_blob(p - c0 - k * 0.3, q + 0.01, 0.15, 0.07) for k, eye in ((1, "eye_r"), (-1, "eye_l"))
               if eye not in unpainted]
    return light - 0.1 * sum(sockets) if sockets else light


def _skin(s: Scene, attrs: dict, L: np.ndarray) -> np.ndarray:
    """Face, ears, neck and chest in one lit skin layer."""
    skin = rgb(attrs["skin"]["rgb"])
    # Neck and chest: a cylinder lit from the same side, in the head's shadow just under the chin.
    chest = np.clip(0.5 + 0.4 * (s.Q - 0.9), 0.5, 0.95)
    light = np.broadcast_to((0.2 + 0.8 * lambert(np.clip(s.P / 1.6, -1, 1), np.float32(-0.3), L)) * chest,
                            (s.n, s.n)).copy()
    a_face, a_ear = s.alpha["face"][s.box], s.alpha["ear"][s.box]
    on_head = a_face + a_ear - a_face * a_ear
    light[s.box] += (_face_light(s, L, attrs.get("unpainted", ())) - light[s.box]) * on_head
    col = tone(skin, np.clip(light, 0, 1), _FLESH)
    p, q, c0 = s.p[s.box], s.q[s.box], s.center
    blush = 0.22 * (_blob(p - c0 - 0.36, q - 0.3, 0.13, 0.09) + _blob(p - c0 + 0.36, q - 0.3, 0.13, 0.09))
    col[s.box] = paint_over(col[s.box], rgb(attrs["mouth"]["lip_rgb"]), blush)
    if attrs["hair"]["style"] == "bald":  # stubble where the hair was
        col[s.box] = paint_over(col[s.box], rgb(attrs["hair"]["rgb"]), 0.2 * np.clip((-0.5 - q) * 4, 0, 1))
    return col


def _features(img: np.ndarray, s: Scene, attrs: dict) -> np.ndarray:
    """Paint eyes, brows, nostrils and lips onto the head crop where the face shows (those not unpainted)."""
    f, box = s.features, s.box
    col = img[box]
    show = s.alpha["face"][box] * (1 - s.alpha["hair_front"][box])
    soft = max(1.0, s.n / 200)
    skin = rgb(attrs["skin"]["rgb"])
    hair = rgb(attrs["hair"]["rgb"])
    brow = hair * 0.6 + skin * 0.1 if attrs["hair"]["natural"] else skin * 0.35
    lip = rgb(attrs["mouth"]["lip_rgb"])
    iris_rgb = rgb(attrs["eyes"]["rgb"])
    lid = np.clip((0.02 - s.q[box]) * s.px / 2, 0, 1)  # upper half of the eye
    unpainted = attrs.get("unpainted", ())
    for tag in ("l", "r"):
        if f"eye_{tag}" in unpainted:
            continue
        eye, iris = f[f"eye_{tag}"], f[f"iris_{tag}"]
        col = paint_over(col, _EYE_WHITE * (0.75 + 0.25 * skin), show * shapes.coverage(eye, soft))
        inside = show * shapes.coverage(np.maximum(iris, eye), soft)
        col = paint_over(col, iris_rgb, inside)
        col = paint_over(col, iris_rgb * 0.2, inside * shapes.coverage(iris + 0.028 * s.px, soft))
        col = paint_over(col, skin * 0.22, show * shapes.stroke(eye, max(1.2, 0.025 * s.px)) * lid)
        col = paint_over(col, brow, 0.8 * show * shapes.coverage(f[f"brow_{tag}"], soft))
    if "nose" not in unpainted:
        col = paint_over(col, skin * 0.45, 0.5 * show * shapes.coverage(f["nostrils"], soft))
    if "mouth" not in unpainted:
        col = paint_over(col, lip, show * shapes.coverage(f["lips"], soft))
        col = paint_over(col, lip * 0.8, show * shapes.coverage(f["upper_lip"], soft))
        col = paint_over(col, lip * 0.45, 0.7 * show * shapes.stroke(f["lip_line"], max(1.0, 0.015 * s.px)))
    img = img.copy()
    img[box] = col
    return img


def _hair(s: Scene, attrs: dict, L: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    hair = attrs["hair"]
    p, q, n = s.p, s.q, s.n
    base = rgb(hair["rgb"])
    light = lambert(np.clip(p / (s.face_w * 1.5 + 0.3), -1, 1), np.clip((q + 0.3) / 1.8, -1, 1), L)
    if hair["style"] == "curly":
        texture = 0.1 - 0.45 * np.abs(smooth_noise(rng, n, max(8, int(s.n / 6))))
    else:
        ang = np.arctan2(p - hair["part"] * s.face_w, q + 1.4)
        texture = 0.12 * np.sin(ang * 60 + 2.0 * smooth_noise(rng, n, 8))
    sheen = 0.3 * light ** 6
    return tone(base, np.clip(0.15 + 0.8 * light + texture, 0, 1)) + sheen[..., None] * (0.4 + 0.6 * base)


def _clothes(s: Scene, attrs: dict, L: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Clothes (shoulders lit as a broad cylinder, with soft folds) and a contrasting collar."""
    base = rgb(attrs["clothes"]["rgb"])
    P, Q = s.P + 0.2 * s.turn, s.Q
    light = 0.15 + 0.85 * lambert(np.clip(P / 2.5, -1, 1), np.clip(-0.6 + 0.3 * (Q - 1.3), -0.6, 0.3), L)
    folds = 0.12 * smooth_noise(rng, s.n, 7)
    chin_shadow = 0.25 * np.exp(-(((Q - 1.45) * 2.5) ** 2) - P * P)
    col = tone(base, np.clip(light + folds - chin_shadow, 0, 1))
    trim = base * 0.5 if base.mean() > 0.5 else base * 0.3 + 0.6
    return col, tone(trim, np.clip(light + 0.1, 0, 1))


def paint(s: Scene, attrs: dict, rng: np.random.Generator) -> np.ndarray:
    """(n, n, 3) float image in [0, 1] of the scene, still at the scene's (supersampled) size."""
    L = np.asarray(attrs["light"]["direction"], np.float32)
    img = paint_background(attrs, s.n, rng)
    skin = _skin(s, attrs, L)
    hair = _hair(s, attrs, L, rng)
    clothes, collar = _clothes(s, attrs, L, rng)
    colour = {"hair_back": hair * 0.8, "neck": skin, "clothes": clothes, "collar": collar,
              "ear": skin * np.array([1.0, 0.94, 0.92], np.float32), "face": skin, "hair_front": hair}
    for part in PARTS[1:]:
        img = img + (colour[part] - img) * s.alpha[part][..., None]
    img = brushwork(img + 0.02 * color_noise(rng, s.n, 10), s.labels, STROKES, rng)
    return grade(_features(img, s, attrs), attrs["palette"]["mood"])
