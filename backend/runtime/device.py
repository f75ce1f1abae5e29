"""Which compute device the backend uses, and what /health reports about it."""

from __future__ import annotations

from typing import Any

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def resolve_device(requested: str = "auto") -> str:
    """Pick the torch device: ``auto`` prefers CUDA, then Apple MPS, then CPU.

    Raises:
        ValueError: an unknown device, or one this machine does not have (the message says
            which devices are available).
    """
    if requested not in DEVICE_CHOICES:
        raise ValueError(f"Unknown device {requested!r}; choose one of {DEVICE_CHOICES}.")
    try:
        import torch  # here, not at the top: the service starts without loading torch
    except ImportError:
        if requested in ("auto", "cpu"):
            return "cpu"
        raise ValueError(
            f"Device {requested!r} needs PyTorch, which is not installed in the backend's "
            "Python. Run `make install`."
        ) from None
    has_cuda = torch.cuda.is_available()
    has_mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if requested == "auto":
        return "cuda" if has_cuda else "mps" if has_mps else "cpu"
    if requested == "cuda" and not has_cuda:
        raise ValueError(
            "CUDA was requested but torch sees no CUDA GPU (driver missing, or a CPU-only "
            "torch build). Choose device 'auto' or 'cpu', or install a CUDA build of torch."
        )
    if requested == "mps" and not has_mps:
        raise ValueError("Apple MPS was requested but is not available; choose 'auto' or 'cpu'.")
    return requested


def device_report(device: str) -> dict[str, Any]:
    """Device facts for /health: name, torch version, free/total GPU memory in MiB."""
    report: dict[str, Any] = {
        "device": device,
        "device_name": "CPU",
        "torch_version": None,
        "gpu_memory_free_mb": None,
        "gpu_memory_total_mb": None,
    }
    try:
        import torch  # see resolve_device
    except ImportError:
        return report
    report["torch_version"] = torch.__version__
    if device == "cuda":
        free, total = torch.cuda.mem_get_info()
        report["device_name"] = torch.cuda.get_device_name(0)
        report["gpu_memory_free_mb"] = int(free // 2**20)
        report["gpu_memory_total_mb"] = int(total // 2**20)
    elif device == "mps":
        report["device_name"] = "Apple MPS"
    return report
