"""The Python API without the magics: use_profile, use_keys, whoami, storage_options.

STS is the moto server on loopback; with authentication turned on it rejects unknown keys
and wrong secrets for real.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import time

import boto3
import pytest

import aws_cred_magic
from aws_cred_magic import AwsCredError
from aws_cred_magic.model import Identity

from .conftest import (
    CANARY_KEY_ID,
    CANARY_SECRET,
    CANARY_TOKEN,
    DEV_KEY_ID,
    TEMP_KEY_ID,
    free_port,
    write_expired_process_profile,
)

MOTO_ACCOUNT = "123456789012"
MOTO_DEFAULT_ARN = "arn:aws:sts::123456789012:user/moto"


def masked(key: str) -> str:
    return "*" * 16 + key[-4:]


@pytest.fixture(autouse=True)
def no_shell():
    """No IPython shell: the API must work on its own (boto3's default session)."""
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.clear_instance()
    yield
    InteractiveShell.clear_instance()


def assert_one_line_error(info: pytest.ExceptionInfo, *fragments: str) -> str:
    message = str(info.value)
    assert type(info.value) is AwsCredError
    assert "\n" not in message and message.strip() == message
    for fragment in fragments:
        assert fragment in message
    assert CANARY_SECRET not in message and CANARY_TOKEN not in message
    return message


# --------------------------------------------------------------------------- use_profile


def test_use_profile_returns_the_session_and_makes_it_boto3s_default(profiles):
    session = aws_cred_magic.use_profile("dev")
    assert isinstance(session, boto3.Session)
    assert session.profile_name == "dev"
    assert session.region_name == "us-east-2"
    assert boto3.DEFAULT_SESSION is session
    credentials = session.get_credentials()
    assert credentials.method == "shared-credentials-file"
    assert credentials.access_key == DEV_KEY_ID
    # boto3.client(...) follows, without a call to AWS.
    assert boto3.client("sts").meta.region_name == "us-east-2"


def test_use_profile_region_overrides_the_profiles(profiles):
    session = aws_cred_magic.use_profile("dev", region="ap-southeast-2")
    assert session.region_name == "ap-southeast-2"
    assert boto3.DEFAULT_SESSION is session


def test_unknown_profile_raises_and_keeps_the_current_session(profiles):
    before = aws_cred_magic.use_profile("dev")
    with pytest.raises(AwsCredError) as info:
        aws_cred_magic.use_profile("nope")
    assert_one_line_error(info, "ProfileNotFound", "nope", "%aws_profiles")
    assert boto3.DEFAULT_SESSION is before


def test_profile_without_credentials_raises_and_keeps_the_current_session(profiles):
    before = aws_cred_magic.use_profile("dev")
    with pytest.raises(AwsCredError) as info:
        aws_cred_magic.use_profile("empty")
    assert_one_line_error(info, "Profile 'empty' gives no credentials")
    assert boto3.DEFAULT_SESSION is before


def test_malformed_config_raises_one_line(aws):
    aws.write_config("[profile dev\nregion = us-east-1\n")
    with pytest.raises(AwsCredError) as info:
        aws_cred_magic.use_profile("dev")
    assert_one_line_error(info, "ConfigParseError", str(aws.config))
    assert boto3.DEFAULT_SESSION is None


# --------------------------------------------------------------------------- use_keys


def test_use_keys_builds_an_explicit_session(aws):
    session = aws_cred_magic.use_keys(TEMP_KEY_ID, CANARY_SECRET, CANARY_TOKEN, region="eu-north-1")
    assert isinstance(session, boto3.Session)
    assert boto3.DEFAULT_SESSION is session
    assert session.region_name == "eu-north-1"
    frozen = session.get_credentials().get_frozen_credentials()
    assert (frozen.access_key, frozen.secret_key, frozen.token) == (
        TEMP_KEY_ID,
        CANARY_SECRET,
        CANARY_TOKEN,
    )
    assert session.get_credentials().method == "explicit"


def test_use_keys_without_region_keeps_the_current_sessions_region(profiles):
    aws_cred_magic.use_profile("dev")  # us-east-2; the default profile says us-east-1
    session = aws_cred_magic.use_keys(CANARY_KEY_ID, CANARY_SECRET)
    assert session.region_name == "us-east-2"


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("AKIA-not-a-key", CANARY_SECRET), "access key id is not valid"),
        ((CANARY_KEY_ID, CANARY_SECRET[:-2]), "secret access key is not valid"),
        ((TEMP_KEY_ID, CANARY_SECRET), "need their session token"),
    ],
)
def test_use_keys_refuses_bad_formats_and_changes_nothing(profiles, args, fragment):
    before = aws_cred_magic.use_profile("dev")
    with pytest.raises(AwsCredError) as info:
        aws_cred_magic.use_keys(*args)
    assert_one_line_error(info, fragment)
    assert CANARY_SECRET[:-2] not in str(info.value)
    assert boto3.DEFAULT_SESSION is before


