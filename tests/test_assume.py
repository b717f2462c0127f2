"""%aws_assume and assume_role(): roles assumed ad hoc against moto with IAM enforcement on.

The trust policies require an external ID, each customer role reaches only its own bucket,
and the service user may do nothing but sts:AssumeRole, so "it worked" means the right
identity was used.
"""

from __future__ import annotations

import datetime as dt
import re
import time

import boto3
import botocore.credentials
import pytest
from botocore.exceptions import ClientError

import aws_cred_magic
from aws_cred_magic.assume import role_request
from aws_cred_magic.errors import AwsCredError

from .b2b import ok, shell_with_extension, usage_error

GOOD_ARN = "arn:aws:iam::123456789012:role/reader"

# A 0.5 s timeout, one attempt: botocore alone waits 60 s and retries. The margin is for a
# loaded machine (the suite shares two cores), not for the code.
BOUND = 8.0


@pytest.fixture
def ip(aws):
    yield from shell_with_extension()


def arn_of(session) -> str:
    return session.client("sts").get_caller_identity()["Arn"]


# --------------------------------------------------------------------------- checks first


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"role_arn": "arn:aws:iam::12345:role/x"}, "is not valid: it looks like arn:aws:iam"),
        ({"role_arn": "arn:aws:iam::123456789012:user/x"}, "is not valid"),
        ({"role_arn": "customer-a"}, "Role ARN 'customer-a' is not valid"),
        ({"duration": "10m"}, "Duration 600 s is out of range: from 900 (15 min) to 43200 s"),
        ({"duration": "13h"}, "Duration 46800 s is out of range"),
        ({"duration": "soon"}, "is not a number of seconds"),
        ({"session_name": "a"}, "Role session name 'a' is not valid"),
        ({"session_name": "has space"}, "Role session name"),
        ({"external_id": "x"}, "The external ID (1 characters) is not valid"),
        ({"external_id": "bad#id"}, "The external ID (6 characters)"),
        ({"external_id": "x" * 1225}, "The external ID (1225 characters)"),
        ({"region": "mars-1"}, "is not an AWS region"),
        ({"mfa_serial": "123"}, "MFA device '123' is not valid"),
        ({"duration": "2h", "chained": True}, "at most 1 h"),
    ],
)
def test_inputs_are_checked_before_any_call(kwargs, fragment):
    kwargs = {"role_arn": GOOD_ARN, **kwargs}
    with pytest.raises(AwsCredError) as caught:
        role_request(**kwargs)
    assert fragment in str(caught.value)
    assert "bad#id" not in str(caught.value)  # the external ID is never echoed


def test_good_inputs_become_assume_role_parameters():
    request = role_request(
        "arn:aws:iam::123456789012:role/path/to/reader",
        external_id="acme:7Q2/x=y",
        session_name="me@corp.example",
        duration="90m",
        mfa_serial="arn:aws:iam::123456789012:mfa/me",
        region="eu-west-1",
    )
    assert request.extra_args() == {
        "RoleSessionName": "me@corp.example",
        "ExternalId": "acme:7Q2/x=y",
        "SerialNumber": "arn:aws:iam::123456789012:mfa/me",
        "DurationSeconds": 5400,
    }
    assert request.describe() == "role reader (123456789012, external ID, MFA, 1 h 30 min)"
    assert "acme" not in repr(request)
    assert [role_request(GOOD_ARN, duration=v).duration_seconds for v in ("15m", "1h", 900)] == [
        900,
        3600,
        900,
    ]


def test_magic_checks_before_the_network(ip, aws):
    # No endpoint is set: a call would go to real AWS and trip the loopback guard.
    message = usage_error(ip, f"%aws_assume {GOOD_ARN} --duration 5m")
    assert "from 900 (15 min)" in message
    assert "role_arn" in usage_error(ip, "%aws_assume")
    assert "--from VAR or --profile P" in usage_error(
        ip, f"%aws_assume {GOOD_ARN} --from a --profile b"
    )
    assert "is not a Python variable name" in usage_error(ip, f"%aws_assume {GOOD_ARN} --var 1x")
    message = usage_error(ip, f"%aws_assume {GOOD_ARN} --from nope")
    assert "No session named 'nope'" in message
    assert "session" not in ip.user_ns


