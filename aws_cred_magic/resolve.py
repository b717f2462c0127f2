"""Resolve: walk botocore's own credential chain, provider by provider, and explain it.

The providers come from the session's real resolver
(``session.get_component('credential_provider').providers``), so the rows follow whatever
botocore is installed. Providers that only read files or the environment are really loaded.
The four that would start a process or touch the network (credential_process, container,
IMDS, and assume-role, whose ``load()`` resolves its source eagerly) are swapped for *dry*
subclasses unless ``probe=True``: they make the same decision botocore makes (does this
provider claim the profile? is its configuration valid?) but return a placeholder instead
of running anything. A provider that claims always returns credentials or raises, so the
first one that claims is the winner; only IMDS can be unknown without the network.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import compat
from .discover import ConfigFiles, expand_path, load_config_files, profile_choice
from .errors import AwsCredError, describe_error
from .identity import credential_facts, killed_after, run_processes_with
from .masking import scrub
from .model import ProviderRow, Resolution

if TYPE_CHECKING:  # pragma: no cover
    import boto3
    import pandas

# The default bound on all probing together: under 1 s even when IMDS hangs (botocore
# alone waits about 2 s there), and ample for a real container or instance endpoint.
DEFAULT_PROBE_TIMEOUT = 0.9


@dataclass
class _Outcome:
    """What one provider's ``load()`` did: credentials, a placeholder, nothing, or an error."""

    credentials: Any = None
    error: BaseException | None = None
    unknown: str = ""  # why the outcome cannot be known (IMDS without probe)
    unverified: str = ""  # a probe that did not finish: this is the dry run's verdict

    @property
    def claims(self) -> bool:
        return self.credentials is not None or self.error is not None


def _dry_provider_classes() -> dict[type, type]:
    """Build the dry stand-ins; defined lazily so importing this module stays cheap."""
    from botocore import credentials as bc
    from botocore.compat import compat_shell_split

    from .configcache import SharedParseProviderBuilder

    class NotLoaded(bc.Credentials):
        """Placeholder for credentials botocore would fetch by running or calling something."""

        def __init__(self, method: str, reason: str) -> None:
            super().__init__(None, None, method=method)
            self.reason = reason

    class DryProcessProvider(bc.ProcessProvider):
        def _retrieve_credentials_using(self, credential_process):
            argv = compat_shell_split(credential_process)
            if not argv:
                raise IndexError("list index out of range")  # what Popen([]) raises in botocore
            problem = exec_error(argv[0])
            if problem is not None:  # what Popen raises, found without running anything
                raise problem
            command = scrub(credential_process)  # an argument may be a secret
            raise _Claimed(NotLoaded(self.METHOD, f"runs {command}; not run"))

        def load(self):
            try:
                return super().load()
            except _Claimed as claimed:
                return claimed.credentials

    class DryContainerProvider(bc.ContainerProvider):
        def _retrieve_or_fail(self):
            # Make the checks botocore makes before its request, in botocore's order: the
            # authorization token (file) first, then the URL's host, so a bad value is the
            # same real error here too.
            if self._provided_relative_uri():
                full_uri = self._fetcher.full_url(self._environ[self.ENV_VAR])
            else:
                full_uri = self._environ[self.ENV_VAR_FULL]
            self._build_headers()
            self._fetcher._validate_allowed_url(full_uri)
            return NotLoaded(self.METHOD, f"would GET {full_uri}; not contacted")

    from botocore.utils import ContainerMetadataFetcher

    class FirstAnswerContainerFetcher(ContainerMetadataFetcher):
        """botocore's container fetcher, stopping at the first answer: botocore tries 3
        times, 1 s apart, and raises the last failure; an error status, a refused
        connection or a bad payload are the same each time, so the first one decides."""

        RETRY_ATTEMPTS = 1

        def __init__(self) -> None:
            super().__init__(sleep=lambda seconds: None)

    class DryInstanceMetadataProvider(bc.InstanceMetadataProvider):
        def load(self):
            if self._role_fetcher._disabled:
                return None
            return NotLoaded(self.METHOD, "not contacted")

    class DryProfileProviderBuilder(SharedParseProviderBuilder):
        def _create_process_provider(self, profile_name):
            return DryProcessProvider(
                profile_name=profile_name, load_config=lambda: self._session.full_config
            )

    return {
        "NotLoaded": NotLoaded,
        "FirstAnswerContainerFetcher": FirstAnswerContainerFetcher,
        bc.ProcessProvider: DryProcessProvider,
        bc.ContainerProvider: DryContainerProvider,
        bc.InstanceMetadataProvider: DryInstanceMetadataProvider,
        bc.ProfileProviderBuilder: DryProfileProviderBuilder,
    }


class _Claimed(Exception):  # noqa: N818 - a control-flow signal, not an error
    def __init__(self, credentials: Any) -> None:
        self.credentials = credentials


