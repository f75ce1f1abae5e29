"""No lost data (issue 15): full disks, cancels at every progress step, outputs that would
overwrite inputs, GeoPackages that hold other layers, temporary files of a killed backend.

Disk-full cases mount a small tmpfs (root only; skipped with the reason otherwise).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import rasterio
from shapely.geometry import Point

from backend.geo.outputs import (
    TEMP_PREFIX,
    JobOutputs,
    OutputPathError,
    configure_output_journal,
    remove_stale_temp_files,
)
from backend.jobs import evaluate_road_graph, import_box_annotations, road_mask_to_vectors
from backend.jobs.manager import Job, JobInputError, JobManager
from backend.runtime.progress import JobCancelled

REPO = Path(__file__).resolve().parents[3]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX))


@contextlib.contextmanager
def _tmpfs(path: Path, size_kb: int):
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip()}); needs root")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _fill(folder: Path, leave_bytes: int) -> None:
    """Fill ``folder``'s file system until about ``leave_bytes`` are free."""
    free = shutil.disk_usage(folder).free
    with open(folder / "filler.bin", "wb") as filler:
        with contextlib.suppress(OSError):
            filler.write(b"\0" * max(0, free - leave_bytes))


def _points(n: int) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {"v": np.arange(n)}, geometry=[Point(i, i) for i in range(n)], crs="EPSG:32633"
    )
    frame.attrs["geometry_type"] = "Point"
    return frame


def _mask_params(data_dir: Path, out: Path, **kw) -> road_mask_to_vectors.RoadMaskToVectorsParams:
    return road_mask_to_vectors.RoadMaskToVectorsParams(
        raster_path=str(data_dir / "roads_utm33n.tif"), output_path=str(out), **kw
    )


# --------------------------------------------------------------------------- full disk


def test_full_disk_never_replaces_a_valid_geopackage(tmp_path):
    # Case 1: on a nearly full disk the write fails or reads back broken; either way the
    # user's GeoPackage stays as it was and no temporary file is left.
    with _tmpfs(tmp_path / "fs", 512) as fs:
        users = fs / "mine.gpkg"
        _points(3).to_file(users, layer="mine", driver="GPKG", engine="pyogrio")
        before = users.read_bytes()
        _fill(fs, 8 * 1024)
        with pytest.raises(OSError), JobOutputs() as outputs:
            outputs.stage_gpkg(users, {"ours": _points(2000)}, mode="replace")
            outputs.publish(lambda *a: None)
        assert users.read_bytes() == before
        assert _leftovers(fs) == []


def test_full_disk_is_refused_at_submission_and_named_during_the_job(data_dir, tmp_path):
    manager = JobManager()
    try:
        with _tmpfs(tmp_path / "small", 1024) as small:
            with pytest.raises(JobInputError, match=f"Not enough free disk space in {small}"):
                manager.create(
                    "road_mask_to_vectors",
                    _mask_params(data_dir, small / "roads.gpkg").model_dump(),
                )
        # Room at submission, then the disk fills up while the job runs: the job's own
        # progress report fills it just before the outputs are written (deterministic).
        with _tmpfs(tmp_path / "fs", 24 * 1024) as fs:
            params = _mask_params(data_dir, fs / "roads.gpkg")
            road_mask_to_vectors.validate(params)

            def fill_before_writing(percent, message=""):
                if message.startswith("Writing"):
                    _fill(fs, 4 * 1024)

            with pytest.raises(Exception) as failure:
                road_mask_to_vectors.run(params, fill_before_writing)
            job = Job(job_id="j1", kind="road_mask_to_vectors", params=params)
            error = JobManager._error_text(job, failure.value)
            assert error.startswith(f"Not enough free disk space in {fs}"), error
            assert "Traceback" not in error
            assert not (fs / "roads.gpkg").exists() and _leftovers(fs) == []
    finally:
        manager.shutdown()


# --------------------------------------------------------------------------- inputs


