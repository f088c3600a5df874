"""The attribute record of one portrait: a discrete composition class first, then continuous jitter and
the look (face, skin, hair, clothes, background, light, palette); and the small drawing helpers every
genre's record uses.

Everything downstream (painting, masks, sketch, probes and benchmarks) reads only the record, so the
record *is* the ground truth. It depends on the seed alone, never on the render size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Composition:
    """A prototype framing; samples jitter around it. Named by where the head sits and how it is turned."""

    name: str
    head_x: float  # head centre, fraction of width
    head_y: float  # head centre, fraction of height
    head_scale: float  # half the head height (crown to chin), fraction of height
    turn: float  # -1 = turned fully to the viewer's left, +1 = to the right (three-quarter at ~0.6)


COMPOSITIONS: tuple[Composition, ...] = (
    Composition("center-frontal", 0.50, 0.41, 0.195, 0.0),
    Composition("left-three-quarter", 0.37, 0.42, 0.185, 0.6),  # head left, looking into the picture
    Composition("right-three-quarter", 0.63, 0.42, 0.185, -0.6),
    Composition("close-up", 0.50, 0.48, 0.29, 0.0),
    Composition("distant", 0.50, 0.34, 0.125, 0.0),
)

HAIR_COLORS: dict[str, RGB] = {
    "black": (28, 24, 24),
    "dark-brown": (62, 40, 28),
    "brown": (110, 72, 44),
    "auburn": (140, 58, 34),
    "ginger": (196, 104, 48),
    "blond": (214, 178, 112),
    "platinum": (232, 222, 196),
    "grey": (150, 148, 146),
    "blue": (52, 96, 200),
    "green": (60, 150, 90),
    "pink": (232, 120, 170),
    "purple": (120, 64, 168),
}
NATURAL_HAIR = ("black", "dark-brown", "brown", "auburn", "ginger", "blond", "platinum", "grey")
HAIR_STYLES = ("short", "long", "bob", "bun", "curly", "bald")

SKIN_TONES: dict[str, RGB] = {
    "porcelain": (246, 218, 200),
    "fair": (236, 196, 170),
    "light": (224, 178, 142),
    "medium": (198, 146, 108),
    "olive": (184, 142, 100),
    "tan": (164, 114, 78),
    "brown": (124, 82, 56),
    "dark": (88, 58, 42),
}
EYE_COLORS: dict[str, RGB] = {
    "brown": (88, 52, 30),
    "hazel": (126, 100, 52),
    "green": (76, 118, 70),
    "blue": (70, 110, 160),
    "grey": (112, 122, 130),
}
CLOTHES_COLORS: dict[str, RGB] = {
    "black": (34, 32, 36),
    "white": (226, 222, 210),
    "navy": (36, 48, 92),
    "crimson": (150, 30, 42),
    "ochre": (190, 140, 50),
    "olive": (104, 110, 52),
    "teal": (34, 110, 112),
    "plum": (96, 44, 82),
    "rust": (160, 76, 40),
    "sky": (120, 164, 206),
    "forest": (40, 84, 52),
    "grey": (116, 116, 120),
}
FACE_SHAPES = ("oval", "round", "long", "heart", "square")
# Facial features a record may list under "unpainted" (the viewer's left and right eye, with its brow and socket;
# the nose's modelling and nostrils; the lips): never drawn by the sampler, set only to teach the face probe what
# a face without them looks like.
FACE_PARTS = ("eye_l", "eye_r", "nose", "mouth")
NECKLINES = ("round", "v", "collar", "turtleneck", "boat")
BACKGROUNDS = ("plain", "gradient", "landscape", "interior")
PALETTE_MOODS = ("neutral", "warm", "cool", "muted", "vivid")

# Background colour pools, by role, so every kind gets plausible painterly colours.
_BACKDROPS: tuple[RGB, ...] = (
    (62, 70, 64), (110, 94, 72), (44, 50, 66), (150, 130, 100), (92, 40, 36), (64, 82, 92),
    (176, 168, 150), (30, 30, 34), (120, 132, 110), (84, 60, 80), (196, 176, 140), (58, 88, 78),
)
_SKIES: tuple[RGB, ...] = ((120, 160, 200), (170, 190, 210), (220, 180, 140), (90, 110, 150), (200, 200, 190))
_LANDS: tuple[RGB, ...] = ((70, 100, 60), (120, 120, 70), (90, 80, 60), (60, 80, 90), (140, 110, 70))

ATTRIBUTE_KEYS = (
    "genre", "composition", "composition_index", "head", "face_shape", "skin", "hair", "eyes", "brows", "mouth",
    "clothes", "background", "light", "palette",
)


def pick(rng: np.random.Generator, options, p=None):
    return options[int(rng.choice(len(options), p=p))]


def jitter(rng: np.random.Generator, rgb: RGB, amount: float) -> list[int]:
    return [int(v) for v in np.clip(np.asarray(rgb) + rng.normal(0, amount, 3), 0, 255)]


def rounded(x: float) -> float:
    """Record values keep 4 decimals: readable JSON, and far finer than a pixel."""
    return round(float(x), 4)


def light_record(azimuth: float, elevation: float) -> dict:
    """The light of a picture: angles in degrees (screen y points down, so light from above has a negative
    azimuth) and the unit direction towards the light that the painters shade with."""
    az, el = np.radians(azimuth), np.radians(elevation)
    return {"azimuth_deg": rounded(azimuth), "elevation_deg": rounded(elevation),
            "direction": [rounded(np.cos(az) * np.cos(el)), rounded(np.sin(az) * np.cos(el)), rounded(np.sin(el))]}


def portrait_head(rng: np.random.Generator) -> tuple[int, dict]:
    """Draw a portrait's composition index and head record: the first draws of its record, so the head alone
    (where a face-crop critic crops a training portrait) costs a tenth of the whole record."""
    ci = int(rng.integers(len(COMPOSITIONS)))
    comp = COMPOSITIONS[ci]
    return ci, {
        "x": rounded(comp.head_x + rng.normal(0, 0.02)),
        "y": rounded(comp.head_y + rng.normal(0, 0.015)),
        "scale": rounded(comp.head_scale * np.exp(rng.normal(0, 0.05))),
        "tilt_deg": rounded(np.clip(rng.normal(0, 5), -12, 12)),
        "turn": rounded(np.clip(comp.turn + rng.normal(0, 0.12), -0.85, 0.85)),
    }


def portrait_attributes(rng: np.random.Generator) -> dict:
    """Draw the JSON-serialisable record of one portrait (composition class first), without its genre."""
    ci, head = portrait_head(rng)
    comp = COMPOSITIONS[ci]
    style = pick(rng, HAIR_STYLES, p=[0.22, 0.24, 0.18, 0.12, 0.16, 0.08])
    natural = rng.random() < 0.8
    hair_name = pick(rng, NATURAL_HAIR if natural else tuple(k for k in HAIR_COLORS if k not in NATURAL_HAIR))
    skin_name = pick(rng, tuple(SKIN_TONES))
    skin_rgb = jitter(rng, SKIN_TONES[skin_name], 6)
    eye_name = pick(rng, tuple(EYE_COLORS))
    lip = np.asarray(skin_rgb) * 0.72 + np.asarray((170, 60, 70)) * 0.28 * rng.uniform(0.7, 1.1)
    clothes_name = pick(rng, tuple(CLOTHES_COLORS))
    kind = pick(rng, BACKGROUNDS)
    if kind == "landscape":
        bg = [jitter(rng, pick(rng, _SKIES), 12), jitter(rng, pick(rng, _LANDS), 12),
              jitter(rng, pick(rng, _LANDS), 12)]
    else:
        idx = rng.choice(len(_BACKDROPS), 3, replace=False)
        bg = [jitter(rng, _BACKDROPS[i], 14) for i in idx]
    azimuth = rng.uniform(-165, -15)  # light from above, left or right (screen y points down)
    elevation = rng.uniform(25, 60)
    return {
        "composition": comp.name,
        "composition_index": ci,
        "head": head,
        "face_shape": pick(rng, FACE_SHAPES),
        "skin": {"name": skin_name, "rgb": skin_rgb},
        "hair": {
            "style": style,
            "color": hair_name,
            "rgb": jitter(rng, HAIR_COLORS[hair_name], 8),
            "natural": bool(natural),
            "volume": rounded(rng.uniform(0.0, 0.18)),
            "part": rounded(rng.uniform(-0.35, 0.35)),
        },
        "eyes": {"color": eye_name, "rgb": jitter(rng, EYE_COLORS[eye_name], 8),
                 "size": rounded(rng.uniform(0.85, 1.15)), "spacing": rounded(rng.uniform(0.9, 1.1))},
        "brows": {"thickness": rounded(rng.uniform(0.6, 1.4)), "arch": rounded(rng.uniform(0.0, 1.0))},
        "mouth": {"width": rounded(rng.uniform(0.85, 1.2)), "smile": rounded(rng.uniform(-0.2, 1.0)),
                  "lip_rgb": [int(v) for v in np.clip(lip, 0, 255)]},
        "clothes": {"color": clothes_name, "rgb": jitter(rng, CLOTHES_COLORS[clothes_name], 10),
                    "neckline": pick(rng, NECKLINES)},
        "background": {"kind": kind, "colors": bg},
        "light": light_record(azimuth, elevation),
        "palette": {"mood": pick(rng, PALETTE_MOODS)},
    }
