"""Terminal IPython for real: the `ipython` command in a subprocess, fed like a keyboard.

Checks what a terminal user sees (text, no HTML), that a block pasted line by line at the
%aws_keys prompt is read whole at hidden prompts (no line of it reaches IPython's prompt or
history), and that errors are one line.
"""

from __future__ import annotations

import os
import subprocess
import sys

from .conftest import CANARY_SECRET, CANARY_TOKEN, TEMP_KEY_ID

# Terminal IPython as a user starts it, minus what would make the output vary: colours,
# the banner, their config and history file.
IPYTHON = [
    "-m",
    "IPython",
    "--simple-prompt",
    "--quick",
    "--no-banner",
    "--colors=nocolor",
    "--HistoryManager.hist_file=:memory:",
]


def run_ipython(lines: list[str], env: dict[str, str]) -> str:
    command = [sys.executable, *IPYTHON]
    done = subprocess.run(
        command,
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    return done.stdout + done.stderr


def test_terminal_ipython_shows_text_and_reads_pasted_lines_hidden(aws, sts):
    aws.write_config(
        """
        [default]
        region = eu-west-1
        [profile dev]
        region = us-east-2
        """
    )
    aws.write_credentials(
        """
        [default]
        aws_access_key_id = AKIATESTDEFAULT00001
        aws_secret_access_key = defaultSecretDEFAULTsecretDefault0000001
        [dev]
        aws_access_key_id = AKIATESTDEV000000002
        aws_secret_access_key = devSecretDEVsecretDevSECRETdev0000000002
        """
    )
    block = [
        f'export AWS_ACCESS_KEY_ID="{TEMP_KEY_ID}"',
        f'export AWS_SECRET_ACCESS_KEY="{CANARY_SECRET}"',
        f'export AWS_SESSION_TOKEN="{CANARY_TOKEN}"',
    ]
    output = run_ipython(
        [
            "%load_ext aws_cred_magic",
            "%aws_use dev",
            "%aws_whoami",
            "%aws_chain",
            "%aws_use nope",
            "%aws_keys --var portal",
            *block,
            "portal.get_credentials().method",
            "%history -n",
        ],
        dict(os.environ),
    )
    # %aws_use: one line; %aws_whoami: a text card from the local STS; the chain as text.
    assert "session = profile dev: shared-credentials-file ****************0002" in output
    assert "arn:aws:sts::123456789012:user/moto" in output and "Access key  ****" in output
    flat = output.replace("\n  ", " ")  # the verdict line wraps at the terminal's width
    assert "(shared-credentials-file) wins with key ****************0002" in flat
    assert "<table" not in output and "<div" not in output
    # A bad profile: one line, no traceback.
    assert "UsageError: ProfileNotFound: The config profile (nope) could not be found" in output
    assert "Traceback" not in output
    # The pasted block was read whole at hidden prompts: the session exists with its keys...
    assert "portal = keys entered with %aws_keys: explicit ****************0002" in output
    assert "'explicit'" in output
    # ...and no line of it reached IPython: not as a cell, not in the history, nowhere.
    assert "export AWS_SECRET_ACCESS_KEY" not in output
    assert CANARY_SECRET not in output and CANARY_TOKEN not in output


def test_real_terminal_ctrl_d_and_a_broken_paste_are_one_line(aws):
    """In a pty, as a user types: Ctrl-D at the hidden prompt cancels in one line; a token
    broken across lines, pasted at once, is refused naming the variable, and the rest of the
    token is read hidden instead of reaching IPython's prompt and history."""
    import pexpect

    aws.write_credentials(
        "[dev]\naws_access_key_id = AKIATESTDEV000000002\n"
        f"aws_secret_access_key = {CANARY_SECRET}\n"
    )
    aws.write_config("[profile dev]\nregion = us-east-2\n")
    child = pexpect.spawn(
        sys.executable,
        IPYTHON,
        env=dict(os.environ, TERM="dumb"),
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 200),
    )
    try:
        child.expect(r"In \[1\]: ")
        child.sendline("%load_ext aws_cred_magic")
        child.expect(r"In \[2\]: ")
        child.sendline("%aws_use dev")
        child.expect(r"In \[3\]: ")
        child.sendline("%aws_keys")
        child.expect("paste the whole block\\): ")
        child.sendcontrol("d")
        child.expect(r"In \[4\]: ")
        cancelled = child.before
        child.sendline("%aws_keys")
        child.expect("paste the whole block\\): ")
        rest = CANARY_TOKEN[40:]
        child.send(
            f'export AWS_ACCESS_KEY_ID="{TEMP_KEY_ID}"\n'
            f'export AWS_SECRET_ACCESS_KEY="{CANARY_SECRET}"\n'
            f"export AWS_SESSION_TOKEN={CANARY_TOKEN[:40]}\n{rest}\n"
        )
        child.expect(r"In \[\d+\]: ")
        refused = child.before
        child.sendline("%history -n")
        child.expect(r"In \[\d+\]: ")
        history = child.before
        child.sendline("session.get_credentials().access_key[-4:]")
        child.expect(r"In \[\d+\]: ")
        still = child.before
        # The same block whole, pasted at once: every line is read (none thrown away).
        child.sendline("%aws_keys --var portal")
        child.expect("paste the whole block\\): ")
        child.send(
            f'export AWS_ACCESS_KEY_ID="{TEMP_KEY_ID}"\n'
            f'export AWS_SECRET_ACCESS_KEY="{CANARY_SECRET}"\n'
            f'export AWS_SESSION_TOKEN="{CANARY_TOKEN}"\n'
        )
        child.expect(r"In \[\d+\]: ")
        pasted = child.before
        # Typed one value per prompt.
        child.sendline("%aws_keys --var typed")
        for answer in (TEMP_KEY_ID, CANARY_SECRET, CANARY_TOKEN):
            child.expect(": ")
            child.sendline(answer)
        child.expect(r"In \[\d+\]: ")
        typed = child.before
    finally:
        child.sendline("exit")
        child.close(force=True)
    assert "UsageError: Cancelled at the prompt: nothing changed." in cancelled
    assert "Traceback" not in cancelled + refused
    assert "UsageError: The value of AWS_SESSION_TOKEN seems broken across lines" in refused
    for text in (refused, history):
        assert rest[:20] not in text and CANARY_SECRET not in text and CANARY_TOKEN[:40] not in text
    assert "'0002'" in still  # the previous session is still the current one
    assert "portal = keys entered with %aws_keys: explicit ****************0002" in pasted
    assert "typed = keys entered with %aws_keys: explicit ****************0002" in typed
    for text in (pasted, typed):
        assert CANARY_SECRET not in text and CANARY_TOKEN[:40] not in text
