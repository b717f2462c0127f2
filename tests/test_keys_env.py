"""``%aws_keys --env``: pasted keys reach the process environment as ``%aws_use --env`` does.

In a real InteractiveShell: the keys (and their expiry, when the pasted block tells it) are
exported for subprocesses, the opt-in sticks for later switches, the environment as it was
comes back on turning it off and on unload; bad flags never reach the hidden prompt, a
refused block changes neither the environment nor the session, and no secret is printed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys

import boto3
import pytest

from . import test_magics
from .conftest import CANARY_KEY_ID, CANARY_SECRET, CANARY_TOKEN, TEMP_KEY_ID
from .test_magics import BASH, current, masked, ok, run, usage_error

make_ip = test_magics.make_ip
ip = test_magics.ip
prompts = test_magics.prompts

# What a subprocess sees: the key id, and digests of the secret and token (never the values).
SEEN = (
    "import hashlib, os\n"
    "digest = lambda n: hashlib.sha256(os.environ.get(n, '').encode()).hexdigest()[:12]\n"
    "print(os.environ.get('AWS_ACCESS_KEY_ID'), digest('AWS_SECRET_ACCESS_KEY'),"
    " digest('AWS_SESSION_TOKEN'), os.environ.get('AWS_CREDENTIAL_EXPIRATION'),"
    " os.environ.get('AWS_REGION'), os.environ.get('AWS_PROFILE'))\n"
)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def seen_by_a_subprocess() -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", SEEN], capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout.split()


def aws_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("AWS_")}


def no_secret(*texts: str) -> None:
    blob = "\n".join(texts)
    assert CANARY_SECRET not in blob and CANARY_TOKEN not in blob
    assert CANARY_SECRET[:16] not in blob and CANARY_TOKEN[-24:] not in blob


def test_keys_env_exports_pasted_keys_with_their_expiry_and_restores_on_switch_and_unload(
    ip, prompts
):
    os.environ["AWS_REGION"] = "ap-east-1"  # the user's own, before: comes back at the end
    before = aws_environment()
    expires = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=53)).replace(microsecond=0)
    stamp = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    prompts.answers = [BASH + f"export AWS_CREDENTIAL_EXPIRATION={stamp}\n"]
    _, captured = ok(ip, "%aws_keys --env --region us-west-1")
    assert len(prompts.asked) == 1
    lines = captured.stdout.splitlines()
    assert lines[0].startswith(
        f"session = keys entered with %aws_keys: explicit {masked(TEMP_KEY_ID)}"
    )
    assert lines[1].startswith(
        f"exported session (key {masked(TEMP_KEY_ID)}, expiring {stamp}) as AWS_ACCESS_KEY_ID"
    ), lines
    assert "AWS_CREDENTIAL_EXPIRATION" in lines[1]
    no_secret(captured.stdout, captured.stderr)
    assert seen_by_a_subprocess() == [
        TEMP_KEY_ID,
        digest(CANARY_SECRET),
        digest(CANARY_TOKEN),
        stamp,
        "us-west-1",
        "None",
    ]
    # botocore in the subprocess resolves them as environment keys.
    who = subprocess.run(
        [
            sys.executable,
            "-c",
            "import boto3; c = boto3.Session().get_credentials(); print(c.method, c.access_key)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert who == ["env", TEMP_KEY_ID]

    # Before each cell the export is checked; nothing moved, nothing is re-exported or said.
    _, captured = ok(ip, "x = 1")
    assert captured.stdout == captured.stderr == ""
    assert os.environ["AWS_ACCESS_KEY_ID"] == TEMP_KEY_ID

    # The opt-in sticks: other keys replace these (no stale token is left behind) ...
    prompts.answers = [CANARY_KEY_ID, CANARY_SECRET, ""]
    _, captured = ok(ip, "%aws_keys")
    assert seen_by_a_subprocess()[:4] == [CANARY_KEY_ID, digest(CANARY_SECRET), digest(""), "None"]
    no_secret(captured.stdout, captured.stderr)
    # ... and a profile session exports AWS_PROFILE, removing every key variable.
    _, captured = ok(ip, "%aws_use dev")
    # dev's own region, not the one the keys exported before (us-west-1)
    assert "region us-east-2" in captured.stdout
    assert seen_by_a_subprocess() == ["None", digest(""), digest(""), "None", "us-east-2", "dev"]
    ok(ip, "%aws_use analyst --var other")  # not exported, made while the export is on
    assert ip.user_ns["other"].region_name == "eu-west-1"
    assert ip.user_ns["session"].region_name == "us-east-2"
    ok(ip, "%unload_ext aws_cred_magic")
    assert aws_environment() == before


def test_keys_env_off_restores_and_pre_run_cell_warns_once_when_pasted_keys_expire(ip, prompts):
    before = aws_environment()
    expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    prompts.answers = [BASH + f"export AWS_CREDENTIAL_EXPIRATION={expires:%Y-%m-%dT%H:%M:%SZ}\n"]
    ok(ip, "%aws_keys --env")
    assert os.environ["AWS_SESSION_TOKEN"] == CANARY_TOKEN
    record = ip.magics_manager.registry["AwsCredMagics"].state.records["session"]
    record.expires = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)  # time passes
    _, captured = ok(ip, "x = 1")
    warning = captured.stderr.strip()
    assert warning.startswith("aws_cred_magic: could not refresh the exported credentials:")
    assert "expired at" in warning and "%aws_keys --env" in warning and "\n" not in warning
    _, captured = ok(ip, "x = 2")
    assert captured.stderr == ""  # said once
    _, captured = ok(ip, "%config AwsCredMagics.export_env = False")
    assert (
        captured.stdout.startswith("export off: restored ")
        and "AWS_SESSION_TOKEN" in captured.stdout
    )
    assert aws_environment() == before


def test_keys_env_for_another_variable_exports_the_current_session(ip, prompts):
    ok(ip, "%aws_use dev")
    prompts.answers = [BASH]
    _, captured = ok(ip, "%aws_keys --env --var portal")
    assert "note: --env exports the current session session, not portal" in captured.stdout
    assert os.environ["AWS_PROFILE"] == "dev" and "AWS_ACCESS_KEY_ID" not in os.environ
    assert ip.user_ns["portal"].get_credentials().access_key == TEMP_KEY_ID


@pytest.mark.parametrize(
    "line, fragment",
    [
        ("--env --region nowhere-1", "nowhere-1"),
        ("--env=yes", "--env"),
        ("--env --var 1bad", "1bad"),
        ("--env --var print", "print"),
        ("--env --bogus", "--bogus"),
    ],
)
def test_keys_env_bad_flags_never_prompt(ip, prompts, line, fragment):
    ok(ip, "%aws_use dev --env")
    before, env = current(ip), aws_environment()
    message = usage_error(ip, f"%aws_keys {line}")
    assert fragment in message
    assert prompts.asked == []
    assert current(ip) == before and aws_environment() == env


@pytest.mark.parametrize("export_on", [False, True], ids=["export-off", "export-on"])
@pytest.mark.parametrize(
    "answers, fragment",
    [
        (["AKIA-typo"], "access key id is not valid"),
        ([TEMP_KEY_ID, CANARY_SECRET, ""], "need their session token"),
        ([BASH + "export AWS_CREDENTIAL_EXPIRATION=2020-01-01T00:00:00Z\n"], "expired at"),
    ],
    ids=["bad-key-id", "no-token", "expired-block"],
)
def test_keys_env_refused_block_leaves_env_and_session_unchanged(
    ip, prompts, answers, fragment, export_on
):
    ok(ip, "%aws_use dev" + (" --env" if export_on else ""))
    magics = ip.magics_manager.registry["AwsCredMagics"]
    before, env = current(ip), aws_environment()
    prompts.answers = list(answers)
    result, captured = run(ip, "%aws_keys --env")
    assert fragment in str(result.error_in_exec)
    assert "\n" not in str(result.error_in_exec)
    no_secret(captured.stdout, captured.stderr, str(result.error_in_exec))
    assert current(ip) == before and aws_environment() == env
    assert magics.export_env is export_on
    assert boto3.DEFAULT_SESSION is before[1]


def test_keys_help_documents_env(ip):
    """``%aws_keys?`` is the magic's docstring and its argument list."""
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        ip.run_cell("%aws_keys?")
    shown = captured.stdout + "".join(str(o.data) for o in captured.outputs)
    assert "--env" in shown and "AWS_CREDENTIAL_EXPIRATION" in shown, shown[:500]
    assert "Also export it as AWS_*" in shown
