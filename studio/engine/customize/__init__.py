"""Sketch your own GAN: the fine-tuning trainer (``trainer``), the fixed photo->sketch extractors F, the user's
sketch files, the sketch augmentation, and training our own extractor on the world's contour drawings."""

from .augment import SKETCH_AUGMENTS, augment_sketches, parse_policy
from .extractor_training import ExtractorTrainConfig, train_extractor
from .extractors import EXTRACTOR_NAMES, WORLD_EXTRACTOR, SketchExtractor, SketchExtractorError, load_extractor
from .sketches import MAX_SKETCHES, SketchError, SketchSet, load_sketches, sketches_from_arrays

__all__ = [
    "EXTRACTOR_NAMES", "ExtractorTrainConfig", "MAX_SKETCHES", "SKETCH_AUGMENTS", "WORLD_EXTRACTOR", "SketchError", "SketchExtractor",
    "SketchExtractorError", "SketchSet", "augment_sketches", "load_extractor", "load_sketches", "parse_policy",
    "sketches_from_arrays", "train_extractor",
]
