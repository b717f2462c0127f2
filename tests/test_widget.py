"""The credentials panel, headless: a real InteractiveShell, real widgets, STS on moto.

Every test sets widget values and clicks buttons the way the browser's comm messages would,
then checks what the user would see (the status line, the message line, the options) and what
the code sees (``session`` in the namespace, ``boto3.DEFAULT_SESSION``, ``%aws_whoami``).
Secret fields are checked at two levels: the Python value of each field, and the serialised
state of every widget of the panel (what Jupyter saves into the notebook).
"""

from __future__ import annotations

import atexit
import datetime as dt
import getpass
import json
import threading
import time

import boto3
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

import aws_cred_magic
from aws_cred_magic.model import Identity
from aws_cred_magic.widget import EXPIRY_WARNING_MINUTES, status_for, status_html

from .conftest import CANARY_KEY_ID, CANARY_SECRET, CANARY_TOKEN, TEMP_KEY_ID, free_port

ACCOUNT = "123456789012"
MOTO_USER_ARN = f"arn:aws:sts::{ACCOUNT}:user/moto"  # moto's answer for keys it never issued
DEV_KEY = "AKIATESTDEVKEY000011"
DEV_SECRET = "devSecretDEVsecretDevSecret0000000000011"
OTHER_KEY = "AKIATESTOTHERKEY0022"
OTHER_SECRET = "otherSecretOTHERsecretOtherSecret0000022"
MFA_CODE = "654321"
SECRETS = (CANARY_SECRET, CANARY_TOKEN, DEV_SECRET, OTHER_SECRET, MFA_CODE)

CREDENTIALS = f"""\
    [default]
    aws_access_key_id = {DEV_KEY}
    aws_secret_access_key = {DEV_SECRET}

    [dev]
    aws_access_key_id = {DEV_KEY}
    aws_secret_access_key = {DEV_SECRET}

    [other]
    aws_access_key_id = {OTHER_KEY}
    aws_secret_access_key = {OTHER_SECRET}
    """

CONFIG = f"""\
    [default]
    region = us-east-2

    [profile dev]
    region = eu-central-1

    [profile other]
    region = us-west-2

    [profile analyst-role]
    role_arn = arn:aws:iam::{ACCOUNT}:role/analyst-role
    source_profile = dev
    region = eu-west-1

    [profile admin-mfa]
    role_arn = arn:aws:iam::{ACCOUNT}:role/admin-mfa
    source_profile = dev
    mfa_serial = arn:aws:iam::{ACCOUNT}:mfa/dev
    region = eu-west-1

    [profile chained-mfa]
    role_arn = arn:aws:iam::{ACCOUNT}:role/chained
    source_profile = admin-mfa
    region = eu-west-1

    [profile broken]
    role_arn = arn:aws:iam::{ACCOUNT}:role/nowhere
    source_profile = does-not-exist
    region = eu-west-1

    [profile no-region]
    aws_access_key_id = {OTHER_KEY}
    aws_secret_access_key = {OTHER_SECRET}
    """

PORTAL_BLOCK = (
    f'export AWS_ACCESS_KEY_ID="{TEMP_KEY_ID}"\n'
    f'export AWS_SECRET_ACCESS_KEY="{CANARY_SECRET}"\n'
    f'export AWS_SESSION_TOKEN="{CANARY_TOKEN}"\n'
)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def ip(sts, aws):
    """A fresh InteractiveShell with the extension loaded the way users load it."""
    aws.write_credentials(CREDENTIALS)
    aws.write_config(CONFIG)
    config = Config()
    config.HistoryManager.hist_file = ":memory:"  # no sqlite file left in the temp HOME
    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance(config=config)
    shell.run_line_magic("load_ext", "aws_cred_magic")
    panels: list = []
    shell.test_panels = panels  # panels made by the test, closed in teardown
    yield shell
    for panel in panels:
        join(panel)
        panel.close()
    shell.run_line_magic("unload_ext", "aws_cred_magic")
    atexit.unregister(shell.atexit_operations)  # its exit hook would touch a gone HOME
    InteractiveShell.clear_instance()


_REAL_GETPASS = getpass.getpass


