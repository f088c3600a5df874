"""Landscapes: a sky of some kind over ridges of hills, a meadow, perhaps water, and trees, in a season.

The record names the horizon, the sky kind (clear, cloudy, sunset, overcast), the season (its palette:
fresh green, deep green, autumn gold, snow), the water (none, lake, river or sea), the ridges and every
tree. Distance is painted as a painter does it: far ridges take the sky's colour (aerial perspective),
trees grow with nearness, water mirrors the sky.
"""

from __future__ import annotations

import numpy as np

from . import shapes
from .attributes import PALETTE_MOODS, RGB, jitter, light_record, pick, rounded
from .brush import brushwork
from .layout import Layout, grid, stack, wobble
from .light import grade, lambert, mix, paint_over, rgb, tone
from .textures import color_noise, smooth_noise, strokes

PARTS = ("sky", "hills", "ground", "water", "trees")  # back to front; each is its own region
MASKS = PARTS
REGION_OF_PART = {p: p for p in PARTS}
_STROKES = {"sky": (0.09, 0.022), "hills": (0.06, 0.014), "ground": (0.06, 0.014), "water": (0.07, 0.01),
            "trees": (0.025, 0.009)}
STROKES = tuple(_STROKES[p] for p in PARTS)

SKY_KINDS = ("clear", "cloudy", "sunset", "overcast")
SEASONS = ("spring", "summer", "autumn", "winter")
WATER_KINDS = ("none", "lake", "river", "sea")
TREE_KINDS = ("round", "conifer")
# sky kind -> (zenith, horizon, clouds)
_SKIES: dict[str, tuple[RGB, RGB, RGB]] = {
    "clear": ((70, 120, 190), (176, 204, 226), (236, 238, 240)),
    "cloudy": ((96, 134, 180), (190, 202, 214), (232, 232, 230)),
    "sunset": ((70, 70, 130), (240, 156, 84), (226, 110, 96)),
    "overcast": ((140, 146, 154), (184, 186, 186), (206, 206, 204)),
}
# season -> (meadow, far fields, foliage, trunk)
_SEASONS: dict[str, tuple[RGB, RGB, RGB, RGB]] = {
    "spring": ((118, 170, 76), (150, 180, 100), (124, 182, 84), (92, 70, 52)),
    "summer": ((70, 122, 50), (110, 140, 66), (44, 96, 44), (76, 56, 40)),
    "autumn": ((156, 130, 62), (170, 140, 80), (206, 112, 38), (70, 50, 36)),
    "winter": ((228, 232, 238), (210, 216, 226), (112, 98, 88), (60, 50, 44)),
}
_CONIFER: RGB = (38, 72, 52)
_WATER: RGB = (46, 78, 96)
ATTRIBUTE_KEYS = ("genre", "horizon", "sky", "season", "water", "hills", "trees", "light", "palette")


def attributes(rng: np.random.Generator) -> dict:
    """The record of one landscape, without its genre."""
    horizon = rng.uniform(0.4, 0.62)
    sky, season = pick(rng, SKY_KINDS), pick(rng, SEASONS)
    water_kind = pick(rng, WATER_KINDS, p=[0.5, 0.2, 0.15, 0.15])  # water or none, half and half
    water = {"present": water_kind != "none", "kind": water_kind, "x": rounded(rng.uniform(0.25, 0.75)),
             "size": rounded(rng.uniform(0.5, 1.0)), "bend": rounded(rng.uniform(-1, 1))}
    ridges = []
    for k in range(int(rng.integers(1, 4))):  # back to front: the far ones are higher and hazier
        ridges.append({"height": rounded(rng.uniform(0.05, 0.2) * (1.2 - 0.3 * k)), "freq": rounded(rng.uniform(3, 9)),
                       "phase": rounded(rng.uniform(0, 6.3)), "peaks": bool(rng.random() < 0.35)})
    trees = []
    conifer_p = 0.7 if season == "winter" else 0.35
    for _ in range(int(rng.integers(0, 9))):
        y = horizon + 0.04 + (1.02 - horizon - 0.04) * rng.random() ** 0.7
        trees.append({"x": rounded(rng.uniform(-0.02, 1.02)), "y": rounded(y),
                      "size": rounded((y - horizon) * rng.uniform(0.5, 0.9) + 0.02),
                      "kind": TREE_KINDS[int(rng.random() < conifer_p)]})
    trees.sort(key=lambda t: t["y"])  # back to front
    zenith, low, cloud = _SKIES[sky]
    cover = {"clear": 0.12, "cloudy": 0.45, "sunset": 0.3, "overcast": 0.85}[sky]
    meadow, fields, foliage, trunk = _SEASONS[season]
    sunset = sky == "sunset"
    return {
        "horizon": rounded(horizon),
        "sky": {"kind": sky, "zenith_rgb": jitter(rng, zenith, 10), "horizon_rgb": jitter(rng, low, 10),
                "cloud_rgb": jitter(rng, cloud, 8), "cover": rounded(cover + rng.uniform(-0.05, 0.05))},
        "season": {"name": season, "meadow_rgb": jitter(rng, meadow, 10), "fields_rgb": jitter(rng, fields, 10),
                   "foliage_rgb": jitter(rng, foliage, 12), "trunk_rgb": jitter(rng, trunk, 6)},
        "water": water,
        "hills": ridges,
        "trees": trees,
        "light": light_record(rng.uniform(-165, -15), rng.uniform(4, 14) if sunset else rng.uniform(25, 60)),
        "palette": {"mood": pick(rng, PALETTE_MOODS)},
    }


