"""The multi-domain road set (issue 10, item 1): splits, GSD resampling, augmentation,
partial labels and domain-balanced batches, on the real files of ``../shared/data/roads``
(``shared_data`` skips when absent)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("rasterio")

from backend.train import datasets as ds  # noqa: E402


@pytest.fixture(scope="module")
def roads(shared_data: Path) -> Path:
    return shared_data / "roads"


@pytest.fixture(scope="module")
def all_samples(roads) -> list[ds.DomainSample]:
    return ds.multi_domain_samples(roads)


def _by(samples, domain, split=None):
    return [s for s in samples if s.domain == domain and (split is None or s.split == split)]


def test_every_road_folder_is_a_domain_with_its_gsd_and_label_kind(roads, all_samples):
    used = {p.parent.name if p.parent.name not in ("images", "labels") else p.parent.parent.name
            for s in all_samples for p in (s.image_path,)}
    assert used == {p.name for p in roads.iterdir() if p.is_dir()}
    kinds = {s.domain: (s.gsd_m, s.label_kind) for s in all_samples}
    assert kinds["massachusetts"] == (1.0, "line_mask")
    assert kinds["spacenet_vegas_pan"] == (0.3, "partial_mask")
    assert kinds["roadnet_ottawa"] == (0.21, "surface_mask")
    assert all(s.split in ds.SPLITS for s in all_samples)
    assert len({(s.domain, s.key) for s in all_samples}) == len(all_samples)


def test_splits_are_fixed_and_disjoint(roads, all_samples):
    mass = _by(all_samples, "massachusetts")
    assert {s.key[:3] for s in mass if s.split == "select"} == {"va_"}
    assert {s.key[:3] for s in mass if s.split == "report"} == {"te_"}
    # Both Massachusetts folders stay on the training side together.
    assert all(s.split == "train" for s in mass if s.key.startswith("1500_"))
    assert sum(s.key.startswith("1500_") for s in mass) == 51
    epfl = Counter(s.split for s in _by(all_samples, "google_epfl"))
    assert epfl == {"train": 70, "select": 10, "report": 20}
    assert [s.split for s in _by(all_samples, "roadnet_ottawa")] == ["report"]
    assert [s.split for s in _by(all_samples, "deepglobe")] == ["train"] * 3 + ["report"]
    # Same answer on a second call (no randomness in the split).
    again = ds.multi_domain_samples(roads, ["google_epfl"])
    assert [(s.key, s.split) for s in again] == [
        (s.key, s.split) for s in _by(all_samples, "google_epfl")]
    with pytest.raises(ValueError, match="unknown road domains"):
        ds.multi_domain_samples(roads, ["mars"])


def test_vegas_pan_halves_are_disjoint_and_keep_11_bit_data(all_samples):
    west, east = (next(s for s in _by(all_samples, "spacenet_vegas_pan") if s.key.endswith(k))
                  for k in ("@west", "@east"))
    assert (west.split, east.split) == ("train", "report")
    assert west.window_px[3] == east.window_px[2]  # touching, not overlapping
    loaded = ds.load_domain_sample(east)
    assert loaded.image.dtype == np.uint16 and loaded.image.shape[2] == 1
    assert loaded.image.max() <= 2047 and loaded.label.any()
    rgb = ds.image_to_float_rgb(loaded.image, 11, (2, 98), loaded.valid)
    assert rgb.shape == loaded.label.shape + (3,)
    assert np.array_equal(rgb[..., 0], rgb[..., 2]) and 0.0 <= rgb.min() < rgb.max() <= 1.0


def test_partial_labels_count_only_labelled_roads_in_the_loss(all_samples):
    west = ds.load_domain_sample(next(s for s in _by(all_samples, "spacenet_vegas_pan", "train")))
    rng = np.random.default_rng(3)
    seen_road = False
    for _ in range(6):
        _, lab, val = ds.random_crop_at_gsd(west, 96, 1.0, rng)
        # Unlabelled pixels are not taught as background: valid is exactly the road label.
        np.testing.assert_array_equal(val, lab)
        seen_road |= bool(lab.any())
    assert seen_road


def _road_width(mask: np.ndarray) -> float:
    """Width in pixels of one straight road crossing a (S, S) mask along either axis."""
    per_row, per_col = mask.sum(axis=1), mask.sum(axis=0)
    across = per_row if np.all(per_row > 0) else per_col
    return float(np.median(across))


def test_crops_are_resampled_to_the_model_gsd_with_label_alignment():
    # A 20 px wide vertical road at 0.5 m is 10 m wide: 10 px at 1 m without jitter.
    # 128 px at 0.5 m = 64 px at 1 m: every crop (jitter >= 1) holds the whole road width.
    image = np.zeros((128, 128, 3), np.uint8)
    label = np.zeros((128, 128), bool)
    label[:, 54:74] = True
    image[label] = 255
    info = ds.DomainSample("synthetic", "k", Path("x"), Path("y"), "surface_mask", 0.5, "train")
    sample = ds.LoadedSample(info, image, label, np.ones_like(label))
    rng = np.random.default_rng(0)
    for _ in range(4):
        img, lab, val = ds.random_crop_at_gsd(sample, 64, 1.0, rng, (1.0, 1.0),
                                              photometric=False)
        assert img.shape == (3, 64, 64) and val.all()
        assert _road_width(lab[0]) == pytest.approx(10, abs=1)
        np.testing.assert_array_equal(img[0] > 0.5, lab[0] > 0)
    # Jitter 1.4x: the same road is about 14 px wide.
    _, lab, _ = ds.random_crop_at_gsd(sample, 64, 1.0, rng, (1.4, 1.4), photometric=False)
    assert _road_width(lab[0]) == pytest.approx(14, abs=1)


def test_photometric_augmentation_is_strong_but_keeps_range():
    rng = np.random.default_rng(0)
    img = np.random.default_rng(1).random((48, 48, 3)).astype(np.float32)
    outs = [ds.photometric_augment(img, rng) for _ in range(40)]
    assert all(o.shape == img.shape and o.dtype == np.float32 for o in outs)
    assert all(0.0 <= o.min() and o.max() <= 1.0 for o in outs)
    changes = [float(np.abs(o - img).mean()) for o in outs]
    assert np.median(changes) > 0.03
    grey = [o for o in outs if np.allclose(o[..., 0], o[..., 1], atol=1e-5)]
    assert 0 < len(grey) < len(outs)  # grey-scale sometimes, not always


def test_batches_are_balanced_across_domains_not_by_count(all_samples):
    picked = (_by(all_samples, "google_epfl", "train")[:12]
              + _by(all_samples, "deepglobe", "train")[:1]
              + _by(all_samples, "spacenet_vegas_pan", "train"))
    loaded = [ds.load_domain_sample(s) for s in picked]
    sampler = ds.BalancedDomainSampler(loaded, 1.0, np.random.default_rng(0))
    for _ in range(10):
        counts = Counter(s.info.domain for s in sampler.draw(6))
        assert counts == {"google_epfl": 2, "deepglobe": 2, "spacenet_vegas_pan": 2}
    with pytest.raises(ValueError, match="no training samples"):
        ds.BalancedDomainSampler([], 1.0, np.random.default_rng(0))


def test_domain_shares_weight_a_domain_within_every_batch(all_samples):
    picked = (_by(all_samples, "google_epfl", "train")[:4]
              + _by(all_samples, "deepglobe", "train")[:1]
              + _by(all_samples, "spacenet_vegas_pan", "train"))
    loaded = [ds.load_domain_sample(s) for s in picked]
    sampler = ds.BalancedDomainSampler(loaded, 1.0, np.random.default_rng(0),
                                       shares={"google_epfl": 2})
    for _ in range(10):
        counts = Counter(s.info.domain for s in sampler.draw(8))
        assert counts == {"google_epfl": 4, "deepglobe": 2, "spacenet_vegas_pan": 2}
    with pytest.raises(ValueError, match="no training samples.*training domains"):
        ds.BalancedDomainSampler(loaded, 1.0, np.random.default_rng(0), shares={"ottawa": 2})
    with pytest.raises(ValueError, match="whole numbers"):
        ds.BalancedDomainSampler(loaded, 1.0, np.random.default_rng(0),
                                 shares={"deepglobe": 0.5})


def test_pairs_at_the_model_gsd_for_other_training_code(all_samples):
    ottawa = next(s for s in all_samples if s.domain == "roadnet_ottawa")
    image, label, valid = ds.read_domain_pair_at_gsd(ottawa, 1.0)
    assert image.shape == (108, 108, 3) and image.dtype == np.uint8  # 512 px * 0.21 m
    assert label.shape == valid.shape == (108, 108) and valid.all()
    full = ds.load_domain_sample(ottawa)
    assert abs(label.mean() - full.label.mean()) < 0.03  # same road share after resampling
    same, *_ = ds.read_domain_pair_at_gsd(ottawa, 0.21)
    assert same.shape == (512, 512, 3)


def test_domain_set_at_gsd_is_a_plain_folder_for_the_graph_trainer(roads, tmp_path):
    out = tmp_path / "at_1m"
    counts = ds.write_domain_set_at_gsd(
        roads, out, 1.0, domains=["google_epfl", "spacenet_vegas_pan"])
    assert counts == {"written": 100, "kept": 0, "skipped_partial": 2}  # Vegas: partial labels
    names = sorted(p.name for p in (out / "images").iterdir())
    assert names == sorted(p.name for p in (out / "labels").iterdir())
    assert Counter(n.split("__")[1] for n in names) == {"train": 70, "report": 20, "select": 10}
    train = ds.discover_samples(out, ["*__train__*"])
    assert len(train) == 70 and {s.label_kind for s in train} == {"centerline_mask"}
    image = ds.read_rgb_uint8(train[0].image_path)
    assert image.shape == (180, 180, 3)  # 400 px at 0.45 m -> 1 m
    label = ds.read_road_mask(train[0], image.shape[:2])
    assert 0.02 < (label > 0).mean() < 0.6
    again = ds.write_domain_set_at_gsd(roads, out, 1.0, domains=["google_epfl"])
    assert again == {"written": 0, "kept": 100, "skipped_partial": 0}
