"""The "Road mask to vectors" job on a Dask cluster.

Blocks are the job's own core tiles with their halo (``tile_size_px``, ``halo_px``): one
task per block reads only its window of the raster and returns its pieces (polygons in
raster pixels, split into finished and border-cut ones, and centerline pieces), encoded as
bytes. The client records each block in the resume manifest as it arrives, then runs the
job's reduction (:func:`backend.jobs.road_mask_to_vectors.assemble_layers`: border polygons
unioned, centerline graph built and pruned) over the blocks in tile order, so the result is
the in-process job's, feature for feature, and writes it through ``JobOutputs``.

Workers must see the raster at the same path as the client (a shared file system).
Peak memory per worker: one block, about (tile_size_px + 2 halo_px)^2 x ~14 bytes (float32
values, bool masks, skeleton and labels), plus the worker's ~150 MB of Python; it does not
grow with the raster.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import shapely

from backend.distributed.cluster import connect, with_absolute_paths
from backend.distributed.manifest import BlockManifest, run_key
from backend.geo.outputs import JobOutputs
from backend.geo.raster import open_raster, raster_info, unit_scale_divisor
from backend.geo.vectorize import GraphPiece
from backend.geo.windows import CoreTile
from backend.jobs.road_mask_to_vectors import (
    KIND,
    SCENE_RESAMPLING,
    BlockPieces,
    RoadMaskToVectorsParams,
    assemble_layers,
    block_tiles,
    validate,
    vectorise_block,
)
from backend.jobs.scenes import mosaic_folder, mosaic_input, remove_mosaic_folder, scene_paths
from backend.runtime.progress import Progress, no_progress


def _pack_geoms(geoms) -> tuple[np.ndarray, np.ndarray]:
    wkb = shapely.to_wkb(np.asarray(geoms, dtype=object)) if geoms else []
    offsets = np.cumsum([0] + [len(w) for w in wkb]).astype(np.int64)
    data = np.frombuffer(b"".join(wkb), dtype=np.uint8)
    return data, offsets


def _unpack_geoms(data: np.ndarray, offsets: np.ndarray) -> list:
    raw = data.tobytes()
    return [shapely.from_wkb(raw[a:b]) for a, b in zip(offsets[:-1], offsets[1:], strict=True)]


def encode_block(block: BlockPieces) -> bytes:
    """A block's pieces as ``.npz`` bytes (WKB polygons, pixel paths), exact to the bit."""
    fin, fin_off = _pack_geoms(block.finished)
    bor, bor_off = _pack_geoms(block.border)
    uv = np.array([(*p.u, *p.v) for p in block.pieces], dtype=np.int64).reshape(-1, 4)
    paths = [np.asarray(p.path_xy_px, dtype=np.float64).reshape(-1, 2) for p in block.pieces]
    path_off = np.cumsum([0] + [len(p) for p in paths]).astype(np.int64)
    path_xy = np.concatenate(paths) if paths else np.zeros((0, 2), np.float64)
    buf = io.BytesIO()
    np.savez(
        buf, fin=fin, fin_off=fin_off, bor=bor, bor_off=bor_off, uv=uv, path_off=path_off,
        path_xy=path_xy,
    )  # fmt: skip
    return buf.getvalue()


