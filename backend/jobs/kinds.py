"""The job kinds the backend runs: each a params model, a fast validator and a runner.

A method registers here once; the HTTP API, the command line and the JSON schema served
to the plugin all come from this table.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from backend.runtime.progress import Progress


@dataclass(frozen=True)
class JobKind:
    """A runnable kind of job.

    Attributes:
        kind: identifier used on the wire (snake_case).
        title: human title.
        module: module holding ``<params_class>``, ``validate(params)`` and
            ``run(params, report) -> {"outputs": ..., "summary": ...}``; imported on first
            use so torch is only loaded by the kinds that need it.
        params_class: name of the pydantic params model in ``module``.
    """

    kind: str
    title: str
    module: str
    params_class: str

    def _module(self):
        return importlib.import_module(self.module)

    @property
    def params_model(self) -> type[BaseModel]:
        return getattr(self._module(), self.params_class)

    def validate(self, params: BaseModel) -> None:
        self._module().validate(params)

    def run(self, params: BaseModel, report: Progress) -> dict[str, Any]:
        return self._module().run(params, report)


_JOB_KINDS: dict[str, JobKind] = {
    k.kind: k
    for k in (
        JobKind(
            "road_mask_to_vectors",
            "Road mask to vectors",
            "backend.methods.road_mask_to_vectors",
            "RoadMaskToVectorsParams",
        ),
        JobKind(
            "extract_road_graph",
            "Extract road graph (LineGraph2Road)",
            "backend.methods.linegraph2road.extract",
            "ExtractRoadGraphParams",
        ),
        JobKind(
            "segment_roads",
            "Segment roads (Anchor-SAM)",
            "backend.methods.anchor_sam.segment",
            "SegmentRoadsParams",
        ),
        JobKind(
            "evaluate_road_graph",
            "Evaluate road graph (APLS, TOPO)",
            "backend.eval.evaluate_job",
            "EvaluateRoadGraphParams",
        ),
        JobKind(
            "interactive_encode",
            "Encode a view for interactive extraction",
            "backend.interactive.encode_job",
            "InteractiveEncodeParams",
        ),
        JobKind(
            "box_to_mask",
            "Boxes to masks (SAMRS)",
            "backend.methods.samrs.box_to_mask",
            "BoxToMaskParams",
        ),
        JobKind(
            "import_box_annotations",
            "Import DOTA / DIOR / FAIR1M / iSAID boxes",
            "backend.methods.samrs.annotations",
            "ImportBoxAnnotationsParams",
        ),
        JobKind(
            "evaluate_instance_masks",
            "Evaluate instance masks (mIoU, SAMRS Eq. 1)",
            "backend.eval.instance_masks",
            "EvaluateInstanceMasksParams",
        ),
    )
}


def list_job_kinds() -> list[JobKind]:
    return list(_JOB_KINDS.values())


def get_job_kind(kind: str) -> JobKind:
    """Raises ValueError listing the known kinds."""
    try:
        return _JOB_KINDS[kind]
    except KeyError:
        raise ValueError(
            f"Unknown job kind {kind!r}; choose one of: {', '.join(sorted(_JOB_KINDS))}."
        ) from None


