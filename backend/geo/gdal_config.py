"""Process-wide GDAL settings for the backend (called by the server and the CLI)."""

from __future__ import annotations

import os

# GDAL's block cache defaults to 5 % of RAM; while writing large tiled outputs it fills up
# with dirty blocks. A fixed cache keeps peak memory independent of the raster's size.
DEFAULT_GDAL_CACHEMAX_MB = 256


def configure_gdal(cache_mb: int = DEFAULT_GDAL_CACHEMAX_MB) -> None:
    """Bound GDAL's block cache (unless the user set GDAL_CACHEMAX) and let GDAL use the
    cores for compression."""
    os.environ.setdefault("GDAL_CACHEMAX", str(cache_mb))
    os.environ.setdefault("GDAL_NUM_THREADS", "ALL_CPUS")
