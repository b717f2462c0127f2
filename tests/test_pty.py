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
