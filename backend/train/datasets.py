"""Training data sources shared by the training command lines (LineGraph2Road, Anchor-SAM).

Layouts found by :func:`discover_samples` in one folder:

* image/label folders (Massachusetts layout ``images/NAME.jpg`` + ``labels/NAME.png``, or
  both in one folder) and DeepGlobe (``NAME_sat.jpg`` + ``NAME_mask.png``);
* GeoTIFF + vector centerlines with the same stem (``NAME.tif`` + ``NAME.geojson`` / ``.gpkg``
  / ``.shp``);
* Sat2Graph-style pickles (``NAME_sat.png`` + ``NAME_graph_gt.pickle`` or ``NAME_gt_graph.p``).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".tif", ".tiff")
VECTOR_EXTENSIONS = (".geojson", ".gpkg", ".shp", ".json")
LABEL_KINDS = ("centerline_mask", "vector", "adjacency_pickle")


# --- data sources --------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleSource:
    """One training image and its ground truth.

    Attributes:
        key: unique name (image file stem), used for cache files and reports.
        image_path: RGB image (JPEG/PNG/GeoTIFF).
        label_path: label mask, vector file or adjacency pickle.
        label_kind: one of :data:`LABEL_KINDS`.
    """

    key: str
    image_path: Path
    label_path: Path
    label_kind: str


def split_patterns(text: str) -> tuple[str, ...]:
    """Comma-separated command-line patterns (``"tr_*, va_*"``) -> ``("tr_*", "va_*")``."""
    return tuple(p.strip() for p in text.split(",") if p.strip())


def _first_existing(stem_path: Path, extensions: Sequence[str]) -> Path | None:
    for ext in extensions:
        candidate = stem_path.with_name(stem_path.name + ext)
        if candidate.is_file():
            return candidate
    return None


def discover_samples(
    root: str | os.PathLike[str],
    include: Sequence[str] = ("*",),
    exclude: Sequence[str] = (),
) -> list[SampleSource]:
    """Find image/ground-truth pairs in a folder (layouts in the module docstring).

    Args:
        root: dataset folder.
        include: fnmatch patterns on the image file name or its stem; a pair is used when
            one matches (e.g. ``("tr_*", "va_*")`` or ``("te_img-1",)``).
        exclude: patterns (same matching) that drop a pair.

    Returns:
        Pairs sorted by key.

    Raises:
        ValueError: the folder does not exist or no pair matched.
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"dataset folder {root} does not exist")
    image_dir = root / "images" if (root / "images").is_dir() else root
    label_dir = root / "labels" if (root / "labels").is_dir() else root
    found: dict[str, SampleSource] = {}
    for image_path in sorted(image_dir.iterdir()):
        name = image_path.name
        if image_path.suffix.lower() not in IMAGE_EXTENSIONS or not image_path.is_file():
            continue
        names = (name, image_path.stem)
        if not any(fnmatch.fnmatch(n, p) for n in names for p in include) or any(
            fnmatch.fnmatch(n, p) for n in names for p in exclude
        ):
            continue
        stem = image_path.stem
        source = None
        if stem.endswith("_sat"):
            base = stem.removesuffix("_sat")
            pickle_path = _first_existing(label_dir / base, ("_graph_gt.pickle", "_gt_graph.p"))
            mask_path = _first_existing(label_dir / f"{base}_mask", (".png", ".tif", ".tiff"))
            if pickle_path is not None:
                source = SampleSource(stem, image_path, pickle_path, "adjacency_pickle")
            elif mask_path is not None:
                source = SampleSource(stem, image_path, mask_path, "centerline_mask")
        else:
            vector_path = _first_existing(label_dir / stem, VECTOR_EXTENSIONS)
            is_geotiff = image_path.suffix.lower() in (".tif", ".tiff")
            mask_path = _first_existing(label_dir / stem, (".png", ".tif", ".tiff"))
            if is_geotiff and vector_path is not None:
                source = SampleSource(stem, image_path, vector_path, "vector")
            elif mask_path is not None and mask_path != image_path:
                source = SampleSource(stem, image_path, mask_path, "centerline_mask")
        if source is not None:
            found[source.key] = source
    if not found:
        raise ValueError(
            f"no image/ground-truth pairs in {root} matching {list(include)}; expected "
            "images/NAME.jpg + labels/NAME.png, NAME_sat.jpg + NAME_mask.png, NAME.tif + "
            "NAME.geojson, or NAME_sat.png + NAME_graph_gt.pickle"
        )
    return [found[k] for k in sorted(found)]


