"""Identity: who AWS says the credentials belong to (STS GetCallerIdentity).

This is the one place that calls AWS. Calls are bounded by a timeout, are never retried
for long, and failures become ``AwsCredError`` with a one-line, secret-free message.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .errors import AwsCredError, describe_error
from .masking import mask_access_key, scrub
from .model import Identity

if TYPE_CHECKING:  # pragma: no cover
    import pandas

DEFAULT_TIMEOUT = 5.0
STS_FALLBACK_REGION = "us-east-1"


def credential_facts(credentials: Any) -> dict[str, Any]:
    """Method, masked key and expiry of botocore credentials, read without a refresh."""
    if credentials is None:
        return {"method": None, "access_key": "", "expires": None, "temporary": False}
    key = getattr(credentials, "_access_key", None)
    if key is None and not hasattr(credentials, "_refresh_using"):
        key = credentials.access_key
    expiry = getattr(credentials, "_expiry_time", None)
    if isinstance(expiry, dt.datetime) and expiry.tzinfo is None:
        expiry = expiry.replace(tzinfo=dt.timezone.utc)
    expires = expiry if isinstance(expiry, dt.datetime) else None
    return {
        "method": getattr(credentials, "method", None),
        "access_key": mask_access_key(key),
        "expires": expires,
        "temporary": expires is not None or str(key or "").startswith("ASIA"),
    }


def botocore_session(session: Any) -> Any:
    """The botocore session behind a ``boto3.Session`` (or ``session`` itself if it is one)."""
    import botocore.session

    return session if isinstance(session, botocore.session.Session) else session._session


def _session_secrets(session: Any) -> tuple[str | None, ...]:
    """The secrets the session holds now, read without a refresh."""
    return _credential_secrets(botocore_session(session)._credentials)


def _credential_secrets(credentials: Any) -> tuple[str | None, ...]:
    """The secrets of botocore ``credentials``, read without a refresh: the ``secret_key``
    and ``token`` properties of refreshable credentials would call AWS (again) to refresh."""
    if credentials is None:
        return ()
    if hasattr(credentials, "_refresh_using"):
        return (getattr(credentials, "_secret_key", None), getattr(credentials, "_token", None))
    return (getattr(credentials, "secret_key", None), getattr(credentials, "token", None))


def _bounded_config(timeout: float) -> Any:
    from botocore.config import Config

    return Config(
        connect_timeout=timeout,
        read_timeout=timeout,
        retries={"total_max_attempts": 1, "mode": "standard"},  # one try, no backoff
    )


def sts_client(session: Any, timeout: float) -> Any:
    """An STS client that gives up after ``timeout`` seconds instead of retrying for long."""
    protect_botocore_logs()
    core = botocore_session(session)
    create = core.create_client if session is core else session.client
    return create(
        "sts",
        region_name=core.get_config_variable("region") or STS_FALLBACK_REGION,
        config=_bounded_config(timeout),
    )


# The bounded client config for the calls made in this thread by ``whoami`` (None elsewhere).
_bound_in_this_thread = threading.local()


def bound_credential_calls(session: Any) -> None:
    """Let ``whoami`` (and every call made under ``bounded_credential_calls``) bound what
    botocore's own providers wait for: the clients they create (AssumeRole, SSO, web
    identity), which otherwise wait 60 s and try 5 times, and each ``credential_process``,
    which otherwise may run for ever.

    The session's ``create_client`` is wrapped once, before its providers capture it; the
    process providers get a ``Popen`` that kills the process (and its children) when the
    bound is up. Neither changes anything unless the calling thread is inside a bounded
    call, so clients and refreshes the user makes from the same session keep their own
    settings.
    """
    core = botocore_session(session)
    if getattr(core, "_aws_cred_magic_bounded", False):
        return
    create_client = core.create_client

    def bounded_create_client(*args: Any, **kwargs: Any) -> Any:
        bound = getattr(_bound_in_this_thread, "config", None)
        if bound is not None:
            given = kwargs.get("config")
            kwargs["config"] = given.merge(bound) if given is not None else bound
        return create_client(*args, **kwargs)

    core.create_client = bounded_create_client
    core._aws_cred_magic_bounded = True
    _bound_processes(core)


def _bound_processes(core: Any) -> None:
    """Give every ``credential_process`` provider of the session (the chain's own, and the
    ones assume-role builds for a source profile) the bounded ``Popen``."""
    if core._credentials is not None:  # already resolved: its providers ran
        return
    try:
        resolver = core.get_component("credential_provider")
    except Exception:  # an invalid config: botocore raises it again where it belongs
        return
    for method in ("custom-process", "assume-role"):
        run_processes_with(resolver.get_provider(method), bounded_popen)


def run_processes_with(provider: Any, popen: Any) -> None:
    """Make a ``credential_process`` provider start its command with ``popen``; for an
    assume-role provider, every process provider it builds for a source profile."""
    if provider is None:
        return
    if hasattr(provider, "_popen"):
        provider._popen = popen
    builder = getattr(provider, "_profile_provider_builder", None)
    create = getattr(builder, "_create_process_provider", None)
    if create is not None:

        def create_with_popen(profile_name: str) -> Any:
            source = create(profile_name)
            source._popen = popen
            return source

        builder._create_process_provider = create_with_popen


def killed_after(seconds: float) -> Any:
    """A ``Popen`` for botocore's ProcessProvider that kills the process and its children
    if it has not finished ``seconds`` after it started."""
    import functools

    return functools.partial(_KilledOnTimeout, seconds)


def bounded_popen(*args: Any, **kwargs: Any) -> subprocess.Popen:
    """``subprocess.Popen`` for botocore's ProcessProvider: inside a bounded call, the
    process runs in its own process group and is killed with its children if it has not
    finished when the bound is up."""
    timeout = getattr(_bound_in_this_thread, "process_timeout", None)
    if timeout is None:
        return subprocess.Popen(*args, **kwargs)
    return _KilledOnTimeout(timeout, *args, **kwargs)


class _KilledOnTimeout(subprocess.Popen):
    def __init__(self, timeout: float, *args: Any, **kwargs: Any) -> None:
        self.bound = timeout
        if os.name == "posix":
            kwargs.setdefault("start_new_session", True)
        super().__init__(*args, **kwargs)

    def communicate(self, input: Any = None, timeout: float | None = None) -> Any:
        try:
            return super().communicate(input, timeout=self.bound if timeout is None else timeout)
        except subprocess.TimeoutExpired:
            self.kill_group()
            from botocore.exceptions import CredentialRetrievalError

            raise CredentialRetrievalError(
                provider="custom-process",
                error_msg=f"credential_process did not finish in {self.bound:g} s; it was "
                "stopped (raise AwsCredMagics.timeout if it needs longer)",
            ) from None

    def kill_group(self) -> None:
        """Kill the process and everything it started, then reap it."""
        import signal

        try:
            if os.name == "posix":
                os.killpg(self.pid, signal.SIGKILL)
            else:  # pragma: no cover - Windows
                self.kill()
        except (ProcessLookupError, PermissionError):
            pass
        try:
            super().communicate(timeout=1.0)
        except subprocess.TimeoutExpired:  # a grandchild escaped the group and holds a pipe
            for pipe in (self.stdout, self.stderr):
                if pipe is not None:
                    pipe.close()
            self.wait(timeout=1.0)


@contextmanager
def bounded_credential_calls(session: Any, timeout: float) -> Iterator[None]:
    """Within the block, every client botocore's providers create for ``session`` gives up
    after ``timeout`` seconds (one try), and every ``credential_process`` is killed after
    ``timeout`` seconds."""
    bound_credential_calls(session)
    del session  # holds no session alive while the block waits on the network
    previous = (
        getattr(_bound_in_this_thread, "config", None),
        getattr(_bound_in_this_thread, "process_timeout", None),
    )
    _bound_in_this_thread.config = _bounded_config(timeout)
    _bound_in_this_thread.process_timeout = timeout
    try:
        yield
    finally:
        _bound_in_this_thread.config, _bound_in_this_thread.process_timeout = previous


_bounded_credential_calls = bounded_credential_calls  # the name assume.py imports


class _ScrubSecrets(logging.Filter):
    """Scrub the records of the loggers our operations touch: botocore's DEBUG records print
    request headers (the session token in ``X-Amz-Security-Token``) and response bodies (the
    keys AssumeRole returns); its WARNING about a failing ``credential_process`` carries the
    process's stderr in the attached exception.

    The message, the exception text and the stack are all scrubbed, and the exception itself
    is replaced by its scrubbed text, so any handler shows a clean record: a plain
    ``logging.basicConfig()`` on the root logger as well as one that formats ``exc_info``
    itself.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.split(".", 1)[0] not in _PROTECTED_PREFIXES:
            return True  # on a root handler: the user's own loggers are not ours to touch
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is botocore's to report, not ours
            return True
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[0] is not None:
            text = record.exc_text or self._formatter.formatException(record.exc_info)
            record.exc_text = scrub(text)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


