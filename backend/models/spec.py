"""What a checkpoint file is: :class:`WeightsSpec` (DESIGN convention 2), where bundled and
downloaded weights live. No torch, no registry: the registry and the checkpoint loader both
build on this module."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Weights that ship with the package, each next to its JSON model card.
BUNDLED_WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


@dataclass(frozen=True)
class WeightsSpec:
    """Declaration of one checkpoint file.

    Attributes:
        id: registry name, e.g. ``"sam_vit_b"``.
        method: the method that uses it (``"linegraph2road"``, ``"sam"``, ...).
        architecture: architecture the state dict fits, e.g. ``"linegraph2road_vit_tiny"``.
        file_name: file name on disk.
        sha256: hex digest of the file; None when no published digest could be found (the
            digest is then recorded next to the file on first load and checked afterwards,
            see :func:`check_recorded_digest`).
        url: download URL for official checkpoints; ``None`` for weights bundled with the
            package (``backend/models/weights``).
        bands: input bands in order, e.g. ``("R", "G", "B")``.
        gsd_m: ground sample distance in metres per pixel the model expects; ``None`` when
            the weights are not tied to one (natural-image pretraining).
        description: one line for users.
        size_bytes: file size, when known (helps users spot a truncated download).
        model_card: for our own models, the facts of the JSON model card next to the file
            (variant, normalisation, training data, steps, validation metrics).
        local_path: for a model the user fine-tuned, the file in their model folder
            (:func:`user_models_dir`); None otherwise.
    """

    id: str
    method: str
    architecture: str
    file_name: str
    sha256: str | None
    url: str | None
    bands: tuple[str, ...]
    gsd_m: float | None
    description: str
    size_bytes: int | None = None
    model_card: dict[str, Any] | None = field(default=None, compare=False)
    local_path: str | None = None

    @property
    def bundled(self) -> bool:
        """True when the file ships inside the package instead of being downloaded."""
        return self.url is None and self.local_path is None

    def path(self, model_dir: str | os.PathLike[str] | None = None) -> Path:
        """Where the file is (or would be) on disk.

        Bundled weights live in ``backend/models/weights``; downloaded ones in ``model_dir``
        (default :func:`default_model_dir`).
        """
        if self.local_path is not None:
            return Path(self.local_path)
        if self.bundled:
            return BUNDLED_WEIGHTS_DIR / self.file_name
        return Path(model_dir if model_dir is not None else default_model_dir()) / self.file_name


def default_model_dir() -> Path:
    """Folder for downloaded checkpoints.

    ``$ROADEXTRACT_MODEL_DIR``, else ``$XDG_CACHE_HOME/roadextract/models``, else
    ``~/.cache/roadextract/models``.
    """
    env = os.environ.get("ROADEXTRACT_MODEL_DIR")
    if env:
        return Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "roadextract" / "models"


def user_models_dir() -> Path:
    """Folder of the models the user fine-tuned: ``<default_model_dir()>/user``."""
    return default_model_dir() / "user"
