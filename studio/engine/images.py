"""Image input/output: read whatever a painter drops in, hand the engine clean uint8 RGB(A) arrays.

Every file problem (missing, empty, damaged, not an image, too large) surfaces as one ``ImageError``
sentence naming the file, and no Pillow warning escapes, so the UI and CLI only catch one thing.
"""

from __future__ import annotations

import contextlib
import math
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, PngImagePlugin
from PIL.PngImagePlugin import PngInfo

from studio.engine.atomic import atomic_save, describe_os_error
from studio.engine.paths import PathLike

# 100 megapixels: far beyond any StyleGAN resolution, yet small enough to decode without exhausting RAM.
# Pillow's own bomb check (about 179 MP) still applies above this.
DEFAULT_MAX_PIXELS = 100_000_000

# A reduced decode keeps at least this many times the size asked for, so the final Lanczos resize looks the same
# as one from the full image (Pillow's own "reducing_gap" reasoning).
REDUCING_GAP = 3

# The PNG "Software" text every picture we write carries: how the output policy knows a file is ours.
SOFTWARE = "GAN Studio"

# iTXt values longer than this are zlib-compressed; short ones stay readable in any PNG inspector.
_ZIP_TEXT_OVER = 1024
# Pillow refuses a compressed text chunk that unpacks past PngImagePlugin.MAX_TEXT_CHUNK (1 MB), but reads plain
# ones up to MAX_TEXT_MEMORY (64 MB): a recipe over 1 MB (a projection's noise maps) is written plain, and one
# written compressed by an earlier version is read with this limit instead.
TEXT_CHUNK_LIMIT = 64 << 20
_TEXT_LIMIT_LOCK = threading.Lock()


class ImageError(ValueError):
    """A file could not be read or written as an image; the message is one sentence naming the file."""


@contextlib.contextmanager
def _opened(path: PathLike) -> Iterator[Image.Image]:
    """Open ``path`` with Pillow, turning every failure inside the block into an ``ImageError``."""
    path = Path(path)
    if path.is_dir():
        raise ImageError(f"{path} is a folder, not an image file.")
    if not path.exists():
        raise ImageError(f"{path} does not exist.")
    if path.stat().st_size == 0:
        raise ImageError(f"{path} is empty (0 bytes).")
    with warnings.catch_warnings():
        # Pillow warns about odd-but-readable files (bomb-sized, palette transparency, bad EXIF);
        # real problems raise, and the size limit is enforced by the caller.
        warnings.simplefilter("ignore")
        try:
            with _open_with_big_text(path) as im:
                yield im
        except ImageError:  # raised by the caller's block: already says the right thing
            raise
        except PermissionError as exc:
            raise ImageError(f"{path} cannot be read (permission denied).") from exc
        except Image.DecompressionBombError as exc:
            raise ImageError(f"{path} is too large to open safely ({exc}).") from exc
        except Image.UnidentifiedImageError as exc:
            raise ImageError(f"{path} is not an image file Pillow can read.") from exc
        except MemoryError as exc:
            raise ImageError(f"{path} is too large to fit in memory.") from exc
        except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, zlib.error... on bad data
            raise ImageError(f"{path} is damaged or in an unsupported format ({exc}).") from exc


def _open_with_big_text(path: Path) -> Image.Image:
    """``Image.open(path)``; a PNG whose compressed text unpacks past Pillow's 1 MB is opened again with
    ``TEXT_CHUNK_LIMIT``, set for that open alone (under a lock: other reads meanwhile see a larger limit at most)."""
    try:
        return Image.open(path)
    except ValueError as exc:
        if "MAX_TEXT_CHUNK" not in str(exc):
            raise
    with _TEXT_LIMIT_LOCK:
        before, PngImagePlugin.MAX_TEXT_CHUNK = PngImagePlugin.MAX_TEXT_CHUNK, TEXT_CHUNK_LIMIT
        try:
            return Image.open(path)
        finally:
            PngImagePlugin.MAX_TEXT_CHUNK = before


