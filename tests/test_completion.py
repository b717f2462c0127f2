"""Tab completion of profile and session names, through IPython's own completer: the
``complete()`` call terminal IPython's readline path and ipykernel's ``complete_request``
fall back to, and the ``completions()`` API that prompt_toolkit and ipykernel use."""

from __future__ import annotations

import IPython
import pytest

from .conftest import shell_with_extension

# Before IPython 8.6 (the complete_command hook), Jedi's Python guesses join ours after a
# "-" in the completions() list; ours are there, at the right offset, but not alone.
JEDI_JOINS = IPython.version_info < (8, 6)

CONFIG = """
[default]
region = eu-west-1
[profile customer-a]
region = eu-west-1
[profile customer-b]
region = us-west-2
[profile data-admin]
region = eu-west-1
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
    aws.write_config(CONFIG)
    aws.write_credentials(CREDENTIALS)
    yield from shell_with_extension()


def complete(ip, line: str) -> list[str]:
    """What Tab offers at the end of ``line`` (IPython's legacy entry point)."""
    _text, matches = ip.complete("", line, len(line))
    return list(matches)


def completions(ip, line: str) -> list[str]:
    """The same through the API prompt_toolkit and ipykernel call."""
    from IPython.core.completer import provisionalcompleter

    with provisionalcompleter():
        return [c.text for c in ip.Completer.completions(line, len(line))]


@pytest.mark.parametrize("ask", [complete, completions], ids=["complete", "completions"])
def test_profile_names_complete(ip, ask):
    assert ask(ip, "%aws_use cu") == ["customer-a", "customer-b"]
    assert ask(ip, "%aws_use customer-b --region us-west-2 --var s_b") == []
    assert ask(ip, "%%aws_profile da") == ["data-admin"]
    dashed = ask(ip, "%aws_whoami --profile customer-")
    if JEDI_JOINS and ask is completions:
        dashed = [name for name in dashed if name.startswith("customer-")]
    assert dashed == ["customer-a", "customer-b"]
    assert ask(ip, "%aws_chain -p d") == ["data-admin", "default"]
    assert ask(ip, "aws_use data") == ["data-admin"]  # automagic, without the %
    assert ask(ip, "%aws_use --region eu-west-1 cust") == ["customer-a", "customer-b"]
    dashed = ask(ip, "%aws_use customer-")  # the whole word
    if JEDI_JOINS and ask is completions:
        dashed = [name for name in dashed if name.startswith("customer-")]
    assert dashed == ["customer-a", "customer-b"]


@pytest.mark.parametrize("ask", [complete, completions], ids=["complete", "completions"])
def test_session_names_complete(ip, ask):
    ip.run_line_magic("aws_use", "customer-a --var s_a")
    ip.run_line_magic("aws_use", "customer-a --var s_alt")
    assert ask(ip, "%aws_sessions --drop s_") == ["s_a", "s_alt"]
    assert ask(ip, "%aws_whoami --var s_al") == ["s_alt"]
    assert ask(ip, "%aws_env -v s") == ["s_a", "s_alt"]


def test_the_whole_word_at_the_cursor_is_replaced(ip):
    from IPython.core.completer import provisionalcompleter

    line = "%aws_use customer-"
    with provisionalcompleter():
        found = list(ip.Completer.completions(line, len(line)))
    if JEDI_JOINS:
        found = [c for c in found if c.text.startswith("customer-")]
    assert [(c.start, c.end, c.text) for c in found] == [
        (9, len(line), "customer-a"),
        (9, len(line), "customer-b"),
    ]


def test_other_completion_is_left_alone_and_unload_removes_ours(ip):
    ip.user_ns["customer_total"] = 1
    assert "customer_total" in completions(ip, "custo")
    assert "customer_total" in completions(ip, "%aws_use customer-a --region x; custo")
    assert complete(ip, "%aws_use cu") == ["customer-a", "customer-b"]
    ip.run_line_magic("unload_ext", "aws_cred_magic")
    assert "customer-a" not in complete(ip, "%aws_use cu")
    ip.run_line_magic("load_ext", "aws_cred_magic")
    assert complete(ip, "%aws_use cu") == ["customer-a", "customer-b"]
