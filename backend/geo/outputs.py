"""The one path by which every job writes its output files.

1. **Stage**: each output is written to a temporary file in its target folder (same file
   system, so publishing is a rename), named ``.roadextract-<pid>-<id>-<name>.part<ext>``.
2. **Check**: before anything is published, each staged file is read back: a GeoPackage
   must open with every layer and feature count as written (and, when layers were added
   to an existing file, with that file's other layers still there); a GeoTIFF must open
   with the expected size and band count; a JSON report must parse. A full disk or a
   failed write is caught here, not discovered later by the user.
3. **Publish**: all outputs of a job are renamed into place together, after the job's
   last cancel point (:meth:`JobOutputs.publish` reports once, then renames). A cancel
   before that leaves nothing; once publishing started the job finishes.

A GeoPackage output is written in ``"add"`` mode by default, as QGIS's own "Save vector
layer" does: an existing file keeps its other layers and only our layers are added or
replaced (the file is copied, changed, checked and renamed, so it is never half-written).
``"replace"`` replaces the whole file. Outputs never overwrite a job's inputs
(:func:`check_not_input`).

Temporary files of a backend that was killed are removed at the next start
(:func:`remove_stale_temp_files`): every folder a temporary file was staged in is
recorded in a journal in the backend's state folder.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import geopandas as gpd

TEMP_PREFIX = ".roadextract-"
GpkgMode = Literal["add", "replace"]
_SQLITE_SIDE_FILES = ("-journal", "-wal", "-shm")
# Extra room asked for above an output estimate: file system overhead, GeoPackage index.
_FREE_SPACE_MARGIN_BYTES = 16 * 2**20
# Less free space than this after a failed write: the write failed because the disk is full.
_FULL_DISK_BYTES = 1 * 2**20

_journal_lock = threading.Lock()
_journal_path: Path | None = None


class OutputPathError(ValueError):
    """The output path cannot be written; the message says what to do."""


class OutputWriteError(OSError):
    """A staged output did not read back as written (disk full, I/O error); nothing was
    published."""


def check_output_path(path: str | os.PathLike, suffixes: tuple[str, ...]) -> Path:
    """Validate an output path before any work starts.

    Raises:
        OutputPathError: wrong extension, the folder does not exist / is not writable, or
            the path is an existing folder.
    """
    out = Path(path)
    if out.suffix.lower() not in suffixes:
        raise OutputPathError(f"Output {out} must end with one of {', '.join(suffixes)}.")
    if not out.parent.is_dir():
        raise OutputPathError(f"Output folder {out.parent} does not exist; create it first.")
    if not os.access(out.parent, os.W_OK):
        raise OutputPathError(f"Output folder {out.parent} is not writable.")
    if out.is_dir():
        raise OutputPathError(f"Output {out} is a folder; give a file name.")
    return out


def gpkg_tables(path: str | os.PathLike) -> set[str]:
    """Names of the tables (vector and raster layers) a GeoPackage declares; empty when the
    file does not exist or is not a GeoPackage."""
    path = Path(path)
    if not path.is_file():
        return set()
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            return {row[0] for row in db.execute("SELECT table_name FROM gpkg_contents")}
    except sqlite3.Error:
        return set()


def check_not_input(
    output_path: str | os.PathLike,
    input_paths: Iterable[str | os.PathLike | None],
    *,
    layers: Iterable[str] = (),
    mode: GpkgMode | None = None,
) -> None:
    """Refuse an output that would overwrite one of the job's inputs.

    An output GeoPackage may be the input GeoPackage only in ``"add"`` mode and when none
    of the layers we write is one of its tables (e.g. the raster we read).

    Args:
        output_path: the output file.
        input_paths: the job's input files (None entries are skipped).
        layers: layer names the job writes into a GeoPackage output.
        mode: the GeoPackage write mode; None for other outputs.

    Raises:
        OutputPathError: naming both paths and what to do instead.
    """
    out = Path(output_path).resolve()
    for raw in input_paths:
        if raw is None:
            continue
        source = Path(_strip_gdal_prefix(str(raw))).resolve()
        if source != out:
            continue
        if mode == "add" and out.suffix.lower() == ".gpkg":
            clash = sorted(set(layers) & gpkg_tables(out))
            if not clash:
                continue
            raise OutputPathError(
                f"Writing layer(s) {', '.join(clash)} into {out} would replace an input layer "
                "of the same name; choose another output file."
            )
        hint = " or add layers to it ('add' mode)" if out.suffix.lower() == ".gpkg" else ""
        raise OutputPathError(
            f"The output {out} is an input of this job and would be overwritten; choose "
            f"another output file{hint}."
        )


def _strip_gdal_prefix(path: str) -> str:
    """``GPKG:/data/a.gpkg:table`` -> ``/data/a.gpkg`` (GDAL subdataset names)."""
    if path.upper().startswith("GPKG:"):
        rest = path[5:]
        return rest.rsplit(":", 1)[0] if rest.count(":") >= 1 else rest
    return path


def check_free_space(folder: str | os.PathLike, need_bytes: float) -> None:
    """Raise when ``folder``'s file system has less than ``need_bytes`` (plus a margin) free.

    Raises:
        OutputPathError: "Not enough free disk space in <folder>: need about N MB, M MB free".
    """
    folder = Path(folder)
    free = shutil.disk_usage(folder).free
    need = float(need_bytes) + _FREE_SPACE_MARGIN_BYTES
    if free < need:
        raise OutputPathError(
            f"Not enough free disk space in {folder}: need about {need / 2**20:.0f} MB, "
            f"{free / 2**20:.0f} MB free. Free some space or choose another folder."
        )


def disk_full_message(exc: BaseException, folders: Iterable[str | os.PathLike] = ()) -> str | None:
    """The user-facing message for an exception caused by a full disk, else None.

    Recognises ENOSPC / EDQUOT / EFBIG anywhere in the exception chain and GDAL's or
    SQLite's own wording ("No space left on device", "database or disk is full"). A file
    that is merely missing or broken is not reported as a full disk.
    """
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    folders = [Path(f) for f in folders]
    where = ", ".join(str(f) for f in folders) or "the output folder"
    message = (
        f"Not enough free disk space in {where}: the outputs could not be written "
        "(nothing was changed). Free some space or choose another folder."
    )
    for item in seen:
        code = getattr(item, "errno", None)
        text = str(item).lower()
        if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or any(
            needle in text
            for needle in ("no space left", "database or disk is full", "file too large")
        ):
            return message
    # GDAL/SQLite sometimes report a full disk only through what failed next ("no such
    # table: gpkg_contents"): a failed write into a folder that is now full is one.
    if any(isinstance(item, OutputWriteError) for item in seen) and any(
        _free_bytes(f) < _FULL_DISK_BYTES for f in folders
    ):
        return message
    return None


def _free_bytes(folder: Path) -> float:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return float("inf")


# --------------------------------------------------------------------------- staging


@dataclass
class _Staged:
    final: Path
    tmp: Path
    check: Callable[[Path], None]
    is_dir: bool = False


@dataclass
class JobOutputs:
    """Stage, check and publish the outputs of one job (see the module docstring).

    Use as a context manager: leaving it with an exception (failure, cancel) removes every
    staged file and leaves the targets as they were.
    """

    _staged: list[_Staged] = field(default_factory=list)
    published: bool = False

    def __enter__(self) -> JobOutputs:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None or not self.published:
            self.discard()

    def stage_gpkg(
        self,
        path: str | os.PathLike,
        layers: dict[str, gpd.GeoDataFrame],
        *,
        mode: GpkgMode = "add",
    ) -> Path:
        """Write ``layers`` into a staged copy of the GeoPackage ``path``.

        Args:
            path: the ``.gpkg`` to create or update.
            layers: layer name -> GeoDataFrame with its CRS (may be empty: the geometry
                type is then taken from ``frame.attrs["geometry_type"]``).
            mode: "add" keeps an existing file's other layers (ours are replaced);
                "replace" writes a new file.

        Returns:
            The staged temporary path.
        """
        final = Path(path)
        tmp = self._new_temp(final)
        kept: set[str] = set()
        if mode == "add" and final.is_file():
            kept = gpkg_tables(final) - set(layers)
            try:
                shutil.copyfile(final, tmp)
            except OSError:
                _remove_temp(tmp)
                raise
        try:
            for name, frame in layers.items():
                frame.to_file(
                    tmp,
                    layer=name,
                    driver="GPKG",
                    engine="pyogrio",
                    geometry_type=frame.attrs.get("geometry_type"),
                )
        except Exception as exc:  # noqa: BLE001 - GDAL/SQLite errors of every kind
            _remove_temp(tmp)
            raise OutputWriteError(_unwritten(final, exc)) from exc
        counts = {name: len(frame) for name, frame in layers.items()}
        self._staged.append(_Staged(final, tmp, lambda p: _check_gpkg(p, final, counts, kept)))
        return tmp

    def stage_geotiff(
        self, path: str | os.PathLike, *, width: int, height: int, count: int
    ) -> Path:
        """A temporary path to write the GeoTIFF ``path`` to; checked for its size at publish.

        Returns:
            The staged temporary path (the caller writes it and closes it).
        """
        final = Path(path)
        tmp = self._new_temp(final)
        self._staged.append(
            _Staged(final, tmp, lambda p: _check_geotiff(p, final, width, height, count))
        )
        return tmp

    def stage_json(self, path: str | os.PathLike, data: object) -> Path:
        """Write ``data`` as an indented JSON file staged for ``path``."""
        final = Path(path)
        tmp = self._new_temp(final)
        tmp.write_text(json.dumps(data, indent=2))
        self._staged.append(_Staged(final, tmp, lambda p: _check_json(p, final)))
        return tmp

    def stage_file(self, path: str | os.PathLike, check: Callable[[Path], None]) -> Path:
        """A temporary path for any other file ``path``; ``check(tmp)`` runs at publish and
        raises when the file is not as written."""
        final = Path(path)
        tmp = self._new_temp(final)
        self._staged.append(_Staged(final, tmp, _checked(check, final)))
        return tmp

    def stage_dir(
        self, path: str | os.PathLike, check: Callable[[Path], None] | None = None
    ) -> Path:
        """A temporary folder to fill in place of the folder ``path`` (replaced at publish)."""
        final = Path(path)
        tmp = self._new_temp(final)
        tmp.mkdir()
        self._staged.append(_Staged(final, tmp, check or (lambda p: None), is_dir=True))
        return tmp

    def publish(self, report: Callable[[float, str], None]) -> None:
        """Check every staged output, report once (the job's last cancel point), then
        rename all of them into place.

        Raises:
            OutputWriteError: an output did not read back as written (nothing published).
            JobCancelled: from ``report`` (nothing published).
        """
        for staged in self._staged:
            staged.check(staged.tmp)
        report(99.0, "Publishing the outputs")
        for staged in self._staged:
            if staged.is_dir:
                _replace_dir(staged.tmp, staged.final)
            else:
                os.replace(staged.tmp, staged.final)
        self.published = True

    def discard(self) -> None:
        """Remove every staged file and folder (nothing published)."""
        for staged in self._staged:
            _remove_temp(staged.tmp)
        self._staged.clear()

    def _new_temp(self, final: Path) -> Path:
        tmp = final.with_name(
            f"{TEMP_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}-{final.stem}.part{final.suffix}"
        )
        _journal_folder(final.parent)
        return tmp


def _check_gpkg(tmp: Path, final: Path, counts: dict[str, int], kept: set[str]) -> None:
    import pyogrio

    try:
        names = {str(row[0]) for row in pyogrio.list_layers(tmp)}
        tables = gpkg_tables(tmp)
        for name, expected in counts.items():
            if name not in names:
                raise OutputWriteError(f"layer {name} is missing")
            got = pyogrio.read_info(tmp, layer=name)["features"]
            if got != expected:
                raise OutputWriteError(f"layer {name} has {got} features, {expected} were written")
        missing = kept - tables
        if missing:
            raise OutputWriteError(f"existing layer(s) {', '.join(sorted(missing))} were lost")
    except Exception as exc:  # noqa: BLE001 - any failure to read back means a broken file
        raise OutputWriteError(_unwritten(final, exc)) from exc


def _check_geotiff(tmp: Path, final: Path, width: int, height: int, count: int) -> None:
    import rasterio

    try:
        with rasterio.open(tmp) as ds:
            if (ds.width, ds.height, ds.count) != (width, height, count):
                raise OutputWriteError(
                    f"it is {ds.width} x {ds.height} px with {ds.count} band(s), expected "
                    f"{width} x {height} px with {count}"
                )
            # The last block holds the end of the file: reading it proves it is complete.
            last = list(ds.block_windows(1))[-1][1]
            ds.read(1, window=last)
    except Exception as exc:  # noqa: BLE001
        raise OutputWriteError(_unwritten(final, exc)) from exc


def _check_json(tmp: Path, final: Path) -> None:
    try:
        json.loads(tmp.read_text())
    except Exception as exc:  # noqa: BLE001
        raise OutputWriteError(_unwritten(final, exc)) from exc


def _checked(check: Callable[[Path], None], final: Path) -> Callable[[Path], None]:
    def run(tmp: Path) -> None:
        try:
            check(tmp)
        except Exception as exc:  # noqa: BLE001
            raise OutputWriteError(_unwritten(final, exc)) from exc

    return run


def _unwritten(final: Path, exc: BaseException) -> str:
    return (
        f"{final} could not be written completely ({exc}); nothing was changed. "
        f"Check the free space and permissions in {final.parent}."
    )


def _replace_dir(tmp: Path, final: Path) -> None:
    if final.exists():
        aside = final.with_name(f"{TEMP_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}-old")
        os.replace(final, aside)
        os.replace(tmp, final)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.replace(tmp, final)


def _remove_temp(tmp: Path) -> None:
    if tmp.is_dir():
        shutil.rmtree(tmp, ignore_errors=True)
    for leftover in (tmp, *(Path(f"{tmp}{side}") for side in _SQLITE_SIDE_FILES)):
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            leftover.unlink()
    # GDAL may leave its auxiliary file next to a GeoTIFF.
    with contextlib.suppress(FileNotFoundError):
        Path(f"{tmp}.aux.xml").unlink()


# --------------------------------------------------------------------------- stale files


def configure_output_journal(state_dir: str | os.PathLike | None) -> None:
    """Record the folders temporary outputs are staged in under ``state_dir`` (None: off)."""
    global _journal_path
    with _journal_lock:
        _journal_path = None if state_dir is None else Path(state_dir) / "staged_output_folders.txt"


def _journal_folder(folder: Path) -> None:
    with _journal_lock:
        if _journal_path is None:
            return
        try:
            known = set(_journal_path.read_text().splitlines()) if _journal_path.exists() else set()
            entry = str(folder.resolve())
            if entry not in known:
                _journal_path.parent.mkdir(parents=True, exist_ok=True)
                with _journal_path.open("a") as journal:
                    journal.write(entry + "\n")
        except OSError:
            pass  # the journal only helps the clean-up; never fail a job over it


def remove_stale_temp_files(folders: Iterable[str | os.PathLike] | None = None) -> list[Path]:
    """Delete our temporary outputs left by backends that are no longer running.

    A file (or folder) named ``.roadextract-<pid>-...`` is stale when process ``pid`` is
    gone, or when the process now holding that pid started after the file was last
    written (the pid was reused). Files of running backends are kept.

    Args:
        folders: where to look; None reads the journal (and then keeps in it only the
            folders that still hold live temporary files).

    Returns:
        The paths removed.
    """
    use_journal = folders is None
    if use_journal:
        with _journal_lock:
            if _journal_path is None or not _journal_path.exists():
                return []
            folders = _journal_path.read_text().splitlines()
    removed: list[Path] = []
    still_used: list[str] = []
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        live = False
        for entry in folder.iterdir():
            if not entry.name.startswith(TEMP_PREFIX):
                continue
            pid = _pid_of(entry.name)
            if pid is None:
                continue
            if _writer_running(pid, entry.lstat().st_mtime):
                live = True
                continue
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
            removed.append(entry)
        if live:
            still_used.append(str(folder))
    if use_journal:
        with _journal_lock:
            if _journal_path is not None:
                with contextlib.suppress(OSError):
                    _journal_path.write_text("".join(f"{f}\n" for f in still_used))
    return removed


def _pid_of(name: str) -> int | None:
    head = name[len(TEMP_PREFIX) :].split("-", 1)[0]
    return int(head) if head.isdigit() else None


def _writer_running(pid: int, mtime_s: float) -> bool:
    """True when process ``pid`` runs and was already running when the file was written."""
    if pid == os.getpid():
        return True
    import psutil

    try:
        # Small slack: a file is written after its process started.
        return psutil.Process(pid).create_time() <= mtime_s + 1.0
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True