# --------------------------------------------------------------------------- whoami


def test_whoami_of_the_current_session(profiles, sts):
    aws_cred_magic.use_profile("dev")
    identity = aws_cred_magic.whoami()
    assert isinstance(identity, Identity)
    assert identity.to_dict() == {
        "account": MOTO_ACCOUNT,
        "arn": MOTO_DEFAULT_ARN,
        "user_id": identity.user_id,
        "method": "shared-credentials-file",
        "access_key": masked(DEV_KEY_ID),
        "region": "us-east-2",
        "profile": "dev",
        "expires": None,
        "source": "",
        "error": None,
        "temporary": False,
    }
    assert identity.user_id  # moto's fixed user id
    text = repr(identity)
    assert text.splitlines()[0] == "AWS identity"
    assert f"  ARN         {MOTO_DEFAULT_ARN}" in text.splitlines()
    assert f"  Access key  {masked(DEV_KEY_ID)}" in text.splitlines()
    assert "  Expires     never" in text.splitlines()
    html = identity._repr_html_()
    assert html.startswith("<div") and "<table" in html
    arn = re.search(r"<td style='[^']*'>(<span[^>]*>arn:.*?)</td>", html)[1]
    assert re.sub(r"<[^>]+>", "", arn) == MOTO_DEFAULT_ARN and "<wbr>" in arn
    assert masked(DEV_KEY_ID) in html and DEV_KEY_ID not in html


def test_whoami_of_a_given_session_leaves_the_default_alone(profiles, sts):
    current = aws_cred_magic.use_profile("dev")
    identity = aws_cred_magic.whoami(boto3.Session(profile_name="default"))
    assert identity.access_key == masked(CANARY_KEY_ID)
    assert identity.region == "us-east-1"
    assert identity.profile == "default"
    assert boto3.DEFAULT_SESSION is current


def test_whoami_through_botocores_assume_role(profiles, sts):
    aws_cred_magic.use_profile("analyst")
    identity = aws_cred_magic.whoami()
    assert identity.account == "111122223333"
    assert identity.arn.startswith("arn:aws:sts::111122223333:assumed-role/analyst/")
    assert identity.method == "assume-role"
    assert identity.region == "eu-west-1"
    assert identity.access_key.startswith("*" * 16) and len(identity.access_key) == 20
    now = dt.datetime.now(dt.timezone.utc)
    assert now < identity.expires < now + dt.timedelta(hours=2)
    assert "(in " in repr(identity)


def test_whoami_with_a_real_iam_user_when_moto_checks_signatures(aws, sts_auth):
    aws_cred_magic.use_keys(sts_auth.access_key_id, sts_auth.secret_access_key, region="us-east-1")
    identity = aws_cred_magic.whoami()
    assert identity.arn == sts_auth.arn
    assert identity.account == MOTO_ACCOUNT
    assert identity.access_key == masked(sts_auth.access_key_id)


def test_unknown_key_is_invalid_client_token_id(aws, sts_auth):
    session = aws_cred_magic.use_keys(CANARY_KEY_ID, CANARY_SECRET, region="us-east-1")
    with pytest.raises(AwsCredError) as info:
        aws_cred_magic.whoami()
    message = assert_one_line_error(info, "InvalidClientTokenId", "does not know this access key")
    assert message.startswith("InvalidClientTokenId: ")
    assert boto3.DEFAULT_SESSION is session


def test_wrong_secret_is_signature_does_not_match(aws, sts_auth):
    aws_cred_magic.use_keys(sts_auth.access_key_id, CANARY_SECRET, region="us-east-1")
    with pytest.raises(AwsCredError) as info:
        aws_cred_magic.whoami()
    message = assert_one_line_error(info, "secret access key does not match")
    assert message.startswith("SignatureDoesNotMatch: ")
    assert sts_auth.access_key_id not in message


def test_role_the_user_may_not_assume_is_access_denied(aws, sts_auth):
    aws.write_credentials(
        f"""
        [iam]
        aws_access_key_id = {sts_auth.access_key_id}
        aws_secret_access_key = {sts_auth.secret_access_key}
        """
    )
    aws.write_config(
        """
        [profile denied]
        role_arn = arn:aws:iam::123456789012:role/forbidden
        source_profile = iam
        region = us-east-1
        """
    )
    session = aws_cred_magic.use_profile("denied")
    with pytest.raises(AwsCredError) as info:
        aws_cred_magic.whoami()
    message = assert_one_line_error(info, "sts:AssumeRole")
    assert message.startswith("AccessDenied: ")
    assert sts_auth.secret_access_key not in message
    assert boto3.DEFAULT_SESSION is session


