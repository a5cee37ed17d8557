"""The session fields a manifest changes are described against the stored record, and only those."""

from datetime import UTC, datetime

from etholake.ingest.field_changes import field_changes

STORED = {"fps": 30.0, "experimenter": "ann", "start_time": datetime(2024, 3, 1, 9, tzinfo=UTC), "protocol": None}


def test_unchanged_and_not_given_fields_are_not_changes():
    given = {"fps": 30, "experimenter": "ann", "start_time": "2024-03-01T10:00:00+01:00", "protocol": None}
    assert field_changes(STORED, given) == []


def test_each_change_shows_the_stored_and_the_new_value():
    given = {"fps": 29.97, "start_time": "2024-03-01T09:00:00+02:00", "protocol": "resident-intruder"}
    assert field_changes(STORED, given) == [
        "fps 30 -> 29.97",
        "start_time 2024-03-01T09:00:00+00:00 -> 2024-03-01T09:00:00+02:00",
        "protocol (none) -> resident-intruder",
    ]
