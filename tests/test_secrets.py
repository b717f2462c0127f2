"""Canary scans: the test secret and token go everywhere a user can put them (files, env,
prompts, pasted blocks, credential_process output and arguments), then every output is
searched for them: stdout/stderr, displayed reprs (text and HTML), returned objects,
exception text and tracebacks, IPython history, and botocore's and our logs at DEBUG.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import logging
import shlex
import subprocess
import sys
import traceback

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.lib.pretty import pretty
from IPython.utils.capture import capture_output

import aws_cred_magic
from aws_cred_magic import AwsCredError
from aws_cred_magic.keys import check_keys, keys_from_block

from .conftest import (
    CANARY_KEY_ID,
    CANARY_SECRET,
    CANARY_TOKEN,
    DEV_KEY_ID,
    TEMP_KEY_ID,
    shell_with_extension,
)

# Pieces that would betray a partial reveal too.
SECRET_PIECES = (CANARY_SECRET, CANARY_SECRET[:16], CANARY_SECRET[-16:])
TOKEN_PIECES = (CANARY_TOKEN, CANARY_TOKEN[:24], "CANARYTOKENcanarytoken")
KEY_IDS = (CANARY_KEY_ID, TEMP_KEY_ID, DEV_KEY_ID)

SERVER_SIDE = ("moto", "werkzeug")

BASH_BLOCK = (
    f'export AWS_ACCESS_KEY_ID="{TEMP_KEY_ID}"\n'
    f'export AWS_SECRET_ACCESS_KEY="{CANARY_SECRET}"\n'
    f'export AWS_SESSION_TOKEN="{CANARY_TOKEN}"\n'
)


def masked(key: str) -> str:
    return "*" * 16 + key[-4:]


class Witness:
    """Everything a person (or a log file) could see, gathered for one scan."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog
        self.texts: list[str] = []

    def add(self, *items: object) -> None:
        for item in items:
            self.texts.append(item if isinstance(item, str) else repr(item))

    def shown(self, ip: InteractiveShell, obj: object) -> None:
        """Every mimetype the display hook would send for ``obj``, plus str and pretty."""
        if obj is None:
            return
        data, metadata = ip.display_formatter.format(obj)
        self.texts += [str(value) for value in data.values()] + [repr(metadata)]
        self.add(str(obj), pretty(obj))
        if hasattr(obj, "to_dict"):
            self.add(obj.to_dict())
        if hasattr(obj, "to_html"):
            self.add(obj.to_html(), obj.to_string(), obj.attrs)

    def error(self, exc: BaseException | None) -> None:
        if exc is not None:
            self.add(str(exc), repr(exc), "".join(traceback.format_exception(exc)))

    def logs(self) -> str:
        """Every record of this process but the fake AWS's own (moto logs the requests it
        receives, as AWS would on its side)."""
        records = [r for r in self.caplog.records if not r.name.startswith(SERVER_SIDE)]
        handler = self.caplog.handler
        return "\n".join(handler.format(record) for record in records)

    def check(self, *, key_ids: bool = True) -> str:
        blob = "\n".join(self.texts) + "\n" + self.logs()
        for piece in SECRET_PIECES + TOKEN_PIECES:
            assert piece not in blob, f"leaked {piece[:6]}…"
        if key_ids:
            for key in KEY_IDS:
                assert key not in blob, f"unmasked key id {key[-4:]}"
        return blob


@pytest.fixture
def witness(caplog) -> Witness:
    caplog.set_level(logging.DEBUG)
    for name in ("botocore", "boto3", "urllib3", "aws_cred_magic"):
        caplog.set_level(logging.DEBUG, logger=name)
    return Witness(caplog)


def script(aws, name: str, body: str) -> str:
    path = aws.file(name, body)
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(path))}"