_SCRUB_FILTER = _ScrubSecrets()
# The loggers whose records can hold request headers, bodies, credentials or a process's
# stderr: botocore's (each module logs under its own name), boto3's, and the HTTP layers.
_PROTECTED_PREFIXES = ("botocore", "boto3", "urllib3", "s3fs", "aiobotocore", "fsspec")
_BOTOCORE_LOGGERS = (
    "botocore",
    "botocore.auth",
    "botocore.client",
    "botocore.credentials",
    "botocore.endpoint",
    "botocore.hooks",
    "botocore.httpsession",
    "botocore.parsers",
    "botocore.regions",
    "botocore.retryhandler",
    "botocore.tokens",
    "botocore.utils",
    "boto3",
    "boto3.resources.action",
    "urllib3.connectionpool",
)


def protect_botocore_logs() -> None:
    """Install the scrubbing filter on those loggers: the known ones and every one already
    created under the same prefixes (once each; costs nothing unless a logger is enabled
    for the level). A filter runs only for records logged on its own logger, so each one
    needs it; the root logger's handlers get it too, so a logger created later under those
    prefixes (aiobotocore, s3fs on first use) is scrubbed on its way out."""
    existing = [
        name
        for name in list(logging.root.manager.loggerDict)
        if name.split(".", 1)[0] in _PROTECTED_PREFIXES
    ]
    for name in {*_BOTOCORE_LOGGERS, *existing}:
        logger = logging.getLogger(name)
        if _SCRUB_FILTER not in logger.filters:
            logger.addFilter(_SCRUB_FILTER)
    for handler in list(logging.root.handlers):
        if _SCRUB_FILTER not in handler.filters:
            handler.addFilter(_SCRUB_FILTER)