@pytest.fixture
def no_prompt(monkeypatch):
    """Record and refuse any prompt: getpass itself and botocore's assume-role default
    prompter (bound to getpass.getpass when botocore was imported)."""
    from botocore.credentials import AssumeRoleProvider

    calls: list[str] = []

    def refuse(prompt: str = "", *args, **kwargs) -> str:
        calls.append(prompt)
        raise AssertionError(f"getpass was called: {prompt!r}")

    monkeypatch.setattr(getpass, "getpass", refuse)
    init = AssumeRoleProvider.__init__
    defaults = tuple(refuse if v is _REAL_GETPASS else v for v in init.__defaults__)
    assert refuse in defaults, "botocore's assume-role provider no longer defaults to getpass"
    monkeypatch.setattr(init, "__defaults__", defaults)
    return calls


def make_panel(ip):
    """``%aws_panel`` through the real % syntax path."""
    result = ip.run_cell("%aws_panel")
    assert result.success, result.error_in_exec
    panel = result.result
    ip.test_panels.append(panel)
    return panel


def join(panel, timeout: float = 15.0) -> None:
    thread = panel.controller.check_thread
    if thread is not None:
        thread.join(timeout)
        assert not thread.is_alive(), "the identity check did not finish in time"


def apply(panel) -> None:
    panel._apply.click()
    join(panel)


def select_profile(panel, name: str) -> None:
    panel._tabs.selected_index = 0
    panel._profile.value = name


def all_widgets(root) -> list:
    """Every widget reachable from ``root``: children, layouts, styles (recursively)."""
    import ipywidgets

    seen: dict[str, ipywidgets.Widget] = {}

    def walk(value) -> None:
        if isinstance(value, ipywidgets.Widget):
            if value.model_id in seen:
                return
            seen[value.model_id] = value
            for key in value.keys:
                walk(getattr(value, key, None))
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk(root)
    return list(seen.values())


def saved_state(panel) -> str:
    """What a notebook would save for the panel: every widget's state, as JSON."""
    import ipywidgets
    from ipywidgets.embed import dependency_state

    state = {w.model_id: w.get_state() for w in all_widgets(panel.widget)}
    embedded = dependency_state(panel.widget)
    assert set(state) == set(embedded)  # both walks see the same widgets
    manager = ipywidgets.Widget.get_manager_state(widgets=all_widgets(panel.widget))
    return json.dumps([panel.widget.get_state(), state, embedded, manager], default=str)


def assert_no_secret(panel, *extra: str) -> None:
    for field in (panel._block, panel._key_id, panel._secret, panel._token, panel._mfa):
        assert field.value == "", f"{field.description} still holds a value"
    text = saved_state(panel)
    for secret in SECRETS + extra:
        assert secret not in text
    assert CANARY_KEY_ID not in text and TEMP_KEY_ID not in text  # not even the key id


def status_text(panel) -> str:
    return panel._status.value


# --------------------------------------------------------------------------- layout


def test_profiles_listed_with_kind_and_default_selected(ip):
    panel = make_panel(ip)
    labels = dict((value, label) for label, value in panel._profile.options)
    assert labels["dev"] == "dev  (static keys)"
    assert labels["analyst-role"] == "analyst-role  (assume-role)"
    assert labels["admin-mfa"] == "admin-mfa  (assume-role)"
    assert list(labels)[0] == "default"
    assert panel._profile.value == "default"
    assert panel._region.value == "us-east-2"
    # A new panel says what boto3 uses now: the default chain, resolved without network.
    status = status_text(panel)
    assert (
        "boto3&#x27;s default chain: Shared credentials file (shared-credentials-file) wins"
        in status
    )
    assert "aws-status-info" in status
    assert panel._var.value == "session"
    assert panel._key_region.value == "" and panel._key_region.label == "(current region)"
    assert "aws-global" not in [value for _label, value in panel._region.options]


def test_region_dropdown_preselects_the_profile_region(ip):
    panel = make_panel(ip)
    regions = [value for _label, value in panel._region.options]
    assert "eu-central-1" in regions and "ap-southeast-2" in regions and regions[0] == ""
    select_profile(panel, "dev")
    assert panel._region.value == "eu-central-1"
    select_profile(panel, "other")
    assert panel._region.value == "us-west-2"
    select_profile(panel, "no-region")
    assert panel._region.value == ""
    # The preselected region is what Apply uses; another choice overrides it.
    select_profile(panel, "dev")
    apply(panel)
    assert ip.user_ns["session"].region_name == "eu-central-1"
    select_profile(panel, "other")
    panel._region.value = "ap-south-1"
    apply(panel)
    assert ip.user_ns["session"].region_name == "ap-south-1"
    assert ip.user_ns["session"].profile_name == "other"


