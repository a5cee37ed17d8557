"""Features, inference and staleness jobs on a small lake (jobs called directly, no Prefect)."""

import warnings

import numpy as np
import pandas as pd
import pytest
from pipeline_helpers import add_sessions, contact_truth, synthetic_pose, train_contact_model

from etholake.catalog import Catalog, SessionKey
from etholake.features import compute_features
from etholake.jobs.context import JobContext, open_dataset, require_asset
from etholake.jobs.features import session_features
from etholake.jobs.inference import session_inference
from etholake.jobs.models import load_registered_model, publish_model
from etholake.jobs.status import session_states
from etholake.lake import find_orphans, open_lake, publish_dataset
from etholake.lake.formats import read_parquet

KEYS = [SessionKey("labA", "m1", f"s{i}") for i in range(3)]


@pytest.fixture
def lake_with_model(tmp_path):
    context = JobContext(str(tmp_path / "lake"), f"sqlite:///{tmp_path / 'catalog.sqlite'}", "alice")
    lake = open_lake(context.lake_url)
    with Catalog(context.catalog_url) as catalog:
        add_sessions(lake, catalog, "alice", "labA", [k.session for k in KEYS])
        outcomes = [session_features(context, key, "default") for key in KEYS[:2]]
        features = [open_dataset(context, catalog.asset("alice", o.asset_id)).load() for o in outcomes]
        bundle = train_contact_model(features, [synthetic_pose(seed=i) for i in range(2)], "contact")
        asset_id, version = publish_model(
            lake, catalog, "alice", bundle, lab="labA", parents={o.asset_id: "features" for o in outcomes}
        )
        catalog.set_model_stage("alice", "contact", version, "production")
    return context, lake, asset_id


def test_features_are_computed_once_per_pose_and_spec(lake_with_model):
    context, _, _ = lake_with_model
    again = session_features(context, KEYS[0], "default")
    assert not again.computed
    other = session_features(context, KEYS[0], "simba")
    assert other.computed and other.asset_id != again.asset_id


def test_what_computing_features_warns_is_reported_on_the_outcome(lake_with_model, recwarn):
    context, _, _ = lake_with_model
    outcome = session_features(context, KEYS[0], "jaaba")
    assert outcome.computed
    assert outcome.notes == ("no arena bounds (arena_bounds_px): the arena features of this session are NaN",)
    assert [str(w.message) for w in recwarn] == []


def test_inference_publishes_annotations_bouts_and_summaries_once(lake_with_model):
    context, lake, model_asset = lake_with_model
    outcome = session_inference(context, KEYS[2], "contact")
    assert outcome.computed and outcome.features_computed and outcome.model_version == 1
    with Catalog(context.catalog_url) as catalog:
        annotations = catalog.asset("alice", outcome.annotations_id)
        bouts_asset = catalog.asset("alice", outcome.bouts_id)
        assert set(annotations.parents.values()) == {"features", "model"}
        assert model_asset in annotations.parents
        assert bouts_asset.parents == {annotations.id: "annotations"}
        ancestors = catalog.lineage("alice", bouts_asset.id)
        assert set(ancestors["kind"]) == {"annotations", "features", "model", "pose"}
        summary = catalog.behavior_summaries("alice")
        assert summary["session"].tolist() == ["s2"] and summary["model_version"].tolist() == [1]
        dataset = open_dataset(context, annotations)
        bouts = read_parquet(lake.fs, lake.path(bouts_asset.uri))
        assert int(summary["bout_count"].iloc[0]) == len(bouts) > 0
        truth = contact_truth(synthetic_pose(seed=2))
        predicted = dataset["predicted"].sel(behavior="contact").values
        assert (predicted == truth.astype(bool)).mean() > 0.9
        assert dataset["probability"].dtype == np.float32
        again = session_inference(context, KEYS[2], "contact")
        assert not again.computed and again.bouts_id == outcome.bouts_id
        assert len(catalog.assets("alice", kind="annotations")) == 1
        assert find_orphans(lake, catalog) == []