# --------------------------------------------------------------------------- against moto


def test_right_external_id_reads_own_bucket_only(ip, b2b):
    out = ok(
        ip,
        f"%aws_assume {b2b.roles['a']} --external-id {b2b.external_ids['a']} --var s_a "
        "--session-name analyst",
    )
    name = f"customer-a-{b2b.suffix}"
    assert out.startswith(f"s_a = role {name} (123456789012, external ID): assume-role ")
    assert f"lineage: role {name} (123456789012, external ID) ← boto3's default chain" in out
    assert b2b.external_ids["a"] not in out
    s_a = ip.user_ns["s_a"]
    assert arn_of(s_a) == f"arn:aws:sts::123456789012:assumed-role/{name}/analyst"
    s3 = s_a.client("s3")
    s3.put_object(Bucket=b2b.buckets["a"], Key="k.csv", Body=b"x\n1\n")
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.put_object(Bucket=b2b.buckets["b"], Key="k.csv", Body=b"x\n1\n")
    # The base identity itself can read neither bucket.
    with pytest.raises(ClientError, match="AccessDenied"):
        boto3.Session().client("s3").get_object(Bucket=b2b.buckets["a"], Key="k.csv")
    whoami = ok(ip, "%aws_whoami --var s_a")
    assert "Profile     —" in whoami and "Method      assume-role" in whoami


def test_wrong_external_id_is_one_line_and_changes_nothing(ip, b2b):
    ok(ip, f"%aws_assume {b2b.roles['a']} --external-id {b2b.external_ids['a']} --var s_a")
    before = ip.user_ns["s_a"]
    ok(ip, "%aws_use default --var base")
    message = usage_error(
        ip, f"%aws_assume {b2b.roles['b']} --external-id wrong-id --var s_a --from base"
    )
    assert message.startswith("AccessDenied: base (profile default) may not assume ")
    assert f"may not assume {b2b.roles['b']}" in message
    assert "check the external ID" in message and "STS said:" in message
    assert ip.user_ns["s_a"] is before


def test_access_denied_without_external_id_suggests_one():
    # moto lets a missing external ID through (it only compares one that is sent), so the
    # message is checked on STS's own error shape.
    from aws_cred_magic.assume import assume_error

    error = ClientError(
        {"Error": {"Code": "AccessDenied", "Message": "User: x is not authorized"}}, "AssumeRole"
    )
    message = assume_error(error, role_request(GOOD_ARN), "profile default")
    assert message.startswith(f"AccessDenied: profile default may not assume {GOOD_ARN} (")
    assert "pass --external-id" in message and "STS said:" in message
    with_id = assume_error(error, role_request(GOOD_ARN, external_id="acme-secretish"), "p")
    assert "check the external ID" in with_id and "acme-secretish" not in with_id


def test_three_hop_chain_with_lineage_and_drop_warning(ip, b2b):
    ok(ip, f"%aws_assume {b2b.roles['hop1']} --profile default --var s1")
    ok(ip, f"%aws_assume {b2b.roles['hop2']} --from s1 --var s2")
    out = ok(ip, f"%aws_assume {b2b.roles['hop3']} --from s2 --var s3 --duration 30m")
    s = b2b.suffix
    assert (
        f"lineage: role hop3-{s} (123456789012, 30 min) ← s2 ← role hop2-{s} (123456789012) "
        f"← s1 ← role hop1-{s} (123456789012) ← profile default"
    ) in out
    assert arn_of(ip.user_ns["s3"]).startswith(f"arn:aws:sts::123456789012:assumed-role/hop3-{s}/")
    # A chained role lasts at most one hour: refused before STS is asked.
    assert "at most 1 h" in usage_error(ip, f"%aws_assume {b2b.roles['hop3']} --from s2 -d 2h")
    frame = ip.run_line_magic("aws_sessions", "")
    lineage = dict(zip(frame["name"], frame["lineage"], strict=True))
    assert lineage["s1"] == f"role hop1-{s} (123456789012) ← profile default"
    assert lineage["s3"].count("←") == 5
    expires = dict(zip(frame["name"], frame["expires"], strict=True))
    left = (expires["s3"] - dt.datetime.now(dt.timezone.utc)).total_seconds()
    assert 25 * 60 < left <= 30 * 60
    sessions = ip.run_line_magic("aws_whoami", "--sessions")
    assert list(sessions["lineage"]) == list(frame["lineage"])
    assert sessions["error"].isna().all(), sessions["error"].tolist()
    assert sessions["expires"].notna().all()
    out = ok(ip, "%aws_sessions --drop s2")
    assert "dropped session 's2'" in out
    assert "warning: s3 was assumed with s2's credentials" in out
    # s3 still works: it refreshes from the credentials s2 had.
    assert arn_of(ip.user_ns["s3"]).startswith("arn:aws:sts::123456789012:assumed-role/hop3-")


