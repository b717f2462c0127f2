"""Every S3 reader in the kernel follows the chosen identity: the export_env opt-in (AWS_* for
subprocesses, s3fs, polars, pyarrow), s3fs's cached filesystems, and the explicit per-call
options. Against moto with IAM enforcement on: each customer role can read only its own
bucket, so a read that succeeds was made as the right identity.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

import botocore.credentials
import pandas as pd
import pytest

import aws_cred_magic

from .b2b import ok, run, shell_with_extension, usage_error

WHO = (
    "import boto3; print(boto3.client('sts', region_name='us-east-1').get_caller_identity()['Arn'])"
)

# A 0.5 s timeout, one attempt: botocore alone waits 60 s and retries. The margin is for a
# loaded machine (the suite shares two cores), not for the code.
BOUND = 8.0


@pytest.fixture
def ip(aws):
    yield from shell_with_extension()


def assume(ip, b2b, short: str, var: str = "session", extra: str = "") -> str:
    return ok(
        ip,
        f"%aws_assume {b2b.roles[short]} --external-id {b2b.external_ids[short]} "
        f"--profile default --var {var} {extra}",
    )


@pytest.fixture
def csvs(b2b):
    """One CSV in each customer's bucket, written as that customer's role."""
    for short in ("a", "b"):
        session = aws_cred_magic.assume_role(
            b2b.roles[short], external_id=b2b.external_ids[short], profile="default"
        )
        body = f"customer,revenue\n{short},{10 if short == 'a' else 20}\n".encode()
        session.client("s3").put_object(Bucket=b2b.buckets[short], Key="sales.csv", Body=body)
    return {short: f"s3://{b2b.buckets[short]}/sales.csv" for short in ("a", "b")}


def subprocess_arn() -> str:
    result = subprocess.run(
        [sys.executable, "-c", WHO], capture_output=True, text=True, timeout=60, env=os.environ
    )
    return (result.stdout + result.stderr).strip().splitlines()[-1]


def test_export_follows_switches_and_is_restored(ip, b2b, aws):
    aws.setenv("AWS_PROFILE", "default")  # what the user had before: comes back at the end
    out = ok(ip, "%config AwsCredMagics.export_env = True")
    assert "export on" in out
    out = assume(ip, b2b, "a")
    assert os.environ["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    assert "AWS_PROFILE" not in os.environ  # it would not matter (keys win), but is clear
    # The AWS CLI's form; strptime, as fromisoformat reads a trailing Z only from Python 3.11.
    expiry = dt.datetime.strptime(
        os.environ["AWS_CREDENTIAL_EXPIRATION"], "%Y-%m-%dT%H:%M:%SZ"
    ).replace(tzinfo=dt.timezone.utc)
    assert expiry > dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=50)
    assert f"assumed-role/customer-a-{b2b.suffix}/" in subprocess_arn()
    # `!cmd` in the notebook: the same environment.
    ok(ip, f'who = !{sys.executable} -c "{WHO}"')
    assert f"assumed-role/customer-a-{b2b.suffix}/" in ip.user_ns["who"][-1]
    secret = os.environ["AWS_SECRET_ACCESS_KEY"]
    assume(ip, b2b, "b")
    assert os.environ["AWS_SECRET_ACCESS_KEY"] != secret
    assert f"assumed-role/customer-b-{b2b.suffix}/" in subprocess_arn()
    # A profile session exports AWS_PROFILE and no keys: other libraries resolve the profile.
    out = ok(ip, "%aws_use default --region eu-west-1")
    assert os.environ["AWS_PROFILE"] == "default" and os.environ["AWS_REGION"] == "eu-west-1"
    assert not {"AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION"} & set(
        os.environ
    )
    assert subprocess_arn().endswith(f":user/service-{b2b.suffix}")
    ok(ip, "%unload_ext aws_cred_magic")
    assert os.environ["AWS_PROFILE"] == "default"
    assert not {"AWS_ACCESS_KEY_ID", "AWS_REGION", "AWS_CREDENTIAL_EXPIRATION"} & set(os.environ)


def test_env_flag_sticks_and_off_restores(ip, b2b):
    out = ok(ip, "%aws_use default --env")
    assert "exported session (AWS_PROFILE=default)" in out
    assume(ip, b2b, "a")  # no --env: the opt-in stuck
    assert os.environ["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    out = ok(ip, "%config AwsCredMagics.export_env = False")
    assert "export off: restored" in out
    assert not {"AWS_ACCESS_KEY_ID", "AWS_PROFILE"} & set(os.environ)
    assume(ip, b2b, "b")
    assert "AWS_ACCESS_KEY_ID" not in os.environ


def test_dropping_the_exported_session_removes_its_keys(ip, b2b):
    assume(ip, b2b, "a", extra="--env")
    assert "AWS_SECRET_ACCESS_KEY" in os.environ
    ok(ip, "%aws_sessions --drop session")
    assert "AWS_SECRET_ACCESS_KEY" not in os.environ


def test_exported_keys_are_refreshed_before_a_cell(ip, b2b, monkeypatch):
    assume(ip, b2b, "a", extra="--env --duration 1h")
    first = os.environ["AWS_ACCESS_KEY_ID"]
    first_expiry = os.environ["AWS_CREDENTIAL_EXPIRATION"]
    ok(ip, "x = 1")
    assert os.environ["AWS_ACCESS_KEY_ID"] == first  # nothing due: nothing re-exported
    credentials = ip.user_ns["session"].get_credentials()
    later = botocore.credentials._local_now() + dt.timedelta(minutes=50)
    monkeypatch.setattr(botocore.credentials, "_local_now", lambda: later)
    monkeypatch.setattr(credentials, "_time_fetcher", lambda: later)
    ok(ip, "x = 2")  # the pre_run_cell hook refreshes, without any user action
    assert os.environ["AWS_ACCESS_KEY_ID"] != first
    assert os.environ["AWS_CREDENTIAL_EXPIRATION"] >= first_expiry  # moto: real clock + 1 h


def test_pandas_s3fs_follows_a_switch_despite_its_cache(ip, b2b, csvs):
    import s3fs

    assume(ip, b2b, "a", extra="--env")
    assert pd.read_csv(csvs["a"]).revenue.tolist() == [10]
    assert s3fs.S3FileSystem._cache  # s3fs now holds a filesystem with customer a's keys
    assume(ip, b2b, "b")
    assert not s3fs.S3FileSystem._cache
    assert pd.read_csv(csvs["b"]).revenue.tolist() == [20]
    with pytest.raises(PermissionError):
        pd.read_csv(csvs["a"])  # really customer b now


def test_pandas_explicit_options_side_by_side(ip, b2b, csvs):
    assume(ip, b2b, "a", var="s_a")
    assume(ip, b2b, "b", var="s_b")
    opts_a = aws_cred_magic.storage_options(ip.user_ns["s_a"])
    opts_b = aws_cred_magic.storage_options(ip.user_ns["s_b"])
    frame = pd.read_csv(csvs["a"], storage_options=opts_a)
    frame.to_csv(f"s3://{b2b.buckets['b']}/from-a.csv", index=False, storage_options=opts_b)
    assert pd.read_csv(f"s3://{b2b.buckets['b']}/from-a.csv", storage_options=opts_b).equals(frame)
    with pytest.raises(PermissionError):
        pd.read_csv(csvs["b"], storage_options=opts_a)
    assert opts_a["secret"] not in repr(opts_a) and opts_a["token"] not in repr(opts_a)


def test_polars_with_and_without_options(ip, b2b, csvs):
    pl = pytest.importorskip("polars")
    assume(ip, b2b, "a", var="s_a")
    opts = aws_cred_magic.storage_options(ip.user_ns["s_a"], reader="polars")
    assert opts["aws_secret_access_key"] not in repr(opts)
    assert "aws_session_token" in opts and opts["aws_session_token"] not in repr(opts)
    assert pl.read_csv(csvs["a"], storage_options=opts)["revenue"].to_list() == [10]
    with pytest.raises(Exception, match="(?i)forbidden|denied|403"):
        pl.read_csv(csvs["b"], storage_options=opts)
    # No options: polars resolves the exported identity itself.
    assume(ip, b2b, "b", extra="--env")
    assert pl.read_csv(csvs["b"])["revenue"].to_list() == [20]
    assume(ip, b2b, "a")
    assert pl.read_csv(csvs["a"])["revenue"].to_list() == [10]


def test_pyarrow_with_and_without_a_filesystem(ip, b2b, csvs):
    pafs = pytest.importorskip("pyarrow.fs")
    from pyarrow import csv

    assume(ip, b2b, "b", var="s_b")
    fs = aws_cred_magic.pyarrow_filesystem(ip.user_ns["s_b"])
    assert "ASIA" not in repr(fs)
    with fs.open_input_stream(f"{b2b.buckets['b']}/sales.csv") as stream:
        assert csv.read_csv(stream).column("revenue").to_pylist() == [20]
    with pytest.raises(OSError, match="(?i)denied|403"):
        fs.open_input_stream(f"{b2b.buckets['a']}/sales.csv").read()
    assume(ip, b2b, "a", extra="--env")
    env_fs, path = pafs.FileSystem.from_uri(csvs["a"])
    with env_fs.open_input_stream(path) as stream:
        assert csv.read_csv(stream).column("revenue").to_pylist() == [10]


def test_expired_keys_fail_with_one_clear_line(ip, aws, monkeypatch):
    from .conftest import write_expired_process_profile

    write_expired_process_profile(aws, "proc")
    ok(ip, "%aws_use proc")
    with pytest.raises(aws_cred_magic.AwsCredError) as caught:
        aws_cred_magic.storage_options(ip.user_ns["session"], reader="polars")
    message = str(caught.value)
    assert "\n" not in message and "expired" in message.lower()
    assert "usageerror" not in message.lower()
    assert "expired" in usage_error(ip, "%aws_env").lower()


def test_env_and_options_are_bounded_when_sts_hangs(ip, aws, hanging_server, b2b):
    aws.write_config(
        f"""
        [default]
        region = us-east-1

        [profile role]
        role_arn = {b2b.roles["hop1"]}
        source_profile = default
        region = us-east-1
        """
    )
    aws.setenv("AWS_ENDPOINT_URL_STS", hanging_server.url)
    ok(ip, "%config AwsCredMagics.timeout = 0.5")
    ok(ip, "%aws_use role")  # deferred: STS is not called yet
    started = time.monotonic()
    message = usage_error(ip, "%aws_env")
    assert time.monotonic() - started < BOUND
    assert "ReadTimeoutError" in message or "ConnectTimeoutError" in message, message
    started = time.monotonic()
    with pytest.raises(aws_cred_magic.AwsCredError):
        aws_cred_magic.storage_options(ip.user_ns["session"])
    assert time.monotonic() - started < BOUND
    assert "AWS_ACCESS_KEY_ID" not in os.environ


def test_loading_imports_no_optional_reader():
    code = (
        "import sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "ip = InteractiveShell.instance()\n"
        "ip.run_line_magic('load_ext', 'aws_cred_magic')\n"
        "print(sorted(m for m in ('s3fs', 'polars', 'pyarrow', 'awswrangler', 'fsspec')"
        " if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stderr


def test_no_secret_in_what_the_user_sees(ip, b2b, csvs):
    outputs = [assume(ip, b2b, "a", var="s_a", extra="--session-name analyst")]
    outputs.append(ok(ip, "%aws_env --var s_a"))
    secret = os.environ["AWS_SECRET_ACCESS_KEY"]
    token = os.environ["AWS_SESSION_TOKEN"]
    for code in (
        "s_a",
        "aws_cred_magic.storage_options(s_a)",
        "aws_cred_magic.storage_options(s_a, reader='polars')",
        "%aws_sessions",
        "%aws_whoami --sessions",
        "%aws_whoami --var s_a",
    ):
        result, captured = run(ip, f"import aws_cred_magic\n{code}")
        data = ip.display_formatter.format(result.result)[0] if result.result is not None else {}
        outputs += [captured.stdout, captured.stderr, *map(str, data.values())]
    text = "\n".join(outputs)
    assert len(text) > 500
    for value in (secret, token, b2b.secret, os.environ["AWS_ACCESS_KEY_ID"]):
        assert value not in text
    history = "\n".join(source for _, _, source in ip.history_manager.get_range())
    assert secret not in history and token not in history