def _inspecting_assume_role_class():
    from botocore.credentials import AssumeRoleProvider

    class InspectingAssumeRoleProvider(AssumeRoleProvider):
        """botocore's assume-role provider, recording each hop of a role chain."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.hops: list[tuple[str, dict, Any]] = []

        def _resolve_source_credentials(self, role_config, profile_name):
            credentials = super()._resolve_source_credentials(role_config, profile_name)
            self.hops.append((profile_name, role_config, credentials))
            return credentials

    return InspectingAssumeRoleProvider


def _inspectable(provider: Any, session: Any, probe: bool, dry: dict) -> Any:
    """The provider to call ``load()`` on: itself, or a dry or inspecting copy (or, on a
    botocore without the private hooks that copy needs, one that says so: see ``compat``)."""
    from botocore import credentials as bc

    missing = compat.missing_hooks(provider)
    if not probe and isinstance(provider, bc.AssumeRoleProvider):
        missing += compat.missing_builder_hooks()
    if missing and probe:
        return provider  # botocore's own load, as boto3 runs it (no role hops recorded)
    if missing:
        return compat.uninspectable(provider, missing)
    if isinstance(provider, bc.AssumeRoleProvider):
        if probe:
            builder, sourcer = provider._profile_provider_builder, provider._credential_sourcer
        else:
            from .configcache import default_cache

            cache = getattr(session, "_parse_cache", None) or default_cache()
            builder = dry[bc.ProfileProviderBuilder](session, cache={}, parse_cache=cache)
            sourcer = bc.CanonicalNameCredentialSourcer(
                [
                    bc.EnvProvider(),
                    _inspectable(bc.ContainerProvider(), session, probe, dry),
                    _inspectable(_imds_provider_of(session), session, probe, dry),
                ]
            )
        return _inspecting_assume_role_class()(
            load_config=provider._load_config,
            client_creator=provider._client_creator,
            cache={},
            profile_name=provider._profile_name,
            prompter=_never_prompt,
            credential_sourcer=sourcer,
            profile_provider_builder=builder,
        )
    if probe and type(provider) is bc.ContainerProvider:
        return bc.ContainerProvider(
            environ=provider._environ, fetcher=dry["FirstAnswerContainerFetcher"]()
        )
    if probe:
        return provider
    if type(provider) is bc.ProcessProvider:
        return dry[bc.ProcessProvider](
            profile_name=provider._profile_name, load_config=provider._load_config
        )
    if type(provider) is bc.ContainerProvider:
        return dry[bc.ContainerProvider](environ=provider._environ, fetcher=provider._fetcher)
    if type(provider) is bc.InstanceMetadataProvider:
        return dry[bc.InstanceMetadataProvider](provider._role_fetcher)
    return provider


def _imds_provider_of(session: Any) -> Any:
    from botocore.credentials import InstanceMetadataProvider

    resolver = session.get_component("credential_provider")
    return next(p for p in resolver.providers if isinstance(p, InstanceMetadataProvider))


def _never_prompt(prompt: str = "") -> str:
    # Inspection never freezes deferred credentials, so botocore never asks for an MFA code.
    raise RuntimeError("aws_cred_magic does not prompt while inspecting")


def _is_network_provider(provider: Any) -> bool:
    from botocore import credentials as bc

    side_effecting = (
        bc.ProcessProvider,
        bc.ContainerProvider,
        bc.InstanceMetadataProvider,
        bc.AssumeRoleProvider,  # its load() resolves the source credentials eagerly
    )
    return isinstance(provider, side_effecting)


def _load(provider: Any) -> _Outcome:
    try:
        return _Outcome(credentials=provider.load())
    except compat.MissingHook as exc:
        return _Outcome(unknown=str(exc))
    except Exception as exc:  # botocore raises many types; each one ends the chain
        return _Outcome(error=exc)


def exec_error(program: str) -> OSError | None:
    """The error ``subprocess.Popen([program, ...])`` raises before running anything (a
    command that is missing, not executable, or a script whose interpreter is missing),
    found the way the exec call finds it (``PATH`` unless the name has a ``/``); ``None``
    when it would start. Nothing is run."""
    if os.sep in program:
        candidates = [program]
    else:
        candidates = [os.path.join(d or ".", program) for d in os.get_exec_path()]
    saved, last = 0, errno.ENOENT
    for path in candidates:
        code = _exec_errno(path)
        if code == 0:
            return None
        if code not in (errno.ENOENT, errno.ENOTDIR) and not saved:
            saved = code  # as the exec loop does: the first telling error wins
        last = code
    code = saved or last
    return OSError(code, os.strerror(code), program)  # FileNotFoundError, PermissionError…


def _exec_errno(path: str, interpreter: bool = False) -> int:
    import stat

    try:
        info = os.stat(path)
    except OSError as exc:
        return exc.errno or errno.ENOENT
    if stat.S_ISDIR(info.st_mode) or not os.access(path, os.X_OK):
        return errno.EACCES
    if interpreter:
        return 0
    try:
        with open(path, "rb") as handle:
            head = handle.read(256)
    except OSError:
        return 0  # executable but unreadable: the kernel may still run it
    if head.startswith(b"#!"):
        words = head[2:].split(b"\n", 1)[0].split()
        if words:
            return _exec_errno(os.fsdecode(words[0]), interpreter=True)
    return 0


def probe_bound(provider: Any, timeout: float) -> float:
    """How long to wait for ``provider`` when probing: ``timeout``, or longer for IMDS (and
    a role sourced from it) when the user's own ``metadata_service_timeout`` /
    ``metadata_service_num_attempts`` make botocore wait longer than its defaults: a slow
    instance that botocore waits for must not come out unknown here."""
    from botocore import credentials as bc

    fetcher = getattr(provider, "_role_fetcher", None)
    if fetcher is None and isinstance(provider, bc.AssumeRoleProvider):
        sourcer = getattr(provider, "_credential_sourcer", None)
        for source in getattr(sourcer, "_providers", []):
            fetcher = getattr(source, "_role_fetcher", None) or fetcher
    try:
        per_request = float(getattr(fetcher, "_timeout", 1) or 1)
        attempts = int(getattr(fetcher, "_num_attempts", 1) or 1)
    except (TypeError, ValueError):
        return timeout
    if per_request * attempts <= 1:  # botocore's defaults: 1 s, 1 attempt
        return timeout
    # A token PUT and two GETs, each waiting up to the timeout, each tried ``attempts`` times.
    return max(timeout, 3 * per_request * attempts)


# Seconds after the probe's own bound at which a still-running credential_process is killed.
_PROCESS_GRACE = 0.5


class _ProbeRun:
    """Loading every provider of a chain. With ``probe`` the side-effecting ones start at
    once, each in its own thread; ``finish()`` loads the local ones and waits for each
    probe at most its ``probe_bound`` (all at once, not one after another)."""

    def __init__(
        self,
        providers: list[Any],
        probe: bool,
        timeout: float,
        kill_late: bool = True,
        called: float | None = None,
    ) -> None:
        self.providers = providers
        # The bound counts from the call (``called``), so a cold call that first imports
        # botocore still waits ``timeout`` in all, as the setting says; what came before
        # may take at most a quarter of it from the probes, so a slow import never
        # leaves them no time at all.
        now = time.monotonic()
        self.start = now if called is None else max(called, now - timeout / 4)
        self.outcomes: list[_Outcome | None] = [None] * len(providers)
        self.threads: list[tuple[threading.Thread, float]] = []
        self.local: list[int] = []
        for index, provider in enumerate(providers):  # the slow ones start first
            if probe and _is_network_provider(provider):
                bound = probe_bound(provider, timeout)
                # A command still running when the table is done is killed (with its
                # children) soon after, never left behind; the grace keeps the kill after
                # the wait, so the row still reads "did not finish … not verified". Only in
                # a session built for the table: a user's own session keeps botocore's ways.
                if kill_late:
                    run_processes_with(provider, killed_after(bound + _PROCESS_GRACE))
                thread = threading.Thread(
                    target=self._run, args=(index,), daemon=True, name=f"probe-{provider.METHOD}"
                )
                thread.start()
                self.threads.append((thread, bound))
            else:
                self.local.append(index)

    def _run(self, index: int) -> None:
        self.outcomes[index] = _load(self.providers[index])

    def finish(self) -> list[_Outcome | None]:
        """The outcomes; ``None`` marks a probe that did not finish in time."""
        for index in self.local:
            self.outcomes[index] = _load(self.providers[index])
        if self.threads:
            _import_in_background("pandas")  # the table needs it next: import while we wait
        for thread, bound in self.threads:
            thread.join(max(0.0, self.start + bound - time.monotonic()))
        return list(self.outcomes)


@dataclass
class _EarlyProbes:
    """Probes started on a botocore session before boto3 is even imported: boto3's import
    (s3transfer and all) then happens while they wait instead of before."""

    session: Any  # the botocore session boto3.Session is then built on
    chain: list[Any]
    inspected: list[Any]
    run: _ProbeRun


def _start_probes_early(
    profile: str | None, timeout: float, called: float | None = None
) -> _EarlyProbes | None:
    """Build the chain botocore will build for ``boto3.Session(profile_name=profile)`` (the
    same botocore session, handed to boto3 next) and start its probes. ``None`` when the
    chain cannot be built: boto3.Session() or the table then says why, as without this."""
    from .discover import new_session

    try:
        core = new_session(profile)
        chain = list(core.get_component("credential_provider").providers)
    except Exception:  # reported by the normal path, which raises the same again
        return None
    dry = _dry_provider_classes()
    inspected = [_inspectable(p, core, True, dry) for p in chain]
    return _EarlyProbes(core, chain, inspected, _ProbeRun(inspected, True, timeout, called=called))


def _import_in_background(name: str) -> None:
    """Start importing ``name`` in a daemon thread (a cold pandas + numpy import takes about
    0.4 s, as long as a probe may wait); whoever imports it next waits for that import
    through Python's own module lock instead of starting again."""
    import contextlib
    import importlib
    import sys

    if name in sys.modules:
        return

    def load() -> None:
        # A failure here is raised again, where it belongs, by the import that needs it.
        with contextlib.suppress(Exception):
            importlib.import_module(name)

    threading.Thread(target=load, daemon=True, name=f"import-{name}").start()


