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
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
        if source is None:  # also NAME_sat.png + labels/NAME_sat.png (write_domain_set_at_gsd)
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


# --- the multi-domain road set (issue 10, item 1) --------------------------------------------

#: Split names: ``train`` is trained on; ``select`` chooses checkpoints and thresholds;
#: ``report`` is only ever scored (never used to choose anything).
SPLITS = ("train", "select", "report")
#: Label kinds of the multi-domain set: a line mask rasterised from centerlines (about
#: road-width strips), a road-surface mask, or a partial mask (not every road labelled:
#: unlabelled pixels are unknown, not background).
DOMAIN_LABEL_KINDS = ("line_mask", "surface_mask", "partial_mask")


@dataclass(frozen=True)
class DomainSample:
    """One image (or one window of an image) of the multi-domain set and its split.

    Attributes:
        domain: domain name (e.g. ``"google_epfl"``); metrics are reported per domain.
        key: unique name within the domain (image stem, with ``@west`` / ``@east`` for
            windows of one image).
        image_path: RGB JPEG/PNG or single-band uint16 GeoTIFF.
        label_path: road mask (PNG or GeoTIFF, > 127 = road).
        label_kind: one of :data:`DOMAIN_LABEL_KINDS`.
        gsd_m: ground sample distance of the image in metres per pixel.
        split: one of :data:`SPLITS`.
        window_px: ``(row0, row1, col0, col1)`` of the used part in image pixels, or None
            for the whole image.
        bit_depth: 8 for uint8 RGB; 11 for the SpaceNet uint16 panchromatic band.
        nodata_white: pure white (255, 255, 255) pixels are no-data (Massachusetts).
    """

    domain: str
    key: str
    image_path: Path
    label_path: Path
    label_kind: str
    gsd_m: float
    split: str
    window_px: tuple[int, int, int, int] | None = None
    bit_depth: int = 8
    nodata_white: bool = False

    @property
    def partial(self) -> bool:
        """True when unlabelled pixels are unknown rather than background."""
        return self.label_kind == "partial_mask"


#: Domains of ``shared/data/roads``: folder, GSD in metres, label kind. The EPFL GSD is not
#: documented (0.3-0.6 m); 0.45 m is Google zoom 18 near 40 deg latitude, and the scale
#: jitter of training covers the rest.
ROAD_DOMAINS: dict[str, dict[str, Any]] = {
    "massachusetts": {"folders": ("massachusetts_400", "massachusetts_1500"), "gsd_m": 1.0,
                      "label_kind": "line_mask", "nodata_white": True},
    "google_epfl": {"folders": ("google_epfl_400",), "gsd_m": 0.45, "label_kind": "surface_mask"},
    "deepglobe": {"folders": ("deepglobe_sample",), "gsd_m": 0.5, "label_kind": "surface_mask"},
    "roadnet_ottawa": {"folders": ("roadnet_ottawa",), "gsd_m": 0.21,
                       "label_kind": "surface_mask"},
    "spacenet_vegas_pan": {"folders": ("spacenet_vegas_pan",), "gsd_m": 0.3,
                           "label_kind": "partial_mask", "bit_depth": 11},
}


def _epfl_split(index: int) -> str:
    # Fixed by position in the sorted names: every 5th image (20 %) is reported, every 10th
    # of the rest (10 %) selects checkpoints/thresholds, 70 % are trained on.
    if index % 5 == 4:
        return "report"
    if index % 10 == 2:
        return "select"
    return "train"