def test_python_api_panel_is_the_same_state(ip):
    panel = aws_cred_magic.panel()
    ip.test_panels.append(panel)
    select_profile(panel, "dev")
    apply(panel)
    assert ip.user_ns["session"].profile_name == "dev"
    magics = ip.magics_manager.registry["AwsCredMagics"]
    assert panel.controller.state is magics.state
    with pytest.raises(UsageError):
        ip.run_line_magic("aws_panel", "extra")


# --------------------------------------------------------------------------- Apply a profile


def test_apply_static_profile_injects_session_and_default(ip):
    panel = make_panel(ip)
    select_profile(panel, "dev")
    apply(panel)
    session = ip.user_ns["session"]
    assert isinstance(session, boto3.Session)
    assert session.profile_name == "dev"
    assert boto3.DEFAULT_SESSION is session
    assert "session = profile dev" in status_text(panel)
    status = status_text(panel)
    assert "aws-status-ok" in status
    assert MOTO_USER_ARN in status
    assert f"account {ACCOUNT}" in status
    assert "shared-credentials-file" in status
    assert "*" * 16 + DEV_KEY[-4:] in status
    assert "region eu-central-1" in status
    assert "expires never" in status
    # %aws_whoami sees what the panel applied.
    identity = ip.run_line_magic("aws_whoami", "")
    assert identity.arn == MOTO_USER_ARN and identity.profile == "dev"
    assert_no_secret(panel)


def test_apply_assume_role_profile_status_shows_role_and_expiry(ip):
    panel = make_panel(ip)
    select_profile(panel, "analyst-role")
    apply(panel)
    status = status_text(panel)
    assert "aws-status-ok" in status, status
    assert f"arn:aws:sts::{ACCOUNT}:assumed-role/analyst-role/" in status
    assert "· assume-role " in status
    assert "region eu-west-1" in status
    # moto issues one-hour credentials: an expiry with the time left, not "never".
    assert "expires never" not in status
    assert " UTC (in " in status and ("59 min" in status or "1 h 0 min" in status)
    assert ip.user_ns["session"].profile_name == "analyst-role"
    assert (
        boto3.client("sts")
        .get_caller_identity()["Arn"]
        .startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/analyst-role/")
    )


def test_session_name_other_than_session_keeps_boto3_default(ip):
    panel = make_panel(ip)
    select_profile(panel, "dev")
    apply(panel)
    dev_session = ip.user_ns["session"]
    select_profile(panel, "other")
    panel._var.value = "s_other"
    apply(panel)
    assert ip.user_ns["s_other"].profile_name == "other"
    assert ip.user_ns["session"] is dev_session
    assert boto3.DEFAULT_SESSION is dev_session
    assert "s_other = profile other" in status_text(panel)
    # The status line answers for the session just applied, and names it.
    status = status_text(panel)
    assert "aws-status-ok" in status and "s_other = profile other · " + MOTO_USER_ARN in status
    assert "*" * 16 + OTHER_KEY[-4:] in status and "region us-west-2" in status
    panel._var.value = "not a name"
    apply(panel)
    assert "not a Python variable name" in panel._message.value
    assert "not a name" not in ip.user_ns


# --------------------------------------------------------------------------- errors


