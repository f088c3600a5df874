"""Cityscapes: a street in front of a row of buildings, a hazy skyline behind, at some time of day.

The record names the time of day (day, dusk, night: the sky, the light and how many windows glow), the
street (its level and vanishing point), the far skyline and every near building (extent, roof, facade
colour, window grid). Facades are lit as flat walls with a side in shadow; at night they sink into the
dark and the lit windows carry the picture, mirrored in the street.
"""

from __future__ import annotations

import numpy as np

from . import shapes
from .attributes import PALETTE_MOODS, RGB, jitter, light_record, pick, rounded
from .brush import brushwork
from .layout import Layout, grid, stack, wobble
from .light import grade, lambert, mix, paint_over, rgb, tone
from .textures import color_noise, smooth_noise, strokes

PARTS = ("sky", "far_buildings", "buildings", "windows", "street")  # back to front
MASKS = ("sky", "buildings", "windows", "street")
REGION_OF_PART = {"sky": "sky", "far_buildings": "buildings", "buildings": "buildings", "windows": "windows",
                  "street": "street"}
_STROKES = {"sky": (0.09, 0.022), "far_buildings": (0.04, 0.012), "buildings": (0.035, 0.01),
            "windows": (0.012, 0.006), "street": (0.06, 0.014)}
STROKES = tuple(_STROKES[p] for p in PARTS)

TIMES = ("day", "dusk", "night")
ROOFS = ("flat", "pitched", "dome", "spire")
FACADES: dict[str, RGB] = {
    "brick": (150, 74, 52), "stone": (176, 166, 146), "cream": (222, 206, 170), "grey": (128, 128, 132),
    "ochre": (196, 148, 72), "slate": (88, 100, 118), "rose": (196, 130, 120), "white": (226, 224, 216),
}
# time -> (zenith, horizon) sky colours
_SKIES: dict[str, tuple[RGB, RGB]] = {"day": ((84, 132, 196), (190, 210, 226)), "dusk": ((62, 58, 120), (236, 140, 92)),
                                      "night": ((14, 20, 44), (40, 48, 84))}
_LIT: dict[str, tuple[float, float]] = {"day": (0.0, 0.0), "dusk": (0.2, 0.45), "night": (0.45, 0.8)}  # windows lit
_ROAD: RGB = (92, 88, 84)
_LAMPLIGHT = np.array([1.0, 0.82, 0.48], np.float32)
ATTRIBUTE_KEYS = ("genre", "time", "sky", "street", "skyline", "buildings", "windows_lit", "light", "palette")


def attributes(rng: np.random.Generator) -> dict:
    """The record of one cityscape, without its genre."""
    time = pick(rng, TIMES)
    street_y = rng.uniform(0.74, 0.86)
    skyline, x = [], -rng.uniform(0, 0.05)
    while x < 1:  # the far row: a continuous hazy silhouette
        w = rng.uniform(0.05, 0.13)
        skyline.append([rounded(x), rounded(x + w), rounded(street_y - rng.uniform(0.25, 0.55))])
        x += w
    buildings, x = [], -rng.uniform(0, 0.1)
    while x < 1:
        w = rng.uniform(0.12, 0.26)
        facade = pick(rng, tuple(FACADES))
        top = rng.uniform(0.2, street_y - 0.16)
        buildings.append({"x0": rounded(x), "x1": rounded(x + w), "top": rounded(top), "roof": pick(rng, ROOFS),
                          "color": facade, "rgb": jitter(rng, FACADES[facade], 12),
                          "cols": max(1, int(w / rng.uniform(0.05, 0.075))),
                          "rows": max(1, int((street_y - top - 0.05) / rng.uniform(0.065, 0.095))),
                          "window": [rounded(rng.uniform(0.35, 0.6)), rounded(rng.uniform(0.4, 0.65))]})
        x += w + (rng.uniform(0.02, 0.08) if rng.random() < 0.3 else 0.0)
    zenith, low = _SKIES[time]
    lo, hi = _LIT[time]
    elevation = {"day": rng.uniform(30, 60), "dusk": rng.uniform(3, 12), "night": rng.uniform(20, 50)}[time]
    return {
        "time": time,
        "sky": {"zenith_rgb": jitter(rng, zenith, 8), "horizon_rgb": jitter(rng, low, 10),
                "cover": rounded(rng.uniform(0.0, 0.5))},
        "street": {"y": rounded(street_y), "vanish_x": rounded(rng.uniform(0.3, 0.7)),
                   "curb": rounded(rng.uniform(0.025, 0.045)), "rgb": jitter(rng, _ROAD, 10)},
        "skyline": skyline,
        "buildings": buildings,
        "windows_lit": rounded(rng.uniform(lo, hi)),
        "light": light_record(rng.uniform(-165, -15), elevation),
        "palette": {"mood": pick(rng, PALETTE_MOODS)},
    }