def whoami(
    session: Any,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    source: str = "",
    profile: str | None = None,
    shared: SharedStsClients | None = None,
) -> Identity:
    """Call STS GetCallerIdentity with ``session``; raise ``AwsCredError`` on any failure.

    ``session`` is a ``boto3.Session`` or a botocore session. With ``shared``, a session
    ``SessionFactory`` built calls through the STS client ``shared`` holds for its
    configuration instead of a new one, and is let go once its credentials are resolved:
    a session that dies young is freed by the cheap young-generation collections instead
    of lingering through the network wait into the costly full ones (``--all``)."""
    protect_botocore_logs()  # before the providers run: a failing process logs its stderr
    core = botocore_session(session)
    if shared is not None and not getattr(core, "_aws_cred_magic_shareable", False):
        shared = None
    if shared is not None:
        session = None  # the caller holds no other reference: see above
    region = core.get_config_variable("region")
    named = profile
    if named is None and not getattr(core, "_aws_cred_magic_role", None):
        named = core.profile or "default"  # what boto3.Session.profile_name says
    credentials = None
    try:
        with bounded_credential_calls(core, timeout):
            credentials = core.get_credentials()
            if credentials is None:
                raise AwsCredError(
                    "No credentials found for this session (NoCredentialsError): run "
                    "%aws_chain to see why, then %aws_use PROFILE or %aws_keys."
                )
            if shared is not None:
                call = shared.caller(core, credentials)
                core = None
                response = call()
            else:
                response = sts_client(session or core, timeout).get_caller_identity()
    except AwsCredError:
        raise
    except Exception as exc:  # botocore, STS and network errors, RuntimeError for expiry
        raise AwsCredError(describe_error(exc, _credential_secrets(credentials))) from None
    facts = credential_facts(credentials)
    if facts["method"] == "explicit" and profile is None:
        named = None  # boto3 names a session made from keys 'default': no profile was used
    return Identity(
        account=response.get("Account"),
        arn=response.get("Arn"),
        user_id=response.get("UserId"),
        method=facts["method"],
        access_key=facts["access_key"],
        region=region,
        profile=named,
        expires=facts["expires"],
        source=source,
        temporary=facts["temporary"],
    )


