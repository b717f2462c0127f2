"""Terminal IPython in a real pseudo-terminal (pexpect), at 80 and 120 columns.

A pipe hides what a terminal does: echo, the line discipline, and getpass flushing input
that is already waiting. Here the portal's three-line block is pasted in ONE write at the
hidden prompt, as a terminal delivers a paste; it must be read whole, with nothing echoed.
Tables must fit the terminal's width, and %aws_panel must say in one line that it needs
Jupyter.
"""

from __future__ import annotations

import os
import re
import sys

import pytest

from .conftest import CANARY_SECRET, CANARY_TOKEN, TEMP_KEY_ID

pexpect = pytest.importorskip("pexpect")

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Z0-9]|\x1b[=>]")
PROMPT = re.compile(r"In \[\d+\]: ")
BLOCK = (
    f'export AWS_ACCESS_KEY_ID="{TEMP_KEY_ID}"\n'
    f'export AWS_SECRET_ACCESS_KEY="{CANARY_SECRET}"\n'
    f'export AWS_SESSION_TOKEN="{CANARY_TOKEN}"\n'
)


def spawn(columns: int, simple: bool = True):
    command = [
        "-m",
        "IPython",
        *(["--simple-prompt"] if simple else []),  # plain input(): no screen painting
        "--quick",
        "--no-banner",
        "--colors=nocolor",
        "--HistoryManager.hist_file=:memory:",
    ]
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    env["TERM"] = "xterm"
    child = pexpect.spawn(
        sys.executable,
        command,
        env=env,
        dimensions=(40, columns),
        encoding="utf-8",
        codec_errors="replace",
        timeout=60,
    )
    child.expect(PROMPT if simple else r"In \[\d+\]:")
    return child


def run(child, line: str) -> str:
    """Type ``line`` and Enter; the text up to the next prompt, escapes removed."""
    child.send(line + "\r")
    child.expect(PROMPT)
    return ANSI.sub("", child.before).replace("\r\n", "\n")


@pytest.mark.parametrize("columns", [80, 120])
def test_paste_at_the_hidden_prompt_is_read_whole_and_tables_fit(aws, sts, columns):
    aws.write_config(
        """
        [default]
        region = eu-west-1
        [profile dev]
        region = us-east-2
        role_arn = arn:aws:iam::123456789012:role/a-role-with-a-long-name-for-the-team
        source_profile = default
        """
    )
    aws.write_credentials(
        """
        [default]
        aws_access_key_id = AKIATESTDEFAULT00001
        aws_secret_access_key = defaultSecretDEFAULTsecretDefault0000001
        """
    )
    child = spawn(columns)
    try:
        run(child, "%load_ext aws_cred_magic")
        transcript = []
        for line in ("%aws_chain", "%aws_chain --profile dev", "%aws_profiles"):
            out = run(child, line)
            transcript.append(out)
            body = out.split("\n", 1)[1]  # the echoed command line is not the table's
            widths = [len(text) for text in body.splitlines()]
            assert max(widths) <= columns, (line, out)
            assert "NaN" not in out
        assert "(shared-credentials-file) wins with key ****************0001" in (
            transcript[0].replace("\n  ", " ")
        )
        panel = run(child, "%aws_panel").strip().splitlines()
        assert panel[-1].startswith("%aws_panel needs Jupyter") and "%aws_use" in panel[-1]

        # The whole block in one write, as a terminal delivers a paste.
        child.send("%aws_keys --var portal\r")
        child.expect_exact("(or paste the whole block): ")
        child.send(BLOCK)
        child.expect(PROMPT, timeout=20)  # getpass's flush would leave it waiting for lines
        keys = ANSI.sub("", child.before)
        assert "portal = keys entered with %aws_keys: explicit ****************0002" in keys, keys
        assert "secret access key is empty" not in keys
        after = run(child, "portal.get_credentials().get_frozen_credentials().token[-6:]")
        assert f"'{CANARY_TOKEN[-6:]}'" in after
        history = run(child, "%history -n")
        transcript += [keys, after, history]
    finally:
        child.sendline("exit")
        child.close(force=True)
    everything = "".join(transcript)
    # Echo stayed off for all three lines: no secret, and no line reached IPython's prompt.
    assert CANARY_SECRET not in everything and CANARY_TOKEN not in everything
    assert "export AWS_" not in everything


def test_paste_with_ipythons_own_prompt_toolkit_prompt(aws):
    """The same paste with IPython's default (prompt_toolkit) prompt, as most people run it."""
    aws.write_config("[default]\nregion = eu-west-1\n")
    child = spawn(100, simple=False)
    painted = re.compile(r"In \[\d+\]:")  # prompt_toolkit paints escapes after the colon
    try:
        child.send("%load_ext aws_cred_magic\r")
        child.expect(painted)
        child.send("%aws_keys --var portal\r")
        child.expect_exact("(or paste the whole block): ")
        child.send(BLOCK)
        child.expect(painted, timeout=20)
        keys = ANSI.sub("", child.before)
    finally:
        child.sendline("exit")
        child.close(force=True)
    assert "portal = keys entered with %aws_keys: explicit ****************0002" in keys, keys
    assert CANARY_SECRET not in keys and CANARY_TOKEN not in keys


