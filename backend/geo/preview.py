"""PNG previews: a raster with vector results drawn over it (demo, reports)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
from PIL import Image, ImageDraw
from rasterio.windows import Window

from backend.geo.raster import ImageReader, open_raster


def render_preview(
    raster_path: str | Path,
    gpkg_path: str | Path,
    out_png: str | Path,
    line_layers: tuple[str, ...] = (),
    point_layers: tuple[str, ...] = (),
    max_size_px: int = 1024,
) -> Path:
    """Draw GeoPackage layers (in the raster's CRS) over a decimated read of the raster.

    Args:
        raster_path: background raster (first three bands, stretched as for the models).
        gpkg_path: GeoPackage holding the layers.
        out_png: PNG to write.
        line_layers: LineString layers drawn in red.
        point_layers: Point layers drawn as yellow circles.
        max_size_px: longest side of the preview.
    """
    with open_raster(raster_path) as ds:
        scale = max(ds.width, ds.height) / max_size_px
        shape = (max(1, round(ds.height / scale)), max(1, round(ds.width / scale)))
        rgb = ImageReader(ds).read_rgb(Window(0, 0, ds.width, ds.height), out_shape_hw=shape)
        to_px = ~ds.transform
    image = Image.fromarray(rgb)
    draw = ImageDraw.Draw(image)

    def px(x: float, y: float) -> tuple[float, float]:
        col, row = to_px @ (x, y)
        return col * shape[1] / ds.width, row * shape[0] / ds.height

    for layer in line_layers:
        for geom in gpd.read_file(gpkg_path, layer=layer).geometry:
            parts = getattr(geom, "geoms", [geom])
            for part in parts:
                draw.line([px(*xy) for xy in np.asarray(part.coords)], fill=(255, 40, 40), width=3)
    for layer in point_layers:
        for geom in gpd.read_file(gpkg_path, layer=layer).geometry:
            x, y = px(geom.x, geom.y)
            draw.ellipse([x - 4, y - 4, x + 4, y + 4], outline=(255, 230, 0), width=2)
    out_png = Path(out_png)
    image.save(out_png)
    return out_png