def test_broken_role_and_unknown_profile_show_error_and_keep_session(ip, aws):
    panel = make_panel(ip)
    select_profile(panel, "dev")
    apply(panel)
    good = ip.user_ns["session"]
    good_status = status_text(panel)

    select_profile(panel, "broken")
    apply(panel)
    message = panel._message.value
    assert "aws-message-error" in message  # shown as an error
    assert "InvalidConfigError" in message and "does-not-exist" in message
    assert "Applied" not in message
    assert ip.user_ns["session"] is good and boto3.DEFAULT_SESSION is good
    assert status_text(panel) == good_status

    # The profile is deleted in a terminal after the panel listed it.
    aws.write_config(CONFIG.replace("[profile other]", "[profile renamed]"))
    aws.write_credentials(CREDENTIALS.replace("[other]", "[renamed]"))
    select_profile(panel, "other")
    apply(panel)
    assert "ProfileNotFound" in panel._message.value
    assert "other" in panel._message.value
    assert ip.user_ns["session"] is good and boto3.DEFAULT_SESSION is good
    assert ip.run_line_magic("aws_whoami", "").profile == "dev"
    assert_no_secret(panel)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"_key_id": "AKIA-too-short", "_secret": CANARY_SECRET}, "access key id is not valid"),
        ({"_key_id": CANARY_KEY_ID, "_secret": CANARY_SECRET[:-3]}, "secret access key is not"),
        ({"_key_id": TEMP_KEY_ID, "_secret": CANARY_SECRET}, "need their session token"),
        ({"_key_id": "", "_secret": CANARY_SECRET}, "access key id is empty"),
        ({"_block": "AWS_SECRET_ACCESS_KEY=" + CANARY_SECRET}, "No AWS_ACCESS_KEY_ID found"),
        (
            {"_key_id": TEMP_KEY_ID, "_secret": CANARY_SECRET, "_token": "short tok"},
            "session token is not valid",
        ),
    ],
)
def test_bad_keys_clear_message_fields_cleared_session_kept(ip, fields, expected):
    panel = make_panel(ip)
    select_profile(panel, "dev")
    apply(panel)
    good = ip.user_ns["session"]
    panel._tabs.selected_index = 1
    for name, value in fields.items():
        getattr(panel, name).value = value
    typed = [value for value in fields.values() if value]
    assert all(value in saved_state(panel) for value in typed)  # the scan sees typed values
    apply(panel)
    message = panel._message.value
    assert expected in message
    assert "aws-message-error" in message
    assert CANARY_SECRET not in message and CANARY_SECRET[:-3] not in message
    assert ip.user_ns["session"] is good and boto3.DEFAULT_SESSION is good
    assert_no_secret(panel)


# --------------------------------------------------------------------------- temporary keys


@pytest.mark.parametrize("joined", [False, True], ids=["lines", "one-line"])
def test_paste_portal_block(ip, joined):
    panel = make_panel(ip)
    panel._tabs.selected_index = 1
    block = PORTAL_BLOCK.replace("\n", " ") if joined else PORTAL_BLOCK
    panel._block.value = block
    panel._key_region.value = "eu-west-3"
    assert CANARY_TOKEN in saved_state(panel)
    apply(panel)
    session = ip.user_ns["session"]
    assert boto3.DEFAULT_SESSION is session
    frozen = session.get_credentials().get_frozen_credentials()
    assert (frozen.access_key, frozen.secret_key, frozen.token) == (
        TEMP_KEY_ID,
        CANARY_SECRET,
        CANARY_TOKEN,
    )
    assert session.region_name == "eu-west-3"
    assert "keys pasted in the panel" in status_text(panel)
    status = status_text(panel)
    assert MOTO_USER_ARN in status and "explicit" in status
    assert "*" * 16 + TEMP_KEY_ID[-4:] in status
    assert_no_secret(panel)


def test_three_key_fields_and_region_kept_from_current_session(ip):
    panel = make_panel(ip)
    select_profile(panel, "dev")  # eu-central-1
    apply(panel)
    panel._tabs.selected_index = 1
    panel._key_id.value = CANARY_KEY_ID
    panel._secret.value = CANARY_SECRET
    apply(panel)
    session = ip.user_ns["session"]
    assert session.get_credentials().get_frozen_credentials().access_key == CANARY_KEY_ID
    assert session.region_name == "eu-central-1"  # "(current region)"
    assert "*" * 16 + CANARY_KEY_ID[-4:] in status_text(panel)
    assert ip.run_line_magic("aws_whoami", "").arn == MOTO_USER_ARN
    assert_no_secret(panel)


# --------------------------------------------------------------------------- MFA