# --------------------------------------------------------------------------- %aws_sso_login


def sso_cache_files(aws) -> list[str]:
    cache = aws.home / ".aws" / "sso" / "cache"
    return sorted(os.listdir(cache)) if cache.exists() else []


def waiting_code(child, server) -> str:
    """Wait for the link and code on screen; the code the server is waiting to approve."""
    child.expect_exact("(Ctrl-C cancels)…", timeout=30)
    shown = ANSI.sub("", child.before)
    code = re.search(r"shows the code (\S+) \(", shown)[1]
    assert code in server.pending_codes() and f"user_code={code}" in shown, shown
    return code


def test_sso_login_in_a_terminal_waits_for_the_approval_and_reports_before_the_prompt(idc, aws):
    import io

    child = spawn(100)
    screen = io.StringIO()
    child.logfile_read = screen  # everything the terminal showed, from here on
    try:
        run(child, "%load_ext aws_cred_magic")
        child.send("%aws_sso_login sso-a\r")
        code = waiting_code(child, idc)
        # The command is still running: no prompt while the request waits for approval.
        with pytest.raises(pexpect.TIMEOUT):
            child.expect(PROMPT, timeout=1.5)
        assert idc.calls.count("CreateToken") >= 2  # really polled meanwhile
        assert idc.approve(code)
        child.expect(PROMPT, timeout=30)
        result = ANSI.sub("", child.before).replace("\r\n", "\n").strip().splitlines()
        assert len(result) == 1 and result[0].startswith("Signed in to sso-session corp: token ")
        # Nothing arrives later, over the prompt.
        with pytest.raises(pexpect.TIMEOUT):
            child.expect(r"\S", timeout=1.5)
        assert sso_cache_files(aws) != []  # the token and the client registration
        who = run(child, "%aws_use sso-a --check")
        assert "session = profile sso-a: sso " in who, who
    finally:
        child.sendline("exit")
        child.close(force=True)
    transcript = ANSI.sub("", screen.getvalue())
    secrets = list(idc.issued)
    assert len(secrets) >= 3  # client secret, device code, access and refresh tokens
    assert [s[:6] for s in secrets if s in transcript or s[:16] in transcript] == []
    assert "Traceback" not in transcript


def test_sso_login_in_a_terminal_ctrl_c_cancels_in_one_line_and_writes_nothing(idc, aws):
    child = spawn(100)
    try:
        run(child, "%load_ext aws_cred_magic")
        run(child, "%aws_use dev")
        child.send("%aws_sso_login sso-a\r")
        code = waiting_code(child, idc)
        child.sendintr()
        child.expect(PROMPT, timeout=30)
        out = ANSI.sub("", child.before).replace("\r\n", "\n")
        lines = [line for line in out.splitlines() if line.strip() and line.strip() != "^C"]
        assert lines == ["UsageError: Sign-in cancelled: nothing was written."], out
        assert "Traceback" not in out and "KeyboardInterrupt" not in out
        polls = idc.calls.count("CreateToken")
        # The previous session is unchanged, and the poller stopped.
        after = run(
            child, "import boto3; print(session.profile_name, boto3.DEFAULT_SESSION is session)"
        )
        assert after.strip().splitlines()[-1] == "dev True", after
        assert idc.calls.count("CreateToken") == polls
    finally:
        child.sendline("exit")
        child.close(force=True)
    assert sso_cache_files(aws) == []  # no token, no client registration
    assert idc.pending_codes() == [code]  # never approved, never used


def test_sso_login_with_ipythons_own_prompt_toolkit_prompt(idc, aws):
    """Ctrl-C, then an approval, with IPython's default (prompt_toolkit) prompt."""
    child = spawn(100, simple=False)
    painted = re.compile(r"In \[\d+\]:")
    try:
        child.send("%load_ext aws_cred_magic\r")
        child.expect(painted)
        child.send("%aws_sso_login sso-a\r")
        waiting_code(child, idc)
        child.sendintr()
        child.expect(painted, timeout=30)
        cancelled = ANSI.sub("", child.before)
        child.send("%aws_sso_login sso-a\r")
        code = waiting_code(child, idc)
        assert idc.approve(code)
        child.expect(painted, timeout=30)
        approved = ANSI.sub("", child.before)
    finally:
        child.sendline("exit")
        child.close(force=True)
    assert "UsageError: Sign-in cancelled: nothing was written." in cancelled, cancelled
    assert "Traceback" not in cancelled and "KeyboardInterrupt" not in cancelled
    assert "Signed in to sso-session corp: token " in approved, approved
