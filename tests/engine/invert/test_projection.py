"""Projection of pictures into W+: PSNR improves, the detail pass fits only the fine noise maps and is kept in
the render, cancel, and the reconstruction is edited like any portrait."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from studio.engine.edit.directions import compute_pca
from studio.engine.images import psnr, tensor_to_images
from studio.engine.invert.projection import DETAIL_MIN, project
from studio.engine.invert.pulse import search
from studio.engine.invert.pulse_fit import render
from studio.engine.jobs import CancelToken, Progress
from studio.engine.model.stylegan3 import input_transform
from studio.engine.world import render_sample
from tests.conftest import make_tiny_pair

FIT = 20_000


@pytest.fixture(scope="module")
def pair():
    torch.set_num_threads(1)
    return make_tiny_pair()


@pytest.fixture(scope="module")
def target(pair):
    G, _ = pair
    with torch.no_grad():
        return tensor_to_images(G(torch.randn(1, G.z_dim, generator=torch.Generator().manual_seed(5))))[0]


def test_psnr():
    a = np.zeros((4, 4, 3), np.uint8)
    assert psnr(a, a) == math.inf
    assert psnr(a, a + 255) == pytest.approx(0.0)


def test_projection_psnr_improves_and_the_render_keeps_its_noise(pair, target):
    G, D = pair
    result = project(G, target, D=D, steps=40, preview_every=5, fit_samples=FIT)
    first_psnr = result.history[0][1]
    assert result.psnr > first_psnr + 1.0
    assert result.steps_done == 40 and not result.cancelled
    # the detail pass fitted the fine maps only (the result holds those), and only helped
    assert set(result.noise) == {"b32.conv0", "b32.conv1"}
    for name, layer in G.synthesis.named_modules():
        if name in result.noise:
            assert layer.noise_const.shape[-1] >= DETAIL_MIN
            assert not np.array_equal(result.noise[name], layer.noise_const.numpy())
    np.testing.assert_array_equal(tensor_to_images(render(G, result.ws, result.noise))[0], result.image)
    # the portrait is W+ with the model's own noise
    np.testing.assert_array_equal(tensor_to_images(render(G, result.ws))[0], result.portrait)
    assert result.psnr > result.portrait_psnr
    assert not any(p.grad is not None for p in D.parameters())  # the shared D is left untouched


def test_projection_without_discriminator_and_cancel(pair, target):
    G, _ = pair
    token = CancelToken()

    def stop(p: Progress) -> None:
        if p.done >= 4:
            token.cancel()

    result = project(G, target, steps=40, preview_every=2, fit_samples=FIT, progress=stop, token=token)
    assert result.cancelled and result.steps_done == 4
    assert result.image.shape == target.shape and np.isfinite(result.psnr)


def test_a_projected_painting_is_edited_by_a_slider_and_by_a_colour_search(pair):
    """End to end, as File → Open image to edit… then a slider or Paint colours: project a world portrait, move
    the reconstruction along PC1, and paint its hair blue with the search starting from the projection."""
    G, D = pair
    sample = render_sample(4, G.resolution)
    projected = project(G, sample.image, D=D, steps=20, fit_samples=FIT)
    pc1 = compute_pca(G, samples=1000, components=1)[0]
    with torch.no_grad():
        moved = tensor_to_images(render(G, projected.ws + pc1.offset(2.0, G.num_ws), projected.noise))[0]
    assert np.abs(moved.astype(float) - projected.image).mean() > 1.0

    hair, blue = sample.masks["hair"], np.array([52, 96, 200], float)
    paint = np.zeros((*hair.shape, 4), np.uint8)
    paint[hair] = (*blue.astype(np.uint8), 255)
    found = search(G, paint, start_ws=projected.ws, start_noise=projected.noise, steps=20, fit_samples=FIT)

    def miss(img: np.ndarray) -> float:
        return float(np.linalg.norm(img[hair].astype(float).mean(0) - blue))

    assert miss(found.image) < 0.8 * miss(projected.image)


def test_on_stylegan3_every_step_fits_w_plus_and_the_moved_picture_is_the_target(tiny_sg3):
    G, D = tiny_sg3
    moved = input_transform((0.0625, 0.125), -20)
    with torch.no_grad():
        goal = tensor_to_images(G(torch.randn(1, G.z_dim, generator=torch.Generator().manual_seed(5))))[0]
    result = project(G, goal, D=D, steps=30, detail=0.25, preview_every=5, fit_samples=FIT, transform=moved)
    assert result.steps_done == 30 and not result.cancelled  # no noise maps: the detail share went to W+ too
    assert result.detail == 0 and result.noise == {}
    assert result.psnr == result.portrait_psnr and result.psnr > result.history[0][1] + 1.0
    np.testing.assert_array_equal(tensor_to_images(render(G, result.ws, transform=moved))[0], result.image)
