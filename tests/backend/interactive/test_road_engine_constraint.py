"""The road engine enforces its prompts: a positive click's pixel is road, a negative one's
background, whatever the network says (issue 10, item 4)."""

import numpy as np
import pytest
import torch

from backend.interactive.engines import Prompts, RoadEngine, ShownRound
from backend.methods.roadgie.model import build_roadgie
from backend.methods.roadgie.prompts import (
    Scribble,
    apply_prompt_constraint,
    prompt_label_map,
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("w") / "random.pt"
    torch.save(
        {"model": build_roadgie("strip_tiny").state_dict(), "config": {"variant": "strip_tiny"}},
        path,
    )
    return RoadEngine("roadgie_hiera_pico_1m", checkpoint_path=str(path))


def _biased(engine, monkeypatch, bias):
    """Make the (random) network say 'all background' (bias < 0) or 'all road' (> 0)."""
    decode = engine.model.decode
    monkeypatch.setattr(engine.model, "decode", lambda *a: decode(*a) + bias)


def _clicked(mask, points, labels):
    return [
        bool(mask[int(y), int(x)]) == bool(lab) for (x, y), lab in zip(points, labels, strict=True)
    ]


def test_positive_clicks_are_road_even_when_the_network_says_background(engine, monkeypatch):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (70, 90, 3), dtype=np.uint8)  # not a multiple of 32
    emb = engine.prepare(engine.encode(image))
    _biased(engine, monkeypatch, -50.0)
    points = np.array([[5.2, 7.9], [89.5, 69.5], [40.0, 33.3]])
    labels = np.array([1, 1, 0])
    out = engine.decode(emb, Prompts(points, labels), None)
    assert out.mask.shape == (70, 90)
    assert all(_clicked(out.mask, points, labels))
    # the mask never vanishes: at least each positive click's disk (radius 3 px) is road
    assert out.mask.sum() >= 2 * 20 and out.score == pytest.approx(1.0)
    # the next round (fed back network logits) keeps honouring the clicks
    out2 = engine.decode(emb, Prompts(points, labels), out.low_res_logits)
    assert all(_clicked(out2.mask, points, labels))


def test_negative_prompts_are_background_when_the_network_says_road(engine, monkeypatch):
    rng = np.random.default_rng(1)
    image = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    emb = engine.prepare(engine.encode(image))
    _biased(engine, monkeypatch, 50.0)
    points = np.array([[10.5, 10.5], [50.5, 20.5]])
    labels = np.array([0, 1])
    scribble = Scribble(np.array([[5.0, 60.0], [60.0, 60.0]]), 0)
    out = engine.decode(emb, Prompts(points, labels, [scribble]), None, threshold=0.9)
    assert all(_clicked(out.mask, points, labels))
    assert not out.mask[60, 5:60].any()
    assert out.mask[30, 30]  # elsewhere the network's answer stands


def test_random_clicks_on_the_unbiased_network_are_always_honoured(engine):
    rng = np.random.default_rng(2)
    image = rng.integers(0, 255, (96, 96, 3), dtype=np.uint8)
    emb = engine.prepare(engine.encode(image))
    points = rng.uniform(0, 96, size=(12, 2))
    labels = rng.integers(0, 2, size=12)
    prev = None
    for k in range(1, 13):
        out = engine.decode(emb, Prompts(points[:k], labels[:k]), prev)
        prev = out.low_res_logits
        # a later click on the very same pixel wins; none of these share a pixel
        assert all(_clicked(out.mask, points[:k], labels[:k]))


def test_later_click_wins_on_the_same_pixel():
    label_map = prompt_label_map(
        (20, 20), [[10.5, 10.5], [10.5, 10.5]], [1, 0], [Scribble(np.array([[0, 10.5]]), 1)]
    )
    assert label_map[10, 10] == 0 and label_map[0, 0] == -1 and label_map[10, 0] == 1
    prob, mask = apply_prompt_constraint(np.full((20, 20), 0.7, np.float32), label_map, 0.5)
    assert prob[10, 10] == 0.0 and not mask[10, 10] and mask[0, 0] and prob[0, 0] == 0.7


def test_merge_into_keeps_the_previous_mask_away_from_the_new_click(engine, monkeypatch):
    rng = np.random.default_rng(3)
    image = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    emb = engine.prepare(engine.encode(image))
    _biased(engine, monkeypatch, -50.0)  # the network now says "no road anywhere"
    start = np.zeros((64, 64), bool)
    start[10:14, :] = start[50:54, :] = True  # two roads from another model's raster
    base = ShownRound(start, np.full((64, 64), -1, np.int8))
    points, labels = np.array([[30.5, 11.5]]), np.array([0])  # negative click on the first
    out = engine.decode(emb, Prompts(points, labels), None, merge_into=base)
    assert not out.mask[10:14].any() and out.mask[50:54].all()
    assert out.shown is not None and out.shown.label_map[11, 30] == 0
    # without the merge the network's "no road" replaces both
    assert not engine.decode(emb, Prompts(points, labels), None).mask.any()
    with pytest.raises(ValueError, match="shape"):
        engine.decode(
            emb, Prompts(points, labels), None, merge_into=ShownRound(start[:9], base.label_map[:9])
        )
