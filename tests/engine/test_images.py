"""Image I/O: odd-but-valid files load right, bad files give one clear ImageError naming the file."""

from __future__ import annotations

import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from studio.engine.images import (
    ImageError,
    fit_image,
    image_to_tensor,
    load_fitted,
    load_image,
    read_png_text,
    save_png,
    tensor_to_images,
)


@pytest.fixture(autouse=True)
def no_warnings():
    """Any warning (Pillow's included) escaping the code under test fails it."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _png16_rgb(path: Path, rgb16: np.ndarray) -> None:
    """Write a 16-bit RGB PNG by hand: Pillow cannot write one, but painters' tools do."""
    h, w, _ = rgb16.shape
    raw = b"".join(b"\x00" + rgb16[y].astype(">u2").tobytes() for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    chunks = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunks)


def test_rgb_png_round_trip(tmp_path):
    img = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    save_png(tmp_path / "a.png", img)
    out = load_image(tmp_path / "a.png")
    assert out.dtype == np.uint8 and np.array_equal(out, img)
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]  # no temp file left behind


def test_greyscale_becomes_three_channels(tmp_path):
    Image.fromarray(np.array([[0, 100], [200, 255]], np.uint8)).save(tmp_path / "g.png")
    out = load_image(tmp_path / "g.png")
    assert out.shape == (2, 2, 3)
    assert np.array_equal(out[..., 0], [[0, 100], [200, 255]]) and np.all(out[..., 0:1] == out)


def test_cmyk_jpeg(tmp_path):
    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(tmp_path / "c.jpg", quality=95)
    out = load_image(tmp_path / "c.jpg")
    assert out.shape == (16, 16, 3)
    assert np.allclose(out.reshape(-1, 3).mean(0), [255, 0, 0], atol=8)


def test_16bit_greyscale_png_is_scaled_not_clipped(tmp_path):
    a = np.array([[0, 257 * 100], [32768, 65535]], np.uint16)
    Image.fromarray(a).save(tmp_path / "g16.png")  # Pillow writes mode I;16 as a 16-bit PNG
    out = load_image(tmp_path / "g16.png")
    assert np.array_equal(out[..., 0], [[0, 100], [128, 255]])


def test_16bit_big_endian_tiff(tmp_path):
    im = Image.new("I;16B", (2, 1))
    im.putdata([257 * 10, 65535])
    im.save(tmp_path / "g16.tif")
    assert np.array_equal(load_image(tmp_path / "g16.tif")[0, :, 1], [10, 255])


def test_16bit_rgb_png(tmp_path):
    rgb16 = np.array([[[65535, 0, 257 * 50], [257 * 200, 32768, 0]]], np.uint16)
    _png16_rgb(tmp_path / "rgb16.png", rgb16)
    out = load_image(tmp_path / "rgb16.png").astype(int)
    assert np.abs(out - np.array([[[255, 0, 50], [200, 128, 0]]])).max() <= 1


def test_float_and_32bit_int_tiffs(tmp_path):
    Image.fromarray(np.array([[0.0, 0.5, 1.0]], np.float32)).save(tmp_path / "f.tif")
    assert np.array_equal(load_image(tmp_path / "f.tif")[0, :, 0], [0, 128, 255])
    Image.fromarray(np.array([[-1000, 0, 1000]], np.int32)).save(tmp_path / "i.tif")
    assert np.array_equal(load_image(tmp_path / "i.tif")[0, :, 0], [0, 128, 255])


def test_rgba_over_white_or_kept(tmp_path):
    rgba = np.array([[[255, 0, 0, 0], [255, 0, 0, 255], [0, 0, 0, 128]]], np.uint8)
    Image.fromarray(rgba).save(tmp_path / "t.png")
    assert np.array_equal(load_image(tmp_path / "t.png"), [[[255, 255, 255], [255, 0, 0], [127, 127, 127]]])
    assert np.array_equal(load_image(tmp_path / "t.png", mode="RGBA"), rgba)


def test_la_and_palette_with_transparency(tmp_path):
    Image.fromarray(np.array([[[0, 0], [0, 255]]], np.uint8), "LA").save(tmp_path / "la.png")
    assert np.array_equal(load_image(tmp_path / "la.png")[0], [[255, 255, 255], [0, 0, 0]])

    pal = Image.new("P", (2, 1))
    pal.putpalette([0, 0, 255, 0, 255, 0] + [0] * 762)
    pal.putdata([0, 1])
    pal.save(tmp_path / "p.png", transparency=0)
    assert np.array_equal(load_image(tmp_path / "p.png")[0], [[255, 255, 255], [0, 255, 0]])
    assert load_image(tmp_path / "p.png", mode="RGBA")[0, 0, 3] == 0