def test_output_is_never_an_input(data_dir, tmp_path):
    # Case 2: a road mask kept as a GeoPackage raster, the vectors asked into the same file.
    project = tmp_path / "project.gpkg"
    with rasterio.open(data_dir / "roads_utm33n.tif") as src:
        profile = src.profile | {"driver": "GPKG", "RASTER_TABLE": "road_mask"}
        profile.pop("blockxsize", None), profile.pop("blockysize", None), profile.pop("tiled", None)
        data = src.read()
    with rasterio.open(project, "w", **profile) as out:
        out.write(data)
    with rasterio.open(project) as stored:  # GPKG stores tiles as RGBA: compare band 1
        data = stored.read()
    replace = _mask_params(data_dir, project, output_mode="replace")
    replace = replace.model_copy(update={"raster_path": str(project)})
    with pytest.raises(OutputPathError, match="is an input of this job"):
        road_mask_to_vectors.validate(replace)
    # "add" writes our layers next to the raster, which stays readable and unchanged.
    road_mask_to_vectors.run(replace.model_copy(update={"output_mode": "add"}))
    with rasterio.open(project) as again:
        np.testing.assert_array_equal(again.read(1), data[0])
    layers = {row[0] for row in pyogrio.list_layers(project)}
    assert {"road_polygons", "road_centerlines", "road_nodes"} <= layers
    # A probability GeoTIFF cannot be written onto its input raster.
    pytest.importorskip("sam2")
    from backend.jobs import segment_roads

    onto_input = segment_roads.SegmentRoadsParams(
        raster_path=str(data_dir / "rgb_uint16_alpha.tif"),
        probability_path=str(data_dir / "rgb_uint16_alpha.tif"),
        output_path=str(tmp_path / "roads.gpkg"), device="cpu",
    )
    with pytest.raises(OutputPathError, match="is an input of this job"):
        segment_roads.validate(onto_input)


def test_existing_geopackage_keeps_its_other_layers(data_dir, tmp_path):
    out = tmp_path / "work.gpkg"
    _points(4).to_file(out, layer="my_notes", driver="GPKG", engine="pyogrio")
    road_mask_to_vectors.run(_mask_params(data_dir, out))  # default: add
    layers = {row[0] for row in pyogrio.list_layers(out)}
    assert layers == {"my_notes", "road_polygons", "road_centerlines", "road_nodes"}
    assert pyogrio.read_info(out, layer="my_notes")["features"] == 4
    road_mask_to_vectors.run(_mask_params(data_dir, out, output_mode="replace", centerlines=False))
    assert {row[0] for row in pyogrio.list_layers(out)} == {"road_polygons"}


# --------------------------------------------------------------------------- cancel


def _cancel_everywhere(run, params, outputs: list[Path]) -> int:
    """Cancel ``run`` at each of its progress reports in turn; nothing may be published
    before the last report, everything after it. Returns the number of reports."""
    folder = outputs[0].parent
    seen_outputs = []

    def counting(percent, message=""):
        seen_outputs.append(any(p.exists() for p in outputs))

    run(params, counting)
    n_reports = len(seen_outputs)
    # Outputs appear only after the last report (the last cancel point).
    assert not any(seen_outputs) and all(p.exists() for p in outputs)
    for p in outputs:
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    for k in range(n_reports):
        calls = []

        def cancel_at_k(percent, message="", calls=calls, k=k):
            calls.append(percent)
            if len(calls) > k:
                raise JobCancelled()

        with pytest.raises(JobCancelled):
            run(params, cancel_at_k)
        assert [p for p in outputs if p.exists()] == [], f"cancel at report {k + 1}"
        assert _leftovers(folder) == [], f"cancel at report {k + 1}"
    return n_reports


def test_cancel_at_every_step_road_mask_to_vectors(data_dir, tmp_path):
    out = tmp_path / "roads.gpkg"
    params = _mask_params(data_dir, out, tile_size_px=128, halo_px=16)
    assert _cancel_everywhere(road_mask_to_vectors.run, params, [out]) > 5


