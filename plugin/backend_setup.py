"""Backend environment set-up from inside QGIS (issue 16): create, repair, remove.

The backend needs PyTorch, rasterio, FastAPI and friends, which never go into QGIS's own
Python. This module makes a virtual environment for them in a folder *outside* the plugin
(QGIS deletes the plugin folder on every upgrade), by default the platform's app-data
folder (:func:`default_env_root`):

    <root>/venv/                   the backend's Python (only the dependencies: the backend
                                   sources stay in the plugin folder, the backend is started
                                   there with ``-m backend``)
    <root>/tools/                  a small venv holding ``uv`` when none is on PATH
    <root>/roadextract-env.json    the marker, written only after every step succeeded
    <root>/setup.log               the installer's log of the last run

Installer: ``uv`` (fast, pip-installable) when it can be found or bootstrapped, else
``python -m venv`` + pip. The steps are plain command lines (:func:`build_plan`) run one
after the other by :func:`run_setup`, which streams their output, can be cancelled, and
writes the marker only at the end: a failed or cancelled run leaves no environment marked as
ready (its half-made ``venv`` is removed). *Repair* is a fresh run, *Remove* deletes the
folder. Plain Python: no widgets, no QGIS objects (the dialog is ``gui/setup_dialog.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .i18n import tr
from .resources import plugin_root, plugin_version

# Environment variables: the folder of the environment, the Python to create it from.
ENV_DIR_ENV = "ROADEXTRACT_ENV_DIR"
SETUP_PYTHON_ENV = "ROADEXTRACT_SETUP_PYTHON"
MARKER_NAME = "roadextract-env.json"
LOG_NAME = "setup.log"
MARKER_FORMAT = 1

# PyTorch as `make install` pins it. On Linux the PyPI wheel carries CUDA (and runs on CPU
# too); the CPU-only wheels (no CUDA libraries: a far smaller download) come from PyTorch's
# own index, given as an extra index so every other package still comes from PyPI.
TORCH_REQUIREMENT = "torch==2.13.0,!=2.13.0+cpu"
TORCH_CPU_REQUIREMENT = "torch==2.13.0"
TORCHVISION_REQUIREMENT = "torchvision==0.28.0"
CPU_INDEX_URL = "https://download.pytorch.org/whl/cpu"
# PyPI's Windows wheels are CPU-only; the CUDA ones come from PyTorch's CUDA index.
WINDOWS_CUDA_INDEX_URL = "https://download.pytorch.org/whl/cu128"
# sam2 ships as an sdist whose build imports torch: built after torch, without isolation and
# without its optional CUDA extension (pure PyTorch fallback, nothing to compile).
SAM2_NAME = "sam2"
BUILD_TOOLS = ("setuptools>=68", "wheel")
EXTRAS = ("models", "distributed")
MIN_PYTHON = (3, 10)

VARIANT_CUDA = "cuda"
VARIANT_CPU = "cpu"
VARIANTS = (VARIANT_CUDA, VARIANT_CPU)

# What the check step imports: the backend's heavy dependencies.
CHECK_SCRIPT = (
    "import fastapi, rasterio, sam2, torch, torch_geometric, torchvision\n"
    "print('torch', torch.__version__, 'cuda build', torch.version.cuda or 'none',"
    " 'cuda available', torch.cuda.is_available())\n"
)
NVIDIA_SMI_TIMEOUT_S = 10.0
STOP_GRACE_S = 5.0
POLL_S = 0.1
# Variables of QGIS's own Python and GDAL that must not reach the installer or the venv.
SCRUBBED_ENV_VARS = (
    "PYTHONHOME",
    "PYTHONPATH",
    "PYTHONSTARTUP",
    "VIRTUAL_ENV",
    "GDAL_DATA",
    "GDAL_DRIVER_PATH",
    "PROJ_LIB",
    "PROJ_DATA",
)


class SetupError(RuntimeError):
    """A set-up step failed or no usable Python/installer was found; the message says why."""


class SetupCancelled(SetupError):
    """The set-up was cancelled; nothing is marked as ready."""


# -- where -----------------------------------------------------------------------------------


def default_env_root() -> Path:
    """Return the folder of the managed backend environment.

    ``$ROADEXTRACT_ENV_DIR`` when set; else the platform's app-data folder:
    ``%LOCALAPPDATA%\\roadextract\\backend-env`` on Windows,
    ``~/Library/Application Support/roadextract/backend-env`` on macOS,
    ``$XDG_DATA_HOME/roadextract/backend-env`` (``~/.local/share/...``) elsewhere. Never
    inside the plugin folder, which QGIS replaces on upgrade.
    """
    from_env = os.environ.get(ENV_DIR_ENV, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA", "").strip()
        base = Path(local) if local else Path.home() / "AppData" / "Local"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "").strip()
        base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "roadextract" / "backend-env"


def venv_python(venv: Path, platform: str = sys.platform) -> Path:
    """The interpreter of virtual environment ``venv`` on ``platform``."""
    if platform == "win32":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


@dataclass(frozen=True)
class SetupPaths:
    """The files of one managed environment (see the module docstring)."""

    root: Path

    @classmethod
    def default(cls) -> SetupPaths:
        """The paths under :func:`default_env_root`."""
        return cls(default_env_root())

    @property
    def venv(self) -> Path:
        return self.root / "venv"

    @property
    def tools(self) -> Path:
        return self.root / "tools"

    @property
    def marker(self) -> Path:
        return self.root / MARKER_NAME

    @property
    def log(self) -> Path:
        return self.root / LOG_NAME

    def python(self, platform: str = sys.platform) -> Path:
        """The backend Python of this environment (it may not exist yet)."""
        return venv_python(self.venv, platform)


def managed_python() -> Path:
    """The backend Python of the default managed environment (it may not exist yet)."""
    return SetupPaths.default().python()


# -- state -----------------------------------------------------------------------------------

STATUS_ABSENT = "absent"
STATUS_INCOMPLETE = "incomplete"
STATUS_OUTDATED = "outdated"
STATUS_READY = "ready"


@dataclass
class EnvironmentState:
    """What is in an environment folder.

    Attributes:
        status: ``absent`` (nothing there), ``incomplete`` (files but no marker, or the
            marker's Python is gone: a failed, cancelled or damaged set-up), ``outdated``
            (ready, but made for other requirements than this plugin version's) or
            ``ready``.
        marker: The marker's contents ({} without one).
        size_bytes: Disk use of the folder (0 unless asked for).
    """

    status: str
    marker: dict = field(default_factory=dict)
    size_bytes: int = 0

    @property
    def usable(self) -> bool:
        """True when the backend can run from it (ready or merely outdated)."""
        return self.status in (STATUS_READY, STATUS_OUTDATED)


def read_marker(paths: SetupPaths) -> dict:
    """The marker's contents, or {} when it is absent or unreadable."""
    try:
        data = json.loads(paths.marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def folder_size_bytes(path: Path) -> int:
    """Bytes of the regular files under ``path`` (each hard-linked file counted once)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            try:
                info = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            key = (info.st_dev, info.st_ino)
            if key in seen:
                continue
            seen.add(key)
            total += info.st_size
    return total


def environment_state(
    paths: SetupPaths, requirements: Requirements | None = None, with_size: bool = False
) -> EnvironmentState:
    """Describe the environment at ``paths``.

    Args:
        paths: The environment's files.
        requirements: What this plugin version needs (default: read from its pyproject);
            a marker made for other requirements makes the state ``outdated``.
        with_size: Also measure its disk use (walks the folder: slow for a big venv).
    """
    if not paths.root.exists():
        return EnvironmentState(STATUS_ABSENT)
    size = folder_size_bytes(paths.root) if with_size else 0
    marker = read_marker(paths)
    if not marker or not paths.python().exists():
        return EnvironmentState(STATUS_INCOMPLETE, marker, size)
    if requirements is None:
        try:
            requirements = backend_requirements()
        except SetupError:
            return EnvironmentState(STATUS_READY, marker, size)
    status = STATUS_READY if marker.get("requirements") == requirements.digest else STATUS_OUTDATED
    return EnvironmentState(status, marker, size)


# -- what to install ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirements:
    """The backend's requirements, split into the install steps.

    Attributes:
        torch: torch and torchvision (first: sam2's build imports torch).
        sam2: sam2, built without isolation after torch (None when not required).
        rest: Everything else (``[project] dependencies`` plus the extras).
    """

    torch: tuple[str, ...]
    sam2: str | None
    rest: tuple[str, ...]

    @property
    def digest(self) -> str:
        """sha256 of the requirement list, kept in the marker to spot an outdated env."""
        text = "\n".join((*self.torch, self.sam2 or "", *self.rest))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def requirement_name(requirement: str) -> str:
    """The normalised distribution name of a requirement (``"dask[distributed]>=1"`` ->
    ``"dask"``)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else requirement.strip()


def _toml_string_arrays(text: str) -> dict[str, list[str]]:
    """``key = ["a", "b", ...]`` arrays of strings per ``[table].key`` (just enough TOML
    for pyproject.toml on a Python without tomllib)."""
    arrays: dict[str, list[str]] = {}
    table = ""
    lines = iter(text.splitlines())
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("[") and not stripped.startswith("[["):
            table = stripped.strip("[]").strip()
            continue
        match = re.match(r"([A-Za-z0-9_.-]+)\s*=\s*\[(.*)$", stripped)
        if not match:
            continue
        body = match.group(2)
        while "]" not in re.sub(r'"[^"]*"', "", body):
            body += "\n" + next(lines, "]")
        body = body[: body.rfind("]")]
        values = re.findall(r'"([^"]*)"', re.sub(r"#[^\n]*", "", body))
        arrays[f"{table}.{match.group(1)}"] = values
    return arrays


def backend_requirements(pyproject: Path | None = None) -> Requirements:
    """The requirements of the backend from ``pyproject.toml`` (shipped in the plugin zip):
    ``[project] dependencies`` plus the extras ``models`` and ``distributed``.

    Args:
        pyproject: The file; default the plugin folder's.

    Raises:
        SetupError: The file is missing or lists no dependencies.
    """
    path = pyproject or plugin_root() / "pyproject.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SetupError(
            tr(
                "Cannot read the backend's requirements ({path}): {error}. Reinstall the plugin."
            ).format(path=path, error=exc)
        ) from exc
    arrays = _toml_string_arrays(text)
    listed = list(arrays.get("project.dependencies", []))
    for extra in EXTRAS:
        listed += arrays.get(f"project.optional-dependencies.{extra}", [])
    if not listed:
        raise SetupError(
            tr("No backend requirements found in {path}. Reinstall the plugin.").format(path=path)
        )
    torch: list[str] = []
    sam2: str | None = None
    rest: list[str] = []
    for requirement in dict.fromkeys(listed):  # in order, without repeats
        name = requirement_name(requirement)
        if name in ("torch", "torchvision"):
            torch.append(requirement)
        elif name == SAM2_NAME:
            sam2 = requirement
        else:
            rest.append(requirement)
    return Requirements(tuple(torch), sam2, tuple(rest))


# -- GPU and platform ---------------------------------------------------------------------------


def detect_nvidia_gpus(nvidia_smi: str | None = None) -> list[str]:
    """Names of the NVIDIA GPUs ``nvidia-smi`` lists ([] without one or without a driver).

    Args:
        nvidia_smi: The program; default ``nvidia-smi`` from PATH (on Windows also the
            driver's ``System32`` copy).
    """
    program = nvidia_smi or shutil.which("nvidia-smi")
    if program is None and sys.platform == "win32":  # pragma: no cover - Windows only
        candidate = (
            Path(os.environ.get("SystemRoot", r"C:\Windows")) / "System32" / "nvidia-smi.exe"
        )
        program = str(candidate) if candidate.exists() else None
    if program is None:
        return []
    try:
        done = subprocess.run(
            [program, "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=NVIDIA_SMI_TIMEOUT_S,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )
    except (OSError, subprocess.SubprocessError):
        return []
    if done.returncode != 0:
        return []
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]


def available_variants(platform: str = sys.platform) -> tuple[str, ...]:
    """The PyTorch builds one can choose on ``platform``: CUDA and CPU-only on Linux and
    Windows; on macOS only the PyPI build (CPU and Apple GPU), called ``cpu`` here."""
    if platform == "darwin":
        return (VARIANT_CPU,)
    return VARIANTS


def default_variant(gpus: Sequence[str], platform: str = sys.platform) -> str:
    """CUDA when an NVIDIA GPU was found and the platform has CUDA builds, else CPU-only."""
    return VARIANT_CUDA if gpus and VARIANT_CUDA in available_variants(platform) else VARIANT_CPU


# -- which Python, which installer ---------------------------------------------------------------


def _python_version(python: Path) -> tuple[int, int] | None:
    try:
        done = subprocess.run(
            [str(python), "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
            capture_output=True,
            text=True,
            timeout=30,
            env=installer_environment(),
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )
    except (OSError, subprocess.SubprocessError):
        return None
    parts = done.stdout.split()
    if done.returncode != 0 or len(parts) != 2:
        return None
    return int(parts[0]), int(parts[1])


def python_candidates(platform: str = sys.platform) -> list[Path]:
    """Interpreters to make the venv from, best first.

    Inside QGIS ``sys.executable`` is often QGIS itself (``/usr/bin/qgis``, ``qgis-bin.exe``),
    so it counts only when it is named python; then the python of QGIS's Python prefix
    (OSGeo4W: ``<OSGeo4W>\\apps\\Python3x\\python.exe``), then ``python3`` on PATH.
    """
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    found: list[Path] = []
    from_env = os.environ.get(SETUP_PYTHON_ENV, "").strip()
    if from_env:
        found.append(Path(from_env).expanduser())
    for executable in (getattr(sys, "_base_executable", ""), sys.executable):
        if executable and Path(executable).name.lower().startswith("python"):
            found.append(Path(executable))
    for prefix in dict.fromkeys((sys.base_prefix, sys.base_exec_prefix, sys.prefix)):
        base = Path(prefix)
        if platform == "win32":
            found.append(base / "python.exe")
            found.append(base / "python3.exe")
        else:
            found += [base / "bin" / f"python{version}", base / "bin" / "python3"]
    if platform != "win32":
        found += [Path(f"/usr/bin/python{version}"), Path("/usr/bin/python3")]
    for name in ("python3", "python"):
        on_path = shutil.which(name)
        if on_path:
            found.append(Path(on_path))
    return list(dict.fromkeys(found))


def find_base_python(platform: str = sys.platform) -> Path:
    """The first candidate (:func:`python_candidates`) that runs and is Python 3.10+.

    Raises:
        SetupError: None found; names ``$ROADEXTRACT_SETUP_PYTHON``.
    """
    for candidate in python_candidates(platform):
        if not candidate.is_file():
            continue
        version = _python_version(candidate)
        if version is not None and version >= MIN_PYTHON:
            return candidate
    raise SetupError(
        tr(
            "No Python 3.10 or newer was found to create the backend environment from. Set "
            "{variable} to a Python interpreter and try again."
        ).format(variable=SETUP_PYTHON_ENV)
    )


def find_uv(paths: SetupPaths) -> Path | None:
    """``uv`` from our bootstrap venv, else from PATH; None when neither has one."""
    name = "uv.exe" if sys.platform == "win32" else "uv"
    scripts = paths.tools / ("Scripts" if sys.platform == "win32" else "bin")
    if (scripts / name).is_file():
        return scripts / name
    on_path = shutil.which("uv")
    return Path(on_path) if on_path else None


def installer_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for installer commands: ours minus QGIS's Python/GDAL paths, with
    unbuffered output, no uv-managed Python downloads and no pip version check."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV_VARS}
    env.update(
        {
            "PYTHONUNBUFFERED": "1",
            "PYTHONIOENCODING": "utf-8",
            "UV_PYTHON_DOWNLOADS": "never",
            "UV_NO_PROGRESS": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_PROGRESS_BAR": "off",
            "PIP_NO_INPUT": "1",
        }
    )
    if extra:
        env.update(extra)
    return env


# -- the plan ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetupStep:
    """One command of the set-up.

    Attributes:
        title: What it does, for the dialog.
        command: The command line.
        env: Variables added to :func:`installer_environment` for this step.
    """

    title: str
    command: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()


def torch_index_options(variant: str, platform: str = sys.platform) -> list[str]:
    """Extra-index options for PyTorch: PyTorch's CPU index for ``cpu`` (not on macOS, whose
    PyPI build is the only one), its CUDA index for ``cuda`` on Windows (PyPI's Windows
    wheels are CPU-only), none otherwise (PyPI's Linux wheels carry CUDA)."""
    if variant == VARIANT_CPU and platform != "darwin":
        return ["--extra-index-url", CPU_INDEX_URL]
    if variant == VARIANT_CUDA and platform == "win32":
        return ["--extra-index-url", WINDOWS_CUDA_INDEX_URL]
    return []


def torch_requirements(requirements: Requirements, variant: str, platform: str) -> list[str]:
    """torch/torchvision for ``variant``: the CPU build is a ``+cpu`` local version, which
    the pyproject's ``!=2.13.0+cpu`` excludes, so that exclusion is dropped for it."""
    listed = list(requirements.torch) or [TORCH_REQUIREMENT, TORCHVISION_REQUIREMENT]
    if variant != VARIANT_CPU or platform == "darwin":
        return listed
    return [",".join(p for p in r.split(",") if "+cpu" not in p) for r in listed]


def build_plan(
    paths: SetupPaths,
    variant: str,
    base_python: Path,
    requirements: Requirements,
    uv: Path | None,
    platform: str = sys.platform,
) -> list[SetupStep]:
    """The command lines of a set-up into ``paths.venv`` (which must not exist).

    Args:
        paths: The environment's files.
        variant: ``cuda`` or ``cpu`` (see :func:`available_variants`).
        base_python: The interpreter to create the venv from.
        requirements: What to install (:func:`backend_requirements`).
        uv: The ``uv`` executable; None: ``python -m venv`` and pip.
        platform: ``sys.platform`` of the target.

    Returns:
        venv, build tools + torch + torchvision, sam2 (``SAM2_BUILD_CUDA=0``,
        ``--no-build-isolation``), the rest, and an import check.

    Raises:
        ValueError: Unknown variant or one the platform does not offer.
    """
    if variant not in available_variants(platform):
        raise ValueError(
            f"variant {variant!r} not available on {platform}; choose one of "
            f"{', '.join(available_variants(platform))}"
        )
    python = str(venv_python(paths.venv, platform))
    if uv is not None:
        create: tuple[str, ...] = (str(uv), "venv", "--python", str(base_python), str(paths.venv))
        install: tuple[str, ...] = (str(uv), "pip", "install", "--python", python)
    else:
        create = (str(base_python), "-m", "venv", str(paths.venv))
        install = (python, "-m", "pip", "install")
    steps = [SetupStep(tr("Create the virtual environment"), create)]
    if uv is None:
        steps.append(SetupStep(tr("Update pip"), (*install, "--upgrade", "pip")))
    torch_index = torch_index_options(variant, platform)
    steps.append(
        SetupStep(
            tr("Install PyTorch ({variant})").format(variant=variant_label(variant, platform)),
            (
                *install,
                *torch_index,
                *BUILD_TOOLS,
                *torch_requirements(requirements, variant, platform),
            ),
        )
    )
    if requirements.sam2:
        steps.append(
            SetupStep(
                tr("Build and install SAM 2"),
                (*install, "--no-build-isolation", requirements.sam2),
                (("SAM2_BUILD_CUDA", "0"),),
            )
        )
    steps.append(
        SetupStep(
            tr("Install the other backend dependencies"),
            (*install, *requirements.rest),
        )
    )
    steps.append(SetupStep(tr("Check the environment"), (python, "-c", CHECK_SCRIPT)))
    return steps


def bootstrap_uv_plan(paths: SetupPaths, base_python: Path) -> list[SetupStep]:
    """Steps that install ``uv`` into ``paths.tools`` (a small venv) with pip."""
    python = str(venv_python(paths.tools))
    return [
        SetupStep(
            tr("Create a venv for the uv installer"),
            (str(base_python), "-m", "venv", str(paths.tools)),
        ),
        SetupStep(tr("Install uv"), (python, "-m", "pip", "install", "--upgrade", "uv")),
    ]


def variant_label(variant: str, platform: str = sys.platform) -> str:
    """User text of a variant."""
    if platform == "darwin":
        return tr("PyTorch from PyPI (CPU and Apple GPU)")
    return tr("CUDA (NVIDIA GPU)") if variant == VARIANT_CUDA else tr("CPU only")


# -- running -------------------------------------------------------------------------------------


LineSink = Callable[[str], None]


def _stop_process(process: subprocess.Popen) -> None:
    """Terminate ``process`` and its children (its own process group on POSIX)."""
    if process.poll() is not None:
        return
    try:
        if sys.platform == "win32":  # pragma: no cover - Windows only
            subprocess.run(
                ["taskkill", "/T", "/F", "/PID", str(process.pid)],
                capture_output=True,
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
            )
        else:
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STOP_GRACE_S)
    except (OSError, subprocess.TimeoutExpired):
        try:
            if sys.platform != "win32":
                os.killpg(process.pid, signal.SIGKILL)
            else:  # pragma: no cover - Windows only
                process.kill()
        except OSError:
            pass
        process.wait()


def run_step(
    step: SetupStep,
    on_line: LineSink,
    is_cancelled: Callable[[], bool] | None = None,
    cwd: Path | None = None,
) -> None:
    """Run one step, passing each output line (stdout and stderr) to ``on_line``.

    Raises:
        SetupCancelled: ``is_cancelled()`` turned true (the step's processes are stopped).
        SetupError: The command could not start or exited non-zero.
    """
    on_line("$ " + " ".join(arg.strip().replace("\n", "; ") for arg in step.command))
    try:
        process = subprocess.Popen(
            list(step.command),
            cwd=str(cwd) if cwd else None,
            env=installer_environment(dict(step.env)),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=sys.platform != "win32",
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )
    except OSError as exc:
        raise SetupError(
            tr("Cannot run {program}: {error}").format(program=step.command[0], error=exc)
        ) from exc
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for raw in iter(process.stdout.readline, b""):
            lines.put(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    finished = False
    while not finished:
        if is_cancelled is not None and is_cancelled():
            _stop_process(process)
            reader.join(timeout=STOP_GRACE_S)
            raise SetupCancelled(tr("The backend set-up was cancelled."))
        try:
            line = lines.get(timeout=POLL_S)
        except queue.Empty:
            continue
        while line is not None:
            on_line(line)
            try:
                line = lines.get_nowait()
            except queue.Empty:
                break
        else:
            finished = True
    code = process.wait()
    if code != 0:
        raise SetupError(
            tr("{title} failed (exit code {code}); see the log above.").format(
                title=step.title, code=code
            )
        )


@dataclass
class SetupResult:
    """A finished set-up.

    Attributes:
        python: The new backend Python.
        marker: What was written into the marker.
        seconds: Wall time of the whole set-up.
    """

    python: Path
    marker: dict
    seconds: float


def remove_tree(path: Path) -> None:
    """Delete ``path`` (files or a folder tree) if it exists; read-only files too."""
    if not path.exists() and not path.is_symlink():
        return
    if path.is_file() or path.is_symlink():
        path.unlink()
        return

    def make_writable(func, name, _exc) -> None:  # noqa: ANN001 - shutil's onerror API
        os.chmod(name, 0o700)
        func(name)

    shutil.rmtree(path, onerror=make_writable)


def run_setup(
    variant: str,
    paths: SetupPaths | None = None,
    on_line: LineSink | None = None,
    on_step: Callable[[int, int, str], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
    use_uv: bool = True,
    requirements: Requirements | None = None,
) -> SetupResult:
    """Create (or recreate: Repair) the backend environment; blocks until done.

    The marker is removed first and written last, so only a run where every step
    succeeded leaves an environment marked as ready; a failed or cancelled one also has its
    half-made venv removed. The log goes to ``on_line`` and to ``paths.log``.

    Args:
        variant: ``cuda`` or ``cpu``.
        paths: Where; default :meth:`SetupPaths.default`.
        on_line: Called with every log line (from this thread).
        on_step: Called with ``(index, count, title)`` before each step.
        is_cancelled: Polled while steps run; True stops the set-up.
        use_uv: Use ``uv`` (bootstrapped with pip when not found); False: pip only. A uv
            that cannot be bootstrapped falls back to pip.
        requirements: What to install; default read from the plugin's pyproject.toml.

    Raises:
        SetupCancelled: Cancelled.
        SetupError: A step failed; the message names it.
    """
    paths = paths or SetupPaths.default()
    requirements = requirements or backend_requirements()
    started = time.monotonic()
    paths.root.mkdir(parents=True, exist_ok=True)
    paths.marker.unlink(missing_ok=True)
    log = paths.log.open("w", encoding="utf-8")
    lock = threading.Lock()

    def emit(line: str) -> None:
        with lock:
            log.write(line + "\n")
            log.flush()
        if on_line is not None:
            on_line(line)

    try:
        base_python = find_base_python()
        emit(tr("Python for the environment: {python}").format(python=base_python))
        uv = find_uv(paths) if use_uv else None
        if use_uv and uv is None:
            emit(tr("uv not found: installing it into {path}").format(path=paths.tools))
            try:
                for step in bootstrap_uv_plan(paths, base_python):
                    if on_step is not None:
                        on_step(0, 0, step.title)
                    run_step(step, emit, is_cancelled)
                uv = find_uv(paths)
            except SetupCancelled:
                raise
            except SetupError as exc:
                emit(
                    tr("uv could not be installed ({error}); using pip instead.").format(error=exc)
                )
                remove_tree(paths.tools)
                uv = None
        emit(tr("Installer: {installer}").format(installer=str(uv) if uv else "pip"))
        remove_tree(paths.venv)
        steps = build_plan(paths, variant, base_python, requirements, uv)
        for index, step in enumerate(steps):
            if on_step is not None:
                on_step(index + 1, len(steps), step.title)
            run_step(step, emit, is_cancelled, cwd=paths.root)
        seconds = time.monotonic() - started
        marker = {
            "format": MARKER_FORMAT,
            "variant": variant,
            "installer": "uv" if uv else "pip",
            "python": str(paths.python()),
            "base_python": str(base_python),
            "requirements": requirements.digest,
            "plugin_version": plugin_version(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "seconds": round(seconds, 1),
        }
        temporary = paths.marker.with_suffix(".tmp")
        temporary.write_text(json.dumps(marker, indent=2), encoding="utf-8")
        os.replace(temporary, paths.marker)
        emit(tr("The backend environment is ready ({seconds:.0f} s).").format(seconds=seconds))
        return SetupResult(paths.python(), marker, seconds)
    except BaseException as exc:
        emit(str(exc))
        paths.marker.unlink(missing_ok=True)
        try:
            remove_tree(paths.venv)
        except OSError as cleanup_error:
            emit(
                tr("Could not remove {path}: {error}").format(path=paths.venv, error=cleanup_error)
            )
        raise
    finally:
        with lock:
            log.close()


def remove_environment(paths: SetupPaths | None = None) -> None:
    """Delete the environment's folder (venv, uv bootstrap, marker, log).

    Raises:
        SetupError: It could not be deleted (e.g. a backend still runs from it on Windows).
    """
    paths = paths or SetupPaths.default()
    try:
        remove_tree(paths.root)
    except OSError as exc:
        raise SetupError(
            tr("Cannot remove {path}: {error}. Stop the backend and try again.").format(
                path=paths.root, error=exc
            )
        ) from exc


# -- offering the set-up -----------------------------------------------------------------------

# The GUI registers a callable here (gui/main.py); algorithms and the backend start call
# offer_setup() when no backend environment exists. It may be called from any thread.
_setup_offer: Callable[[str], None] | None = None


def set_setup_offer(offer: Callable[[str], None] | None) -> None:
    """Register (None: remove) what :func:`offer_setup` calls."""
    global _setup_offer
    _setup_offer = offer


def offer_setup(reason: str) -> bool:
    """Ask the GUI, if one is loaded, to offer the set-up; True when one was asked."""
    offer = _setup_offer
    if offer is None:
        return False
    offer(reason)
    return True
