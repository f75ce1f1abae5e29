"""With a backend running, the model picker lists what its GET /models says (issue 16)."""

from __future__ import annotations

import importlib

from qgis.core import QgsApplication


def test_model_list_comes_from_the_running_backend(backend, rx):
    base = importlib.import_module(f"{rx.package.__name__}.processing_provider.algorithms.base")
    base.forget_model_rows()
    rows = backend.client.models()["models"]
    sam_rows = [r for r in rows if r["method"] in ("sam", "sam2")]
    alg = QgsApplication.processingRegistry().createAlgorithmById("roadextract:boxestomasks")
    parameter = alg.parameterDefinition("MODEL")
    assert sorted(parameter.options()) == sorted(r["id"] for r in sam_rows)
    assert parameter.options()[0] == "sam_vit_b"
    missing = [r["id"] for r in sam_rows if not r["installed"]]
    for line in parameter.help().splitlines():
        model_id = line.split(" · ")[0]
        assert line.endswith("(not installed)") == (model_id in missing), line
    alg = QgsApplication.processingRegistry().createAlgorithmById("roadextract:segmentroads")
    help_text = alg.parameterDefinition("MODEL").help()
    assert help_text.startswith("anchor_sam_pico_1m · 1 m/px · Anchor-SAM")
    base.forget_model_rows()
