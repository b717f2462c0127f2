"""Feature checks for older boto3/botocore (``aws_cred_magic.compat``).

The floor job of ``scripts/test`` runs the parity suite on the declared minimum versions;
these tests take a hook away from the installed botocore to check the fallback itself: a
dry stand-in whose private hook is gone must not quietly run botocore's real load.
"""

from __future__ import annotations

import botocore.credentials as bc
import pytest

import aws_cred_magic
from aws_cred_magic import compat


def row(df, method: str):
    rows = df[df["method"] == method]
    assert len(rows) == 1, df
    return rows.iloc[0]


def test_the_installed_botocore_has_every_hook(aws):
    import botocore.session

    session = botocore.session.Session()
    for provider in session.get_component("credential_provider").providers:
        assert compat.missing_hooks(provider) == [], type(provider).__name__
    assert compat.missing_builder_hooks() == ()


def test_missing_container_hook_is_reported_and_nothing_is_contacted(
    aws, container_server, monkeypatch
):
    aws.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", container_server.url + "/creds")
    monkeypatch.delattr(bc.ContainerProvider, "_retrieve_or_fail")
    df = aws_cred_magic.resolution_table()
    container = row(df, "container-role")
    assert container["status"] == "unknown"
    assert "has no ContainerProvider._retrieve_or_fail" in container["detail"]
    assert "probe=True" in container["detail"]
    assert container_server.requests == []
    assert not df["winner"].any()


def test_missing_process_hook_never_runs_the_process(aws, tmp_path, monkeypatch):
    marker = tmp_path / "ran"
    script = aws.file("touch.py", f"open({str(marker)!r}, 'w').close()\n")
    import sys

    aws.write_config(f"[default]\ncredential_process = {sys.executable} {script}\n")
    monkeypatch.delattr(bc.ProcessProvider, "_retrieve_credentials_using")
    df = aws_cred_magic.resolution_table()
    process = row(df, "custom-process")
    assert process["status"] == "unknown"
    assert "ProcessProvider._retrieve_credentials_using" in process["detail"]
    assert not marker.exists()


def test_account_id_on_a_boto3_without_it_is_one_clear_error(aws, monkeypatch):
    monkeypatch.setattr(compat, "session_takes_account_id", lambda: False)
    df = aws_cred_magic.resolution_table(
        aws_access_key_id="AKIATESTCANARY000001",
        aws_secret_access_key="x" * 40,
        aws_account_id="123456789012",
    )
    first = df.iloc[0]
    assert first["status"] == "error"
    assert "aws_account_id needs boto3 1.37 or newer" in first["detail"]


@pytest.mark.skipif(not compat.session_takes_account_id(), reason="boto3 < 1.37")
def test_account_id_reaches_boto3_where_it_is_known(aws):
    session = aws_cred_magic.resolve.build_boto3_session(
        aws_access_key_id="AKIATESTCANARY000001",
        aws_secret_access_key="x" * 40,
        aws_account_id="123456789012",
    )
    assert session.get_credentials().account_id == "123456789012"


def test_floor_pins_are_the_declared_minimums():
    """scripts/floors.py (what the floor job installs) pins every dependency of
    pyproject.toml at its minimum, with botocore at boto3's and numpy 1 for pandas < 2.2.2."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("floors", root / "scripts" / "floors.py")
    floors = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(floors)
    pins = floors.floors(root / "pyproject.toml")
    names = {pin.split("=")[0].split("<")[0] for pin in pins}
    assert {"ipython", "ipywidgets", "boto3", "botocore", "pandas", "numpy"} <= names
    boto3_pin = next(p for p in pins if p.startswith("boto3=="))
    assert boto3_pin.replace("boto3", "botocore") in pins
    assert "numpy<2" in pins


def test_the_python_range_is_requires_python_to_the_newest_classifier(tmp_path):
    """scripts/floors.py --pythons (the floor and newest jobs' interpreters): requires-python's
    minimum and the newest classifier; a classifier list with a gap or that starts elsewhere
    stops the run instead of leaving a declared version untested."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("floors", root / "scripts" / "floors.py")
    floors = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(floors)

    def pyproject(requires: str, minors: list[int]) -> Path:
        lines = ", ".join(f'"Programming Language :: Python :: 3.{m}"' for m in minors)
        path = tmp_path / f"{requires}-{minors}.toml"
        path.write_text(
            f'[project]\nrequires-python = "{requires}"\n'
            f'classifiers = ["Programming Language :: Python :: 3", {lines}]\n'
        )
        return path

    assert floors.pythons(pyproject(">=3.9", [9, 10, 11])) == ("3.9", "3.11")
    for requires, minors in [(">=3.10", [10, 12]), (">=3.10", [11, 12]), (">=3.10", [])]:
        with pytest.raises(SystemExit, match="without a gap"):
            floors.pythons(pyproject(requires, minors))
    with pytest.raises(SystemExit, match="no plain '>=3.X'"):
        floors.pythons(pyproject("~=3.10", [10]))
    floor, newest = floors.pythons(root / "pyproject.toml")  # the real one has no gap
    assert int(floor.split(".")[1]) <= int(newest.split(".")[1])
