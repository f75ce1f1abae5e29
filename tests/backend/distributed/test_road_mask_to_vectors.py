""" "Road mask to vectors" on a real Dask LocalCluster (worker processes): block-border
equality with the in-process job, resume after a cancelled run, a worker killed mid-run,
and bad scheduler options."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from backend.distributed.runners import register_runners
from backend.jobs.road_mask_to_vectors import (
    LAYER_CENTERLINES,
    LAYER_NODES,
    LAYER_POLYGONS,
    RoadMaskToVectorsParams,
    run,
)
from backend.jobs.scheduler_runs import SchedulerError
from backend.runtime.progress import JobCancelled

distributed = pytest.importorskip("distributed")
LAYERS = (LAYER_POLYGONS, LAYER_CENTERLINES, LAYER_NODES)
REPO_ROOT = Path(__file__).resolve().parents[3]


def assert_same_layers(path_a, path_b):
    for layer in LAYERS:
        a, b = gpd.read_file(path_a, layer=layer), gpd.read_file(path_b, layer=layer)
        assert len(a) == len(b) > 0, layer
        assert list(a.columns) == list(b.columns)
        for column in a.columns.drop("geometry"):
            np.testing.assert_allclose(a[column], b[column], rtol=0, atol=1e-9)
        assert shapely.equals_exact(a.geometry.values, b.geometry.values, 1e-6).all(), layer
        assert a.crs == b.crs


def _params(raster, out, tile_px, **extra):
    return RoadMaskToVectorsParams(
        raster_path=str(raster), output_path=str(out), tile_size_px=tile_px, **extra
    )


def test_utm_fixture_equals_in_process(data_dir, tmp_path, scheduler):
    raster = data_dir / "roads_utm33n.tif"
    run(_params(raster, tmp_path / "local.gpkg", 64, prune_spur_length_m=5.0))
    result = run(
        _params(raster, tmp_path / "dask.gpkg", 64, prune_spur_length_m=5.0, scheduler=scheduler)
    )
    summary = result["summary"]
    assert summary["blocks"] == 12 and summary["blocks_computed"] == 12
    assert summary["workers"] == 2
    assert_same_layers(tmp_path / "local.gpkg", tmp_path / "dask.gpkg")
    # The manifest and block files are gone once the output is published.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dask.gpkg", "local.gpkg"]


def test_real_spacenet_mask_equals_in_process(shared_data, tmp_path, scheduler):
    raster = shared_data / "roads/spacenet_vegas_pan/roadmask_partial.tif"
    run(_params(raster, tmp_path / "local.gpkg", 256))
    progress = []
    result = run(
        _params(raster, tmp_path / "dask.gpkg", 256, scheduler=scheduler),
        lambda percent, message="": progress.append(percent),
    )
    assert result["summary"]["blocks"] == 36
    assert progress == sorted(progress) and progress[-1] >= 95.0
    assert_same_layers(tmp_path / "local.gpkg", tmp_path / "dask.gpkg")


def test_cancelled_run_resumes_with_fewer_blocks(shared_data, tmp_path, scheduler):
    raster = shared_data / "roads/spacenet_vegas_pan/roadmask_partial.tif"
    out = tmp_path / "dask.gpkg"
    run(_params(raster, tmp_path / "local.gpkg", 256))
    seen = []

    def cancel_after_8_blocks(percent, message=""):
        seen.append(message)
        if sum(m.startswith("Vectorised block") for m in seen) >= 8:
            raise JobCancelled()

    with pytest.raises(JobCancelled):
        run(_params(raster, out, 256, scheduler=scheduler), cancel_after_8_blocks)
    assert not out.exists()
    manifest = json.loads((tmp_path / "dask.gpkg.blocks.json").read_text())
    assert manifest["n_blocks"] == 36 and 8 <= len(manifest["done"]) < 36
    # Another parameter set does not reuse these blocks (and does not disturb them).
    other = tmp_path / "other.gpkg"
    changed = run(_params(raster, other, 256, threshold=0.6, scheduler=scheduler))
    assert changed["summary"]["blocks_reused"] == 0

    result = run(_params(raster, out, 256, scheduler=scheduler))
    summary = result["summary"]
    assert summary["blocks_reused"] == len(manifest["done"])
    assert summary["blocks_computed"] == 36 - len(manifest["done"])
    assert_same_layers(tmp_path / "local.gpkg", out)
    assert not (tmp_path / "dask.gpkg.blocks.json").exists()
    assert not (tmp_path / "dask.gpkg.blocks").exists()


def test_killed_worker_gives_the_uninterrupted_result(shared_data, tmp_path, scheduler):
    raster = shared_data / "roads/spacenet_vegas_pan/roadmask_partial.tif"
    run(_params(raster, tmp_path / "local.gpkg", 128))
    with distributed.Client(scheduler) as client:
        pids = sorted(client.run(os.getpid).values())
    assert len(pids) == 2
    killed = []

    def kill_a_worker_once(percent, message=""):
        if message.startswith("Vectorised block") and not killed:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    result = run(_params(raster, tmp_path / "dask.gpkg", 128, scheduler=scheduler),
                 kill_a_worker_once)  # fmt: skip
    assert killed and result["summary"]["blocks"] == 121
    assert_same_layers(tmp_path / "local.gpkg", tmp_path / "dask.gpkg")
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)


def test_unreachable_scheduler_fails_fast_and_writes_nothing(data_dir, tmp_path):
    register_runners()
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = tmp_path / "out.gpkg"
    start = time.monotonic()
    with pytest.raises(
        SchedulerError, match=f"No Dask scheduler answered at tcp://127.0.0.1:{port}"
    ):
        run(_params(data_dir / "roads_utm33n.tif", out, 64, scheduler=f"tcp://127.0.0.1:{port}"))
    assert time.monotonic() - start < 20
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("bad", ["local:0", "local", "local:x", "two words", "http://a/b"])
def test_malformed_scheduler_is_refused_at_submission(data_dir, tmp_path, bad):
    register_runners()
    with pytest.raises(SchedulerError, match="scheduler"):
        run(_params(data_dir / "roads_utm33n.tif", tmp_path / "o.gpkg", 64, scheduler=bad))
    assert list(tmp_path.iterdir()) == []


def test_command_line_local_2_equals_in_process(data_dir, tmp_path):
    raster = data_dir / "roads_utm33n.tif"
    run(_params(raster, tmp_path / "local.gpkg", 64))
    out = tmp_path / "cli.gpkg"
    command = [sys.executable, "-m", "backend", "run", "road-mask-to-vectors",
               "--raster-path", str(raster), "--output-path", str(out),
               "--tile-size-px", "64", "--scheduler", "local:2"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Dask dashboard: http://" in done.stderr
    summary = json.loads(done.stdout)["summary"]
    assert summary["workers"] == 2 and summary["blocks"] == 12
    assert_same_layers(tmp_path / "local.gpkg", out)


def test_service_job_reports_block_progress(shared_data, tmp_path, scheduler):
    from backend.jobs.manager import JobManager, JobState

    raster = shared_data / "roads/spacenet_vegas_pan/roadmask_partial.tif"
    manager = JobManager()
    try:
        job = manager.create(
            "road_mask_to_vectors",
            {"raster_path": str(raster), "output_path": str(tmp_path / "svc.gpkg"),
             "tile_size_px": 256, "scheduler": scheduler},
        )  # fmt: skip
        messages = set()
        while job.state not in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED):
            messages.add(job.message)
            time.sleep(0.05)
        assert job.state == JobState.SUCCEEDED, job.error
        assert any(m.startswith("Vectorised block") for m in messages)
        assert job.result["summary"]["blocks"] == 36
    finally:
        manager.shutdown()
