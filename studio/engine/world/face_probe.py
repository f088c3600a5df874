"""The face probe: a small CNN that reads 32 px face crops, the measure of faces beside the world probe.

At 64 px a world face's eyes are 2-4 px wide, so the world probe's whole-picture Fréchet distance barely sees
them. The face probe reads the face square alone (``face_crop``), trained on world portraits of which some have
eyes, nose or mouth left unpainted (``render_image``): its part heads say which features are painted, so a
smooth oval reads as a face without features. Further heads read what needs a formed face: the eye colour (where
eyes are painted), the smile (where a mouth is), the face shape and the head's turn. Its 128-d penultimate
features give a face Fréchet distance; the share of faces whose eyes and mouth all read painted with confidence
(``FORMED_PARTS``, ``CONFIDENT``) is the formed-face share. The nose is read too, but barely: at 64 px the
world's own noses are a faint shading and sub-pixel nostrils, so a formed face is not asked to have one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..images import images_to_tensor
from ..jobs import CancelToken, ProgressFn, no_progress
from ..paths import shipped
from .attributes import EYE_COLORS, FACE_PARTS, FACE_SHAPES
from .face_crop import FACE_SIZE, crop_faces, head_boxes
from .probe import frechet_distance
from .small_cnn import colour_jitter, conv_encoder, fit, load_net

FACE_PROBE_PATH = shipped("models", "face_probe.safetensors")
EYE_COLOR_NAMES = tuple(EYE_COLORS)
FORMED_PARTS = ("eye_l", "eye_r", "mouth")  # what a formed face must show (the nose cannot be read at 64 px)
CONFIDENT = 0.8  # a part reads painted when its probability is at least this
# Smile and turn are standardised with the world's centre and spread (smile is uniform in [-0.2, 1]).
_SMILE = (0.4, 0.35)
_TURN = (0.0, 0.5)
_IGNORE = -100
_FORMED = [FACE_PARTS.index(p) for p in FORMED_PARTS]
_MIRRORED = [FACE_PARTS.index(p) for p in ("eye_r", "eye_l", "nose", "mouth")]  # the parts of a mirrored face
# How far the training crops wander from the truth, like a located head's box: centre (fractions), log scale.
BOX_JITTER = (0.01, 0.05)
MOTTLE = 0.1  # the strongest blotchy noise added to a training crop (see mottle)


class FaceProbe(nn.Module):
    """Conv encoder (32 px -> 4x4) -> 128-d features -> part, eye colour, face shape, smile and turn heads."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.encoder = conv_encoder([3, width, width * 2, width * 4])
        self.features = nn.Sequential(nn.Flatten(), nn.Linear(width * 4 * 16, 128), nn.ReLU(inplace=True))
        self.parts = nn.Linear(128, len(FACE_PARTS))
        self.eye_color = nn.Linear(128, len(EYE_COLOR_NAMES))
        self.face_shape = nn.Linear(128, len(FACE_SHAPES))
        self.smile = nn.Linear(128, 1)
        self.turn = nn.Linear(128, 1)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """``x``: face crops in [-1, 1], ``FACE_SIZE`` px."""
        f = self.features(self.encoder(x))
        return {"features": f, "parts": self.parts(f), "eye_color": self.eye_color(f),
                "face_shape": self.face_shape(f), "smile": self.smile(f)[:, 0], "turn": self.turn(f)[:, 0]}


def face_targets(records: Sequence[dict]) -> dict[str, torch.Tensor]:
    """Training targets of portrait records: parts painted (1) or not, eye colour where an eye is painted and the
    smile where the mouth is (else ignored), face shape and turn."""
    painted = torch.tensor([[p not in r.get("unpainted", ()) for p in FACE_PARTS] for r in records],
                           dtype=torch.float32)
    eyes = painted[:, :2].amax(1) > 0
    mouth = painted[:, FACE_PARTS.index("mouth")] > 0
    return {
        "parts": painted,
        "eye_color": torch.tensor([EYE_COLOR_NAMES.index(r["eyes"]["color"]) if e else _IGNORE
                                   for r, e in zip(records, eyes.tolist())]),
        "face_shape": torch.tensor([FACE_SHAPES.index(r["face_shape"]) for r in records]),
        "smile": (torch.tensor([r["mouth"]["smile"] for r in records]) - _SMILE[0]) / _SMILE[1],
        "mouth": mouth,
        "turn": (torch.tensor([r["head"]["turn"] for r in records]) - _TURN[0]) / _TURN[1],
    }


