"""The boundary validators on their own: names, quoting, regions, ARNs, durations, flags."""

from __future__ import annotations

import argparse
import math
import types

import pytest

from aws_cred_magic.errors import AwsCredError
from aws_cred_magic.validate import (
    check_duration,
    check_mfa_serial,
    check_profile_name,
    check_region,
    check_role_arn,
    check_role_session_name,
    check_var,
    known_regions,
    refuse_conflicts,
    split_line,
)

from .conftest import CANARY_SECRET


def one_line_error(call, *args, **kwargs) -> str:
    with pytest.raises(AwsCredError) as info:
        call(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message and message.endswith((".", "?"))
    return message


@pytest.mark.parametrize(
    "name, says",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("1abc", "not a Python variable name"),
        ("a-b", "not a Python variable name"),
        ("a b", "not a Python variable name"),
        ("ñame", "not a Python variable name"),
        ("class", "keyword"),
        ("None", "keyword"),
        ("match", "keyword"),
        ("__builtins__", "reserved"),
        ("__name__", "reserved"),
        ("_oh", "IPython"),
        ("In", "IPython"),
        ("Out", "IPython"),
        ("_", "IPython"),
        ("_12", "IPython"),
        ("_i3", "IPython"),
        ("get_ipython", "IPython"),
        ("print", "built-in"),
        ("list", "built-in"),
    ],
)
def test_bad_variable_names_are_refused_saying_why(name, says):
    assert says in one_line_error(check_var, name)


def test_names_holding_other_objects_say_what_and_how_to_free_them():
    import boto3

    namespace = {"boto3": boto3, "pd": types.ModuleType("pandas"), "df": [1, 2], "s": None}
    assert "the module boto3" in one_line_error(check_var, "boto3", namespace)
    message = one_line_error(check_var, "pd", namespace)
    assert "the module pandas" in message and "del pd" in message
    assert "a list" in one_line_error(check_var, "df", namespace)
    assert "a NoneType" in one_line_error(check_var, "s", namespace)
    session = boto3.Session(region_name="us-east-1")
    assert check_var("s_dev", {"s_dev": session}) == "s_dev"  # replacing a session is fine
    assert check_var(" s_new ", namespace) == "s_new"


def test_non_text_names_are_refused():
    assert "text" in one_line_error(check_var, 3)
    assert "text" in one_line_error(check_profile_name, None)


@pytest.mark.parametrize(
    "line, argv",
    [
        ('"my profile"', ["my profile"]),
        ("'ops'", ["ops"]),
        ("dev --region us-east-1", ["dev", "--region", "us-east-1"]),
        ('"a b" -v s_a', ["a b", "-v", "s_a"]),
        ("", []),
    ],
)
def test_lines_split_like_a_shell(line, argv):
    assert split_line(line) == argv


@pytest.mark.parametrize("line", ['"my profile', "'ops", 'dev --region "us-east-1', "dev \\"])
def test_unbalanced_quotes_are_one_line(line):
    assert "Cannot read the arguments" in one_line_error(split_line, line)


@pytest.mark.parametrize(
    "name, says",
    [
        ("", "empty"),
        ("dev\nprod", "control character"),
        ("dev\x00", "control character"),
        ("[profile dev]", "brackets"),
        ("x" * 200, "at most 128"),
    ],
)
def test_bad_profile_names(name, says):
    assert says in one_line_error(check_profile_name, name)


def test_good_profile_names_pass():
    assert check_profile_name("my profile") == "my profile"
    assert check_profile_name(" dev ") == "dev"
    assert check_profile_name("team/ops@prod") == "team/ops@prod"


def test_every_region_botocore_knows_passes():
    regions = known_regions()
    assert {"us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"} <= set(regions)
    for region in regions:
        assert check_region(region) == region
    assert check_region(None) is None
    assert check_region(" eu-west-1 ") == "eu-west-1"
    assert check_region("us-east-9") == "us-east-9"  # a newer region than this botocore


@pytest.mark.parametrize(
    "region, suggestion",
    [
        ("us-est-1", "us-east-1"),
        ("useast1", "us-east-1"),
        ("eu-west1", "eu-west-1"),
        ("US-EAST-1", "us-east-1"),
        ("bad region", None),
        ("us-east-1/../../x", None),
        ("us-east-1 ", None),
        ("localhost", None),
        ("https://sts.amazonaws.com", None),
    ],
)
def test_unknown_regions_are_refused_with_did_you_mean(region, suggestion):
    if region.strip() == "us-east-1":
        assert check_region(region) == "us-east-1"
        return
    message = one_line_error(check_region, region)
    assert "is not an AWS region" in message
    if suggestion:
        assert "Did you mean" in message and suggestion in message


def test_empty_region_is_refused_and_a_secret_in_it_never_shown():
    assert "empty" in one_line_error(check_region, "")
    message = one_line_error(check_region, CANARY_SECRET, source="Profile dev's region")
    assert CANARY_SECRET not in message and CANARY_SECRET[:12] not in message
    assert message.startswith("Profile dev's region")


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::111122223333:role/analyst",
        "arn:aws:iam::111122223333:role/team/data/analyst",
        "arn:aws-cn:iam::111122223333:role/a",
        "arn:aws-us-gov:iam::111122223333:role/a+b=c,d.e@f-g_h",
    ],
)
def test_role_arns_pass(arn):
    assert check_role_arn(f" {arn} ") == arn


@pytest.mark.parametrize(
    "arn",
    [
        "",
        "analyst",
        "arn:aws:iam::1111:role/analyst",
        "arn:aws:iam::111122223333:user/analyst",
        "arn:aws:iam::111122223333:role/",
        "arn:nope:iam::111122223333:role/analyst",
        "arn:aws:sts::111122223333:role/analyst",
        "arn:aws:iam::111122223333:role/" + "x" * 65,
        "arn:aws:iam::111122223333:role/a b",
        None,
    ],
)
def test_bad_role_arns(arn):
    assert "Role ARN" in one_line_error(check_role_arn, arn)


def test_role_session_names_and_mfa_serials():
    assert check_role_session_name("analyst-notebook") == "analyst-notebook"
    for bad in ("a", "x" * 65, "has space", "slash/no", ""):
        assert "Role session name" in one_line_error(check_role_session_name, bad)
    device = "arn:aws:iam::111122223333:mfa/me"
    assert check_mfa_serial(device) == device
    assert check_mfa_serial("GAHT12345678") == "GAHT12345678"
    for bad in ("", "12", "arn:aws:iam::1:mfa/me me"):
        assert "MFA device" in one_line_error(check_mfa_serial, bad)


@pytest.mark.parametrize(
    "given, seconds",
    [(900, 900), ("3600", 3600), ("60m", 3600), ("1h", 3600), ("43200", 43200), (" 2h ", 7200)],
)
def test_durations_pass(given, seconds):
    assert check_duration(given) == seconds


@pytest.mark.parametrize(
    "given", [0, -1, 899, 43201, "abc", "1.5h", "", True, 3600.0, math.inf, None, "12d"]
)
def test_bad_durations(given):
    assert "Duration" in one_line_error(check_duration, given)


def test_conflicting_flags_are_named():
    args = argparse.Namespace(all=True, sessions=False, profile="dev", var=None)
    message = one_line_error(refuse_conflicts, args, ("all", "sessions", "profile", "var"))
    assert "--all and --profile cannot be used together" in message
    refuse_conflicts(argparse.Namespace(all=True, profile=None), ("all", "profile"))
