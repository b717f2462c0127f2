"""aws_cred_magic.profiles(): every profile of both files, its kind, and which is current."""

from __future__ import annotations

import shlex
import sys

import pandas as pd
import pytest

import aws_cred_magic
from aws_cred_magic import AwsCredError

from .conftest import CANARY_KEY_ID, CANARY_SECRET, CANARY_TOKEN

ROLE = "arn:aws:iam::123456789012:role/analyst"
COLUMNS = ["profile", "kind", "region", "source", "detail", "current"]

CONFIG = f"""\
[default]
region = us-east-1

[profile role]
role_arn = {ROLE}
source_profile = keys
mfa_serial = arn:aws:iam::123456789012:mfa/me
external_id = {CANARY_SECRET}

[profile sourced]
role_arn = {ROLE}
credential_source = Ec2InstanceMetadata

[profile wi]
role_arn = {ROLE}
web_identity_token_file = /var/run/token

[profile sso-legacy]
sso_start_url = https://legacy.awsapps.com/start
sso_region = us-east-1
sso_account_id = 111122223333
sso_role_name = ReadOnly

[profile sso-new]
sso_session = corp
sso_account_id = 444455556666
sso_role_name = Admin

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1

[profile proc]
credential_process = /usr/local/bin/get-creds --profile proc

[profile console]
login_session = arn:aws:iam::123456789012:user/me

[profile regional]
region = ap-southeast-2

[profile blank]

[not-a-profile]
region = eu-north-1
"""

CREDENTIALS = f"""\
[keys]
aws_access_key_id = {CANARY_KEY_ID}
aws_secret_access_key = {CANARY_SECRET}
aws_session_token = {CANARY_TOKEN}

[profile literal]
aws_access_key_id = {CANARY_KEY_ID}
aws_secret_access_key = {CANARY_SECRET}
"""

EXPECTED_KINDS = {
    "default": "region-only",
    "role": "assume-role",
    "sourced": "credential_source",
    "wi": "web-identity",
    "sso-legacy": "sso",
    "sso-new": "sso",
    "proc": "process",
    "console": "login",
    "regional": "region-only",
    "blank": "empty",
    "keys": "static keys",
    "profile literal": "static keys",
}


@pytest.fixture
def full(aws):
    aws.write_config(CONFIG)
    aws.write_credentials(CREDENTIALS)
    return aws


def by_name(df):
    return df.set_index("profile")


def everything_shown(df) -> str:
    return "\n".join(
        [df.to_string(), repr(df), df.to_html(), repr(df.attrs)]
        + [str(value) for value in df.astype(str).to_numpy().ravel()]
    )


def test_columns_and_every_kind(full):
    df = aws_cred_magic.profiles()
    assert list(df.columns) == COLUMNS
    assert dict(zip(df["profile"], df["kind"], strict=True)) == EXPECTED_KINDS
    assert df["profile"].iloc[0] == "default"  # default first, then by name
    assert list(df["profile"].iloc[1:]) == sorted(df["profile"].iloc[1:])


def test_section_rules(full):
    names = set(aws_cred_magic.profiles()["profile"])
    assert "not-a-profile" not in names  # [x] without "profile " is not a profile in config
    assert "literal" not in names and "profile literal" in names  # credentials: literal name
    assert "corp" not in names  # an sso-session is not a profile


def test_regions_sources_and_details(full):
    df = by_name(aws_cred_magic.profiles())
    assert df.loc["default", "region"] == "us-east-1"
    assert df.loc["regional", "region"] == "ap-southeast-2"
    assert pd.isna(df.loc["keys", "region"])
    assert df.loc["keys", "source"] == f"{full.credentials} [keys]"
    assert df.loc["role", "source"] == f"{full.config} [profile role]"
    assert df.loc["default", "source"] == f"{full.config} [default]"
    assert "source_profile keys" in df.loc["role", "detail"]
    assert "MFA" in df.loc["role", "detail"]
    assert "credential_source Ec2InstanceMetadata" in df.loc["sourced", "detail"]
    assert "/var/run/token" in df.loc["wi", "detail"]
    assert "https://corp.awsapps.com/start" in df.loc["sso-new", "detail"]
    assert "444455556666" in df.loc["sso-new", "detail"]
    assert "https://legacy.awsapps.com/start" in df.loc["sso-legacy", "detail"]
    assert "*" * 16 + CANARY_KEY_ID[-4:] in df.loc["keys", "detail"]
    assert "session token" in df.loc["keys", "detail"]
    assert "get-creds" in df.loc["proc", "detail"]


def test_profile_in_both_files_is_one_row_with_both_sources(aws):
    aws.write_config("[profile both]\nregion = eu-west-3\n")
    aws.write_credentials(
        f"[both]\naws_access_key_id = {CANARY_KEY_ID}\naws_secret_access_key = {CANARY_SECRET}\n"
        "region = eu-west-1\n"
    )
    df = aws_cred_magic.profiles()
    assert list(df["profile"]) == ["both"]
    row = df.iloc[0]
    assert row["kind"] == "static keys"
    assert row["region"] == "eu-west-1"  # credentials-file values win, as in botocore
    assert row["source"] == f"{aws.credentials} [both]; {aws.config} [profile both]"


