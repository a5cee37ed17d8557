"""The catalog suite: runs against SQLite and a real PostgreSQL server."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from etholake.catalog import NewAsset, SessionKey
from etholake.catalog.models import Subject
from etholake.errors import AccessDeniedError, EtholakeError, InvalidNameError, NotFoundError, OptionError

A1 = SessionKey("labA", "m1", "private1")
A2 = SessionKey("labA", "m1", "shared1")
A3 = SessionKey("labA", "m1", "public1")
B1 = SessionKey("labB", "r1", "private1")


def asset(asset_id: str, session: SessionKey | None, parents=None, kind="pose", lab=None, visibility="private"):
    return NewAsset(
        id=asset_id * 32 if len(asset_id) == 1 else asset_id,
        kind=kind,
        uri=f"labs/x/{kind}/{asset_id}.zarr",
        format="zarr",
        sha256="0" * 64,
        lab=lab or (session.lab if session else "labA"),
        session=session,
        parents=parents or {},
        visibility=visibility,
    )


@pytest.fixture
def two_labs(catalog):
    catalog.create_lab("alice", "labA")
    catalog.create_lab("bob", "labB")
    catalog.register_subject("alice", "labA", "m1", species="Mus musculus", sex="M", genotype="wt")
    catalog.register_subject("bob", "labB", "r1", species="Rattus norvegicus", sex="F")
    catalog.register_session("alice", A1, visibility="private", fps=30.0)
    catalog.register_session("alice", A2, visibility="shared")
    catalog.register_session("alice", A3, visibility="public")
    catalog.register_session("bob", B1)
    catalog.register_asset("alice", asset("a", A1))
    catalog.register_asset("alice", asset("b", A2))
    catalog.register_asset("alice", asset("c", A3))
    catalog.register_asset("alice", asset("d", None, kind="model", visibility="private"))
    catalog.add_user("eve")
    return catalog


def test_sessions_keep_their_metadata_and_time_zone(catalog):
    catalog.create_lab("alice", "labA")
    catalog.register_subject("alice", "labA", "m1", species="Mus musculus", age="P90D", date_of_birth="2026-01-02")
    start = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    catalog.register_session(
        "alice",
        A1,
        start_time=start,
        experimenter="Ada",
        protocol="resident-intruder",
        fps=29.97,
        px_per_mm=2.5,
        arena_width_mm=500,
        arena_height_mm=400,
        license="CC-BY-4.0",
        extra={"room": "B12"},
    )
    row = catalog.session("alice", A1)
    assert row["start_time"] == start
    assert row["start_time"].tzinfo is not None
    assert (row["fps"], row["px_per_mm"], row["arena_width_mm"], row["license"]) == (29.97, 2.5, 500, "CC-BY-4.0")
    assert row["extra"] == {"room": "B12"}
    assert row["age"] == "P90D"
    catalog.register_session("alice", A1, protocol="open-field")
    row = catalog.session("alice", A1)
    assert row["protocol"] == "open-field" and row["experimenter"] == "Ada"


def test_naive_start_time_is_refused(catalog):
    catalog.create_lab("alice", "labA")
    catalog.register_subject("alice", "labA", "m1")
    with pytest.raises(EtholakeError, match="no time zone"):
        catalog.register_session("alice", A1, start_time=datetime(2026, 1, 1, 10, 0))


def test_session_needs_an_existing_subject_and_lab(catalog):
    catalog.create_lab("alice", "labA")
    with pytest.raises(NotFoundError, match="no subject 'ghost'"):
        catalog.register_session("alice", SessionKey("labA", "ghost", "s1"))
    with pytest.raises(NotFoundError, match="no lab named 'labZ'"):
        catalog.register_subject("alice", "labZ", "m1")


@pytest.mark.parametrize("bad", ["../x", "/abs", "", "a/b", "a\x00b", "a b", "x" * 300])
def test_bad_names_are_refused_before_anything_is_written(catalog, bad):
    catalog.create_lab("alice", "labA")
    catalog.register_subject("alice", "labA", "m1")
    with pytest.raises(InvalidNameError):
        catalog.create_lab("alice", bad)
    with pytest.raises(InvalidNameError):
        catalog.register_subject("alice", "labA", bad)
    with pytest.raises(InvalidNameError):
        catalog.register_session("alice", SessionKey("labA", "m1", bad))
    assert list(catalog.labs("alice")["lab"]) == ["labA"]
    assert catalog.count_sessions() == 0


def test_visibility_rules_for_sessions(two_labs):
    catalog = two_labs
    alice = catalog.sessions("alice")
    assert set(zip(alice["lab"], alice["session"])) == {("labA", "private1"), ("labA", "shared1"), ("labA", "public1")}
    bob = catalog.sessions("bob")
    assert set(zip(bob["lab"], bob["session"])) == {("labA", "shared1"), ("labA", "public1"), ("labB", "private1")}
    anonymous = catalog.sessions(None)
    assert list(anonymous["session"]) == ["public1"]
    assert list(catalog.sessions("eve")["session"]) == ["public1", "shared1"]
    assert list(catalog.sessions("stranger-not-registered")["session"]) == ["public1"]
    with pytest.raises(NotFoundError):
        catalog.session("bob", A1)
    assert catalog.session("bob", A2)["visibility"] == "shared"
    with pytest.raises(NotFoundError):
        catalog.session(None, A2)


def test_visibility_rules_for_assets(two_labs):
    catalog = two_labs
    assert {a.id[0] for a in catalog.assets("alice")} == {"a", "b", "c", "d"}
    assert {a.id[0] for a in catalog.assets("bob")} == {"b", "c"}
    assert {a.id[0] for a in catalog.assets(None)} == {"c"}
    with pytest.raises(NotFoundError):
        catalog.asset("bob", "a" * 32)
    with pytest.raises(NotFoundError):
        catalog.asset("bob", "d" * 32)
    assert catalog.asset("bob", "b" * 32).session == A2
    with pytest.raises(NotFoundError):
        catalog.asset(None, "b" * 32)
    assert catalog.asset(None, "c" * 32).visibility == "public"


def test_writes_need_owner_or_member_role(two_labs):
    catalog = two_labs
    with pytest.raises(AccessDeniedError, match="may not write to lab 'labA'"):
        catalog.register_subject("bob", "labA", "intruder")
    with pytest.raises(AccessDeniedError):
        catalog.register_asset("bob", asset("e", A2))
    with pytest.raises(AccessDeniedError, match="only an owner"):
        catalog.add_member("bob", "labA", "bob", "owner")
    catalog.add_member("alice", "labA", "eve", "viewer")
    with pytest.raises(AccessDeniedError, match="role: viewer"):
        catalog.register_subject("eve", "labA", "m2")
    assert set(catalog.sessions("eve")["session"]) == {"private1", "shared1", "public1"}
    catalog.add_member("alice", "labA", "eve", "member")
    catalog.register_subject("eve", "labA", "m2")


def test_lineage_both_directions(catalog):
    catalog.create_lab("alice", "labA")
    catalog.register_subject("alice", "labA", "m1")
    catalog.register_session("alice", A1)
    catalog.register_asset("alice", asset("p", A1, kind="pose"))
    catalog.register_asset("alice", asset("f", A1, {"p" * 32: "pose"}, kind="features"))
    catalog.register_asset("alice", asset("m", None, kind="model"))
    catalog.register_asset("alice", asset("n", A1, {"f" * 32: "features", "m" * 32: "model"}, kind="annotations"))
    catalog.register_asset("alice", asset("s", A1, {"n" * 32: "annotations"}, kind="bouts"))
    up = catalog.lineage("alice", "s" * 32, "ancestors")
    assert dict(zip(up["id"].str[0], up["depth"])) == {"n": 1, "f": 2, "m": 2, "p": 3}
    down = catalog.lineage("alice", "p" * 32, "descendants")
    assert dict(zip(down["id"].str[0], down["depth"])) == {"f": 1, "n": 2, "s": 3}
    assert catalog.asset("alice", "n" * 32).parents == {"f" * 32: "features", "m" * 32: "model"}
    with pytest.raises(NotFoundError, match="parent asset"):
        catalog.register_asset("alice", asset("z", A1, {"0" * 32: "pose"}))


def test_a_lab_filter_naming_no_lab_is_an_error_not_an_empty_answer(two_labs):
    assert {a.session for a in two_labs.assets("alice", lab="labA")} == {A1, A2, A3, None}
    assert two_labs.find_sessions("bob", lab="labB")["session"].tolist() == ["private1"]
    for query in (two_labs.assets, two_labs.find_sessions, two_labs.find_units):
        with pytest.raises(NotFoundError, match="no lab named 'labC'"):
            query("alice", lab="labC")
    with pytest.raises(InvalidNameError):
        two_labs.assets("alice", lab="lab C")


@pytest.mark.parametrize(
    ("query", "options", "message"),
    [
        ("find_sessions", {"behavior": "attack", "source": "robot"}, "source must be one of model, human"),
        ("find_sessions", {"min_bouts": 2}, "min_bouts and min_time_s are thresholds on one behavior's bouts"),
        ("find_sessions", {"min_time_s": 1.0}, "min_bouts and min_time_s are thresholds on one behavior's bouts"),
        ("find_units", {"max_q": 5.0}, r"max_q is a q-value threshold in \(0, 1\], got 5.0"),
        ("find_units", {"max_q": 0.0}, r"max_q is a q-value threshold in \(0, 1\], got 0.0"),
        ("models", {"stage": "live"}, "stage must be one of candidate, production, archived, got 'live'"),
    ],
)
def test_a_filter_that_cannot_match_anything_is_an_error_not_an_empty_answer(two_labs, query, options, message):
    with pytest.raises(OptionError, match=message):
        getattr(two_labs, query)("alice", **options)


def test_a_unit_region_or_behavior_nobody_recorded_is_an_error_listing_the_visible_ones(two_labs):
    import pandas as pd

    from etholake.catalog import UnitSummaryRows

    rows = pd.DataFrame(
        {
            "unit": ["0", "1"],
            "region": ["VMHvl", "VMHdm"],
            "behavior": ["attack", "attack"],
            "q_value": [0.01, 0.5],
            "method": "circular-shift permutation, BH FDR",
        }
    )
    two_labs.replace_unit_summaries("alice", UnitSummaryRows("a" * 32, rows))
    assert two_labs.find_units("alice", region="VMHvl")["unit"].tolist() == ["0"]
    assert two_labs.find_units("alice", region="VMHdm", max_q=0.05).empty
    with pytest.raises(OptionError, match="no unit you can see has region 'VMH'; the regions there are: VMHdm, VMHvl"):
        two_labs.find_units("alice", region="VMH")
    with pytest.raises(OptionError, match=r"has behavior 'atack'; the behaviors there are: attack$"):
        two_labs.find_units("alice", behavior="atack")
    with pytest.raises(
        OptionError, match=r"the regions there are: none \(no unit .* yet: `etholake align` computes them\)$"
    ):
        two_labs.find_units("bob", region="VMHvl")


def test_a_behavior_nobody_scored_is_an_error_listing_the_visible_ones(two_labs):
    import pandas as pd

    from etholake.catalog import BehaviorSummaryRows

    rows = pd.DataFrame(
        {
            "behavior": ["aggression", "freezing"],
            "bout_count": [3, 0],
            "total_duration_s": [4.5, 0.0],
            "percent_of_session": [1.0, 0.0],
            "session_duration_s": [450.0, 450.0],
        }
    )
    two_labs.replace_behavior_summaries("alice", BehaviorSummaryRows("a" * 32, rows, "human", "ada:S1"))
    assert two_labs.find_sessions("alice", behavior="aggression", source="human")["session"].tolist() == ["private1"]
    assert two_labs.find_sessions("alice", behavior="freezing", source="human").empty
    with pytest.raises(OptionError, match=r"no label set you can see has behavior 'attack'; .*: aggression, freezing$"):
        two_labs.find_sessions("alice", behavior="attack", source="human")
    with pytest.raises(
        OptionError, match=r"no model annotation you can see has behavior 'aggression'; .*: none \(no session"
    ):
        two_labs.find_sessions("alice", behavior="aggression")
    with pytest.raises(
        OptionError, match=r"the behaviors there are: none \(no label set you can see is in the catalog"
    ):
        two_labs.find_sessions("eve", behavior="aggression", source="human")


def test_assets_are_listed_newest_first_and_filtered(catalog):
    catalog.create_lab("alice", "labA")
    catalog.register_subject("alice", "labA", "m1")
    catalog.register_session("alice", A1)
    first = catalog.register_asset("alice", asset("1", A1, kind="pose"))
    second = catalog.register_asset("alice", asset("2", A1, kind="pose"))
    catalog.register_asset("alice", asset("3", A1, kind="labels"))
    assert [a.id for a in catalog.assets("alice", kind="pose", session=A1)] == [second.id, first.id]
    assert first.created_at.tzinfo is not None and first.created_at <= datetime.now(UTC)
    assert catalog.lake_uris() == {"labs/x/pose/1.zarr", "labs/x/pose/2.zarr", "labs/x/labels/3.zarr"}


def test_owners_change_roles_and_a_lab_keeps_an_owner(two_labs):
    catalog = two_labs
    catalog.add_member("alice", "labA", "eve", "viewer")
    catalog.add_member("alice", "labA", "carol", "member")
    listed = catalog.members("eve", "labA").values.tolist()
    assert listed == [["alice", "owner"], ["carol", "member"], ["eve", "viewer"]]
    with pytest.raises(AccessDeniedError, match="only users with a role in lab 'labA' may list its members"):
        catalog.members("bob", "labA")
    with pytest.raises(AccessDeniedError, match="only an owner of lab 'labA' may change its roles"):
        catalog.remove_member("carol", "labA", "eve")
    with pytest.raises(OptionError, match="alice is the only owner of lab 'labA': make another user an owner first"):
        catalog.remove_member("alice", "labA", "alice")
    with pytest.raises(OptionError, match="alice is the only owner"):
        catalog.add_member("alice", "labA", "alice", "member")
    with pytest.raises(OptionError, match="role 'admin' must be one of owner, member, viewer"):
        catalog.add_member("alice", "labA", "eve", "admin")
    assert catalog.remove_member("alice", "labA", "eve") == "viewer"
    with pytest.raises(NotFoundError, match="user 'eve' has no role in lab 'labA'"):
        catalog.remove_member("alice", "labA", "eve")
    assert set(catalog.sessions("eve")["session"]) == {"shared1", "public1"}
    catalog.add_member("alice", "labA", "carol", "owner")
    catalog.remove_member("carol", "labA", "alice")
    assert catalog.labs("alice").set_index("lab")["role"].isna().to_dict() == {"labA": True, "labB": True}
    assert catalog.members("carol", "labA").values.tolist() == [["carol", "owner"]]


def test_registrations_report_what_they_created(catalog):
    assert catalog.create_lab("alice", "labA") is True
    assert catalog.create_lab("alice", "labA") is False
    assert catalog.register_subject("alice", "labA", "m1") is True
    assert catalog.register_subject("alice", "labA", "m1", sex="F") is False
    assert catalog.register_session("alice", A1) is True
    assert catalog.register_session("alice", A1, fps=30.0) is False


def test_registrations_can_leave_existing_rows_as_they_are(catalog):
    catalog.create_lab("alice", "labA")
    catalog.register_subject("alice", "labA", "m1", strain="C57BL/6J")
    catalog.register_session("alice", A1, fps=30.0, experimenter="ann")
    assert catalog.register_subject("alice", "labA", "m1", update_existing=False, strain="BALB/c") is False
    assert catalog.register_session("alice", A1, update_existing=False, fps=25.0, experimenter="bob") is False
    assert catalog.register_session("alice", A2, update_existing=False, fps=25.0) is True
    session = catalog.session("alice", A1)
    assert (session["fps"], session["experimenter"]) == (30.0, "ann")
    assert catalog.session("alice", A2)["fps"] == 25.0
    with catalog.transaction() as db:
        assert db.scalar(select(Subject.strain).where(Subject.name == "m1")) == "C57BL/6J"


def test_remove_empty_takes_back_only_what_holds_nothing(two_labs):
    catalog = two_labs
    catalog.register_subject("alice", "labA", "m2")
    empty = SessionKey("labA", "m2", "failed1")
    catalog.register_session("alice", empty)
    catalog.remove_empty("alice", "labA", sessions=[A1, empty], subjects=["m1", "m2"], lab_too=True)
    assert sorted(catalog.sessions("alice", lab="labA")["session"]) == ["private1", "public1", "shared1"]
    assert list(catalog.labs("alice")["lab"]) == ["labA", "labB"]
    with pytest.raises(NotFoundError):
        catalog.register_session("alice", SessionKey("labA", "m2", "again"))
    with pytest.raises(AccessDeniedError):
        catalog.remove_empty("eve", "labA", sessions=[A1])


def test_remove_empty_takes_back_a_new_lab_that_holds_nothing(catalog):
    catalog.create_lab("alice", "labN")
    catalog.register_subject("alice", "labN", "n1")
    catalog.register_session("alice", SessionKey("labN", "n1", "s1"))
    catalog.remove_empty("alice", "labN", sessions=[SessionKey("labN", "n1", "s1")], subjects=["n1"], lab_too=True)
    assert catalog.count_sessions() == 0
    assert catalog.labs("alice").empty
    assert catalog.create_lab("bob", "labN") is True


def test_a_model_name_belongs_to_one_lab_so_no_lab_can_archive_anothers_production_model(two_labs):
    from etholake.catalog.model_registry import NewModel

    catalog = two_labs
    catalog.register_asset("bob", asset("e", None, kind="model", lab="labB"))
    catalog.register_asset("bob", asset("f", None, kind="model", lab="labB"))
    assert catalog.register_model("alice", NewModel("social", "labA", "d" * 32, ["sniff"], "0" * 64)) == 1
    catalog.set_model_stage("alice", "social", 1, "production")
    with pytest.raises(AccessDeniedError, match="model name 'social' is taken by a lab bob may not write to"):
        catalog.register_model("bob", NewModel("social", "labB", "e" * 32, ["sniff"], "0" * 64))
    assert catalog.register_model("bob", NewModel("bobs_social", "labB", "f" * 32, ["sniff"], "0" * 64)) == 1
    catalog.set_model_stage("bob", "bobs_social", 1, "production")
    assert catalog.model("alice", "social")["version"] == 1


def test_a_model_name_of_another_lab_is_refused_before_training(two_labs):
    from etholake.catalog.model_registry import NewModel

    catalog = two_labs
    catalog.register_model("alice", NewModel("social", "labA", "d" * 32, ["sniff"], "0" * 64))
    catalog.require_model_name("alice", "social", "labA")
    with pytest.raises(AccessDeniedError, match="taken by a lab bob may not write to"):
        catalog.require_model_name("bob", "social", "labB")
    catalog.add_member("bob", "labB", "alice", "member")
    with pytest.raises(OptionError, match="model name 'social' belongs to lab 'labA': register it there"):
        catalog.require_model_name("alice", "social", "labB")


def test_asking_for_the_assets_of_a_private_session_says_what_a_missing_session_says(two_labs):
    catalog = two_labs
    missing = SessionKey("labA", "m1", "nope")
    with pytest.raises(NotFoundError) as private_error:
        catalog.assets("bob", session=A1)
    with pytest.raises(NotFoundError) as missing_error:
        catalog.assets("bob", session=missing)
    assert str(private_error.value) == f"no session {A1} visible to bob"
    assert str(missing_error.value) == f"no session {missing} visible to bob"
    assert {a.id[0] for a in catalog.assets("alice", session=A1)} == {"a"}


def test_human_label_queries_read_only_the_newest_version_of_a_label_set(two_labs):
    import pandas as pd

    from etholake.catalog import BehaviorSummaryRows

    def summary(behaviors, bouts):
        return pd.DataFrame(
            {
                "behavior": behaviors,
                "bout_count": bouts,
                "total_duration_s": [1.5 * n for n in bouts],
                "percent_of_session": [0.1 * n for n in bouts],
                "session_duration_s": [450.0] * len(bouts),
            }
        )

    two_labs.replace_behavior_summaries(
        "alice", BehaviorSummaryRows("a" * 32, summary(["chase", "sniff"], [1, 4]), "human", "ada:S1")
    )
    two_labs.register_asset("alice", asset("g", A1, kind="labels", parents={"a" * 32: "previous_version"}))
    two_labs.replace_behavior_summaries(
        "alice", BehaviorSummaryRows("g" * 32, summary(["sniff"], [2]), "human", "ada:S1")
    )
    sniff = two_labs.find_sessions("alice", behavior="sniff", source="human")
    assert sniff["bout_count"].tolist() == [2]
    with pytest.raises(OptionError, match=r"no label set you can see has behavior 'chase'; .*: sniff$"):
        two_labs.find_sessions("alice", behavior="chase", source="human")


def test_lineage_lists_an_asset_reached_by_two_roles_once(catalog):
    catalog.create_lab("alice", "labA")
    catalog.register_subject("alice", "labA", "m1")
    catalog.register_session("alice", A1)
    catalog.register_asset("alice", asset("p", A1, kind="pose"))
    catalog.register_asset("alice", asset("q", A1, {"p" * 32: "previous_version"}, kind="pose"))
    catalog.register_asset("alice", asset("f", A1, {"p" * 32: "pose", "q" * 32: "pose"}, kind="features"))
    up = catalog.lineage("alice", "f" * 32)
    assert up["id"].str[0].tolist() == ["p", "q"]
    assert up.set_index(up["id"].str[0])["role"].to_dict() == {"p": "pose, previous_version", "q": "pose"}
    assert up["depth"].tolist() == [1, 1]


def test_a_unit_query_corrects_for_every_test_it_spans_not_per_session(two_labs):
    import pandas as pd

    from etholake.catalog import UnitSummaryRows

    catalog = two_labs
    catalog.register_asset("alice", asset("h", A2, kind="modulation"))
    for letter, p_values in (("a", [0.01, 0.5, 0.6, 0.7]), ("h", [0.04, 0.8, 0.9, 0.95])):
        rows = pd.DataFrame(
            {
                "unit": ["0", "1", "2", "3"],
                "region": "VMHvl",
                "behavior": "attack",
                "p_value": p_values,
                "q_value": [min(1.0, p * 4) for p in p_values],
                "method": "circular shift",
            }
        )
        catalog.replace_unit_summaries("alice", UnitSummaryRows(letter * 32, rows))
    units = catalog.find_units("alice", behavior="attack")
    assert units["query_q_value"].round(6).tolist() == [0.08, 0.16] + [0.95] * 6
    assert units["q_value"].tolist()[:2] == [0.04, 0.16]
    assert catalog.find_units("alice", behavior="attack", max_q=0.1)[["session", "unit"]].values.tolist() == [
        ["private1", "0"]
    ]