def decode_block(data: bytes) -> BlockPieces:
    """Inverse of :func:`encode_block` (no pickle: plain arrays only)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        path_off, path_xy, uv = z["path_off"], z["path_xy"], z["uv"]
        pieces = [
            GraphPiece(
                (int(row[0]), int(row[1])),
                (int(row[2]), int(row[3])),
                path_xy[path_off[k] : path_off[k + 1]],
            )
            for k, row in enumerate(uv)
        ]
        return BlockPieces(
            _unpack_geoms(z["fin"], z["fin_off"]), _unpack_geoms(z["bor"], z["bor_off"]), pieces
        )


def block_task(params_json: dict, tile: CoreTile, divisor: float) -> bytes:
    """One Dask task: vectorise one block, reading only its window. Runs on a worker."""
    params = RoadMaskToVectorsParams.model_validate(params_json)
    with open_raster(params.raster_path) as dataset:
        return encode_block(vectorise_block(dataset, params, tile, divisor))


def run_distributed(params: RoadMaskToVectorsParams, report: Progress = no_progress) -> dict:
    """Run the job on the cluster named by ``params.scheduler``.

    Progress: 0..80 % while blocks finish (blocks reused from the manifest count at once),
    then the reduction and the write as in the in-process job.

    Returns:
        As the in-process job; ``summary`` adds ``blocks``, ``blocks_computed``,
        ``blocks_reused``, ``workers`` and ``dashboard``.

    Raises:
        SchedulerError: bad option or unreachable scheduler (nothing written).
        RasterInputError, OutputPathError, ValueError, OutputWriteError: as the job.
        JobCancelled: from ``report``; finished blocks stay in the manifest for a rerun.
    """
    validate(params)
    params = with_absolute_paths(params)
    # Keyed by the scenes (and target CRS), not by the mosaic VRT rebuilt for each run.
    key = run_key(params, scene_paths(params))
    n_scenes = len(scene_paths(params))
    folder = mosaic_folder(params.output_path)
    with mosaic_input(params, folder, SCENE_RESAMPLING) as mosaic:
        params = mosaic
    with open_raster(params.raster_path) as dataset:
        info = raster_info(dataset)
        divisor = unit_scale_divisor(dataset, params.band)
        transform = dataset.transform
        tiles = block_tiles(params, dataset.width, dataset.height)
    with connect(params.scheduler or "") as conn:
        link = conn.dashboard_link
        print(f"Dask dashboard: {link or '(none)'}", file=sys.stderr, flush=True)
        manifest = BlockManifest(params.output_path, key, len(tiles))
        reused = len(manifest.done)
        report(
            80.0 * reused / len(tiles),
            f"{len(tiles)} blocks ({reused} done before) on {conn.n_workers} Dask workers; "
            f"dashboard {link}",
        )
        try:
            computed = _compute_blocks(conn.client, params, tiles, divisor, manifest, report)
        finally:
            manifest.save()
    blocks = [decode_block(manifest.read_block(i)) for i in range(len(tiles))]
    layers, summary = assemble_layers(params, info, transform, blocks, report)
    summary.update(
        blocks=len(tiles),
        blocks_computed=computed,
        blocks_reused=reused,
        n_scenes=n_scenes,
        workers=conn.n_workers,
        dashboard=link,
    )
    report(95.0, "Writing the GeoPackage")
    with JobOutputs() as outputs:
        outputs.stage_gpkg(params.output_path, layers, mode=params.output_mode)
        outputs.publish(report)
    manifest.remove()
    remove_mosaic_folder(params.output_path)
    return {"outputs": {"gpkg": str(Path(params.output_path))}, "summary": summary}


def _compute_blocks(client, params, tiles, divisor, manifest, report) -> int:
    """Submit the blocks the manifest lacks, record them as they finish; the count done."""
    from distributed import as_completed

    params_json = params.model_dump(mode="json")
    todo = [i for i in range(len(tiles)) if i not in manifest.done]
    futures = {
        client.submit(
            block_task, params_json, tiles[i], divisor, key=f"{KIND}-{manifest.key[:16]}-{i}"
        ): i
        for i in todo
    }
    computed = 0
    try:
        for future in as_completed(futures):
            index = futures[future]
            manifest.record(index, future.result())
            future.release()
            computed += 1
            done = len(manifest.done)
            report(80.0 * done / len(tiles), f"Vectorised block {done}/{len(tiles)}")
    finally:
        pending = [f for f in futures if not f.done()]
        if pending:
            client.cancel(pending)
    return computed
