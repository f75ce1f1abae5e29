"""Training with simulated interaction: the loss goes down; the CLI resumes; evaluation."""

import json

import numpy as np
import pytest
import torch

from backend.methods.roadgie.losses import tubed_skeletons
from backend.methods.roadgie.model import build_roadgie
from backend.train.datasets import discover_samples, read_pair
from backend.train.roadgie import (
    augment_batch,
    evaluate,
    interactive_report,
    interactive_report_for_card,
    interactive_report_markdown,
    load_weights,
    lr_factor,
    main,
    simulate_rounds,
    synthetic_initial_prediction,
)


@pytest.fixture(scope="module")
def roads(shared_data):
    root = shared_data / "roads" / "massachusetts_400"
    sources = discover_samples(root, ("tr_img-10*",))[:4]
    return root, [read_pair(s) for s in sources]


def test_augment_batch_shapes_and_label_alignment(roads):
    _, data = roads
    rng = np.random.default_rng(0)
    image, label = augment_batch([d[0] for d in data], [d[1] for d in data], 96, rng)
    assert image.shape == (4, 3, 96, 96) and label.shape == (4, 1, 96, 96)
    assert set(torch.unique(label).tolist()) <= {0.0, 1.0}
    # without rotation/photometric changes the crop is the image itself at the same place
    img0, lab0 = data[0]
    crop_img, crop_lab = augment_batch(
        [img0], [lab0], 400, np.random.default_rng(1), rotate=False, photometric=False
    )
    flipped = crop_lab[0, 0].numpy() > 0.5
    candidates = [lab0, lab0[:, ::-1], lab0[::-1], lab0[::-1, ::-1]]
    assert max((flipped == c).mean() for c in candidates) > 0.99


