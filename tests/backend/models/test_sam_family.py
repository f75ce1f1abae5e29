"""The shared SAM-family loader: official architectures with random weights saved in the
official checkpoint formats, loaded through the real code."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from backend.models import registry
from backend.models.sam_family import (
    LOW_RES_MASK_PX,
    PromptableSegmenter,
    load_segmenter,
    sam_family_models,
)

SAM2_ID = "sam2.1_hiera_t"


@pytest.fixture(scope="module")
def sam2_file(tmp_path_factory):
    torch.manual_seed(0)
    model = registry.get_model(SAM2_ID, load_weights=False)
    path = tmp_path_factory.mktemp("w") / "sam2.1_hiera_tiny.pt"
    torch.save({"model": model.state_dict()}, path)  # official SAM 2 format
    return path


@pytest.fixture(scope="module")
def segmenter(sam2_file):
    torch.set_num_threads(1)
    return load_segmenter(SAM2_ID, "cpu", sam2_file)


@pytest.fixture(scope="module")
def embedding(segmenter):
    rng = np.random.default_rng(0)
    image = (rng.random((300, 420, 3)) * 255).astype(np.uint8)
    return segmenter.encode(image)


def test_registry_declares_the_official_checkpoints():
    ids = set(sam_family_models())
    expected = {"sam_vit_b", "sam_vit_l", "sam_vit_h"} | {
        f"{v}_hiera_{s}" for v in ("sam2", "sam2.1") for s in ("t", "s", "b_plus", "l")
    }
    assert ids == expected
    for name in expected:
        spec = registry.get_weights_spec(name)
        assert spec.url.startswith("https://dl.fbaipublicfiles.com/segment_anything")
        assert spec.url.endswith(spec.file_name)
        assert spec.sha256 is None or len(spec.sha256) == 64
    assert registry.get_weights_spec("sam2.1_hiera_b_plus").file_name == "sam2.1_hiera_base_plus.pt"


def test_encode_decode_shapes(segmenter, embedding):
    assert isinstance(segmenter, PromptableSegmenter) and segmenter.image_size == 1024
    assert embedding.image_hw == (300, 420)
    boxes = np.array([[10, 20, 100, 120], [200, 100, 400, 290], [0, 0, 420, 300]], np.float32)
    result = segmenter.decode(embedding, boxes=boxes)
    assert result.masks.shape == (3, 300, 420) and result.masks.dtype == bool
    assert result.low_res_logits.shape == (3, 1, LOW_RES_MASK_PX, LOW_RES_MASK_PX)
    assert result.low_res_logits.dtype == np.float32 and result.iou.shape == (3,)
    # All prompt kinds together, multimask, and feeding logits back.
    points = np.array([[[50, 60], [70, 80]]] * 3, np.float32)
    again = segmenter.decode(
        embedding, points=points, point_labels=np.array([[1, 0]] * 3), boxes=boxes,
        mask_logits=result.low_res_logits, multimask=True,
    )
    assert again.masks.shape == (3, 300, 420)


def test_batched_decode_equals_one_by_one(segmenter, embedding):
    boxes = np.array([[10, 20, 100, 120], [200, 100, 400, 290]], np.float32)
    together = segmenter.decode(embedding, boxes=boxes)
    for k in range(2):
        alone = segmenter.decode(embedding, boxes=boxes[k : k + 1])
        np.testing.assert_allclose(alone.low_res_logits[0], together.low_res_logits[k],
                                   atol=1e-3)


def test_window_logits_equal_the_full_upsampling(segmenter, embedding):
    boxes = np.array([[10, 20, 100, 120], [200, 100, 400, 290]], np.float32)
    full = segmenter.decode(embedding, boxes=boxes)
    low_res, iou = segmenter.decode_low_res(embedding, boxes=boxes)
    np.testing.assert_allclose(iou, full.iou, atol=1e-5)
    windows = np.array([[0, 0, 420, 300], [180, 90, 420, 300]])
    parts = segmenter.logits_in_windows(embedding, low_res, windows)
    assert np.array_equal(parts[0] > 0, full.masks[0])
    assert np.array_equal(parts[1] > 0, full.masks[1][90:300, 180:420])


def test_sam_v1_window_logits_follow_its_two_step_resize():
    """ViT-B decoder path with a made-up embedding (its encoder is too slow for a test)."""
    from backend.models.sam_family import ImageEmbedding, _SamV1Segmenter

    torch.manual_seed(0)
    seg = _SamV1Segmenter("sam_vit_b", registry.get_model("sam_vit_b", load_weights=False), "cpu")
    emb = ImageEmbedding("sam_vit_b", (500, 700), {"image_embed": torch.randn(1, 256, 64, 64)},
                         (731, 1024), (1024 / 700 / 4, 1024 / 700 / 4))
    boxes = np.array([[10, 20, 100, 120], [300, 200, 400, 260]], np.float32)
    full = seg.decode(emb, boxes=boxes)
    low_res, _ = seg.decode_low_res(emb, boxes=boxes)
    reference = seg.module.postprocess_masks(low_res, (731, 1024), (500, 700))
    parts = seg.logits_in_windows(emb, low_res, np.array([[0, 0, 700, 500], [250, 180, 420, 300]]))
    np.testing.assert_allclose(parts[0], reference[0, 0].numpy(), atol=1e-4)
    np.testing.assert_allclose(parts[1], reference[1, 0, 180:300, 250:420].numpy(), atol=1e-4)
    assert full.masks.shape == (2, 500, 700)


def test_bad_prompts(segmenter, embedding):
    with pytest.raises(ValueError, match="at least one prompt"):
        segmenter.decode(embedding)
    with pytest.raises(ValueError, match="disagree"):
        segmenter.decode(embedding, boxes=np.zeros((2, 4)), mask_logits=np.zeros((3, 1, 256, 256)))
    with pytest.raises(ValueError, match="point_labels"):
        segmenter.decode(embedding, points=np.zeros((1, 1, 2)))
    with pytest.raises(ValueError, match="uint8"):
        segmenter.encode(np.zeros((10, 10, 3), np.float32))


def test_wrong_file_names_the_expected_model(sam2_file, tmp_path):
    with pytest.raises(ValueError, match="not a sam2.1_hiera_s checkpoint.*missing keys"):
        load_segmenter("sam2.1_hiera_s", "cpu", sam2_file)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a sam2.1_hiera_t checkpoint"):
        load_segmenter(SAM2_ID, "cpu", junk)
    with pytest.raises(ValueError, match="not a SAM-family model"):
        load_segmenter("linegraph2road_hiera_pico_1m")
    with pytest.raises(ValueError, match="not found.*download"):
        load_segmenter(SAM2_ID, model_dir=tmp_path)


def test_unknown_digest_is_recorded_then_checked(sam2_file, tmp_path):
    import shutil

    spec = registry.get_weights_spec(SAM2_ID)
    assert spec.sha256 is None
    installed = tmp_path / spec.file_name
    shutil.copy(sam2_file, installed)
    load_segmenter(SAM2_ID, model_dir=tmp_path)  # declared file, first use: digest recorded
    record = tmp_path / (spec.file_name + ".sha256")
    assert record.read_text().split()[0] == registry.check_recorded_digest(installed, spec)
    with installed.open("ab") as fh:
        fh.write(b"x")
    with pytest.raises(ValueError, match="changed since its sha256 was recorded"):
        load_segmenter(SAM2_ID, model_dir=tmp_path)
