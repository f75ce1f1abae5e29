"""How long-running work reports progress and learns it was cancelled."""

from __future__ import annotations

from typing import Protocol


class JobCancelled(Exception):
    """Raised inside a job's work when the user cancelled it; outputs must be removed."""


class Progress(Protocol):
    """``report(percent, message)``: percent in 0..100. Raises :class:`JobCancelled`
    when the job was cancelled, so work stops at the next report."""

    def __call__(self, percent: float, message: str = "") -> None: ...


def no_progress(percent: float, message: str = "") -> None:
    """A :class:`Progress` that ignores reports (library use, tests)."""
