"""The customized model's card: what it was made from and how, and which snapshot the run kept."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from ..model.loaded import LoadedModel
from ..model.safetensors_io import card_path
from .config import CustomizeConfig, recommended_settings
from .extractors import SketchExtractor
from .selection import SELECT_SEEDS, BestSnapshot
from .sketches import SketchSet


def model_card(base: LoadedModel, cfg: CustomizeConfig, sk: SketchSet, images_desc: str, F: SketchExtractor,
               steps: int, finished: bool, best: BestSnapshot) -> dict:
    settings = {k: v for k, v in asdict(cfg).items() if k not in ("out", "resume")}
    of_class = f" (class {base.classes[cfg.class_index]})" if cfg.class_index is not None else ""
    kept = best.step if best.params is not None else steps
    selection = {"score": best.score, "scores": [list(s) for s in best.scores],
                 "held_out_samples": len(SELECT_SEEDS)} if best.params is not None else None
    card = {
        "name": Path(cfg.out).stem,
        "description": f"{base.name}{of_class} customized to {len(sk)} sketch(es) with Sketch Your Own GAN",
        **({"classes": base.classes} if base.classes else {}),
        "customize": recommended_settings(base),  # customizing it again starts where its base did
        "training": f"customized from {base.name} for {steps} steps ({cfg.train}, extractor {F.name}, "
                    f"real images: {images_desc}){'' if finished else ', stopped early'}",
        "customized": {
            "method": "sketch-your-own-gan",
            "base_model": {"name": base.name, "weights_hash": base.weights_hash,
                           "path": str(base.path) if base.path else None},
            **base.class_fields(cfg.class_index),
            "sketches": [{"file": n, "sha256": h} for n, h in zip(sk.names, sk.hashes)],
            "real_images": images_desc, "extractor": F.name, "settings": settings, "steps": steps,
            "finished": finished, "kept_step": kept, **({"selection": selection} if selection else {}),
        },
    }
    if selection:
        card["training"] += f"; {_kept_text(card['customized'])}"
    return card


def _kept_text(info: dict) -> str:
    return (f"kept step {info['kept_step']} of {info['steps']}, the closest to the sketches "
            f"(sketch distance {info['selection']['score']:.4f} on {info['selection']['held_out_samples']} "
            "held-out samples)")


def kept_note(model_path: str | Path) -> str:
    """Which step the card beside a customized model says was kept, for the run's final message ("" if the run
    kept its last step unscored, or the card cannot be read: it is informative only)."""
    try:
        info = json.loads(card_path(model_path).read_text(encoding="utf-8"))["customized"]
        return _kept_text(info) if "selection" in info else ""
    except (OSError, ValueError, KeyError, TypeError):
        return ""