def multi_domain_samples(
    roads_root: str | os.PathLike[str], domains: Sequence[str] | None = None
) -> list[DomainSample]:
    """The fixed multi-domain road set with one split per sample (issue 10, item 1).

    Split rules (deterministic, by sorted file name):

    * ``massachusetts`` (1 m, line mask): 400 px crops ``tr_*`` and all 51 1500 px tiles are
      trained on (the tiles may overlap ``tr_*`` crops, so both stay on the training side),
      ``va_*`` selects, ``te_*`` is reported.
    * ``google_epfl`` (about 0.45 m, surface mask): sorted index ``i``: ``i % 5 == 4``
      reported (20 images), ``i % 10 == 2`` selects (10), the other 70 trained on.
    * ``deepglobe`` (0.5 m, surface mask): the last of the 4 tiles (388) reported, 3 trained.
    * ``roadnet_ottawa`` (0.21 m, surface mask): the one image is reported only.
    * ``spacenet_vegas_pan`` (0.3 m, 11-bit pan, partial mask): the west half of the chip
      (columns 0-649) is trained on, the east half (650-1299) reported as recall of
      labelled roads.

    Args:
        roads_root: the ``shared/data/roads`` folder.
        domains: domain names to keep (default: all of :data:`ROAD_DOMAINS`).

    Returns:
        Samples sorted by (domain, key).

    Raises:
        ValueError: an unknown domain name, or a domain folder missing or empty.
    """
    root = Path(roads_root)
    names = list(domains) if domains is not None else list(ROAD_DOMAINS)
    unknown = [n for n in names if n not in ROAD_DOMAINS]
    if unknown:
        raise ValueError(f"unknown road domains {unknown}; choices: {sorted(ROAD_DOMAINS)}")
    out: list[DomainSample] = []
    for name in names:
        spec = ROAD_DOMAINS[name]
        common = {"domain": name, "label_kind": spec["label_kind"], "gsd_m": spec["gsd_m"],
                  "bit_depth": spec.get("bit_depth", 8),
                  "nodata_white": spec.get("nodata_white", False)}
        if name == "massachusetts":
            for s in discover_samples(root / "massachusetts_400"):
                split = {"tr": "train", "va": "select", "te": "report"}.get(s.key[:2])
                if split is None:
                    raise ValueError(f"massachusetts_400 pair {s.key} has no tr_/va_/te_ prefix")
                out.append(DomainSample(key=s.key, image_path=s.image_path,
                                        label_path=s.label_path, split=split, **common))
            for s in discover_samples(root / "massachusetts_1500"):
                out.append(DomainSample(key=f"1500_{s.key}", image_path=s.image_path,
                                        label_path=s.label_path, split="train", **common))
        elif name == "google_epfl":
            for i, s in enumerate(discover_samples(root / "google_epfl_400")):
                out.append(DomainSample(key=s.key, image_path=s.image_path,
                                        label_path=s.label_path, split=_epfl_split(i), **common))
        elif name == "deepglobe":
            found = discover_samples(root / "deepglobe_sample")
            for i, s in enumerate(found):
                split = "report" if i == len(found) - 1 else "train"
                out.append(DomainSample(key=s.key, image_path=s.image_path,
                                        label_path=s.label_path, split=split, **common))
        elif name == "roadnet_ottawa":
            folder = root / "roadnet_ottawa"
            _require_files(folder / "image.png", folder / "segment_mask.png")
            out.append(DomainSample(key="ottawa", image_path=folder / "image.png",
                                    label_path=folder / "segment_mask.png", split="report",
                                    **common))
        else:  # spacenet_vegas_pan
            folder = root / "spacenet_vegas_pan"
            image, label = folder / "image_pan_uint16.tif", folder / "roadmask_partial.tif"
            _require_files(image, label)
            import rasterio

            with rasterio.open(image) as src:
                h, w = src.height, src.width
            half = w // 2
            out.append(DomainSample(key="vegas_pan@west", image_path=image, label_path=label,
                                    split="train", window_px=(0, h, 0, half), **common))
            out.append(DomainSample(key="vegas_pan@east", image_path=image, label_path=label,
                                    split="report", window_px=(0, h, half, w), **common))
    return sorted(out, key=lambda s: (s.domain, s.key))


def _require_files(*paths: Path) -> None:
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise ValueError(f"missing road data files: {missing}")


@dataclass
class LoadedSample:
    """A :class:`DomainSample` in memory, at its own GSD.

    Attributes:
        info: the sample description.
        image: (H, W, 3) uint8 RGB, or (H, W, 1) uint16 for 11-bit panchromatic imagery.
        label: (H, W) bool road pixels.
        valid: (H, W) bool pixels whose label counts (False: no-data).
    """

    info: DomainSample
    image: np.ndarray
    label: np.ndarray
    valid: np.ndarray


def _read_mask(path: Path) -> np.ndarray:
    if path.suffix.lower() in (".tif", ".tiff"):
        import rasterio

        with rasterio.open(path) as src:
            return src.read(1) > 127
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("L")) > 127


