"""Tables printed on the command line as CSV and JSON keep every value as it is."""

import json

import numpy as np
import pandas as pd

from etholake.tables import OutputFormat, print_frame


def test_json_rows_keep_full_precision_text_and_missing_values(capsys):
    frame = pd.DataFrame(
        {
            "session": ["labA/m1/s1", "labA/m1/s2"],
            "p_value": [0.004975124378109453, np.nan],
            "unit": np.array([3, 4], dtype=np.int64),
            "region": ["VMHvl", None],
            "note": ["rate in µHz", "ok"],
            "start_time": pd.to_datetime(["2025-01-06 09:30:00+00:00", None]),
        }
    )
    print_frame(frame, OutputFormat.json)
    printed = capsys.readouterr().out
    assert "labA/m1/s1" in printed and "µHz" in printed
    rows = json.loads(printed)
    assert rows[0] == {
        "session": "labA/m1/s1",
        "p_value": 0.004975124378109453,
        "unit": 3,
        "region": "VMHvl",
        "note": "rate in µHz",
        "start_time": "2025-01-06T09:30:00+00:00",
    }
    assert rows[1]["p_value"] is None and rows[1]["region"] is None and rows[1]["start_time"] is None