def load_image(
    path: PathLike, mode: str = "RGB", max_pixels: int = DEFAULT_MAX_PIXELS, reduce_to: int | None = None
) -> np.ndarray:
    """Read an image file as uint8 HxWx3 ("RGB", alpha composited over white) or HxWx4 ("RGBA").

    Applies EXIF orientation and converts CMYK, palette, greyscale, 16-bit and float images, so callers
    never see Pillow's many modes. Images over ``max_pixels`` are refused before decoding.

    ``reduce_to``: the caller needs only a square of this many px (``fit_image``), so a much larger image is
    decoded reduced: JPEG in the decoder at 1/2 to 1/8 scale (``draft``), other formats box-reduced right after
    decoding (``reduce``), to no less than ``REDUCING_GAP`` times that size. Memory then stays near the decoded
    file's, not the several full-size copies the conversions would make.
    """
    if mode not in ("RGB", "RGBA"):
        raise ValueError(f"mode must be 'RGB' or 'RGBA', not {mode!r}")
    with _opened(path) as im:
        if im.width * im.height > max_pixels:
            raise ImageError(
                f"{path} is too large ({im.width}x{im.height} pixels; the limit is {max_pixels:,} pixels)."
            )
        if reduce_to:
            im = _reduced(im, REDUCING_GAP * reduce_to)
        im.load()
        rgba = _to_rgba8(ImageOps.exif_transpose(im))
    return rgba if mode == "RGBA" else _over_white(rgba)


def has_alpha(path: PathLike) -> bool:
    """True when the image file carries transparency: an alpha band, or a palette or grey image with a
    transparent colour."""
    with _opened(path) as im:
        return im.has_transparency_data


def load_fitted(path: PathLike, size: int, mode: str = "RGB") -> np.ndarray:
    """``fit_image(load_image(path, mode), size)``, decoding a large file reduced (see ``load_image``)."""
    return fit_image(load_image(path, mode, reduce_to=size), size)


# Modes Pillow's reduce() handles; others are converted first (a palette to RGBA, 16-bit to 32-bit integers).
_REDUCIBLE = {"L", "LA", "RGB", "RGBA", "I", "F", "CMYK", "RGBX"}


def _reduced(im: Image.Image, least: int) -> Image.Image:
    """``im`` decoded at the smallest size whose shorter side is still at least ``least`` px."""
    side = min(im.size)
    if side < 2 * least:  # nothing to gain
        return im
    scale = least / side
    im.draft(None, (max(1, round(im.width * scale)), max(1, round(im.height * scale))))  # JPEG only; else a no-op
    factor = min(im.size) // least
    if factor < 2:
        return im
    info = dict(im.info)  # keeps the EXIF orientation for exif_transpose
    if im.mode not in _REDUCIBLE:
        im = im.convert("I" if im.mode.startswith("I;16") else "RGBA" if im.mode in ("P", "PA") else "L")
    small = im.reduce(factor)
    small.info.update(info)
    return small


def _to_rgba8(im: Image.Image) -> np.ndarray:
    """Any Pillow image as a uint8 HxWx4 array; high bit depths are scaled down, never clipped."""
    if im.mode in ("I", "F") or im.mode.startswith("I;16"):
        grey = _scale_to_uint8(np.asarray(im), im.mode)
        return np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    # convert() honours palette / tRNS transparency and inverts Adobe CMYK as needed.
    return np.asarray(im.convert("RGBA"))