# ---------------------------------------------------------------------------------------
# Describing one row


def _access_key_of(credentials: Any) -> str:
    return credential_facts(credentials)["access_key"]


class _Describer:
    """Location and a sentence for each provider, from configuration only."""

    def __init__(self, session: Any, files: ConfigFiles, profile: str, explicit_profile: bool):
        self.session = session
        self.files = files
        self.profile = profile
        self.explicit_profile = explicit_profile
        self.settings = files.profile(profile)

    def location(self, provider: Any) -> str:
        method = provider.METHOD
        env = os.environ
        if method == "env":
            names = [
                n
                for n in (
                    "AWS_ACCESS_KEY_ID",
                    "AWS_SECRET_ACCESS_KEY",
                    "AWS_SECURITY_TOKEN",
                    "AWS_SESSION_TOKEN",
                    "AWS_CREDENTIAL_EXPIRATION",
                )
                if env.get(n)
            ]
            return "env " + ", ".join(names) if names else "env AWS_ACCESS_KEY_ID"
        if method == "assume-role":
            return self.files.where(self.profile, "role_arn")
        if method == "assume-role-with-web-identity":
            token = None if self.explicit_profile else env.get("AWS_WEB_IDENTITY_TOKEN_FILE")
            if token:
                return f"env AWS_WEB_IDENTITY_TOKEN_FILE={token}"
            token = self.settings.get("web_identity_token_file")
            if token:
                return f"{token} ({self.files.where(self.profile, 'web_identity_token_file')})"
            return ""
        if method == "sso":
            return self.files.where(self.profile)
        if method == "shared-credentials-file":
            return f"{self.files.credentials_path} [{self.profile}]"
        if method == "config-file":
            header = self.files.config_section_of(self.profile) or (
                "default" if self.profile == "default" else f"profile {self.profile}"
            )
            return f"{self.files.config_path} [{header}]"
        if method == "login":
            return self.files.where(self.profile, "login_session")
        if method == "custom-process":
            command = self.settings.get("credential_process")
            return scrub(command) if command else ""
        if method == "ec2-credentials-file":
            path = env.get("AWS_CREDENTIAL_FILE")
            return f"env AWS_CREDENTIAL_FILE={expand_path(path)}" if path else ""
        if method == "boto-config":
            return self._boto_location()
        if method == "container-role":
            if env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
                return "http://169.254.170.2" + env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"]
            return env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI", "")
        if method == "iam-role":
            fetcher = getattr(provider, "_role_fetcher", None)
            return getattr(fetcher, "_base_url", "") or ""
        return ""

    def _boto_location(self) -> str:
        if "BOTO_CONFIG" in os.environ:
            return f"env BOTO_CONFIG={os.environ['BOTO_CONFIG']}"
        existing = [p for p in ("/etc/boto.cfg", "~/.boto") if os.path.isfile(expand_path(p))]
        return ", ".join(existing) or "/etc/boto.cfg, ~/.boto"

    def configured_detail(self, provider: Any, credentials: Any, not_loaded: type) -> str:
        """What the provider found, for a row that claims."""
        method = provider.METHOD
        if isinstance(credentials, not_loaded):
            base = credentials.reason
            if method == "custom-process":
                base = f"credential_process configured: {base}"
            elif method == "iam-role":
                base = "EC2 instance metadata would be queried; not contacted"
            return base
        if method == "assume-role":
            return self.role_chain_detail(getattr(provider, "hops", []))
        if method == "assume-role-with-web-identity":
            role = (
                None if self.explicit_profile else os.environ.get("AWS_ROLE_ARN")
            ) or self.settings.get("role_arn")
            return f"role {role} with a web identity token; STS is called on first use"
        if method == "sso":
            return self.sso_detail()
        if method == "login":
            return f"login session {self.settings.get('login_session')} from the login cache"
        if method == "env" and os.environ.get("AWS_CREDENTIAL_EXPIRATION"):
            return (
                f"keys in environment variables, expiring {os.environ['AWS_CREDENTIAL_EXPIRATION']}"
            )
        if method == "env":
            return "keys in environment variables"
        if method in ("shared-credentials-file", "config-file"):
            return f"static keys for profile {self.profile}"
        if method == "container-role":
            return f"credentials from the container endpoint {self.location(provider)}"
        if method == "iam-role":
            return "instance role credentials from the EC2 instance metadata service"
        if method == "custom-process":
            return "credentials printed by the credential_process command"
        return "keys found"

    def role_chain_detail(self, hops: list[tuple[str, dict, Any]]) -> str:
        """``role A via source_profile B → role … → keys from <method> ****1234``."""
        if not hops:
            role = self.settings.get("role_arn")
            return f"role {role}; STS AssumeRole is called on first use"
        parts = []
        for _profile, config, _credentials in reversed(hops):
            via = (
                f"source_profile {config['source_profile']}"
                if config.get("source_profile")
                else f"credential_source {config.get('credential_source')}"
            )
            parts.append(f"role {config['role_arn']} via {via}")
        source = hops[0][2]
        source_method = getattr(source, "method", None) or "source"
        reason = getattr(source, "reason", "")
        source_text = f"{source_method} {_access_key_of(source)}".strip()
        if reason:
            source_text += f" ({reason})"
        text = " → ".join(parts) + f"; source credentials: {source_text}"
        if any(config.get("mfa_serial") for _p, config, _c in hops):
            text += "; asks for an MFA code on first use"
        return text + "; STS AssumeRole is called on first use"

    def sso_detail(self) -> str:
        settings = dict(self.settings)
        session_name = settings.get("sso_session")
        if not isinstance(session_name, str):  # an indented block: botocore raises on it
            session_name = None
        if session_name:
            settings.update(self.files.sso_session(session_name))
        via = f"sso-session {session_name}" if session_name else settings.get("sso_start_url")
        if not isinstance(via, str):
            via = "an indented block where a name or URL belongs"
        text = (
            f"SSO account {settings.get('sso_account_id')} role {settings.get('sso_role_name')}"
            f" via {via}"
        )
        from .sso import target_for, token_status

        try:
            status = token_status(target_for(self.profile, config=self.files.merged))
        except AwsCredError:  # incomplete config: the provider's own row says so
            return text
        if status.usable:
            return text + f"; SSO login {status.text()}"
        return (
            text + f"; SSO login: {status.text()} (run %aws_sso_login {self.profile}; "
            "first use will fail)"
        )