def _roof(x, y, b: dict) -> np.ndarray:
    """Distance to what stands on a building's top: a gable, a dome, a spire, or a cornice."""
    cx, w, top = 0.5 * (b["x0"] + b["x1"]), b["x1"] - b["x0"], b["top"]
    if b["roof"] == "pitched":
        return shapes.polygon(x, y, [(b["x0"], top + 0.002), (cx, top - 0.35 * w), (b["x1"], top + 0.002)])
    if b["roof"] == "dome":
        return np.maximum(shapes.circle(x - cx, y - top, 0.3 * w), y - top - 0.002)
    if b["roof"] == "spire":
        tower = shapes.box(x, y, cx - 0.12 * w, cx + 0.12 * w, top - 0.06, top + 0.002)
        return shapes.union(tower, shapes.polygon(x, y, [(cx - 0.12 * w, top - 0.06), (cx, top - 0.06 - 0.7 * w),
                                                         (cx + 0.12 * w, top - 0.06)]))
    return shapes.box(x, y, b["x0"] - 0.006, b["x1"] + 0.006, top - 0.012, top + 0.002)  # a cornice


def _windows(x, y, b: dict, street_y: float) -> np.ndarray:
    """Distance to a building's window grid (rows from under the roof down to above the door level)."""
    x0, x1, top = b["x0"], b["x1"], b["top"] + 0.02
    bottom = street_y - 0.04
    cw, ch = (x1 - x0) / b["cols"], (bottom - top) / b["rows"]
    fx = np.clip(((x - x0) / cw) % 1.0, 0, 1) - 0.5
    fy = np.clip(((y - top) / ch) % 1.0, 0, 1) - 0.5
    ww, wh = b["window"]
    cell = np.maximum((np.abs(fx) - 0.5 * ww) * cw, (np.abs(fy) - 0.5 * wh) * ch)
    return np.maximum(cell, shapes.box(x, y, x0, x1, top, bottom))


def build(a: dict, n: int, rng: np.random.Generator) -> Layout:
    """Lay out the cityscape of record ``a`` at ``n`` x ``n``; ``rng`` only roughens the edges."""
    x, y = grid(n)
    st = a["street"]
    sy = st["y"]
    edge = wobble(rng, n, 10, 0.003)
    far = shapes.union(*(shapes.box(x, y, x0, x1, top, sy + 0.01) for x0, x1, top in a["skyline"]))
    near = [shapes.union(shapes.box(x, y, b["x0"], b["x1"], b["top"], sy + 0.01), _roof(x, y, b))
            for b in a["buildings"]]
    windows = shapes.union(*(_windows(x, y, b, sy) for b in a["buildings"]))
    street = (sy - y) * n + 0.3 * edge
    alpha, labels = stack({"far_buildings": far * n + edge, "buildings": shapes.union(*near) * n + 0.5 * edge,
                           "windows": windows * n, "street": street}, PARTS, n)
    # Inner lines: the edges between neighbouring buildings, the curb, and the street running to its
    # vanishing point (two road edges and a centre line).
    lines = np.full((n, n), 1e3, np.float32)
    on_front = labels == PARTS.index("buildings")
    for b in a["buildings"]:
        side = np.maximum(np.minimum(np.abs(x - b["x0"]), np.abs(x - b["x1"])), np.maximum(b["top"] - y, y - sy)) * n
        lines = np.minimum(lines, np.where(on_front, side, 1e3))
    on_street = labels == PARTS.index("street")
    curb = sy + st["curb"]
    lines = np.minimum(lines, np.where(on_street, np.abs(y - curb) * n, 1e3))
    vx, vy = st["vanish_x"], sy - 0.02
    for end in (vx - 0.9, vx + 0.9, vx):
        road = shapes.segment(x, y, (vx + (end - vx) * (curb - vy) / (1.05 - vy), curb), (end, 1.05)) * n
        lines = np.minimum(lines, np.where(on_street & (y > curb), road, 1e3))
    lit = rng.random(sum(b["cols"] * b["rows"] for b in a["buildings"])) < a["windows_lit"]
    return Layout(n=n, alpha=alpha, labels=labels, lines=lines,
                  geo={"x": x, "y": y, "near": near, "lit": lit, "edge": edge})


def _lit_windows(x, y, a: dict, lit: np.ndarray) -> np.ndarray:
    """(n, n) 1 where the window grid cell under a pixel is lit (per building, row by row)."""
    sy = a["street"]["y"]
    out = np.zeros(np.broadcast_shapes(x.shape, y.shape), np.float32)
    first = 0
    for b in a["buildings"]:
        top, bottom = b["top"] + 0.02, sy - 0.04
        cols, rows = b["cols"], b["rows"]
        col = np.clip(((x - b["x0"]) / (b["x1"] - b["x0"]) * cols).astype(np.int32), 0, cols - 1)
        row = np.clip(((y - top) / (bottom - top) * rows).astype(np.int32), 0, rows - 1)
        inside = (x >= b["x0"]) & (x < b["x1"]) & (y >= top) & (y < bottom)
        out = np.where(inside, lit[first + row * cols + col], out)
        first += cols * rows
    return out