def _ridge(x: np.ndarray, r: dict, horizon: float) -> np.ndarray:
    """(1, n) height of a ridge's top edge (a fraction of the image, y down)."""
    ph, f = r["phase"], r["freq"]
    wave = 0.55 * np.sin(x * f + ph) + 0.3 * np.sin(x * f * 2.3 + 2 * ph) + 0.15 * np.sin(x * f * 5.1 + ph)
    if r["peaks"]:  # mountains: sharp tops
        wave = 1 - 2 * np.abs(np.sin(x * f * 0.8 + ph)) ** 0.7 + 0.2 * np.sin(x * f * 3.7)
    return horizon + 0.004 - r["height"] * (0.6 + 0.4 * wave)


def _water(x, y, a: dict) -> np.ndarray:
    w, h = a["water"], a["horizon"]
    below = h + 0.003 - y
    if w["kind"] == "lake":
        depth = 0.08 + 0.14 * w["size"] * (1 - h)
        lake = shapes.ellipse(x - w["x"], y - h - 0.35 * depth, 0.18 + 0.22 * w["size"], depth)
        return np.maximum(lake, below)
    if w["kind"] == "river":  # winds towards the viewer and widens with nearness
        near = np.clip(y - h, 0, None)
        centre = w["x"] + w["bend"] * 0.25 * near + 0.06 * np.sin(near * 14 + 3 * w["bend"]) * near / (1 - h)
        return np.maximum(np.abs(x - centre) - (0.006 + (0.08 + 0.14 * w["size"]) * near), below)
    if w["kind"] == "sea":
        shore = h + 0.06 + 0.16 * w["size"] * (1 - h) + 0.03 * np.sin(x * 5 + 3 * w["bend"]) + 0.012 * np.sin(x * 17)
        return np.maximum(y - shore, below)
    return np.full(np.broadcast_shapes(x.shape, y.shape), 1e3, np.float32)


def _tree(x, y, t: dict) -> tuple[np.ndarray, np.ndarray]:
    """(crown, trunk) distances of one tree standing at (x, y) with height ``size``."""
    s = t["size"]
    trunk = shapes.box(x, y, t["x"] - 0.06 * s, t["x"] + 0.06 * s, t["y"] - 0.5 * s, t["y"])
    if t["kind"] == "conifer":
        crown = shapes.polygon(x, y, [(t["x"], t["y"] - 1.05 * s), (t["x"] + 0.3 * s, t["y"] - 0.15 * s),
                                      (t["x"] - 0.3 * s, t["y"] - 0.15 * s)])
    else:
        crown = shapes.ellipse(x - t["x"], y - t["y"] + 0.62 * s, 0.36 * s, 0.38 * s)
    return crown, trunk