def canary_world(aws) -> None:
    """Canaries in the credentials file, in credential_process output, in its arguments
    and in its error output."""
    future = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).isoformat()
    document = {
        "Version": 1,
        "AccessKeyId": TEMP_KEY_ID,
        "SecretAccessKey": CANARY_SECRET,
        "SessionToken": CANARY_TOKEN,
        "Expiration": future,
    }
    good = script(aws, "good.py", f"print({json.dumps(json.dumps(document))})\n")
    leaky = script(
        aws,
        "leaky.py",
        "import sys\n"
        "sys.stderr.write('refused secret ' + sys.argv[1] + ' and token ' + sys.argv[2])\n"
        "sys.exit(1)\n",
    )
    aws.write_credentials(
        f"""
        [default]
        aws_access_key_id = {CANARY_KEY_ID}
        aws_secret_access_key = {CANARY_SECRET}

        [dev]
        aws_access_key_id = {DEV_KEY_ID}
        aws_secret_access_key = {CANARY_SECRET}

        [temp]
        aws_access_key_id = {TEMP_KEY_ID}
        aws_secret_access_key = {CANARY_SECRET}
        aws_session_token = {CANARY_TOKEN}
        """
    )
    aws.write_config(
        f"""
        [default]
        region = us-east-1

        [profile temp]
        region = us-east-1

        [profile goodproc]
        region = us-east-1
        credential_process = {good} {CANARY_SECRET}

        [profile leaky]
        region = us-east-1
        credential_process = {leaky} {CANARY_SECRET} {CANARY_TOKEN}
        """
    )


@pytest.fixture
def ip(aws):
    yield from shell_with_extension()


@pytest.fixture
def prompts(monkeypatch) -> list[str]:
    answers: list[str] = []
    monkeypatch.setattr(getpass, "getpass", lambda prompt="", stream=None: answers.pop(0))
    return answers


def tour(ip: InteractiveShell, witness: Witness, cells: list[tuple[str, list[str]]], answers):
    """Run each cell (with these getpass answers), gathering everything it shows."""
    errors = {}
    for code, typed in cells:
        answers[:] = typed
        with capture_output() as captured:
            result = ip.run_cell(code, store_history=True)
        assert answers == [], f"{code}: unused answers"
        witness.add(captured.stdout, captured.stderr)
        witness.shown(ip, result.result)
        witness.error(result.error_before_exec)
        witness.error(result.error_in_exec)
        errors[code.splitlines()[0]] = result.error_in_exec
    return errors


def history_and_namespace(ip: InteractiveShell, witness: Witness) -> None:
    manager = ip.history_manager
    witness.add(manager.input_hist_raw, manager.input_hist_parsed, manager.output_hist)
    manager.writeout_cache()
    witness.add(list(manager.get_range(raw=True, output=True)))
    witness.add(list(manager.get_range(raw=False, output=True)))
    for name in ("_ih", "In", "_oh", "Out", "_i", "_ii", "_iii", "_", "__", "___"):
        witness.add(ip.user_ns.get(name))
    for name, value in ip.user_ns.items():
        if type(value).__module__.split(".")[0] in ("aws_cred_magic", "boto3", "botocore"):
            witness.add(name, value)


# --------------------------------------------------------------------------- the magics


