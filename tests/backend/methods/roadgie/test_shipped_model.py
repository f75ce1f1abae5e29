"""The shipped road model: declared, digest-checked, small, with its model card figures."""

import json

from backend.methods.roadgie.model import RoadGIE, count_parameters
from backend.models.checkpoints import sha256_of_file
from backend.models.registry import BUNDLED_WEIGHTS_DIR, get_model, get_weights_spec


def test_shipped_roadgie_weights_match_their_card_and_declaration():
    spec = get_weights_spec("roadgie_strip_1m")
    assert spec.bundled and spec.method == "roadgie" and spec.gsd_m == 1.0
    path = spec.path()
    assert path.is_file() and path.stat().st_size <= 15 * 2**20
    card = json.loads((BUNDLED_WEIGHTS_DIR / "roadgie_strip_1m.json").read_text())
    assert card == spec.model_card
    assert sha256_of_file(path) == spec.sha256 == card["sha256"]
    assert path.stat().st_size == spec.size_bytes == card["size_bytes"]
    model = get_model("roadgie_strip_1m")  # strict, digest-checked load
    assert isinstance(model, RoadGIE) and not model.training
    assert count_parameters(model) == card["parameters"]
    for r in ("1", "3", "5"):
        row = card["validation"]["rounds"][r]
        assert 0.0 <= row["dice"] <= 1.0 and 0.0 <= row["apls"] <= 1.0
    # more clicks help (the point of interactive training)
    rounds = card["validation"]["rounds"]
    assert rounds["5"]["dice"] >= rounds["1"]["dice"]