def build(a: dict, n: int, rng: np.random.Generator) -> Layout:
    """Lay out the landscape of record ``a`` at ``n`` x ``n``; ``rng`` only roughens the edges."""
    x, y = grid(n)
    h = a["horizon"]
    edge = wobble(rng, n, 12, 0.004)
    tops = [_ridge(x, r, h) for r in a["hills"]]
    hills = (np.minimum.reduce(tops) - y) * n + edge if tops else np.full((n, n), 1e3, np.float32)
    ground = (h + 0.003 * np.sin(x * 23) - y) * n + 0.3 * edge
    water = _water(x, y, a) * n + 0.4 * edge
    crowns, trunks = [], []
    for t in a["trees"]:
        c, k = _tree(x, y, t)
        crowns.append(c)
        trunks.append(k)
    leaf = wobble(rng, n, 24, 0.006)  # foliage edges are ragged
    trees = (shapes.union(*crowns) * n + leaf if crowns else np.full((n, n), 1e3, np.float32))
    trees = np.minimum(trees, shapes.union(*trunks) * n) if trunks else trees
    alpha, labels = stack({"hills": hills, "ground": ground, "water": water, "trees": trees}, PARTS, n)
    # Inner lines: where a nearer ridge overlaps a farther one.
    lines = np.full((n, n), 1e3, np.float32)
    hill = labels == PARTS.index("hills")
    for k in range(1, len(tops)):
        behind = np.minimum.reduce(tops[:k])
        lines = np.minimum(lines, np.where(hill & (y > behind + 1.5 / n), np.abs(y - tops[k]) * n, 1e3))
    return Layout(n=n, alpha=alpha, labels=labels, lines=lines,
                  geo={"x": x, "y": y, "tops": tops, "edge": edge, "crowns": crowns, "leaf": leaf, "trunks": trunks})


def _sun_x(L) -> float:
    """Where the sun stands across the picture, from the light's azimuth."""
    return 0.5 + 0.45 * float(np.clip(L[0] / max(float(np.hypot(L[0], L[1])), 1e-3), -1, 1))


def _sky(a: dict, x, y, n: int, rng: np.random.Generator) -> np.ndarray:
    s, h = a["sky"], a["horizon"]
    L = a["light"]["direction"]
    z, low, cloud = rgb(s["zenith_rgb"]), rgb(s["horizon_rgb"]), rgb(s["cloud_rgb"])
    img = mix(np.broadcast_to(z, (n, n, 3)), low, np.broadcast_to(np.clip(y / h, 0, 1) ** 1.5, (n, n)))
    if s["kind"] == "sunset":
        glow = np.exp(-((x - _sun_x(L)) ** 2 * 3 + (y - h) ** 2 * 12))
        img = mix(img, np.array([1.0, 0.86, 0.55], np.float32), 0.8 * glow)
        puffs = strokes(rng, n, 0.0, 0.45, 0.04) + 0.5 * smooth_noise(rng, n, 4)
    else:
        puffs = smooth_noise(rng, n, 5) + 0.45 * smooth_noise(rng, n, 11)
    cover = np.clip((puffs - 1.2 + 2.0 * s["cover"]) * 1.5, 0, 1)
    lit = np.clip(0.65 + 0.35 * smooth_noise(rng, n, 7) * np.sign(L[0] + 1e-3), 0.3, 1)  # sunlit cloud sides
    return mix(img, tone(cloud, lit), 0.85 * cover)


