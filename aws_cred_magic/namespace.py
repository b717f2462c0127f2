"""Namespace: where a chosen session becomes visible — the notebook's variables, boto3's
default session, and AWS_* environment variables for shell commands.

Every change made here is remembered so it can be undone (``%aws_sessions --drop``,
``%aws_env --unset``, ``%unload_ext``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

_UNSET = object()

# What %aws_env exports, in order; the token variables only when there is a token.
ENV_NAMES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
)


class Namespace:
    """The user namespace (``shell.user_ns``, or none outside IPython) plus boto3's default."""

    def __init__(self, user_ns: MutableMapping[str, Any] | None = None) -> None:
        self.user_ns = user_ns
        self._boto3_default_before: Any = _UNSET
        self._env_before: dict[str, str | None] = {}

    # ------------------------------------------------------------------ notebook variables
    def inject(self, name: str, value: Any) -> None:
        if self.user_ns is not None:
            self.user_ns[name] = value

    def remove(self, name: str, value: Any) -> None:
        """Remove ``name`` if it still holds ``value`` (the user may have reassigned it)."""
        if self.user_ns is not None and self.user_ns.get(name) is value:
            del self.user_ns[name]

    # ------------------------------------------------------------------ boto3's default
    def boto3_default(self) -> Any:
        boto3 = sys.modules.get("boto3")
        return getattr(boto3, "DEFAULT_SESSION", None) if boto3 else None

    def set_boto3_default(self, session: Any) -> None:
        """Make ``boto3.client(...)`` and ``boto3.resource(...)`` use ``session``."""
        import boto3

        if self._boto3_default_before is _UNSET:
            self._boto3_default_before = boto3.DEFAULT_SESSION
        boto3.DEFAULT_SESSION = session

    def restore_boto3_default(self) -> None:
        if self._boto3_default_before is _UNSET:
            return
        import boto3

        boto3.DEFAULT_SESSION = self._boto3_default_before
        self._boto3_default_before = _UNSET

    @contextmanager
    def temporarily(self, name: str, session: Any) -> Iterator[None]:
        """Bind ``name`` and boto3's default to ``session`` for a block, then restore both."""
        import boto3

        saved_var = self.user_ns.get(name, _UNSET) if self.user_ns is not None else _UNSET
        saved_default = boto3.DEFAULT_SESSION
        if self._boto3_default_before is _UNSET:  # what unload restores: never the cell's
            self._boto3_default_before = saved_default
        self.inject(name, session)
        boto3.DEFAULT_SESSION = session
        try:
            yield
        finally:
            boto3.DEFAULT_SESSION = saved_default
            if self.user_ns is not None:
                if saved_var is _UNSET:
                    self.user_ns.pop(name, None)
                else:
                    self.user_ns[name] = saved_var

    # ------------------------------------------------------------------ environment
    def export_env(self, frozen: Any, region: str | None) -> list[str]:
        """Set AWS_* variables from frozen credentials; return the names set."""
        values = {
            "AWS_ACCESS_KEY_ID": frozen.access_key,
            "AWS_SECRET_ACCESS_KEY": frozen.secret_key,
            "AWS_SESSION_TOKEN": frozen.token,
            # Old tools read this name; botocore reads it before AWS_SESSION_TOKEN, so a stale
            # value there would win: always set or clear it together with the token.
            "AWS_SECURITY_TOKEN": frozen.token,
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
        }
        return self.set_env(values)

    def set_env(self, values: dict[str, str | None]) -> list[str]:
        """Set (or, for ``None``, remove) each variable, remembering the value from before the
        first change so ``unset_env`` can put it back; return the names now set."""
        names = []
        for name, value in values.items():
            if name not in self._env_before:
                self._env_before[name] = os.environ.get(name)
            if value:
                os.environ[name] = value
                names.append(name)
            else:
                os.environ.pop(name, None)
        return names

    def env_before(self, name: str) -> str | None:
        """``name``'s value in the environment as the user had it, before any export."""
        return self._env_before[name] if name in self._env_before else os.environ.get(name)

    def unset_env(self) -> list[str]:
        """Put back the AWS_* variables as they were before ``export_env``."""
        names = list(self._env_before)
        for name, previous in self._env_before.items():
            if previous is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = previous
        self._env_before.clear()
        return names
