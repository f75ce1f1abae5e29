"""The plugin's job requests (``plugin/params.py``) and the backend's params models say the
same: every request field exists in its kind's params, with the same default and the same
bounds. ``plugin.params`` imports only the standard library, so the backend's Python can
import it."""

from __future__ import annotations

import dataclasses

import annotated_types
import pytest
from pydantic_core import PydanticUndefined

from backend.interactive.engine_table import ENGINE_TABLE
from backend.jobs.kinds import get_job_kind
from plugin import params as plugin_params

REQUESTS = [
    cls
    for cls in vars(plugin_params).values()
    if isinstance(cls, type)
    and issubclass(cls, plugin_params.JobRequest)
    and "KIND" in vars(cls)
]
# Defaults that differ on purpose.
DIFFERENT_DEFAULTS = {
    # "auto" is left out of the params: the job then runs on the backend's own device.
    ("interactive_encode", "device"),
}


def _backend_bounds(field) -> plugin_params.Bounds:
    minimum = maximum = None
    exclusive = maximum_exclusive = False
    for constraint in field.metadata:
        if isinstance(constraint, annotated_types.Ge):
            minimum = constraint.ge
        elif isinstance(constraint, annotated_types.Gt):
            minimum, exclusive = constraint.gt, True
        elif isinstance(constraint, annotated_types.Le):
            maximum = constraint.le
        elif isinstance(constraint, annotated_types.Lt):
            maximum, maximum_exclusive = constraint.lt, True
    return plugin_params.Bounds(minimum, maximum, exclusive, maximum_exclusive)


def test_every_job_kind_has_a_request():
    assert len(REQUESTS) == 10
    for request in REQUESTS:
        get_job_kind(request.KIND)  # raises for a kind the backend does not run


@pytest.mark.parametrize("request_class", REQUESTS, ids=lambda cls: cls.KIND)
def test_request_defaults_and_bounds_match_the_params(request_class):
    backend_fields = get_job_kind(request_class.KIND).params_model.model_fields
    for field in dataclasses.fields(request_class):
        assert field.name in backend_fields, f"{request_class.KIND}: {field.name} unknown"
        backend_field = backend_fields[field.name]
        if (
            backend_field.default is not PydanticUndefined
            and field.default is not dataclasses.MISSING
            and (request_class.KIND, field.name) not in DIFFERENT_DEFAULTS
        ):
            assert field.default == backend_field.default, (request_class.KIND, field.name)
        expected = _backend_bounds(backend_field)
        declared = request_class.BOUNDS.get(field.name, plugin_params.Bounds())
        assert declared == expected, (request_class.KIND, field.name)


@pytest.mark.parametrize("request_class", REQUESTS, ids=lambda cls: cls.KIND)
def test_bounds_name_request_fields(request_class):
    names = {field.name for field in dataclasses.fields(request_class)}
    assert set(request_class.BOUNDS) <= names


def test_engine_tables_agree():
    assert set(plugin_params.ENGINE_TABLE) == set(ENGINE_TABLE)
    for name, spec in ENGINE_TABLE.items():
        mirror = plugin_params.ENGINE_TABLE[name]
        assert mirror.methods == spec.methods
        assert mirror.default_model == spec.default_model
        assert mirror.takes_boxes == spec.takes_boxes
        assert mirror.takes_initial_probability == spec.takes_initial_probability


def test_own_road_mask_value_is_the_backends():
    from backend.jobs import extract_road_graph

    assert plugin_params.ExtractRoadGraphRequest.OWN_ROAD_MASK == extract_road_graph.OWN_ROAD_MASK


def test_test_time_views_are_the_same_on_both_sides():
    """The plugin (standard library only) repeats the backend's view counts."""
    from backend.methods.anchor_sam.views import TEST_TIME_AUGMENTATIONS

    assert plugin_params.TEST_TIME_AUGMENTATIONS == TEST_TIME_AUGMENTATIONS == (1, 2, 4, 8)