class _CredentialsOfThisThread:
    """The credentials of a shared STS client: each thread signs with the credentials it
    set for its call. botocore's signer asks its credentials for frozen ones at every
    request, so one client serves many profiles, each request signed with its own keys."""

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def set_to(self, credentials: Any) -> Iterator[None]:
        previous = getattr(self._local, "credentials", None)
        self._local.credentials = credentials
        try:
            yield
        finally:
            self._local.credentials = previous

    def _current(self) -> Any:
        credentials = getattr(self._local, "credentials", None)
        if credentials is None:  # the shared client used outside one of its calls
            raise AwsCredError("This STS client has no credentials outside %aws_whoami --all.")
        return credentials

    def get_frozen_credentials(self) -> Any:
        return self._current().get_frozen_credentials()

    def get_deferred_property(self, name: str) -> Any:
        return lambda: getattr(self._current(), name, None)  # read at request time

    def __getattr__(self, name: str) -> Any:
        # Only ever read inside ``set_to`` (a call or a client build): outside, even
        # ``hasattr`` raises AwsCredError rather than guess whose credentials are meant.
        if name.startswith("__") or name == "_local":
            raise AttributeError(name)
        return getattr(self._current(), name)


# Profile settings that only say where credentials come from: no client reads them. Two
# profiles that differ in nothing else get the same STS client.
_CREDENTIAL_SETTINGS = frozenset(
    {
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "aws_security_token",
        "aws_credential_expiration",
        "role_arn",
        "source_profile",
        "credential_source",
        "external_id",
        "mfa_serial",
        "role_session_name",
        "duration_seconds",
        "credential_process",
        "web_identity_token_file",
        "sso_session",
        "sso_account_id",
        "sso_role_name",
        "sso_start_url",
        "sso_region",
        "sso_registration_scopes",
        "login_session",
    }
)


class SharedStsClients:
    """STS clients shared by the profiles of one ``%aws_whoami --all``: one per distinct
    client configuration instead of one per profile.

    A botocore client is built from its session's configuration and its credentials. The
    sessions ``SessionFactory`` builds share the environment, the files and everything but
    the profile, so two profiles whose settings match once the credential settings are set
    aside (and whose region matches) get identical clients but for the credentials, which
    ``_CredentialsOfThisThread`` supplies per request. Building a client is most of the CPU
    a profile costs; each still resolves its own credentials with botocore's own chain.

    Make one per run: a client reflects the environment at the time it was built.
    """

    def __init__(self, timeout: float, pool_size: int = 10) -> None:
        from botocore.config import Config

        self._config = _bounded_config(timeout).merge(
            Config(max_pool_connections=max(10, int(pool_size)))  # one connection per caller
        )
        self._credentials = _CredentialsOfThisThread()
        self._clients: dict[tuple, list] = {}  # configuration -> [lock, client or None]
        self._lock = threading.Lock()

    @staticmethod
    def configuration(core: Any) -> tuple:
        """What, besides credentials, an STS client built from ``core`` depends on."""
        settings = core.get_scoped_config()
        services = settings.get("services")
        section = core.full_config.get("services", {}).get(services) if services else None
        # What was set on the session itself (SessionFactory sets only the profile) and a
        # default client config: none today, but a session with either is its own.
        own = {k: v for k, v in core.instance_variables().items() if k != "profile"}
        return (
            core.get_config_variable("region") or STS_FALLBACK_REGION,
            tuple(
                sorted((k, repr(v)) for k, v in settings.items() if k not in _CREDENTIAL_SETTINGS)
            ),
            repr(section),
            tuple(sorted((k, repr(v)) for k, v in own.items())),
            repr(core.get_default_client_config()),
        )

    def caller(self, core: Any, credentials: Any) -> Callable[[], dict[str, Any]]:
        """GetCallerIdentity signed with ``credentials``, through the client for ``core``'s
        configuration (built now if it is the first): call it to make the request."""
        key = self.configuration(core)
        with self._lock:
            slot = self._clients.setdefault(key, [threading.Lock(), None])
        with slot[0]:  # one build per configuration: its other profiles wait for it
            if slot[1] is None:
                with self._credentials.set_to(credentials):
                    slot[1] = self._build(core, key[0])
        client, signing = slot[1], self._credentials

        def call() -> dict[str, Any]:
            with signing.set_to(credentials):
                return client.get_caller_identity()

        return call

    def _build(self, core: Any, region: str) -> Any:
        # botocore gives the client the session's credentials: lend it ours while it builds.
        own, core._credentials = core._credentials, self._credentials
        try:
            return core.create_client("sts", region_name=region, config=self._config)
        finally:
            core._credentials = own


