"""The StyleGAN3 generator: NVIDIA's layer tables and numbers (recorded from their code), the input transform,
and the parts of StyleGAN2's interface it keeps or answers for."""

from __future__ import annotations

import pytest
import torch

from studio.engine.edit.latents import z_from_seeds
from studio.engine.model.lowpass import design_lowpass
from studio.engine.model.stylegan3 import (
    Generator,
    input_transform,
    layer_table,
    magnitude_ema_beta,
    tracking_magnitudes,
)
from tests.conftest import make_tiny_sg3

# NVIDIA's SynthesisNetwork for the released architectures (networks_stylegan3.py; train.py's defaults, R with
# channel_base and channel_max doubled): (channels, size, sampling rate, cutoff, half width) of every layer.
RELEASED_TABLES = {
    (1024, 32768, 512): [
        (512, 36, 16, 2.0, 6.0), (512, 36, 16, 3.174802, 4.825198), (512, 52, 32, 5.039684, 10.960316),
        (512, 52, 32, 8.0, 8.0), (512, 84, 64, 12.699208, 19.300792), (512, 148, 128, 20.158737, 43.841263),
        (512, 148, 128, 32.0, 32.0), (323, 276, 256, 50.796834, 77.203166), (203, 276, 256, 80.634947, 47.365053),
        (128, 532, 512, 128.0, 128.0), (81, 1044, 1024, 203.187335, 308.812665),
        (51, 1044, 1024, 322.539789, 189.460211), (32, 1044, 1024, 512.0, 118.34594),
        (32, 1024, 1024, 512.0, 118.34594), (3, 1024, 1024, 512.0, 118.34594),
    ],
    (256, 65536, 1024): [
        (1024, 36, 16, 2.0, 6.0), (1024, 36, 16, 2.828427, 5.171573), (1024, 36, 16, 4.0, 4.0),
        (1024, 52, 32, 5.656854, 10.343146), (1024, 52, 32, 8.0, 8.0), (1024, 84, 64, 11.313708, 20.686292),
        (1024, 84, 64, 16.0, 16.0), (1024, 148, 128, 22.627417, 41.372583), (1024, 148, 128, 32.0, 32.0),
        (724, 148, 128, 45.254834, 18.745166), (512, 276, 256, 64.0, 64.0), (362, 276, 256, 90.509668, 37.490332),
        (256, 276, 256, 128.0, 29.586485), (256, 256, 256, 128.0, 29.586485), (3, 256, 256, 128.0, 29.586485),
    ],
}

# NVIDIA's Generator filled by fill_sg3(seed 0), z of seeds 0, 1, 2: image[:, :, 5, 7] at ψ 1 and 0.7.
NVIDIA_PIXELS = {
    ("t", 1.0): [[0.0062358, 0.0376628, 0.0940692], [-0.1851563, 0.2381822, 0.0835567],
                 [-0.1013600, 0.0702262, 0.1675769]],
    ("t", 0.7): [[-0.0376935, 0.0390343, 0.0764076], [0.0179737, 0.1257080, 0.0735350],
                 [-0.1442400, 0.1519195, 0.3050476]],
    ("r", 1.0): [[-0.0107303, -0.1220460, -0.2927613], [-0.3939436, 0.0490032, 0.0947714],
                 [-0.3490340, 0.1739129, 0.2874126]],
    ("r", 0.7): [[0.0749133, -0.1069473, -0.1718518], [-0.1637948, 0.0330285, 0.1739653],
                 [-0.1342639, 0.1023263, 0.2350358]],
}


@pytest.mark.parametrize("key", list(RELEASED_TABLES))
def test_layer_table_of_the_released_architectures(key):
    resolution, base, cmax = key
    rows = layer_table(resolution, 3, base, cmax)
    got = [(r.channels, r.size, r.sampling_rate, round(r.cutoff, 6), round(r.half_width, 6)) for r in rows]
    assert got == RELEASED_TABLES[key]


@pytest.mark.parametrize("config", ["t", "r"])
@pytest.mark.parametrize("psi", [1.0, 0.7])
def test_pictures_match_nvidia(config, psi):
    G, _ = make_tiny_sg3(config)
    img = G(z_from_seeds([0, 1, 2], 32), truncation_psi=psi)
    assert img.shape == (3, 3, 16, 16)
    torch.testing.assert_close(img[:, :, 5, 7], torch.tensor(NVIDIA_PIXELS[config, psi]), atol=1e-6, rtol=0)


def test_the_r_config_filters(tiny_sg3):
    G, _ = tiny_sg3
    radial = G.architecture == "sg3-r"
    for layer in G.synthesis.layers():
        if layer.is_torgb:
            assert layer.up_filter is None and layer.down_filter is None and layer.conv_kernel == 1
            continue
        assert layer.weight.shape[-1] == (1 if radial else 3)
        assert layer.up_filter.ndim == 1  # the up-sampling filter is always separable
        # Radial down-sampling in R, except in the critically sampled layers (a jinc cannot reach s/2 there).
        assert layer.down_filter.ndim == (2 if radial and not layer.is_critically_sampled else 1)
        torch.testing.assert_close(layer.down_filter.sum(), torch.tensor(1.0))


