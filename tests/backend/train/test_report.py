"""The shared segmentation validation report (issue 10, item 2) and the multi-domain
Anchor-SAM training run that writes it, on real files of ``../shared/data/roads``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sam2")
pytest.importorskip("rasterio")

from backend.train import anchor_sam as t  # noqa: E402
from backend.train import datasets as ds  # noqa: E402
from backend.train import report as r  # noqa: E402

SHIPPED = Path(__file__).parents[3] / "backend" / "models" / "weights" / "anchor_sam_pico_1m.pt"


@pytest.fixture(scope="module")
def roads(shared_data: Path) -> Path:
    return shared_data / "roads"


@pytest.fixture(scope="module")
def small_eval(roads) -> list[ds.LoadedSample]:
    """Ottawa (report), the Vegas pan east half (report, partial), 2 EPFL select + 2 report."""
    samples = ds.multi_domain_samples(roads, ["google_epfl", "roadnet_ottawa",
                                              "spacenet_vegas_pan"])
    epfl_sel = [s for s in samples if s.domain == "google_epfl" and s.split == "select"][:2]
    epfl_rep = [s for s in samples if s.domain == "google_epfl" and s.split == "report"][:2]
    others = [s for s in samples if s.domain != "google_epfl" and s.split == "report"]
    return [ds.load_domain_sample(s) for s in epfl_sel + epfl_rep + others]


def _oracle(sample: ds.LoadedSample, model_gsd_m: float, invert: bool = False):
    """A 'model' that returns the sample's own label at the model GSD (or its inverse)."""

    def predict(image: np.ndarray) -> np.ndarray:
        h, w = sample.label.shape
        scale = sample.info.gsd_m / model_gsd_m
        size = (max(int(round(h * scale)), 1), max(int(round(w * scale)), 1))
        small = ds.resize_hw(sample.label.astype(np.float32), size)
        out = np.zeros(image.shape[:2], np.float32)
        out[: size[0], : size[1]] = 1.0 - small if invert else small
        return out

    return predict


def test_probability_comes_back_on_the_label_grid_in_the_same_frame(small_eval):
    ottawa = next(s for s in small_eval if s.info.domain == "roadnet_ottawa")
    prob = r.probability_at_label_grid(_oracle(ottawa, 1.0), ottawa, 1.0)
    assert prob.shape == ottawa.label.shape
    # 0.21 m -> 1 m -> 0.21 m keeps the roads where they are; a flip or an offset would not.
    counts = r.count_split(_oracle(ottawa, 1.0), [ottawa], 1.0, (0.5,))
    m = r.summarise(counts, 0.5)["domains"]["roadnet_ottawa"]
    assert m["iou"] > 0.7
    inverse = r.count_split(_oracle(ottawa, 1.0, invert=True), [ottawa], 1.0, (0.5,))
    assert r.summarise(inverse, 0.5)["domains"]["roadnet_ottawa"]["iou"] < 0.1


def test_partial_labels_are_scored_as_recall_only(small_eval):
    vegas = next(s for s in small_eval if s.info.domain == "spacenet_vegas_pan")
    everything = r.count_split(lambda im: np.ones(im.shape[:2], np.float32), [vegas], 1.0,
                               (0.5,))
    v = r.summarise(everything, 0.5, ["spacenet_vegas_pan"])["domains"]["spacenet_vegas_pan"]
    assert v["recall_of_labelled_roads"] == 1.0 and v["road_fraction"] == 1.0
    assert "iou" not in v and "precision" not in v
    nothing = r.count_split(lambda im: np.zeros(im.shape[:2], np.float32), [vegas], 1.0, (0.5,))
    summary = r.summarise(nothing, 0.5, ["spacenet_vegas_pan"])
    assert summary["domains"]["spacenet_vegas_pan"]["recall_of_labelled_roads"] == 0.0
    assert "mean_of_domains" not in summary  # a partial domain never enters the pooled IoU


def test_threshold_is_chosen_on_counts_of_the_select_split():
    counts = {
        "a": {"0.3": {"tp": 8, "fp": 8, "fn": 2, "pred": 16, "valid": 100, "images": 1},
              "0.5": {"tp": 7, "fp": 1, "fn": 3, "pred": 8, "valid": 100, "images": 1}},
        "b": {"0.3": {"tp": 9, "fp": 1, "fn": 1, "pred": 10, "valid": 100, "images": 1},
              "0.5": {"tp": 2, "fp": 0, "fn": 8, "pred": 2, "valid": 100, "images": 1}},
    }
    assert r.choose_threshold(counts) == 0.3
    s = r.summarise(counts, 0.5)
    assert s["pooled_pixels"]["iou"] == pytest.approx(9 / (9 + 1 + 11))
    assert s["mean_of_domains"]["iou"] == pytest.approx(np.mean([7 / 11, 2 / 10]))


def test_report_of_the_shipped_model_keeps_select_and_report_apart(small_eval, tmp_path):
    model = t.load_trained(SHIPPED)
    report = r.segmentation_report(r.anchor_sam_probability_fn(model), small_eval, 1.0,
                                   "shipped")
    assert report["threshold"] in r.DEFAULT_THRESHOLDS
    assert report["threshold_chosen_on"].startswith("select split (google_epfl)")
    assert set(report["select"]["domains"]) == {"google_epfl"}
    assert set(report["report"]["domains"]) == {"google_epfl", "roadnet_ottawa",
                                                "spacenet_vegas_pan"}
    assert report["report"]["domains"]["google_epfl"]["images"] == 2
    assert 0.0 <= report["headline"]["report_mean_of_domains_iou"] <= 1.0
    json_path, md_path = r.write_report(report, tmp_path / "rep")
    assert json.loads(json_path.read_text())["threshold"] == report["threshold"]
    text = md_path.read_text()
    assert "spacenet_vegas_pan (partial labels)" in text and "mean_of_domains" in text


def test_multi_domain_training_starts_from_weights_resumes_and_reports(roads, tmp_path):
    cfg = t.TrainConfig(
        data_dirs=[], out_dir=str(tmp_path / "run"), roads_root=str(roads),
        domains=["roadnet_ottawa", "spacenet_vegas_pan"], crop_px=64, batch_size=2,
        max_steps=2, warmup_steps=1, log_every=1, checkpoint_every=1, lr=1e-4,
    )
    t.train(cfg, resume=str(SHIPPED))  # weights only: fresh optimiser, step 0
    out = tmp_path / "run"
    card = json.loads((out / "export" / "anchor_sam_pico_1m.json").read_text())
    assert card["size_bytes"] <= 15 * 2**20
    assert set(card["report"]["headline"]) >= {"roadnet_ottawa_iou",
                                               "spacenet_vegas_pan_recall_of_labelled_roads"}
    assert (out / "export" / "anchor_sam_pico_1m.report.md").is_file()
    cfg.max_steps = 3
    t.train(cfg, resume=str(SHIPPED))  # OUT/last.pt exists now: it wins over the file
    assert torch.load(out / "last.pt", weights_only=False)["step"] == 3
    history = [json.loads(line) for line in (out / "history.jsonl").open()]
    assert [h["step"] for h in history if "loss" in h] == [1, 2, 3]
    with pytest.raises(ValueError, match="neither"):
        t.train(t.TrainConfig(data_dirs=[], out_dir=str(tmp_path / "new"),
                              roads_root=str(roads), domains=["spacenet_vegas_pan"]),
                resume=str(tmp_path / "missing.pt"))