def test_mfa_field_shown_only_for_mfa_profiles(ip):
    panel = make_panel(ip)
    select_profile(panel, "dev")
    assert panel._mfa_box.layout.display == "none"
    select_profile(panel, "admin-mfa")
    assert panel._mfa_box.layout.display == "flex"
    select_profile(panel, "chained-mfa")  # its source role needs MFA
    assert panel._mfa_box.layout.display == "flex"
    select_profile(panel, "analyst-role")
    assert panel._mfa_box.layout.display == "none"


def test_mfa_role_without_code_is_refused(ip, no_prompt):
    panel = make_panel(ip)
    select_profile(panel, "dev")
    apply(panel)
    good = ip.user_ns["session"]
    select_profile(panel, "admin-mfa")
    apply(panel)
    assert "needs an MFA code" in panel._message.value
    panel._mfa.value = "12ab"
    apply(panel)
    assert "6 digits" in panel._message.value
    assert ip.user_ns["session"] is good
    assert no_prompt == []


@pytest.mark.parametrize(
    ("profile", "role"), [("admin-mfa", "admin-mfa"), ("chained-mfa", "chained")]
)
def test_mfa_role_applied_with_code(ip, no_prompt, profile, role):
    panel = make_panel(ip)
    select_profile(panel, profile)
    panel._mfa.value = MFA_CODE
    apply(panel)
    assert f"session = profile {profile}" in status_text(panel)
    status = status_text(panel)
    assert "aws-status-ok" in status, status
    assert f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/" in status
    assert no_prompt == []
    # The code reached botocore's provider, not getpass: the session keeps working.
    arn = boto3.client("sts").get_caller_identity()["Arn"]
    assert arn.startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/")
    assert no_prompt == []
    assert_no_secret(panel)


# --------------------------------------------------------------------------- refresh, chain


def test_refresh_picks_up_profile_added_later(ip, aws):
    panel = make_panel(ip)
    assert "late" not in [value for _label, value in panel._profile.options]
    with aws.config.open("a") as config:
        config.write(
            f"\n[profile late]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/late\n"
            "source_profile = dev\nregion = ap-northeast-1\n"
        )
    before = len(panel._profile.options)
    panel._refresh.click()
    options = dict(panel._profile.options)
    assert options["late  (assume-role)"] == "late"
    assert len(options) == before + 1
    assert f"{before + 1} profiles loaded" in panel._message.value
    select_profile(panel, "late")
    assert panel._region.value == "ap-northeast-1"
    apply(panel)
    assert "assumed-role/late/" in status_text(panel)
    # A malformed file is reported in the panel, not raised.
    aws.write_config("[profile oops\nregion = x\n")
    panel._refresh.click()
    assert "Cannot read the AWS configuration" in panel._message.value


def test_chain_toggle_shows_resolution_table(ip):
    panel = make_panel(ip)
    select_profile(panel, "dev")
    apply(panel)
    assert panel._chain.value == ""
    panel._show_chain.value = True
    chain = panel._chain.value
    assert "<table" in chain and "winner" in chain
    assert "(shared-credentials-file) wins with key " + "*" * 16 + DEV_KEY[-4:] in chain
    # Applying while the chain is shown refreshes it.
    select_profile(panel, "analyst-role")
    apply(panel)
    assert "(assume-role) wins" in panel._chain.value
    panel._show_chain.value = False
    assert panel._chain.value == ""
    assert DEV_SECRET not in chain


# --------------------------------------------------------------------------- shared state


def test_magic_switch_updates_panel_and_panel_switch_is_seen_by_magics(ip):
    panel = make_panel(ip)
    ip.run_cell("%aws_use analyst-role")
    join(panel)
    status = status_text(panel)
    assert "assumed-role/analyst-role/" in status and "aws-status-ok" in status
    assert ip.user_ns["session"].profile_name == "analyst-role"

    select_profile(panel, "other")
    apply(panel)
    assert ip.run_line_magic("aws_whoami", "").profile == "other"
    result = ip.run_cell("session.profile_name")
    assert result.result == "other"

    ip.run_cell("%aws_use dev")
    join(panel)
    assert "*" * 16 + DEV_KEY[-4:] in status_text(panel)
    assert "region eu-central-1" in status_text(panel)


