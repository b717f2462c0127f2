"""One parse per file version: the shared config and credentials files, parsed by botocore's
own loaders once and shared by every session this package builds.

botocore parses both files when a session first reads ``full_config``, then the credentials
file again in its ``shared-credentials-file`` provider and the config file again in its
``config-file`` provider, and again for each source profile of a role. Over 5,000 profiles
(or ``--all`` over every profile) that parsing is nearly all of the cost.

``ParseCache`` keeps, for each path, the last version it parsed, keyed on the file's device,
inode, size, mtime and ctime: an edit is seen at the next call. A file changed within the
timestamp granularity of its last parse ("racy", as git calls it) is compared byte for byte
until it is old enough for its timestamps to tell. botocore's providers get the parsed result
through their own hooks (``full_config`` of a ``Session`` subclass and the ``ini_parser`` /
``config_parser`` parameters of the file providers); no botocore global is patched.

This module imports botocore: import it inside functions only.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import botocore.configloader
import botocore.credentials
import botocore.session
from botocore.exceptions import ConfigNotFound

# A file modified this recently (ns) may be rewritten within the same timestamp tick
# without its stat changing (Linux stamps files with a coarse clock): compare its bytes.
_RACY_NS = 2_000_000_000


@dataclass
class _Entry:
    version: tuple
    value: Any
    content: bytes | None  # kept while the entry is racy


def _expand(path: str) -> str:
    return os.path.expanduser(os.path.expandvars(path))  # as raw_config_parse does


def _version(path: str) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


class ParseCache:
    """The last parse of each shared file, keyed on the file's identity and version.

    Values are shared between callers and must be treated as read-only, as botocore
    treats a session's ``full_config``. Thread-safe: concurrent first calls parse once.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._entries: dict[tuple[str, str], _Entry] = {}
        self.parses = 0  # how many times a file was really read and parsed (tests, benchmark)

    def _cached(self, kind: str, path: str, parse: Any) -> tuple[tuple | None, Any]:
        version = _version(path)
        if version is None:  # missing (or unreadable): botocore decides, nothing to cache
            return None, parse(path)
        with self._lock:
            entry = self._entries.get((kind, path))
            if entry is not None and entry.version == version:
                if entry.content is None:
                    return version, entry.value
                if _read(path) == entry.content:
                    if time.time_ns() - version[3] > _RACY_NS:
                        entry.content = None
                    return version, entry.value
            content = _read(path) if time.time_ns() - version[3] <= _RACY_NS else None
            value = parse(path)
            self.parses += kind == "raw"
            if _version(path) == version:  # unchanged while we read it
                self._entries[(kind, path)] = _Entry(version, value, content)
            return version, value

    def raw(self, path: str | None) -> dict[str, Any]:
        """``botocore.configloader.raw_config_parse(path)``, parsed once per version."""
        if path is None:
            return botocore.configloader.raw_config_parse(path)
        return self._cached("raw", _expand(path), botocore.configloader.raw_config_parse)[1]

    def _raw_versioned(self, path: str) -> tuple[tuple | None, dict[str, Any]]:
        return self._cached("raw", _expand(path), botocore.configloader.raw_config_parse)

    def config(self, path: str | None) -> dict[str, Any]:
        """``botocore.configloader.load_config(path)``, built once per version."""
        if path is None:
            return botocore.configloader.load_config(path)
        expanded = _expand(path)

        def build(_path: str) -> dict[str, Any]:
            return botocore.configloader.build_profile_map(self.raw(expanded))

        return self._cached("config", expanded, build)[1]

    def full_config(self, config_path: str | None, credentials_path: str | None) -> dict:
        """What ``botocore.session.Session.full_config`` computes for these two paths: the
        config file with each credentials-file section merged in, credentials winning."""
        with self._lock:
            try:
                config = self.config(config_path)
                config_version = _version(_expand(config_path)) if config_path else None
            except ConfigNotFound:
                config, config_version = {"profiles": {}}, None
            try:
                if credentials_path is None:
                    credentials_version, credentials = None, {}
                else:
                    credentials_version, credentials = self._raw_versioned(credentials_path)
            except ConfigNotFound:
                credentials_version, credentials = None, {}
            key = ("full", f"{config_path}\0{credentials_path}")
            wanted = (id(config), id(credentials), config_version, credentials_version)
            entry = self._entries.get(key)
            if entry is not None and entry.version == wanted:
                return entry.value
            merged = dict(config)
            profiles = {name: dict(values) for name, values in config["profiles"].items()}
            for name, values in credentials.items():
                if name in profiles:
                    profiles[name].update(values)
                else:
                    profiles[name] = dict(values)
            merged["profiles"] = profiles
            self._entries[key] = _Entry(wanted, merged, None)
            return merged


def default_cache() -> ParseCache:
    """The process-wide cache. A parse is a pure function of the file's bytes, so sharing it
    changes nothing but speed; every lookup re-checks the file, so it never needs clearing."""
    return _DEFAULT


_DEFAULT = ParseCache()


