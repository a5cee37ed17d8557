"""Which sessions the batch commands work on: those of labs the user may write to."""

from etholake.catalog import NewAsset, SessionKey
from etholake.jobs.context import JobContext
from etholake.jobs.selection import select_sessions, sessions_to_align, sessions_with_asset

OWN = SessionKey("ashby", "m1", "s1")
SHARED = SessionKey("bauer", "r1", "s1")


def pose_asset(letter: str, session: SessionKey, kind: str = "pose") -> NewAsset:
    return NewAsset(
        id=letter * 32,
        kind=kind,
        uri=f"labs/{session.lab}/{kind}/{letter}.zarr",
        format="zarr",
        sha256="0" * 64,
        lab=session.lab,
        session=session,
    )


def test_batch_commands_select_the_sessions_of_labs_the_user_may_write_to(catalog, catalog_url, tmp_path):
    catalog.create_lab("alice", "ashby")
    catalog.create_lab("bob", "bauer")
    for user, key in (("alice", OWN), ("bob", SHARED)):
        catalog.register_subject(user, key.lab, key.subject)
        catalog.register_session(user, key, visibility="shared")
    for user, key, letters in (("alice", OWN, "abc"), ("bob", SHARED, "def")):
        for letter, kind in zip(letters, ("pose", "units", "bouts"), strict=True):
            catalog.register_asset(user, pose_asset(letter, key, kind))
    context = JobContext(str(tmp_path / "lake"), catalog_url, "alice")

    selection = select_sessions(context, "pose")
    assert (selection.keys, selection.read_only) == ([OWN], [SHARED])
    assert sessions_with_asset(context, "pose") == [OWN]
    assert sessions_to_align(context) == [OWN]
    assert select_sessions(context, "pose", lab="bauer").keys == []


def test_reprocess_sees_as_stale_only_the_sessions_of_labs_the_user_may_write_to(catalog, catalog_url, tmp_path):
    from etholake.catalog.model_registry import NewModel
    from etholake.jobs.status import session_states

    catalog.create_lab("alice", "ashby")
    catalog.create_lab("bob", "bauer")
    for user, key, letter in (("alice", OWN, "a"), ("bob", SHARED, "d")):
        catalog.register_subject(user, key.lab, key.subject)
        catalog.register_session(user, key, visibility="shared")
        catalog.register_asset(user, pose_asset(letter, key))
    model_asset = NewAsset(
        id="m" * 32, kind="model", uri="labs/ashby/m.skops", format="skops", sha256="0" * 64, lab="ashby"
    )
    catalog.register_asset("alice", model_asset)
    catalog.register_model("alice", NewModel("social", "ashby", "m" * 32, ["sniff"], "0" * 64))
    catalog.set_model_stage("alice", "social", 1, "production")
    context = JobContext(str(tmp_path / "lake"), catalog_url, "alice")

    assert [state.session for state in session_states(context)] == [OWN, SHARED]
    assert [state.session for state in session_states(context, writable_only=True)] == [OWN]
