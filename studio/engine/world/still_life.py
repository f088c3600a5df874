"""Flower still lifes: a vase of flowers on a table against a wall, often with a drapery on the table.

The record names the vase's position (left, centre, right), shape and colour, the flowers' kind and colour
(with every bloom's place), the table, the drapery and the light. The vase is a solid of revolution (a
radius profile per shape), lit as a cylinder with a glaze highlight; blooms are lit as small spheres.
"""

from __future__ import annotations

import numpy as np

from . import shapes
from .attributes import CLOTHES_COLORS, PALETTE_MOODS, RGB, jitter, light_record, pick, rounded
from .brush import brushwork
from .layout import Layout, grid, stack, wobble
from .light import grade, lambert, mix, paint_over, rgb, tone
from .textures import color_noise, smooth_noise, strokes

PARTS = ("background", "table", "drapery", "vase", "foliage", "flowers")  # back to front; each is its own region
MASKS = PARTS
REGION_OF_PART = {p: p for p in PARTS}
_STROKES = {"background": (0.08, 0.02), "table": (0.06, 0.014), "drapery": (0.045, 0.012), "vase": (0.03, 0.01),
            "foliage": (0.025, 0.008), "flowers": (0.018, 0.008)}
STROKES = tuple(_STROKES[p] for p in PARTS)

VASE_POSITIONS = {"left": 0.36, "center": 0.5, "right": 0.64}
FLOWER_COLORS: dict[str, RGB] = {
    "red": (190, 36, 42), "pink": (232, 130, 164), "white": (236, 232, 220), "yellow": (236, 196, 58),
    "orange": (230, 118, 40), "purple": (118, 58, 150), "blue": (78, 108, 198),
}
FLOWER_KINDS = ("rose", "daisy", "tulip")
VASE_SHAPES = ("round", "tall", "urn", "jug")
VASE_COLORS: dict[str, RGB] = {
    "white": (226, 222, 208), "blue": (46, 76, 150), "terracotta": (172, 92, 56), "green": (66, 108, 78),
    "brass": (182, 140, 60), "black": (40, 38, 42), "celadon": (150, 182, 160),
}
TABLE_COLORS: dict[str, RGB] = {"oak": (150, 104, 62), "walnut": (92, 60, 40), "pine": (190, 152, 102),
                                "linen": (214, 204, 184), "marble": (200, 196, 188)}
_WALLS: tuple[RGB, ...] = ((62, 70, 64), (110, 94, 72), (44, 50, 66), (150, 130, 100), (92, 40, 36), (64, 82, 92),
                           (176, 168, 150), (30, 30, 34), (120, 132, 110), (84, 60, 80), (196, 176, 140))
_LEAF: RGB = (62, 104, 52)
# Radius profile (height from the foot in [0, 1], radius as a fraction of the vase's half width) per shape.
_PROFILES = {
    "round": ((0.0, 0.55), (0.15, 0.9), (0.4, 1.0), (0.7, 0.72), (0.86, 0.38), (0.95, 0.36), (1.0, 0.46)),
    "tall": ((0.0, 0.62), (0.1, 0.72), (0.6, 0.78), (0.85, 0.56), (0.95, 0.5), (1.0, 0.64)),
    "urn": ((0.0, 0.5), (0.07, 0.5), (0.13, 0.3), (0.32, 0.95), (0.55, 1.0), (0.8, 0.6), (0.92, 0.55), (1.0, 0.78)),
    "jug": ((0.0, 0.72), (0.3, 1.0), (0.62, 0.86), (0.86, 0.44), (1.0, 0.56)),
}
_GLAZED = {"white", "blue", "green", "brass", "black", "celadon"}  # terracotta is matte
ATTRIBUTE_KEYS = ("genre", "vase", "flowers", "leaves", "table", "drapery", "wall", "light", "palette")