def test_one_pass_inference_equals_prediction_from_the_stored_features(lake_with_model):
    context, lake, _ = lake_with_model
    outcome = session_inference(context, KEYS[2], "contact")
    assert outcome.features_computed
    with Catalog(context.catalog_url) as catalog:
        bundle, _ = load_registered_model(lake, catalog, "alice", "contact", "production")
        annotations = open_dataset(context, catalog.asset("alice", outcome.annotations_id)).load()
        features_id = next(
            p for p, role in catalog.asset("alice", outcome.annotations_id).parents.items() if role == "features"
        )
        stored = open_dataset(context, catalog.asset("alice", features_id)).load()
    fresh = compute_features(synthetic_pose(seed=2), "default")
    np.testing.assert_array_equal(stored["features"].values, fresh["features"].values)
    np.testing.assert_array_equal(annotations["probability"].values, bundle.predict_probability(stored).values)
    np.testing.assert_array_equal(stored["frame"].values, fresh["frame"].values)
    np.testing.assert_array_equal(annotations["frame"].values, fresh["frame"].values)
    assert fresh["frame"].values[-1] > 0


def test_status_names_the_reason_a_session_is_stale(lake_with_model):
    context, lake, _ = lake_with_model
    states = {s.session: s for s in session_states(context)}
    assert {s.reason for s in states.values()} == {"never annotated"}
    for key in KEYS:
        session_inference(context, key, "contact")
    assert all(s.current for s in session_states(context))
    with Catalog(context.catalog_url) as catalog:
        publish_dataset(
            lake,
            catalog,
            "alice",
            synthetic_pose(seed=9),
            kind="pose",
            lab="labA",
            session=KEYS[0],
            params={"identity": "pose"},
        )
        states = {s.session: s for s in session_states(context)}
        assert states[KEYS[0]].reason == "new pose version" and states[KEYS[1]].current
        features = [open_dataset(context, require_asset(catalog, "alice", k, "features")).load() for k in KEYS[1:]]
        bundle = train_contact_model(features, [synthetic_pose(seed=i) for i in (1, 2)], "contact")
        _, version = publish_model(lake, catalog, "alice", bundle, lab="labA")
        catalog.set_model_stage("alice", "contact", version, "production")
        assert catalog.models("alice", name="contact")["stage"].tolist() == ["production", "archived"]
    reasons = {s.session: s.reason for s in session_states(context)}
    assert reasons[KEYS[1]] == "new production model (v1 -> v2)"
    assert reasons[KEYS[0]] == "new production model (v1 -> v2); new pose version"
    frame = pd.DataFrame([vars(s) for s in session_states(context)])
    assert not frame["current"].any()


def test_concurrent_runs_record_one_result(lake_with_model):
    from concurrent.futures import ThreadPoolExecutor

    context, lake, _ = lake_with_model
    with ThreadPoolExecutor(3) as pool:
        outcomes = list(pool.map(lambda _: session_inference(context, KEYS[2], "contact"), range(3)))
    assert len({o.bouts_id for o in outcomes}) == 1
    with Catalog(context.catalog_url) as catalog:
        assert len(catalog.assets("alice", kind="bouts")) == 1
        assert len(catalog.assets("alice", kind="annotations")) == 1
        assert len(catalog.assets("alice", kind="features", session=KEYS[2])) == 1
        assert find_orphans(lake, catalog) == []


@pytest.mark.parametrize("format", ["simba", "simba-summary", "simba-bouts", "boris", "bouts-csv"])
def test_annotation_exports(lake_with_model, tmp_path, format):
    from etholake.jobs.export import export_session_annotations

    context, _, _ = lake_with_model
    outcome = session_inference(context, KEYS[2], "contact")
    table = pd.read_csv(export_session_annotations(context, KEYS[2], tmp_path / f"{format}.csv", format))
    expected_column = {
        "simba": "Probability_contact",
        "simba-summary": "contact - Event count",
        "simba-bouts": "Bout_time",
        "boris": "Behavior type",
        "bouts-csv": "mean_probability",
    }[format]
    assert expected_column in table.columns
    if format == "simba":
        assert len(table) == outcome.frames and "nose_2_x" in table.columns
    if format == "simba-summary":
        assert table["contact - Event count"].iloc[0] == outcome.bouts


