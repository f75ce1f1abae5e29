"""The GPU recipe (issue 10, item 6): the one-file pack of the road set, the carry size and a
CPU dry run of the device training of all three models, on real files of
``../shared/data/roads``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile
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
    try:
        info = gpu_recipe.prepare(roads, tmp_path / ".gpu")
    except ValueError as exc:
        if "pip download" in str(exc):
            pytest.skip(f"the device wheels could not be downloaded: {exc}")
        raise
    gpu = tmp_path / ".gpu"
    assert (gpu / "site" / "sam2" / "__init__.py").is_file()
    wheels = {p.name.split("-")[0]: p for p in (gpu / "wheels").glob("*.whl")}
    assert set(wheels) == {"shapely", "scikit_image", "lazy_loader"}
    assert all("cp312" in p.name for k, p in wheels.items() if k != "lazy_loader")
    with zipfile.ZipFile(wheels["scikit_image"]) as z:  # trimmed to what skeletonize needs
        names = z.namelist()
    assert "skimage/morphology/_skeletonize.py" in names
    assert not any(n.startswith(("skimage/data/", "skimage/io/")) or "/tests/" in n
                   for n in names)
    repo = gpu_recipe.REPO
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=repo, capture_output=True,
                             check=True).stdout.split(b"\0")
    repo_bytes = sum((repo / f.decode()).stat().st_size for f in tracked
                     if f and (repo / f.decode()).is_file())
    gpu_bytes = sum(p.stat().st_size for p in gpu.rglob("*") if p.is_file())
    assert gpu_bytes > info["pack_bytes"]
    # Headroom of 4 MiB for files added to the repository later.
    assert repo_bytes + gpu_bytes < CARRY_LIMIT_BYTES - 4 * 2**20
    assert info["samples"] > 400


def test_import_stubs_stand_in_for_missing_packages_and_fail_when_used():
    name = "roadextract_absent_package"
    try:
        assert gpu_recipe.install_import_stubs([name, "json"]) == [name]
        from roadextract_absent_package.windows import Window  # noqa: PLC0415

        with pytest.raises(ModuleNotFoundError, match=f"{name}.windows.Window was used"):
            Window(0, 0, 1, 1)
        assert gpu_recipe.install_import_stubs([name]) == []  # already there
    finally:
        for key in [k for k in sys.modules if k.startswith(name)]:
            del sys.modules[key]


def test_device_wheels_are_unpacked_into_site_only_when_missing(tmp_path, monkeypatch):
    name = "roadextract_fake_wheel_pkg"
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    with zipfile.ZipFile(wheels / f"{name}-1.0-py3-none-any.whl", "w") as z:
        z.writestr(f"{name}/__init__.py", "VALUE = 42\n")
    with zipfile.ZipFile(wheels / "json-1.0-py3-none-any.whl", "w") as z:
        z.writestr("json/__init__.py", "raise ImportError\n")  # installed: never unpacked
    monkeypatch.setattr(gpu_recipe, "DEVICE_WHEELS", {name: name, "json": "json"})
    monkeypatch.setattr(sys, "path", list(sys.path))
    try:
        assert gpu_recipe.install_device_wheels(tmp_path) == [
            f"{name}-1.0-py3-none-any.whl"]
        assert __import__(name).VALUE == 42
        assert not (tmp_path / "site" / "json").exists()
    finally:
        sys.modules.pop(name, None)


#: The dry run in a fresh Python that lacks what the device lacks.
DRY_RUN = """
import json, sys
for name in ("rasterio", "pyproj", "segment_anything", "affine", "pyogrio", "geopandas"):
    sys.modules[name] = None  # not installed on the device machine
from backend.train.gpu_recipe import train_all_on_device
pack, out = sys.argv[1:3]
summary = train_all_on_device(
    pack, out, 1.0, device="cpu", workers=1, gpu_dir=out + "_gpu",
    domains=["google_epfl", "spacenet_vegas_pan"], max_per_split=3,
    batch_sizes={"anchor_sam": 2, "linegraph2road": 2, "roadgie": 2}, anchor_crop_px=64)
