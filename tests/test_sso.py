"""IAM Identity Center (SSO): the device sign-in against the local Identity Center, the cache
botocore reads, refresh, accounts and roles, logout, and the magics around them.

Everything runs against ``aws_cred_magic.local_sso`` on 127.0.0.1 (and moto's STS for the
role keys), with real botocore clients, a real IPython shell and botocore's own readers of
the token cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import time
from pathlib import Path

import boto3
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from aws_cred_magic import sso
from aws_cred_magic.local_sso import LocalIdentityCenter

from . import test_magics
from .test_magics import ok, run

make_ip = test_magics.make_ip  # a fresh IPython shell with the extension, as in test_magics
ip = test_magics.ip

START_URL = "https://corp-test.awsapps.com/start"
LEGACY_URL = "https://legacy-test.awsapps.com/start"
SSO_CONFIG = f"""
[profile sso-a]
sso_session = corp
sso_account_id = 333333333333
sso_role_name = AnalyticsReadOnly
region = eu-west-1

[profile legacy-sso]
sso_start_url = {LEGACY_URL}
sso_region = us-east-1
sso_account_id = 444444444444
sso_role_name = ReadOnly
region = us-east-1

[sso-session corp]
sso_start_url = {START_URL}
sso_region = eu-west-1
sso_registration_scopes = sso:account:access
"""


def wait_for(condition, timeout: float = 10.0, what=lambda: "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what()}")


def cache_dir(aws) -> Path:
    return aws.home / ".aws" / "sso" / "cache"


def corp() -> sso.SsoTarget:
    return sso.target_for("sso-a")


def pending(login: sso.DeviceLogin, polls: int = 1) -> None:
    """Wait until the login is pending and the server has said authorization_pending."""
    wait_for(
        lambda: login.status == "pending" and login.polls >= polls,
        what=lambda: f"pending polls (now {login.status}: {login.message}, {login.polls} polls)",
    )


def signed_in(server: LocalIdentityCenter, target: sso.SsoTarget, **kwargs) -> sso.DeviceLogin:
    login = sso.DeviceLogin(target, timeout=5, **kwargs).start()
    pending(login)
    assert server.approve(login.user_code)
    assert login.wait(5) and login.status == "signed in", login.message
    return login


def server_secrets(server: LocalIdentityCenter) -> list[str]:
    """Every token, refresh token, client secret and device code the server handed out."""
    return list(server.issued)


# --------------------------------------------------------------------------- the flow


def test_pending_then_approve_writes_the_cli_cache_that_botocore_reads(idc, profiles):
    target = corp()
    assert sso.token_status(target).state == "no login"
    login = sso.DeviceLogin(target, timeout=5).start()
    pending(login, polls=3)  # really polled while the request waited for approval
    assert login.status == "pending" and not os.path.exists(target.cache_path)
    assert login.verification_uri_complete.endswith(f"user_code={login.user_code}")
    assert 0 < login.seconds_left() <= 600
    assert idc.approve(login.user_code)
    assert login.wait(5) and login.status == "signed in", login.message

    path = Path(target.cache_path)
    assert path.name == hashlib.sha1(b"corp").hexdigest() + ".json"
    assert path.parent == cache_dir(profiles)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = json.loads(path.read_text())
    assert set(token) == {
        "startUrl",
        "region",
        "accessToken",
        "expiresAt",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "refreshToken",
    }
    assert token["startUrl"] == START_URL and token["region"] == "eu-west-1"
    assert token["accessToken"] in idc.access_tokens
    assert token["refreshToken"] in idc.refresh_tokens
    assert [f for f in os.listdir(path.parent) if f.endswith(".tmp")] == []

    # botocore's own loader reads it back, and a plain boto3 session gets credentials from it
    from botocore.tokens import SSOTokenProvider
    from botocore.utils import JSONFileCache, SSOTokenLoader

    loaded = SSOTokenLoader(JSONFileCache(SSOTokenProvider._SSO_TOKEN_CACHE_DIR))(
        START_URL, session_name="corp"
    )
    assert loaded["accessToken"] == token["accessToken"]
    session = boto3.Session(profile_name="sso-a")
    assert session.get_credentials().method == "sso"
    arn = session.client("sts").get_caller_identity()["Arn"]
    assert arn.startswith("arn:aws:sts::333333333333:assumed-role/AWSReservedSSO_AnalyticsReadOnly")
    assert sso.token_status(target).state == "valid"


def test_legacy_profile_cache_is_named_after_the_start_url(idc, profiles):
    target = sso.target_for("legacy-sso")
    signed_in(idc, target)
    path = Path(target.cache_path)
    assert path.name == hashlib.sha1(LEGACY_URL.encode()).hexdigest() + ".json"
    token = json.loads(path.read_text())
    assert set(token) == {"startUrl", "region", "accessToken", "expiresAt"}
    from botocore.credentials import SSOProvider
    from botocore.utils import JSONFileCache, SSOTokenLoader

    assert SSOTokenLoader(JSONFileCache(SSOProvider._SSO_TOKEN_CACHE_DIR))(LEGACY_URL)
    credentials = boto3.Session(profile_name="legacy-sso").get_credentials()
    assert credentials.get_frozen_credentials().access_key.startswith("ASIA")


def test_a_cached_registration_is_reused_and_an_expiring_one_replaced(idc, profiles):
    target = corp()
    signed_in(idc, target)
    signed_in(idc, target)
    assert idc.calls.count("RegisterClient") == 1
    registration = json.loads(Path(target.registration_path).read_text())
    assert set(registration) == {"clientId", "clientSecret", "expiresAt", "scopes"}
    assert registration["scopes"] == ["sso:account:access"]
    # The CLI re-registers a client whose secret expires within 15 minutes.
    soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 600))
    registration["expiresAt"] = soon
    Path(target.registration_path).write_text(json.dumps(registration))
    signed_in(idc, target)
    assert idc.calls.count("RegisterClient") == 2


def test_slow_down_adds_to_the_interval(idc, profiles):
    idc.slow_downs = 1
    login = sso.DeviceLogin(corp(), timeout=5, slow_down_delay=0.4).start()
    pending(login, polls=3)
    assert login.interval == pytest.approx(0.4)
    polls = next(iter(idc.authorizations.values())).polls
    assert polls[1] - polls[0] >= 0.35  # the wait after slow_down
    login.cancel()
    assert login.wait(2)


def test_an_unapproved_code_expires_and_writes_nothing(idc, profiles):
    idc.device_expires_in = 1
    login = sso.DeviceLogin(corp(), timeout=5).start()
    assert login.wait(5)
    assert login.status == "expired" and "expired" in login.message
    assert not os.path.exists(corp().cache_path)


def test_a_denied_request_writes_nothing(idc, profiles):
    login = sso.DeviceLogin(corp(), timeout=5).start()
    pending(login)
    assert idc.deny(login.user_code)
    assert login.wait(5) and login.status == "denied"
    assert not os.path.exists(corp().cache_path)


def test_cancel_stops_polling_at_once(idc, profiles):
    idc.interval = 30  # a real interval: cancel must not wait for it
    login = sso.DeviceLogin(corp(), timeout=5).start()
    wait_for(lambda: login.status == "pending")
    started = time.monotonic()
    login.cancel()
    assert login.wait(10) and time.monotonic() - started < 8  # not the 30 s interval
    assert login.status == "cancelled"
    assert idc.calls.count("CreateToken") == 0
    assert not os.path.exists(corp().cache_path)


def test_every_call_is_bounded_by_the_timeout(profiles, hanging_server):
    with open(profiles.config, "a") as handle:
        handle.write(SSO_CONFIG)
    profiles.setenv("AWS_ENDPOINT_URL_SSO_OIDC", hanging_server.url)
    login = sso.DeviceLogin(corp(), timeout=0.5).start()
    started = time.monotonic()
    assert login.wait(5)
    assert time.monotonic() - started < 8  # one bounded call, not botocore's 60 s
    assert login.status == "failed" and "ReadTimeoutError" in login.message


# --------------------------------------------------------------------------- using the token


def expire(target: sso.SsoTarget) -> None:
    path = Path(target.cache_path)
    token = json.loads(path.read_text())
    token["expiresAt"] = "2020-01-01T00:00:00Z"
    path.write_text(json.dumps(token))


def test_expired_token_is_refreshed_through_botocore(idc, profiles):
    target = corp()
    signed_in(idc, target)
    old = json.loads(Path(target.cache_path).read_text())["accessToken"]
    idc.expire_access_tokens()
    expire(target)
    assert sso.token_status(target).state == "refreshable"
    status = sso.ensure_login(target, timeout=5)
    assert status.state == "valid"
    token = json.loads(Path(target.cache_path).read_text())
    assert token["accessToken"] != old and token["accessToken"] in idc.access_tokens
    assert idc.calls[-1] == "CreateToken"
    # and botocore itself, from the rewritten cache
    arn = boto3.Session(profile_name="sso-a").client("sts").get_caller_identity()["Arn"]
    assert "AWSReservedSSO_AnalyticsReadOnly" in arn


def test_aws_use_refreshes_an_expired_sso_session_login(idc, ip):
    signed_in(idc, corp())
    expire(corp())
    ok(ip, "%aws_use sso-a --check")
    assert ip.user_ns["session"].profile_name == "sso-a"
    assert sso.token_status(corp()).state == "valid"


@pytest.mark.parametrize("setup", ["no login", "expired legacy"])
def test_aws_use_refuses_an_sso_profile_without_a_login(idc, ip, setup):
    profile = "sso-a"
    if setup == "expired legacy":
        profile = "legacy-sso"
        signed_in(idc, sso.target_for(profile))
        expire(sso.target_for(profile))
    ok(ip, "%aws_use dev")
    before = ip.user_ns["session"]
    calls = len(idc.calls)
    result, captured = run(ip, f"%aws_use {profile}")
    error = result.error_in_exec
    assert type(error) is UsageError
    assert f"%aws_sso_login {profile}" in str(error) and "\n" not in str(error)
    assert ip.user_ns["session"] is before
    assert boto3.DEFAULT_SESSION is before
    assert len(idc.calls) == calls  # decided from the cache, no network


def test_a_cell_runs_while_the_login_polls(idc, ip):
    with capture_output() as captured:
        ip.run_line_magic("aws_sso_login", "sso-a")
    assert "user_code=" in captured.stdout and "sso-session corp" in captured.stdout
    login = next(iter(ip.magics_manager.registry["AwsCredMagics"].state.sso_logins.values()))
    assert login.status == "pending"
    ok(ip, "x = 6 * 7")
    assert ip.user_ns["x"] == 42 and login.status == "pending" and not login.done
    assert idc.approve(login.user_code)
    assert login.wait(5) and login.status == "signed in"
    ok(ip, "%aws_use sso-a")


def test_accounts_and_a_session_for_another_role_without_config(idc, ip, profiles):
    signed_in(idc, corp())
    config_before = profiles.config.read_text()
    result, _ = ok(ip, "roles = %aws_sso_accounts sso-a")
    roles = ip.user_ns["roles"]
    assert list(roles.columns) == ["account_id", "account_name", "email", "role_name"]
    assert ("444444444444", "ReadOnly") in set(zip(roles.account_id, roles.role_name, strict=True))
    assert "2 accounts, 4 roles" in repr(roles)
    ok(ip, "%aws_use --sso-session corp --account 444444444444 --role ReadOnly --var ro --check")
    arn = ip.user_ns["ro"].client("sts").get_caller_identity()["Arn"]
    assert arn.startswith("arn:aws:sts::444444444444:assumed-role/AWSReservedSSO_ReadOnly")
    assert profiles.config.read_text() == config_before


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("--sso-session corp --account 12345 --role ReadOnly", "12-digit"),
        ("--sso-session corp --account 444444444444", "give all three"),
        ("sso-a --sso-session corp --account 444444444444 --role R", "not both"),
        ("--sso-session corp --account 444444444444 --role 'a b'", "not a valid role"),
        ("--sso-session nope --account 444444444444 --role ReadOnly", "No [sso-session nope]"),
        ("--sso-session corp --account 444444444444 --role ReadOnly", "%aws_sso_login"),
    ],
)
def test_aws_use_sso_role_refusals_change_nothing(idc, ip, line, fragment):
    ok(ip, "%aws_use dev")
    before = ip.user_ns["session"]
    calls = len(idc.calls)
    result, _ = run(ip, f"%aws_use {line}")
    assert type(result.error_in_exec) is UsageError
    assert fragment in str(result.error_in_exec)
    assert ip.user_ns["session"] is before and len(idc.calls) == calls


def test_logout_removes_what_login_wrote_and_nothing_else(idc, ip, profiles):
    directory = cache_dir(profiles)
    directory.mkdir(parents=True, exist_ok=True)
    other = directory / (hashlib.sha1(b"other-session").hexdigest() + ".json")
    other.write_text(json.dumps({"accessToken": "x", "expiresAt": "2099-01-01T00:00:00Z"}))
    unrelated = directory / "botocore-client-id-eu-west-1.json"
    unrelated.write_text("{}")
    before = {p.name: p.read_bytes() for p in directory.iterdir()}
    login = signed_in(idc, corp())
    token = json.loads(Path(corp().cache_path).read_text())["accessToken"]
    assert login.status == "signed in"
    _, captured = ok(ip, "%aws_sso_logout --sso-session corp")
    assert "signed out" in captured.stdout
    assert idc.logged_out == [token]
    after = {p.name: p.read_bytes() for p in directory.iterdir()}
    registration = Path(corp().registration_path).name
    assert set(after) == set(before) | {registration}  # the client registration stays, as the CLI's
    assert all(after[name] == data for name, data in before.items())
    assert sso.token_status(corp()).state == "no login"


def test_status_in_profiles_and_chain(idc, ip):
    _, captured = ok(ip, "frame = %aws_profiles")
    detail = ip.user_ns["frame"].set_index("profile").loc["sso-a", "detail"]
    assert detail.endswith("login no login")
    signed_in(idc, corp())
    ok(ip, "frame = %aws_profiles")
    detail = ip.user_ns["frame"].set_index("profile").loc["sso-a", "detail"]
    assert "login valid until" in detail
    expire(corp())
    ok(ip, "frame = %aws_profiles")
    assert ip.user_ns["frame"].set_index("profile").loc["sso-a", "detail"].endswith("refreshable")
    ok(ip, "chain = %aws_chain --profile sso-a")
    chain = ip.user_ns["chain"].set_index("method")
    assert "SSO login expired 2020-01-01 00:00 UTC, refreshable" in chain.loc["sso", "detail"]
    Path(corp().cache_path).unlink()
    ok(ip, "chain = %aws_chain --profile sso-a")
    detail = ip.user_ns["chain"].set_index("method").loc["sso", "detail"]
    assert "SSO login: no login (run %aws_sso_login sso-a" in detail


def test_no_token_or_secret_in_outputs_logs_or_reprs(idc, ip, profiles):
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    handler = Collect(level=logging.DEBUG)
    root = logging.getLogger("botocore")
    previous = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    texts = []
    try:
        with capture_output() as captured:
            ip.run_line_magic("aws_sso_login", "sso-a")
        login = next(iter(ip.magics_manager.registry["AwsCredMagics"].state.sso_logins.values()))
        pending(login)
        idc.approve(login.user_code)
        assert login.wait(5) and login.status == "signed in"
        texts += [captured.stdout, repr(login), login.message, str(sso.token_status(corp()))]
        expire(corp())
        for code in (
            "%aws_use sso-a --check",
            "%aws_sso_accounts",
            "%aws_profiles",
            "%aws_chain --profile sso-a",
            "%aws_use --sso-session corp --account 444444444444 --role ReadOnly --var ro",
            "%aws_sessions",
            "%aws_sso_logout --all",
            "%aws_use sso-a",
        ):
            result, captured = run(ip, code)
            texts += [
                captured.stdout,
                captured.stderr,
                str(result.result),
                str(result.error_in_exec),
            ]
            if result.result is not None:
                texts.append(str(ip.display_formatter.format(result.result)[0]))
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    secrets = server_secrets(idc)
    assert len(secrets) >= 6  # client secret, device code, two access and two refresh tokens
    blob = "\n".join(texts + records)
    assert any("x-amz-sso_bearer_token" in r or "CreateToken" in r for r in records)
    leaked = [s[:6] for s in secrets if s in blob or s[:24] in blob]
    assert leaked == []


# --------------------------------------------------------------------------- the panel


def test_panel_signs_in_lists_roles_and_applies_another_role(idc, ip):
    from aws_cred_magic.widget import CredentialPanel

    state = ip.magics_manager.registry["AwsCredMagics"].state
    panel = CredentialPanel(state)
    try:
        panel._profile.value = "dev"
        assert panel._sso.widget.layout.display == "none"  # not an SSO profile
        panel._profile.value = "sso-a"
        box = panel._sso
        assert box.widget.layout.display == "flex"
        assert "no login" in box._status.value and box._sign_in.description == "Sign in"
        box._sign_in.click()
        login = box.view.login
        pending(login)
        shown = box.view._html.value
        assert f"user_code={login.user_code}" in shown and login.user_code in shown
        assert "left" in shown  # the countdown
        assert idc.approve(login.user_code)
        assert login.wait(5) and login.status == "signed in"
        wait_for(lambda: box._sign_in.description == "Sign in again", what=lambda: "status")
        wait_for(lambda: len(box._roles.options) == 5, what=lambda: str(box._roles.options))
        box.roles_thread.join(5)
        assert box._roles.layout.display == "flex"
        # Apply with the profile's own role, then with another one from the dropdown.
        panel._apply.click()
        assert ip.user_ns["session"].profile_name == "sso-a", panel._message.value
        box._roles.value = "444444444444/PowerUser"
        panel._var.value = "power"
        panel._apply.click()
        record = state.records["power"]
        assert record.origin == "sso-session corp account 444444444444 role PowerUser"
        arn = ip.user_ns["power"].client("sts").get_caller_identity()["Arn"]
        assert arn.startswith("arn:aws:sts::444444444444:assumed-role/AWSReservedSSO_PowerUser")
        # Cancel in a second sign-in stops it
        box._sign_in.click()
        second = box.view.login
        pending(second)
        box.view._cancel.click()
        assert second.wait(5) and second.status == "cancelled"
        state_json = json.dumps([wd.get_state() for wd in _all_widgets(panel.widget)])
        assert [s[:6] for s in server_secrets(idc) if s in state_json] == []
    finally:
        panel.close()


def _all_widgets(root):
    from aws_cred_magic.widget import _widget_tree

    return _widget_tree(root)


def test_sso_login_api_shares_the_shell_state(idc, ip):
    import aws_cred_magic

    with capture_output() as captured:
        assert aws_cred_magic.sso_login(sso_session="corp") is None  # a terminal: text
    assert "user_code=" in captured.stdout and "sso-session corp" in captured.stdout
    state = ip.magics_manager.registry["AwsCredMagics"].state
    (login,) = state.sso_logins.values()
    assert idc.approve(login.user_code)
    assert login.wait(5) and login.status == "signed in"
    ok(ip, "%aws_use sso-a")
    # unloading cancels a sign-in still waiting
    with capture_output():
        aws_cred_magic.sso_login("sso-a")
    (pending_login,) = state.sso_logins.values()
    ip.run_line_magic("unload_ext", "aws_cred_magic")
    assert pending_login.wait(5) and pending_login.status == "cancelled"


def test_waiting_in_the_foreground_for_a_denied_sign_in_is_one_line_and_writes_nothing(
    idc, profiles
):
    """The terminal's wait (the pexpect tests in test_pty.py run it for real): denied is a
    one-line error, and neither the token nor a new client registration is cached."""
    shown = []

    def deny(login):
        shown.append(login.user_code)
        assert idc.deny(login.user_code)

    with pytest.raises(sso.AwsCredError) as error:
        sso.wait_in_foreground(sso.DeviceLogin(corp(), timeout=5), deny)
    assert str(error.value) == "Sign-in to sso-session corp was denied."
    assert len(shown) == 1 and idc.calls.count("RegisterClient") == 1
    assert not cache_dir(profiles).exists() or list(cache_dir(profiles).iterdir()) == []
    login = sso.wait_in_foreground(
        sso.DeviceLogin(corp(), timeout=5), lambda login: idc.approve(login.user_code)
    )
    assert login.status == "signed in"
    assert sorted(p.name for p in cache_dir(profiles).iterdir()) == sorted(
        [Path(corp().cache_path).name, Path(corp().registration_path).name]
    )