def paint(lay: Layout, a: dict, rng: np.random.Generator) -> np.ndarray:
    """(n, n, 3) float image in [0, 1] of the landscape, before the canvas."""
    n, x, y, g = lay.n, lay.geo["x"], lay.geo["y"], lay.geo
    L = np.asarray(a["light"]["direction"], np.float32)
    h, se = a["horizon"], a["season"]
    img = _sky(a, x, y, n, rng)
    haze = rgb(a["sky"]["horizon_rgb"])
    fields, meadow = rgb(se["fields_rgb"]), rgb(se["meadow_rgb"])
    winter = se["name"] == "winter"
    count = len(g["tops"])
    for k, top in enumerate(g["tops"]):  # far ridges first, taking more of the sky's colour
        slope = np.gradient(top[0]) * n / 4
        light = 0.25 + 0.75 * lambert(np.clip(-slope, -0.9, 0.9)[None, :], np.float32(-0.4), L)
        base = mix(fields * 0.8, haze, np.float32(0.65 - 0.4 * (k + 1) / count))
        col = tone(base, np.clip(light + 0.1 * smooth_noise(rng, n, 9), 0, 1))
        if a["hills"][k]["peaks"] or winter:  # snow on the tops
            snow = np.clip(1 - (y - top) / (0.25 * a["hills"][k]["height"] + 1e-3), 0, 1) * (0.7 + 0.3 * light)
            col = mix(col, np.array([0.94, 0.95, 0.97], np.float32), np.clip(snow, 0, 1))
        cover = shapes.coverage((top - y) * n + g["edge"], max(1.0, n / 160))
        img = paint_over(img, col, cover)
    # The meadow: far fields near the horizon, richer and darker towards the viewer, strips of field.
    near = np.clip((y - h) / (1 - h), 0, 1)
    far_fields = np.broadcast_to(mix(fields, haze, np.float32(0.3)), (n, n, 3))
    ground = mix(far_fields, meadow, np.broadcast_to(near ** 0.6, (n, n)))
    ground_light = 0.55 + 0.35 * L[2] - 0.15 * near + 0.12 * strokes(rng, n, 8.0, 0.6, 0.05)
    img = paint_over(img, tone(ground, np.clip(ground_light, 0, 1)), lay.alpha["ground"])
    # Water mirrors the sky upside down, darkened, with ripples along the horizon and glints under the sun.
    mirror = np.clip((y - h) / max(h, 0.1), 0, 1)
    sky_in_water = mix(np.broadcast_to(rgb(a["sky"]["horizon_rgb"]), (n, n, 3)), rgb(a["sky"]["zenith_rgb"]),
                       np.broadcast_to(mirror, (n, n)))
    water = mix(sky_in_water * 0.85, rgb(_WATER), np.broadcast_to(0.45 + 0.3 * mirror, (n, n)))
    ripples = strokes(rng, n, 0.0, 0.35, 0.012)
    water = water * (1 + 0.18 * ripples)[..., None]
    glints = np.clip(ripples - 0.6, 0, 1) * np.exp(-((x - _sun_x(L)) / (0.12 + 0.3 * (1 - L[2]))) ** 2)
    water = mix(water, rgb(a["sky"]["horizon_rgb"]) * 0.6 + 0.4, np.clip(1.5 * glints, 0, 1))
    img = paint_over(img, water, lay.alpha["water"])
    # Trees, back to front: crowns lit as spheres (cones for conifers), dark trunks, shadows on the grass.
    foliage, trunk = rgb(se["foliage_rgb"]), rgb(se["trunk_rgb"])
    leafy = smooth_noise(rng, n, 28)
    soft = max(1.0, n / 160)
    for t, crown, stem in zip(a["trees"], g["crowns"], g["trunks"]):
        s = t["size"]
        sx, sy = (x - t["x"] + L[0] * 0.3 * s) / (0.4 * s), (y - t["y"]) / (0.05 * s + 0.004)  # its shadow
        shade = 0.3 * np.exp(-(sx ** 2 + sy ** 2))
        img = paint_over(img, img * 0.6, shade * lay.alpha["ground"])
        img = paint_over(img, tone(trunk, np.full((n, n), 0.4, np.float32)), shapes.coverage(stem * n, soft))
        cy = t["y"] - (0.55 if t["kind"] == "conifer" else 0.62) * s
        nx, ny = np.clip((x - t["x"]) / (0.36 * s), -1, 1), np.clip((y - cy) / (0.45 * s), -1, 1)
        light = np.clip(0.15 + 0.85 * lambert(nx * 0.85, ny * 0.6, L) + 0.25 * leafy, 0, 1)
        colour = _CONIFER if t["kind"] == "conifer" else se["foliage_rgb"]
        col = tone(rgb(colour) if t["kind"] == "conifer" else foliage, light)
        if winter and t["kind"] == "conifer":
            col = mix(col, np.array([0.92, 0.94, 0.97], np.float32), np.clip(0.6 * light - 0.2 + 0.3 * leafy, 0, 1))
        img = paint_over(img, col, shapes.coverage(crown * n + g["leaf"], soft))
    img = brushwork(img + 0.02 * color_noise(rng, n, 10), lay.labels, STROKES, rng)
    return grade(img, a["palette"]["mood"])