DEFAULT_CONCURRENCY = 64


def run_concurrently(
    function: Any, items: list[Any], limit: int = DEFAULT_CONCURRENCY
) -> list[Any]:
    """``[function(item) for item in items]`` on a bounded pool of ``limit`` threads (the
    calls wait on the network, not the CPU) that refills as calls finish: each thread takes
    the next item the moment its call returns, so one slow call holds back nothing else.

    All threads are started before any begins work: a thread pool starts its threads one
    submit at a time, and each start waits for the GIL held by the workers already busy
    building clients, which had delayed the last calls by a few hundred milliseconds.
    """
    results: list[Any] = [None] * len(items)
    indexes = iter(range(len(items)))
    take = threading.Lock()
    gate = threading.Event()

    def work() -> None:
        gate.wait()
        while True:
            with take:
                index = next(indexes, None)
            if index is None:
                return
            results[index] = function(items[index])

    threads = [
        threading.Thread(target=work, daemon=True, name="aws-whoami")
        for _ in range(max(1, min(int(limit), len(items))))
    ]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join()
    return results


def whoami_many(
    named_sessions: Iterable[tuple[str, Any]],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    label: str = "profile",
    concurrency: int = DEFAULT_CONCURRENCY,
) -> pandas.DataFrame:
    """GetCallerIdentity for many sessions at once, one row each, at most ``concurrency``
    calls in flight (each bounded by ``timeout``).

    ``named_sessions`` yields ``(name, session_or_factory)``; a factory (a callable
    returning a session) is called inside the worker, so a profile that fails to build
    becomes an error row instead of stopping the others.
    """
    import pandas as pd

    items = list(named_sessions)
    shared = SharedStsClients(timeout, pool_size=concurrency)

    def one(item: tuple[str, Any]) -> dict[str, Any]:
        name, target = item
        try:
            # Sessions SessionFactory built share clients; a factory's session is passed on
            # without a name here, so whoami can let it go before the call waits.
            identity = whoami(
                target() if callable(target) else target, timeout=timeout, shared=shared
            )
            row = identity.to_dict()
        except AwsCredError as exc:
            row = Identity(error=str(exc)).to_dict()
        except Exception as exc:  # a factory failing in an unexpected way is still one row
            row = Identity(error=describe_error(exc)).to_dict()
        row.pop("profile", None)
        row.pop("source", None)
        row.pop("temporary", None)
        return {label: name, **row}

    rows = run_concurrently(one, items, concurrency)
    columns = [
        label,
        "account",
        "arn",
        "user_id",
        "method",
        "access_key",
        "region",
        "expires",
        "error",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    frame["expires"] = pd.to_datetime(frame["expires"], utc=True)
    return frame
