"""Road probability of tiles: padding, and the test-time views averaged over symmetries."""

import numpy as np
import pytest
import torch

from backend.methods.anchor_sam.model import build_anchor_sam
from backend.methods.anchor_sam.predict import (
    TEST_TIME_AUGMENTATIONS,
    dihedral_transform,
    predict_probability,
)


@pytest.fixture(scope="module")
def pico():
    torch.manual_seed(0)
    return build_anchor_sam("pico").eval()


@pytest.fixture(scope="module")
def tiles():
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, (2, 40, 72, 3), dtype=np.uint8)  # not square, not /32


def test_dihedral_transforms_are_the_eight_symmetries_and_invert():
    x = torch.arange(2 * 3 * 5).reshape(2, 3, 5)
    views = [dihedral_transform(x, i) for i in range(8)]
    assert len({(tuple(v.shape), tuple(v.flatten().tolist())) for v in views}) == 8
    assert [tuple(v.shape) for v in views] == [(2, 3, 5)] * 4 + [(2, 5, 3)] * 4
    for i, v in enumerate(views):
        assert torch.equal(dihedral_transform(v, i, inverse=True), x)
    assert torch.equal(views[5], torch.rot90(x, -1, (-2, -1)))  # a quarter turn clockwise
    with pytest.raises(ValueError, match="0..7"):
        dihedral_transform(x, 8)


def test_one_view_is_the_plain_prediction(pico, tiles):
    plain = predict_probability(pico, tiles)
    assert plain.shape == (2, 40, 72) and plain.dtype == np.float32
    np.testing.assert_array_equal(predict_probability(pico, tiles, test_time_augmentation=1), plain)
    np.testing.assert_allclose(predict_probability(pico, tiles[0]), plain[0], atol=1e-5)


def _view(tiles_bhwc: np.ndarray, index: int) -> np.ndarray:
    """``dihedral_transform`` of (B, H, W, C) tiles on their H and W axes."""
    moved = torch.from_numpy(tiles_bhwc).permute(0, 3, 1, 2)
    return np.ascontiguousarray(dihedral_transform(moved, index).permute(0, 2, 3, 1).numpy())


def test_views_average_the_prediction_of_each_transformed_tile(pico, tiles):
    got = predict_probability(pico, tiles, test_time_augmentation=4)
    back = [
        dihedral_transform(torch.from_numpy(predict_probability(pico, _view(tiles, i))), i, True)
        for i in range(4)
    ]
    np.testing.assert_allclose(got, torch.stack(back).mean(0).numpy(), atol=1e-5)
    assert not np.allclose(got, predict_probability(pico, tiles), atol=1e-4)


def test_eight_views_make_the_prediction_rotation_equivariant(pico, tiles):
    """Averaged over the whole group, turning the input turns the output: a random network is
    not equivariant on its own, so this fails if any view is mapped back wrongly."""
    turned = np.ascontiguousarray(np.rot90(tiles, 1, axes=(1, 2)))
    got = predict_probability(pico, turned, test_time_augmentation=8)
    expected = np.rot90(predict_probability(pico, tiles, test_time_augmentation=8), 1, axes=(1, 2))
    np.testing.assert_allclose(got, expected, atol=1e-5)
    plain_turned = predict_probability(pico, turned)
    plain = np.rot90(predict_probability(pico, tiles), 1, axes=(1, 2))
    assert not np.allclose(plain_turned, plain, atol=1e-4)


@pytest.mark.parametrize("views", [0, 3, 16])
def test_other_view_counts_are_refused(pico, tiles, views):
    assert views not in TEST_TIME_AUGMENTATIONS
    with pytest.raises(ValueError, match="test_time_augmentation must be one of"):
        predict_probability(pico, tiles, test_time_augmentation=views)
