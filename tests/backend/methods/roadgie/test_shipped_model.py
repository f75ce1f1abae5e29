"""The shipped road model: declared, digest-checked, small, and measured on real crops."""

import json

from backend.methods.roadgie.model import CONFIGS, RoadGIE, count_parameters
from backend.models.checkpoints import sha256_of_file
from backend.models.registry import BUNDLED_WEIGHTS_DIR, get_model, get_weights_spec

SHIPPED = "roadgie_hiera_pico_1m"


def test_shipped_roadgie_weights_match_their_card_and_declaration():
    spec = get_weights_spec(SHIPPED)
    assert spec.bundled and spec.method == "roadgie" and spec.gsd_m == 1.0
    assert spec.architecture == "roadgie_hiera_pico"
    path = spec.path()
    assert path.is_file() and path.stat().st_size <= 15 * 2**20
    card = json.loads((BUNDLED_WEIGHTS_DIR / f"{SHIPPED}.json").read_text())
    assert card == spec.model_card
    assert card["id"] == SHIPPED and card["file_name"] == path.name
    assert card["variant"] == "hiera_pico"
    assert sha256_of_file(path) == spec.sha256 == card["sha256"]
    assert path.stat().st_size == spec.size_bytes == card["size_bytes"]
    model = get_model(SHIPPED)  # strict, digest-checked load
    assert isinstance(model, RoadGIE) and not model.training
    assert model.config == CONFIGS["hiera_pico"]
    assert count_parameters(model) == card["parameters"] == 1_640_353


def test_shipped_roadgie_on_held_out_massachusetts_crops(shared_data):
    """Deterministic simulated clicks (``roadgie evaluate``, no starting prediction) on the
    13 Massachusetts ``te_*`` crops (not trained on): the card's report-split figures for
    Massachusetts (``validation.scratch.report``, computed by ``roadgie report`` on the same
    crops written at 1 m) are reproduced, more clicks help and the raw network keeps every
    click. Card, 2026-12-01 (stage 6, step 2000): Dice 0.439 / 0.575 / 0.602 after 1 / 3 / 5
    clicks (stage 3: 0.400 / 0.571 / 0.592; stage 2: 0.399 / 0.484 / 0.502; the strip model
    shipped before: 0.409 / 0.450 / 0.462). About 10 s on one thread.
    """
    import torch

    from backend.train import roadgie as rg

    torch.set_num_threads(1)
    samples = rg._validation_samples(str(shared_data / "roads" / "massachusetts_400"), "te_*")
    assert len(samples) == 13
    result = rg.evaluate(get_model(SHIPPED), samples, rg.EVAL_ROUNDS)
    rounds = result["rounds"]
    assert rounds["5"]["n_dice"] == 12  # one crop has no road
    for r in ("1", "3", "5"):
        assert 0.0 <= rounds[r]["dice"] <= 1.0 and 0.0 <= rounds[r]["apls"] <= 1.0
    card = get_weights_spec(SHIPPED).model_card["validation"]["scratch"]["report"]
    quoted = card["domains"]["massachusetts"]["dice_by_round"]
    for r in (1, 3, 5):
        assert abs(rounds[str(r)]["dice"] - quoted[r - 1]) < 0.01, (r, rounds[str(r)], quoted)
    # more clicks help (the point of interactive training)
    assert rounds["5"]["dice"] >= rounds["1"]["dice"] + 0.05
    # the raw network keeps its clicks (the engine enforces them on top)
    assert result["click_consistency"]["network"] >= 0.95


def test_shipped_roadgie_refines_anchor_sam_on_held_out_massachusetts_crops(shared_data, tmp_path):
    """The refinement workflow as the road engine runs it by default: every crop starts from
    the shipped Anchor-SAM's probability (averaged over the test-time views of its card, as
    ``interactive_encode`` computes the start) and each round is progressively merged. The card's
    Massachusetts report figures for that start (``validation.anchor.report``) are
    reproduced, Dice never falls from the start through 5 clicks, and merging beats
    replacing the whole mask each round after 5 clicks. Card, 2026-12-01 (Anchor-SAM
    shipped 2026-12-01, 4 views; interactive model stage 6): 0.554 before any click, 0.558 /
    0.590 / 0.603 after 1 / 3 / 5 merged (whole mask replaced: 0.588 after 5; stage 3: 0.556 /
    0.586 / 0.598 and 0.585). About 40 s on one thread.
    """
    import numpy as np
    import torch

    from backend.jobs.segment_roads import model_test_time_augmentation
    from backend.train import roadgie as rg
    from backend.train.datasets import discover_samples

    torch.set_num_threads(1)
    root = shared_data / "roads" / "massachusetts_400"
    samples = rg._validation_samples(str(root), "te_*")
    sources = discover_samples(root, ("te_*",))
    maps = rg.anchor_sam_probabilities(
        sources,
        [image for _, image, _ in samples],
        tmp_path,
        BUNDLED_WEIGHTS_DIR / "anchor_sam_pico_1m.pt",
        log_every=0,
        test_time_augmentation=model_test_time_augmentation("anchor_sam_pico_1m"),
    )
    start = [m.astype(np.float32) / 255.0 for m in maps]
    model = get_model(SHIPPED)
    merged = rg.evaluate(model, samples, rg.EVAL_ROUNDS, with_apls=False, initial_probs=start)
    assert merged["merge"] is True  # the engine's default for a raster start
    card = get_weights_spec(SHIPPED).model_card["validation"]["anchor"]["report"]
    quoted = card["domains"]["massachusetts"]
    assert abs(merged["dice_start"] - quoted["dice_start"]) < 0.01
    for r in (1, 3, 5):
        got = merged["rounds"][str(r)]["dice"]
        assert abs(got - quoted["dice_by_round"][r - 1]) < 0.01, (r, got, quoted)
    by_round = [merged["dice_start"], *merged["dice_by_round"]]
    assert all(b >= a for a, b in zip(by_round[:-1], by_round[1:], strict=True)), by_round
    whole = rg.evaluate(
        model, samples, rg.EVAL_ROUNDS, with_apls=False, initial_probs=start, merge=False
    )
    assert merged["rounds"]["5"]["dice"] > whole["rounds"]["5"]["dice"]
