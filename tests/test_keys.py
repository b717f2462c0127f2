"""keys.py: pasted blocks are parsed whatever their shape, formats are checked, and no
value ever shows up in a repr or an error message."""

from __future__ import annotations

import pytest

from aws_cred_magic.errors import AwsCredError
from aws_cred_magic.keys import (
    KeyInput,
    check_keys,
    keys_from_block,
    looks_like_block,
    parse_key_block,
)

from .conftest import CANARY_KEY_ID, CANARY_SECRET, CANARY_TOKEN, TEMP_KEY_ID

# A secret and a token with every character base64 allows, '=' padding included.
SLASHY_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE+K"
PADDED_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE/token+with/slashes+and+padding" + "Z" * 40 + "=="

EXPECTED = {
    "access_key_id": TEMP_KEY_ID,
    "secret_access_key": SLASHY_SECRET,
    "session_token": PADDED_TOKEN,
}

BASH = f"""export AWS_ACCESS_KEY_ID="{TEMP_KEY_ID}"
export AWS_SECRET_ACCESS_KEY="{SLASHY_SECRET}"
export AWS_SESSION_TOKEN="{PADDED_TOKEN}"
"""
WINDOWS_SET = (
    f"set AWS_ACCESS_KEY_ID={TEMP_KEY_ID}\r\n"
    f"set AWS_SECRET_ACCESS_KEY={SLASHY_SECRET}\r\n"
    f"set AWS_SESSION_TOKEN={PADDED_TOKEN}\r\n"
)
POWERSHELL = f"""$Env:AWS_ACCESS_KEY_ID="{TEMP_KEY_ID}"
$Env:AWS_SECRET_ACCESS_KEY="{SLASHY_SECRET}"
$Env:AWS_SESSION_TOKEN="{PADDED_TOKEN}"
"""
INI = f"""[123456789012_PowerUserAccess]
aws_access_key_id={TEMP_KEY_ID}
aws_secret_access_key={SLASHY_SECRET}
aws_session_token={PADDED_TOKEN}
"""
INI_SPACED = f"""[profile portal]
aws_access_key_id = {TEMP_KEY_ID}
aws_secret_access_key = {SLASHY_SECRET}
aws_session_token = {PADDED_TOKEN}
"""

BLOCKS = {
    "bash": BASH,
    "bash joined by spaces": " ".join(BASH.splitlines()),
    "bash joined with nothing": "".join(BASH.splitlines()),
    "bash joined by semicolons": "; ".join(BASH.splitlines()),
    "windows set": WINDOWS_SET,
    "windows set joined": " ".join(WINDOWS_SET.splitlines()),
    "windows SET upper-case": WINDOWS_SET.replace("set ", "SET "),
    "powershell": POWERSHELL,
    "powershell joined": " ".join(POWERSHELL.splitlines()),
    "powershell lower-case $env:": POWERSHELL.replace("$Env:", "$env:"),
    "ini": INI,
    "ini with spaces": INI_SPACED,
    "ini joined": " ".join(INI.splitlines()),
    "single quotes": BASH.replace('"', "'"),
    "indented": "\n".join("    " + line for line in BASH.splitlines()),
}


@pytest.mark.parametrize("text", BLOCKS.values(), ids=list(BLOCKS))
def test_every_block_shape_gives_the_three_values(text):
    assert looks_like_block(text)
    assert parse_key_block(text) == EXPECTED
    keys = keys_from_block(text)
    assert (keys.access_key_id, keys.secret_access_key, keys.session_token) == (
        TEMP_KEY_ID,
        SLASHY_SECRET,
        PADDED_TOKEN,
    )
    assert keys.region is None


