"""Sketch your own GAN: fine-tuning a model towards the user's sketches, and what that needs.

The run (``loop``) and its per-step losses (``objective``), in the shape of StyleGAN2's trainer
(``train.phases``); its settings (``config``), real images (``real_images``), G′ (``generator``), resuming
(``checkpoint``), the saved card (``card``), keeping the best snapshot (``selection``) and blending a result
with its base (``blend``). The fixed photo->sketch extractors F (``extractors``, trained on the world's contour
drawings by ``extractor_training``), the user's sketch files (``sketches``) and their augmentation (``augment``).
"""

from .augment import SKETCH_AUGMENTS, augment_sketches, parse_policy
from .extractor_training import ExtractorTrainConfig, train_extractor
from .extractors import EXTRACTOR_NAMES, WORLD_EXTRACTOR, SketchExtractor, SketchExtractorError, load_extractor
from .sketches import MAX_SKETCHES, SketchError, SketchSet, load_sketches, sketches_from_arrays

__all__ = [
    "EXTRACTOR_NAMES", "ExtractorTrainConfig", "MAX_SKETCHES", "SKETCH_AUGMENTS", "WORLD_EXTRACTOR", "SketchError",
    "SketchExtractor", "SketchExtractorError", "SketchSet", "augment_sketches", "load_extractor", "load_sketches",
    "parse_policy", "sketches_from_arrays", "train_extractor",
]
