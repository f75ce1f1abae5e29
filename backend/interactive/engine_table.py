"""The interactive engines by name: the one table that says what each engine runs and takes.

Light (no torch): the ``interactive_encode`` job validates against it before any engine is
loaded. The engines themselves are in :mod:`backend.interactive.engines`; the plugin mirrors
this table in ``plugin/params.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

# The engine names the job params accept (kept equal to the table's keys below).
EngineName = Literal["road", "sam"]


@dataclass(frozen=True)
class EngineSpec:
    """What one interactive engine runs and takes.

    Attributes:
        name: engine name on the wire.
        methods: registry ``method`` values of the models it runs.
        default_model: registry id used when a request names no model.
        max_model_px: largest model image side it decodes interactively (pixels).
        works_at_model_gsd: the window is resampled to the model's GSD (road); otherwise
            its longest side is scaled to ``max_model_px`` (SAM resizes to its input).
        takes_boxes: box prompts are allowed.
        takes_initial_probability: a probability raster can give the starting logits.
    """

    name: str
    methods: tuple[str, ...]
    default_model: str
    max_model_px: int
    works_at_model_gsd: bool
    takes_boxes: bool
    takes_initial_probability: bool


ENGINE_TABLE: dict[str, EngineSpec] = {
    spec.name: spec
    for spec in (
        # Latency of a click grows with the model image area: 768 px per side at most.
        EngineSpec("road", ("roadgie",), "roadgie_hiera_pico_1m", 768, True, False, True),
        EngineSpec("sam", ("sam", "sam2"), "sam_vit_b", 1024, False, True, False),
    )
}
ENGINES = tuple(ENGINE_TABLE)
DEFAULT_MODELS = {name: spec.default_model for name, spec in ENGINE_TABLE.items()}
assert set(get_args(EngineName)) == set(ENGINE_TABLE), "EngineName and ENGINE_TABLE differ"