def test_a_boris_export_to_a_tsv_file_is_tab_separated_and_reads_back(lake_with_model, tmp_path):
    from etholake import read_labels
    from etholake.jobs.export import export_session_annotations

    context, _, _ = lake_with_model
    outcome = session_inference(context, KEYS[2], "contact")
    path = export_session_annotations(context, KEYS[2], tmp_path / "events.tsv", "boris")
    assert path.read_text().splitlines()[0].startswith("Observation id\tObservation date\t")
    labels = read_labels(path, format="boris", fps=30.0)
    assert int((np.diff(labels["label"].sel(behavior="contact").values, prepend=0) == 1).sum()) == outcome.bouts


def test_a_label_set_export_picks_the_newest_version_of_the_label_set_named(lake_with_model, tmp_path):
    from etholake.errors import NotFoundError
    from etholake.jobs.export import export_session_labels
    from etholake.schema.labels import make_labels_dataset

    context, lake, _ = lake_with_model
    with pytest.raises(NotFoundError, match="session labA/m1/s0 has no human label set"):
        export_session_labels(context, KEYS[0], tmp_path / "none.csv")
    versions = {}
    with Catalog(context.catalog_url) as catalog:
        for identity, value in (("ada:S1", 0), ("ben:S1", 1), ("ada:S1", 1)):
            annotator, label_set = identity.split(":")
            labels = make_labels_dataset(
                np.full((1200, 1), value, np.int8), behaviors=["contact"], annotator=annotator, label_set=label_set
            )
            place = {"lab": "labA", "session": KEYS[0], "params": {"identity": identity}}
            versions[identity] = publish_dataset(lake, catalog, "alice", labels, kind="labels", **place).record.id
    with pytest.raises(NotFoundError, match=r"has several label sets: choose one with --label-set; .* ada:S1, ben:S1$"):
        export_session_labels(context, KEYS[0], tmp_path / "x.csv")
    with pytest.raises(NotFoundError, match=r"has no label set 'eve:S1'; its label sets are ada:S1, ben:S1$"):
        export_session_labels(context, KEYS[0], tmp_path / "x.csv", label_set="eve:S1")
    path = export_session_labels(context, KEYS[0], tmp_path / "ada.csv", label_set="ada:S1")
    assert pd.read_csv(path)["contact"].unique().tolist() == [1], "the newest version of ada:S1"
    from etholake.jobs.train import labelled_sessions

    assert set(labelled_sessions(context, ["contact"], ["S1"])[KEYS[0]]) == {"ada:S1", "ben:S1"}
    assert set(labelled_sessions(context, ["contact"], ["ben:S1"])[KEYS[0]]) == {"ben:S1"}
    from etholake.errors import OptionError
    from etholake.jobs.train import assemble_training_data

    with pytest.raises(OptionError, match=r"policy single:nobody names no annotator .*; their annotators are ada, ben"):
        assemble_training_data(context, behaviors=["contact"], policy="single:nobody")


def test_an_annotation_export_names_the_models_a_session_has_annotations_of(lake_with_model, tmp_path):
    from etholake.errors import NotFoundError
    from etholake.jobs.export import export_session_annotations
    from etholake.jobs.nwb import export_session_to_nwb

    context, _, _ = lake_with_model
    with pytest.raises(NotFoundError, match=r"no machine annotations: run etholake infer --model MODEL first"):
        export_session_annotations(context, KEYS[2], tmp_path / "a.csv", "simba")
    with pytest.raises(NotFoundError, match=r"no machine annotations: run etholake infer --model MODEL first"):
        export_session_to_nwb(context, KEYS[2], tmp_path / "s.nwb", model="contact")
    session_inference(context, KEYS[2], "contact")
    with pytest.raises(NotFoundError, match=r"by model 'social'; it has annotations by contact$"):
        export_session_annotations(context, KEYS[2], tmp_path / "a.csv", "simba", model="social")
    with pytest.raises(NotFoundError, match=r"by model 'social'; it has annotations by contact$"):
        export_session_to_nwb(context, KEYS[2], tmp_path / "s.nwb", model="social")