def load_domain_sample(sample: DomainSample) -> LoadedSample:
    """Read a sample's image (window), label and valid mask.

    Raises:
        ValueError: unreadable files, or a label whose size differs from the image.
    """
    if sample.bit_depth > 8:
        import rasterio

        with rasterio.open(sample.image_path) as src:
            image = src.read(1)[..., None]
    else:
        from PIL import Image

        try:
            with Image.open(sample.image_path) as im:
                image = np.asarray(im.convert("RGB"))
        except OSError as exc:
            raise ValueError(f"cannot read image {sample.image_path}: {exc}") from exc
    label = _read_mask(sample.label_path)
    if label.shape != image.shape[:2]:
        raise ValueError(f"label {sample.label_path} is {label.shape}, image is {image.shape[:2]}")
    if sample.window_px is not None:
        r0, r1, c0, c1 = sample.window_px
        image, label = image[r0:r1, c0:c1], label[r0:r1, c0:c1]
    if sample.nodata_white:
        valid = ~np.all(image == 255, axis=2)
    elif sample.bit_depth > 8:
        valid = image[..., 0] > 0  # 0 = outside the scene in SpaceNet pan chips
    else:
        valid = np.ones(label.shape, bool)
    return LoadedSample(sample, np.ascontiguousarray(image), np.ascontiguousarray(label),
                        valid)


def image_to_float_rgb(
    image: np.ndarray, bit_depth: int, percentiles: tuple[float, float] = (2.0, 98.0),
    valid: np.ndarray | None = None,
) -> np.ndarray:
    """Image -> (H, W, 3) float32 RGB in 0..1.

    8-bit RGB is divided by 255. A single high-bit band is stretched linearly between the
    given percentiles of its valid pixels (what the raster reader of the jobs does with
    2 and 98) and repeated to three channels.
    """
    if bit_depth <= 8:
        return image.astype(np.float32) / 255.0
    band = image[..., 0].astype(np.float32)
    values = band[valid] if valid is not None and valid.any() else band.ravel()
    lo, hi = np.percentile(values, percentiles) if values.size else (0.0, 1.0)
    out = np.clip((band - lo) / max(float(hi - lo), 1e-6), 0.0, 1.0)
    return np.repeat(out[..., None], 3, axis=2)


def resize_hw(array: np.ndarray, size_hw: tuple[int, int], antialias: bool = True) -> np.ndarray:
    """Bilinear resize of (H, W) or (H, W, C) float32 to ``size_hw`` (antialiased when
    shrinking, so thin lines survive as partial values instead of aliasing)."""
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
    x = x[None, None] if x.ndim == 2 else x.permute(2, 0, 1)[None]
    y = F.interpolate(x, size=size_hw, mode="bilinear", align_corners=False,
                      antialias=antialias)
    y = y[0, 0] if array.ndim == 2 else y[0].permute(1, 2, 0)
    return y.numpy()


# --- augmentation ----------------------------------------------------------------------------