def test_credentials_only_profiles(aws):
    aws.write_credentials(CREDENTIALS)
    df = aws_cred_magic.profiles()
    assert set(df["profile"]) == {"keys", "profile literal"}
    assert set(df["kind"]) == {"static keys"}
    assert not df["current"].any()  # no "default" profile exists


def test_no_files_gives_an_empty_frame(aws):
    df = aws_cred_magic.profiles()
    assert df.empty and list(df.columns) == COLUMNS
    assert df.attrs["current_profile"] == "default"


def test_honours_AWS_CONFIG_FILE_and_AWS_SHARED_CREDENTIALS_FILE(aws):  # noqa: N802
    aws.write_config("[profile ignored-config]\n")
    aws.write_credentials(CREDENTIALS.replace("[keys]", "[ignored-creds]"))
    config = aws.file("elsewhere/config", "[profile moved]\nregion = us-west-1\n")
    creds = aws.file("elsewhere/creds", "[moved-creds]\naws_access_key_id = AKIAMOVED0000000ABCD\n")
    aws.setenv("AWS_CONFIG_FILE", "~/elsewhere/config")  # botocore expands ~ and $VARS
    aws.setenv("WHERE", "elsewhere")
    aws.setenv("AWS_SHARED_CREDENTIALS_FILE", "$HOME/${WHERE}/creds")
    df = aws_cred_magic.profiles()
    assert set(df["profile"]) == {"moved", "moved-creds"}
    assert df.attrs["config_file"] == str(config)
    assert df.attrs["credentials_file"] == str(creds)
    assert by_name(df).loc["moved", "source"] == f"{config} [profile moved]"


@pytest.mark.parametrize(
    "env, current",
    [
        ({}, "default"),
        ({"AWS_PROFILE": "wi"}, "wi"),
        ({"AWS_DEFAULT_PROFILE": "proc"}, "proc"),
        ({"AWS_PROFILE": "wi", "AWS_DEFAULT_PROFILE": "proc"}, "proc"),
    ],
    ids=["nothing-set", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_DEFAULT_PROFILE-wins"],
)
def test_current_follows_the_environment(full, env, current):
    for name, value in env.items():
        full.setenv(name, value)
    df = aws_cred_magic.profiles()
    assert list(df.loc[df["current"], "profile"]) == [current]
    assert df.attrs["current_profile"] == current
    import boto3

    assert boto3.Session().profile_name == current  # the oracle agrees


def test_current_profile_that_does_not_exist_marks_no_row(full):
    full.setenv("AWS_PROFILE", "ghost")
    df = aws_cred_magic.profiles()
    assert not df["current"].any()
    assert df.attrs["current_profile"] == "ghost"


def test_no_secret_anywhere(full):
    df = aws_cred_magic.profiles()
    shown = everything_shown(df)
    for secret in (CANARY_SECRET, CANARY_TOKEN, CANARY_KEY_ID):
        assert secret not in shown
    assert CANARY_SECRET[:12] not in shown and CANARY_TOKEN[-12:] not in shown


def test_no_secret_in_a_process_command_line(aws):
    # A credential_process is shown, but a secret passed on its command line is not.
    command = f"{shlex.quote(sys.executable)} -m tool --token {CANARY_TOKEN} --key {CANARY_SECRET}"
    aws.write_config(f"[profile proc]\ncredential_process = {command}\n")
    df = aws_cred_magic.profiles()
    shown = everything_shown(df)
    assert CANARY_SECRET not in shown and CANARY_TOKEN not in shown
    assert "-m tool" in df.iloc[0]["detail"]


@pytest.mark.parametrize(
    "which, text",
    [
        ("config", "region = us-east-1\n[default]\n"),
        ("config", "[profile broken\nregion = x\n"),
        ("config", "[default]\nregion = a\n[default]\nregion = b\n"),
        ("credentials", f"aws_secret_access_key = {CANARY_SECRET}\n"),
        ("credentials", "[default]\naws_access_key_id = a\naws_access_key_id = b\n"),
    ],
    ids=[
        "config-no-section-header",
        "config-unclosed-bracket",
        "config-duplicate-section",
        "credentials-no-section",
        "credentials-duplicate-key",
    ],
)
def test_malformed_file_raises_a_short_error_naming_the_file(aws, which, text):
    path = aws.write_config(text) if which == "config" else aws.write_credentials(text)
    with pytest.raises(AwsCredError) as info:
        aws_cred_magic.profiles()
    message = str(info.value)
    assert str(path) in message
    assert "\n" not in message and "Traceback" not in message
    assert CANARY_SECRET not in message
    # Not a deep chain: the botocore/configparser exceptions are not attached.
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_profiles_agree_with_botocore_available_profiles(full):
    import boto3

    df = aws_cred_magic.profiles()
    assert sorted(df["profile"]) == sorted(boto3.Session().available_profiles)