def read_rgb_uint8(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image as ``(H, W, 3)`` uint8 RGB.

    GeoTIFFs are read with rasterio (bands 1-3; one band is repeated; non-uint8 data are
    stretched from the 2nd to the 98th percentile). Other formats go through Pillow.

    Raises:
        ValueError: unreadable file.
    """
    path = Path(path)
    if path.suffix.lower() in (".tif", ".tiff"):
        import rasterio

        with rasterio.open(path) as src:
            bands = list(range(1, min(src.count, 3) + 1))
            data = src.read(bands)
        if data.shape[0] == 1:
            data = np.repeat(data, 3, axis=0)
        if data.dtype != np.uint8:
            lo, hi = np.percentile(data, (2, 98))
            data = np.clip((data - lo) / max(hi - lo, 1e-6) * 255.0, 0, 255).astype(np.uint8)
        return np.ascontiguousarray(data.transpose(1, 2, 0))
    from PIL import Image

    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    except OSError as exc:
        raise ValueError(f"cannot read image {path}: {exc}") from exc


def read_road_mask(
    source: SampleSource, shape_hw: tuple[int, int], line_width_px: float = 5.0
) -> np.ndarray:
    """Binary road label of a sample, ``(H, W)`` bool in its image's pixel frame.

    Label masks are thresholded at 128. Vector centerlines are reprojected to the GeoTIFF's
    CRS and rasterised ``line_width_px`` wide (buffered by half the width in map units).

    Raises:
        ValueError: a label whose size differs from the image, a vector file that cannot be
            read or placed, or a pickle graph (no road surface to learn from).
    """
    if source.label_kind == "centerline_mask":
        from PIL import Image

        with Image.open(source.label_path) as im:
            mask = np.asarray(im.convert("L")) > 127
        if mask.shape != tuple(shape_hw):
            raise ValueError(
                f"label {source.label_path} is {mask.shape}, image is {tuple(shape_hw)}"
            )
        return mask
    if source.label_kind == "vector":
        import geopandas as gpd
        import rasterio
        from rasterio.features import rasterize

        with rasterio.open(source.image_path) as src:
            if src.crs is None:
                raise ValueError(f"{source.image_path} has no CRS to place {source.label_path}")
            transform, crs = src.transform, src.crs
        lines = gpd.read_file(source.label_path)
        if lines.crs is None:
            raise ValueError(f"{source.label_path} has no CRS")
        lines = lines.to_crs(crs)
        half_width = 0.5 * line_width_px * max(abs(transform.a), abs(transform.e))
        shapes = [g.buffer(half_width) for g in lines.geometry if g is not None and not g.is_empty]
        if not shapes:
            return np.zeros(shape_hw, dtype=bool)
        return rasterize(shapes, out_shape=shape_hw, transform=transform, dtype="uint8") > 0
    raise ValueError(
        f"{source.label_path} is a {source.label_kind} label: segmentation training needs "
        "label masks or vector centerlines"
    )


def read_pair(source: SampleSource, line_width_px: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    """A sample's ``(image (H, W, 3) uint8 RGB, road label (H, W) bool)``.

    Raises:
        ValueError: see :func:`read_rgb_uint8` and :func:`read_road_mask`.
    """
    image = read_rgb_uint8(source.image_path)
    return image, read_road_mask(source, image.shape[:2], line_width_px)
