"""Displays that answer: the chain's verdict line, terminal text that fits, no NaN, folded
and elided rows, theme colours, expiry of temporary keys. Real botocore resolves every
table shown here; only the width of the terminal is set by the test (``COLUMNS``)."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

import aws_cred_magic
from aws_cred_magic import AwsCredError
from aws_cred_magic.keys import keys_from_block
from aws_cred_magic.model import Identity, format_expiry

from .conftest import CANARY_SECRET, CANARY_TOKEN, TEMP_KEY_ID, shell_with_extension

ROLE = "arn:aws:iam::123456789012:role/a-rather-long-role-name-for-the-analytics-team"


@pytest.fixture
def world(aws):
    aws.write_config(
        f"""
        [default]
        region = eu-west-1
        [profile broken]
        role_arn = {ROLE}
        source_profile = does-not-exist
        [profile role]
        role_arn = {ROLE}
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
    return aws


@pytest.fixture
def ip(aws):
    yield from shell_with_extension()


@pytest.mark.parametrize("columns", [80, 120])
def test_chain_text_fits_the_terminal_and_leads_with_the_answer(world, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    for profile in (None, "broken"):
        frame = aws_cred_magic.resolution_table(profile)
        text = repr(frame)
        lines = text.splitlines()
        assert max(len(line) for line in lines) <= columns
        assert "NaN" not in text and "NaT" not in text
        assert str(world.home) not in text  # HOME reads as ~
        # The DataFrame keeps every row and column, full text included.
        assert len(frame) >= 12 and "detail" in frame.columns
    ok = repr(aws_cred_magic.resolution_table()).replace("\n  ", " ")
    assert ok.startswith(
        "✔ Shared credentials file (shared-credentials-file) wins with key ****************0001"
        " · from ~/.aws/credentials [default]"
    )
    # The not-configured sources fold into one line.
    assert re.search(r"^11 not configured: env, assume-role, ", ok, re.MULTILINE)
    bad = repr(aws_cred_magic.resolution_table("broken")).replace("\n  ", " ")
    assert bad.startswith('✖ No credentials: InvalidConfigError: The source_profile "does-not')


def test_profiles_text_cuts_with_an_ellipsis_and_keeps_the_data(world, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    frame = aws_cred_magic.profiles()
    text = repr(frame)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "NaN" not in text and "Empty" not in text
    assert text.splitlines()[0] == (
        "3 profiles in ~/.aws/config and ~/.aws/credentials; default: default"
    )
    assert ROLE in frame.set_index("profile").loc["role", "detail"]  # full text in the data
    assert ROLE not in text.replace("\n", "")  # ...wrapped or cut on screen
    assert "…" in text or "\n " in text


def test_chain_html_folds_not_configured_rows_and_uses_theme_colours(world):
    html = aws_cred_magic.resolution_table()._repr_html_()
    verdict = re.search(r"<div class='aws-verdict aws-verdict-ok'[^>]*>(.*?)</div>", html)
    assert verdict and "~/.aws/credentials [default]" in verdict.group(1)
    table, details = html.split("<details", 1)
    assert table.count("<tr class='aws-row") == 1  # only the winner is not folded
    assert details.count("<tr class='aws-row aws-not-configured'") == 11
    assert "11 not configured: env, assume-role" in details
    assert "<script" not in html
    # Every style that sets a background sets the text colour with it.
    for style in re.findall(r"style='([^']*background:(?!transparent)[^']*)'", html):
        assert "color:" in style.replace("background-color", ""), style
    assert "var(--jp-content-font-color" in html


def test_long_tables_are_elided_like_pandas(aws):
    aws.write_config("".join(f"[profile p{i:03d}]\nregion = eu-west-1\n" for i in range(500)))
    frame = aws_cred_magic.profiles()
    assert len(frame) == 500
    html = frame._repr_html_()
    assert html.count("<tr") == 1 + 10 + 1  # header, pandas' min_rows, the elision line
    assert "490 more rows" in html and len(html) < 20_000
    with pd.option_context("display.max_rows", 1000):
        assert frame._repr_html_().count("<tr") == 501
    text = repr(frame)
    assert "… 490 more rows …" in text and len(text.splitlines()) < 20


def test_whoami_all_failed_rows_read_across(world, monkeypatch):
    from aws_cred_magic.frames import IdentitiesFrame, styled

    monkeypatch.setenv("COLUMNS", "100")
    frame = styled(
        pd.DataFrame(
            [
                {"profile": "ok", "account": "123456789012", "arn": ROLE, "method": "env",
                 "access_key": "****************0001", "region": "eu-west-1",
                 "expires": pd.NaT, "error": None},
                {"profile": "bad", "account": None, "arn": None, "method": None,
                 "access_key": "", "region": None, "expires": pd.NaT,
                 "error": "SSOTokenLoadError: Error loading SSO Token: run aws sso login"},
            ]
        ),
        IdentitiesFrame,
        "GetCallerIdentity for every profile: 1 ok, 1 failed",
    )  # fmt: skip
    text = repr(frame)
    assert "NaN" not in text and "None" not in text
    bad = next(line for line in text.splitlines() if line.startswith("bad"))
    assert "SSOTokenLoadError: Error loading SSO Token" in bad
    assert "****************0001" in text  # a masked key is never cut
    html = frame._repr_html_()
    # The failed row: its profile, then the error across the rest of the row, nothing else.
    bad_row = html[html.index(">bad<") :]
    assert re.match(
        r">bad</div><div role='cell' class='aws-row-error' [^>]*>SSOTokenLoadError", bad_row
    )
    assert html.count("role='row' class='aws-id-row'") == 2


def test_temporary_keys_say_their_expiry_is_unknown():
    assert format_expiry(None, temporary=True) == "temporary, expiry unknown"
    assert format_expiry(None) == "never"
    identity = Identity(account="1", access_key="****************0002", temporary=True)
    assert "Expires     temporary, expiry unknown" in repr(identity)


def test_a_pasted_expiry_is_read_and_checked():
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    block = (
        f'export AWS_ACCESS_KEY_ID="{TEMP_KEY_ID}"\n'
        f'export AWS_SECRET_ACCESS_KEY="{CANARY_SECRET}"\n'
        f'export AWS_SESSION_TOKEN="{CANARY_TOKEN}"\n'
        f"export AWS_CREDENTIAL_EXPIRATION={later:%Y-%m-%dT%H:%M:%S}Z\n"
    )
    keys = keys_from_block(block)
    assert keys.expires == later.replace(microsecond=0)
    with pytest.raises(AwsCredError, match="expired at"):
        keys_from_block(block.replace(f"{later:%Y}", "2001"))
    with pytest.raises(AwsCredError, match="not a time"):
        keys_from_block(block.replace("AWS_CREDENTIAL_EXPIRATION=", "AWS_CREDENTIAL_EXPIRATION=x"))


def test_a_pasted_expiry_shows_as_time_left(aws, ip):
    from aws_cred_magic.keys import KeyInput

    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=90)
    state = ip.magics_manager.registry["AwsCredMagics"].state
    record = state.use_key_input(
        KeyInput(TEMP_KEY_ID, CANARY_SECRET, CANARY_TOKEN, "eu-west-1", later), origin="test"
    )
    assert re.search(
        r"expires \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in 1 h (29|30) min\)$", record.summary()
    )
    frame = ip.run_line_magic("aws_sessions", "")
    assert "temporary, expiry unknown" not in repr(frame)
    state.use_keys(TEMP_KEY_ID, CANARY_SECRET, CANARY_TOKEN, var="other")
    text = repr(ip.run_line_magic("aws_sessions", ""))
    assert "2 named sessions; current: session" in text
    assert "temporary, expiry" in text and "unknown" in text


def test_arns_break_only_after_colon_or_slash_and_never_inside_the_account_id():
    from aws_cred_magic.render import arn_html

    arn = (
        "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_AnalyticsReadOnly_0123456789abcdef"
        "/analyst-with-a-long-session-name@example.com"
    )
    out = arn_html(arn)
    assert re.sub(r"<[^>]+>", "", out) == arn  # the text itself is unchanged
    pieces = out.split("<wbr>")
    assert all(re.sub(r"<[^>]+>", "", p)[-1] in ":/" for p in pieces[:-1])
    # short pieces never break (not at "assumed-role"'s hyphen); in a long one an account id
    # is kept whole
    assert "<span style='white-space:nowrap'>assumed-role/</span>" in out
    assert "<span style='white-space:nowrap'>123456789012:</span>" in out
    long_piece = arn_html("arn:aws:iam::123456789012:role/" + "x" * 40 + "-123456789012-" + "y" * 9)
    assert "<span class='aws-account-id' style='white-space:nowrap'>123456789012</span>" in (
        long_piece
    )
    assert "&lt;b&gt;" in arn_html("arn:aws:iam::123456789012:user/<b>")  # escaped


def test_whoami_all_html_expiry_is_one_line_with_the_time_left_in_its_title(world):
    from aws_cred_magic.frames import IdentitiesFrame, styled

    later = pd.Timestamp("2026-12-01 10:42:00", tz="UTC")
    frame = styled(
        pd.DataFrame(
            [
                {"profile": "ok", "account": "123456789012", "arn": ROLE, "method": "assume-role",
                 "access_key": "****************0001", "region": "eu-west-1",
                 "expires": later, "error": None},
            ]
        ),
        IdentitiesFrame,
        "GetCallerIdentity for every profile: 1 ok, 0 failed",
    )  # fmt: skip
    html = frame._repr_html_()
    expiry = re.search(r"<div class='aws-id-expiry' style='([^']*)'>(.*?)</div>", html)
    assert "white-space:nowrap" in expiry[1]
    assert re.fullmatch(
        r"<time class='aws-expires' datetime='2026-12-01T10:42:00Z' "
        r"title='2026-12-01 10:42 UTC \((in|expired) [^']+\)' style='[^']*'>"
        r"2026-12-01 10:42 UTC( \(expired\))?</time>",
        expiry[2],
    ), expiry[2]
    assert "<div class='aws-id-key' style='white-space:nowrap'>****************0001</div>" in html
    # The text for a terminal is the plain table, as before.
    assert "<" not in repr(frame) and "wbr" not in repr(frame)


def test_terminal_arns_wrap_after_colon_or_slash(world, monkeypatch):
    from aws_cred_magic.frames import IdentitiesFrame, styled
    from aws_cred_magic.render import _wrapped_arn

    arn = "arn:aws:sts::111111111111:assumed-role/customer-a-readonly/botocore-session-1796109100"
    assert _wrapped_arn(arn, 38, 3) == [
        "arn:aws:sts::111111111111:",
        "assumed-role/customer-a-readonly/",
        "botocore-session-1796109100",
    ]
    assert _wrapped_arn(arn, 38, 2)[-1].endswith("…")
    assert _wrapped_arn("arn:aws:iam::1:role/" + "x" * 50, 20, 4) == [
        "arn:aws:iam::1:role/", "x" * 20, "x" * 20, "x" * 10,
    ]  # fmt: skip
    monkeypatch.setenv("COLUMNS", "100")
    frame = styled(
        pd.DataFrame(
            [
                {"profile": "customer-a", "account": "111111111111", "arn": arn,
                 "method": "assume-role", "access_key": "****************0001",
                 "region": "eu-west-1", "expires": pd.NaT, "error": None},
            ]
        ),
        IdentitiesFrame,
        "GetCallerIdentity for every profile: 1 ok, 0 failed",
    )  # fmt: skip
    lines = repr(frame).splitlines()
    start = lines[1].index("arn")
    pieces = [line[start:].split("  ")[0] for line in lines[2:]]
    assert "".join(pieces) == arn and len(pieces) == 3
    assert all(piece[-1] in ":/" for piece in pieces[:-1]), pieces
    assert max(len(line) for line in lines) <= 100
