"""Checkpoint files: sha256 verification, download, strict loading (DESIGN convention 2).

Everything here that touches tensors imports torch inside the function, so that the service can
list and download weights without torch installed (convention 9).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend.models.spec import WeightsSpec

if TYPE_CHECKING:  # pragma: no cover - typing only
    import torch

_CHUNK_BYTES = 1 << 20


def sha256_of_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 digest of a file, read in 1 MiB chunks.

    Args:
        path: file to hash.

    Returns:
        64 lowercase hex characters.

    Raises:
        ValueError: the file does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"cannot hash {path}: no such file")
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: str | os.PathLike[str], expected_sha256: str) -> None:
    """Check a file against its declared sha256.

    Raises:
        ValueError: the digest differs (names both digests and the file).
    """
    actual = sha256_of_file(path)
    if actual != expected_sha256.lower():
        raise ValueError(
            f"sha256 mismatch for {path}: expected {expected_sha256}, got {actual}. "
            "The file is corrupt or not the declared checkpoint; delete it and download again."
        )


def download_weights(
    spec: WeightsSpec,
    model_dir: str | os.PathLike[str],
    progress: Callable[[int, int | None], None] | None = None,
    timeout_s: float = 60.0,
) -> Path:
    """Download a declared checkpoint into ``model_dir`` and verify its sha256.

    The file is streamed into a temporary file in ``model_dir`` and renamed into place only
    after its digest matched, so a half-downloaded or wrong file never carries the final name.
    An existing file with the right digest is kept without downloading.

    Args:
        spec: the declared weights; needs ``url``. Without a published ``sha256`` the
            downloaded file's digest is recorded in ``<file>.sha256`` (and its size checked
            when declared).
        model_dir: folder for downloaded checkpoints (created if missing).
        progress: optional callback ``(bytes_done, bytes_total_or_None)``.
        timeout_s: socket timeout in seconds.

    Returns:
        Path of the verified file ``model_dir / spec.file_name``.

    Raises:
        ValueError: the spec has no URL (bundled weights), the download failed, or the
            digest does not match.
    """
    if not spec.url:
        raise ValueError(
            f"weights {spec.id!r} have no download URL: they ship with the package "
            f"(backend/models/weights/{spec.file_name}); reinstall the backend to restore them"
        )
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    target = model_dir / spec.file_name
    if target.is_file() and (spec.sha256 is None or sha256_of_file(target) == spec.sha256):
        return target  # without a published digest the load checks the recorded one

    fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.file_name}.", suffix=".part", dir=model_dir)
    tmp_path = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        with (
            os.fdopen(fd, "wb") as out,
            urllib.request.urlopen(  # noqa: S310 - declared https URL
                spec.url, timeout=timeout_s
            ) as response,
        ):
            total_header = response.headers.get("Content-Length")
            total = int(total_header) if total_header else None
            done = 0
            for chunk in iter(lambda: response.read(_CHUNK_BYTES), b""):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
        actual = digest.hexdigest()
        if spec.sha256 is not None and actual != spec.sha256:
            raise ValueError(
                f"downloaded {spec.url} but its sha256 is {actual}, expected {spec.sha256}; "
                "nothing was installed. Retry, or download the file by hand and check it."
            )
        if spec.sha256 is None and spec.size_bytes is not None and done != spec.size_bytes:
            raise ValueError(
                f"downloaded {spec.url} but got {done} bytes, expected {spec.size_bytes} bytes; "
                "nothing was installed. Retry, or download the file by hand."
            )
        os.replace(tmp_path, target)
        if spec.sha256 is None:
            # No published digest: record this file's, which every later load checks
            # (registry.check_recorded_digest).
            target.with_name(target.name + ".sha256").write_text(f"{actual}  {target.name}\n")
    except OSError as exc:  # urllib.error.URLError is an OSError
        raise ValueError(
            f"could not download {spec.id!r} from {spec.url}: {exc}. Check the network, or "
            f"download the file by hand into {model_dir} (sha256 {spec.sha256})."
        ) from exc
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
    return target


def load_state_dict_file(
    path: str | os.PathLike[str], expected_sha256: str | None = None
) -> dict[str, torch.Tensor]:
    """Read a checkpoint safely: ``torch.load(map_location="cpu", weights_only=True)``.

    Accepts a bare state dict or a dict holding one under ``"model"`` / ``"state_dict"``
    (training checkpoints).

    Args:
        path: checkpoint file.
        expected_sha256: when given, the file is verified first.

    Returns:
        Mapping of parameter name to CPU tensor.

    Raises:
        ValueError: missing file, digest mismatch, a file that is not a weights-only
            checkpoint, or one that holds no state dict.
    """
    import torch  # only here: the registry (which imports this module) stays torch-free

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"checkpoint {path} does not exist")
    if expected_sha256 is not None:
        verify_sha256(path, expected_sha256)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle errors come in many types
        raise ValueError(
            f"{path} is not a loadable weights-only PyTorch checkpoint ({exc})"
        ) from exc
    if isinstance(obj, Mapping):
        for key in ("model", "state_dict"):
            inner = obj.get(key)
            if isinstance(inner, Mapping):
                obj = inner
                break
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ValueError(f"{path} does not hold a state dict of tensors")
    return dict(obj)


def load_state_dict_strict(
    module: torch.nn.Module, state_dict: Mapping[str, Any], source: str = "state dict"
) -> None:
    """Load weights into ``module`` requiring exactly matching names and shapes.

    Values are cast to each parameter's dtype (an fp16 file loads into an fp32 model).

    Args:
        module: the model to fill.
        state_dict: name -> tensor.
        source: what to call the weights in error messages (e.g. the file path).

    Raises:
        ValueError: missing keys, unexpected keys or shape mismatches, each listed by name.
    """
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected))
    mismatched = sorted(
        f"{k}: file {tuple(state_dict[k].shape)} vs model {tuple(expected[k].shape)}"
        for k in set(expected) & set(state_dict)
        if tuple(state_dict[k].shape) != tuple(expected[k].shape)
    )
    if missing or unexpected or mismatched:
        parts = []
        if missing:
            parts.append(f"missing keys ({len(missing)}): {_names(missing)}")
        if unexpected:
            parts.append(f"unexpected keys ({len(unexpected)}): {_names(unexpected)}")
        if mismatched:
            parts.append(f"shape mismatches ({len(mismatched)}): {_names(mismatched)}")
        raise ValueError(
            f"{source} does not match {type(module).__name__}: "
            + "; ".join(parts)
            + ". Check that the file is the checkpoint declared for this architecture."
        )
    module.load_state_dict(dict(state_dict), strict=True)


def _names(names: list[str], limit: int = 12) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... (+{len(names) - limit} more)" if len(names) > limit else "")