def test_every_magic_keeps_the_canaries_hidden(ip, aws, sts, witness, prompts):
    canary_world(aws)
    ok_cells = [
        ("%aws_profiles", []),
        ("%aws_chain", []),
        ("%aws_chain --profile temp", []),
        ("%aws_chain --profile goodproc --probe", []),
        ("%aws_chain --profile leaky --probe", []),
        ("%aws_use temp", []),
        ("%aws_use goodproc --var proc --check", []),
        ("ident = %aws_whoami", []),
        ("%aws_whoami", []),
        ("%aws_whoami --var proc", []),
        ("%aws_whoami --all", []),
        ("%aws_whoami --sessions", []),
        ("%aws_sessions", []),
        ("%aws_env", []),
        ("%aws_env --unset", []),
        ("%aws_keys --var typed", [TEMP_KEY_ID, CANARY_SECRET, CANARY_TOKEN]),
        ("%aws_keys --var portal --region eu-west-1", [BASH_BLOCK]),
        ("%aws_keys --var joined", [" ".join(BASH_BLOCK.splitlines())]),
        ("%aws_whoami --var typed", []),
        ("%%aws_profile temp\nident2 = %aws_whoami\nident2", []),
        ("import aws_cred_magic\nopts = aws_cred_magic.storage_options(session)\nopts", []),
        ("print(opts, [opts], f'{opts}')", []),
        ("ident.to_dict()", []),
    ]
    errors = tour(ip, witness, ok_cells, prompts)
    assert all(error is None for error in errors.values()), errors

    bad_cells = [
        ("%aws_use leaky", []),
        ("%aws_whoami --profile leaky", []),
        ("%aws_keys", [CANARY_SECRET]),  # the secret pasted at the key-id prompt
        ("%aws_keys", [CANARY_KEY_ID, CANARY_TOKEN, ""]),  # the token in the secret field
        ("%aws_keys", [CANARY_KEY_ID, CANARY_SECRET + "x", ""]),
        ("%aws_keys", [TEMP_KEY_ID, CANARY_SECRET, CANARY_TOKEN[:40] + " " + CANARY_TOKEN[40:]]),
        ("%aws_keys", [BASH_BLOCK.replace(TEMP_KEY_ID, CANARY_SECRET)]),
        ("%aws_keys", [BASH_BLOCK.replace(CANARY_SECRET, CANARY_SECRET[:-3])]),
    ]
    errors = tour(ip, witness, bad_cells, prompts)
    assert all(type(error).__name__ == "UsageError" for error in errors.values()), errors

    history_and_namespace(ip, witness)
    blob = witness.check()

    # The scan saw real data: masked keys, the injected session, and botocore's requests.
    assert masked(TEMP_KEY_ID) in blob and masked(CANARY_KEY_ID) in blob
    assert "<redacted>" in blob and "<hidden>" in blob
    assert ip.user_ns["ident"].arn == "arn:aws:sts::123456789012:user/moto"
    messages = [r.getMessage() for r in witness.caplog.records if r.name == "botocore.endpoint"]
    assert any(m.startswith("Sending http request") for m in messages)
    assert any("x-amz-security-token" in m.lower() for m in messages)


def test_rejected_canaries_stay_hidden(ip, aws, sts_auth, witness, prompts):
    canary_world(aws)
    aws.write_credentials(
        f"""
        [default]
        aws_access_key_id = {CANARY_KEY_ID}
        aws_secret_access_key = {CANARY_SECRET}

        [wrongsecret]
        aws_access_key_id = {sts_auth.access_key_id}
        aws_secret_access_key = {CANARY_SECRET}

        [temp]
        aws_access_key_id = {TEMP_KEY_ID}
        aws_secret_access_key = {CANARY_SECRET}
        aws_session_token = {CANARY_TOKEN}
        """
    )
    cells = [
        ("%aws_use temp --check", []),
        ("%aws_use wrongsecret --check", []),
        ("%aws_whoami", []),
        ("%aws_whoami --profile temp", []),
        ("%aws_keys --var k", [TEMP_KEY_ID, CANARY_SECRET, CANARY_TOKEN]),
        ("%aws_whoami --var k", []),
    ]
    errors = tour(ip, witness, cells, prompts)
    assert str(errors["%aws_use temp --check"]).startswith("InvalidClientTokenId")
    assert str(errors["%aws_use wrongsecret --check"]).startswith("SignatureDoesNotMatch")
    assert str(errors["%aws_whoami --var k"]).startswith("InvalidClientTokenId")
    history_and_namespace(ip, witness)
    witness.check()


def test_prompted_values_never_reach_the_history(ip, aws, prompts):
    canary_world(aws)
    prompts[:] = [TEMP_KEY_ID, CANARY_SECRET, CANARY_TOKEN]
    with capture_output():
        ip.run_cell("%aws_keys", store_history=True)
    prompts[:] = [BASH_BLOCK]
    with capture_output():
        ip.run_cell("%aws_keys --var portal", store_history=True)
    assert prompts == []
    manager = ip.history_manager
    manager.writeout_cache()
    assert manager.input_hist_raw[-2:] == ["%aws_keys", "%aws_keys --var portal"]
    stored = list(manager.get_range(raw=True, output=True))
    assert [entry[2][0] for entry in stored[-2:]] == ["%aws_keys", "%aws_keys --var portal"]
    everything = repr(
        (
            manager.input_hist_raw,
            manager.input_hist_parsed,
            manager.output_hist,
            stored,
            ip.user_ns["In"],
            ip.user_ns["Out"],
        )
    )
    for piece in SECRET_PIECES + TOKEN_PIECES + (TEMP_KEY_ID,):
        assert piece not in everything
    # ...and the keys did arrive where they belong.
    frozen = ip.user_ns["portal"].get_credentials().get_frozen_credentials()
    assert (frozen.secret_key, frozen.token) == (CANARY_SECRET, CANARY_TOKEN)