def test_cancel_at_every_step_segment_roads(data_dir, tmp_path):
    pytest.importorskip("sam2")
    from backend.jobs import segment_roads

    tif, gpkg = tmp_path / "prob.tif", tmp_path / "roads.gpkg"
    params = segment_roads.SegmentRoadsParams(
        raster_path=str(data_dir / "roads_utm33n.tif"), probability_path=str(tif),
        output_path=str(gpkg), device="cpu", tile_px=64, overlap_px=16, centerlines=True,
    )
    assert _cancel_everywhere(segment_roads.run, params, [tif, gpkg]) > 5


def test_cancel_at_every_step_extract_road_graph(data_dir, tmp_path):
    from backend.jobs import extract_road_graph as extract

    gpkg = tmp_path / "graph.gpkg"
    params = extract.ExtractRoadGraphParams(
        raster_path=str(data_dir / "rgb_uint16_alpha.tif"), output_path=str(gpkg), device="cpu",
        bands=[1, 2, 3],
    )
    assert _cancel_everywhere(extract.run, params, [gpkg]) >= 4


def test_cancel_at_every_step_evaluate_and_import(shared_data, tmp_path):
    base = shared_data / "roads/spacenet_vegas_pan"
    report = tmp_path / "report.json"
    params = evaluate_road_graph.EvaluateRoadGraphParams(
        ground_truth_path=str(base / "centerlines_partial.geojson"),
        proposal_path=str(shared_data / "apls_reference/prop_d_spurious_added.geojson"),
        report_path=str(report),
    )
    assert _cancel_everywhere(evaluate_road_graph.run, params, [report]) >= 2
    boxes = tmp_path / "boxes.gpkg"
    params = import_box_annotations.ImportBoxAnnotationsParams(
        annotation_path=str(shared_data / "boxes/dota/P1888.txt"),
        raster_path=str(shared_data / "boxes/dota/P1888.png"),
        output_path=str(boxes),
    )
    assert _cancel_everywhere(import_box_annotations.run, params, [boxes]) >= 2


def test_cancel_at_every_step_box_to_mask(utm_raster, sam2_checkpoint, tmp_path):
    from shapely.geometry import box

    from backend.jobs import box_to_mask

    boxes = tmp_path / "boxes.gpkg"
    with rasterio.open(utm_raster) as ds:
        t = ds.transform
    frame = gpd.GeoDataFrame(
        {"class": ["car"], "box_id": [1]},
        geometry=[box(*(t * (50, 90)), *(t * (130, 40)))],
        crs="EPSG:32633",
    )
    frame.to_file(boxes, layer="boxes", driver="GPKG", engine="pyogrio")
    out, labels, dataset = tmp_path / "masks.gpkg", tmp_path / "labels.tif", tmp_path / "ds"
    params = box_to_mask.BoxToMaskParams(
        raster_path=str(utm_raster), boxes_path=str(boxes), class_field="class",
        id_field="box_id", output_path=str(out), model="sam2.1_hiera_t",
        checkpoint=str(sam2_checkpoint), device="cpu", label_raster_path=str(labels),
        dataset_dir=str(dataset), dataset_crop_px=128,
    )
    assert _cancel_everywhere(box_to_mask.run, params, [out, labels, dataset]) >= 4


# --------------------------------------------------------------------------- killed backend