print(json.dumps(summary))
"""


def test_device_training_dry_run_on_cpu(roads, tmp_path):
    """All three stages within a 1-minute budget on a reduced set, in a Python without
    rasterio / pyproj (as the device): weights, cards, reports and histories come back."""
    pack = tmp_path / "pack.npz"
    ds.pack_road_set(roads, pack, ["google_epfl", "spacenet_vegas_pan"])
    out = tmp_path / "OUT"
    # One passive thread: spinning OpenMP threads on a shared CPU stretch the reports, which
    # the budget does not bound, several times over.
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(DRY_RUN), str(pack), str(out)],
                          cwd=gpu_recipe.REPO, capture_output=True, text=True, timeout=900,
                          env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps(summary["steps"], indent=1))  # the seconds of each step, with -s
    names = sorted(p.name for p in out.iterdir())
    expected = ["gpu_recipe.json"]
    for model, stem in (("anchor_sam", "anchor_sam_pico_1m"),
                        ("linegraph2road", "linegraph2road_hiera_pico_1m"),
                        ("roadgie", "roadgie_hiera_pico_1m")):
        expected += [f"{stem}.json", f"{stem}.pt", f"{stem}.report.json", f"{stem}.report.md"]
        assert "error" not in summary["steps"][model], summary["steps"][model]
    # The 1 m folder, targets and checkpoints are gone; a history comes back for each stage
    # that lived long enough to log (on a busy CPU a stage may get only a step or two).
    histories = {n for n in names if n.endswith(".history.jsonl")}
    assert "anchor_sam.history.jsonl" in histories
    assert sorted(set(names) - histories) == sorted(expected)
    assert all((out / n).stat().st_size < RETURN_FILE_LIMIT_BYTES for n in names)
    assert summary["steps"]["start_up"]["stubs"] == ["rasterio", "pyproj"]
    assert summary["steps"]["data_1m"]["skipped_partial"] == 2  # Vegas pan: partial labels
    assert summary["steps"]["roadgie"]["stage_end_s"] == 60.0
    cards = {stem: json.loads((out / f"{stem}.json").read_text()) for stem in
             ("anchor_sam_pico_1m", "linegraph2road_hiera_pico_1m", "roadgie_hiera_pico_1m")}
    anchor = cards["anchor_sam_pico_1m"]
    assert "spacenet_vegas_pan_recall_of_labelled_roads" in anchor["report"]["headline"]
    assert anchor["training"]["gpu_recipe"]["device"] == "cpu"
    assert '"export"' in (out / "anchor_sam.history.jsonl").read_text()
    lg2r = cards["linegraph2road_hiera_pico_1m"]
    assert lg2r["training"]["steps"] >= 1 and lg2r["variant"] == "hiera_pico"
    report = json.loads((out / "linegraph2road_hiera_pico_1m.report.json").read_text())
    assert len(report["select_grid"]) == len(gpu_recipe.LG2R_REPORT_T_R) * len(
        gpu_recipe.LG2R_REPORT_EDGE)
    assert lg2r["inference_defaults"]["t_r"] == report["chosen_on_select"]["t_r"]
    # its report and thresholds use its own road mask, so its card names no road mask model
    assert "road_mask_model" not in lg2r["inference_defaults"]
    assert "road_mask_test_time_augmentation" not in lg2r["inference_defaults"]
    assert "google_epfl" in report["report_chosen"]["per_domain"]
    roadgie = cards["roadgie_hiera_pico_1m"]
    assert roadgie["training"]["steps"] >= 1
    assert roadgie["training"]["gpu_recipe"]["init_source"] in ("mixed", "synthetic")
    evaluated = json.loads((out / "roadgie_hiera_pico_1m.report.json").read_text())
    starts = ["scratch"]
    if roadgie["training"]["gpu_recipe"]["init_source"] == "mixed":  # maps in the budget
        starts += ["anchor", "anchor_no_merge"]
        merged = roadgie["report"]["report_split_dice_from_anchor_sam_merged"]
        assert merged["5"] == evaluated["anchor"]["report"]["rounds"]["5"]["dice"]
    assert sorted(evaluated) == sorted(starts)
    for start in starts:
        for split in ("select", "report"):
            assert set(evaluated[start][split]["rounds"]) == {"1", "3", "5"}
            assert evaluated[start][split]["click_consistency"]["n_checks"] > 0
    assert "Dice@5" in (out / "roadgie_hiera_pico_1m.report.md").read_text()
    from backend.train.linegraph2road import load_model_file
    from backend.train.roadgie import load_weights

    load_model_file(out / "linegraph2road_hiera_pico_1m.pt", "hiera_pico")  # strict loads
    load_weights(out / "roadgie_hiera_pico_1m.pt", "hiera_pico")
