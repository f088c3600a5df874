"""Style-mixing grids: the two extremes reproduce the sources, the layout is the paper's, cancel stops it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.engine.edit.latents import z_from_seed
from studio.engine.edit.mixing import mixing_grid
from studio.engine.images import tensor_to_images
from studio.engine.jobs import Cancelled, CancelToken

ROWS, COLS = [1, 2, 3], [10, 11]


@pytest.fixture
def G(tiny_pair):  # noqa: N802 - the generator, named as in the papers
    return tiny_pair[0]


def test_sources_are_the_seeds_pictures(G):
    grid = mixing_grid(G, ROWS, COLS, "coarse", truncation_psi=0.7, batch_size=4)
    assert grid.rows.shape == (3, 32, 32, 3) and grid.cols.shape == (2, 32, 32, 3)
    assert grid.cells.shape == (3, 2, 32, 32, 3) and grid.cells.dtype == np.uint8
    expected = tensor_to_images(G(z_from_seed(2, G.z_dim), truncation_psi=0.7))[0]
    np.testing.assert_allclose(grid.rows[1], expected, atol=1)  # batch composition may move a value by one step


def test_strength_zero_reproduces_a(G):
    grid = mixing_grid(G, ROWS, COLS, "all", strength=0.0)
    for r in range(len(ROWS)):
        for c in range(len(COLS)):
            np.testing.assert_allclose(grid.cells[r, c], grid.rows[r], atol=1)


def test_full_strength_on_all_layers_reproduces_b(G):
    grid = mixing_grid(G, ROWS, COLS, "coarse+middle", strength=1.0)  # all layers of a 32 px model
    for r in range(len(ROWS)):
        for c in range(len(COLS)):
            np.testing.assert_allclose(grid.cells[r, c], grid.cols[c], atol=1)


def test_a_group_changes_the_picture(G):
    grid = mixing_grid(G, [1], [10], "coarse")
    assert not np.array_equal(grid.cells[0, 0], grid.rows[0])
    assert not np.array_equal(grid.cells[0, 0], grid.cols[0])


def test_latents_are_accepted(G):
    w = G.mapping(torch.cat([z_from_seed(s, G.z_dim) for s in ROWS]))
    from_w = mixing_grid(G, w[:, 0], COLS, "coarse")  # W, broadcast to W+
    from_wplus = mixing_grid(G, w, COLS, "coarse")
    from_seeds = mixing_grid(G, ROWS, COLS, "coarse")
    np.testing.assert_array_equal(from_w.cells, from_wplus.cells)
    np.testing.assert_allclose(from_wplus.cells, from_seeds.cells, atol=1)


def test_layout_is_the_papers(G):
    grid = mixing_grid(G, ROWS, COLS, "middle")
    sheet = grid.to_image(pad=2)
    assert sheet.shape == (4 * 32 + 5 * 2, 3 * 32 + 4 * 2, 3)
    tile = lambda r, c: sheet[2 + r * 34 : 2 + r * 34 + 32, 2 + c * 34 : 2 + c * 34 + 32]
    assert (tile(0, 0) == 255).all()  # the blank corner
    np.testing.assert_array_equal(tile(0, 2), grid.cols[1])
    np.testing.assert_array_equal(tile(3, 0), grid.rows[2])
    np.testing.assert_array_equal(tile(2, 1), grid.cells[1, 0])


def test_progress_and_cancel(G):
    reports = []
    mixing_grid(G, ROWS, COLS, "coarse", batch_size=4, progress=reports.append)
    assert [p.done for p in reports] == [4, 8, 11] and reports[-1].total == 11

    token = CancelToken()

    def cancel_after_first(p):
        reports.append(p)
        token.cancel()

    reports.clear()
    with pytest.raises(Cancelled):
        mixing_grid(G, ROWS, COLS, "coarse", batch_size=4, progress=cancel_after_first, token=token)
    assert len(reports) == 1


@pytest.mark.parametrize(
    ("rows", "cols", "layers", "match"),
    [
        ([], COLS, "coarse", "at least one row"),
        (ROWS, torch.zeros(2, 5), "coarse", r"column \(B\) latents have shape \(2, 5\)"),
        (ROWS, COLS, "fine", "select no styles in this 32 px model"),
        (ROWS, COLS, "hair", "unknown layer range"),
    ],
)
def test_bad_input_is_one_clear_sentence(G, rows, cols, layers, match):
    with pytest.raises(ValueError, match=match):
        mixing_grid(G, rows, cols, layers)


def test_batch_size_must_be_positive(G):
    with pytest.raises(ValueError, match="batch size must be at least 1"):
        mixing_grid(G, ROWS, COLS, "coarse", batch_size=0)