@pytest.mark.parametrize("profile", ["dev", "analyst"])
def test_closed_port_is_a_quick_one_line_error(profiles, profile):
    url = f"http://127.0.0.1:{free_port()}"
    profiles.setenv("AWS_ENDPOINT_URL", url)
    profiles.setenv("AWS_ENDPOINT_URL_STS", url)
    session = aws_cred_magic.use_profile(profile)
    started = time.monotonic()
    with pytest.raises(AwsCredError) as info:
        aws_cred_magic.whoami()
    assert time.monotonic() - started < 6  # one quick failure, not botocore's retries
    message = assert_one_line_error(info, "EndpointConnectionError", url)
    assert "the endpoint did not answer" in message
    assert boto3.DEFAULT_SESSION is session


def test_no_credentials_at_all(aws, sts):
    with pytest.raises(AwsCredError) as info:
        aws_cred_magic.whoami()
    assert_one_line_error(info, "No credentials found", "NoCredentialsError")


def test_expired_environment_credentials(aws, sts):
    past = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    aws.setenv("AWS_ACCESS_KEY_ID", TEMP_KEY_ID)
    aws.setenv("AWS_SECRET_ACCESS_KEY", CANARY_SECRET)
    aws.setenv("AWS_SESSION_TOKEN", CANARY_TOKEN)
    aws.setenv("AWS_CREDENTIAL_EXPIRATION", past)
    with pytest.raises(AwsCredError) as info:
        aws_cred_magic.whoami()
    assert_one_line_error(info, "expired")


def test_expired_credential_process(aws, sts):
    write_expired_process_profile(aws)
    aws_cred_magic.use_profile("proc")
    with pytest.raises(AwsCredError) as info:
        aws_cred_magic.whoami()
    assert_one_line_error(info, "expired")


# --------------------------------------------------------------------------- storage_options


def test_storage_options_holds_the_keys_and_hides_them_in_its_repr(aws, sts):
    aws_cred_magic.use_keys(TEMP_KEY_ID, CANARY_SECRET, CANARY_TOKEN, region="eu-west-1")
    options = aws_cred_magic.storage_options()
    assert isinstance(options, dict)
    assert dict(options) == {
        "key": TEMP_KEY_ID,
        "secret": CANARY_SECRET,
        "token": CANARY_TOKEN,
        "endpoint_url": sts,
        "client_kwargs": {"region_name": "eu-west-1"},
    }
    shown = {
        "key": masked(TEMP_KEY_ID),
        "secret": "<hidden>",
        "token": "<hidden>",
        "endpoint_url": sts,
        "client_kwargs": {"region_name": "eu-west-1"},
    }
    expected = f"StorageOptions({shown!r})"
    from IPython.lib.pretty import pretty

    assert repr(options) == expected
    assert str(options) == expected
    assert f"{options}" == expected
    assert pretty(options) == expected
    assert repr([options]) == f"[{expected}]"


def test_storage_options_of_a_given_session_without_token_or_endpoint(profiles):
    options = aws_cred_magic.storage_options(boto3.Session(profile_name="dev"))
    assert dict(options) == {
        "key": DEV_KEY_ID,
        "secret": CANARY_SECRET,
        "client_kwargs": {"region_name": "us-east-2"},
    }


def test_storage_options_without_credentials_says_so(aws):
    with pytest.raises(AwsCredError) as info:
        aws_cred_magic.storage_options(boto3.Session(region_name="us-east-1"))
    message = assert_one_line_error(info, "NoCredentialsError")
    assert "NoneType" not in message


def test_pandas_reads_s3_with_the_storage_options(aws, sts):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("s3fs")
    session = aws_cred_magic.use_keys(CANARY_KEY_ID, CANARY_SECRET, region="us-east-1")
    s3 = session.client("s3")
    s3.create_bucket(Bucket="aws-cred-magic-test")
    s3.put_object(Bucket="aws-cred-magic-test", Key="data.csv", Body=b"a,b\n1,2\n3,4\n")
    frame = pd.read_csv(
        "s3://aws-cred-magic-test/data.csv", storage_options=aws_cred_magic.storage_options()
    )
    assert frame.to_dict("list") == {"a": [1, 3], "b": [2, 4]}


# --------------------------------------------------------------------------- no IPython at all


def test_the_api_works_where_ipython_was_never_imported(aws):
    code = f"""
import sys, boto3, aws_cred_magic
session = aws_cred_magic.use_keys({TEMP_KEY_ID!r}, {CANARY_SECRET!r}, {CANARY_TOKEN!r},
                                  region="us-east-1")
assert boto3.DEFAULT_SESSION is session
print(repr(aws_cred_magic.storage_options()))
print("IPython" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "False"
    assert masked(TEMP_KEY_ID) in lines[0] and "<hidden>" in lines[0]
    assert CANARY_SECRET not in done.stdout + done.stderr
    assert CANARY_TOKEN not in done.stdout + done.stderr