def attributes(rng: np.random.Generator) -> dict:
    """The record of one still life, without its genre."""
    position = pick(rng, tuple(VASE_POSITIONS))
    table_y = rng.uniform(0.6, 0.7)  # the table's back edge
    height = rng.uniform(0.24, 0.34)
    shape = pick(rng, VASE_SHAPES)
    vase_color = pick(rng, tuple(VASE_COLORS))
    vase = {"position": position, "x": rounded(VASE_POSITIONS[position] + rng.normal(0, 0.02)),
            "base_y": rounded(table_y + rng.uniform(0.08, 0.14)), "height": rounded(height),
            "width": rounded(height * rng.uniform(0.32, 0.45)), "shape": shape, "color": vase_color,
            "rgb": jitter(rng, VASE_COLORS[vase_color], 10)}
    top = vase["base_y"] - height
    kind, color = pick(rng, FLOWER_KINDS), pick(rng, tuple(FLOWER_COLORS))
    spread = rng.uniform(0.2, 0.3)
    count = int(rng.integers(6, 12))
    angles = np.sort(rng.uniform(-1.15, 1.15, count))
    reach = spread * rng.uniform(0.45, 1.0, count)
    blooms = [[rounded(vase["x"] + np.sin(a) * d), rounded(top - 0.03 - np.cos(a) * d * 0.9),
               rounded(rng.uniform(0.04, 0.062) * (1.15 if kind == "rose" else 1.0))] for a, d in zip(angles, reach)]
    sprays = rng.uniform(-1.5, 1.5, int(rng.integers(3, 7)))  # leaf directions from the vertical
    leaves = [[rounded(a), rounded(spread * rng.uniform(0.45, 0.8))] for a in sprays]
    drape = rng.random() < 0.75
    side = -1 if position == "right" else 1 if position == "left" else int(rng.choice([-1, 1]))
    drape_color = pick(rng, tuple(CLOTHES_COLORS))
    table_color = pick(rng, tuple(TABLE_COLORS))
    walls = rng.choice(len(_WALLS), 2, replace=False)
    return {
        "vase": vase,
        "flowers": {"kind": kind, "color": color, "rgb": jitter(rng, FLOWER_COLORS[color], 10),
                    "count": count, "blooms": blooms},
        "leaves": {"rgb": jitter(rng, _LEAF, 12), "sprays": leaves},
        "table": {"y": rounded(table_y), "front_y": rounded(rng.uniform(0.86, 0.95)), "color": table_color,
                  "rgb": jitter(rng, TABLE_COLORS[table_color], 10)},
        "drapery": {"present": bool(drape), "side": "left" if side > 0 else "right",
                    "edge": rounded(VASE_POSITIONS[position] + side * rng.uniform(-0.02, 0.12)),
                    "color": drape_color, "rgb": jitter(rng, CLOTHES_COLORS[drape_color], 10),
                    "folds": rounded(rng.uniform(18, 34))},
        "wall": {"colors": [jitter(rng, _WALLS[i], 14) for i in walls]},
        "light": light_record(rng.uniform(-165, -15), rng.uniform(25, 60)),
        "palette": {"mood": pick(rng, PALETTE_MOODS)},
    }


def _vase(x, y, v: dict) -> tuple[np.ndarray, np.ndarray]:
    """(distance, radius at each row) of the vase, in fractions of the image."""
    u, r = np.asarray(_PROFILES[v["shape"]], np.float32).T
    radius = np.interp((v["base_y"] - y) / v["height"], u, r).astype(np.float32) * v["width"]
    top = v["base_y"] - v["height"]
    return np.maximum(np.abs(x - v["x"]) - radius, np.maximum(y - v["base_y"], top - y)), radius


def _bloom(dx, dy, r: float, kind: str, turn: float) -> np.ndarray:
    rho, theta = np.hypot(dx, dy), np.arctan2(dy, dx) + turn
    if kind == "daisy":
        return rho - r * (0.62 + 0.38 * np.abs(np.cos(5.5 * theta)))
    if kind == "tulip":  # a cup with three pointed petals on top
        cup = shapes.ellipse(dx, dy, 0.78 * r, r)
        return np.maximum(cup, -0.35 * r - dy - 0.3 * r * np.abs(np.sin(np.pi * 1.5 * dx / r)))
    return rho - r * (1 + 0.06 * np.sin(7 * theta))


def _bouquet_box(blooms: list, sprays: list, mouth: tuple[float, float], n: int) -> tuple[slice, slice]:
    """Rows and columns of the grid that hold the flowers, stems and leaves, with a margin of 0.03."""
    reach = max(length for _, length in sprays)  # leaves point sideways or up from the mouth
    left = min([b[0] - 1.1 * b[2] for b in blooms] + [mouth[0] - reach])
    right = max([b[0] + 1.1 * b[2] for b in blooms] + [mouth[0] + reach])
    top = min([b[1] - 1.1 * b[2] for b in blooms] + [mouth[1] - reach])
    bottom = mouth[1] + 0.3 * reach

    def cells(lo: float, hi: float) -> slice:
        return slice(max(0, int((lo - 0.03) * n)), min(n, int(np.ceil((hi + 0.03) * n))))

    return cells(top, bottom), cells(left, right)


def _paste(crop: np.ndarray, rows: slice, cols: slice, n: int, fill: float) -> np.ndarray:
    """(n, n) array of ``crop``'s dtype: ``crop`` at (rows, cols), ``fill`` elsewhere."""
    out = np.full((n, n), fill, crop.dtype)
    out[rows, cols] = crop
    return out