class SharedParseProviderBuilder(botocore.credentials.ProfileProviderBuilder):
    """botocore's builder of profile providers (used again for each role's source profile),
    whose file providers read through the cache."""

    def __init__(self, *args: Any, parse_cache: ParseCache, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._parse_cache = parse_cache

    def _create_shared_credential_provider(self, profile_name: str) -> Any:
        provider = super()._create_shared_credential_provider(profile_name)
        _share_with_provider(provider, self._parse_cache)
        return provider

    def _create_config_provider(self, profile_name: str) -> Any:
        provider = super()._create_config_provider(profile_name)
        _share_with_provider(provider, self._parse_cache)
        return provider


def _share_with_provider(provider: Any, cache: ParseCache) -> None:
    # The ``ini_parser`` / ``config_parser`` constructor hooks of botocore's file providers;
    # a botocore without them keeps parsing for itself, which is slower but just as right.
    shared = isinstance(provider, botocore.credentials.SharedCredentialProvider)
    if shared and hasattr(provider, "_ini_parser"):
        provider._ini_parser = cache.raw
    elif isinstance(provider, botocore.credentials.ConfigProvider) and hasattr(
        provider, "_config_parser"
    ):
        provider._config_parser = cache.config


def builder_like(builder: Any, cache: ParseCache, cls: type | None = None) -> Any:
    """A ``SharedParseProviderBuilder`` (or subclass ``cls``) made with ``builder``'s
    arguments."""
    cls = cls or SharedParseProviderBuilder
    kwargs = {
        "cache": getattr(builder, "_cache", None),
        "region_name": getattr(builder, "_region_name", None),
    }
    for name in ("sso_token_cache", "login_token_cache"):
        if hasattr(builder, f"_{name}"):
            kwargs[name] = getattr(builder, f"_{name}")
    return cls(builder._session, parse_cache=cache, **kwargs)


def share_with_resolver(resolver: Any, cache: ParseCache) -> Any:
    """Point botocore's own providers of ``resolver`` at the cache; returns ``resolver``."""
    for provider in getattr(resolver, "providers", []):
        _share_with_provider(provider, cache)
        if isinstance(provider, botocore.credentials.AssumeRoleProvider):
            builder = getattr(provider, "_profile_provider_builder", None)
            if builder is not None and not isinstance(builder, SharedParseProviderBuilder):
                provider._profile_provider_builder = builder_like(builder, cache)
    return resolver


class _BuiltinHandlers:
    """botocore's built-in event handlers registered once on an emitter that sessions copy
    (as botocore copies a session's emitter for every client it creates): registering the
    ~130 of them is most of what a new botocore session costs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._emitter: Any = None
        self._registered: list = []  # the BUILTIN_HANDLERS the emitter was built from

    def emitter(self) -> Any:
        """A fresh copy of the emitter holding botocore's built-in handlers (made on first
        use), rebuilt when the list changed (moto's ``mock_aws`` adds its stubber to it,
        for example)."""
        from botocore.handlers import BUILTIN_HANDLERS
        from botocore.hooks import HierarchicalEmitter

        with self._lock:
            if self._emitter is None or self._registered != BUILTIN_HANDLERS:
                emitter = HierarchicalEmitter()
                botocore.session.Session(event_hooks=emitter)  # registers the built-ins on it
                self._emitter, self._registered = emitter, list(BUILTIN_HANDLERS)
            return _CopiedOnFirstUse(self._emitter)


class _CopiedOnFirstUse:
    """A copy of the built-in emitter, made the first time the session uses it.

    Copying ~130 handlers is 40% of a new session's cost, and most sessions built for a
    table or ``--all`` never emit an event: static keys, a process or an SSO cache resolve
    without one. The template is never changed after it is built, so an unused copy can
    share it; a copy of an unused copy is another lazy copy.
    """

    def __init__(self, template: Any) -> None:
        self._template = template
        self._emitter: Any = None
        self._lock = threading.Lock()

    def _copy(self) -> Any:
        if self._emitter is None:
            import copy

            with self._lock:
                if self._emitter is None:
                    self._emitter = copy.copy(self._template)
        return self._emitter

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_template", "_emitter", "_lock"):
            raise AttributeError(name)  # copy/pickle probes, and before __init__ ran
        return getattr(self._copy(), name)

    def __copy__(self) -> Any:
        import copy

        if self._emitter is None:
            return _CopiedOnFirstUse(self._template)
        return copy.copy(self._emitter)


_BUILTIN_HANDLERS = _BuiltinHandlers()


class SharedParseSession(botocore.session.Session):
    """``botocore.session.Session`` reading the shared files through a ``ParseCache``.

    Everything else is botocore's: the config variables say which files, the profile
    rules, the provider chain and its order are unchanged. Unless given ``event_hooks``,
    it starts from a copy of botocore's built-in handlers instead of registering them.
    """

    def __init__(self, *args: Any, parse_cache: ParseCache | None = None, **kwargs: Any):
        self._parse_cache = parse_cache or default_cache()
        if (
            not args
            and kwargs.get("event_hooks") is None
            and kwargs.get("include_builtin_handlers", True)
        ):
            kwargs.update(event_hooks=_BUILTIN_HANDLERS.emitter(), include_builtin_handlers=False)
        super().__init__(*args, **kwargs)

    @property
    def full_config(self) -> dict[str, Any]:
        if self._config is None:
            self._config = self._parse_cache.full_config(
                self.get_config_variable("config_file"),
                self.get_config_variable("credentials_file"),
            )
        return self._config

    def _create_credential_resolver(self) -> Any:
        return share_with_resolver(super()._create_credential_resolver(), self._parse_cache)
