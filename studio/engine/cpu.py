"""What this machine's processor computes natively: read once, asked by the trainer (``train.hardware``) and the
preview (``preview.bf16``), which both compute in bfloat16 only where the CPU does it in hardware (emulated
bfloat16 is slower than float32)."""

from __future__ import annotations

import sys
from functools import lru_cache


@lru_cache(maxsize=1)
def cpu_has_native_bf16() -> bool:
    """True where the CPU executes bf16 dot products in hardware (x86 AVX512-BF16 or AMX-BF16, read on Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        pass
    return False
