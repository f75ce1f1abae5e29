"""Resumable runs: finished blocks recorded next to the output.

For an output ``roads.gpkg`` the run keeps ``roads.gpkg.blocks.json`` (the manifest) and
``roads.gpkg.blocks/`` (one file per finished block). The manifest is keyed by a hash of the
job parameters (all but where the output goes and where the run executes) and the input
file's identity (resolved path, size, modification time): a rerun with the same key skips
the recorded blocks, any other key starts afresh. Both are removed once the output is
published. Files are replaced atomically, so a run killed mid-write leaves a manifest that
names only complete block files.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

from pydantic import BaseModel

MANIFEST_VERSION = 1
# Parameters that do not change any block's result.
_NOT_KEYED = frozenset({"output_path", "output_mode", "scheduler", "probability_path"})


def input_identity(path: str | os.PathLike) -> dict:
    """Resolved path, size (bytes) and mtime (ns) of an input file; changes when it does."""
    resolved = Path(path).resolve()
    stat = resolved.stat()
    return {"path": str(resolved), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def run_key(params: BaseModel, inputs: list[str]) -> str:
    """sha256 (hex) of the block-relevant parameters and the inputs' identities."""
    keyed = {k: v for k, v in params.model_dump(mode="json").items() if k not in _NOT_KEYED}
    text = json.dumps(
        {"params": keyed, "inputs": [input_identity(p) for p in inputs]}, sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _replace_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class BlockManifest:
    """The finished blocks of one run (see the module docstring).

    Args:
        output_path: the job's output file; the manifest and block folder sit beside it.
        key: :func:`run_key` of this run.
        n_blocks: number of blocks of the run.
        save_every_s: the manifest is rewritten at most this often while blocks arrive
            (and always by :meth:`save`), so huge runs do not rewrite it per block.
    """

    def __init__(
        self, output_path: str | os.PathLike, key: str, n_blocks: int, save_every_s: float = 1.0
    ) -> None:
        out = Path(output_path)
        self.path = out.with_name(out.name + ".blocks.json")
        self.folder = out.with_name(out.name + ".blocks")
        self.key, self.n_blocks, self.save_every_s = key, n_blocks, save_every_s
        self.done: set[int] = set()
        self._saved_s = 0.0
        self._load()

    def _load(self) -> None:
        # Half-written files of a run killed mid-write (never named by a manifest).
        for stale in (*self.path.parent.glob(f".{self.path.name}.*.part"),
                      *self.folder.glob(".block_*.part")):  # fmt: skip
            stale.unlink(missing_ok=True)
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            data = None
        if (
            isinstance(data, dict)
            and data.get("version") == MANIFEST_VERSION
            and data.get("key") == self.key
            and data.get("n_blocks") == self.n_blocks
        ):
            self.done = {int(i) for i in data.get("done", []) if self.block_path(int(i)).is_file()}
        else:  # another run's blocks (or none): start afresh
            self.remove()

    def block_path(self, index: int) -> Path:
        return self.folder / f"block_{index:06d}.bin"

    def read_block(self, index: int) -> bytes:
        return self.block_path(index).read_bytes()

    def record(self, index: int, data: bytes) -> None:
        """Store a finished block's encoded result, then (throttled) the manifest."""
        self.folder.mkdir(parents=True, exist_ok=True)
        _replace_atomically(self.block_path(index), data)
        self.done.add(index)
        if time.monotonic() - self._saved_s >= self.save_every_s:
            self.save()

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        data = {
            "version": MANIFEST_VERSION,
            "key": self.key,
            "n_blocks": self.n_blocks,
            "done": sorted(self.done),
        }
        _replace_atomically(self.path, json.dumps(data).encode())
        self._saved_s = time.monotonic()

    def remove(self) -> None:
        """Forget every recorded block (files included)."""
        self.done = set()
        self.path.unlink(missing_ok=True)
        shutil.rmtree(self.folder, ignore_errors=True)