def test_pose_export_round_trip(lake_with_model, tmp_path):
    from etholake.io import read_pose
    from etholake.jobs.export import export_session_pose

    context, _, _ = lake_with_model
    written = export_session_pose(context, KEYS[0], tmp_path / "pose.h5", "dlc")
    back = read_pose(written, fps=30.0)
    np.testing.assert_allclose(back["position"].values, synthetic_pose(seed=0)["position"].values, rtol=1e-6)


def test_nwb_pose_export_takes_the_session_start_and_subject_from_the_catalog(lake_with_model, tmp_path):
    from datetime import datetime, timedelta, timezone

    from pynwb import NWBHDF5IO

    from etholake.jobs.export import export_session_pose

    context, _, _ = lake_with_model
    with pytest.warns(UserWarning, match=r"session labA/m1/s0 has no start time in the catalog .*: writing 1970"):
        export_session_pose(context, KEYS[0], tmp_path / "unknown.nwb", "nwb")
    start = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    with Catalog(context.catalog_url) as catalog:
        catalog.register_session("alice", KEYS[0], start_time=start, protocol="resident-intruder")
    written = export_session_pose(context, KEYS[0], tmp_path / "pose.nwb", "nwb")
    with NWBHDF5IO(str(written), "r") as io:
        nwbfile = io.read()
        assert nwbfile.session_start_time == start
        assert nwbfile.session_description == "resident-intruder"
        assert nwbfile.subject.subject_id == KEYS[0].subject


def test_an_nwb_export_of_a_session_without_annotations_holds_its_pose(lake_with_model, tmp_path):
    from pynwb import NWBHDF5IO

    from etholake.jobs.nwb import export_session_to_nwb

    context, _, _ = lake_with_model
    with pytest.warns(
        UserWarning,
        match=r"session labA/m1/s2 has no machine annotations: the NWB file holds no behavior probabilities",
    ):
        written = export_session_to_nwb(context, KEYS[2], tmp_path / "s2.nwb")
    with NWBHDF5IO(str(written), "r") as io:
        nwbfile = io.read()
        behavior = nwbfile.processing["behavior"]
        assert "PoseEstimation_resident" in behavior.data_interfaces
        assert "behavior_probabilities" not in behavior.data_interfaces
        assert not [name for name in nwbfile.intervals if name.startswith("bouts_")]
        series = behavior["PoseEstimation_resident"].pose_estimation_series
        first = series[sorted(series)[0]]
        assert first.data.shape == (synthetic_pose(seed=2).sizes["time"], 2)


def test_a_model_version_is_a_number_latest_or_production(lake_with_model):
    from etholake.errors import NotFoundError, OptionError

    context, _, asset_id = lake_with_model
    with Catalog(context.catalog_url) as catalog:
        assert catalog.model("alice", "contact", "1")["asset_id"] == asset_id
        assert catalog.model("alice", "contact", "latest")["asset_id"] == asset_id
        with pytest.raises(OptionError, match="model version must be a number, 'latest' or 'production', got 'x'"):
            catalog.model("alice", "contact", "x")
        with pytest.raises(NotFoundError, match="no version 7 of model 'contact' visible to alice"):
            catalog.model("alice", "contact", 7)


def test_a_model_of_a_private_lab_cannot_be_staged_or_seen_to_exist_by_an_outsider(lake_with_model):
    from etholake.errors import AccessDeniedError, NotFoundError

    context, _, _ = lake_with_model
    with Catalog(context.catalog_url) as catalog:
        catalog.add_user("mallory")
        with pytest.raises(NotFoundError, match="no version 1 of model 'contact' visible to mallory"):
            catalog.set_model_stage("mallory", "contact", 1, "archived")
        catalog.add_member("alice", "labA", "victor", role="viewer")
        with pytest.raises(AccessDeniedError, match="may not write to lab 'labA'"):
            catalog.set_model_stage("victor", "contact", 1, "archived")
        assert catalog.model("alice", "contact", 1)["stage"] == "production"


