"""Switching refuses what cannot work, without the network: an SSO profile with no valid
cached login, a web identity token file that is missing. One line, nothing changes. And a
mistyped profile name gets a "did you mean"."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from IPython.core.error import UsageError

from aws_cred_magic.preflight import unusable_reason

from .conftest import free_port, shell_with_extension

CONFIG = """
[default]
region = eu-west-1

[profile customer-a]
region = eu-west-1

[profile sso-analytics]
sso_session = corp
sso_account_id = 333333333333
sso_role_name = AnalyticsReadOnly
region = eu-west-1

[profile legacy-sso]
sso_start_url = https://legacy.awsapps.com/start
sso_region = eu-west-1
sso_account_id = 333333333333
sso_role_name = Old

[profile via-sso]
role_arn = arn:aws:iam::444444444444:role/reader
source_profile = sso-analytics

[profile ci-token]
role_arn = arn:aws:iam::123456789012:role/ci
web_identity_token_file = {token}

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1
"""

CREDENTIALS = """
[default]
aws_access_key_id = AKIATESTDEFAULT00001
aws_secret_access_key = defaultSecretDEFAULTsecretDefault0000001
[customer-a]
aws_access_key_id = AKIATESTCUSTOMERA001
aws_secret_access_key = customerASecretCUSTOMERAsecretCustomer01
"""


@pytest.fixture
def ip(aws):
    token = aws.home / "ci" / "token.jwt"
    aws.write_config(CONFIG.format(token=token))
    aws.write_credentials(CREDENTIALS)
    for shell in shell_with_extension():
        shell.token_path = token
        yield shell


def cache_token(aws, key: str, expires_in: dt.timedelta, **extra) -> None:
    folder = aws.home / ".aws" / "sso" / "cache"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = (dt.datetime.now(dt.timezone.utc) + expires_in).strftime("%Y-%m-%dT%H:%M:%SZ")
    token = {"accessToken": "not-a-real-token", "expiresAt": stamp, **extra}
    name = hashlib.sha1(key.encode("utf-8")).hexdigest() + ".json"
    (folder / name).write_text(json.dumps(token))


def refused(ip, line: str) -> str:
    with pytest.raises(UsageError) as info:
        ip.run_line_magic("aws_use", line)
    assert type(info.value) is UsageError
    message = str(info.value)
    assert "\n" not in message
    return message


def test_sso_profile_without_a_cached_login_is_refused_and_nothing_changes(ip, aws):
    ip.run_line_magic("aws_use", "customer-a")
    before = ip.user_ns["session"]
    message = refused(ip, "sso-analytics")
    assert message == (
        "Profile 'sso-analytics' signs in with IAM Identity Center (SSO) and there is no "
        "cached SSO login: run %aws_sso_login sso-analytics (or Sign in in %aws_panel), then "
        "switch again. Nothing changed."
    )
    assert ip.user_ns["session"] is before
    # Through a role's source profile too, and with the old start-URL form.
    assert "through source profile 'sso-analytics'" in refused(ip, "via-sso")
    assert "%aws_sso_login legacy-sso" in refused(ip, "legacy-sso")
    assert ip.user_ns["session"] is before


def test_expired_sso_login_is_refused_unless_botocore_can_refresh_it(ip, aws):
    cache_token(aws, "corp", -dt.timedelta(minutes=5))
    assert "cached login expired at" in refused(ip, "sso-analytics")
    # A refresh token and a live client registration: %aws_use refreshes it through
    # botocore's SSOTokenProvider first (tests/test_sso.py: against the local Identity
    # Center); here nothing answers, so the switch is refused in one line.
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)).isoformat()
    cache_token(
        aws,
        "corp",
        -dt.timedelta(minutes=5),
        refreshToken="r",
        registrationExpiresAt=later,
        clientId="c",
        clientSecret="s",
    )
    aws.setenv("AWS_ENDPOINT_URL_SSO_OIDC", f"http://127.0.0.1:{free_port()}")
    message = refused(ip, "sso-analytics")
    assert message.startswith("Refreshing the SSO login for sso-session corp failed")
    assert message.endswith("run %aws_sso_login sso-analytics.")
    assert "session" not in ip.user_ns


def test_sso_profile_with_a_valid_cached_login_switches(ip, aws):
    cache_token(aws, "corp", dt.timedelta(hours=8))
    cache_token(aws, "https://legacy.awsapps.com/start", dt.timedelta(hours=8))
    for name in ("sso-analytics", "via-sso", "legacy-sso"):
        ip.run_line_magic("aws_use", name)
        assert ip.user_ns["session"].profile_name == name


def test_missing_web_identity_token_file_is_refused(ip, aws):
    message = refused(ip, "ci-token")
    assert f"reads its web identity token from {ip.token_path}, which does not exist" in message
    assert "session" not in ip.user_ns
    ip.token_path.parent.mkdir(parents=True)
    ip.token_path.write_text("eyJhbGciOi.not.real")
    ip.run_line_magic("aws_use", "ci-token")
    assert ip.user_ns["session"].profile_name == "ci-token"


def test_a_mistyped_profile_gets_did_you_mean(ip):
    message = refused(ip, "custmer-a")
    assert message.startswith("ProfileNotFound: The config profile (custmer-a) could not be")
    assert message.endswith("Did you mean 'customer-a'?")
    assert "Did you mean" not in refused(ip, "zzzzzz")


def test_panel_apply_on_sso_without_login_is_one_red_line(ip, aws):
    from aws_cred_magic.widget import CredentialPanel

    state = ip.magics_manager.registry["AwsCredMagics"].state
    panel = CredentialPanel(state)
    try:
        panel._profile.value = "sso-analytics"
        panel._apply.click()
        assert "aws-message-error" in panel._message.value
        assert "no cached SSO login" in panel._message.value
        assert "Nothing changed" in panel._message.value
        assert "aws-status-ok" not in panel._status.value  # no green for the same action
        assert "session" not in ip.user_ns
    finally:
        panel.close()


def test_unusable_reason_follows_botocore_order():
    profiles = {
        "keys-and-sso": {
            "aws_access_key_id": "AKIA…",
            "sso_start_url": "https://nowhere.awsapps.com/start",
            "sso_account_id": "1",
            "sso_role_name": "r",
        },
        "plain": {"aws_access_key_id": "AKIA…"},
        "loop": {"role_arn": "arn:aws:iam::1:role/x", "source_profile": "loop"},
        "source": {"role_arn": "arn:aws:iam::1:role/x", "credential_source": "Environment"},
    }
    assert "no cached SSO login" in unusable_reason(profiles, "keys-and-sso")
    for name in ("plain", "loop", "source", "missing"):
        assert unusable_reason(profiles, name) is None