# ---------------------------------------------------------------------------------------
# The table


def _region_and_source(boto_session: Any, region: str | None) -> tuple[str | None, str]:
    name = boto_session.region_name
    if name is None:
        return None, "no region configured"
    if region is not None or boto_session._session.instance_variables().get("region"):
        return name, "passed explicitly"
    if os.environ.get("AWS_DEFAULT_REGION") == name:
        return name, "env AWS_DEFAULT_REGION"
    return name, "profile setting"


def build_boto3_session(
    profile: str | None = None,
    *,
    region: str | None = None,
    aws_access_key_id: str | None = None,
    aws_secret_access_key: str | None = None,
    aws_session_token: str | None = None,
    aws_account_id: str | None = None,
    botocore_session: Any = None,
) -> boto3.Session:
    """``boto3.Session`` with the same arguments, raising what boto3 raises, built on
    ``botocore_session`` (default: a new one reading the shared parse).

    ``aws_account_id`` reaches boto3 only when given: boto3 before 1.37 has no such
    argument, and refusing it there is clearer than boto3's ``TypeError``.
    """
    import boto3

    from .discover import new_session

    account = {}
    if aws_account_id is not None:
        if not compat.session_takes_account_id():
            raise TypeError(
                f"aws_account_id needs boto3 1.37 or newer (installed: {boto3.__version__})"
            )
        account["aws_account_id"] = aws_account_id
    return boto3.Session(
        botocore_session=botocore_session or new_session(),
        profile_name=profile,
        region_name=region,
        aws_access_key_id=aws_access_key_id,
        aws_secret_access_key=aws_secret_access_key,
        aws_session_token=aws_session_token,
        **account,
    )


