"""Kaiser-windowed low-pass filters for StyleGAN3's resampling, designed without scipy.

NVIDIA's ``SynthesisLayer.design_lowpass_filter`` calls ``scipy.signal.firwin`` (separable filters) and
``scipy.special.j1`` (the radially symmetric jinc filters of the R config). The same designs are written
here with numpy and torch, so the studio needs no scipy: a windowed ideal low-pass (sinc, or jinc in 2-D)
whose Kaiser window's β follows Kaiser's empirical formulas for the attenuation a transition band of
``width`` allows with ``numtaps`` taps. A model's filters are derived from its layer table, never stored.
"""

from __future__ import annotations

import numpy as np
import torch


def kaiser_attenuation(numtaps: int, width: float) -> float:
    """Stop-band attenuation (dB) of a Kaiser FIR filter with ``numtaps`` taps and transition ``width``
    (a fraction of the Nyquist frequency), as ``scipy.signal.kaiser_atten``."""
    return 2.285 * (numtaps - 1) * np.pi * width + 7.95


def kaiser_beta(attenuation: float) -> float:
    """The Kaiser window's β for a stop-band ``attenuation`` in dB, as ``scipy.signal.kaiser_beta``."""
    if attenuation > 50:
        return 0.1102 * (attenuation - 8.7)
    if attenuation > 21:
        return 0.5842 * (attenuation - 21) ** 0.4 + 0.07886 * (attenuation - 21)
    return 0.0


def design_lowpass(
    numtaps: int,  # filter length; 1 = no filter (None)
    cutoff: float,  # cutoff frequency f_c, in the units of fs
    width: float,  # transition band width (2 f_h), in the units of fs
    fs: float,  # sampling rate the filter runs at
    radial: bool = False,  # a 2-D radially symmetric (jinc) filter instead of a separable 1-D one
) -> torch.Tensor | None:
    """A low-pass FIR filter normalised to unit DC gain: (numtaps,) separable or (numtaps, numtaps) radial."""
    if numtaps < 1:
        raise ValueError(f"a filter needs at least one tap, not {numtaps}")
    if numtaps == 1:
        return None
    nyquist = fs / 2
    beta = kaiser_beta(kaiser_attenuation(numtaps, width / nyquist))
    window = np.kaiser(numtaps, beta)
    if not radial:
        m = np.arange(numtaps) - (numtaps - 1) / 2
        f = (cutoff / nyquist) * np.sinc((cutoff / nyquist) * m) * window
        return torch.as_tensor(f / f.sum(), dtype=torch.float32)
    x = (np.arange(numtaps) - (numtaps - 1) / 2) / fs
    r = np.hypot(*np.meshgrid(x, x))
    if (r == 0).any():
        raise ValueError(f"a radial filter needs an even number of taps, not {numtaps}")
    j1 = torch.special.bessel_j1(torch.from_numpy(2 * cutoff * np.pi * r)).numpy()
    f = j1 / (np.pi * r) * np.outer(window, window)
    return torch.as_tensor(f / f.sum(), dtype=torch.float32)
