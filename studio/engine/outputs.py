"""The output policy every command and dialog follows: nothing the user made is deleted or overwritten.

- A file output may replace only a file GAN Studio wrote (recognised by its content, ``made_here``), never an
  input of the same job, and its name ends in the suffix of the format written. A picture that carries its
  recipe is a portrait someone kept: only the job that makes that very picture again replaces it, unless the
  user agreed (a save dialog, ``--overwrite``).
- A folder output is new, empty, or already holds what the job writes (each job says how to recognise that);
  a non-empty folder of someone else's files is refused, never cleared, and so is one whose subfolders are links
  leading out of it (the job would write through them into someone else's files).
- Both are checked, and the target's folder probed for writing, before any long work starts, so a bad
  ``--out`` costs a second rather than the minutes of work before the first write.
- Checking a folder also sweeps the temporary files killed GAN Studio processes left there (``sweep_stale``).

Every refusal is one ``OutputError`` sentence naming the path.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from .atomic import os_error_reason, sweep_stale
from .images import SOFTWARE, ImageError, read_png_text
from .paths import PathLike

MARK = "gan-studio"  # every format GAN Studio writes names itself with this prefix
RECIPE_KEY = f"{MARK}-recipe"  # the PNG text chunk that carries a picture's recipe (library.recipe writes it)
_SAFETENSORS_HEADER_MAX = 100 << 20


class OutputError(ValueError):
    """An output path would lose the user's data or cannot be written; one sentence naming it."""


def same_path(a: PathLike, b: PathLike) -> bool:
    """True when ``a`` and ``b`` are the same file or folder (hard links and case-insensitive disks included)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def check_writable(folder: PathLike, target: PathLike | None = None) -> None:
    """Refuse a folder that cannot be created or written into, by really trying (access bits lie for root and
    on read-only disks); writes nothing that stays. ``target``: the file to be written there, for the message."""
    folder = Path(os.path.abspath(folder))
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    what = f"Cannot write {target}" if target is not None else f"Cannot make {folder}"
    if not existing.is_dir():
        raise OutputError(f"{what}: {existing} is a file, not a folder.")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise OutputError(f"{what}: {existing} cannot be written to ({os_error_reason(exc)}).") from None


def check_output_file(
    path: PathLike,
    suffix: str,
    kind: str,
    inputs: Iterable[PathLike | None] = (),
    companions: Sequence[PathLike] = (),
    replace_confirmed: bool = False,
    remakes: Callable[[dict], bool] | None = None,
) -> Path:
    """Check an output file (and the ``companions`` written beside it) before the work that makes it starts.

    ``suffix`` is the format's (".png"); ``kind`` names the format in the message ("PNG"); ``inputs`` are the
    job's input files, which an output must never replace. ``replace_confirmed``: the user already agreed to
    replace an existing file (a save dialog asks), so it need not be GAN Studio's own. ``remakes``: given the
    recipe of the picture already at ``path``, whether this job makes that very picture again (else it is
    another picture, and only ``replace_confirmed`` replaces it).
    """
    path = Path(path)
    if path.suffix.lower() != suffix:
        raise OutputError(f"{path}: the output is written as {kind}, so its name must end in {suffix}.")
    sources = [Path(p) for p in inputs if p]
    for target in (path, *map(Path, companions)):
        if target.is_dir():
            raise OutputError(f"{target} is a folder; give the name of a {kind} file to write.")
        for source in sources:
            if same_path(target, source):
                raise OutputError(f"{target} is an input of this job, so writing it would destroy it; "
                                  "choose another output name.")
        if target.exists() and not made_here(target) and not (replace_confirmed and target == path):
            raise OutputError(f"{target} already exists and was not made by GAN Studio; choose another name "
                              "or move the file away first.")
    if not replace_confirmed:
        _check_not_another_picture(path, remakes)
    check_writable(path.parent, target=path)
    sweep_stale(path.parent)
    return path


def dialog_output(path: PathLike, suffix: str, kind: str, inputs: Iterable[PathLike | None] = ()) -> Path:
    """The file a save dialog's answer names: the format's suffix added when the name has none, then checked as
    ``check_output_file`` does (the dialog already asked before replacing an existing file)."""
    path = Path(path)
    if not path.suffix:
        path = path.with_name(path.name + suffix)
    return check_output_file(path, suffix, kind, inputs=inputs, replace_confirmed=True)


def check_files_in(
    folder: PathLike,
    holds: str,
    writes: Callable[[str], bool],
    replace_confirmed: bool = False,
    remakes: Callable[[str, dict], bool] | None = None,
) -> Path:
    """Check a folder that files are added to (it may hold other things): of the names already there, those
    ``writes`` says the job will write must be GAN Studio's own, and a picture among them one the job makes
    again (``remakes``, given its name and recipe), unless ``replace_confirmed``. Listing the folder once keeps
    this cheap for any number of outputs."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder} is a file, not a folder; {holds} need a folder.")
    if folder.is_dir():
        sweep_stale(folder)
        for entry in sorted(folder.iterdir()):
            if not writes(entry.name) or replace_confirmed:
                continue
            if not made_here(entry):
                raise OutputError(f"{entry} already exists and was not made by GAN Studio; choose another folder "
                                  "or move the file away first.")
            _check_not_another_picture(entry, remakes and (lambda recipe, name=entry.name: remakes(name, recipe)))
    check_writable(folder)
    return folder