def resolve(
    profile: str | None = None,
    *,
    region: str | None = None,
    aws_access_key_id: str | None = None,
    aws_secret_access_key: str | None = None,
    aws_session_token: str | None = None,
    aws_account_id: str | None = None,
    probe: bool = False,
    timeout: float = DEFAULT_PROBE_TIMEOUT,
    boto_session: boto3.Session | None = None,
) -> Resolution:
    """Explain how boto3 resolves credentials for these arguments. Never raises for bad
    configuration: the error becomes a row. See ``resolution_table`` for the rules."""
    called = time.monotonic()  # probe bounds count from here
    secrets = (aws_secret_access_key, aws_session_token)
    explicit_keys = any((aws_access_key_id, aws_secret_access_key, aws_session_token))
    early = None
    owned = boto_session is None  # built here for the table, not the user's own session
    if boto_session is None:
        # Keys passed in: botocore never builds the chain, so nothing may be probed.
        if probe and not explicit_keys and aws_account_id is None:
            early = _start_probes_early(profile, timeout, called)
        try:
            boto_session = build_boto3_session(
                profile,
                region=region,
                aws_access_key_id=aws_access_key_id,
                aws_secret_access_key=aws_secret_access_key,
                aws_session_token=aws_session_token,
                aws_account_id=aws_account_id,
                botocore_session=early.session if early else None,
            )
        except Exception as exc:  # what boto3.Session() raises before the chain runs
            return _pre_chain_failure(profile, exc, secrets)
    else:
        loaded = boto_session._session._credentials  # set by keys passed in, or a past load
        explicit_keys = explicit_keys or getattr(loaded, "method", None) == "explicit"
    try:
        return _resolve_session(
            boto_session, region, explicit_keys, probe, timeout, secrets, early, owned
        )
    except Exception as exc:  # the table never raises: whatever broke is its one row
        row = ProviderRow(method="session", status="error", detail=describe_error(exc, secrets))
        return Resolution(rows=[row], profile=profile, probed=probe)


