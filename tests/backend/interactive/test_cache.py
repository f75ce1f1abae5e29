"""Embedding cache: memory LRU by bytes, disk LRU by bytes, keys that follow the file."""

import os
import time

import torch

from backend.interactive.cache import EmbeddingCache, embedding_key, payload_nbytes


def _payload(n_floats: int, value: float = 0.0):
    return {"feats": [torch.full((n_floats,), value)], "size_hw": [32, 32], "model": "m"}


def test_payload_nbytes_walks_nested_tensors():
    p = {"a": torch.zeros(10), "b": [torch.zeros(5, dtype=torch.float16)], "c": "x"}
    assert payload_nbytes(p) == 40 + 10


def test_memory_level_evicts_least_recently_used_by_size():
    cache = EmbeddingCache(None, memory_cap_bytes=3 * 4000, disk_cap_bytes=0)
    for k in "abc":
        cache.put(k, _payload(1000))
    assert cache.memory_keys() == ["a", "b", "c"]
    assert cache.get("a")[1] == "memory"  # a becomes most recent
    cache.put("d", _payload(1000))
    assert cache.memory_keys() == ["c", "a", "d"]
    assert cache.get("b") == (None, None)
    assert cache.memory_bytes == 3 * 4000
    cache.put("huge", _payload(10_000))  # larger than the cap: not kept
    assert "huge" not in cache.memory_keys() and cache.memory_bytes == 3 * 4000


def test_disk_level_caps_total_size_and_promotes_hits(tmp_path):
    one = EmbeddingCache(tmp_path, memory_cap_bytes=10**9, disk_cap_bytes=10**9)
    one.put("probe", _payload(2500))
    file_size = one.disk_bytes()
    for p in one.disk_files():
        p.unlink()
    cache = EmbeddingCache(tmp_path, memory_cap_bytes=10**9, disk_cap_bytes=int(2.5 * file_size))
    for i, k in enumerate("abc"):
        cache.put(k, _payload(2500, float(i)))
        time.sleep(0.02)  # distinct mtimes
    files = cache.disk_files()
    assert len(files) == 2 and cache.disk_bytes() <= cache.disk_cap_bytes
    cache.clear_memory()
    assert cache.get("a") == (None, None)  # oldest evicted from disk
    payload, level = cache.get("b")
    assert level == "disk" and payload["feats"][0][0].item() == 1.0
    assert cache.get("b")[1] == "memory"  # promoted
    # a disk hit refreshes recency: after "b" was read, adding "d" evicts "c"
    time.sleep(0.02)
    cache.put("d", _payload(2500, 3.0))
    cache.clear_memory()
    assert cache.get("c") == (None, None)
    assert cache.get("b")[1] == "disk" and cache.get("d")[1] == "disk"


def test_corrupt_disk_file_is_dropped(tmp_path):
    cache = EmbeddingCache(tmp_path, memory_cap_bytes=10**9, disk_cap_bytes=10**9)
    cache.put("k", _payload(10))
    cache.clear_memory()
    (path,) = cache.disk_files()
    path.write_bytes(b"not a torch file")
    assert cache.get("k") == (None, None)
    assert not path.exists()


def test_key_changes_with_file_window_model_and_checkpoint(tmp_path):
    raster = tmp_path / "r.tif"
    raster.write_bytes(b"1")
    base = dict(
        raster_path=str(raster),
        window_px=(0, 0, 10, 10),
        bands=None,
        engine="road",
        model="m",
        checkpoint_path=None,
        model_image_hw=(10, 10),
    )
    k0 = embedding_key(**base)
    assert embedding_key(**base) == k0
    assert embedding_key(**{**base, "window_px": (1, 0, 10, 10)}) != k0
    assert embedding_key(**{**base, "model": "n"}) != k0
    assert embedding_key(**{**base, "bands": [3, 2, 1]}) != k0
    ckpt = tmp_path / "w.pt"
    ckpt.write_bytes(b"w")
    assert embedding_key(**{**base, "checkpoint_path": str(ckpt)}) != k0
    st = raster.stat()
    os.utime(raster, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert embedding_key(**base) != k0
