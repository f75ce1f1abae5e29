"""The job kinds the backend runs: each a params model, a fast validator and a runner.

One module per kind in ``backend/jobs/``, named as the kind, holds the three; it is light to
import (torch loads only inside ``run``), so this table imports them all. The HTTP API, the
command line and the JSON schema served to the plugin all come from this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from pydantic import BaseModel

from backend.jobs import (
    box_to_mask,
    build_training_set,
    evaluate_instance_masks,
    evaluate_road_graph,
    extract_road_graph,
    fine_tune,
    import_box_annotations,
    interactive_encode,
    road_mask_to_vectors,
    segment_roads,
)
from backend.runtime.progress import Progress


@dataclass(frozen=True)
class JobKind:
    """A runnable kind of job.

    Attributes:
        kind: identifier used on the wire (snake_case).
        title: human title.
        params_model: the pydantic params model.
        validate: ``validate(params)``, raises ValueError / OSError before the job starts.
        run: ``run(params, report) -> {"outputs": ..., "summary": ...}``.
    """

    kind: str
    title: str
    params_model: type[BaseModel]
    validate: Callable[[Any], None]
    run: Callable[[Any, Progress], dict[str, Any]]

    @classmethod
    def of(cls, kind: str, title: str, module: ModuleType, params_class: str) -> JobKind:
        """The kind whose params model, ``validate`` and ``run`` are in ``module``."""
        return cls(kind, title, getattr(module, params_class), module.validate, module.run)


_JOB_KINDS: dict[str, JobKind] = {
    k.kind: k
    for k in (
        JobKind.of(
            "road_mask_to_vectors",
            "Road mask to vectors",
            road_mask_to_vectors,
            "RoadMaskToVectorsParams",
        ),
        JobKind.of(
            "extract_road_graph",
            "Extract road graph (LineGraph2Road)",
            extract_road_graph,
            "ExtractRoadGraphParams",
        ),
        JobKind.of(
            "segment_roads",
            "Segment roads (Anchor-SAM)",
            segment_roads,
            "SegmentRoadsParams",
        ),
        JobKind.of(
            "evaluate_road_graph",
            "Evaluate road graph (APLS, TOPO)",
            evaluate_road_graph,
            "EvaluateRoadGraphParams",
        ),
        JobKind.of(
            "interactive_encode",
            "Encode a view for interactive extraction",
            interactive_encode,
            "InteractiveEncodeParams",
        ),
        JobKind.of(
            "box_to_mask",
            "Boxes to masks (SAMRS)",
            box_to_mask,
            "BoxToMaskParams",
        ),
        JobKind.of(
            "import_box_annotations",
            "Import DOTA / DIOR / FAIR1M / iSAID boxes",
            import_box_annotations,
            "ImportBoxAnnotationsParams",
        ),
        JobKind.of(
            "evaluate_instance_masks",
            "Evaluate instance masks (mIoU, SAMRS Eq. 1)",
            evaluate_instance_masks,
            "EvaluateInstanceMasksParams",
        ),
        JobKind.of(
            "build_training_set",
            "Build road training set",
            build_training_set,
            "BuildTrainingSetParams",
        ),
        JobKind.of("fine_tune", "Fine-tune road model", fine_tune, "FineTuneParams"),
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
