"""The magics in a real, in-process IPython shell, through the real ``%`` syntax.

Every failure must be exactly ``UsageError`` with a one-line message, and must leave
``session`` and boto3's default session exactly as they were. STS is the moto server.
"""

from __future__ import annotations

import atexit
import datetime as dt
import getpass
import json
import os
import re
import shlex
import subprocess
import sys
import time

import boto3
import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from traitlets.config import Config

from aws_cred_magic.frames import ChainFrame, IdentitiesFrame, ProfilesFrame
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

MOTO_ARN = "arn:aws:sts::123456789012:user/moto"
LINE_MAGICS = {
    "aws_whoami",
    "aws_chain",
    "aws_profiles",
    "aws_use",
    "aws_keys",
    "aws_sessions",
    "aws_env",
    "aws_panel",
}
ENV_NAMES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
)


def masked(key: str) -> str:
    return "*" * 16 + key[-4:]


def new_shell(config: Config | None = None) -> InteractiveShell:
    config = config or Config()
    config.HistoryManager.hist_file = ":memory:"
    InteractiveShell.clear_instance()
    return InteractiveShell.instance(config=config)


@pytest.fixture
def make_ip(profiles):
    """Build a fresh shell with the extension loaded; unload and drop it afterwards."""
    env_before = set(os.environ)
    shells: list[InteractiveShell] = []

    def make(config: Config | None = None) -> InteractiveShell:
        shell = new_shell(config)
        shell.run_line_magic("load_ext", "aws_cred_magic")
        shells.append(shell)
        return shell

    yield make
    for shell in shells:
        if "aws_cred_magic" in shell.extension_manager.loaded:
            shell.run_line_magic("unload_ext", "aws_cred_magic")
        # Its exit hook resets the namespace with a gc.collect(): seconds over the suite.
        atexit.unregister(shell.atexit_operations)
    InteractiveShell.clear_instance()
    for name in set(os.environ) - env_before:
        if name.startswith("AWS_"):
            del os.environ[name]


@pytest.fixture
def ip(make_ip):
    return make_ip()


def run(ip: InteractiveShell, code: str):
    with capture_output() as captured:
        result = ip.run_cell(code, store_history=True)
    return result, captured


def ok(ip: InteractiveShell, code: str):
    result, captured = run(ip, code)
    assert result.error_before_exec is None and result.error_in_exec is None, (
        captured.stdout + captured.stderr
    )
    return result, captured


def formats(ip: InteractiveShell, obj) -> dict:
    """What the display hook sends to the front end for ``obj`` (every mimetype)."""
    data, _metadata = ip.display_formatter.format(obj)
    return data


def plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def usage_error(ip: InteractiveShell, code: str) -> str:
    """Run ``code``; it must fail with exactly UsageError and a one-line message."""
    result, captured = run(ip, code)
    error = result.error_in_exec
    assert type(error) is UsageError, (error, captured.stdout, captured.stderr)
    message = str(error)
    assert message and "\n" not in message
    assert captured.stderr.strip() == f"UsageError: {message}"
    assert "Traceback" not in captured.stdout + captured.stderr
    assert CANARY_SECRET not in message and CANARY_TOKEN not in message
    return message


def current(ip: InteractiveShell):
    return ip.user_ns.get("session"), boto3.DEFAULT_SESSION


def assert_unchanged(ip: InteractiveShell, before) -> None:
    now = current(ip)
    assert now[0] is before[0] and now[1] is before[1]


# --------------------------------------------------------------------------- loading