def test_magic_switch_moves_dropdown_region_and_clears_the_old_message(ip):
    """magic -> panel: after %aws_use, the panel shows that profile and region, and no line
    of it still speaks of the panel's own earlier action."""
    panel = make_panel(ip)
    select_profile(panel, "dev")
    apply(panel)
    select_profile(panel, "broken")
    apply(panel)  # fails: an error in the message line
    assert "aws-message-error" in panel._message.value
    ip.run_cell("%aws_use other --region ap-south-1")
    join(panel)
    assert panel._profile.value == "other"
    assert panel._region.value == "ap-south-1"
    assert panel._message.value == ""
    status = status_text(panel)
    assert "session = profile other · " + MOTO_USER_ARN in status
    assert "region ap-south-1" in status and "aws-status-ok" in status
    assert panel._key_region.label == "(current region: ap-south-1)"
    # The API drives the same state: the panel follows it too.
    aws_cred_magic.use_profile("analyst-role")
    join(panel)
    assert panel._profile.value == "analyst-role" and panel._region.value == "eu-west-1"
    assert "assumed-role/analyst-role/" in status_text(panel)


def test_panel_switch_is_what_every_magic_reports(ip):
    """panel -> magic: Apply, then %aws_whoami, %aws_chain and %aws_sessions agree."""
    panel = make_panel(ip)
    select_profile(panel, "other")
    apply(panel)
    assert ip.run_line_magic("aws_whoami", "").profile == "other"
    chain = ip.run_line_magic("aws_chain", "")
    assert chain.attrs["context"] == "session = profile other"
    assert chain.attrs["profile"] == "other"
    sessions = ip.run_line_magic("aws_sessions", "")
    assert sessions.to_dict("list")["origin"] == ["profile other"]


def test_mfa_answered_in_a_magic_turns_the_panel_green(ip, monkeypatch):
    """A role waiting for its MFA code is a warning in the panel (its check would need a
    prompt); once %aws_whoami prompts and STS answers, the panel shows that identity."""
    panel = make_panel(ip)
    ip.run_cell("%aws_use admin-mfa")
    join(panel)
    status = status_text(panel)
    assert "aws-status-warning" in status and "waits for its MFA code" in status
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": MFA_CODE)
    from botocore.credentials import AssumeRoleProvider

    init = AssumeRoleProvider.__init__
    defaults = tuple(
        (lambda prompt="": MFA_CODE) if v is _REAL_GETPASS else v for v in init.__defaults__
    )
    monkeypatch.setattr(init, "__defaults__", defaults)
    ip.run_cell("%aws_use admin-mfa")  # rebuilt with the patched prompter
    join(panel)
    identity = ip.run_line_magic("aws_whoami", "")
    assert "assumed-role/admin-mfa/" in identity.arn
    status = status_text(panel)
    assert "aws-status-ok" in status and "assumed-role/admin-mfa/" in status


def test_dropping_the_session_clears_the_status(ip):
    panel = make_panel(ip)
    select_profile(panel, "dev")
    apply(panel)
    assert MOTO_USER_ARN in status_text(panel)
    ip.run_line_magic("aws_sessions", "--drop session")
    join(panel)
    assert "session" not in ip.user_ns
    status = status_text(panel)
    assert "default chain: " in status and MOTO_USER_ARN not in status
    assert "aws-status-ok" not in status


def test_empty_configuration_asks_for_a_profile(ip, aws):
    aws.write_config("")
    aws.write_credentials("")
    panel = make_panel(ip)
    assert panel._profile.options == ()
    apply(panel)
    assert "Pick a profile first." in panel._message.value
    assert "session" not in ip.user_ns


def test_close_closes_every_widget_and_stops_listening(ip):
    import ipywidgets

    panel = make_panel(ip)
    ids = {w.model_id for w in all_widgets(panel.widget)}
    assert len(ids) > 20
    assert ids <= set(ipywidgets.Widget.get_manager_state()["state"])
    panel.close()
    assert not ids & set(ipywidgets.Widget.get_manager_state()["state"])
    before = panel._status.value
    ip.run_cell("%aws_use dev")
    assert panel.controller.check_thread is None  # a closed panel no longer checks
    assert panel._status.value == before


def test_panel_opened_on_existing_session_checks_it(ip):
    ip.run_cell("%aws_use analyst-role")
    panel = make_panel(ip)
    assert panel._profile.value == "analyst-role"  # the current profile is preselected
    join(panel)
    assert "assumed-role/analyst-role/" in status_text(panel)