def _scale_to_uint8(a: np.ndarray, mode: str) -> np.ndarray:
    """Map 16-bit, 32-bit int or float greyscale to 0..255 with rounding.

    16-bit data (also 16-bit PNGs that Pillow opens as "I") spans 0..65535; floats in 0..1 are
    taken as normalised; anything else is stretched from its own min..max.
    """
    a = np.nan_to_num(a.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
    if mode == "F" and lo >= 0.0 and hi <= 1.0:
        lo, hi = 0.0, 1.0
    elif mode != "F" and lo >= 0.0 and hi <= 65535.0:
        lo, hi = 0.0, 65535.0
    if hi <= lo:
        return np.zeros(a.shape, np.uint8)
    return np.rint((a - lo) * (255.0 / (hi - lo))).astype(np.uint8)


def _over_white(rgba: np.ndarray) -> np.ndarray:
    """Composite straight-alpha RGBA over a white background (how a painter expects transparency to look)."""
    rgb = rgba[..., :3].astype(np.uint32)
    alpha = rgba[..., 3:].astype(np.uint32)
    return ((rgb * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)


def fit_image(img: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop to a square and resize to ``size`` x ``size`` with Lanczos (premultiplied for alpha)."""
    if size < 1:
        raise ValueError(f"size must be positive, not {size}")
    if img.dtype != np.uint8 or img.ndim not in (2, 3) or min(img.shape[:2]) < 1:
        raise ValueError(f"fit_image needs a non-empty uint8 HxW or HxWxC image, got {img.dtype} {img.shape}")
    # Crop before resizing (rather than ImageOps.fit) so the cropped-off margins cannot bleed into the edges.
    h, w = img.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = Image.fromarray(np.ascontiguousarray(img[top : top + side, left : left + side]))
    return np.asarray(square.resize((size, size), Image.Resampling.LANCZOS))


MAX_UPSCALE = 8


def upscale(img: np.ndarray, factor: int) -> np.ndarray:
    """``img`` (uint8 HxWxC) ``factor`` times larger with Lanczos resampling, which keeps edges crisp without
    the blocks of nearest neighbour or the blur of bilinear: a picture printed larger than the model draws it."""
    if not isinstance(factor, int) or not 1 <= factor <= MAX_UPSCALE:
        raise ValueError(f"the export size must be a whole factor from 1 to {MAX_UPSCALE}, not {factor!r}")
    if factor == 1:
        return img
    h, w = img.shape[:2]
    return np.asarray(Image.fromarray(img).resize((w * factor, h * factor), Image.Resampling.LANCZOS))


def thumbnail(img: np.ndarray, size: int) -> np.ndarray:
    """``img`` shrunk (aspect kept, Lanczos) to fit ``size`` x ``size``; never enlarged, never cropped."""
    im = Image.fromarray(img)
    im.thumbnail((size, size), Image.Resampling.LANCZOS)
    return np.asarray(im)


def image_to_tensor(img: np.ndarray) -> torch.Tensor:
    """uint8 HxWx3 -> float32 (1, 3, H, W) in [-1, 1], the range StyleGAN's encoder and projector expect."""
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"image_to_tensor needs a uint8 HxWx3 image, got {img.dtype} {img.shape}")
    return images_to_tensor(img[None])


def images_to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W, 3) -> float32 (N, 3, H, W) in [-1, 1]; copies, so read-only arrays are fine."""
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[3] != 3:
        raise ValueError(f"images_to_tensor needs uint8 (N, H, W, 3) images, got {images.dtype} {images.shape}")
    t = torch.as_tensor(np.array(images, dtype=np.float32, copy=True)).permute(0, 3, 1, 2)
    return t / 127.5 - 1.0


def tensor_to_images(t: torch.Tensor) -> np.ndarray:
    """Generator output (N, C, H, W) in [-1, 1] -> uint8 (N, H, W, 3), rounded exactly as StyleGAN2 does.

    Greyscale models (C == 1) are repeated to three channels.
    """
    if t.ndim == 3:
        t = t[None]
    if t.ndim != 4 or t.shape[1] not in (1, 3):
        raise ValueError(f"tensor_to_images needs an (N, 3, H, W) or (N, 1, H, W) tensor, got {tuple(t.shape)}")
    t = (t.detach().to("cpu", torch.float32) * 127.5 + 128).clamp(0, 255).to(torch.uint8)
    return t.expand(-1, 3, -1, -1).permute(0, 2, 3, 1).contiguous().numpy()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB between two uint8 images of the same shape (inf where they are equal)."""
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def save_png(path: PathLike, img: np.ndarray, text: dict[str, str] | None = None) -> None:
    """Write ``img`` (uint8 HxW, HxWx3 or HxWx4) as a PNG atomically, with optional Unicode iTXt chunks.

    Every PNG says ``Software: GAN Studio``, so a later run knows it may replace the file.
    """
    if img.dtype != np.uint8 or not (img.ndim == 2 or (img.ndim == 3 and img.shape[2] in (3, 4))):
        raise ValueError(f"save_png needs a uint8 HxW, HxWx3 or HxWx4 image, got {img.dtype} {img.shape}")
    info = PngInfo()
    info.add_text("Software", SOFTWARE)
    for key, value in (text or {}).items():
        if not 1 <= len(key) <= 79 or not key.isascii() or not key.isprintable():
            raise ValueError(f"PNG text keys must be 1-79 printable ASCII characters, not {key!r}")
        info.add_itxt(key, value, zip=_ZIP_TEXT_OVER < len(value.encode("utf-8")) <= PngImagePlugin.MAX_TEXT_CHUNK)
    pil = Image.fromarray(img)
    try:
        atomic_save(path, lambda tmp: pil.save(tmp, format="PNG", pnginfo=info))
    except OSError as exc:
        raise ImageError(describe_os_error(exc)) from exc


def read_png_text(path: PathLike, header_only: bool = False) -> dict[str, str]:
    """The text chunks (tEXt, zTXt, iTXt) of a PNG file.

    ``header_only`` skips decoding the pixels: much faster for listing a folder, but it misses chunks
    stored after the image data (``save_png`` always writes them before).
    """
    with _opened(path) as im:
        if im.format != "PNG":
            raise ImageError(f"{path} is a {im.format} file, not a PNG.")
        chunks = im.info if header_only else im.text
        return {str(k): str(v) for k, v in chunks.items() if isinstance(v, str)}