def test_simulated_rounds_prompt_in_errors_and_loss_decreases(roads):
    torch.manual_seed(0)
    _, data = roads
    rng = np.random.default_rng(0)
    image, target = augment_batch(
        [d[0] for d in data[:2]], [d[1] for d in data[:2]], 64, rng, photometric=False
    )
    skel = tubed_skeletons(target)
    model = build_roadgie("strip_tiny")
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for step in range(12):
        loss, records = simulate_rounds(
            model, image, target, 3, np.random.default_rng(step), skeleton=skel
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert len(records) == 3 and records[0]["pred"].shape == (2, 64, 64)
    assert np.mean(losses[-3:]) < 0.85 * np.mean(losses[:3]), losses


def test_synthetic_initial_prediction_resembles_the_label(roads):
    _, data = roads
    label = max((d[1] for d in data), key=lambda m: m.sum())
    logits = synthetic_initial_prediction(label, np.random.default_rng(0))
    assert logits.shape == label.shape and np.abs(logits).max() <= 6
    pred = logits > 0
    inter = (pred & label).sum()
    assert inter > 0.2 * label.sum()  # keeps part of the roads
    assert not np.array_equal(pred, label)  # but is imperfect


def test_lr_schedule_warms_up_then_follows_a_cosine():
    assert lr_factor(0, 10, 100) == pytest.approx(0.1)
    assert lr_factor(10, 10, 100) == pytest.approx(1.0)
    assert lr_factor(55, 10, 100) == pytest.approx(0.5)
    assert lr_factor(20, 10, 100, time_fraction=1.0) == pytest.approx(0.0)


def test_cli_trains_resumes_evaluates_and_exports(roads, tmp_path, capsys):
    root, _ = roads
    out = tmp_path / "run"
    common = [
        "--data",
        str(root),
        "--out",
        str(out),
        "--train-include",
        "tr_img-10*",
        "--val-include",
        "te_img-1",
        "--variant",
        "strip_tiny",
        "--crop-px",
        "64",
        "--batch-size",
        "2",
        "--rounds",
        "5",
        "--log-every",
        "1",
        "--checkpoint-every",
        "1",
        "--threads",
        "1",
    ]
    assert main(["train", *common, "--max-steps", "2", "--val-every", "3"]) == 0
    state = torch.load(out / "last.pt", weights_only=True)
    assert state["step"] == 2
    assert main(["train", *common, "--max-steps", "3", "--resume", "--val-every", "3"]) == 0
    state = torch.load(out / "last.pt", weights_only=True)
    assert state["step"] == 3
    history = [json.loads(x) for x in (out / "history.jsonl").read_text().splitlines()]
    assert [h["step"] for h in history if "loss" in h] == [1, 2, 3]
    val = [h for h in history if "val" in h][0]["val"]
    assert set(val["rounds"]) == {"1", "3", "5"}
    card_in = tmp_path / "card.json"
    card_in.write_text(json.dumps({"id": "x", "gsd_m": 1.0}))
    weights = tmp_path / "w.pt"
    assert (
        main(
            [
                "export",
                "--checkpoint",
                str(out / "last.pt"),
                "--output",
                str(weights),
                "--card",
                str(card_in),
            ]
        )
        == 0
    )
    card = json.loads(weights.with_suffix(".json").read_text())
    assert card["training"]["steps"] == 3 and card["variant"] == "strip_tiny"
    assert len(card["sha256"]) == 64 and card["size_bytes"] == weights.stat().st_size
    assert all(
        v.dtype == torch.float16
        for v in torch.load(weights, weights_only=True).values()
        if v.is_floating_point()
    )


def test_evaluate_reports_dice_and_apls_after_1_3_5_rounds(roads, shared_data):
    root = shared_data / "roads" / "massachusetts_400"
    samples = [(s.key, *read_pair(s)) for s in discover_samples(root, ("te_img-1",))]
    torch.manual_seed(0)
    result = evaluate(build_roadgie("strip_tiny"), samples)
    assert result["n_images"] == 1
    for r in ("1", "3", "5"):
        row = result["rounds"][r]
        assert 0.0 <= row["dice"] <= 1.0 and 0.0 <= row["dice_pooled"] <= 1.0
        assert row["n_apls"] == 1 and 0.0 <= row["apls"] <= 1.0


# --- issue 10, item 4: multi-domain data, click consistency, Anchor-SAM start -----------------


def test_click_consistency_loss_is_low_when_clicks_are_honoured():
    from backend.train.roadgie import click_consistency_loss

    pos = torch.zeros(1, 1, 8, 8)
    neg = torch.zeros(1, 1, 8, 8)
    pos[0, 0, 1, 1], neg[0, 0, 5, 5] = 1, 1
    honoured = torch.where(pos > 0, 10.0, -10.0).expand(1, 1, 8, 8)
    assert click_consistency_loss(honoured, pos, neg) < 1e-3
    assert click_consistency_loss(-honoured, pos, neg) > 5
    assert click_consistency_loss(honoured, pos * 0, neg * 0) == 0


def test_rounds_record_clicks_label_maps_and_the_consistency_part(roads):
    torch.manual_seed(0)
    _, data = roads
    image, target = augment_batch(
        [d[0] for d in data[:2]], [d[1] for d in data[:2]], 64, np.random.default_rng(0)
    )
    skel = tubed_skeletons(target)
    model = build_roadgie("strip_tiny")
    loss0, _ = simulate_rounds(
        model, image, target, 3, np.random.default_rng(1), skeleton=skel, consistency_weight=0
    )
    loss1, records = simulate_rounds(
        model, image, target, 3, np.random.default_rng(1), skeleton=skel, consistency_weight=2
    )
    last = records[-1]
    assert loss1.item() == pytest.approx(
        loss0.item() + 2 * np.mean([r["consistency"] for r in records]), rel=1e-4
    )
    assert last["label_map"].shape == (2, 64, 64) and len(last["clicks"]) <= 6
    for i, label, x, y in last["clicks"]:
        assert last["label_map"][i, int(y), int(x)] in (0, 1)
        assert label in (0, 1)


def test_balanced_domain_weights_give_each_domain_the_same_share():
    from backend.train.roadgie import balanced_domain_weights

    keys = ["a__train__1", "a__train__2", "a__train__3", "b__train__1"]
    w = balanced_domain_weights(keys, [100, 100, 200, 10])
    assert w.sum() == pytest.approx(1.0)
    assert w[:3].sum() == pytest.approx(0.5) and w[3] == pytest.approx(0.5)
    assert w[2] == pytest.approx(2 * w[0])


def test_maps_are_cropped_with_the_image_affine_and_strong_photometric(roads):
    from backend.train.roadgie import augment_batch_with_maps

    _, data = roads
    labels = [d[1] for d in data[:3]]
    maps = [(lab * 255).astype(np.uint8) for lab in labels[:2]] + [None]
    image, label, cropped = augment_batch_with_maps(
        [d[0] for d in data[:3]],
        labels,
        96,
        np.random.default_rng(3),
        maps,
        photometric="strong",
    )
    assert image.shape == (3, 3, 96, 96) and cropped.shape == (3, 1, 96, 96)
    assert 0 <= image.min() and image.max() <= 255
    assert ((cropped[:2] > 0.5) == (label[:2] > 0.5)).float().mean() > 0.99
    assert torch.isnan(cropped[2]).all()
    with pytest.raises(ValueError, match="photometric"):
        augment_batch_with_maps(
            [data[0][0]], [labels[0]], 32, np.random.default_rng(0), photometric="wild"
        )


@pytest.fixture(scope="module")
def multi_domain(roads, tmp_path_factory):
    """A tiny multi-domain folder (DOMAIN__SPLIT__KEY names) of 96 px Massachusetts crops."""
    from PIL import Image

    data = sorted(roads[1], key=lambda d: -int(d[1].sum()))
    root = tmp_path_factory.mktemp("md")
    (root / "images").mkdir()
    (root / "labels").mkdir()
    names = [
        "mass__train__a",
        "mass__train__b",
        "epfl__train__c",
        "epfl__select__d",
        "mass__select__e",
    ]
    for k, name in enumerate(names):
        image, label = data[k % 2]  # the two crops with most road
        windows = sorted(
            ((y, x) for y in range(0, 304, 38) for x in range(0, 304, 38)),
            key=lambda yx: -int(label[yx[0] : yx[0] + 96, yx[1] : yx[1] + 96].sum()),
        )
        y0, x0 = windows[k]
        window = np.s_[y0 : y0 + 96, x0 : x0 + 96]
        Image.fromarray(image[window]).save(root / "images" / f"{name}.png")
        Image.fromarray((label[window] * 255).astype(np.uint8)).save(
            root / "labels" / f"{name}.png"
        )
    return root


def test_anchor_sam_probabilities_are_cached_per_image_and_weights(
    multi_domain, tmp_path, monkeypatch
):
    import backend.train.anchor_sam as anchor_sam_train
    from backend.train.roadgie import anchor_cache_dir, anchor_sam_probabilities

    sources = discover_samples(multi_domain, ("*__train__*",))
    weights = "backend/models/weights/anchor_sam_pico_1m.pt"
    probs = anchor_sam_probabilities(sources, None, tmp_path / "cache", weights)
    assert [p.shape for p in probs] == [(96, 96)] * 3 and probs[0].dtype == np.uint8
    cache = anchor_cache_dir(tmp_path / "cache", weights)
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [cache.name]
    assert sorted(p.name for p in cache.iterdir()) == sorted(f"{s.key}.png" for s in sources)

    def no_model(*_a, **_k):
        raise AssertionError("a cached map was computed again")

    monkeypatch.setattr(anchor_sam_train, "load_trained", no_model)
    again = anchor_sam_probabilities(sources, None, tmp_path / "cache", weights)
    assert all(np.array_equal(a, b) for a, b in zip(probs, again, strict=True))
    # other weights (another digest) get their own folder: no stale maps after a new model
    assert anchor_cache_dir(tmp_path / "cache", __file__) != cache


def test_cli_multi_domain_run_from_weights_and_per_domain_evaluation(multi_domain, tmp_path):
    start = tmp_path / "start.pt"
    torch.manual_seed(0)
    torch.save(
        {"model": build_roadgie("strip_tiny").state_dict(), "config": {"variant": "strip_tiny"}},
        start,
    )
    out = tmp_path / "run"
    args = [
        "train",
        "--data",
        str(multi_domain),
        "--out",
        str(out),
        "--train-include",
        "*__train__*",
        "--val-include",
        "*__select__*",
        "--variant",
        "strip_tiny",
        "--crop-px",
        "64",
        "--batch-size",
        "2",
        "--rounds",
        "6",
        "--balance-domains",
        "--photometric",
        "strong",
        "--init-source",
        "mixed",
        "--init-prob",
        "1",
        "--anchor-prob-dir",
        str(tmp_path / "anchor"),
        "--consistency-weight",
        "1",
        "--init-weights",
        str(start),
        "--max-steps",
        "2",
        "--val-every",
        "2",
        "--log-every",
        "1",
        "--checkpoint-every",
        "1",
        "--threads",
        "1",
    ]
    assert main(args) == 0
    state = torch.load(out / "last.pt", weights_only=True)
    assert state["step"] == 2 and state["config"]["balance_domains"]
    assert state["config"]["init_source"] == "mixed" and state["config"]["rounds"] == 6
    assert len(list((tmp_path / "anchor").glob("anchor_*/*.png"))) == 3
    history = [json.loads(x) for x in (out / "history.jsonl").read_text().splitlines()]
    assert all("consistency" in h for h in history if "loss" in h)
    (val,) = [h["val"] for h in history if "val" in h]
    assert len(val["dice_by_round"]) == 5  # trained with 6 rounds, evaluated with 5
    report = tmp_path / "eval.json"
    assert (
        main(
            [
                "evaluate",
                "--weights",
                str(out / "last.pt"),
                "--data",
                str(multi_domain),
                "--include",
                "*__select__*",
                "--output",
                str(report),
            ]
        )
        == 0
    )
    result = json.loads(report.read_text())
    assert set(result["domains"]) == {"epfl", "mass"}
    for part in (result, *result["domains"].values()):
        assert set(part["rounds"]) == {"1", "3", "5"} and len(part["dice_by_round"]) == 5
        assert isinstance(part["dice_non_decreasing"], bool)
        cons = part["click_consistency"]
        assert cons["n_checks"] > 0 and cons["guaranteed"] == 1.0
        assert 0 <= cons["network"] <= 1
        assert "dice_start" not in part

    # The refinement workflow: every image starts from the shipped Anchor-SAM's probability.
    anchor_report = tmp_path / "eval_anchor.json"
    args = [
        "evaluate",
        "--weights",
        str(out / "last.pt"),
        "--data",
        str(multi_domain),
        "--include",
        "*__select__*",
        "--output",
        str(anchor_report),
        "--anchor-start",
        "backend/models/weights/anchor_sam_pico_1m.pt",
        "--anchor-prob-dir",
        str(tmp_path / "anchor_select"),
    ]
    assert main(args) == 0
    result = json.loads(anchor_report.read_text())
    assert result["start"].startswith("Anchor-SAM probability")
    assert result["merge"] is True  # the road engine's default for a raster start
    assert len(list((tmp_path / "anchor_select").glob("anchor_*/*.png"))) == result["n_images"]
    for part in (result, *result["domains"].values()):
        assert 0 <= part["dice_start"] <= 1

    # The report: both starts on the select split (this folder has no report split).
    report = interactive_report(
        load_weights(out / "last.pt"),
        str(multi_domain),
        "backend/models/weights/anchor_sam_pico_1m.pt",
        tmp_path / "anchor_select",
        splits=("select",),
    )
    assert set(report) == {"scratch", "anchor", "anchor_no_merge"}
    assert report["anchor"]["select"]["dice_start"] == result["dice_start"]
    assert report["anchor"]["select"]["dice_by_round"] == result["dice_by_round"]
    merges = {start: part["select"]["merge"] for start, part in report.items()}
    assert merges == {"scratch": False, "anchor": True, "anchor_no_merge": False}
    for start in report.values():
        part = start["select"]
        assert part["dice5_mean_of_domains"] == pytest.approx(
            np.mean([d["rounds"]["5"]["dice"] for d in part["domains"].values()])
        )
    card = interactive_report_for_card(report)
    assert set(card) == set(report) and card["anchor"]["select"]["merge"] is True
    for start, parts in report.items():
        part, entry = parts["select"], card[start]["select"]
        assert entry["dice5_mean_of_domains"] == round(part["dice5_mean_of_domains"], 4)
        assert entry["all"]["dice_by_round"] == [round(d, 4) for d in part["dice_by_round"]]
        assert set(entry["domains"]) == set(part["domains"])
    text = interactive_report_markdown(report)
    assert "| anchor | select | mean of domains |" in text and "| scratch | select | epfl |" in text
    with pytest.raises(ValueError, match=r"matching \['\*__report__\*'\]"):
        interactive_report(load_weights(out / "last.pt"), str(multi_domain), splits=("report",))


def test_evaluate_from_the_label_as_start_begins_at_dice_1(roads, shared_data):
    root = shared_data / "roads" / "massachusetts_400"
    samples = [(s.key, *read_pair(s)) for s in discover_samples(root, ("te_img-1",))]
    torch.manual_seed(0)
    label = samples[0][2]
    result = evaluate(
        build_roadgie("strip_tiny"),
        samples,
        with_apls=False,
        initial_probs=[label.astype(np.float32)],
    )
    assert result["dice_start"] == 1.0


def test_discover_finds_sat_named_images_with_same_name_labels(tmp_path):
    """write_domain_set_at_gsd names DeepGlobe pairs images/D__S__K_sat.png +
    labels/D__S__K_sat.png (no _mask file): they are found, not skipped."""
    from PIL import Image

    for sub in ("images", "labels"):
        (tmp_path / sub).mkdir()
        Image.fromarray(np.zeros((8, 8), np.uint8)).save(
            tmp_path / sub / "deepglobe__train__104_sat.png"
        )
    (found,) = discover_samples(tmp_path, ("*__train__*",))
    assert found.key == "deepglobe__train__104_sat" and found.label_kind == "centerline_mask"
    assert found.label_path.parent.name == "labels"


def test_keep_best_saves_the_best_validation_and_validates_at_the_end(roads, tmp_path):
    """``--keep-best`` (the fine_tune job's): best.pt at each validation with the best mean
    Dice after 5 clicks, and one more validation when training stops between validations."""
    root, _ = roads
    out = tmp_path / "run"
    args = ["train", "--data", str(root), "--out", str(out), "--train-include", "tr_img-10*",
            "--val-include", "te_img-1", "--variant", "strip_tiny", "--crop-px", "64",
            "--batch-size", "1", "--rounds", "2", "--log-every", "1", "--threads", "1",
            "--max-steps", "3", "--val-every", "2", "--keep-best", "--device", "cpu"]  # fmt: skip
    assert main(args) == 0
    history = [json.loads(x) for x in (out / "history.jsonl").read_text().splitlines()]
    vals = [h for h in history if "val" in h]
    assert [h["step"] for h in vals] == [2, 3]  # every 2 steps, and at the end
    best = [h for h in history if h.get("best")]
    assert best and best[0]["step"] == 2
    assert best[0]["score"] == vals[0]["val"]["rounds"]["5"]["dice"]
    state = torch.load(out / "best.pt", weights_only=True)
    assert state["step"] == best[-1]["step"] and state["config"]["keep_best"] is True
    assert "optimizer" not in state  # weights for export, not for resuming


def test_hiera_variant_trains_from_an_anchor_sam_encoder(roads, tmp_path):
    """``--init-encoder-from`` (issue 10): with the encoder learning rate at 0 the trained
    encoder is still exactly Anchor-SAM's while the rest moved; a strip variant refuses."""
    pytest.importorskip("sam2")
    from backend.methods.anchor_sam.model import build_anchor_sam

    root, _ = roads
    torch.manual_seed(1)
    anchor = tmp_path / "anchor_sam_pico.pt"
    torch.save({k: v.half() for k, v in build_anchor_sam("pico").state_dict().items()}, anchor)
    expected = {
        k: v.float()
        for k, v in torch.load(anchor, weights_only=True).items()
        if k.startswith("image_encoder.")
    }
    out = tmp_path / "run"
    common = ["train", "--data", str(root), "--out", str(out), "--train-include", "tr_img-10*",
              "--val-include", "", "--crop-px", "64", "--batch-size", "2", "--rounds", "2",
              "--log-every", "1", "--checkpoint-every", "1", "--threads", "1",
              "--init-encoder-from", str(anchor)]  # fmt: skip
    with pytest.raises(ValueError, match="Hiera variant"):
        main([*common, "--variant", "strip_tiny", "--max-steps", "1"])
    args = [*common, "--variant", "hiera_pico", "--encoder-lr-scale", "0", "--max-steps", "2"]
    assert main(args) == 0
    state = torch.load(out / "last.pt", weights_only=True)
    assert state["step"] == 2 and state["config"]["init_encoder_from"] == str(anchor)
    assert state["config"]["variant"] == "hiera_pico"
    for key, value in expected.items():
        assert torch.equal(state["model"][key], value), key
    fresh = build_roadgie("hiera_pico").state_dict()
    assert not torch.equal(state["model"]["head.weight"], fresh["head.weight"])
    history = [json.loads(x) for x in (out / "history.jsonl").read_text().splitlines()]
    assert [h["step"] for h in history if "loss" in h] == [1, 2]
    # resume keeps the two parameter groups; the checkpoint loads as the hiera variant
    assert main([*common, "--variant", "hiera_pico", "--max-steps", "3", "--resume"]) == 0
    from backend.methods.roadgie.model import load_roadgie_weights

    assert load_roadgie_weights(str(out / "last.pt")).config.encoder_kind == "sam2_hiera"
