"""The GPU recipe (issue 10, item 6): the one-file pack of the road set and a CPU dry run of
the device training, on real files of ``../shared/data/roads``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sam2")
pytest.importorskip("rasterio")

from backend.train import datasets as ds  # noqa: E402
from backend.train import gpu_recipe  # noqa: E402

CARRY_LIMIT_BYTES = 64 * 2**20
RETURN_FILE_LIMIT_BYTES = 16 * 2**20


@pytest.fixture(scope="module")
def roads(shared_data: Path) -> Path:
    return shared_data / "roads"


def test_pack_round_trip_keeps_labels_splits_and_11_bit_data(roads, tmp_path):
    domains = ["roadnet_ottawa", "spacenet_vegas_pan"]
    ds.pack_road_set(roads, tmp_path / "p.npz", domains)
    packed = ds.load_pack(tmp_path / "p.npz")
    direct = [ds.load_domain_sample(s) for s in ds.multi_domain_samples(roads, domains)]
    assert [(s.info.key, s.info.split) for s in packed] == [
        (s.info.key, s.info.split) for s in direct]
    for a, b in zip(packed, direct, strict=True):
        np.testing.assert_array_equal(a.label, b.label)
        np.testing.assert_array_equal(a.valid, b.valid)
        assert a.info.partial == b.info.partial and a.info.gsd_m == b.info.gsd_m
        if b.info.bit_depth > 8:
            np.testing.assert_array_equal(a.image, b.image)  # lossless for the pan band
        else:
            assert np.abs(a.image.astype(int) - b.image).mean() < 4  # JPEG
    with pytest.raises(ValueError, match="not a road-set pack"):
        np.savez(tmp_path / "other.npz", x=np.zeros(3))
        ds.load_pack(tmp_path / "other.npz")


def test_full_pack_fits_the_device_carry_limit_with_the_repository(roads, tmp_path):
    info = gpu_recipe.prepare(roads, tmp_path / ".gpu")
    assert (tmp_path / ".gpu" / "site" / "sam2" / "__init__.py").is_file()
    repo = gpu_recipe.REPO
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=repo, capture_output=True,
                             check=True).stdout.split(b"\0")
    repo_bytes = sum((repo / f.decode()).stat().st_size for f in tracked
                     if f and (repo / f.decode()).is_file())
    site_bytes = sum(p.stat().st_size for p in (tmp_path / ".gpu" / "site").rglob("*")
                     if p.is_file())
    # Headroom of 4 MiB for files added to the repository later.
    assert repo_bytes + site_bytes + info["pack_bytes"] < CARRY_LIMIT_BYTES - 4 * 2**20
    assert info["samples"] > 400


def test_device_training_dry_run_on_cpu(roads, tmp_path):
    pack = tmp_path / "pack.npz"
    ds.pack_road_set(roads, pack, ["roadnet_ottawa", "spacenet_vegas_pan"])
    out = tmp_path / "OUT"
    card = gpu_recipe.train_on_device(pack, out, minutes=0.03, device="cpu", batch_size=2,
                                      crop_px=64, workers=1)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["anchor_sam_pico_1m.json", "anchor_sam_pico_1m.pt",
                     "anchor_sam_pico_1m.report.json", "anchor_sam_pico_1m.report.md",
                     "history.jsonl"]
    assert all((out / n).stat().st_size < RETURN_FILE_LIMIT_BYTES for n in names)
    assert "spacenet_vegas_pan_recall_of_labelled_roads" in card["report"]["headline"]
    assert card["training"]["gpu_recipe"]["device"] == "cpu"
    assert '"export"' in (out / "history.jsonl").read_text()
