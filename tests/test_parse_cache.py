"""One parse per file version: edits are seen at once, unchanged files are not parsed again,
and what the cache hands botocore is what botocore parses itself."""

from __future__ import annotations

import os

import boto3
import botocore.session
import pytest

import aws_cred_magic
from aws_cred_magic.configcache import ParseCache, SharedParseSession, default_cache

from .conftest import CANARY_SECRET

KEY_A = "AKIACACHEKEYAAAA0A1A"
KEY_B = "AKIACACHEKEYBBBB0B2B"  # same length: an edit that keeps the file's size


def creds(key: str, name: str = "default") -> str:
    return f"[{name}]\naws_access_key_id = {key}\naws_secret_access_key = {CANARY_SECRET}\n"


def botocore_key(profile: str | None = None) -> str:
    return boto3.Session(profile_name=profile).get_credentials().access_key


def winner_key(df) -> str:
    return df[df["winner"]].iloc[0]["access_key"]


def test_an_edit_between_two_calls_is_seen_at_once(aws):
    aws.write_credentials(creds(KEY_A))
    first = aws_cred_magic.resolution_table()
    assert winner_key(first)[-4:] == botocore_key()[-4:] == KEY_A[-4:]
    aws.write_credentials(creds(KEY_B))  # same size, within the same timestamp tick
    second = aws_cred_magic.resolution_table()
    assert winner_key(second)[-4:] == botocore_key()[-4:] == KEY_B[-4:]


def test_an_edit_that_keeps_size_and_mtime_is_seen(aws):
    """An old file rewritten with the same size and its mtime put back: only the ctime (and
    the bytes) tell, and the cache must not serve the old parse."""
    path = aws.write_credentials(creds(KEY_A))
    old = (1_600_000_000, 1_600_000_000)
    os.utime(path, old)
    assert winner_key(aws_cred_magic.resolution_table())[-4:] == KEY_A[-4:]
    path.write_text(creds(KEY_B))
    os.utime(path, old)
    assert winner_key(aws_cred_magic.resolution_table())[-4:] == botocore_key()[-4:]
    assert botocore_key()[-4:] == KEY_B[-4:]


def test_profiles_and_panel_see_a_new_profile(aws):
    aws.write_credentials(creds(KEY_A))
    assert list(aws_cred_magic.profiles()["profile"]) == ["default"]
    aws.write_credentials(creds(KEY_A) + creds(KEY_B, "added"))
    expected = sorted(botocore.session.Session().available_profiles)
    assert sorted(aws_cred_magic.profiles()["profile"]) == expected == ["added", "default"]


def test_unchanged_files_are_parsed_once(aws):
    aws.write_credentials(creds(KEY_A) + creds(KEY_B, "dev"))
    aws.write_config("[default]\nregion = eu-west-1\n[profile dev]\nregion = us-east-2\n")
    old = (1_600_000_000, 1_600_000_000)
    os.utime(aws.credentials, old)
    os.utime(aws.config, old)
    cache = default_cache()
    aws_cred_magic.resolution_table("dev")  # parses each file (once)
    before = cache.parses
    for _ in range(3):
        aws_cred_magic.resolution_table("dev")
        aws_cred_magic.resolution_table()
        aws_cred_magic.profiles()
    assert cache.parses == before
    aws.write_config("[default]\nregion = eu-west-2\n[profile dev]\nregion = us-east-2\n")
    df = aws_cred_magic.resolution_table()
    assert df.attrs["region"] == boto3.Session().region_name == "eu-west-2"
    assert cache.parses == before + 1  # only the edited file, once


def test_full_config_is_botocores(aws):
    aws.write_config(
        "[default]\nregion = eu-west-1\n[profile dev]\nregion = us-east-2\n"
        "s3 =\n  addressing_style = path\n"
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
        "[services svc]\ns3 =\n  endpoint_url = http://127.0.0.1:1\n[plain]\nx = 1\n"
    )
    aws.write_credentials(creds(KEY_A) + creds(KEY_B, "dev") + creds(KEY_B, "profile odd"))
    cache = ParseCache()
    ours = SharedParseSession(parse_cache=cache).full_config
    assert ours == botocore.session.Session().full_config
    # Shared but never mutated: a second session gets equal data from the same parse.
    assert SharedParseSession(parse_cache=cache).full_config == ours
    assert cache.parses == 2


def test_missing_and_malformed_files_raise_what_botocore_raises(aws):
    from botocore.exceptions import ConfigNotFound, ConfigParseError

    cache = ParseCache()
    missing = str(aws.home / "nope")
    with pytest.raises(ConfigNotFound):
        cache.raw(missing)
    aws.write_config("[default\nregion = x\n")
    with pytest.raises(ConfigParseError):
        cache.config(str(aws.config))
    with pytest.raises(ConfigParseError):
        _ = botocore.session.Session().full_config
    with pytest.raises(ConfigParseError):
        _ = SharedParseSession(parse_cache=cache).full_config


