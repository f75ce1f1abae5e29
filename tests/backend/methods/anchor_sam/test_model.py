"""Anchor-SAM network: shapes, gradients, parameter counts (Table II), SAM2 weights."""

import pytest
import torch

from backend.methods.anchor_sam.model import (
    VARIANTS,
    AnchorSAMConfig,
    bce_dice_loss,
    build_anchor_sam,
    count_parameters,
)
from backend.methods.anchor_sam.modules import DBCIM, MDCP

# Table II of the paper, millions of parameters.
PAPER_PARAMS_M = {"T": 49.94, "S": 57.03, "B": 96.66, "L": 251.91}


def test_parameter_counts_within_ten_percent_of_table_ii(capsys):
    rows = []
    for variant, paper in PAPER_PARAMS_M.items():
        ours = count_parameters(build_anchor_sam(variant)) / 1e6
        rows.append((variant, ours, paper))
    with capsys.disabled():
        print("\nAnchor-SAM parameters (M): variant, ours, paper (Table II), difference")
        for variant, ours, paper in rows:
            print(f"  {variant}: {ours:7.2f} {paper:7.2f} {100 * (ours / paper - 1):+5.1f} %")
    for variant, ours, paper in rows:
        assert abs(ours / paper - 1) < 0.10, variant


def test_forward_shapes_and_every_parameter_gets_a_gradient():
    torch.manual_seed(0)
    model = build_anchor_sam("pico")
    x = torch.randn(2, 3, 128, 160)
    logits = model(x)
    assert logits.shape == (2, 1, 128, 160)
    target = (torch.rand(2, 1, 128, 160) > 0.9).float()
    bce_dice_loss(logits, target).backward()
    no_grad = [n for n, p in model.named_parameters() if p.grad is None]
    assert no_grad == []
    with pytest.raises(ValueError, match="multiples of 32"):
        model(torch.randn(1, 3, 100, 128))


def test_module_shapes():
    dbcim = DBCIM(32, strip_length=5, group_channels=8)
    assert dbcim(torch.randn(1, 32, 9, 11)).shape == (1, 32, 9, 11)
    mdcp = MDCP(64, 16, group_channels=8, swin_heads=2, swin_window=4)
    assert mdcp(torch.randn(2, 64, 5, 6)).shape == (2, 16, 5, 6)


def test_loss_is_bce_plus_dice_and_ignores_invalid_pixels():
    logits = torch.tensor([[[[10.0, -10.0], [0.0, 3.0]]]])
    target = torch.tensor([[[[1.0, 0.0], [1.0, 0.0]]]])
    valid = torch.tensor([[[[1.0, 1.0], [0.0, 0.0]]]])
    # Only the two confidently right pixels count: BCE ~ 0, Dice ~ 0.
    assert bce_dice_loss(logits, target, valid) < 1e-3
    assert bce_dice_loss(logits, target) > 0.5


def test_config_round_trip():
    config = VARIANTS["pico"]
    assert AnchorSAMConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="choose one of"):
        build_anchor_sam("XXL")


@pytest.fixture(scope="module")
def official_sam2_tiny(tmp_path_factory):
    """A randomly initialised official SAM2.1 Hiera-T saved in the official format."""
    from sam2.build_sam import build_sam2

    torch.manual_seed(0)
    sam2 = build_sam2("configs/sam2.1/sam2.1_hiera_t.yaml", None, device="cpu")
    path = tmp_path_factory.mktemp("sam2") / "sam2.1_hiera_tiny.pt"
    torch.save({"model": sam2.state_dict()}, path)
    return path, sam2.state_dict()


def test_encoder_loads_official_sam2_checkpoint_strictly(official_sam2_tiny):
    path, official = official_sam2_tiny
    model = build_anchor_sam("T", sam2_checkpoint=path)
    ours = model.image_encoder.state_dict()
    encoder_keys = [k for k in official if k.startswith("image_encoder.")]
    assert len(encoder_keys) == len(ours)
    for key in encoder_keys:
        torch.testing.assert_close(ours[key.removeprefix("image_encoder.")], official[key])


def test_wrong_checkpoints_give_clear_errors(official_sam2_tiny, tmp_path):
    path, _ = official_sam2_tiny
    with pytest.raises(ValueError, match="Anchor-SAM-S.*does not match"):
        build_anchor_sam("S", sam2_checkpoint=path)  # a Hiera-T file for the S variant
    sam1_like = tmp_path / "sam_vit_b.pth"
    torch.save({"image_encoder.patch_embed.proj.weight": torch.zeros(1)}, sam1_like)
    with pytest.raises(ValueError, match="official SAM2"):
        build_anchor_sam("T", sam2_checkpoint=sam1_like)
    not_a_checkpoint = tmp_path / "notes.txt"
    not_a_checkpoint.write_text("hello")
    with pytest.raises(ValueError, match="not a loadable"):
        build_anchor_sam("T", sam2_checkpoint=not_a_checkpoint)
