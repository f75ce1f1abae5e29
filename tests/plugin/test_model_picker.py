"""The model parameter of the Processing algorithms is a list of model ids (issue 16): from the
plugin's known table while no backend runs, from GET /models of a running one."""

from __future__ import annotations

import importlib

import pytest
from qgis.core import QgsApplication, QgsProcessingParameterEnum

PICKERS = {
    "roadextract:segmentroads": ("anchor_sam", "anchor_sam_pico_1m"),
    "roadextract:extractroadgraph": ("linegraph2road", "linegraph2road_hiera_pico_1m"),
    "roadextract:boxestomasks": ("sam", "sam_vit_b"),
}


@pytest.fixture
def base(roadextract, state_dir):
    module = importlib.import_module(f"{roadextract.__name__}.processing_provider.algorithms.base")
    module.forget_model_rows()
    yield module
    module.forget_model_rows()


@pytest.mark.parametrize("alg_id", sorted(PICKERS))
def test_model_list_without_a_backend(provider, base, rx, alg_id):
    models = importlib.import_module(f"{rx.package.__name__}.plugin.models")
    method, default = PICKERS[alg_id]
    alg = QgsApplication.processingRegistry().createAlgorithmById(alg_id)
    assert alg is not None, alg_id
    parameter = alg.parameterDefinition("MODEL")
    assert isinstance(parameter, QgsProcessingParameterEnum)
    assert parameter.usesStaticStrings()  # batch rows and .model3 files keep the id
    options = parameter.options()
    assert options[0] == default and parameter.defaultValue() == default
    methods = models.SAM_METHODS if method == "sam" else (method,)
    known = sorted(c.id for c in models.KNOWN_MODELS if c.method in methods)
    assert sorted(options) == known
    assert "m/px" in parameter.help() or method == "sam"
    assert alg.parameterDefinition("CHECKPOINT") is not None  # the custom-checkpoint field
    assert parameter.checkValueIsAcceptable(default)
    assert not parameter.checkValueIsAcceptable("no_such_model")


def test_fine_tune_base_model_picker_without_a_backend(provider, base, rx):
    """The base-model list of "Fine-tune road model" holds the families it can fine-tune."""
    models = importlib.import_module(f"{rx.package.__name__}.plugin.models")
    alg = QgsApplication.processingRegistry().createAlgorithmById("roadextract:finetuneroadmodel")
    parameter = alg.parameterDefinition("BASE_MODEL")
    assert isinstance(parameter, QgsProcessingParameterEnum) and parameter.usesStaticStrings()
    assert parameter.options()[0] == parameter.defaultValue() == "anchor_sam_pico_1m"
    families = ("anchor_sam", "linegraph2road", "roadgie")
    known = sorted(c.id for c in models.KNOWN_MODELS if c.method in families)
    assert sorted(parameter.options()) == known
    assert parameter.checkValueIsAcceptable("linegraph2road_hiera_pico_1m")
    assert parameter.checkValueIsAcceptable("roadgie_hiera_pico_1m")  # the interactive model
    assert not parameter.checkValueIsAcceptable("sam_vit_b")