def _pre_chain_failure(profile: str | None, exc: BaseException, secrets) -> Resolution:
    row = ProviderRow(
        method="session",
        status="error",
        location="boto3.Session(" + (f"profile_name={profile!r}" if profile else "") + ")",
        detail=describe_error(exc, secrets),
    )
    rows = [row]
    try:  # still show the chain botocore would have walked, all of it unreached
        from .discover import new_session

        chain = new_session(profile).get_component("credential_provider")
        rows += [
            ProviderRow(
                method=provider.METHOD,
                status="not reached",
                detail="not reached: boto3.Session() failed before the chain ran",
            )
            for provider in chain.providers
        ]
    except Exception:  # the same error again: the single error row says it all
        pass
    # botocore takes a set variable even when it is empty ('' is then the profile it looks for)
    if profile is not None:
        chosen, chosen_by = profile, "explicit"
    else:
        chosen_by = next(
            (v for v in ("AWS_DEFAULT_PROFILE", "AWS_PROFILE") if v in os.environ), "default"
        )
        chosen = os.environ.get(chosen_by, "default")
    return Resolution(rows=rows, profile=chosen, profile_chosen_by=chosen_by, region=None)


def _resolve_session(
    boto_session: Any,
    region: str | None,
    explicit_keys: bool,
    probe: bool,
    timeout: float,
    secrets,
    early: _EarlyProbes | None = None,
    owned: bool = True,
) -> Resolution:
    from botocore.credentials import EnvProvider

    session = boto_session._session
    choice = profile_choice(session)
    region_name, region_source = _region_and_source(boto_session, region)
    resolution = Resolution(
        rows=[],
        profile=choice.name,
        profile_chosen_by=choice.chosen_by,
        region=region_name,
        region_source=region_source,
        probed=probe,
    )
    try:
        files = load_config_files(session)
    except Exception as exc:
        resolution.rows.append(
            ProviderRow(method="session", status="error", detail=describe_error(exc, secrets))
        )
        return resolution
    explicit_row = _explicit_row(session) if explicit_keys else None
    try:
        resolver = None if early else session.get_component("credential_provider")
        chain = early.chain if early else list(resolver.providers)
    except Exception as exc:  # a config value botocore cannot build its chain with
        if explicit_row is None:
            resolution.rows.append(
                ProviderRow(method="session", status="error", detail=describe_error(exc, secrets))
            )
        else:  # botocore uses the keys passed in and never builds the chain
            resolution.rows += [
                explicit_row,
                ProviderRow(
                    method="session",
                    status="not reached",
                    detail="botocore does not build its chain when keys are passed in code"
                    f" (building it would fail: {describe_error(exc, secrets)})",
                ),
            ]
        return resolution

    dry = _dry_provider_classes()
    describer = _Describer(session, files, choice.name, choice.explicit)
    if early is not None:
        inspected, run = list(early.inspected), early.run
    else:
        inspected = [_inspectable(p, session, probe, dry) for p in chain]
        run = _ProbeRun(inspected, probe, timeout, kill_late=owned)
    outcomes: list[_Outcome] = []
    judged_dry: list[bool] = []  # judged from configuration (no probe, or the probe was late)
    for index, outcome in enumerate(run.finish()):
        if outcome is None:  # the probe did not finish in time: the dry run's verdict stands
            inspected[index] = _inspectable(chain[index], session, False, dry)
            outcome = _load(inspected[index])
            verb = "did not finish" if chain[index].METHOD == "custom-process" else "no answer"
            bound = probe_bound(chain[index], timeout)
            outcome.unverified = f"{verb} within {bound:g} s, so not verified"
        outcomes.append(outcome)
        judged_dry.append(not probe or bool(outcome.unverified))
    _mark_roles_sourced_from_imds(inspected, outcomes, dry["NotLoaded"])

    rows: list[ProviderRow] = []
    winner_row: ProviderRow | None = None
    stopped_by_error = False
    # A source whose outcome only IMDS can tell would have claimed or raised in botocore:
    # nothing after it is reached.
    waiting_on: ProviderRow | None = None

    if explicit_row is not None:
        winner_row = explicit_row
        rows.append(winner_row)

    if choice.explicit and not any(isinstance(p, EnvProvider) for p in chain):
        env_set = bool(os.environ.get("AWS_ACCESS_KEY_ID"))
        rows.append(
            ProviderRow(
                method="env",
                status="removed",
                location=_safely(describer.location, EnvProvider()),
                detail="removed: an explicit profile disables environment credentials"
                + ("; AWS_ACCESS_KEY_ID is set but ignored" if env_set else ""),
            )
        )

    for provider, outcome, dry_run in zip(inspected, outcomes, judged_dry, strict=True):
        row = ProviderRow(method=provider.METHOD, location=_safely(describer.location, provider))
        if outcome.credentials is not None:
            facts = credential_facts(outcome.credentials)
            row.access_key, row.expires = facts["access_key"], facts["expires"]
        found = _safely(
            describer.configured_detail,
            provider,
            outcome.credentials,
            dry["NotLoaded"],
            default="configured",
        )
        if outcome.unknown:
            stopped = winner_row or stopped_by_error or waiting_on
            row.status = "not reached" if stopped else "unknown"
            row.detail = outcome.unknown + (f"; {outcome.unverified}" if outcome.unverified else "")
            waiting_on = waiting_on or (None if stopped else row)
        elif stopped_by_error:
            row.status = "not reached"
            row.detail = "not reached: botocore stopped at the error above"
            if outcome.claims:
                row.detail += " (this source is configured too)"
        elif waiting_on is not None:
            row.status = "not reached"
            row.detail = (
                f"not reached: botocore stops at {waiting_on.method} above, which either"
                " supplies credentials or fails"
            )
            if outcome.claims:
                row.detail += " (this source is configured too)"
        elif winner_row is not None:
            if outcome.claims and provider.METHOD == "iam-role" and dry_run:
                row.status = "not reached"
                row.detail = "not contacted: botocore stops at the winner"
            elif outcome.claims:
                row.status = "shadowed"
                row.detail = _shadowed_detail(winner_row, choice, outcome, found, secrets)
            else:
                row.detail = _not_configured_detail(provider)
        elif outcome.error is not None:
            row.status = "error"
            row.detail = describe_error(outcome.error, secrets)
            stopped_by_error = True
        elif outcome.credentials is not None:
            if provider.METHOD == "iam-role" and dry_run:
                row.status = "unknown"
                row.detail = (
                    "EC2 instance metadata would be queried here; not contacted "
                    "(use probe=True, or set AWS_EC2_METADATA_DISABLED=true off EC2)"
                )
                if outcome.unverified:
                    row.detail = f"EC2 instance metadata: {outcome.unverified}"
            else:
                row.status = "winner"
                row.detail = found
                winner_row = row
        else:
            row.detail = _not_configured_detail(provider)
        if outcome.unverified and row.status in ("winner", "shadowed"):
            row.detail += f"; {outcome.unverified}"
        expired = row.expires is not None and row.expires < dt.datetime.now(dt.timezone.utc)
        if row.status == "winner" and expired:
            row.detail += "; expired: botocore raises when these keys are used"
        flaw = key_flaw(outcome.credentials)
        if flaw and row.status in ("winner", "shadowed"):
            row.detail += f"; {flaw}"
        rows.append(row)
    resolution.rows = rows
    return resolution