def build(a: dict, n: int, rng: np.random.Generator) -> Layout:
    """Lay out the still life of record ``a`` at ``n`` x ``n``; ``rng`` only roughens the edges."""
    x, y = grid(n)
    v, t, d = a["vase"], a["table"], a["drapery"]
    edge = wobble(rng, n, 10, 0.004)
    table = (t["y"] - y) * n + 0.5 * edge
    side = 1 if d["side"] == "left" else -1
    bunch = 0.03 * np.exp(-(((x - d["edge"] + side * 0.12) / 0.1) ** 2))  # the cloth heaps up a little
    hem = d["edge"] + 0.035 * np.sin(y * d["folds"] * 0.7 + 1.3) + 0.02 * np.sin(y * 41)
    drape = np.full((n, n), 1e3, np.float32)
    if d["present"]:
        drape = np.maximum(side * (x - hem), t["y"] - bunch - y) * n + edge
    vase, radius = _vase(x, y, v)
    mouth = (v["x"], v["base_y"] - v["height"] + 0.01)
    f, lv = a["flowers"], a["leaves"]
    # The bouquet is drawn on the crop that holds it (with a margin wider than any soft edge): outside it every
    # distance stays "far", so the result is the same as on the whole grid, at a fraction of the cost.
    rows, cols = _bouquet_box(f["blooms"], lv["sprays"], mouth, n)
    xs, ys = x[:, cols], y[rows, :]
    stems = [shapes.segment(xs, ys, mouth, (bx, by)) - 0.0045 for bx, by, _ in f["blooms"]]
    leaves = []
    for ang, length in lv["sprays"]:
        c, s = np.cos(ang - np.pi / 2), np.sin(ang - np.pi / 2)
        lx, ly = xs - mouth[0] - c * length * 0.5, ys - mouth[1] - s * length * 0.5
        leaves.append(shapes.ellipse(lx * c + ly * s, -lx * s + ly * c, 0.5 * length, 0.2 * length))
    foliage = _paste(shapes.union(*stems, *leaves) * n, rows, cols, n, 1e3) + 0.3 * edge
    # Blooms overlap in order, each over the ones before: the owner of a pixel is the front one, and the
    # sketch draws each bloom's edge where it lies over another (edges it hides are not drawn).
    turns = rng.uniform(0, 6.3, len(f["blooms"]))
    petals = np.full((ys.shape[0], xs.shape[1]), 1e3, np.float32)
    owner = np.zeros(petals.shape, np.int16)
    overlaps = np.full(petals.shape, 1e3, np.float32)
    for i, (bx, by, r) in enumerate(f["blooms"]):
        di = _bloom(xs - bx, ys - by, r, f["kind"], turns[i]) * n
        overlaps = np.where(di < -0.5, 1e3, overlaps)
        overlaps = np.minimum(overlaps, np.where(petals < 0, np.abs(di), 1e3))
        owner[di < 0] = i
        petals = np.minimum(petals, di)
    flowers, overlaps = _paste(petals, rows, cols, n, 1e3), _paste(overlaps, rows, cols, n, 1e3)
    owner = _paste(owner, rows, cols, n, 0)
    alpha, labels = stack({"table": table, "drapery": drape, "vase": vase * n + 0.3 * edge, "foliage": foliage,
                           "flowers": flowers + 0.5 * edge}, PARTS, n)
    on_table = labels == PARTS.index("table")
    lines = np.where(on_table, np.abs(y - t["front_y"]) * n, 1e3)  # the table's front edge
    folds = (x - d["edge"]) * d["folds"] + 2.0 * smooth_noise(rng, n, 4)  # phase across the cloth's folds
    if d["present"]:  # creases down the cloth where it hangs over the edge
        crease = np.abs(np.sin(folds)) / d["folds"] * n
        lines = np.minimum(lines, np.where((labels == PARTS.index("drapery")) & (y > t["front_y"]), crease, 1e3))
    lines = np.minimum(lines, overlaps)
    bloom = np.asarray(f["blooms"], np.float32)[owner]  # (n, n, 3): centre and radius of the front bloom
    if f["kind"] == "daisy":  # the yellow hearts
        heart = (np.hypot(x - bloom[..., 0], y - bloom[..., 1]) - 0.3 * bloom[..., 2]) * n
        lines = np.minimum(lines, np.where(labels == PARTS.index("flowers"), np.abs(heart), 1e3))
    return Layout(n=n, alpha=alpha, labels=labels, lines=lines,
                  geo={"x": x, "y": y, "radius": radius, "bloom": bloom, "folds": folds})