def test_providers_read_through_the_cache(aws):
    """The file providers botocore builds (also for a role's source profile) take the cache
    as their parser: a session's chain resolves without parsing again."""
    aws.write_credentials(creds(KEY_A, "base"))
    aws.write_config(
        "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n"
    )
    old = (1_600_000_000, 1_600_000_000)
    os.utime(aws.credentials, old)
    os.utime(aws.config, old)
    cache = ParseCache()
    _ = SharedParseSession(parse_cache=cache).full_config
    parsed = cache.parses
    core = SharedParseSession(profile="base", parse_cache=cache)
    assert core.get_credentials().access_key == botocore_key("base")
    role = SharedParseSession(profile="role", parse_cache=cache)
    role.set_config_variable("region", "us-east-1")
    credentials = role.get_credentials()
    assert credentials.method == boto3.Session(profile_name="role").get_credentials().method
    provider = role.get_component("credential_provider").get_provider("assume-role")
    source = provider._resolve_source_credentials(
        role.full_config["profiles"]["role"], "role"
    )  # the source sub-chain botocore builds when the role is first used
    assert source.access_key == botocore_key("base")
    assert cache.parses == parsed


def test_sessions_start_with_botocores_own_handlers(aws):
    """A copy of the built-in handlers, registered once, is what botocore registers itself:
    same handlers, same order, for every built-in event."""
    from botocore import handlers

    ours = SharedParseSession().get_component("event_emitter")
    theirs = botocore.session.Session().get_component("event_emitter")

    def registered(emitter, event):
        return [
            getattr(h, "__qualname__", repr(h))
            for h in emitter._emitter._handlers.prefix_search(event)
        ]

    events = {spec[0] for spec in handlers.BUILTIN_HANDLERS}
    assert len(events) > 50
    for event in sorted(events):
        concrete = event.replace("*", "sts")
        assert registered(ours, concrete) == registered(theirs, concrete), event

    # A handler added to botocore's built-ins later (as moto's mock does) is there too.
    def added(**kwargs):
        return None

    handlers.BUILTIN_HANDLERS.append(("before-send", added))
    try:
        assert "test_sessions_start_with_botocores_own_handlers.<locals>.added" in registered(
            SharedParseSession().get_component("event_emitter"), "before-send.sts"
        )
    finally:
        handlers.BUILTIN_HANDLERS.remove(("before-send", added))
    assert not any(
        "added" in name
        for name in registered(SharedParseSession().get_component("event_emitter"), "before-send")
    )
    # A second session's handlers are its own: registering on one changes no other.
    first, second = SharedParseSession(), SharedParseSession()

    def extra(**kwargs):
        return None

    first.register("before-call.sts", extra)
    assert registered(first.get_component("event_emitter"), "before-call.sts") != registered(
        second.get_component("event_emitter"), "before-call.sts"
    )


def test_handlers_are_copied_only_when_a_session_uses_them(aws):
    """Resolving static keys emits no event, so it copies no handler table; building a
    client does, and the client gets every built-in handler. A third session registering
    its own handler afterwards changes neither."""
    from aws_cred_magic.configcache import _CopiedOnFirstUse

    aws.write_credentials(
        f"[default]\naws_access_key_id = AKIATESTLAZY00000001\n"
        f"aws_secret_access_key = {CANARY_SECRET}\n"
    )
    session = SharedParseSession()
    lazy = session.get_component("event_emitter")._emitter
    assert isinstance(lazy, _CopiedOnFirstUse)
    assert session.get_credentials().access_key == "AKIATESTLAZY00000001"
    assert lazy._emitter is None  # never copied
    client = session.create_client("sts", region_name="us-east-1")
    assert lazy._emitter is not None
    plain = botocore.session.Session().create_client("sts", region_name="us-east-1")

    def names(emitter, event):
        return [
            getattr(h, "__qualname__", type(h).__qualname__)
            for h in emitter._emitter._handlers.prefix_search(event)
        ]

    for event in (
        "request-created.sts.GetCallerIdentity",
        "before-send.sts.GetCallerIdentity",
        "needs-retry.sts.GetCallerIdentity",
        "before-parameter-build.sts",
    ):
        assert names(client.meta.events, event) == names(plain.meta.events, event), event

    def own(**kwargs):
        return None

    # A handler one session registers reaches neither the template nor a later session.
    other = SharedParseSession()
    other.register("before-call.sts", own)
    assert "own" in [
        n.rsplit(".", 1)[-1] for n in names(other.get_component("event_emitter"), "before-call.sts")
    ]
    later = SharedParseSession().create_client("sts", region_name="us-east-1")
    assert names(later.meta.events, "before-call.sts") == names(
        plain.meta.events, "before-call.sts"
    )
    assert names(client.meta.events, "before-call.sts") == names(
        plain.meta.events, "before-call.sts"
    )
