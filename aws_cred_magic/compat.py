"""What the installed boto3/botocore can do, checked on the objects themselves.

The supported range (see README, "Supported versions") spans releases whose signatures and
private hooks differ. Each difference the package depends on is one feature check here,
asked of the installed library (never of a version number), so a missing feature gives
a clear fallback or a clear one-line error instead of a ``TypeError`` deep in a call.
Every check imports boto3/botocore only when called.
"""

from __future__ import annotations

import copy
import functools
import inspect
from typing import Any


def _accepts(function: object, name: str) -> bool:
    try:
        parameters = inspect.signature(function).parameters  # type: ignore[arg-type]
    except (TypeError, ValueError):  # pragma: no cover - C functions have no signature
        return False
    return name in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )


@functools.cache
def session_takes_account_id() -> bool:
    """Whether ``boto3.Session`` accepts ``aws_account_id`` (boto3 1.37 and newer)."""
    import boto3

    return _accepts(boto3.Session.__init__, "aws_account_id")


# The private botocore attributes each dry or inspecting stand-in in ``resolve.py`` relies
# on, per provider class name. A stand-in whose hook is missing would silently fall back to
# botocore's real ``load()`` (running a process, calling an endpoint): that provider is
# reported as not inspectable instead.
PRIVATE_HOOKS: dict[str, tuple[str, ...]] = {
    "ProcessProvider": ("_retrieve_credentials_using", "_profile_name", "_load_config"),
    "ContainerProvider": (
        "_retrieve_or_fail",
        "_provided_relative_uri",
        "_build_headers",
        "_environ",
        "_fetcher",
        "_fetcher.full_url",
        "_fetcher._validate_allowed_url",
        "ENV_VAR",
        "ENV_VAR_FULL",
    ),
    "InstanceMetadataProvider": ("_role_fetcher", "_role_fetcher._disabled"),
    "AssumeRoleProvider": (
        "_resolve_source_credentials",
        "_load_config",
        "_client_creator",
        "_profile_name",
        "_profile_provider_builder",
        "_credential_sourcer",
    ),
}
# Not per provider: the builder a dry assume-role uses to build its source providers.
BUILDER_HOOKS = ("_create_process_provider",)


class MissingHook(Exception):  # noqa: N818 - reads as the message
    """The installed botocore lacks a private hook a dry stand-in needs."""


def _has(obj: object, dotted: str) -> bool:
    for name in dotted.split("."):
        if not hasattr(obj, name):
            return False
        obj = getattr(obj, name)
    return True


def missing_hooks(provider: object) -> list[str]:
    """The private hooks of ``PRIVATE_HOOKS`` this provider (an instance) lacks."""
    for cls in type(provider).__mro__:
        if cls.__name__ in PRIVATE_HOOKS and cls.__module__ == "botocore.credentials":
            return [h for h in PRIVATE_HOOKS[cls.__name__] if not _has(provider, h)]
    return []


@functools.cache
def missing_builder_hooks() -> tuple[str, ...]:
    """The private hooks ``botocore.credentials.ProfileProviderBuilder`` lacks."""
    from botocore.credentials import ProfileProviderBuilder

    return tuple(h for h in BUILDER_HOOKS if not hasattr(ProfileProviderBuilder, h))


def uninspectable(provider: Any, missing: list[str]) -> Any:
    """A copy of ``provider`` whose ``load()`` raises ``MissingHook`` instead of running
    botocore's real load (what the dry stand-in exists to avoid)."""
    import botocore

    cls = type(provider)
    reason = (
        f"not inspected: botocore {botocore.__version__} has no {cls.__name__}."
        f"{', '.join(missing)}, which aws_cred_magic needs to check this source without"
        " running it; probe=True (%aws_chain --probe) runs botocore's own"
    )

    def load(self: Any) -> Any:
        raise MissingHook(reason)

    clone = copy.copy(provider)
    clone.__class__ = type(f"Uninspectable{cls.__name__}", (cls,), {"load": load})
    return clone