def _explicit_row(session: Any) -> ProviderRow:
    credentials = session.get_credentials()  # the keys passed in: botocore builds no chain
    detail = "keys passed to the session in code; the chain below is not consulted"
    flaw = key_flaw(credentials)
    return ProviderRow(
        method="explicit",
        status="winner",
        access_key=_access_key_of(credentials),
        location="boto3.Session(aws_access_key_id=…, aws_secret_access_key=…)",
        detail=detail + (f"; {flaw}" if flaw else ""),
    )


def _safely(function: Any, *args: Any, default: str = "") -> str:
    """A describing step that cannot break the table: odd values (an indented block where
    a name belongs) give ``default`` instead of an exception."""
    try:
        return function(*args)
    except Exception:  # describing is best effort; botocore's own verdict is in the row
        return default


def key_flaw(credentials: Any) -> str:
    """What is wrong with the shape of an access key id that botocore will sign with as it
    is: whitespace around it, or characters nobody sees. ``""`` if nothing (or no key)."""
    import unicodedata

    if credentials is None:
        return ""
    key = getattr(credentials, "_access_key", None)
    if key is None and not hasattr(credentials, "_refresh_using"):
        key = getattr(credentials, "access_key", None)
    if not isinstance(key, str) or not key:
        return ""
    problems = []
    if key != key.strip():
        problems.append("whitespace or a line break around it")
    hidden = {f"U+{ord(ch):04X}" for ch in key.strip() if ch.isspace() or not ch.isprintable()}
    hidden |= {f"U+{ord(ch):04X}" for ch in key if unicodedata.category(ch) in ("Cf", "Co")}
    if hidden:
        problems.append("invisible characters " + ", ".join(sorted(hidden)))
    if not problems:
        return ""
    return (
        "the access key id has " + " and ".join(problems) + ", which botocore keeps: AWS will"
        " reject every request signed with it (fix the value where it is set)"
    )