def test_legacy_security_token_name_is_read():
    text = BASH.replace("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
    assert parse_key_block(text)["session_token"] == PADDED_TOKEN


def test_region_comes_from_the_block_unless_overridden():
    block = BASH + 'export AWS_DEFAULT_REGION="eu-central-1"\n'
    assert parse_key_block(block)["region"] == "eu-central-1"
    assert keys_from_block(block).region == "eu-central-1"
    assert keys_from_block(block, region="ap-south-1").region == "ap-south-1"
    ini = INI_SPACED + "region = us-west-2\n"
    assert keys_from_block(ini).region == "us-west-2"
    # AWS_REGION must not be mistaken for the INI `region` name, and is read itself.
    assert parse_key_block(BASH + "export AWS_REGION=sa-east-1\n")["region"] == "sa-east-1"


def test_a_block_with_only_some_fields_returns_only_those():
    found = parse_key_block(f"export AWS_ACCESS_KEY_ID={CANARY_KEY_ID}\n")
    assert found == {"access_key_id": CANARY_KEY_ID}


@pytest.mark.parametrize(
    "text",
    [TEMP_KEY_ID, f"  {CANARY_KEY_ID}  ", "", CANARY_SECRET, "AWS_ACCESS_KEY_ID"],
)
def test_bare_values_are_not_blocks(text):
    assert not looks_like_block(text)


def test_a_block_without_key_id_is_refused_without_echo():
    text = f'export AWS_SECRET_ACCESS_KEY="{CANARY_SECRET}"\naws_access_key_id='
    with pytest.raises(AwsCredError) as info:
        keys_from_block(text)
    message = str(info.value)
    assert "No AWS_ACCESS_KEY_ID found" in message
    assert CANARY_SECRET not in message


def test_a_block_with_a_bad_secret_names_the_field_not_the_value():
    bad = CANARY_SECRET[:-1] + "!"
    with pytest.raises(AwsCredError) as info:
        keys_from_block(BASH.replace(SLASHY_SECRET, bad))
    assert "secret access key is not valid" in str(info.value)
    assert bad not in str(info.value) and CANARY_SECRET[:20] not in str(info.value)


# --------------------------------------------------------------------------- check_keys


def test_long_term_keys_need_no_token_and_are_stripped():
    keys = check_keys(f" {CANARY_KEY_ID}\n", f"\t{CANARY_SECRET} ", "   ", " ")
    assert keys == KeyInput(CANARY_KEY_ID, CANARY_SECRET, None, None)


def test_temporary_keys_with_token_pass():
    keys = check_keys(TEMP_KEY_ID, CANARY_SECRET, f"{CANARY_TOKEN}\n", "us-west-1")
    assert keys == KeyInput(TEMP_KEY_ID, CANARY_SECRET, CANARY_TOKEN, "us-west-1")
    assert keys.secrets() == (CANARY_SECRET, CANARY_TOKEN)


@pytest.mark.parametrize(
    "key_id, secret, token, expected",
    [
        ("", CANARY_SECRET, None, "access key id is empty"),
        (None, CANARY_SECRET, None, "access key id is empty"),
        ("AKIATESTCANARY00001", CANARY_SECRET, None, "access key id is not valid"),  # 19
        ("AKIATESTCANARY0000001", CANARY_SECRET, None, "access key id is not valid"),  # 21
        ("akiatestcanary000001", CANARY_SECRET, None, "access key id is not valid"),
        ("AROATESTCANARY000001", CANARY_SECRET, None, "access key id is not valid"),
        ("AKIATESTCANARY00000-", CANARY_SECRET, None, "access key id is not valid"),
        (CANARY_SECRET, CANARY_SECRET, None, "access key id is not valid"),
        (CANARY_KEY_ID, "", None, "secret access key is empty"),
        (CANARY_KEY_ID, CANARY_SECRET[:-1], None, "secret access key is not valid"),
        (CANARY_KEY_ID, CANARY_SECRET + "1", None, "secret access key is not valid"),
        (CANARY_KEY_ID, CANARY_SECRET[:-1] + "=", None, "secret access key is not valid"),
        (CANARY_KEY_ID, CANARY_SECRET[:20] + " " + CANARY_SECRET[21:], None, "not valid"),
        (TEMP_KEY_ID, CANARY_SECRET, None, "ASIA… keys are temporary"),
        (TEMP_KEY_ID, CANARY_SECRET, "  ", "ASIA… keys are temporary"),
        (TEMP_KEY_ID, CANARY_SECRET, "tooShortToken", "session token is not valid"),
        (TEMP_KEY_ID, CANARY_SECRET, CANARY_TOKEN[:50] + " " + CANARY_TOKEN[50:], "token"),
    ],
)
def test_bad_formats_name_the_field_and_never_the_value(key_id, secret, token, expected):
    with pytest.raises(AwsCredError) as info:
        check_keys(key_id, secret, token)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message
    for value in (key_id, secret, token):
        if value and value.strip():
            assert value.strip()[:12] not in message


def test_the_secret_pasted_into_the_key_id_field_is_not_echoed():
    with pytest.raises(AwsCredError) as info:
        check_keys(CANARY_SECRET, CANARY_SECRET)
    assert CANARY_SECRET not in str(info.value)
    assert "canary" not in str(info.value).lower()


# --------------------------------------------------------------------------- KeyInput


def test_key_input_repr_shows_only_the_masked_key_id():
    keys = KeyInput(TEMP_KEY_ID, CANARY_SECRET, CANARY_TOKEN, "eu-west-1")
    expected = "KeyInput(" + "*" * 16 + "0002, with session token, region='eu-west-1')"
    assert repr(keys) == expected
    assert str(keys) == expected
    assert f"{keys}" == expected and f"{keys!r}" == expected
    assert repr([keys]) == f"[{expected}]"
    for text in (repr(keys), str(keys)):
        assert CANARY_SECRET not in text and CANARY_TOKEN not in text
        assert TEMP_KEY_ID not in text


def test_key_input_repr_without_token_or_region():
    keys = KeyInput(CANARY_KEY_ID, CANARY_SECRET)
    assert repr(keys) == "KeyInput(" + "*" * 16 + "0001, region=None)"


def test_key_input_is_immutable():
    keys = KeyInput(CANARY_KEY_ID, CANARY_SECRET)
    with pytest.raises(AttributeError):
        keys.secret_access_key = "x"  # type: ignore[misc]
