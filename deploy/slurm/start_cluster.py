"""Start a Dask cluster of SLURM jobs for etholake (pip install dask-jobqueue) and print its address.

Run on a login node, keep it running, and point etholake at it from another shell:
    ETHOLAKE_DASK_ADDRESS=<printed address> etholake reprocess
"""

import time

from dask_jobqueue import SLURMCluster

if __name__ == "__main__":
    cluster = SLURMCluster(
        queue="normal",
        cores=1,
        processes=1,
        memory="4GB",
        walltime="04:00:00",
        job_extra_directives=["--cpus-per-task=1"],
        scheduler_options={"host": "0.0.0.0"},
    )
    cluster.adapt(minimum=1, maximum=64)
    print(cluster.scheduler_address, flush=True)
    while True:
        time.sleep(60)
