"""Tab completion of profile and session names for the magics.

``%aws_use cu<Tab>`` offers ``customer-a customer-b``; ``--profile`` takes profile names
everywhere, ``--var`` (of %aws_whoami / %aws_env), ``--drop`` and ``--from`` take the
names of the sessions the kernel holds. It plugs into IPython's completer, which terminal
IPython and Jupyter kernels (through ipykernel's completion request) share: a context
matcher on IPython 8.6 and later, the ``complete_command`` hook before that.

``names_to_complete`` is the pure part: from the text before the cursor, which names fit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

# Magics whose first positional argument is a profile.
PROFILE_POSITIONAL = frozenset({"aws_use", "aws_profile"})
PROFILE_OPTIONS = frozenset({"--profile", "-p"})
# Options that name an existing session, per magic (--var of %aws_use names a new one).
SESSION_OPTIONS = {
    "aws_whoami": frozenset({"--var", "-v"}),
    "aws_env": frozenset({"--var", "-v"}),
    "aws_sessions": frozenset({"--drop", "-d"}),
    "aws_assume": frozenset({"--from", "-f"}),
}
# Options that take a value: the word after one is that value, not a positional argument.
VALUE_OPTIONS = frozenset(
    {"--region", "-r", "--var", "-v", "--profile", "-p", "--drop", "-d", "--from", "-f"}
    | {"--external-id", "-e", "--session-name", "-n", "--duration", "--mfa-serial"}
)
COMPLETED_MAGICS = ("aws_use", "aws_profile", "aws_whoami", "aws_chain", "aws_env") + (
    "aws_sessions",
    "aws_assume",
)


def names_to_complete(
    text_until_cursor: str,
    profiles: Callable[[], Iterable[str]],
    sessions: Callable[[], Iterable[str]],
) -> list[str] | None:
    """The names that fit the word at the cursor, or ``None`` when no name belongs there
    (then IPython's other completers answer). ``profiles``/``sessions`` are only called
    when needed: reading the config files costs a few milliseconds."""
    words = text_until_cursor.lstrip().split()
    if not words:
        return None
    if text_until_cursor.endswith((" ", "\t")):
        words.append("")
    if len(words) < 2:
        return None
    magic = words[0].lstrip("%")
    prefix, previous = words[-1], words[-2]
    if prefix.startswith("-"):
        return None
    if previous in PROFILE_OPTIONS and magic in COMPLETED_MAGICS:
        found = profiles()
    elif previous in SESSION_OPTIONS.get(magic, ()):
        found = sessions()
    elif magic in PROFILE_POSITIONAL and _first_positional(words[1:-1]):
        found = profiles()
    else:
        return None
    return sorted(name for name in found if name.startswith(prefix))


def _first_positional(before: list[str]) -> bool:
    """True if no positional argument precedes the word being typed."""
    expecting_value = False
    for word in before:
        if expecting_value:
            expecting_value = False
        elif word in VALUE_OPTIONS:
            expecting_value = True
        elif not word.startswith("-"):
            return False
    return not expecting_value


def install(shell: Any, sessions: Callable[[], Iterable[str]]) -> Any:
    """Register the completer for the magics that take a name; returns a handle for
    ``uninstall``. IPython 8.6+ gets a context matcher that replaces the whole word at the
    cursor (``customer-`` included) and keeps Jedi's Python guesses out of the list;
    older IPython gets the ``complete_command`` hook."""
    try:
        from IPython.core.completer import SimpleCompletion, context_matcher
    except ImportError:  # IPython < 8.6
        return _install_hook(shell, sessions)

    @context_matcher(identifier="aws_cred_magic.names")
    def match(context: Any) -> dict[str, Any]:
        text = context.text_until_cursor
        names = names_to_complete(text, _profiles, sessions)
        if names is None:
            return {"completions": [], "suppress": False}
        word = "" if text.endswith((" ", "\t")) else text.split()[-1]
        return {
            "completions": [SimpleCompletion(text=name, type="aws name") for name in names],
            "matched_fragment": word,
            "suppress": True,
            "ordered": True,
        }

    shell.Completer.custom_matchers.append(match)
    return ("matcher", match)


def _profiles() -> list[str]:
    import botocore.session
    from botocore.exceptions import BotoCoreError

    try:
        return list(botocore.session.Session().available_profiles)
    except BotoCoreError:  # a malformed file: nothing to offer, %aws_profiles says why
        return []


def _install_hook(shell: Any, sessions: Callable[[], Iterable[str]]) -> Any:
    from IPython.core.error import TryNext

    def complete(_shell: Any, event: Any) -> list[str]:
        names = names_to_complete(event.text_until_cursor, _profiles, sessions)
        if names is None:
            raise TryNext()
        return names

    for magic in COMPLETED_MAGICS:
        shell.set_hook("complete_command", complete, str_key=f"%{magic}")
    shell.set_hook("complete_command", complete, str_key="%%aws_profile")
    return ("hook", complete)


def uninstall(shell: Any, handle: Any) -> None:
    """Take the completer out of IPython again (unload)."""
    kind, function = handle
    if kind == "matcher":
        matchers = shell.Completer.custom_matchers
        if function in matchers:
            matchers.remove(function)
        return
    dispatcher = getattr(shell, "strdispatchers", {}).get("complete_command")
    if dispatcher is None:
        return
    for chain in dispatcher.strs.values():
        chain.chain = [
            (priority, hook)
            for priority, hook in chain.chain
            if getattr(hook, "__func__", hook) is not function
        ]