def photometric_augment(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Strong colour/texture augmentation of (H, W, 3) float32 RGB in 0..1 (returns a copy).

    In random order of occurrence: levels/histogram shift (black and white points moved,
    per-channel offsets: mimics other 8-bit renderings and 11-bit stretches), brightness and
    contrast, hue rotation (YIQ) and saturation, grey-scale (panchromatic look), gamma,
    Gaussian blur (softer sensors, resampling) and Gaussian noise.
    """
    from scipy.ndimage import gaussian_filter

    x = img.astype(np.float32, copy=True)
    if rng.random() < 0.6:  # levels: black point up to 0.12, white point down to 0.8
        lo, hi = rng.uniform(0.0, 0.12), rng.uniform(0.8, 1.0)
        x = (x - lo) / (hi - lo) + rng.uniform(-0.06, 0.06, size=3).astype(np.float32)
    if rng.random() < 0.8:
        b, c = rng.uniform(0.7, 1.3), rng.uniform(0.7, 1.3)
        mean = x.mean()
        x = (x - mean) * c + mean * b
    if rng.random() < 0.5:  # hue rotation about the luma axis in YIQ
        yiq = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322],
                        [0.211, -0.523, 0.312]], np.float32)
        a = rng.uniform(-np.pi / 4, np.pi / 4)
        rot = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]],
                       np.float32)
        x = x @ (np.linalg.inv(yiq) @ rot @ yiq).T.astype(np.float32)
    if rng.random() < 0.8:
        gray = x.mean(axis=2, keepdims=True)
        x = (x - gray) * rng.uniform(0.4, 1.6) + gray
    if rng.random() < 0.2:
        x = np.repeat((x @ np.array([0.299, 0.587, 0.114], np.float32))[..., None], 3, axis=2)
    x = np.clip(x, 0.0, 1.0)
    if rng.random() < 0.5:
        x = x ** np.float32(np.exp(rng.uniform(np.log(0.6), np.log(1.6))))
    if rng.random() < 0.3:
        x = gaussian_filter(x, sigma=(rng.uniform(0.3, 1.5),) * 2 + (0,))
    if rng.random() < 0.3:
        x = x + rng.normal(0.0, rng.uniform(0.005, 0.05), size=x.shape).astype(np.float32)
    return np.clip(x, 0.0, 1.0).astype(np.float32)


def random_crop_at_gsd(
    sample: LoadedSample, crop_px: int, model_gsd_m: float, rng: np.random.Generator,
    scale_jitter: tuple[float, float] = (0.7, 1.4), photometric: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A training crop resampled to the model GSD (issue 10, item 1).

    The crop covers ``crop_px * model_gsd_m * j`` metres of ground, ``j`` log-uniform in
    ``scale_jitter`` (so objects appear 1/1.4 to 1/0.7 times their size at the model GSD).
    Then a random multiple of 90 degrees, flips and :func:`photometric_augment`. 11-bit
    imagery is stretched between random percentiles (0.2-5 / 95-99.8) instead of the fixed
    2 / 98 of inference. Parts outside the image are padded as invalid.

    Partial labels (``label_kind == "partial_mask"``): the returned valid mask is the road
    label itself, so the loss sees only labelled road pixels; unlabelled pixels are not
    taught as background (the other domains of a balanced batch supply the negatives).

    Returns:
        image (3, S, S) float32 in 0..1, label (1, S, S) and valid (1, S, S) float32 in
        {0, 1}; ``S = crop_px``.
    """
    info = sample.info
    jitter = float(np.exp(rng.uniform(np.log(scale_jitter[0]), np.log(scale_jitter[1]))))
    # Model pixels per image pixel: > 1 enlarges (fine imagery at a coarser model GSD: < 1).
    scale = info.gsd_m / model_gsd_m * jitter
    side = max(int(round(crop_px / scale)), 8)
    h, w = sample.label.shape
    y = int(rng.integers(0, max(h - side, 0) + 1))
    x = int(rng.integers(0, max(w - side, 0) + 1))
    window = (slice(y, y + side), slice(x, x + side))
    valid = sample.valid[window]
    if info.bit_depth > 8:
        pct = (rng.uniform(0.2, 5.0), rng.uniform(95.0, 99.8)) if photometric else (2.0, 98.0)
        img = image_to_float_rgb(sample.image[window], info.bit_depth, pct, valid)
    else:
        img = image_to_float_rgb(sample.image[window], info.bit_depth)
    lab = sample.label[window].astype(np.float32)
    val = valid.astype(np.float32)
    ph, pw = side - img.shape[0], side - img.shape[1]
    if ph or pw:  # small images: pad with invalid pixels
        img = np.pad(img, ((0, ph), (0, pw), (0, 0)))
        lab = np.pad(lab, ((0, ph), (0, pw)))
        val = np.pad(val, ((0, ph), (0, pw)))
    stack = resize_hw(np.concatenate([img, lab[..., None], val[..., None]], axis=2),
                      (crop_px, crop_px))
    img, lab, val = stack[..., :3], stack[..., 3] >= 0.5, stack[..., 4] >= 0.5
    k = int(rng.integers(0, 4))
    img, lab, val = np.rot90(img, k), np.rot90(lab, k), np.rot90(val, k)
    if rng.random() < 0.5:
        img, lab, val = img[:, ::-1], lab[:, ::-1], val[:, ::-1]
    if rng.random() < 0.5:
        img, lab, val = img[::-1], lab[::-1], val[::-1]
    if photometric:
        img = photometric_augment(np.ascontiguousarray(img), rng)
    if info.partial:
        val = lab & val
    return (
        np.ascontiguousarray(np.clip(img, 0, 1).transpose(2, 0, 1), dtype=np.float32),
        np.ascontiguousarray(lab[None], dtype=np.float32),
        np.ascontiguousarray(val[None], dtype=np.float32),
    )


class BalancedDomainSampler:
    """Picks training samples so that every domain is equally frequent in each batch.

    Domains are drawn from concatenated random permutations of a queue that holds each
    domain once (or ``shares[domain]`` times), so a batch of ``B`` items holds about
    ``B * share / sum(shares)`` items of each domain, whatever their image counts. Within a
    domain an image is drawn with probability proportional to its valid area in model pixels
    (a 1500 px tile counts 14 times a 400 px crop).

    Args:
        samples: loaded training samples.
        model_gsd_m: metres per pixel of the model (areas are counted at it).
        rng: random generator.
        shares: optional whole-number share per domain name (default 1 each), e.g.
            ``{"massachusetts": 2}`` to draw that domain twice as often as each other one.

    Raises:
        ValueError: no samples, a share for a domain the samples do not have, or a share
            that is not a whole number of at least 1.
    """

    def __init__(self, samples: Sequence[LoadedSample], model_gsd_m: float,
                 rng: np.random.Generator, shares: Mapping[str, int] | None = None) -> None:
        if not samples:
            raise ValueError("no training samples")
        self.rng = rng
        self.by_domain: dict[str, list[LoadedSample]] = {}
        for s in samples:
            self.by_domain.setdefault(s.info.domain, []).append(s)
        self.domains = sorted(self.by_domain)
        shares = dict(shares or {})
        unknown = sorted(set(shares) - set(self.domains))
        if unknown:
            raise ValueError(f"domain shares name {unknown}, which have no training samples; "
                             f"training domains: {self.domains}")
        bad = {d: v for d, v in shares.items() if int(v) != v or v < 1}
        if bad:
            raise ValueError(f"domain shares must be whole numbers >= 1, got {bad}")
        self.shares = {d: int(shares.get(d, 1)) for d in self.domains}
        self._round = [d for d in self.domains for _ in range(self.shares[d])]
        self.weights = {}
        for d, items in self.by_domain.items():
            area = np.array([max(float(s.valid.sum()), 1.0) * (s.info.gsd_m / model_gsd_m) ** 2
                             for s in items])
            self.weights[d] = area / area.sum()
        self._queue: list[str] = []

    def next_domain(self) -> str:
        if not self._queue:
            self._queue = [self._round[i] for i in self.rng.permutation(len(self._round))]
        return self._queue.pop()

    def draw(self, n: int) -> list[LoadedSample]:
        """``n`` samples for one batch."""
        out = []
        for _ in range(n):
            d = self.next_domain()
            items = self.by_domain[d]
            out.append(items[int(self.rng.choice(len(items), p=self.weights[d]))])
        return out


def read_domain_pair_at_gsd(
    sample: DomainSample | LoadedSample, model_gsd_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A sample resampled to the model GSD, for training code that takes plain pairs.

    The 11-bit pan band is stretched between its 2nd and 98th percentiles (as at inference);
    labels and valid masks are resampled bilinearly and thresholded at 0.5. Partial labels
    stay partial: callers must not read unlabelled pixels as background (check
    ``sample.partial``).

    Returns:
        ``(image (h, w, 3) uint8 RGB, label (h, w) bool, valid (h, w) bool)`` with
        ``h = round(H * gsd_m / model_gsd_m)`` (same for ``w``).
    """
    loaded = sample if isinstance(sample, LoadedSample) else load_domain_sample(sample)
    info = loaded.info
    rgb = image_to_float_rgb(loaded.image, info.bit_depth, (2.0, 98.0), loaded.valid)
    h, w = loaded.label.shape
    scale = info.gsd_m / model_gsd_m
    size = (max(int(round(h * scale)), 1), max(int(round(w * scale)), 1))
    stack = np.concatenate([rgb, loaded.label[..., None], loaded.valid[..., None]], axis=2)
    if size != (h, w):
        stack = resize_hw(stack.astype(np.float32), size)
    image = np.clip(np.rint(stack[..., :3] * 255.0), 0, 255).astype(np.uint8)
    return image, stack[..., 3] >= 0.5, stack[..., 4] >= 0.5


# --- one-file pack of the multi-domain set (for a device machine, issue 10 item 6) -----------

PACK_FORMAT = "roadextract-roads-pack-1"


def pack_road_set(
    roads_root: str | os.PathLike[str], output: str | os.PathLike[str],
    domains: Sequence[str] | None = None, skip_key_prefixes: Sequence[str] = (),
    jpeg_quality: int = 90,
) -> dict[str, Any]:
    """Write the multi-domain set (all splits) into one ``.npz`` file.

    8-bit images are stored as JPEG (``jpeg_quality``), 11-bit pan windows as compressed
    uint16 arrays, labels as 1-bit PNG, each sample already cut to its window; the sample
    descriptions (domain, split, GSD, label kind, ...) go in as JSON. :func:`load_pack` reads
    it back with numpy and Pillow only (no rasterio on the device machine).

    Args:
        roads_root: ``shared/data/roads``.
        output: ``.npz`` path.
        domains: subset of :data:`ROAD_DOMAINS` (default all).
        skip_key_prefixes: leave out samples whose key starts with one of these (e.g.
            ``("1500_",)`` to fit a size limit: the 1500 px tiles are training-only).
        jpeg_quality: JPEG quality of 8-bit images.

    Returns:
        ``{"samples": n, "bytes": file size}``.
    """
    import io

    from PIL import Image

    arrays: dict[str, np.ndarray] = {}
    meta = []
    for i, sample in enumerate(multi_domain_samples(roads_root, domains)):
        if any(sample.key.startswith(p) for p in skip_key_prefixes):
            continue
        loaded = load_domain_sample(sample)
        buf = io.BytesIO()
        if sample.bit_depth > 8:
            np.savez_compressed(buf, image=loaded.image)
        else:
            Image.fromarray(loaded.image).save(buf, format="JPEG", quality=jpeg_quality)
        arrays[f"image_{i}"] = np.frombuffer(buf.getvalue(), np.uint8)
        buf = io.BytesIO()
        Image.fromarray(loaded.label).save(buf, format="PNG")  # bool -> mode "1"
        arrays[f"label_{i}"] = np.frombuffer(buf.getvalue(), np.uint8)
        buf = io.BytesIO()
        Image.fromarray(loaded.valid).save(buf, format="PNG")
        arrays[f"valid_{i}"] = np.frombuffer(buf.getvalue(), np.uint8)
        meta.append({"index": i, "domain": sample.domain, "key": sample.key,
                     "label_kind": sample.label_kind, "gsd_m": sample.gsd_m,
                     "split": sample.split, "bit_depth": sample.bit_depth,
                     "nodata_white": sample.nodata_white, "source": str(sample.image_path)})
    header = json.dumps({"format": PACK_FORMAT, "samples": meta}).encode()
    arrays["meta"] = np.frombuffer(header, np.uint8)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    np.savez(output, **arrays)
    return {"samples": len(meta), "bytes": output.stat().st_size}


def load_pack(
    path: str | os.PathLike[str], domains: Sequence[str] | None = None
) -> list[LoadedSample]:
    """Samples of a :func:`pack_road_set` file, sorted by (domain, key).

    Raises:
        ValueError: not a pack of this format.
    """
    import io

    from PIL import Image

    path = Path(path)
    with np.load(path) as data:
        try:
            header = json.loads(data["meta"].tobytes())
        except (KeyError, ValueError) as exc:
            raise ValueError(f"{path} is not a road-set pack: {exc}") from exc
        if header.get("format") != PACK_FORMAT:
            raise ValueError(f"{path}: format {header.get('format')!r}, expected {PACK_FORMAT}")
        out = []
        for m in header["samples"]:
            if domains is not None and m["domain"] not in domains:
                continue
            i = m["index"]
            raw = io.BytesIO(data[f"image_{i}"].tobytes())
            if m["bit_depth"] > 8:
                with np.load(raw) as arr:
                    image = arr["image"]
            else:
                with Image.open(raw) as im:
                    image = np.asarray(im.convert("RGB"))
            masks = []
            for name in ("label", "valid"):
                with Image.open(io.BytesIO(data[f"{name}_{i}"].tobytes())) as im:
                    masks.append(np.asarray(im.convert("L")) > 127)
            info = DomainSample(
                domain=m["domain"], key=m["key"], image_path=path, label_path=path,
                label_kind=m["label_kind"], gsd_m=m["gsd_m"], split=m["split"],
                bit_depth=m["bit_depth"], nodata_white=m["nodata_white"])
            out.append(LoadedSample(info, np.ascontiguousarray(image), masks[0], masks[1]))
    return sorted(out, key=lambda s: (s.info.domain, s.info.key))


def load_multi_domain(
    roads: str | os.PathLike[str], domains: Sequence[str] | None = None
) -> list[LoadedSample]:
    """All samples of the multi-domain set from the ``roads`` folder or a pack file."""
    if Path(roads).is_file():
        return load_pack(roads, domains)
    return [load_domain_sample(s) for s in multi_domain_samples(roads, domains)]


def domain_of(key: str) -> str:
    """Domain of a multi-domain sample name ``DOMAIN__SPLIT__KEY`` (the part before
    ``__``, as :func:`write_domain_set_at_gsd` names files); ``"all"`` for names without it."""
    return key.split("__", 1)[0] if "__" in key else "all"


def balanced_domain_weights(keys: Sequence[str], areas_px: Sequence[float]) -> np.ndarray:
    """Sampling probability per image that gives every domain the same share of the
    batches; within a domain it follows the image area (a 1500 px tile is drawn more often
    than a 400 px crop).

    Args:
        keys: sample names (domain = :func:`domain_of`).
        areas_px: image areas in pixels.

    Returns:
        ``(N,)`` float64 summing to 1.
    """
    domains = np.array([domain_of(k) for k in keys])
    areas = np.asarray(areas_px, np.float64)
    weights = np.zeros(len(keys))
    for name in set(domains.tolist()):
        sel = domains == name
        weights[sel] = areas[sel] / areas[sel].sum()
    return weights / weights.sum()


def write_domain_set_at_gsd(
    roads: str | os.PathLike[str], out_dir: str | os.PathLike[str], model_gsd_m: float,
    domains: Sequence[str] | None = None, include_partial: bool = False,
) -> dict[str, int]:
    """Write the multi-domain set resampled to one GSD in the Massachusetts folder layout.

    For training code that reads plain image/label folders (the LineGraph2Road CLI, whose
    graph targets are cached per image and so cannot be rescaled per crop). Each sample
    becomes ``images/DOMAIN__SPLIT__KEY.png`` (RGB, 11-bit pan stretched as at inference) and
    ``labels/DOMAIN__SPLIT__KEY.png`` (road = 255); ``--train-include '*__train__*'`` and
    ``--val-include '*__select__*'`` then pick the splits. Files that exist are kept, so a
    rerun is cheap.

    Args:
        roads: ``shared/data/roads`` or a pack file.
        out_dir: folder to write ``images/`` and ``labels/`` into.
        model_gsd_m: target GSD in metres per pixel.
        domains: subset of :data:`ROAD_DOMAINS` (default all).
        include_partial: also write partially labelled samples (Vegas pan); left out by
            default because a graph target reads unlabelled roads as background.

    Returns:
        ``{"written": n, "kept": m, "skipped_partial": k}``.
    """
    from PIL import Image

    out = Path(out_dir)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "labels").mkdir(parents=True, exist_ok=True)
    counts = {"written": 0, "kept": 0, "skipped_partial": 0}
    for sample in load_multi_domain(roads, domains):
        info = sample.info
        if info.partial and not include_partial:
            counts["skipped_partial"] += 1
            continue
        name = f"{info.domain}__{info.split}__{info.key.replace('@', '_')}.png"
        image_path, label_path = out / "images" / name, out / "labels" / name
        if image_path.is_file() and label_path.is_file():
            counts["kept"] += 1
            continue
        image, label, valid = read_domain_pair_at_gsd(sample, model_gsd_m)
        image[~valid] = 255 if info.nodata_white else 0
        for path, array in ((label_path, (label & valid).astype(np.uint8) * 255),
                            (image_path, image)):
            tmp = path.with_name(path.stem + ".tmp.png")
            Image.fromarray(array).save(tmp)
            os.replace(tmp, path)  # the image last: its presence means the pair is complete
        counts["written"] += 1
    return counts
