"""How to train fast on the device at hand: precision, modulated-conv path and memory layout.

Measured on a 2-core CPU (cpu64 architecture, one G+D step; ``benchmarks/train_speed.py``): grouped
convolutions with per-sample weights (the fused modconv) are slow in oneDNN, bf16 autocast nearly doubles
the speed of the convolutions where the CPU has native bf16 instructions (AVX512-BF16 or AMX; emulated bf16
is slower than fp32), and channels-last activations are another ~25 %. On CUDA the fused path and bf16 (TF32
for what stays fp32) are what NVIDIA's code uses. The choice is a pure function of the device, so a resumed
run on the same machine computes the same numbers.
"""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager
from dataclasses import dataclass

import torch

from ..cpu import cpu_has_native_bf16
from .config import MODCONVS, PRECISIONS


@dataclass(frozen=True)
class Plan:
    """The resolved choices for one device."""

    device: torch.device
    precision: str  # "fp32" | "bf16"
    fused: bool  # modulated conv as one grouped conv (True) or scale-conv-scale (False)
    channels_last: bool

    def autocast(self) -> AbstractContextManager:
        """The context around synthesis and D: bf16 autocast, or nothing."""
        if self.precision == "bf16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def describe(self) -> str:
        layout = ", channels-last" if self.channels_last else ""
        return f"{self.precision}, {'fused' if self.fused else 'non-fused'} modconv{layout}"


def plan(device: torch.device, precision: str = "auto", modconv: str = "auto") -> Plan:
    """Resolve ``"auto"`` choices for ``device``; explicit ones are kept (bf16 is refused where unsupported)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}.")
    if modconv not in MODCONVS:
        raise ValueError(f"modconv must be one of {', '.join(MODCONVS)}, not {modconv!r}.")
    cuda = device.type == "cuda"
    bf16_ok = torch.cuda.is_bf16_supported() if cuda else cpu_has_native_bf16()
    if precision == "auto":
        precision = "bf16" if bf16_ok else "fp32"
    elif precision == "bf16" and cuda and not bf16_ok:
        raise ValueError(f"{torch.cuda.get_device_name(device)} does not compute in bf16; use --precision fp32.")
    fused = cuda if modconv == "auto" else modconv == "fused"
    # channels-last helps oneDNN's plain convolutions; the grouped (fused) path keeps the layout it was built for
    return Plan(device, precision, fused, channels_last=not cuda and not fused)


def enable_tf32() -> None:
    """Let fp32 matmuls and convolutions on CUDA use TF32 tensor cores (what stays outside bf16 autocast)."""
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
