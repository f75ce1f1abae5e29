"""Fixtures for the road graph metric tests.

Synthetic graphs are built inline (coordinates in metres, hand-checkable); real data comes
from ``<repo>/../shared/data`` and the tests using it skip when it is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
SPACENET_CENTERLINES = SHARED_DATA / "roads" / "spacenet_vegas_pan" / "centerlines_partial.geojson"


@pytest.fixture
def spacenet_centerlines() -> Path:
    """SpaceNet 3 Vegas partial centerlines (GeoJSON, EPSG:4326), or skip."""
    if not SPACENET_CENTERLINES.is_file():
        pytest.skip(
            f"real data not found at {SPACENET_CENTERLINES}: the shared data folder "
            "(<repo>/../shared/data, see its README) is not present in this checkout"
        )
    return SPACENET_CENTERLINES