def test_load_ext_imports_neither_boto3_pandas_nor_ipywidgets(aws):
    code = """
import sys
from IPython.core.interactiveshell import InteractiveShell
ip = InteractiveShell.instance()
ip.run_line_magic("load_ext", "aws_cred_magic")
assert "aws_whoami" in ip.magics_manager.magics["line"]
assert "aws_profile" in ip.magics_manager.magics["cell"]
heavy = ("boto3", "botocore", "pandas", "ipywidgets")
print(sorted(name for name in heavy if name in sys.modules))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_unload_ext_undoes_everything(make_ip, sts):
    ip = make_ip()
    before = boto3.Session(region_name="sa-east-1")
    boto3.DEFAULT_SESSION = before
    magics = ip.magics_manager.registry["AwsCredMagics"]
    assert set(ip.magics_manager.magics["line"]) >= LINE_MAGICS
    assert "aws_profile" in ip.magics_manager.magics["cell"]
    assert magics in ip.configurables

    ok(ip, "%aws_use dev")
    ok(ip, "%aws_use analyst --var a")
    ok(ip, "%aws_use default --var keep")
    ok(ip, "keep = 42")
    os.environ["AWS_REGION"] = "ap-east-1"  # botocore ignores it; %aws_env must restore it
    ok(ip, "%aws_env")
    assert os.environ["AWS_ACCESS_KEY_ID"] == DEV_KEY_ID
    assert os.environ["AWS_REGION"] == os.environ["AWS_DEFAULT_REGION"] == "us-east-2"
    assert boto3.DEFAULT_SESSION is ip.user_ns["session"]

    ok(ip, "%unload_ext aws_cred_magic")
    assert not LINE_MAGICS & set(ip.magics_manager.magics["line"])
    assert "aws_profile" not in ip.magics_manager.magics["cell"]
    assert "AwsCredMagics" not in ip.magics_manager.registry
    assert magics not in ip.configurables
    assert boto3.DEFAULT_SESSION is before
    assert "session" not in ip.user_ns and "a" not in ip.user_ns
    assert ip.user_ns["keep"] == 42  # reassigned by the user: not ours to remove
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        assert name not in os.environ
    assert os.environ["AWS_REGION"] == "ap-east-1"
    assert "not found" in usage_error(ip, "%aws_whoami")

    ok(ip, "%load_ext aws_cred_magic")
    again = ip.magics_manager.registry["AwsCredMagics"]
    assert again is not magics and again.state.records == {}
    result, _ = ok(ip, "%aws_whoami --profile dev")
    assert result.result.arn == MOTO_ARN


def test_load_ext_twice_keeps_one_instance(ip):
    magics = ip.magics_manager.registry["AwsCredMagics"]
    ok(ip, "%aws_use dev")
    ok(ip, "%reload_ext aws_cred_magic")
    # reload unloads then loads: a fresh state, and boto3's default put back first
    assert ip.magics_manager.registry["AwsCredMagics"] is not magics
    assert boto3.DEFAULT_SESSION is None
    ip.extension_manager.load_extension("aws_cred_magic")  # already loaded: no-op
    assert ip.configurables.count(ip.magics_manager.registry["AwsCredMagics"]) == 1


# --------------------------------------------------------------------------- settings


def test_config_changes_the_variable_the_default_and_the_timeout(ip):
    magics = ip.magics_manager.registry["AwsCredMagics"]
    _, captured = ok(ip, "%config AwsCredMagics")
    for line in (
        "AwsCredMagics.session_var=<Unicode>",
        "    Current: 'session'",
        "AwsCredMagics.set_default_session=<Bool>",
        "AwsCredMagics.timeout=<Float>",
        "    Current: 5.0",
    ):
        assert line in captured.stdout.splitlines()

    ok(ip, "%config AwsCredMagics.session_var = 's'")
    _, captured = ok(ip, "%aws_use dev")
    assert captured.stdout.startswith("s = profile dev: ")
    assert "session" not in ip.user_ns
    assert ip.user_ns["s"].profile_name == "dev"
    assert boto3.DEFAULT_SESSION is ip.user_ns["s"]

    ok(ip, "%config AwsCredMagics.set_default_session = False")
    ok(ip, "%aws_use default")
    assert ip.user_ns["s"].profile_name == "default"
    assert boto3.DEFAULT_SESSION.profile_name == "dev"

    ok(ip, "%config AwsCredMagics.timeout = 1.5")
    assert magics.timeout == 1.5 and magics.state.timeout == 1.5


def test_config_given_before_loading_applies(make_ip):
    config = Config()
    config.AwsCredMagics.session_var = "boto"
    ip = make_ip(config)
    _, captured = ok(ip, "%aws_use dev")
    assert captured.stdout.startswith("boto = profile dev: ")
    assert ip.user_ns["boto"] is boto3.DEFAULT_SESSION


# --------------------------------------------------------------------------- help


def test_every_magic_documents_its_usage(ip):
    for name in LINE_MAGICS:
        doc = ip.find_line_magic(name).__doc__
        assert doc.startswith(f"::\n\n  %{name}"), name
    doc = ip.find_cell_magic("aws_profile").__doc__
    assert doc.startswith("::\n\n  %aws_profile [--region REGION] profile")


def test_question_mark_shows_the_help(ip):
    _, captured = ok(ip, "%aws_whoami?")
    assert "%aws_whoami [--profile PROFILE] [--var VAR] [--all] [--sessions]" in captured.stdout
    assert "Show who AWS says you are" in captured.stdout
    assert "--sessions, -s" in captured.stdout
    _, captured = ok(ip, "%aws_keys?")
    assert "%aws_keys [--region REGION] [--var VAR]" in captured.stdout


@pytest.mark.parametrize(
    "code, fragment",
    [
        ("%aws_use", "Name a profile"),
        ("%aws_whoami --bogus", "unrecognized arguments: --bogus"),
        ("%aws_profiles extra", "unrecognized arguments: extra"),
        ("%aws_chain --region", "expected one argument"),
        ("%aws_whoami --all --sessions", "--all and --sessions cannot be used together"),
        ("%aws_whoami --profile dev --var session", "--profile and --var cannot be used"),
        ("%aws_use dev --var 1bad", "'1bad' is not a Python variable name"),
        ("%aws_keys --var not-a-name", "is not a Python variable name"),
        ("%%aws_profile\nx = 1", "the following arguments are required: profile"),
    ],
)
def test_bad_arguments_are_usage_errors(ip, code, fragment):
    ok(ip, "%aws_use dev")
    before = current(ip)
    assert fragment in usage_error(ip, code)
    assert_unchanged(ip, before)


# --------------------------------------------------------------------------- %aws_whoami


def test_whoami_returns_and_renders_the_identity(ip, sts):
    ok(ip, "%aws_use dev")
    ok(ip, "ident = %aws_whoami")
    ident = ip.user_ns["ident"]
    assert isinstance(ident, Identity)
    assert (ident.account, ident.arn) == ("123456789012", MOTO_ARN)
    assert ident.access_key == masked(DEV_KEY_ID)
    assert (ident.method, ident.region, ident.profile) == (
        "shared-credentials-file",
        "us-east-2",
        "dev",
    )
    assert ident.source == "profile dev"
    result, captured = ok(ip, "%aws_whoami")
    assert isinstance(result.result, Identity)
    data = formats(ip, result.result)
    assert data["text/plain"] == repr(result.result)
    assert data["text/html"] == result.result._repr_html_()
    shown = re.sub(r"<[^>]+>", "", data["text/html"])  # the ARN breaks only at <wbr>
    assert MOTO_ARN in shown and "  Source      profile dev" in repr(ident)
    assert repr(result.result) in plain(captured.stdout)  # the terminal shows the text


def test_whoami_of_a_profile_or_a_named_session_switches_nothing(ip, sts):
    ok(ip, "%aws_use dev")
    ok(ip, "%aws_use default --var other")
    before = current(ip)
    result, _ = ok(ip, "%aws_whoami --profile analyst")
    assert result.result.arn.startswith("arn:aws:sts::111122223333:assumed-role/analyst/")
    assert result.result.method == "assume-role"
    assert result.result.source == "profile analyst"
    result, _ = ok(ip, "%aws_whoami --var other")
    assert result.result.access_key == masked(CANARY_KEY_ID)
    assert result.result.source == "profile default"
    assert_unchanged(ip, before)
    assert "No session named 'nope'" in usage_error(ip, "%aws_whoami --var nope")


def test_whoami_without_a_session_uses_boto3s_chain(ip, sts):
    result, _ = ok(ip, "%aws_whoami")
    assert result.result.access_key == masked(CANARY_KEY_ID)
    assert result.result.source == "boto3's default chain"
    assert current(ip) == (None, None)


def test_whoami_all_is_one_row_per_profile(ip, sts):
    result, captured = ok(ip, "%aws_whoami --all")
    frame = result.result
    assert isinstance(frame, IdentitiesFrame) and isinstance(frame, pd.DataFrame)
    assert list(frame["profile"]) == ["default", "analyst", "dev", "empty"]
    rows = frame.set_index("profile")
    assert rows.loc["default", "arn"] == MOTO_ARN
    assert rows.loc["dev", "access_key"] == masked(DEV_KEY_ID)
    assert rows.loc["analyst", "arn"].startswith("arn:aws:sts::111122223333:assumed-role/")
    assert rows.loc["empty", "error"].startswith("No credentials found")
    assert frame["error"].notna().sum() == 1
    summary = "GetCallerIdentity for every profile: 3 ok, 1 failed"
    assert frame.attrs["summary"] == summary
    html = frame._repr_html_()
    assert html.count("var(--jp-rendermime-error-background") == 1 and summary in html
    # The failed row shows its error across the row, not in an off-screen column.
    assert html.count("<div role='cell' class='aws-row-error'") == 1
    text = repr(frame)
    assert text.splitlines()[0] == summary and "NaN" not in text and "NaT" not in text
    failed = next(line for line in text.splitlines() if line.startswith("empty"))
    assert "No credentials found" in failed
    data = formats(ip, frame)
    assert data["text/html"] == html and data["text/plain"] == repr(frame)
    assert summary in captured.stdout


def test_whoami_sessions(ip, sts):
    assert "No named sessions yet" in usage_error(ip, "%aws_whoami --sessions")
    ok(ip, "%aws_use dev")
    ok(ip, "%aws_use analyst --var b")
    frame = ok(ip, "%aws_whoami --sessions")[0].result
    assert list(frame["session"]) == ["session", "b"]
    assert list(frame["access_key"])[0] == masked(DEV_KEY_ID)
    assert frame["arn"][1].startswith("arn:aws:sts::111122223333:assumed-role/analyst/")
    assert frame.attrs["summary"] == "GetCallerIdentity for every named session: 2 ok, 0 failed"


# --------------------------------------------------------------------------- STS failures


def _failure_world(aws, sts_auth) -> None:
    aws.write_credentials(
        f"""
        [dev]
        aws_access_key_id = {DEV_KEY_ID}
        aws_secret_access_key = {CANARY_SECRET}

        [real]
        aws_access_key_id = {sts_auth.access_key_id}
        aws_secret_access_key = {sts_auth.secret_access_key}

        [wrongsecret]
        aws_access_key_id = {sts_auth.access_key_id}
        aws_secret_access_key = {CANARY_SECRET}
        """
    )
    aws.write_config(
        """
        [profile dev]
        region = us-east-2

        [profile denied]
        role_arn = arn:aws:iam::123456789012:role/forbidden
        source_profile = real
        region = us-east-1
        """
    )


def test_sts_rejections_are_one_line_usage_errors(ip, aws, sts_auth):
    _failure_world(aws, sts_auth)
    ok(ip, "%aws_use dev")
    before = current(ip)
    result, _ = ok(ip, "%aws_whoami --profile real")
    assert result.result.arn == sts_auth.arn

    message = usage_error(ip, "%aws_whoami")
    assert message.startswith("InvalidClientTokenId: ")
    assert "AWS does not know this access key id" in message
    message = usage_error(ip, "%aws_whoami --profile wrongsecret")
    assert message.startswith("SignatureDoesNotMatch: ")
    assert "the secret access key does not match the key id" in message
    message = usage_error(ip, "%aws_whoami --profile denied")
    assert message.startswith("AccessDenied: ") and "sts:AssumeRole" in message
    assert sts_auth.secret_access_key not in message
    assert_unchanged(ip, before)


def test_use_check_refuses_rejected_keys_and_changes_nothing(ip, aws, sts_auth):
    _failure_world(aws, sts_auth)
    ok(ip, "%aws_use dev")
    before = current(ip)
    assert usage_error(ip, "%aws_use wrongsecret --check").startswith("SignatureDoesNotMatch")
    assert usage_error(ip, "%aws_use denied --check").startswith("AccessDenied")
    assert_unchanged(ip, before)
    _, captured = ok(ip, "%aws_use real --check --region eu-west-3")
    assert captured.stdout == (
        f"session = profile real: shared-credentials-file {masked(sts_auth.access_key_id)}, "
        "region eu-west-3\n"
    )
    assert ip.user_ns["session"] is not before[0]


@pytest.mark.parametrize("profile", ["dev", "analyst"])
def test_closed_port_is_a_usage_error(ip, profiles, profile):
    url = f"http://127.0.0.1:{free_port()}"
    profiles.setenv("AWS_ENDPOINT_URL", url)
    profiles.setenv("AWS_ENDPOINT_URL_STS", url)
    ok(ip, "%aws_use dev")
    before = current(ip)
    started = time.monotonic()
    message = usage_error(ip, f"%aws_whoami --profile {profile}")
    assert time.monotonic() - started < 6  # one quick failure, not botocore's retries
    assert message.startswith("EndpointConnectionError: ") and url in message
    assert_unchanged(ip, before)


@pytest.mark.parametrize("profile", ["dev", "analyst"])
def test_the_timeout_setting_bounds_a_silent_endpoint(ip, profiles, hanging_server, profile):
    profiles.setenv("AWS_ENDPOINT_URL", hanging_server.url)
    profiles.setenv("AWS_ENDPOINT_URL_STS", hanging_server.url)
    ok(ip, "%config AwsCredMagics.timeout = 0.3")
    started = time.monotonic()
    message = usage_error(ip, f"%aws_whoami --profile {profile}")
    assert time.monotonic() - started < 6  # the 0.3 s setting, not botocore's 60 s read timeout
    assert message.startswith("ReadTimeoutError: ")
    assert "in time" in message and hanging_server.url in message
    # One try (GetCallerIdentity, or the AssumeRole that fails first), never a retry.
    assert accepted_connections(hanging_server) == 1


def accepted_connections(server) -> int:
    """The connections that reached the silent server (they wait in its backlog)."""
    server.sock.settimeout(0.2)
    count = 0
    while True:
        try:
            connection, _ = server.sock.accept()
        except OSError:  # socket.timeout: the backlog is empty
            return count
        connection.close()
        count += 1


def test_expired_environment_keys(ip, aws, sts):
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)
    aws.setenv("AWS_ACCESS_KEY_ID", TEMP_KEY_ID)
    aws.setenv("AWS_SECRET_ACCESS_KEY", CANARY_SECRET)
    aws.setenv("AWS_SESSION_TOKEN", CANARY_TOKEN)
    aws.setenv("AWS_CREDENTIAL_EXPIRATION", past.strftime("%Y-%m-%dT%H:%M:%SZ"))
    message = usage_error(ip, "%aws_whoami")
    assert "expired" in message
    assert current(ip) == (None, None)


def test_expired_credential_process(ip, aws, sts):
    write_expired_process_profile(aws)
    assert "expired" in usage_error(ip, "%aws_whoami --profile proc")


def test_bad_profiles_and_files_are_usage_errors(ip, profiles, sts):
    ok(ip, "%aws_use dev")
    before = current(ip)
    message = usage_error(ip, "%aws_use nope")
    assert message.startswith("ProfileNotFound: ") and "(nope)" in message
    assert "gives no credentials" in usage_error(ip, "%aws_use empty")
    assert "ProfileNotFound" in usage_error(ip, "%aws_whoami --profile nope")
    assert_unchanged(ip, before)

    profiles.write_config("[profile dev\nregion = us-east-2\n")
    for code in ("%aws_use dev", "%aws_profiles", "%aws_whoami --all", "%aws_whoami -p dev"):
        message = usage_error(ip, code)
        assert str(profiles.config) in message, code
    assert_unchanged(ip, before)


def test_a_missing_aws_profile_is_a_usage_error(ip, profiles, sts):
    profiles.setenv("AWS_PROFILE", "gone")
    message = usage_error(ip, "%aws_whoami")
    assert message.startswith("ProfileNotFound: ") and "(gone)" in message


# --------------------------------------------------------------------------- %aws_chain


def test_chain_returns_a_styled_frame(ip):
    result, captured = ok(ip, "df = %aws_chain")
    frame = ip.user_ns["df"]
    assert frame is result.result or result.result is None
    assert isinstance(frame, ChainFrame) and isinstance(frame, pd.DataFrame)
    winner = frame[frame.status == "winner"]
    assert isinstance(winner, ChainFrame)
    assert list(winner["method"]) == ["shared-credentials-file"]
    assert list(winner["access_key"]) == [masked(CANARY_KEY_ID)]
    summary = frame.attrs["summary"]
    assert summary.startswith(f"shared-credentials-file wins with key {masked(CANARY_KEY_ID)}")
    html = frame._repr_html_()
    assert html.startswith("<div class='aws-cred-magic aws-chain'")
    assert "class='aws-row aws-winner' style='background:rgba(76,175,80,.2)" in html
    verdict = (
        f"Shared credentials file (shared-credentials-file) wins with key {masked(CANARY_KEY_ID)}"
    )
    assert verdict in html
    assert repr(frame).replace("\n  ", " ").startswith("✔ " + verdict)

    result, captured = ok(ip, "%aws_chain")
    data = formats(ip, result.result)
    assert data["text/html"] == result.result._repr_html_()
    assert data["text/plain"] == repr(result.result)
    assert verdict in captured.stdout.replace("\n  ", " ")


def test_chain_follows_the_current_session_and_profile_option(ip):
    ok(ip, "%aws_use dev")
    frame = ok(ip, "%aws_chain")[0].result
    assert frame.attrs["summary"].startswith(
        f"session = profile dev: shared-credentials-file wins with key {masked(DEV_KEY_ID)}"
    )
    frame = ok(ip, "%aws_chain --profile analyst")[0].result
    assert list(frame[frame.winner]["method"]) == ["assume-role"]
    frame = ok(ip, "%aws_chain --profile nope")[0].result
    errors = frame[frame.status == "error"]
    assert len(errors) == 1 and "ProfileNotFound" in errors["detail"].iloc[0]


def test_chain_probe_runs_the_credential_process(ip, aws):
    future = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).isoformat()
    document = {
        "Version": 1,
        "AccessKeyId": TEMP_KEY_ID,
        "SecretAccessKey": CANARY_SECRET,
        "SessionToken": CANARY_TOKEN,
        "Expiration": future,
    }
    script = aws.file("proc.py", f"print({json.dumps(json.dumps(document))})\n")
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"
    aws.write_config(f"[profile proc]\nregion = us-east-1\ncredential_process = {command}\n")
    frame = ok(ip, "%aws_chain --profile proc --probe")[0].result
    winner = frame[frame.winner]
    assert list(winner["method"]) == ["custom-process"]
    assert list(winner["access_key"]) == [masked(TEMP_KEY_ID)]
    assert frame.attrs["probed"] is True


# --------------------------------------------------------------------------- %aws_profiles


def test_profiles_table(ip, profiles):
    result, captured = ok(ip, "profiles = %aws_profiles")
    frame = ip.user_ns["profiles"]
    assert isinstance(frame, ProfilesFrame)
    assert list(frame["profile"]) == ["default", "analyst", "dev", "empty"]
    kinds = dict(zip(frame["profile"], frame["kind"], strict=True))
    assert kinds["default"] == "static keys" and kinds["analyst"] == "assume-role"
    assert list(frame["current"]) == [True, False, False, False]
    assert frame.attrs["summary"] == (
        f"4 profiles in {profiles.config} and {profiles.credentials}; default: default"
    )
    assert frame._repr_html_().count("background:rgba(76,175,80,.2)") == 1
    assert "NaN" not in repr(frame) and "NaN" not in frame._repr_html_()
    profiles.setenv("AWS_PROFILE", "dev")
    frame = ok(ip, "%aws_profiles")[0].result
    assert list(frame["current"]) == [False, False, True, False]


# --------------------------------------------------------------------------- %aws_use


def test_use_prints_one_line_and_injects_the_session(ip):
    result, captured = ok(ip, "%aws_use dev")
    assert result.result is None and captured.outputs == []
    assert captured.stdout == (
        f"session = profile dev: shared-credentials-file {masked(DEV_KEY_ID)}, region us-east-2\n"
    )
    session = ip.user_ns["session"]
    assert isinstance(session, boto3.Session) and session.profile_name == "dev"
    assert boto3.DEFAULT_SESSION is session
    _, captured = ok(ip, "%aws_use dev --region eu-central-1")
    assert captured.stdout.endswith(", region eu-central-1\n")
    assert ip.user_ns["session"].region_name == "eu-central-1"


def test_use_assume_role_calls_nothing_until_used(ip):
    # No endpoint is set: any call would go to real AWS and trip the loopback guard.
    _, captured = ok(ip, "%aws_use analyst")
    assert captured.stdout == (
        "session = profile analyst: assume-role (key fetched on first use), region eu-west-1\n"
    )


def test_use_var_keeps_the_main_session(ip):
    ok(ip, "%aws_use dev")
    before = current(ip)
    _, captured = ok(ip, "%aws_use default --var s_a")
    assert captured.stdout.startswith("s_a = profile default: shared-credentials-file ")
    assert ip.user_ns["s_a"].profile_name == "default"
    assert_unchanged(ip, before)


# --------------------------------------------------------------------------- %aws_keys


class Prompts:
    """Answers for getpass.getpass, and the prompts it was asked."""

    def __init__(self) -> None:
        self.answers: list[str] = []
        self.asked: list[str] = []

    def __call__(self, prompt: str = "Password: ", stream=None) -> str:
        self.asked.append(prompt)
        return self.answers.pop(0)


@pytest.fixture
def prompts(monkeypatch) -> Prompts:
    fake = Prompts()
    monkeypatch.setattr(getpass, "getpass", fake)
    return fake


def frozen(session):
    creds = session.get_credentials().get_frozen_credentials()
    return creds.access_key, creds.secret_key, creds.token


def test_keys_prompts_three_times(ip, prompts):
    prompts.answers = [CANARY_KEY_ID, CANARY_SECRET, ""]
    _, captured = ok(ip, "%aws_keys")
    assert prompts.asked == [
        "AWS access key id (or paste the whole block): ",
        "AWS secret access key: ",
        "AWS session token (Enter if none): ",
    ]
    assert captured.stdout == (
        f"session = keys entered with %aws_keys: explicit {masked(CANARY_KEY_ID)}, "
        "region us-east-1\n"
    )
    assert frozen(ip.user_ns["session"]) == (CANARY_KEY_ID, CANARY_SECRET, None)
    assert boto3.DEFAULT_SESSION is ip.user_ns["session"]


def test_keys_temporary_asks_for_the_token_and_keeps_the_region(ip, prompts):
    ok(ip, "%aws_use dev")
    prompts.answers = [TEMP_KEY_ID, CANARY_SECRET, CANARY_TOKEN]
    _, captured = ok(ip, "%aws_keys")
    assert prompts.asked[-1] == "AWS session token: "
    assert frozen(ip.user_ns["session"]) == (TEMP_KEY_ID, CANARY_SECRET, CANARY_TOKEN)
    assert ip.user_ns["session"].region_name == "us-east-2"
    assert captured.stdout.endswith(
        f"explicit {masked(TEMP_KEY_ID)}, region us-east-2, temporary, expiry unknown\n"
    )


BASH = (
    f'export AWS_ACCESS_KEY_ID="{TEMP_KEY_ID}"\n'
    f'export AWS_SECRET_ACCESS_KEY="{CANARY_SECRET}"\n'
    f'export AWS_SESSION_TOKEN="{CANARY_TOKEN}"\n'
)
PASTES = {
    "bash": BASH,
    "joined": " ".join(BASH.splitlines()),
    "windows": BASH.replace("export ", "set ").replace('"', ""),
    "powershell": BASH.replace("export ", "$Env:"),
    "ini": (
        "[123456789012_PowerUser]\n"
        f"aws_access_key_id = {TEMP_KEY_ID}\n"
        f"aws_secret_access_key = {CANARY_SECRET}\n"
        f"aws_session_token = {CANARY_TOKEN}\n"
    ),
}


@pytest.mark.parametrize("text", PASTES.values(), ids=list(PASTES))
def test_keys_accepts_a_pasted_block_at_the_first_prompt(ip, prompts, text):
    prompts.answers = [text]
    _, captured = ok(ip, "%aws_keys --region ap-south-1 --var portal")
    assert len(prompts.asked) == 1
    session = ip.user_ns["portal"]
    assert frozen(session) == (TEMP_KEY_ID, CANARY_SECRET, CANARY_TOKEN)
    assert session.region_name == "ap-south-1"
    assert captured.stdout == (
        f"portal = keys entered with %aws_keys: explicit {masked(TEMP_KEY_ID)}, region ap-south-1"
        ", temporary, expiry unknown\n"
    )
    assert "session" not in ip.user_ns and boto3.DEFAULT_SESSION is None


def test_keys_region_from_the_block(ip, prompts):
    prompts.answers = [BASH + "export AWS_DEFAULT_REGION=ca-central-1\n"]
    ok(ip, "%aws_keys")
    assert ip.user_ns["session"].region_name == "ca-central-1"


@pytest.mark.parametrize(
    "answers, asked, fragment",
    [
        (["AKIA-typo"], 1, "access key id is not valid"),
        ([""], 1, "access key id is empty"),
        ([CANARY_SECRET], 1, "access key id is not valid"),
        ([CANARY_KEY_ID, CANARY_SECRET[:30], ""], 3, "secret access key is not valid"),
        ([TEMP_KEY_ID, CANARY_SECRET, ""], 3, "need their session token"),
        # An incomplete block asks for its next line (hidden): a terminal pastes line by line.
        ([BASH.replace(CANARY_SECRET, ""), ""], 2, "secret access key is empty"),
        (["aws_access_key_id = nothing-useful", ""], 2, "access key id is not valid"),
    ],
)
def test_keys_refuses_bad_input_and_changes_nothing(ip, prompts, answers, asked, fragment):
    ok(ip, "%aws_use dev")
    before = current(ip)
    prompts.answers = answers
    assert fragment in usage_error(ip, "%aws_keys")
    assert len(prompts.asked) == asked
    assert_unchanged(ip, before)


# --------------------------------------------------------------------------- %%aws_profile


CELL = """\
import boto3
inner = (session.profile_name, boto3.DEFAULT_SESSION is session, session.region_name)
ident = %aws_whoami
"""


def test_cell_runs_as_the_profile_then_restores(ip, sts):
    ok(ip, "%aws_use default")
    before = current(ip)
    ok(ip, "%%aws_profile dev\n" + CELL)
    assert ip.user_ns["inner"] == ("dev", True, "us-east-2")
    ident = ip.user_ns["ident"]
    assert ident.profile == "dev" and ident.access_key == masked(DEV_KEY_ID)
    assert ident.source == "profile dev (this cell)"
    assert_unchanged(ip, before)
    assert ok(ip, "%aws_whoami")[0].result.profile == "default"

    ok(ip, "%%aws_profile dev --region eu-west-2\n" + CELL)
    assert ip.user_ns["inner"] == ("dev", True, "eu-west-2")
    assert_unchanged(ip, before)


def test_cell_restores_also_when_it_raises(ip):
    ok(ip, "%aws_use default")
    before = current(ip)
    result, captured = run(
        ip, "%%aws_profile dev\nseen = session.profile_name\nraise ValueError('boom')"
    )
    assert type(result.error_in_exec) is UsageError
    assert "'dev'" in str(result.error_in_exec) and "previous session is back" in str(
        result.error_in_exec
    )
    assert "ValueError: boom" in plain(captured.stdout + captured.stderr)
    assert ip.user_ns["seen"] == "dev"
    assert_unchanged(ip, before)


def test_cell_without_a_previous_session_leaves_none(ip):
    ok(ip, "%%aws_profile dev\nseen = session.profile_name")
    assert ip.user_ns["seen"] == "dev"
    assert current(ip) == (None, None)
    assert ip.magics_manager.registry["AwsCredMagics"].state.records == {}


def test_cell_with_an_unknown_profile_does_not_run(ip):
    ok(ip, "%aws_use dev")
    before = current(ip)
    assert "ProfileNotFound" in usage_error(ip, "%%aws_profile nope\nran = True")
    assert "ran" not in ip.user_ns
    assert_unchanged(ip, before)


# --------------------------------------------------------------------------- %aws_sessions


def test_sessions_table_and_drop(ip):
    frame = ok(ip, "%aws_sessions")[0].result
    assert len(frame) == 0
    assert frame.attrs["summary"] == (
        "0 named sessions; none is current: boto3's default chain is in use"
    )
    assert repr(frame).splitlines()[-1] == (
        "No named sessions yet: create one with %aws_use or %aws_keys."
    )
    assert "Empty" not in repr(frame) and "Empty" not in frame._repr_html_()
    ok(ip, "%aws_use dev")
    ok(ip, "%aws_use default --var b")
    result, captured = ok(ip, "%aws_sessions")
    frame = result.result
    assert isinstance(frame, pd.DataFrame)
    assert frame[["name", "origin", "access_key", "region", "current"]].to_dict("list") == {
        "name": ["session", "b"],
        "origin": ["profile dev", "profile default"],
        "access_key": [masked(DEV_KEY_ID), masked(CANARY_KEY_ID)],
        "region": ["us-east-2", "us-east-1"],
        "current": [True, False],
    }
    data = formats(ip, frame)
    assert masked(DEV_KEY_ID) in data["text/html"] and masked(DEV_KEY_ID) in data["text/plain"]
    assert "2 named sessions; current: session" in captured.stdout

    _, captured = ok(ip, "%aws_sessions --drop b")
    assert captured.stdout == "dropped session 'b'\n"
    assert "b" not in ip.user_ns
    assert "No session named 'b'" in usage_error(ip, "%aws_sessions --drop b")
    ok(ip, "%aws_sessions --drop session")
    assert current(ip) == (None, None)


# --------------------------------------------------------------------------- %aws_env


def test_env_exports_and_unsets(ip, aws):
    ok(ip, "%aws_use dev")
    os.environ["AWS_REGION"] = "ap-east-1"
    os.environ["AWS_SECURITY_TOKEN"] = "stale-token-from-earlier"
    _, captured = ok(ip, "%aws_env")
    assert captured.stdout == (
        "exported AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, AWS_REGION "
        f"(key {masked(DEV_KEY_ID)}) for shell commands and subprocesses; "
        "%aws_env --unset removes them\n"
    )
    assert os.environ["AWS_ACCESS_KEY_ID"] == DEV_KEY_ID
    assert os.environ["AWS_SECRET_ACCESS_KEY"] == CANARY_SECRET
    assert os.environ["AWS_REGION"] == os.environ["AWS_DEFAULT_REGION"] == "us-east-2"
    assert "AWS_SECURITY_TOKEN" not in os.environ and "AWS_SESSION_TOKEN" not in os.environ
    seen = subprocess.run(
        [sys.executable, "-c", "import os; print(os.environ['AWS_ACCESS_KEY_ID'])"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert seen.stdout.strip() == DEV_KEY_ID

    _, captured = ok(ip, "%aws_env --unset")
    assert captured.stdout.startswith("removed AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        assert name not in os.environ
    assert os.environ["AWS_REGION"] == "ap-east-1"
    assert os.environ["AWS_SECURITY_TOKEN"] == "stale-token-from-earlier"
    _, captured = ok(ip, "%aws_env --unset")
    assert captured.stdout == "nothing to unset: %aws_env has not exported anything\n"


def test_env_exports_the_token_of_a_named_session(ip, prompts):
    prompts.answers = [BASH]
    ok(ip, "%aws_keys --var temp --region us-west-1")
    ok(ip, "%aws_env --var temp")
    assert os.environ["AWS_ACCESS_KEY_ID"] == TEMP_KEY_ID
    assert os.environ["AWS_SESSION_TOKEN"] == os.environ["AWS_SECURITY_TOKEN"] == CANARY_TOKEN
    assert os.environ["AWS_REGION"] == "us-west-1"


def test_env_leaves_the_region_of_other_sessions_alone(ip):
    ok(ip, "%aws_use dev")
    ok(ip, "%aws_use default --var b")
    ok(ip, "%aws_env")
    assert os.environ["AWS_DEFAULT_REGION"] == "us-east-2"
    assert ip.user_ns["b"].region_name == "us-east-1"
    assert ip.user_ns["session"].region_name == "us-east-2"


def test_env_without_credentials_is_a_usage_error(ip, aws):
    aws.write_credentials("")
    aws.write_config("")
    message = usage_error(ip, "%aws_env")
    assert message.startswith("NoCredentialsError: ")
    assert "AWS_ACCESS_KEY_ID" not in os.environ
    assert "No session named 'x'" in usage_error(ip, "%aws_env --var x")


def test_keys_reads_a_block_pasted_line_by_line_without_leaving_lines_behind(ip, prompts):
    """A terminal hands a pasted block to getpass one line at a time: every line is read at a
    hidden prompt, so none is left for the IPython prompt (and its history)."""
    lines = BASH.strip().splitlines()
    prompts.answers = list(lines) + ["print('next cell')"]
    result = ip.run_cell("%aws_keys --var pasted_lines")
    assert result.error_in_exec is None
    assert prompts.answers == ["print('next cell')"]  # nothing more was read than the block
    frozen = ip.user_ns["pasted_lines"].get_credentials().get_frozen_credentials()
    assert frozen.secret_key == CANARY_SECRET and frozen.token == CANARY_TOKEN
