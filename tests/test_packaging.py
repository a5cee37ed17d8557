"""The wheel ships the JSON Schemas and the Prefect flows, ``platform`` stays stdlib, the CLI starts light."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_platform_is_still_the_standard_library():
    completed = subprocess.run(
        [sys.executable, "-c", "import platform, etholake; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert completed.stdout.strip() == ".".join(map(str, sys.version_info[:3]))
    assert not (ROOT / "platform" / "__init__.py").exists()


def test_the_command_line_loads_no_array_plotting_or_workflow_library_before_a_command_runs():
    heavy = ["xarray", "zarr", "dask", "distributed", "prefect", "scipy", "matplotlib", "sklearn", "h5py", "pynwb"]
    completed = subprocess.run(
        [sys.executable, "-c", f"import sys, etholake.cli; print([m for m in {heavy!r} if m in sys.modules])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert completed.stdout.strip() == "[]"


@pytest.mark.slow
def test_wheel_contains_schemas_and_flows(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", tmp_path, ROOT],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("etholake-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for schema in (ROOT / "schemas").glob("*.json"):
        assert f"etholake/schemas/{schema.name}" in names
    for flow in (ROOT / "flows").glob("*.py"):
        assert f"etholake/flows/{flow.name}" in names
    assert "etholake/catalog/migrations/versions/0001_initial.py" in names
    assert not any(name.startswith("platform/") for name in names)