def _check_not_another_picture(path: Path, remakes: Callable[[dict], bool] | None) -> None:
    """Refuse to replace a picture that carries its recipe, unless ``remakes`` says this job makes it again."""
    recipe = _picture_recipe(path)
    if recipe is not None and not (remakes is not None and remakes(recipe)):
        raise OutputError(f"{path} is another picture, with its own recipe; choose another name, or add --overwrite "
                          "to replace it.")


def _picture_recipe(path: PathLike) -> dict | None:
    """The recipe a GAN Studio picture carries (an empty dict for one it cannot read); None for any other file."""
    path = Path(path)
    if path.suffix.lower() != ".png" or not path.is_file():
        return None
    try:
        text = read_png_text(path, header_only=True).get(RECIPE_KEY)
    except (OSError, ImageError):
        return None
    if text is None:
        return None
    try:
        recipe = json.loads(text)
    except (ValueError, RecursionError):
        return {}
    return recipe if isinstance(recipe, dict) else {}


def check_output_folder(
    path: PathLike, holds: str, ours: Callable[[Path], bool], subfolders: Iterable[str] = ()
) -> Path:
    """Check an output folder: new, empty, or one ``ours`` recognises as holding ``holds`` from an earlier run.

    ``subfolders``: those the job writes into, which must stay inside ``path``: one that is a link elsewhere
    (say, into the user's photos) would have the job write over files there.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path} is a file, not a folder; {holds} needs a folder of its own.")
    if path.is_dir():
        sweep_stale(path)
        if any(path.iterdir()) and not ours(path):
            raise OutputError(f"{path} is not empty and does not hold {holds}; choose a new or empty folder, "
                              "so nothing in it is overwritten.")
        root = os.path.realpath(path)
        for name in subfolders:
            leads_to = os.path.realpath(path / name)
            if os.path.commonpath([root, leads_to]) != root:
                raise OutputError(f"{path / name} is a link to {leads_to}, outside {path}; {holds} is written only "
                                  "inside its own folder, so remove the link or choose another folder.")
    check_writable(path)
    return path


def folder_holds_only(path: Path, names: Iterable[str]) -> bool:
    """True when every entry of ``path`` is one of ``names`` (the recogniser of folders with a fixed layout)."""
    allowed = set(names)
    return all(entry.name in allowed for entry in path.iterdir())


# --- recognising GAN Studio's own files ------------------------------------------------------------------


def made_here(path: PathLike) -> bool:
    """True when ``path`` is a file GAN Studio wrote (by its content, not its name), so it may be replaced."""
    path = Path(path)
    try:
        reader = _RECOGNISERS.get(path.suffix.lower())
        return path.is_file() and reader is not None and reader(path)
    except (OSError, ValueError, ImageError, zipfile.BadZipFile, struct.error):
        return False


def _png(path: Path) -> bool:
    text = read_png_text(path, header_only=True)
    return any(k.startswith(MARK) for k in text) or text.get("Software", "").startswith(SOFTWARE)


def _json(path: Path) -> bool:
    if path.stat().st_size > 64 << 20:
        return False
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        return False
    if str(data.get("format", "")).startswith(MARK):  # ONNX export descriptions, site manifests
        return True
    if isinstance(data.get("schema"), int) or "model_hash" in data:  # a picture's recipe
        return True
    architecture = data.get("architecture")
    return isinstance(architecture, dict) and "generator" in architecture  # a model card


def _safetensors(path: Path) -> bool:
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        if size > _SAFETENSORS_HEADER_MAX:
            return False
        meta = json.loads(f.read(size)).get("__metadata__") or {}
    return str(meta.get("format", "")).startswith(MARK)


def _npz(path: Path) -> bool:
    with zipfile.ZipFile(path) as z:
        return "w_plus.npy" in z.namelist()  # a projection's latents


_RECOGNISERS: dict[str, Callable[[Path], bool]] = {
    ".png": _png, ".json": _json, ".safetensors": _safetensors, ".npz": _npz,
}