def paint(lay: Layout, a: dict, rng: np.random.Generator) -> np.ndarray:
    """(n, n, 3) float image in [0, 1] of the cityscape, before the canvas."""
    n, x, y, g = lay.n, lay.geo["x"], lay.geo["y"], lay.geo
    L = np.asarray(a["light"]["direction"], np.float32)
    time, st, sky = a["time"], a["street"], a["sky"]
    night, dusk = time == "night", time == "dusk"
    sy = st["y"]
    z, low = rgb(sky["zenith_rgb"]), rgb(sky["horizon_rgb"])
    img = mix(np.broadcast_to(z, (n, n, 3)), low, np.broadcast_to(np.clip(y / sy, 0, 1) ** 1.3, (n, n)))
    clouds = np.clip((smooth_noise(rng, n, 5) + 0.4 * smooth_noise(rng, n, 11) - 1.2 + 2 * sky["cover"]) * 1.5, 0, 1)
    cloud = low * 0.5 + 0.5 if time == "day" else low * 0.8 + z * 0.3
    img = mix(img, cloud, 0.7 * clouds * (y < sy))
    if night:  # the moon, where the light comes from
        mx, my = 0.5 + 0.4 * L[0], 0.1 + 0.4 * (1 - L[2])
        moon = shapes.coverage((np.hypot(x - mx, y - my) - 0.04) * n)
        img = paint_over(img, np.array([0.93, 0.92, 0.84], np.float32), moon)
    daylight = {"day": 1.0, "dusk": 0.6, "night": 0.22}[time]
    tint = {"day": np.ones(3, np.float32), "dusk": np.array([1.08, 0.9, 0.85], np.float32),
            "night": np.array([0.7, 0.8, 1.15], np.float32)}[time]
    # The far skyline: one hazy, evenly lit silhouette in the horizon's colour.
    far = mix(np.broadcast_to(low * 0.75, (n, n, 3)), z, np.broadcast_to(np.float32(0.3), (n, n)))
    img = paint_over(img, far * (0.9 + 0.1 * smooth_noise(rng, n, 8))[..., None], lay.alpha["far_buildings"])
    # Near buildings: a lit front and, on the side away from the light, a strip of wall in shadow.
    texture = 0.08 * strokes(rng, n, 90.0, 0.05, 0.02) + 0.06 * smooth_noise(rng, n, 12)
    shadow_side = -np.sign(L[0]) or 1.0
    soft = max(1.0, n / 160)
    for b, dist in zip(a["buildings"], g["near"]):
        w = b["x1"] - b["x0"]
        side = shadow_side * (x - 0.5 * (b["x0"] + b["x1"])) / w > 0.36  # the strip in shadow
        nx = np.where(side, 0.8 * shadow_side, 0.0).astype(np.float32)
        light = (0.25 + 0.75 * lambert(nx, np.float32(0.0), L)) * daylight - 0.2 * np.clip((y - sy + 0.15) / 0.15, 0, 1)
        col = tone(rgb(b["rgb"]) * tint, np.clip(light + texture, 0, 1))
        img = paint_over(img, col, shapes.coverage(dist * n + 0.5 * g["edge"], soft))
    # The street: darker towards the viewer, a lighter curb.
    road = rgb(st["rgb"])
    near = np.clip((y - sy) / (1 - sy), 0, 1)
    light = np.clip((0.55 - 0.25 * near) * (0.4 + 0.6 * daylight) + 0.1 * strokes(rng, n, 0.0, 0.4, 0.03), 0, 1)
    light = np.where(y < sy + st["curb"], light + 0.12, light)
    img = paint_over(img, tone(road * tint, light), lay.alpha["street"])
    seams = shapes.stroke(lay.lines, max(1.0, n / 100)) * lay.alpha["street"]  # the curb and road edges
    img = paint_over(img, img * 0.55 + 0.25 * daylight, 0.6 * seams)
    # Windows: glass reflecting the sky by day, dark or glowing warm when lit; glow spills on the street.
    lit = _lit_windows(x, y, a, g["lit"])
    glass = mix(np.broadcast_to(z * 0.45, (n, n, 3)), low * 0.6, np.broadcast_to(np.float32(0.4), (n, n)))
    glow = _LAMPLIGHT * (0.85 + 0.15 * smooth_noise(rng, n, 20))[..., None]
    windows = mix(glass * (0.55 if night else 1.0), glow, lit)
    img = paint_over(img, windows, lay.alpha["windows"])
    if night or dusk:
        spill = np.clip(a["windows_lit"] * (1 - near) * (0.6 + 0.4 * strokes(rng, n, 90.0, 0.3, 0.04)), 0, 1)
        img = paint_over(img, img * 0.6 + 0.4 * _LAMPLIGHT * 0.5, 0.5 * spill * lay.alpha["street"])
    img = brushwork(img + 0.02 * color_noise(rng, n, 10), lay.labels, STROKES, rng)
    img = paint_over(img, windows, 0.6 * lay.alpha["windows"])  # window panes picked out last, as a painter does
    return grade(img, a["palette"]["mood"])
