"""Size-capped LRU cache of image embeddings, in memory and on disk (issue #6 "Speed").

An entry is a payload: a dict of torch tensors, lists of tensors and plain values (str, int,
float, lists/tuples of them), as produced by the engines' ``encode``. Memory keeps the most
recently used payloads up to ``memory_cap_bytes``; the disk keeps ``torch.save`` files
(``<sha1 of key>.pt``, written to a temporary name and renamed) up to ``disk_cap_bytes``,
least recently used (file mtime, refreshed on every hit) removed first. Disk files are
loaded with ``weights_only=True``.

Keys are strings; :func:`embedding_key` builds them from the raster (path, size, mtime),
the window, the bands, the engine, the model and the checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

DEFAULT_MEMORY_CAP_MB = 1024
DEFAULT_DISK_CAP_MB = 2048


def default_cache_dir() -> Path:
    """``$ROADEXTRACT_EMBEDDING_CACHE_DIR``, else ``$XDG_CACHE_HOME/roadextract/embeddings``,
    else ``~/.cache/roadextract/embeddings``."""
    env = os.environ.get("ROADEXTRACT_EMBEDDING_CACHE_DIR")
    if env:
        return Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "roadextract" / "embeddings"


def _file_stamp(path: str | None) -> list[Any] | None:
    if not path:
        return None
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return [str(p), None, None]
    return [str(p.resolve()), st.st_size, st.st_mtime_ns]


def embedding_key(
    raster_path: str,
    window_px: Sequence[int],
    bands: Sequence[int] | None,
    engine: str,
    model: str,
    checkpoint_path: str | None,
    model_image_hw: Sequence[int],
) -> str:
    """Cache key of one encoded view.

    Args:
        raster_path: the image raster (its resolved path, size and mtime enter the key, so a
            rewritten file is encoded again).
        window_px: ``(col_off, row_off, width, height)`` raster pixels actually encoded.
        bands: 1-based bands read, or None for the default choice.
        engine, model: engine name and registry id.
        checkpoint_path: explicit weights file (its size and mtime enter the key), or None.
        model_image_hw: ``(H, W)`` of the resampled image given to the encoder.

    Returns:
        A JSON string (stable across processes).
    """
    return json.dumps(
        {
            "raster": _file_stamp(raster_path),
            "window_px": [int(v) for v in window_px],
            "bands": list(bands) if bands else None,
            "engine": engine,
            "model": model,
            "checkpoint": _file_stamp(checkpoint_path),
            "model_image_hw": [int(v) for v in model_image_hw],
        },
        sort_keys=True,
    )


def payload_nbytes(payload: Any) -> int:
    """Bytes held by the tensors of a payload (nested dicts/lists walked)."""
    if isinstance(payload, torch.Tensor):
        return payload.numel() * payload.element_size()
    if isinstance(payload, dict):
        return sum(payload_nbytes(v) for v in payload.values())
    if isinstance(payload, (list, tuple)):
        return sum(payload_nbytes(v) for v in payload)
    return 0


class EmbeddingCache:
    """Two-level LRU (memory, then disk) of embedding payloads; thread-safe.

    Args:
        cache_dir: folder of the disk level; None disables it.
        memory_cap_bytes: memory level size cap (an entry larger than it is not kept).
        disk_cap_bytes: disk level size cap (sum of file sizes).
    """

    def __init__(
        self,
        cache_dir: str | os.PathLike[str] | None = None,
        memory_cap_bytes: int = DEFAULT_MEMORY_CAP_MB << 20,
        disk_cap_bytes: int = DEFAULT_DISK_CAP_MB << 20,
    ) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.memory_cap_bytes = int(memory_cap_bytes)
        self.disk_cap_bytes = int(disk_cap_bytes)
        self._memory: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._memory_bytes = 0
        self._lock = threading.Lock()

    # -- memory level ---------------------------------------------------------------------
    @property
    def memory_bytes(self) -> int:
        return self._memory_bytes

    def memory_keys(self) -> list[str]:
        """Keys in memory, least recently used first."""
        with self._lock:
            return list(self._memory)

    def _put_memory(self, key: str, payload: Any) -> None:
        size = payload_nbytes(payload)
        with self._lock:
            if key in self._memory:
                self._memory_bytes -= self._memory.pop(key)[1]
            if size > self.memory_cap_bytes:
                return
            self._memory[key] = (payload, size)
            self._memory_bytes += size
            while self._memory_bytes > self.memory_cap_bytes:
                _, (_, old) = self._memory.popitem(last=False)
                self._memory_bytes -= old

    # -- disk level -------------------------------------------------------------------------
    def _path(self, key: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / f"{hashlib.sha1(key.encode()).hexdigest()}.pt"

    def disk_files(self) -> list[Path]:
        """Cache files, least recently used first."""
        if self.cache_dir is None or not self.cache_dir.is_dir():
            return []
        files = []
        for p in self.cache_dir.glob("*.pt"):
            try:
                files.append((p.stat().st_mtime_ns, p))
            except OSError:
                continue
        return [p for _, p in sorted(files)]

    def disk_bytes(self) -> int:
        total = 0
        for p in self.disk_files():
            try:
                total += p.stat().st_size
            except OSError:
                pass
        return total

    def _put_disk(self, key: str, payload: Any) -> None:
        path = self._path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        torch.save({"key": key, "payload": payload}, tmp)
        if tmp.stat().st_size > self.disk_cap_bytes:
            tmp.unlink(missing_ok=True)
            return
        os.replace(tmp, path)
        self._evict_disk(keep=path)

    def _evict_disk(self, keep: Path | None = None) -> None:
        files = self.disk_files()
        sizes = {}
        for p in files:
            try:
                sizes[p] = p.stat().st_size
            except OSError:
                sizes[p] = 0
        total = sum(sizes.values())
        for p in files:
            if total <= self.disk_cap_bytes:
                break
            if p == keep:
                continue
            p.unlink(missing_ok=True)
            total -= sizes[p]

    def _get_disk(self, key: str) -> Any | None:
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        try:
            data = torch.load(path, map_location="cpu", weights_only=True)
        except Exception:  # noqa: BLE001 - a corrupt cache file is dropped, not fatal
            path.unlink(missing_ok=True)
            return None
        if not isinstance(data, dict) or data.get("key") != key:  # sha1 collision or junk
            return None
        os.utime(path)  # LRU: most recently used
        return data["payload"]

    # -- public ---------------------------------------------------------------------------
    def get(self, key: str) -> tuple[Any | None, str | None]:
        """``(payload, level)`` with level ``"memory"`` or ``"disk"``, or ``(None, None)``.

        A disk hit is promoted to memory.
        """
        with self._lock:
            hit = self._memory.get(key)
            if hit is not None:
                self._memory.move_to_end(key)
                return hit[0], "memory"
        payload = self._get_disk(key)
        if payload is None:
            return None, None
        self._put_memory(key, payload)
        return payload, "disk"

    def put(self, key: str, payload: Any) -> None:
        """Store in memory and on disk (evicting least recently used entries)."""
        self._put_memory(key, payload)
        self._put_disk(key, payload)

    def clear_memory(self) -> None:
        with self._lock:
            self._memory.clear()
            self._memory_bytes = 0


_CACHE: EmbeddingCache | None = None
_CACHE_LOCK = threading.Lock()


def get_cache() -> EmbeddingCache:
    """The process-wide cache (created on first use; caps from
    ``ROADEXTRACT_EMBEDDING_CACHE_MEMORY_MB`` / ``..._DISK_MB``, folder from
    :func:`default_cache_dir`)."""
    global _CACHE
    with _CACHE_LOCK:
        if _CACHE is None:
            mem = int(
                os.environ.get("ROADEXTRACT_EMBEDDING_CACHE_MEMORY_MB", DEFAULT_MEMORY_CAP_MB)
            )
            disk = int(os.environ.get("ROADEXTRACT_EMBEDDING_CACHE_DISK_MB", DEFAULT_DISK_CAP_MB))
            _CACHE = EmbeddingCache(default_cache_dir(), mem << 20, disk << 20)
        return _CACHE
