"""Region-scale runs of the raster jobs on a Dask cluster (issue 13).

Sits beside ``backend/jobs``: it imports jobs, geo, methods, models and runtime, and nothing
below imports it (the job modules reach it through :mod:`backend.jobs.scheduler_runs`,
filled by :func:`backend.distributed.runners.register_runners` from the command line and the
service). Dask itself is imported only on the paths that run on a cluster, so the backend
works without the ``[distributed]`` extra.
"""