def test_exif_orientation_is_applied(tmp_path):
    im = Image.new("RGB", (4, 2), (10, 20, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    im.save(tmp_path / "o.jpg", exif=exif)
    assert load_image(tmp_path / "o.jpg").shape == (4, 2, 3)


def _bad(tmp_path: Path, kind: str) -> Path:
    p = tmp_path / f"bad-{kind}.png"
    if kind == "truncated":
        save_png(p, np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8))
        p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    elif kind == "empty":
        p.write_bytes(b"")
    elif kind == "text":
        p.write_text("this is not a picture\n")
    elif kind == "folder":
        p.mkdir()
    return p


@pytest.mark.parametrize(
    "kind, words",
    [
        ("truncated", "damaged"),
        ("empty", "empty"),
        ("text", "not an image"),
        ("missing", "does not exist"),
        ("folder", "folder"),
    ],
)
def test_bad_files_name_the_file(tmp_path, kind, words):
    p = _bad(tmp_path, kind)
    with pytest.raises(ImageError, match=words) as info:
        load_image(p)
    assert p.name in str(info.value)


def test_huge_image_is_refused_against_the_limit(tmp_path):
    save_png(tmp_path / "big.png", np.zeros((20, 30, 3), np.uint8))
    with pytest.raises(ImageError, match=r"big\.png is too large \(30x20 pixels"):
        load_image(tmp_path / "big.png", max_pixels=500)
    assert load_image(tmp_path / "big.png", max_pixels=600).shape == (20, 30, 3)


def test_pillow_bomb_check_never_escapes(tmp_path, monkeypatch):
    save_png(tmp_path / "big.png", np.zeros((20, 30, 3), np.uint8))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 400)  # 600 px: Pillow would warn, not raise
    assert load_image(tmp_path / "big.png").shape == (20, 30, 3)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 200)  # over twice the limit: Pillow raises
    with pytest.raises(ImageError, match="big.png is too large"):
        load_image(tmp_path / "big.png")


def test_fit_image_centre_crops_to_square():
    img = np.zeros((50, 100, 3), np.uint8)
    img[:, 25:75] = 255  # the centre square is white, the sides black
    out = fit_image(img, 32)
    assert out.shape == (32, 32, 3) and out.min() >= 250
    assert fit_image(np.zeros((10, 10, 4), np.uint8), 4).shape == (4, 4, 4)


def test_tensor_round_trip_is_exact():
    img = np.arange(256, dtype=np.uint8).reshape(16, 16, 1).repeat(3, axis=2)
    t = image_to_tensor(img)
    assert t.shape == (1, 3, 16, 16) and t.dtype == torch.float32
    assert t.min() == -1.0 and t.max() == 1.0
    assert np.array_equal(tensor_to_images(t)[0], img)


def test_tensor_to_images_clamps_and_rounds_like_stylegan():
    t = torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0]).view(1, 1, 1, 5)
    assert tensor_to_images(t).tolist() == [[[[0] * 3, [0] * 3, [128] * 3, [255] * 3, [255] * 3]]]
    assert tensor_to_images(torch.zeros(2, 3, 4, 5)).shape == (2, 4, 5, 3)


def test_png_text_round_trip_unicode_and_large(tmp_path):
    text = {"title": "Nuit étoilée — 星空 🎨", "big": "x" * 100_000}
    save_png(tmp_path / "t.png", np.zeros((4, 4, 3), np.uint8), text)
    assert read_png_text(tmp_path / "t.png") == {**text, "Software": "GAN Studio"}
    assert read_png_text(tmp_path / "t.png", header_only=True) == {**text, "Software": "GAN Studio"}
    assert (tmp_path / "t.png").stat().st_size < 10_000  # the long value was compressed


def test_read_png_text_refuses_other_formats(tmp_path):
    Image.new("RGB", (2, 2)).save(tmp_path / "x.jpg")
    with pytest.raises(ImageError, match="x.jpg is a JPEG file, not a PNG"):
        read_png_text(tmp_path / "x.jpg")


def test_large_images_are_decoded_reduced_with_bounded_memory(tmp_path):
    """A 4000 x 4000 PNG (small on disk) fitted to 64 px: decoded once and reduced at once, rather than converted
    at full size several times over (a 9990 x 9990 PNG took 5 GB that way). Measured in a fresh process, whose
    peak memory is this load's alone."""
    import subprocess
    import sys

    from PIL import ImageDraw

    big = Image.new("RGB", (4000, 4000), (200, 180, 150))
    ImageDraw.Draw(big).ellipse((800, 800, 3200, 3200), fill=(90, 60, 40))
    big.save(tmp_path / "big.png")
    code = (
        "import resource, sys; from studio.engine.images import load_fitted; "
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; "
        "img = load_fitted(sys.argv[1], 64); "
        "print(img.shape, img[32, 32].tolist(), (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "big.png")], capture_output=True, text=True,
                            cwd=root, check=True, timeout=300)
    assert result.stdout.startswith("(64, 64, 3) [90, 60, 40] ")
    # the decoded file is 64 MB; full-size conversions took about 13 times that
    assert int(result.stdout.split()[-1]) < 200


def test_reduced_decoding_looks_like_full_decoding(tmp_path):
    rng = np.random.default_rng(3)
    small = Image.fromarray(rng.integers(0, 256, (90, 60, 3), np.uint8)).resize((1800, 1200), Image.Resampling.BICUBIC)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: the orientation must survive the reduced decode
    for name in ("p.png", "p.jpg"):
        small.save(tmp_path / name, exif=exif.tobytes())
        full = fit_image(load_image(tmp_path / name), 64).astype(np.float64)
        reduced = load_fitted(tmp_path / name, 64).astype(np.float64)
        assert np.abs(full - reduced).mean() < 3.0, name
        h, w = load_image(tmp_path / name, reduce_to=64).shape[:2]
        assert h > w and min(h, w) >= 3 * 64  # portrait after the EXIF turn, reduced only down to 3x the size
