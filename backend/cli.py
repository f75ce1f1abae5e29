"""Command line: the backend's work without QGIS.

    python -m backend serve [--port 0] [--device auto] [--model-dir DIR] [--state-dir DIR]
                         [--parent-pid PID]
    python -m backend models [--model-dir DIR]
    python -m backend run road-mask-to-vectors --raster-path mask.tif --output-path out.gpkg
    python -m backend run --help            (every job kind, with its options)

Every job kind of the HTTP API is a ``run`` sub-command whose options come from the kind's
parameter model, so the two never drift apart.
"""

from __future__ import annotations

import argparse
import json
import sys
import types
import typing
from pathlib import Path

from pydantic import ValidationError
from tqdm import tqdm

from backend import __version__
from backend.demo import run_demo
from backend.distributed.runners import register_runners
from backend.geo.gdal_config import configure_gdal
from backend.jobs.kinds import list_job_kinds
from backend.models.registry import (
    default_model_dir,
    download_weights,
    get_weights_spec,
    model_status,
)
from backend.runtime.device import DEVICE_CHOICES
from backend.runtime.progress import JobCancelled
from backend.service.server import serve
from backend.service.state import BackendAlreadyRunning, default_state_dir


def _cli_name(kind: str) -> str:
    return kind.replace("_", "-")


def _add_model_options(parser: argparse.ArgumentParser, model) -> None:
    """One ``--option`` per pydantic field (bools as --x/--no-x)."""
    for name, field in model.model_fields.items():
        annotation = field.annotation
        origin = typing.get_origin(annotation)
        if origin in (typing.Union, types.UnionType):  # X | None -> X
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0] if len(args) == 1 else str
        option = "--" + name.replace("_", "-")
        required = field.is_required()
        help_text = field.description or ""
        if annotation is bool:
            parser.add_argument(
                option,
                action=argparse.BooleanOptionalAction,
                default=field.default,
                help=help_text,
            )
        elif typing.get_origin(annotation) in (list, tuple):
            item = (typing.get_args(annotation) or (str,))[0]
            parser.add_argument(
                option,
                nargs="+",
                type=item if item in (int, float, str) else str,
                default=None if required else field.default,
                required=required,
                help=help_text,
            )
        else:
            kind = annotation if annotation in (int, float, str) else str
            default = None if required else field.default
            parser.add_argument(
                option,
                type=kind,
                default=default,
                required=required,
                help=f"{help_text} (default: {default})" if not required else help_text,
            )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m backend", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="Run the HTTP backend on 127.0.0.1.")
    serve.add_argument("--port", type=int, default=0, help="TCP port (0: a free one).")
    serve.add_argument("--device", choices=DEVICE_CHOICES, default="auto")
    serve.add_argument("--model-dir", type=Path, default=default_model_dir())
    serve.add_argument(
        "--state-dir",
        type=Path,
        default=default_state_dir(),
        help="Where backend.json (URL and token, mode 0600) is written.",
    )
    serve.add_argument(
        "--parent-pid",
        type=int,
        default=None,
        help="Shut down (removing backend.json) once this process is gone (the plugin "
        "passes its QGIS's pid).",
    )

    models = sub.add_parser("models", help="List models: installed, missing, where to put them.")
    models.add_argument("--model-dir", type=Path, default=default_model_dir())
    models.add_argument(
        "--download", metavar="MODEL_ID", help="Download an official checkpoint (sha256 checked)."
    )

    demo = sub.add_parser("demo", help="The main job on the SpaceNet sample (make demo).")
    demo.add_argument("--shared-data", type=Path, default=Path("../shared/data"))
    demo.add_argument("--out-dir", type=Path, default=Path("out/demo"))
    demo.add_argument("--device", choices=DEVICE_CHOICES, default="auto")

    run = sub.add_parser("run", help="Run a job on files, with a progress bar.")
    kinds = run.add_subparsers(dest="kind", required=True)
    for job_kind in list_job_kinds():
        kind_parser = kinds.add_parser(_cli_name(job_kind.kind), help=job_kind.title)
        _add_model_options(kind_parser, job_kind.params_model)
        kind_parser.set_defaults(job_kind=job_kind)
    return parser


def _run_job(args: argparse.Namespace) -> int:
    job_kind = args.job_kind
    model = job_kind.params_model
    values = {name: getattr(args, name) for name in model.model_fields}
    try:
        params = model.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(err["msg"] for err in exc.errors())
        print(f"error: {problems}", file=sys.stderr)
        return 2
    try:
        job_kind.validate(params)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with tqdm(total=100, unit="%", bar_format="{l_bar}{bar}| {n:.0f}/100 [{elapsed}]") as bar:

        def report(percent: float, message: str = "") -> None:
            bar.n = percent
            if message:
                bar.set_description_str(message[:40])
            bar.refresh()

        try:
            result = job_kind.run(params, report)
        except (JobCancelled, KeyboardInterrupt):
            print("cancelled: nothing was written", file=sys.stderr)
            return 130
        except (ValueError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    print(json.dumps(result, indent=2))
    return 0


def _models(args: argparse.Namespace) -> int:
    if args.download:
        path = download_weights(get_weights_spec(args.download), args.model_dir)
        print(f"downloaded {args.download} to {path}")
        return 0
    for entry in model_status(args.model_dir):
        state = "installed" if entry["installed"] else "MISSING"
        print(f"{entry['id']:<36} {entry['method']:<16} {state:<9} {entry['path']}")
        if not entry["installed"]:
            print(f"    {entry['how_to_install']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_gdal()
    # --scheduler: the jobs that can run on a Dask cluster (issue 13).
    register_runners()
    if args.command == "serve":
        try:
            serve(args.port, args.device, args.model_dir, args.state_dir, args.parent_pid)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except BackendAlreadyRunning as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 3
        return 0
    if args.command == "models":
        return _models(args)
    if args.command == "demo":
        shared = args.shared_data if args.shared_data.is_dir() else None
        for name, path in run_demo(shared, args.out_dir, args.device).items():
            print(f"{name}: {path}")
        return 0
    return _run_job(args)
