"""Where a regional run's per-authority tasks execute: a local process pool, or a Dask cluster.

``cscbook region`` submits one task per authority (``book.region.authority_measures``) to a
``concurrent.futures.Executor``. By default that is a process pool on this machine. With
``--scheduler tcp://host:8786`` the same tasks go to an existing Dask distributed cluster
(``distributed.Client(address).get_executor()``, a standard ``Executor``), for a region too big
for one machine; every worker must then see the extracts at the paths the region file names
(a shared drive) and have cscbook installed. ``--scheduler local`` starts a Dask cluster of
worker processes on this machine (the same code path, for trying it out).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

from cscbook.config.errors import UserError


@contextmanager
def executor_for(scheduler: str | None, workers: int) -> Iterator[Executor | None]:
    """None (the caller's own process pool) without ``scheduler``; else a Dask client's executor,
    closed on exit. UserError when the scheduler cannot be reached."""
    if not scheduler:
        yield None
        return
    from distributed import Client, LocalCluster

    cluster = None
    try:
        if scheduler == "local":
            cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
            client = Client(cluster)
        else:
            client = Client(scheduler, timeout="10s")
    except OSError as exc:
        if cluster is not None:
            cluster.close()
        raise UserError(f"The Dask scheduler {scheduler} could not be reached ({exc}). Check that it is running "
                        "and the address (e.g. tcp://10.0.0.5:8786), or run without --scheduler to use this "
                        "machine's processes.") from None  # fmt: skip
    try:
        yield client.get_executor()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
