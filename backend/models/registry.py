"""Model registry: declared weights and builder functions (DESIGN conventions 1 and 2).

Every model the backend can run is a :class:`WeightsSpec` (what the file is, where it comes
from, its sha256, bands and metres per pixel) plus a public builder function. All builders go
through one private builder, :func:`_build`, which constructs the architecture and loads the
declared file strictly. This module imports without torch: the service lists models and their
install state with :func:`model_status` on a machine that has no torch yet.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend.models.checkpoints import (
    download_weights,
    load_state_dict_file,
    load_state_dict_strict,
    sha256_of_file,
)
from backend.models.spec import (
    BUNDLED_WEIGHTS_DIR,
    WeightsSpec,
    default_model_dir,
    user_models_dir,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    import torch

# --- declarations --------------------------------------------------------------------------

SAM_VIT_B = WeightsSpec(
    id="sam_vit_b",
    method="sam",
    architecture="sam_vit_b",
    file_name="sam_vit_b_01ec64.pth",
    # Digest and size as published for the official file by several independent projects
    # (checked with the code-search index; not re-downloaded here).
    sha256="ec2df62732614e57411cdcf32a23ffdf28910380d03139ee0f4fcbe91eb8c912",
    url="https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth",
    bands=("R", "G", "B"),
    gsd_m=None,
    description=(
        "Official Segment Anything ViT-B (Kirillov et al. 2023), natural images, Apache-2.0. "
        "Starting point of the LineGraph2Road ViT-B encoder (paper Sec. 3.2)."
    ),
    size_bytes=375_042_383,
)

SAM_VIT_L = WeightsSpec(
    id="sam_vit_l",
    method="sam",
    architecture="sam_vit_l",
    file_name="sam_vit_l_0b3195.pth",
    # Published by several independent projects (checked with the code-search index).
    sha256="3adcc4315b642a4d2101128f611684e8734c41232a17c648ed1693702a49a622",
    url="https://dl.fbaipublicfiles.com/segment_anything/sam_vit_l_0b3195.pth",
    bands=("R", "G", "B"),
    gsd_m=None,
    description="Official Segment Anything ViT-L (Kirillov et al. 2023), natural images, "
    "Apache-2.0.",
    size_bytes=1_249_524_607,
)

SAM_VIT_H = WeightsSpec(
    id="sam_vit_h",
    method="sam",
    architecture="sam_vit_h",
    file_name="sam_vit_h_4b8939.pth",
    # Published by several independent projects (checked with the code-search index).
    sha256="a7bf3b02f3ebf1267aba913ff637d9a2d5c33d3173bb679e46d9f338c26f262e",
    url="https://dl.fbaipublicfiles.com/segment_anything/sam_vit_h_4b8939.pth",
    bands=("R", "G", "B"),
    gsd_m=None,
    description="Official Segment Anything ViT-H (Kirillov et al. 2023), natural images, "
    "Apache-2.0; the SAM used by SAMRS.",
    size_bytes=2_564_550_879,
)

# SAM 2 (July 2024) and SAM 2.1 (September 2024), Apache-2.0, from the official download
# folders. No published sha256 of these files could be found: sha256=None, so the digest of
# the file is recorded next to it on first load and checked on every later load.
_SAM2_URLS = {
    "sam2": "https://dl.fbaipublicfiles.com/segment_anything_2/072824/",
    "sam2.1": "https://dl.fbaipublicfiles.com/segment_anything_2/092824/",
}
_SAM2_SIZES = {"t": "tiny", "s": "small", "b_plus": "base_plus", "l": "large"}
SAM2_SPECS = tuple(
    WeightsSpec(
        id=f"{version}_hiera_{size}",
        method="sam2",
        architecture=f"{version}_hiera_{size}",
        file_name=f"{version}_hiera_{long_name}.pt",
        sha256=None,
        url=f"{_SAM2_URLS[version]}{version}_hiera_{long_name}.pt",
        bands=("R", "G", "B"),
        gsd_m=None,
        description=f"Official {version.upper().replace('SAM', 'SAM ')} Hiera-"
        f"{long_name.replace('_plus', '+').replace('_', ' ')} (Ravi et al. 2024), natural "
        "images, Apache-2.0.",
    )
    for version in ("sam2", "sam2.1")
    for size, long_name in _SAM2_SIZES.items()
)
# hydra config (inside the sam2 package) of each SAM 2 architecture.
_SAM2_CONFIGS = {
    spec.architecture: (
        f"configs/{spec.architecture.split('_hiera_')[0]}/"
        f"{spec.architecture.replace('_b_plus', '_b+')}.yaml"
    )
    for spec in SAM2_SPECS
}

def _bundled_spec(
    id: str, method: str, architecture: str, description: str
) -> WeightsSpec:
    """A model that ships with the package, declared by the JSON card its training ``export``
    wrote next to the weights (``backend/models/weights/<id>.json``): the card is the single
    source of the file name, digest, size, GSD and validation figures."""
    card = json.loads((BUNDLED_WEIGHTS_DIR / f"{id}.json").read_text())
    return WeightsSpec(
        id=id,
        method=method,
        architecture=architecture,
        file_name=card["file_name"],
        sha256=card["sha256"],
        url=None,
        bands=("R", "G", "B"),
        gsd_m=float(card["gsd_m"]),
        description=description,
        size_bytes=int(card["size_bytes"]),
        model_card=card,
    )


LINEGRAPH2ROAD_HIERA_PICO_1M = _bundled_spec(
    "linegraph2road_hiera_pico_1m",
    "linegraph2road",
    "linegraph2road_hiera_pico",
    "LineGraph2Road with a small SAM2 Hiera encoder started from the shipped Anchor-SAM and "
    "trained on CPU on a multi-domain road set (Massachusetts, Google/EPFL; 1 m/px RGB). "
    "Demo grade, dense graphs (high recall, low precision); see its model card for the "
    "per-domain APLS / TOPO on held-out data.",
)

ANCHOR_SAM_PICO_1M = _bundled_spec(
    "anchor_sam_pico_1m",
    "anchor_sam",
    "anchor_sam_pico",
    "Anchor-SAM with a small Hiera encoder (variant 'pico', not in the paper) trained on CPU "
    "on a multi-domain road set (Massachusetts, Google/EPFL, DeepGlobe, SpaceNet Vegas; 1 m/px "
    "RGB). See its model card for the per-domain IoU on held-out data.",
)

ROADGIE_HIERA_PICO_1M = _bundled_spec(
    "roadgie_hiera_pico_1m",
    "roadgie",
    "roadgie_hiera_pico",
    "RoadGIE-style interactive road model (clicks and scribbles, previous logits) with a "
    "small SAM2 Hiera encoder started from the shipped Anchor-SAM, trained on CPU with "
    "simulated interaction on a multi-domain road set (Massachusetts, Google/EPFL, "
    "DeepGlobe; 1 m/px RGB). See its model card for Dice / APLS after 1, 3 and 5 clicks.",
)

WEIGHTS: dict[str, WeightsSpec] = {
    s.id: s
    for s in (SAM_VIT_B, SAM_VIT_L, SAM_VIT_H, *SAM2_SPECS, LINEGRAPH2ROAD_HIERA_PICO_1M,
              ANCHOR_SAM_PICO_1M, ROADGIE_HIERA_PICO_1M)
}


# --- builders --------------------------------------------------------------------------------


def _architecture(name: str) -> torch.nn.Module:
    """Randomly initialised module for a declared architecture name."""
    if name == "sam_vit_b":
        try:
            from segment_anything import sam_model_registry
        except ImportError as exc:
            raise ImportError(
                "sam_vit_b needs the 'segment-anything' package: "
                "pip install segment-anything==1.0 (or `make install`)"
            ) from exc
        return sam_model_registry["vit_b"]()
    if name in ("sam_vit_l", "sam_vit_h"):
        try:
            from segment_anything import sam_model_registry
        except ImportError as exc:
            raise ImportError(
                f"{name} needs the 'segment-anything' package: "
                "pip install segment-anything==1.0 (or `make install`)"
            ) from exc
        return sam_model_registry[name.removeprefix("sam_")]()
    if name in _SAM2_CONFIGS:
        try:
            from sam2.build_sam import build_sam2
        except ImportError as exc:
            raise ImportError(
                f"{name} needs the 'sam2' package: pip install sam2==1.1.0 (or `make install`)"
            ) from exc
        # The official builder with its default post-processing settings, no weights.
        return build_sam2(_SAM2_CONFIGS[name], None, device="cpu")
    # The networks import torch: each is imported when a model of it is built, so the
    # registry lists models without torch (the one import from models/ up to methods/).
    if name.startswith("linegraph2road_"):
        from backend.methods.linegraph2road.model import build_linegraph2road

        return build_linegraph2road(name.removeprefix("linegraph2road_"))
    if name.startswith("anchor_sam_"):
        from backend.methods.anchor_sam.model import build_anchor_sam

        return build_anchor_sam(name.removeprefix("anchor_sam_"))
    if name.startswith("roadgie_"):
        from backend.methods.roadgie.model import build_roadgie

        return build_roadgie(name.removeprefix("roadgie_"))
    raise ValueError(
        f"no architecture {name!r}; declared: sam_vit_b/l/h, {', '.join(_SAM2_CONFIGS)}, "
        "linegraph2road_<variant>"
    )


def _build(
    name: str,
    checkpoint: str | os.PathLike[str] | None = None,
    model_dir: str | os.PathLike[str] | None = None,
    device: str = "cpu",
    load_weights: bool = True,
    verify_sha256: bool = True,
) -> torch.nn.Module:
    """The one builder behind every registered model.

    Args:
        name: registry id (see :func:`list_models`).
        checkpoint: explicit file to load instead of the declared location; it is still
            checked against the declared sha256 unless ``verify_sha256`` is False (a model
            you trained yourself).
        model_dir: folder of downloaded checkpoints (default :func:`default_model_dir`).
        device: torch device string for the returned module.
        load_weights: False returns the architecture with random weights.
        verify_sha256: check the file digest before loading.

    Returns:
        The module in eval mode on ``device``.

    Raises:
        ValueError: unknown name, file missing (message says how to install it), digest
            mismatch, or keys that do not match the architecture.
    """
    spec = get_weights_spec(name)
    path = Path(checkpoint) if checkpoint is not None else spec.path(model_dir)
    if load_weights and not path.is_file():
        raise ValueError(
            f"weights for {name!r} not found at {path}. {how_to_install(spec, model_dir)}"
        )
    module = _architecture(spec.architecture)
    if load_weights:
        if verify_sha256 and spec.sha256 is None:
            check_recorded_digest(path, spec)
        state = load_state_dict_file(path, spec.sha256 if verify_sha256 else None)
        load_state_dict_strict(module, state, source=str(path))
    return module.to(device).eval()


def build_sam_vit_b(**kwargs: Any) -> torch.nn.Module:
    """Official SAM ViT-B (segment_anything ``Sam``); see :func:`_build` for arguments."""
    return _build("sam_vit_b", **kwargs)


def build_linegraph2road_hiera_pico_1m(**kwargs: Any) -> torch.nn.Module:
    """Our shipped LineGraph2Road (small Hiera, 1 m/px RGB); see :func:`_build` for arguments."""
    return _build("linegraph2road_hiera_pico_1m", **kwargs)


def build_anchor_sam_pico_1m(**kwargs: Any) -> torch.nn.Module:
    """Our shipped Anchor-SAM (small Hiera, 1 m/px RGB); see :func:`_build` for arguments."""
    return _build("anchor_sam_pico_1m", **kwargs)


def _sam_family_builder(name: str) -> Callable[..., torch.nn.Module]:
    """Public builder of the official SAM-family model ``name`` (see :func:`_build`)."""

    def build(**kwargs: Any) -> torch.nn.Module:
        return _build(name, **kwargs)

    build.__name__ = f"build_{name.replace('.', '_')}"
    build.__doc__ = f"Official {name} (segment_anything / sam2 module); see :func:`_build`."
    return build


_BUILDERS: dict[str, Callable[..., torch.nn.Module]] = {
    "sam_vit_b": build_sam_vit_b,
    "linegraph2road_hiera_pico_1m": build_linegraph2road_hiera_pico_1m,
    "anchor_sam_pico_1m": build_anchor_sam_pico_1m,
    "roadgie_hiera_pico_1m": lambda **kwargs: _build("roadgie_hiera_pico_1m", **kwargs),
    **{
        name: _sam_family_builder(name)
        for name in ("sam_vit_l", "sam_vit_h", *(spec.id for spec in SAM2_SPECS))
    },
}


def check_recorded_digest(path: str | os.PathLike[str], spec: WeightsSpec) -> str:
    """For weights without a published sha256: record the file's digest on first use,
    check it afterwards.

    The digest goes to ``<file>.sha256`` next to the file (a ``sha256sum`` line). A declared
    ``size_bytes`` is checked too.

    Returns:
        The file's sha256.

    Raises:
        ValueError: the size differs from the declared one, or the file changed since its
            digest was recorded (it is then not the file first installed).
    """
    path = Path(path)
    if spec.size_bytes is not None and path.stat().st_size != spec.size_bytes:
        raise ValueError(
            f"{path} has {path.stat().st_size} bytes, {spec.id} has {spec.size_bytes}: the file "
            f"is truncated or not {spec.id}; download {spec.url} again"
        )
    digest = sha256_of_file(path)
    record = path.with_name(path.name + ".sha256")
    if record.is_file():
        recorded = record.read_text().split()[0] if record.read_text().split() else ""
        if recorded != digest:
            raise ValueError(
                f"{path} changed since its sha256 was recorded ({recorded}, now {digest}); "
                f"delete it and {record.name}, then download {spec.url} again"
            )
    else:
        try:
            record.write_text(f"{digest}  {path.name}\n")
        except OSError:
            pass  # read-only model folder: nothing to record, the file still loads
    return digest


# Registry method names of the SAM family (WeightsSpec.method).
SAM_V1_METHOD = "sam"
SAM_V2_METHOD = "sam2"


def sam_family_models() -> list[str]:
    """Registry ids of every SAM-family model, sorted."""
    return sorted(k for k, s in WEIGHTS.items() if s.method in (SAM_V1_METHOD, SAM_V2_METHOD))


def list_models() -> list[str]:
    """Registered model ids (shipped, downloadable and the user's fine-tuned ones), sorted."""
    return sorted({*_BUILDERS, *user_models()})


def user_models() -> dict[str, WeightsSpec]:
    """The user's fine-tuned models: every card in :func:`user_models_dir` that names its
    registry architecture (``backend.jobs.fine_tune`` writes them). Unreadable cards are
    skipped."""
    found: dict[str, WeightsSpec] = {}
    folder = user_models_dir()
    if not folder.is_dir():
        return found
    for card_path in sorted(folder.glob("*.json")):
        try:
            card = json.loads(card_path.read_text())
            spec = WeightsSpec(
                id=card["id"],
                method=card["method"],
                architecture=card["registry_architecture"],
                file_name=card["file_name"],
                sha256=card["sha256"],
                url=None,
                bands=tuple(card.get("bands", ("R", "G", "B"))),
                gsd_m=float(card["gsd_m"]),
                description=card.get("description", "fine-tuned model"),
                size_bytes=int(card["size_bytes"]),
                model_card=card,
                local_path=str(card_path.with_name(card["file_name"])),
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if spec.id not in WEIGHTS:
            found[spec.id] = spec
    return found


def get_weights_spec(name: str) -> WeightsSpec:
    """The :class:`WeightsSpec` declared for ``name`` (a fine-tuned model's from its card).

    Raises:
        ValueError: unknown name (lists the choices).
    """
    if name in WEIGHTS:
        return WEIGHTS[name]
    user = user_models()
    if name not in user:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(list_models())}")
    return user[name]


def get_model(name: str, **kwargs: Any) -> torch.nn.Module:
    """Build a registered model with its declared weights.

    Args:
        name: one of :func:`list_models`.
        **kwargs: passed to the builder (``checkpoint``, ``model_dir``, ``device``,
            ``load_weights``, ``verify_sha256``).

    Raises:
        ValueError: unknown name (lists the choices) or weights that cannot be loaded.
    """
    if name in _BUILDERS:
        return _BUILDERS[name](**kwargs)
    get_weights_spec(name)  # raises for an unknown name
    return _build(name, **kwargs)


def how_to_install(spec: WeightsSpec, model_dir: str | os.PathLike[str] | None = None) -> str:
    if spec.local_path is not None:
        return (
            f"It is a model you fine-tuned ({spec.local_path}); fine-tune it again or restore "
            "the file next to its card."
        )
    if spec.bundled:
        return (
            f"It ships with the backend package (backend/models/weights/{spec.file_name}); "
            "reinstall the backend (`make install`) to restore it."
        )
    target = Path(model_dir) if model_dir is not None else default_model_dir()
    return (
        f"Run `python -m backend.models.registry download {spec.id} --model-dir {target}`, or "
        f"download {spec.url} into {target} yourself (sha256 {spec.sha256})."
    )


def model_status(model_dir: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """Install state of every registered model, for the service's ``/models`` endpoint.

    Args:
        model_dir: folder of downloaded checkpoints (default :func:`default_model_dir`).

    Returns:
        One dict per model with ``id, method, architecture, installed, path, file_name,
        sha256, url, gsd_m, bands, description, how_to_install`` (``installed`` means the file
        exists; its digest is checked when the model is loaded).
    """
    rows = []
    for name in list_models():
        spec = get_weights_spec(name)
        path = spec.path(model_dir)
        rows.append(
            {
                "id": spec.id,
                "method": spec.method,
                "architecture": spec.architecture,
                "installed": path.is_file(),
                "path": str(path),
                "file_name": spec.file_name,
                "sha256": spec.sha256,
                "url": spec.url,
                "gsd_m": spec.gsd_m,
                "bands": list(spec.bands),
                "description": spec.description,
                "how_to_install": how_to_install(spec, model_dir),
            }
        )
    return rows


def spec_as_dict(spec: WeightsSpec) -> dict[str, Any]:
    """JSON-ready dict of a spec (tuples become lists)."""
    out = asdict(spec)
    out["bands"] = list(spec.bands)
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m backend.models.registry {list,download} ...``."""
    parser = argparse.ArgumentParser(prog="python -m backend.models.registry")
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="list models and whether their weights are installed")
    p_list.add_argument("--model-dir", default=None)
    p_dl = sub.add_parser("download", help="download and verify an official checkpoint")
    p_dl.add_argument("name", choices=list_models())
    p_dl.add_argument("--model-dir", default=None)
    args = parser.parse_args(argv)
    if args.command == "list":
        for row in model_status(args.model_dir):
            state = "installed" if row["installed"] else "missing"
            print(f"{row['id']:32s} {state:9s} {row['path']}")
        return 0
    spec = get_weights_spec(args.name)
    path = download_weights(spec, args.model_dir or default_model_dir())
    print(f"{spec.id}: {path} (sha256 verified)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