def test_an_export_of_a_session_the_user_cannot_see_says_so(lake_with_model, tmp_path):
    from etholake.errors import NotFoundError
    from etholake.jobs.context import JobContext
    from etholake.jobs.export import export_session_pose

    context, _, _ = lake_with_model
    outsider = JobContext(context.lake_url, context.catalog_url, "mallory")
    with pytest.raises(NotFoundError, match="no session labA/m1/s0 visible to mallory"):
        export_session_pose(outsider, KEYS[0], tmp_path / "pose.h5", "dlc")
    with pytest.raises(NotFoundError, match="no session labA/m1/s9 visible to alice"):
        export_session_pose(context, SessionKey("labA", "m1", "s9"), tmp_path / "pose.h5", "dlc")


def test_an_nwb_export_of_units_fits_the_clock_map_from_the_pulses_when_align_stored_none(lake_with_model, tmp_path):
    import pandas as pd
    from pynwb import NWBHDF5IO

    from etholake.errors import NotFoundError
    from etholake.jobs.nwb import export_session_to_nwb
    from etholake.lake import publish_dataset
    from etholake.neural.containers import Units
    from etholake.neural.datasets import times_to_dataset, units_to_dataset

    context, _, _ = lake_with_model
    units = Units(
        np.array([0.5, 1.5, 2.5]), np.array([2, 3]), pd.DataFrame(index=pd.Index(["u1", "u2"], name="unit_id")), "daq"
    )

    def publish(dataset, kind, identity):
        with Catalog(context.catalog_url) as catalog:
            publish_dataset(
                context.lake(),
                catalog,
                "alice",
                dataset,
                kind=kind,
                lab="labA",
                session=KEYS[2],
                params={"identity": identity},
            )

    publish(units_to_dataset(units), "units", "units:daq")
    with (
        warnings.catch_warnings(),
        pytest.raises(
            NotFoundError, match=r"has units but no clock map .* cannot fit one: .* no sync pulses on the camera"
        ),
    ):
        warnings.simplefilter("ignore", UserWarning)
        export_session_to_nwb(context, KEYS[2], tmp_path / "s2.nwb")
    video = np.cumsum(np.random.default_rng(0).uniform(0.5, 1.5, 60))
    for clock, times in (("camera", video), ("daq", 1.00002 * video + 3.0)):
        publish(times_to_dataset(times, clock=clock, what="pulses", source_file=""), "pulses", f"pulses:{clock}:")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        written = export_session_to_nwb(context, KEYS[2], tmp_path / "s2.nwb")
    assert [str(w.message) for w in caught if "clock map" in str(w.message)] == [
        "session labA/m1/s2 has no stored clock map (`etholake align` stores one): fitted one from its sync pulses "
        "(+20.0 ppm, 100.0% of pulses matched)"
    ]
    with NWBHDF5IO(str(written), "r") as io:
        spikes = io.read().units["spike_times"][:]
    assert [float(t) for train in spikes for t in train] == [0.5, 1.5, 2.5]


def test_a_new_feature_code_version_makes_stored_features_and_annotations_stale(lake_with_model, monkeypatch):
    import etholake.features

    context, _, _ = lake_with_model
    session_inference(context, KEYS[0], "contact")
    assert session_states(context)[0].current
    stored = session_features(context, KEYS[0], "default")
    assert not stored.computed
    current = etholake.features.FEATURE_CODE_VERSION
    monkeypatch.setattr(etholake.features, "FEATURE_CODE_VERSION", current + 1)
    assert session_states(context)[0].reason == f"new feature code (v{current} -> v{current + 1})"
    recomputed = session_features(context, KEYS[0], "default")
    assert recomputed.computed and recomputed.asset_id != stored.asset_id
    with Catalog(context.catalog_url) as catalog:
        assert catalog.asset("alice", recomputed.asset_id).params["feature_code_version"] == current + 1
    outcome = session_inference(context, KEYS[0], "contact")
    assert outcome.computed and not outcome.features_computed
    assert session_states(context)[0].current