# --------------------------------------------------------------------------- the Python API


def test_the_api_keeps_the_canaries_hidden(aws, sts, witness, capsys, monkeypatch):
    InteractiveShell.clear_instance()
    canary_world(aws)
    session = aws_cred_magic.use_keys(TEMP_KEY_ID, CANARY_SECRET, CANARY_TOKEN, region="us-east-1")
    identity = aws_cred_magic.whoami()
    options = aws_cred_magic.storage_options(session)
    witness.add(identity, identity._repr_html_(), identity.to_dict(), str(identity))
    witness.add(options, str(options), pretty(options), f"{options}", [options])
    keys = check_keys(TEMP_KEY_ID, CANARY_SECRET, CANARY_TOKEN, "us-east-1")
    witness.add(keys, str(keys), [keys], keys_from_block(BASH_BLOCK))

    aws.setenv("AWS_ACCESS_KEY_ID", TEMP_KEY_ID)
    aws.setenv("AWS_SECRET_ACCESS_KEY", CANARY_SECRET)
    aws.setenv("AWS_SESSION_TOKEN", CANARY_TOKEN)
    for frame in (
        aws_cred_magic.resolution_table(),
        aws_cred_magic.resolution_table("goodproc", probe=True),
        aws_cred_magic.resolution_table("leaky", probe=True),
        aws_cred_magic.profiles(),
    ):
        witness.add(frame.to_string(), frame.to_html(), frame.to_dict(), frame.attrs)
        witness.add(frame._repr_html_())

    failures = [
        lambda: aws_cred_magic.use_keys(CANARY_SECRET, CANARY_SECRET),
        lambda: aws_cred_magic.use_keys(TEMP_KEY_ID, CANARY_TOKEN, CANARY_SECRET),
        lambda: aws_cred_magic.use_keys(TEMP_KEY_ID, CANARY_SECRET, CANARY_TOKEN + " x"),
        lambda: aws_cred_magic.use_profile("leaky"),
        lambda: keys_from_block(f"aws_secret_access_key={CANARY_SECRET}"),
    ]
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    monkeypatch.setenv("AWS_CREDENTIAL_EXPIRATION", past.strftime("%Y-%m-%dT%H:%M:%SZ"))
    import boto3

    failures.append(lambda: aws_cred_magic.whoami(boto3.Session()))
    for failure in failures:
        with pytest.raises(AwsCredError) as info:
            failure()
        witness.error(info.value)
    out, err = capsys.readouterr()
    witness.add(out, err)
    blob = witness.check()
    assert masked(TEMP_KEY_ID) in blob and "<hidden>" in blob


def test_a_fresh_process_logs_no_token_from_the_users_own_calls(aws, sts):
    """use_keys() alone (no whoami yet) protects later boto3 calls: checked in a new
    process, since the log filter is installed once per process."""
    code = f"""
import io, logging, boto3, aws_cred_magic
stream = io.StringIO()
logging.basicConfig(stream=stream, level=logging.DEBUG)
aws_cred_magic.use_keys({TEMP_KEY_ID!r}, {CANARY_SECRET!r}, {CANARY_TOKEN!r}, region="us-east-1")
print(boto3.client("sts").get_caller_identity()["Arn"])
log = stream.getvalue()
print("Sending http request" in log, {CANARY_TOKEN!r} in log, {CANARY_SECRET!r} in log)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["arn:aws:sts::123456789012:user/moto", "True False False"]


def test_botocore_debug_logs_are_scrubbed(aws, sts, witness):
    InteractiveShell.clear_instance()
    aws_cred_magic.use_keys(TEMP_KEY_ID, CANARY_SECRET, CANARY_TOKEN, region="us-east-1")
    assert aws_cred_magic.whoami().arn == "arn:aws:sts::123456789012:user/moto"
    # The user's own calls with that session are covered too, once the package is in use.
    boto3_default = __import__("boto3").client("sts")
    boto3_default.get_caller_identity()
    logs = witness.logs()
    assert "Sending http request" in logs and "CanonicalRequest" in logs
    assert "x-amz-security-token:<redacted>" in logs
    witness.check()
