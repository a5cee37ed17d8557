"""Bout summaries of label sets ingested before label sets were summarised."""

from __future__ import annotations

import warnings

from etholake.catalog import BehaviorSummaryRows, Catalog
from etholake.inference.summary import labels_summary
from etholake.ingest.session import SessionOutcome
from etholake.lake import Lake
from etholake.lake.formats import read_zarr


def summarise_unsummarised_label_sets(
    lake: Lake, catalog: Catalog, user: str, outcomes: list[SessionOutcome]
) -> list[str]:
    """Store the human bout summary of each label set the ``outcomes`` reused that has none.

    Label sets ingested by etholake before it summarised them (or whose summary
    rows were lost) are read back from the lake, so re-running ``etholake ingest``
    on an unchanged manifest makes ``query sessions --source human`` find them.
    Label sets of sessions without a frame rate have no summary and are left so;
    a label set the lake cannot give back is a warning.

    Returns
    -------
    list of str
        The ids of the label sets summarised now.
    """
    label_sets = {
        asset_id: label.removeprefix("labels:")
        for outcome in outcomes
        for label, asset_id in outcome.reused.items()
        if label.startswith("labels:")
    }
    summarised = []
    for asset_id in sorted(set(label_sets) - catalog.summarised_assets(label_sets)):
        asset = catalog.asset(user, asset_id)
        try:
            rows = labels_summary(read_zarr(lake.uri(asset.uri), lake.storage_options).load())
        except OSError as error:
            message = f"label set {label_sets[asset_id]} ({asset.uri}) cannot be read to summarise it: {error}"
            warnings.warn(message, stacklevel=2)
            continue
        if rows is not None:
            catalog.replace_behavior_summaries(user, BehaviorSummaryRows(asset_id, rows, "human", label_sets[asset_id]))
            summarised.append(asset_id)
    return summarised
