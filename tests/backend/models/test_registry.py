"""Registry and checkpoint handling (DESIGN conventions 1 and 2)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pytest

from backend.models import registry
from backend.models.checkpoints import (
    download_weights,
    load_state_dict_file,
    load_state_dict_strict,
    sha256_of_file,
)


def test_list_and_unknown_name_lists_choices():
    names = registry.list_models()
    assert "sam_vit_b" in names and "linegraph2road_hiera_pico_1m" in names
    with pytest.raises(ValueError, match="sam_vit_b"):
        registry.get_model("no_such_model")
    with pytest.raises(ValueError, match="linegraph2road_hiera_pico_1m"):
        registry.get_weights_spec("no_such_model")


def test_sam_vit_b_declaration():
    spec = registry.get_weights_spec("sam_vit_b")
    assert spec.file_name == "sam_vit_b_01ec64.pth"
    assert spec.url == "https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth"
    assert len(spec.sha256) == 64 and int(spec.sha256, 16) >= 0
    assert not spec.bundled


def test_model_status_reports_missing_and_installed(tmp_path):
    rows = {r["id"]: r for r in registry.model_status(tmp_path)}
    sam = rows["sam_vit_b"]
    assert sam["installed"] is False
    assert sam["path"] == str(tmp_path / "sam_vit_b_01ec64.pth")
    assert "download sam_vit_b" in sam["how_to_install"]
    expected_keys = {
        "id",
        "method",
        "architecture",
        "installed",
        "path",
        "file_name",
        "sha256",
        "url",
        "gsd_m",
        "bands",
        "description",
        "how_to_install",
    }
    assert set(sam) == expected_keys
    (tmp_path / "sam_vit_b_01ec64.pth").write_bytes(b"x")
    assert {r["id"]: r for r in registry.model_status(tmp_path)}["sam_vit_b"]["installed"]
    json.dumps(registry.model_status(tmp_path))  # the /models endpoint serialises it


def test_download_verifies_sha256_and_leaves_nothing_on_mismatch(tmp_path):
    src = tmp_path / "src.bin"
    payload = b"weights" * 1000
    src.write_bytes(payload)
    good = hashlib.sha256(payload).hexdigest()
    spec = replace(registry.SAM_VIT_B, url=src.as_uri(), sha256=good, file_name="w.pth")
    out_dir = tmp_path / "models"
    path = download_weights(spec, out_dir)
    assert path == out_dir / "w.pth" and sha256_of_file(path) == good

    bad = replace(spec, sha256="0" * 64, file_name="bad.pth")
    with pytest.raises(ValueError, match="sha256"):
        download_weights(bad, out_dir)
    assert sorted(p.name for p in out_dir.iterdir()) == ["w.pth"]  # no partial file left


def test_download_without_published_digest_records_it(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"sam2" * 500)
    spec = replace(
        registry.get_weights_spec("sam2.1_hiera_t"), url=src.as_uri(), file_name="s.pt",
        size_bytes=2000,
    )
    assert spec.sha256 is None
    path = download_weights(spec, tmp_path / "models")
    recorded = (tmp_path / "models" / "s.pt.sha256").read_text().split()[0]
    assert recorded == sha256_of_file(path)
    assert registry.check_recorded_digest(path, spec) == recorded
    path.write_bytes(b"other" * 400)  # same size, other content
    with pytest.raises(ValueError, match="changed since its sha256 was recorded"):
        registry.check_recorded_digest(path, spec)
    with pytest.raises(ValueError, match="expected 3 bytes"):
        download_weights(replace(spec, size_bytes=3, file_name="t.pt"), tmp_path / "models")
    assert not (tmp_path / "models" / "t.pt").exists()


def test_strict_loading_names_the_keys(tmp_path):
    torch = pytest.importorskip("torch")
    module = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))
    state = module.state_dict()
    del state["1.bias"]
    state["extra.weight"] = torch.zeros(1)
    torch.save(state, tmp_path / "w.pt")
    loaded = load_state_dict_file(tmp_path / "w.pt")
    with pytest.raises(ValueError, match=r"missing keys.*1\.bias.*unexpected keys.*extra\.weight"):
        load_state_dict_strict(module, loaded, source="w.pt")


def test_load_rejects_pickled_objects(tmp_path):
    torch = pytest.importorskip("torch")

    import argparse

    # Any pickled object outside the weights-only allowlist must be refused, not executed.
    torch.save({"obj": argparse.Namespace(a=1)}, tmp_path / "evil.pt")
    with pytest.raises(ValueError, match="weights-only"):
        load_state_dict_file(tmp_path / "evil.pt")


def test_shipped_linegraph2road_weights_match_declaration():
    spec = registry.get_weights_spec("linegraph2road_hiera_pico_1m")
    path = spec.path()
    if not path.is_file():
        pytest.skip("shipped weights not exported yet")
    assert sha256_of_file(path) == spec.sha256
    assert path.stat().st_size <= 15e6
    card = json.loads(path.with_suffix(".json").read_text())
    assert card == spec.model_card
    model = registry.get_model("linegraph2road_hiera_pico_1m")
    assert not model.training


def test_missing_weights_say_how_to_install(tmp_path):
    pytest.importorskip("segment_anything")
    with pytest.raises(ValueError, match=r"not found.*registry download sam_vit_b"):
        registry.get_model("sam_vit_b", model_dir=tmp_path)


def test_architecture_without_weights():
    pytest.importorskip("torch_geometric")
    model = registry.get_model("linegraph2road_hiera_pico_1m", load_weights=False)
    assert model.config.variant == "hiera_pico" and model.config.feature_dim == 128


def test_shipped_anchor_sam_weights_match_their_card():
    pytest.importorskip("sam2")
    from backend.methods.anchor_sam.model import VARIANTS, AnchorSAMConfig

    spec = registry.get_weights_spec("anchor_sam_pico_1m")
    path = spec.path()
    assert sha256_of_file(path) == spec.sha256
    assert path.stat().st_size == spec.size_bytes <= 15e6
    card = json.loads(path.with_suffix(".json").read_text())
    assert card == spec.model_card and card["gsd_m"] == spec.gsd_m == 1.0
    assert AnchorSAMConfig.from_dict(card["architecture"]) == VARIANTS["pico"]
    model = registry.get_model("anchor_sam_pico_1m")
    assert not model.training and model.config.variant == "pico"