def test_temporary_files_of_a_killed_backend_are_removed_at_the_next_start(tmp_path):
    # Case 5: kill -9 in the middle of writing leaves a .part file; the next start removes
    # it (it knows the folder from the journal), files of running backends stay.
    state, outputs = tmp_path / "state", tmp_path / "outputs"
    state.mkdir(), outputs.mkdir()
    script = textwrap.dedent(
        f"""
        import os, signal
        from backend.geo.outputs import JobOutputs, configure_output_journal
        configure_output_journal({str(state)!r})
        outputs = JobOutputs()
        tmp = outputs.stage_geotiff({str(outputs / "prob.tif")!r}, width=1, height=1, count=1)
        tmp.write_bytes(b"x" * 4096)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    killed = subprocess.run([sys.executable, "-c", script], cwd=REPO)
    assert killed.returncode == -signal.SIGKILL
    assert len(_leftovers(outputs)) == 1
    ours = outputs / f"{TEMP_PREFIX}{os.getpid()}-abcd1234-x.part.gpkg"
    ours.write_bytes(b"in use")
    configure_output_journal(state)
    try:
        removed = remove_stale_temp_files()
    finally:
        configure_output_journal(None)
    assert [p.name for p in removed] != [] and _leftovers(outputs) == [ours.name]


# --------------------------------------------------------------------------- errors, size


def test_unreadable_rasters_name_the_cause_before_the_crs(data_dir, tmp_path):
    # Case 6: a truncated GeoTIFF keeps GDAL's own message; a file cut to 300 bytes is
    # "not a raster", not "no coordinate reference system".
    from rasterio.shutil import copy

    from backend.geo.raster import RasterInputError, open_raster

    cog = tmp_path / "cog.tif"
    copy(data_dir / "rgb_uint16_alpha.tif", cog, driver="COG")
    truncated = tmp_path / "truncated.tif"
    truncated.write_bytes(cog.read_bytes()[: cog.stat().st_size // 2])
    with pytest.raises(RasterInputError, match=r"truncated or unreadable: .*TIFF"):
        open_raster(truncated)
    cut = tmp_path / "cut.tif"
    cut.write_bytes((data_dir / "roads_utm33n.tif").read_bytes()[:300])
    with pytest.raises(RasterInputError) as err:
        open_raster(cut)
    assert "coordinate reference system" not in str(err.value)
    assert "is not a raster GDAL can read" in str(err.value) or "truncated" in str(err.value)


def test_huge_rasters_and_too_fine_gsd_are_refused_up_front(data_dir, tmp_path):
    # Case 4: a 200000 x 200000 px VRT (0.5 m) is 10000 Mpx at the model's 1 m: refused
    # with the numbers unless the user raises the limit; a GSD 100x finer than the raster
    # is refused too. Nothing is read beyond two blocks.
    from backend.jobs import extract_road_graph as extract

    with rasterio.open(data_dir / "roads_utm33n.tif") as src:
        t, crs = src.transform, src.crs.to_wkt()
    src_path = data_dir / "rgb_uint16_alpha.tif"
    bands = "".join(
        f'<VRTRasterBand dataType="UInt16" band="{b}"><SimpleSource>'
        f'<SourceFilename relativeToVRT="0">{src_path}</SourceFilename><SourceBand>{b}'
        '</SourceBand><SrcRect xOff="0" yOff="0" xSize="64" ySize="64"/>'
        '<DstRect xOff="0" yOff="0" xSize="64" ySize="64"/></SimpleSource></VRTRasterBand>'
        for b in (1, 2, 3)
    )
    srs = crs.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    vrt = tmp_path / "huge.vrt"
    vrt.write_text(
        f'<VRTDataset rasterXSize="200000" rasterYSize="200000"><SRS>{srs}</SRS>'
        f"<GeoTransform>{t.c}, 0.5, 0, {t.f}, 0, -0.5</GeoTransform>{bands}</VRTDataset>"
    )
    params = extract.ExtractRoadGraphParams(
        raster_path=str(vrt), output_path=str(tmp_path / "g.gpkg"), device="cpu"
    )
    with pytest.raises(ValueError, match=r"10000 million pixels at 1 m.*max_model_megapixels"):
        extract.validate(params)
    extract.validate(params.model_copy(update={"max_model_megapixels": 20000}))
    fine = params.model_copy(update={"raster_path": str(data_dir / "rgb_uint16_alpha.tif"),
                                     "gsd_m": 0.001})
    with pytest.raises(ValueError, match="upsample"):
        extract.validate(fine)


def test_internal_errors_carry_no_traceback(caplog, tmp_path):
    manager = JobManager()
    try:
        job = manager.create(
            "road_mask_to_vectors",
            {"raster_path": str(REPO / "tests/backend/data/roads_utm33n.tif"),
             "output_path": str(tmp_path / "roads.gpkg")},
        )
        manager.wait(job.job_id, timeout_s=60)
        text = JobManager._error_text(job, KeyError("boom"))
    finally:
        manager.shutdown()
    assert text.startswith("Internal error in road_mask_to_vectors (KeyError")
    assert job.job_id in text and "Traceback" not in text
    assert any(job.job_id in r.getMessage() for r in caplog.records)
