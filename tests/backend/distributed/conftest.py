from __future__ import annotations

import pytest

from backend.distributed.runners import register_runners


@pytest.fixture(scope="session")
def scheduler():
    """Address of a LocalCluster of 2 single-threaded worker processes (shared by the files
    here; a test that kills a worker leaves it to the nanny to restart)."""
    distributed = pytest.importorskip("distributed")
    register_runners()
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address
