"""Pipeline steps on the lake: each job reads its inputs from the catalog and lake, runs the
pure library function, and publishes the result with lineage. Jobs take plain values (URLs,
names), so a Prefect task can run them on a Dask worker; they are idempotent.
"""