def paint(lay: Layout, a: dict, rng: np.random.Generator) -> np.ndarray:
    """(n, n, 3) float image in [0, 1] of the still life, before the canvas."""
    n, x, y, g = lay.n, lay.geo["x"], lay.geo["y"], lay.geo
    L = np.asarray(a["light"]["direction"], np.float32)
    v, t, f = a["vase"], a["table"], a["flowers"]
    c0, c1 = (rgb(c) for c in a["wall"]["colors"])
    lit_side = np.clip(0.5 - 0.5 * L[0] * (x - 0.5) * 2, 0, 1)  # the wall is brighter towards the light
    glow = np.exp(-((x - v["x"]) ** 2 + (y - v["base_y"] + v["height"]) ** 2) / 0.2)
    lit = np.clip(0.6 * glow + 0.4 * lit_side, 0, 1)
    img = mix(np.broadcast_to(c0 * 0.65, (n, n, 3)), np.minimum(c0 * 1.3, 1.0), lit)
    img = mix(img, c1 * 0.8, 0.25 * np.clip(smooth_noise(rng, n, 3) + 0.3, 0, 1))
    # The table top recedes (darker at the back), its front face is in shadow, the vase casts a shadow.
    wood = rgb(t["rgb"])
    top_light = np.clip(0.45 + 0.45 * L[2] + 0.25 * (y - t["y"]) / (t["front_y"] - t["y"]), 0, 1)
    top_light = np.where(y > t["front_y"], 0.28, top_light) + 0.08 * strokes(rng, n, 0.0, 0.5, 0.02)
    sx, sy = v["x"] - L[0] * 0.12, v["base_y"] - 0.01
    shadow = 0.35 * np.exp(-(((x - sx) / (v["width"] * 1.6)) ** 2 + ((y - sy) / 0.025) ** 2))
    img = paint_over(img, tone(wood, np.clip(top_light - shadow, 0, 1)), lay.alpha["table"])
    d = a["drapery"]
    if d["present"]:
        phase = g["folds"]
        light = 0.2 + 0.55 * lambert(np.clip(0.7 * np.sin(phase), -1, 1), np.float32(-0.2), L) + 0.15 * np.cos(phase)
        light = np.where(y > t["front_y"], light * 0.7, light) - shadow
        img = paint_over(img, tone(rgb(d["rgb"]), np.clip(light, 0, 1)), lay.alpha["drapery"])
    # The vase: a cylinder of the profile's radius, with a glaze highlight towards the light.
    nx = np.clip((x - v["x"]) / np.maximum(g["radius"], 1e-3), -1, 1)
    light = 0.12 + 0.88 * lambert(nx * 0.95, np.float32(-0.1), L)
    vase = tone(rgb(v["rgb"]), light)
    if v["color"] in _GLAZED:
        vase = vase + (0.45 * np.clip(1 - ((nx + 0.45 * L[0]) / 0.14) ** 2, 0, 1) ** 2)[..., None]
    img = paint_over(img, vase, lay.alpha["vase"])
    leaf = rgb(a["leaves"]["rgb"])
    foliage = tone(leaf, np.clip(0.3 + 0.5 * L[2] + 0.3 * smooth_noise(rng, n, 14), 0, 1))
    img = paint_over(img, foliage, lay.alpha["foliage"])
    # Blooms: small spheres lit from the light, with the kind's petal pattern.
    bx, by, br = g["bloom"][..., 0], g["bloom"][..., 1], g["bloom"][..., 2]
    nx, ny = np.clip((x - bx) / br, -1, 1), np.clip((y - by) / br, -1, 1)
    rho, theta = np.hypot(x - bx, y - by) / br, np.arctan2(ny, nx)
    pattern = {"rose": 0.18 * np.sin(theta * 2 + rho * 9), "daisy": 0.12 * np.cos(theta * 11),
               "tulip": 0.12 * np.sin(nx * 6)}[f["kind"]]
    light = 0.25 + 0.75 * lambert(nx * 0.8, ny * 0.8, L) + pattern
    img = paint_over(img, tone(rgb(f["rgb"]), np.clip(light, 0, 1)), lay.alpha["flowers"])
    img = brushwork(img + 0.02 * color_noise(rng, n, 10), lay.labels, STROKES, rng)
    if f["kind"] == "daisy":  # hearts on top of the strokes, as a painter dots them last
        heart = shapes.coverage((rho - 0.3) * br * n, max(1.0, n / 160)) * lay.alpha["flowers"]
        img = paint_over(img, tone(np.array([0.85, 0.62, 0.12], np.float32), np.clip(light, 0, 1)), heart)
    return grade(img, a["palette"]["mood"])