def _mark_roles_sourced_from_imds(inspected: list, outcomes: list[_Outcome], not_loaded) -> None:
    """A role whose source credentials come from IMDS works only if IMDS answers, and
    botocore raises if it does not: without probing, that is unknown."""
    for provider, outcome in zip(inspected, outcomes, strict=True):
        hops = getattr(provider, "hops", None)
        if not hops or outcome.credentials is None:
            continue
        source = hops[0][2]
        if isinstance(source, not_loaded) and source.method == "iam-role":
            outcome.unknown = (
                "role sourced from EC2 instance metadata, which was not contacted: botocore"
                " assumes the role if IMDS answers and raises if not (probe=True to check)"
            )


def _shadowed_detail(winner: ProviderRow, choice, outcome: _Outcome, found: str, secrets) -> str:
    if winner.method == "explicit":
        reason = "keys passed in code win"
    elif winner.method == "env" and not choice.explicit:
        reason = "env keys win because no profile was passed explicitly"
        if choice.chosen_by in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            reason += f" ({choice.chosen_by} does not remove them)"
    else:
        reason = f"{winner.method} comes first in botocore's chain"
    text = f"shadowed: {reason}; {found}"
    if outcome.error is not None:
        text += f"; would fail: {describe_error(outcome.error, secrets)}"
    return text


def _not_configured_detail(provider: Any) -> str:
    method = provider.METHOD
    if method == "iam-role" and getattr(
        getattr(provider, "_role_fetcher", None), "_disabled", False
    ):
        return "disabled by AWS_EC2_METADATA_DISABLED=true"
    if method == "iam-role":
        return "no instance metadata service answered"
    hints = {
        "env": "AWS_ACCESS_KEY_ID is not set",
        "assume-role": "the profile has no role_arn",
        "assume-role-with-web-identity": "no web identity token file configured",
        "sso": "the profile has no sso_account_id / sso_role_name",
        "shared-credentials-file": "no aws_access_key_id for this profile in the credentials file",
        "login": "the profile has no login_session",
        "custom-process": "the profile has no credential_process",
        "config-file": "no aws_access_key_id for this profile in the config file",
        "ec2-credentials-file": "AWS_CREDENTIAL_FILE is not set or has no AWSAccessKeyId",
        "boto-config": "no [Credentials] keys in a boto config file",
        "container-role": "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI not set",
    }
    return "not configured: " + hints.get(method, "this source found nothing")


def resolution_table(
    profile: str | None = None,
    *,
    region: str | None = None,
    aws_access_key_id: str | None = None,
    aws_secret_access_key: str | None = None,
    aws_session_token: str | None = None,
    aws_account_id: str | None = None,
    probe: bool = False,
    timeout: float = DEFAULT_PROBE_TIMEOUT,
) -> pandas.DataFrame:
    """Explain boto3's credential resolution as a DataFrame, one row per provider.

    Rows follow the installed botocore's chain for this session (an ``explicit`` row first
    when keys are passed). Columns: ``order``, ``method``, ``provider``, ``status``
    (winner / shadowed / not configured / removed / error / not reached / unknown),
    ``winner``, ``access_key`` (masked), ``location``, ``expires``, ``detail``.
    ``df.attrs`` holds ``profile``, ``region`` and a one-line ``summary``.

    With ``probe=False`` (default) nothing runs and nothing touches the network:
    credential_process, container and IMDS sources are judged from their configuration.
    With ``probe=True`` they are really loaded, concurrently, waiting at most ``timeout``
    seconds in all, counted from the call. Deferred sources (assume-role, SSO, web
    identity) never call AWS here. Never raises for bad configuration: the failing step
    becomes an ``error`` row.
    """
    return resolve(
        profile,
        region=region,
        aws_access_key_id=aws_access_key_id,
        aws_secret_access_key=aws_secret_access_key,
        aws_session_token=aws_session_token,
        aws_account_id=aws_account_id,
        probe=probe,
        timeout=timeout,
    ).to_frame()
