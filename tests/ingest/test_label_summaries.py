"""Label sets ingested without a bout summary (by an older etholake) are summarised by the next ingest."""

import pandas as pd
from sqlalchemy import delete
from test_session_order import pose_with_labels

from etholake.catalog import Catalog, summaries
from etholake.catalog.models import BehaviorSummary
from etholake.ingest.label_summaries import summarise_unsummarised_label_sets
from etholake.lake import open_lake


def test_reused_label_sets_without_a_summary_are_summarised_once(tmp_path, monkeypatch):
    _, catalog_url, ingest = pose_with_labels(tmp_path, "bob")
    first = ingest()
    (label_set,) = [asset_id for label, asset_id in first.created.items() if label.startswith("labels:")]
    lake = open_lake(str(tmp_path / "lake"))
    with Catalog(catalog_url) as catalog:
        summarised_at_ingest = catalog.behavior_summaries("alice")
        assert summarised_at_ingest[["behavior", "bout_count"]].values.tolist() == [["groom", 1]]
        with catalog.transaction() as db:
            db.execute(delete(BehaviorSummary))

        again = ingest()
        assert again.status == "unchanged"
        assert again.reused == first.created
        assert summarise_unsummarised_label_sets(lake, catalog, "alice", [again]) == [label_set]
        pd.testing.assert_frame_equal(catalog.behavior_summaries("alice"), summarised_at_ingest)
        assert summarise_unsummarised_label_sets(lake, catalog, "alice", [again]) == []
        monkeypatch.setattr(summaries, "IDS_PER_QUERY", 2)
        assert catalog.summarised_assets(["a", "b", label_set, "c", "d"]) == {label_set}


def test_a_label_set_missing_from_the_lake_is_a_warning(tmp_path, recwarn):
    _, catalog_url, ingest = pose_with_labels(tmp_path, "bob")
    first = ingest()
    lake = open_lake(str(tmp_path / "lake"))
    with Catalog(catalog_url) as catalog:
        with catalog.transaction() as db:
            db.execute(delete(BehaviorSummary))
        (label_set,) = [catalog.asset("alice", a) for label, a in first.created.items() if label.startswith("labels:")]
        lake.remove(label_set.uri)
        assert summarise_unsummarised_label_sets(lake, catalog, "alice", [ingest()]) == []
    (warning,) = [w for w in recwarn if "cannot be read to summarise it" in str(w.message)]
    assert str(warning.message).startswith(f"label set bob:interval_csv ({label_set.uri}) cannot be read")