def test_lowpass_matches_scipy():
    # scipy.signal.firwin(12, 2.0, width=3.0, fs=16.0), the first half (the filter is symmetric).
    want = [-0.00991544, -0.00987763, 0.01956977, 0.08804390, 0.17516953, 0.23700987]
    f = design_lowpass(12, 2.0, 3.0, 16.0)
    torch.testing.assert_close(f[:6], torch.tensor(want), atol=1e-7, rtol=0)
    torch.testing.assert_close(f, f.flip(0))
    assert design_lowpass(1, 2.0, 3.0, 16.0) is None
    # NVIDIA's radial design (scipy.special.j1, scipy.signal.kaiser_beta) for 12 taps, f_c 8, width 3.7, fs 32.
    radial = design_lowpass(12, 8.0, 3.7, 32.0, radial=True)
    want = [0.00670501, 0.00104651, -0.01812445, -0.00556909, 0.07066762, 0.15420488]
    torch.testing.assert_close(radial[5, :6], torch.tensor(want), atol=1e-7, rtol=0)
    torch.testing.assert_close(radial, radial.t())


def test_config_rebuilds_the_same_network(tiny_sg3):
    G, _ = tiny_sg3
    H = Generator(**G.config)
    assert H.architecture == G.architecture and H.num_ws == G.num_ws == 6
    H.load_state_dict(G.state_dict())
    z = z_from_seeds([3], 32)
    torch.testing.assert_close(H(z), G(z), rtol=0, atol=0)


def _features(G, transform=None):
    ws = G.mapping(z_from_seeds([0], 32))
    return G.synthesis.input(ws[:, 0], transform)


def test_translate_moves_the_picture_right_and_down(tiny_sg3):
    G, _ = tiny_sg3
    rate = G.synthesis.input.sampling_rate
    base = _features(G)
    torch.testing.assert_close(_features(G, input_transform()), base)
    right = _features(G, input_transform((2 / rate, 0)))  # two input pixels to the right
    torch.testing.assert_close(right[..., 2:], base[..., :-2], atol=1e-5, rtol=0)
    down = _features(G, input_transform((0, 1 / rate)))
    torch.testing.assert_close(down[..., 1:, :], base[..., :-1, :], atol=1e-5, rtol=0)


def test_rotate_turns_the_picture_counter_clockwise(tiny_sg3):
    G, _ = tiny_sg3
    base = _features(G)
    turned = _features(G, input_transform(rotate=90))
    torch.testing.assert_close(turned, torch.rot90(base, 1, dims=(2, 3)), atol=1e-5, rtol=0)
    # A transform per sample: the batch's second picture turned, the first not.
    ws = G.mapping(z_from_seeds([0, 0], 32))
    per_sample = torch.stack([input_transform(), input_transform(rotate=90)])
    img = G.synthesis(ws, transform=per_sample)
    torch.testing.assert_close(img[0], G.synthesis(ws[:1])[0])
    torch.testing.assert_close(img[1], G.synthesis(ws[:1], transform=input_transform(rotate=90))[0])


def test_stylegan2_interface_equivalents(tiny_sg3):
    G, _ = tiny_sg3
    ws = G.mapping(z_from_seeds([0, 1], 32), truncation_psi=0.5)
    assert ws.shape == (2, G.num_ws, 32) and G.w_avg.shape == (32,)
    assert G.synthesis.noise_shapes() == {}
    full = G.synthesis(ws, noise_mode="random", fused=False, noise={})
    torch.testing.assert_close(full, G.synthesis(ws, noise_mode="const"), rtol=0, atol=0)  # no noise at all
    with pytest.raises(ValueError, match="has no noise"):
        G.synthesis(ws, noise={"b4.conv1": torch.zeros(4, 4)})
    with pytest.raises(ValueError, match="noise_mode"):
        G.synthesis(ws, noise_mode="loud")
    with pytest.raises(ValueError, match=r"ws must have shape \(N, 6, 32\)"):
        G.synthesis(ws[:, :5])
    small = G.synthesis(ws, max_resolution=8)
    torch.testing.assert_close(small, torch.nn.functional.avg_pool2d(full, 2))
    assert [layer.sampling_rate for layer in G.synthesis.layers()] == [r.sampling_rate for r in G.synthesis.table]


def test_magnitude_emas_move_only_while_tracked(tiny_sg3):
    G, _ = tiny_sg3
    synthesis = G.synthesis
    ws = G.mapping(z_from_seeds([0, 1], 32))
    before = [layer.magnitude_ema.clone() for layer in synthesis.layers()]
    inputs = []  # what each layer reads, recorded on a plain call (the EMAs still as they were)
    hooks = [layer.register_forward_pre_hook(lambda m, args: inputs.append(args[0].square().mean()))
             for layer in synthesis.layers()]
    with torch.no_grad():
        plain = synthesis(ws)
    for hook in hooks:
        hook.remove()
    assert all(torch.equal(layer.magnitude_ema, b) for layer, b in zip(synthesis.layers(), before))
    beta = magnitude_ema_beta(4)
    assert beta == pytest.approx(0.5 ** (4 / 20_000))
    with torch.no_grad(), tracking_magnitudes(synthesis, 0.5):
        tracked = synthesis(ws)
    # Layer 0 reads the Fourier features, whatever its EMA: its EMA moves half way to their mean square.
    torch.testing.assert_close(synthesis.layers()[0].magnitude_ema, (before[0] + inputs[0]) / 2)
    assert all(not torch.equal(layer.magnitude_ema, b) for layer, b in zip(synthesis.layers(), before))
    assert not torch.equal(tracked, plain)  # each layer scaled its input by the EMA it had just updated
    with torch.no_grad():
        torch.testing.assert_close(synthesis(ws), tracked)  # outside the context the EMAs hold still
