"""The models a user can pick: the backend's ``GET /models`` when it runs, else the known table.

Standard library only (no qgis, no widgets), so the backend's Python imports it too and a
test compares :data:`KNOWN_MODELS` with the backend registry
(``tests/backend/models/test_known_models.py``). The Processing algorithms and the
interactive dock build their model lists from :func:`model_choices`; the provider loads
without a backend (DESIGN convention 7), the list then comes from :data:`KNOWN_MODELS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Registry methods of the model families, as ``GET /models`` names them.
ANCHOR_SAM = "anchor_sam"
LINEGRAPH2ROAD = "linegraph2road"
ROADGIE = "roadgie"
SAM_METHODS = ("sam", "sam2")
DESCRIPTION_CHARS = 70


@dataclass(frozen=True)
class ModelChoice:
    """One entry of a model list.

    Attributes:
        id: Registry id sent to the backend.
        method: Registry method (``anchor_sam``, ``linegraph2road``, ``roadgie``, ``sam``,
            ``sam2``).
        gsd_m: Ground sample distance the model was trained at, metres per pixel; None for
            models of natural images (SAM), which run at the raster's own resolution.
        description: Short description (first sentence of the model card).
        installed: True/False as the backend reports its weights; None when not known
            (no backend running).
    """

    id: str
    method: str
    gsd_m: float | None
    description: str
    installed: bool | None = None

    def label(self) -> str:
        """``id · 1 m/px · description`` (short), for lists and help texts."""
        parts = [self.id]
        if self.gsd_m:
            parts.append(f"{self.gsd_m:g} m/px")
        if self.description:
            text = self.description
            if len(text) > DESCRIPTION_CHARS:
                text = text[: DESCRIPTION_CHARS - 1].rstrip(" ,;.") + "…"
            parts.append(text)
        return " · ".join(parts)


# The models shipped in or declared by the backend registry (backend/models/weights/*.json
# and the official SAM checkpoints), kept equal to it by a test.
KNOWN_MODELS: tuple[ModelChoice, ...] = (
    ModelChoice(
        "anchor_sam_pico_1m",
        ANCHOR_SAM,
        1.0,
        "Anchor-SAM, small Hiera encoder, shipped; road segmentation at 1 m",
    ),
    ModelChoice(
        "linegraph2road_hiera_pico_1m",
        LINEGRAPH2ROAD,
        1.0,
        "LineGraph2Road, small Hiera encoder, shipped; road graphs at 1 m",
    ),
    ModelChoice(
        "roadgie_hiera_pico_1m",
        ROADGIE,
        1.0,
        "RoadGIE-style interactive road model, small Hiera encoder, shipped; clicks and scribbles",
    ),
    ModelChoice("sam2.1_hiera_b_plus", "sam2", None, "Official SAM 2.1 Hiera-base+ (download)"),
    ModelChoice("sam2.1_hiera_l", "sam2", None, "Official SAM 2.1 Hiera-large (download)"),
    ModelChoice("sam2.1_hiera_s", "sam2", None, "Official SAM 2.1 Hiera-small (download)"),
    ModelChoice("sam2.1_hiera_t", "sam2", None, "Official SAM 2.1 Hiera-tiny (download)"),
    ModelChoice("sam2_hiera_b_plus", "sam2", None, "Official SAM 2 Hiera-base+ (download)"),
    ModelChoice("sam2_hiera_l", "sam2", None, "Official SAM 2 Hiera-large (download)"),
    ModelChoice("sam2_hiera_s", "sam2", None, "Official SAM 2 Hiera-small (download)"),
    ModelChoice("sam2_hiera_t", "sam2", None, "Official SAM 2 Hiera-tiny (download)"),
    ModelChoice("sam_vit_b", "sam", None, "Official Segment Anything ViT-B (download)"),
    ModelChoice("sam_vit_h", "sam", None, "Official Segment Anything ViT-H (download)"),
    ModelChoice("sam_vit_l", "sam", None, "Official Segment Anything ViT-L (download)"),
)


def choices_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[ModelChoice]:
    """Model choices from ``GET /models`` rows (malformed rows are skipped).

    Args:
        rows: The ``models`` list of the answer: dicts with ``id, method, gsd_m,
            description, installed``.
    """
    out = []
    for row in rows:
        if not isinstance(row, Mapping) or not row.get("id") or not row.get("method"):
            continue
        gsd = row.get("gsd_m")
        description = str(row.get("description") or "").strip()
        out.append(
            ModelChoice(
                id=str(row["id"]),
                method=str(row["method"]),
                gsd_m=float(gsd) if isinstance(gsd, (int, float)) and gsd > 0 else None,
                description=description.split(". ")[0].rstrip("."),
                installed=row.get("installed") if isinstance(row.get("installed"), bool) else None,
            )
        )
    return out


def model_choices(
    methods: Iterable[str],
    rows: Iterable[Mapping[str, Any]] | None = None,
    default: str | None = None,
) -> list[ModelChoice]:
    """The models of ``methods``: from the backend's rows when given, else :data:`KNOWN_MODELS`.

    Args:
        methods: Registry methods the caller can run.
        rows: ``GET /models`` rows of a running backend, or None (no backend).
        default: Model id put first (it is also kept when the backend does not list it).

    Returns:
        Choices sorted by id, ``default`` first.
    """
    wanted = set(methods)
    source = choices_from_rows(rows) if rows is not None else list(KNOWN_MODELS)
    chosen = sorted((c for c in source if c.method in wanted), key=lambda c: c.id)
    if default is not None:
        first = [c for c in chosen if c.id == default]
        if not first:
            known = [c for c in KNOWN_MODELS if c.id == default]
            first = known or [ModelChoice(default, next(iter(sorted(wanted)), ""), None, "")]
        chosen = first + [c for c in chosen if c.id != default]
    return chosen