def face_loss(out: dict[str, torch.Tensor], t: dict[str, torch.Tensor]) -> torch.Tensor:
    loss = (F.binary_cross_entropy_with_logits(out["parts"], t["parts"])
            + F.cross_entropy(out["face_shape"], t["face_shape"]) + F.mse_loss(out["turn"], t["turn"]))
    if (t["eye_color"] != _IGNORE).any():
        loss = loss + F.cross_entropy(out["eye_color"], t["eye_color"], ignore_index=_IGNORE)
    if t["mouth"].any():
        loss = loss + F.mse_loss(out["smile"][t["mouth"]], t["smile"][t["mouth"]])
    return loss


def jitter_heads(heads: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Heads (N, 3) moved and scaled by about a located head's error (``BOX_JITTER``)."""
    shift, log_scale = BOX_JITTER
    n = len(heads)
    return torch.cat([heads[:, :2] + shift * torch.randn(n, 2, generator=gen),
                      heads[:, 2:] * torch.exp(log_scale * torch.randn(n, 1, generator=gen))], 1)


def mottle(x: torch.Tensor, gen: torch.Generator, most: float = MOTTLE) -> torch.Tensor:
    """Crops with blotchy colour noise at 1-2 and 4 px, of a random strength up to ``most`` per crop: a model's
    faces carry such texture, with or without features, so texture alone must not read as a painted eye or mouth
    (world faces without features are smoother than those with, a shortcut this closes)."""
    n, c, h, w = x.shape
    amount = most * torch.rand(n, 1, 1, 1, generator=gen)
    for size in (h, h // 2, h // 4):
        grain = torch.randn(n, 1, size, size, generator=gen) + 0.5 * torch.randn(n, c, size, size, generator=gen)
        x = x + amount * F.interpolate(grain, size=(h, w), mode="bilinear", align_corners=False)
    return x


def train_face_probe(images: np.ndarray, records: Sequence[dict], steps: int = 3000, batch: int = 64,
                     lr: float = 2e-3, seed: int = 0, progress: ProgressFn = no_progress,
                     token: CancelToken | None = None) -> FaceProbe:
    """Fit a face probe on world portraits (uint8 64 px) and their records: each batch is cropped around the
    recorded heads, jittered as a located box would be, with colour jitter, mottling and mirroring."""
    torch.manual_seed(seed)
    net = FaceProbe()
    x_all, heads, t_all = images_to_tensor(images), head_boxes(records), face_targets(records)

    def batch_loss(idx: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        crops = mottle(colour_jitter(crop_faces(x_all[idx], jitter_heads(heads[idx], gen)), gen), gen)
        t = {k: v[idx].clone() for k, v in t_all.items()}
        flip = torch.rand(len(idx), generator=gen) < 0.5  # a mirrored face: its eyes swap sides, it turns the other way
        crops[flip] = crops[flip].flip(-1)
        t["parts"][flip] = t["parts"][flip][:, _MIRRORED]
        t["turn"][flip] = -t["turn"][flip]
        return face_loss(net(crops), t)

    return fit(net, batch_loss, len(x_all), steps, batch, lr, seed, "training face probe", progress, token)


@dataclass
class FaceReadout:
    """What the face probe says about a batch of face crops, as numpy arrays."""

    features: np.ndarray  # (N, 128)
    parts: np.ndarray  # (N, 4) probability that each of FACE_PARTS is painted
    eye_color: np.ndarray  # (N,) index into EYE_COLOR_NAMES
    face_shape: np.ndarray  # (N,) index into FACE_SHAPES
    smile: np.ndarray  # (N,)
    turn: np.ndarray  # (N,)

    @property
    def formed(self) -> np.ndarray:
        """(N,) bool: both eyes and the mouth read painted with confidence."""
        return self.parts[:, _FORMED].min(1) >= CONFIDENT


@torch.no_grad()
def read_faces(probe: FaceProbe, crops: torch.Tensor, batch: int = 256) -> FaceReadout:
    """Run the face probe on [-1, 1] face crops (N, 3, FACE_SIZE, FACE_SIZE)."""
    if crops.shape[-1] != FACE_SIZE:
        raise ValueError(f"face crops must be {FACE_SIZE} px, got {crops.shape[-1]}")
    probe.eval()
    outs = [probe(crops[i : i + batch].float()) for i in range(0, len(crops), batch)]
    cat = {k: torch.cat([o[k] for o in outs]) for k in outs[0]}
    return FaceReadout(features=cat["features"].numpy(), parts=torch.sigmoid(cat["parts"]).numpy(),
                       eye_color=cat["eye_color"].argmax(1).numpy(), face_shape=cat["face_shape"].argmax(1).numpy(),
                       smile=(cat["smile"] * _SMILE[1] + _SMILE[0]).numpy(),
                       turn=(cat["turn"] * _TURN[1] + _TURN[0]).numpy())


def evaluate_faces(probe: FaceProbe, crops: torch.Tensor, records: Sequence[dict]) -> dict[str, float]:
    """Held-out figures: accuracy per part (painted or not), the formed-face share of faces with eyes and mouth
    painted and of the others (false alarms), eye colour and face shape accuracy, smile and turn mean absolute
    error."""
    r, t = read_faces(probe, crops), {k: v.numpy() for k, v in face_targets(records).items()}
    complete = t["parts"][:, _FORMED].min(1) > 0
    read = r.parts >= 0.5
    out = {f"{p}_acc": float((read[:, i] == (t["parts"][:, i] > 0)).mean()) for i, p in enumerate(FACE_PARTS)}
    if complete.any():
        out["formed_share_complete"] = float(r.formed[complete].mean())
    if not complete.all():
        out["formed_share_incomplete"] = float(r.formed[~complete].mean())
    eyes = t["eye_color"] != _IGNORE
    if eyes.any():
        out["eye_color_acc"] = float((r.eye_color[eyes] == t["eye_color"][eyes]).mean())
    out["face_shape_acc"] = float((r.face_shape == t["face_shape"]).mean())
    if t["mouth"].any():
        smile = t["smile"] * _SMILE[1] + _SMILE[0]
        out["smile_mae"] = float(np.abs(r.smile - smile)[t["mouth"]].mean())
    out["turn_mae"] = float(np.abs(r.turn - (t["turn"] * _TURN[1] + _TURN[0])).mean())
    return out


def face_figures(reference: FaceReadout, faces: FaceReadout) -> dict[str, float]:
    """Faces against world faces: the face Fréchet distance, the formed-face share and the shares read with both
    eyes and with the mouth painted (with confidence)."""
    sure = faces.parts >= CONFIDENT
    return {"face_frechet": frechet_distance(reference.features, faces.features), "formed": float(faces.formed.mean()),
            "two_eyes": float(sure[:, [FACE_PARTS.index("eye_l"), FACE_PARTS.index("eye_r")]].all(1).mean()),
            "mouth": float(sure[:, FACE_PARTS.index("mouth")].mean())}


def load_face_probe(path=FACE_PROBE_PATH) -> FaceProbe:
    return load_net(FaceProbe(), path)


__all__ = ["CONFIDENT", "EYE_COLOR_NAMES", "FACE_PROBE_PATH", "FORMED_PARTS", "FaceProbe", "FaceReadout",
           "evaluate_faces", "face_figures", "face_targets", "load_face_probe", "read_faces", "train_face_probe"]
