"""The plugin's known model table (plugin/models.py, used while no backend runs) says what the
backend registry says: the same ids, methods and GSDs."""

from backend.models.registry import model_status
from plugin.models import KNOWN_MODELS, choices_from_rows, model_choices


def test_known_models_match_the_registry(tmp_path):
    rows = {row["id"]: row for row in model_status(tmp_path)}
    known = {choice.id: choice for choice in KNOWN_MODELS}
    assert set(known) == set(rows)
    for model_id, choice in known.items():
        assert choice.method == rows[model_id]["method"], model_id
        assert choice.gsd_m == rows[model_id]["gsd_m"], model_id
        assert choice.description


def test_choices_from_the_backend_rows(tmp_path):
    rows = model_status(tmp_path)
    road = model_choices(["anchor_sam"], rows, default="anchor_sam_pico_1m")
    assert [c.id for c in road] == ["anchor_sam_pico_1m"]
    assert road[0].installed is True and road[0].gsd_m == 1.0
    assert "1 m/px" in road[0].label() and len(road[0].label()) < 120
    sam = model_choices(["sam", "sam2"], rows, default="sam_vit_b")
    assert sam[0].id == "sam_vit_b" and len(sam) == 11
    assert all(c.installed is False for c in sam)
    # A malformed row is skipped; without rows the known table answers.
    assert choices_from_rows([{"id": "x"}, "junk"]) == []
    assert [c.id for c in model_choices(["linegraph2road"])] == ["linegraph2road_hiera_pico_1m"]