# --------------------------------------------------------------------------- failing checks


def test_identity_check_against_closed_port_shows_error(ip, aws):
    ip.run_line_magic("config", "AwsCredMagics.timeout = 1")
    aws.setenv("AWS_ENDPOINT_URL_STS", f"http://127.0.0.1:{free_port()}")
    panel = make_panel(ip)
    select_profile(panel, "dev")
    started = time.monotonic()
    apply(panel)
    assert time.monotonic() - started < 5
    status = status_text(panel)
    assert "aws-status-error" in status, status
    assert "identity check failed" in status and "EndpointConnectionError" in status
    # The switch itself happened; only the check failed, and it says so.
    assert ip.user_ns["session"].profile_name == "dev"


def test_identity_check_times_out_in_background(ip, aws, hanging_server):
    ip.run_line_magic("config", "AwsCredMagics.timeout = 1")
    aws.setenv("AWS_ENDPOINT_URL_STS", hanging_server.url)
    panel = make_panel(ip)
    select_profile(panel, "dev")
    started = time.monotonic()
    panel._apply.click()
    assert time.monotonic() - started < 1  # Apply does not wait for STS
    assert "checking identity" in status_text(panel)
    assert "aws-status-pending" in status_text(panel)
    thread = panel.controller.check_thread
    assert isinstance(thread, threading.Thread) and thread.is_alive()
    join(panel, timeout=10)
    elapsed = time.monotonic() - started
    status = status_text(panel)
    assert "aws-status-error" in status, status
    assert "timeout" in status.lower() or "no answer in time" in status
    assert elapsed < 6


def test_assume_role_check_is_bounded_too(ip, aws, hanging_server):
    """botocore's own AssumeRole call must respect the timeout as well."""
    ip.run_line_magic("config", "AwsCredMagics.timeout = 1")
    aws.setenv("AWS_ENDPOINT_URL_STS", hanging_server.url)
    panel = make_panel(ip)
    select_profile(panel, "analyst-role")
    started = time.monotonic()
    panel._apply.click()
    deadline = started + 8
    while "aws-status-pending" in status_text(panel) and time.monotonic() < deadline:
        time.sleep(0.05)
    status = status_text(panel)
    assert "aws-status-error" in status, status
    assert "identity check failed" in status
    assert time.monotonic() - started < 8


# --------------------------------------------------------------------------- expiry logic

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)


def identity(expires: dt.datetime | None) -> Identity:
    return Identity(
        account=ACCOUNT,
        arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/r/s",
        method="assume-role",
        access_key="*" * 16 + "ABCD",
        region="eu-west-1",
        expires=expires,
    )


def test_status_expiring_soon_is_a_warning():
    status = status_for(identity(NOW + dt.timedelta(minutes=5)), now=NOW)
    assert status.level == "warning"
    assert status.text.startswith("Expires soon: ")
    assert "(in 5 min)" in status.text
    assert "aws-status-warning" in status_html(status) and "⚠" in status_html(status)


def test_status_expired_is_an_error():
    status = status_for(identity(NOW - dt.timedelta(minutes=3)), now=NOW)
    assert status.level == "error"
    assert status.text.startswith("Expired: ")
    assert "(expired 3 min ago)" in status.text
    assert "aws-status-error" in status_html(status)


@pytest.mark.parametrize(
    "expires",
    [None, NOW + dt.timedelta(minutes=EXPIRY_WARNING_MINUTES + 1), NOW + dt.timedelta(hours=6)],
)
def test_status_ok(expires):
    status = status_for(identity(expires), now=NOW)
    assert status.level == "ok"
    assert not status.text.startswith(("Expires soon", "Expired"))
    assert f"account {ACCOUNT}" in status.text and "****************ABCD" in status.text
    assert "region eu-west-1" in status.text
    if expires is None:
        assert "expires never" in status.text
    html = status_html(status)
    assert "aws-status-ok" in html and "✔" in html


def test_status_html_escapes():
    status = status_for(
        Identity(arn="<script>", account="1", method="m", access_key="k", region=None), now=NOW
    )
    assert "<script>" not in status_html(status) and "&lt;script&gt;" in status_html(status)
    assert "region (none)" in status.text