def test_refreshes_itself_before_expiry(ip, b2b, monkeypatch):
    ok(ip, f"%aws_assume {b2b.roles['a']} --external-id {b2b.external_ids['a']} --var s_a -d 1h")
    s_a = ip.user_ns["s_a"]
    credentials = s_a.get_credentials()
    first_key = credentials.get_frozen_credentials().access_key
    first_expiry = credentials._expiry_time
    # Move the clock 55 minutes on: five minutes left, inside botocore's refresh window.
    later = botocore.credentials._local_now() + dt.timedelta(minutes=55)
    monkeypatch.setattr(botocore.credentials, "_local_now", lambda: later)
    monkeypatch.setattr(credentials, "_time_fetcher", lambda: later)
    s_a.client("s3").put_object(Bucket=b2b.buckets["a"], Key="after.csv", Body=b"1")
    assert credentials.access_key != first_key
    assert credentials._expiry_time > first_expiry


def test_mfa_serial_prompts_once_then_refuses_to_refresh(ip, b2b, monkeypatch):
    asked = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": asked.append(prompt) or "123456")
    ok(
        ip,
        f"%aws_assume {b2b.roles['hop1']} --profile default --var m "
        "--mfa-serial arn:aws:iam::123456789012:mfa/me",
    )
    assert asked == ["MFA code for arn:aws:iam::123456789012:mfa/me: "]
    assert arn_of(ip.user_ns["m"]).startswith("arn:aws:sts::123456789012:assumed-role/hop1-")
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "12")
    message = usage_error(
        ip,
        f"%aws_assume {b2b.roles['hop1']} --profile default --var m2 "
        "--mfa-serial arn:aws:iam::123456789012:mfa/me",
    )
    assert "6 digits" in message and "m2" not in ip.user_ns


def test_python_api(b2b):
    session = aws_cred_magic.assume_role(
        b2b.roles["b"], external_id=b2b.external_ids["b"], profile="default"
    )
    assert arn_of(session).startswith(
        f"arn:aws:sts::123456789012:assumed-role/customer-b-{b2b.suffix}/"
    )
    hop1 = aws_cred_magic.assume_role(b2b.roles["hop1"], profile="default")
    chained = aws_cred_magic.assume_role(b2b.roles["hop2"], source=hop1, duration="1h")
    assert f"assumed-role/hop2-{b2b.suffix}/" in arn_of(chained)
    with pytest.raises(AwsCredError, match="at most 1 h"):
        aws_cred_magic.assume_role(b2b.roles["hop2"], source=hop1, duration="2h")
    with pytest.raises(AwsCredError, match="AccessDenied"):
        aws_cred_magic.assume_role(b2b.roles["a"], external_id="nope-123", profile="default")


def test_hanging_sts_is_bounded_by_the_timeout(ip, b2b, hanging_server, aws):
    ok(ip, "%config AwsCredMagics.timeout = 0.5")
    aws.setenv("AWS_ENDPOINT_URL_STS", hanging_server.url)
    started = time.monotonic()
    message = usage_error(ip, f"%aws_assume {b2b.roles['hop1']} --profile default --var h")
    assert time.monotonic() - started < BOUND
    assert re.search(r"ReadTimeoutError|ConnectTimeoutError|timeout", message, re.I), message
    assert "h" not in ip.user_ns
