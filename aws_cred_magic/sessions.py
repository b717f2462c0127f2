"""Sessions: the named ``boto3.Session`` objects a kernel holds, and which one is current.

``CredentialState`` is the one state object per shell. The magics own it; the panel and the
Python API drive the same instance, so a switch made anywhere is seen everywhere. It builds
sessions (from a profile or from keys), checks them before anything changes, and hands the
result to a ``Namespace`` (namespace.py), which injects it into the notebook.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import AwsCredError, describe_error
from .identity import (
    DEFAULT_CONCURRENCY,
    DEFAULT_TIMEOUT,
    botocore_session,
    bound_credential_calls,
    bounded_credential_calls,
    credential_facts,
    protect_botocore_logs,
    whoami,
    whoami_many,
)
from .keys import KeyInput, check_keys
from .masking import KeyId, Secret, mask_access_key, one_line
from .model import Identity, format_expiry
from .namespace import Namespace
from .validate import check_profile_name, check_region, check_var, region_problem

if TYPE_CHECKING:  # pragma: no cover
    import boto3
    import pandas


class MfaCodeRequired(Exception):  # noqa: N818 - reads as a message
    """Raised instead of prompting when a role needs an MFA code nobody can type."""

    def __init__(self) -> None:
        # What to do is errors._ADVICE's, added wherever the error is described.
        super().__init__("this profile's role needs an MFA code")


def _refuse_prompt(prompt: str = "") -> str:
    raise MfaCodeRequired()


def set_mfa_prompter(session: Any, prompter: Callable[[str], str]) -> None:
    """Give botocore's assume-role provider of ``session`` (a ``boto3.Session`` or a botocore
    session) an MFA answer instead of ``getpass``."""
    resolver = botocore_session(session).get_component("credential_provider")
    provider = resolver.get_provider("assume-role")
    provider._prompter = prompter


@dataclass(repr=False)
class SessionRecord:
    """A session the kernel holds under ``name``, and how it was made. No secret inside
    but the session itself, whose repr shows none."""

    name: str
    session: Any  # boto3.Session
    origin: str  # "profile dev", "keys typed with %aws_keys", "keys pasted in the panel"
    profile: str | None = None
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    prompts_for_mfa: bool = False  # its role asks for the MFA code (getpass) on first use
    # A role assumed with %aws_assume: the named session it was built on (if any), and that
    # source's lineage when it was built ("s_a ← profile default").
    source_var: str | None = None
    parent: str | None = None
    expires: dt.datetime | None = None  # told with pasted keys (AWS_CREDENTIAL_EXPIRATION)

    @property
    def lineage(self) -> str:
        """``role customer-a-writer (…) ← s_a ← profile default``."""
        return f"{self.origin} ← {self.parent}" if self.parent else self.origin

    @property
    def mfa_pending(self) -> bool:
        """True until the MFA prompt has been answered, i.e. the role first assumed."""
        credentials = self.session._session._credentials
        return self.prompts_for_mfa and getattr(credentials, "_frozen_credentials", 1) is None

    @property
    def facts(self) -> dict[str, Any]:
        facts = credential_facts(self.session.get_credentials())
        if facts["expires"] is None and self.expires is not None:
            facts.update(expires=self.expires, temporary=True)
        return facts

    @property
    def region(self) -> str | None:
        return self.session.region_name

    def summary(self) -> str:
        """``session = profile dev: shared-credentials-file ****************0002, us-east-2``."""
        facts = self.facts
        key = facts["access_key"] or "(key fetched on first use)"
        region = self.region or "(none)"
        text = f"{self.name} = {self.origin}: {facts['method']} {key}, region {region}"
        if facts["expires"] is not None or facts["temporary"]:
            text += f", {_expiry_phrase(facts)}"
        return one_line(text, limit=500)

    def __repr__(self) -> str:
        return f"<SessionRecord {self.summary()}>"


def _expiry_phrase(facts: dict[str, Any]) -> str:
    if facts["expires"] is None:
        return format_expiry(None, temporary=facts["temporary"])
    return f"expires {format_expiry(facts['expires'])}"


def _refuse_unusable(session: boto3.Session, profile: str) -> None:
    """What cannot work without the network (preflight.py) is refused before any change."""
    from .preflight import unusable_reason

    config = session._session.full_config
    reason = unusable_reason(
        config.get("profiles", {}), profile, sso_sessions=config.get("sso_sessions", {})
    )
    if reason:
        raise AwsCredError(f"{reason} Nothing changed.")


def _profile_hint(profile: str) -> str:
    """`` Did you mean 'customer-a'?`` from the profiles botocore knows (never raises)."""
    import botocore.session
    from botocore.exceptions import BotoCoreError

    from .preflight import did_you_mean

    try:
        return did_you_mean(profile, botocore.session.Session().available_profiles)
    except BotoCoreError:  # a malformed file: the error itself says enough
        return ""


@dataclass
class Settings:
    """What the magics' traitlets configure; the magics class offers the same attributes."""

    session_var: str = "session"
    set_default_session: bool = True
    timeout: float = DEFAULT_TIMEOUT
    concurrency: int = DEFAULT_CONCURRENCY
    export_env: bool = False  # every switch also exports AWS_* for other libraries


IdentityListener = Callable[["SessionRecord", Identity | None, AwsCredError | None], None]


class MfaPending(AwsCredError):
    """A session whose role still waits for its MFA code: not a failure, a step to take."""


class CredentialState:
    """Named sessions of one shell, the current one, and the actions on them."""

    def __init__(self, namespace: Namespace | None = None, settings: Any = None) -> None:
        self.namespace = namespace or Namespace()
        self.settings = settings or Settings()
        self.records: dict[str, SessionRecord] = {}
        self._listeners: list[Callable[[CredentialState], None]] = []
        self._identity_listeners: list[IdentityListener] = []
        self._session_factory: SessionFactory | None = None  # built on first --all
        self._temporary_depth = 0  # inside %%aws_profile: switching would be undone
        self.closed = False  # the extension was unloaded
        self.panel: Any = None  # the one panel over this state, once shown
        from .export import EnvExport

        self.env_export = EnvExport(self)  # what the export_env opt-in exported last
        self.sso_logins: dict[str, Any] = {}  # IAM Identity Center sign-ins, by token file

    # ------------------------------------------------------------------ settings shortcuts
    @property
    def session_var(self) -> str:
        return self.settings.session_var

    @property
    def timeout(self) -> float:
        return float(self.settings.timeout)

    @property
    def concurrency(self) -> int:
        """How many GetCallerIdentity calls ``--all`` keeps in flight."""
        return max(1, int(getattr(self.settings, "concurrency", DEFAULT_CONCURRENCY)))

    def check_var(self, var: str | None) -> str:
        """The variable a new session goes into (``var`` or the setting), checked against the
        notebook's namespace: never a keyword, builtin, IPython name, module or other object."""
        return check_var(self.session_var if var is None else var, self.namespace.user_ns)

    # ------------------------------------------------------------------ observers
    def observe(self, callback: Callable[[CredentialState], None]) -> None:
        """Call ``callback(state)`` after every change (the panel refreshes itself)."""
        self._listeners.append(callback)

    def unobserve(self, callback: Callable[[CredentialState], None]) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    def _changed(self) -> None:
        for callback in list(self._listeners):
            callback(self)

    def observe_identity(self, callback: IdentityListener) -> None:
        """Call ``callback(record, identity, error)`` whenever STS answers (or fails) for a
        named session, from any caller: a %aws_whoami that answered an MFA prompt turns
        the panel green without a second call."""
        self._identity_listeners.append(callback)

    def unobserve_identity(self, callback: IdentityListener) -> None:
        if callback in self._identity_listeners:
            self._identity_listeners.remove(callback)

    def _identity_seen(
        self, record: SessionRecord, identity: Identity | None, error: AwsCredError | None
    ) -> None:
        for callback in list(self._identity_listeners):
            callback(record, identity, error)

    # ------------------------------------------------------------------ building sessions
    def build_profile_session(
        self, profile: str, *, region: str | None = None, mfa_code: str | None = None
    ) -> boto3.Session:
        """A checked session for ``profile``: it exists, parses, and resolves credentials.

        Nothing is changed if this raises. STS is not called (assume-role and SSO stay
        deferred until first use); a credential_process does run, as boto3 would.
        """
        import boto3

        profile = check_profile_name(profile)
        region = check_region(region)
        if mfa_code is not None:
            mfa_code = mfa_code.strip()
            if not (mfa_code.isdigit() and len(mfa_code) == 6):
                raise AwsCredError("The MFA code must be the 6 digits your device shows.")
        protect_botocore_logs()
        try:
            session = boto3.Session(profile_name=profile, region_name=region)
            bound_credential_calls(session)  # before the providers capture create_client
            if mfa_code is not None:
                code = mfa_code
                set_mfa_prompter(session, lambda prompt="": code)
            # An SSO profile's expired but refreshable login is refreshed now (botocore's
            # SSOTokenProvider); what cannot work is refused before anything changes.
            from .sso import check_profile

            check_profile(profile, session._session.full_config, self.timeout)
            _refuse_unusable(session, profile)  # SSO without a login, a missing token file
            with bounded_credential_calls(session, self.timeout):  # a credential_process runs
                credentials = session.get_credentials()
        except AwsCredError:
            raise
        except Exception as exc:  # ProfileNotFound, ConfigParseError, provider errors
            # A broken session's repr itself raises (ProfileNotFound): keep it out of the
            # frame a traceback with local variables would show.
            session = None  # noqa: F841
            message = describe_error(exc)
            if type(exc).__name__ == "ProfileNotFound":
                hint = _profile_hint(profile)
                message = f"{message.rstrip('.')}.{hint}" if hint else message
            raise AwsCredError(message) from None
        if credentials is None:
            from .resolve import resolve

            summary = resolve(profile, region=region).summary()
            raise AwsCredError(f"Profile {profile!r} gives no credentials ({summary}).")
        if region is None:  # the profile's own region (or AWS_DEFAULT_REGION) must be one too
            problem = region_problem(
                session.region_name, source=f"The region of profile {profile!r}"
            )
            if problem:
                session = credentials = None  # their reprs show the region: keep them out
                raise AwsCredError(problem)
        return session

    def build_key_session(self, keys: KeyInput, *, region: str | None = None) -> boto3.Session:
        """A session for typed or pasted keys (formats already checked)."""
        import boto3

        region = check_region(region) or check_region(keys.region)
        try:
            return boto3.Session(
                aws_access_key_id=keys.access_key_id,
                aws_secret_access_key=keys.secret_access_key,
                aws_session_token=keys.session_token,
                region_name=region or keys.region or self._fallback_region(),
            )
        except Exception as exc:
            raise AwsCredError(describe_error(exc, keys.secrets())) from None

    def _fallback_region(self) -> str | None:
        """Keys carry no region: keep the current session's, else boto3's default."""
        current = self.current_record()
        if current is not None and current.region:
            return current.region
        # Outside IPython the current session is boto3's default (use_profile() set it).
        default = self.namespace.boto3_default()
        return getattr(default, "region_name", None) if default is not None else None

    # ------------------------------------------------------------------ switching
    def use_profile(
        self,
        profile: str,
        *,
        region: str | None = None,
        var: str | None = None,
        mfa_code: str | None = None,
        check: bool = False,
    ) -> SessionRecord:
        """Build, check, then make ``profile``'s session current as ``var``.

        With ``check``, STS confirms the identity before anything changes.
        """
        from .discover import needs_mfa

        self._refuse_switch_inside_cell()
        var = self.check_var(var)
        session = self.build_profile_session(profile, region=region, mfa_code=mfa_code)
        profiles = session._session.full_config.get("profiles", {})
        record = SessionRecord(
            var,
            session,
            f"profile {profile}",
            profile,
            prompts_for_mfa=mfa_code is None and needs_mfa(profiles, profile),
        )
        if check:
            whoami(session, timeout=self.timeout)
        self.activate(record)
        return record

    def use_sso_role(
        self,
        sso_session: str,
        account_id: str,
        role_name: str,
        *,
        region: str | None = None,
        var: str | None = None,
    ) -> SessionRecord:
        """A session for any account and role of a signed-in sso-session, without writing
        config; GetRoleCredentials answers before anything changes."""
        from .sso import role_session, target_for
        from .validate import check_profile_name, check_region

        self._refuse_switch_inside_cell()
        var = self.check_var(var)
        region = check_region(region)
        target = target_for(sso_session=check_profile_name(sso_session, what="sso-session"))
        session = role_session(target, account_id, role_name, region=region, timeout=self.timeout)
        origin = f"sso-session {sso_session} account {account_id} role {role_name}"
        record = SessionRecord(var, session, origin, None)
        self.activate(record)
        return record

    def _refuse_switch_inside_cell(self) -> None:
        if self._temporary_depth:
            raise AwsCredError(
                "Cannot switch inside a %%aws_profile cell: its session is put back when the "
                "cell ends. Switch in a cell of its own."
            )

    def use_keys(
        self,
        access_key_id: str,
        secret_access_key: str,
        session_token: str | None = None,
        *,
        region: str | None = None,
        var: str | None = None,
        origin: str = "keys passed to use_keys()",
    ) -> SessionRecord:
        """Check the key formats, build the session, make it current as ``var``."""
        access_key_id = KeyId(access_key_id or "")  # rebound: tracebacks show no secret
        secret_access_key = Secret.wrap(secret_access_key)  # type: ignore[assignment]
        session_token = Secret.wrap(session_token)
        keys = check_keys(access_key_id, secret_access_key, session_token, region)
        return self.use_key_input(keys, region=region, var=var, origin=origin)

    def use_key_input(
        self, keys: KeyInput, *, region: str | None = None, var: str | None = None, origin: str
    ) -> SessionRecord:
        self._refuse_switch_inside_cell()
        var = self.check_var(var)
        session = self.build_key_session(keys, region=region)
        record = SessionRecord(var, session, origin, None, expires=keys.expires)
        self.activate(record)
        return record

    def activate(self, record: SessionRecord) -> None:
        """Store ``record``, inject it, and point boto3's default at it when it is the main
        session variable and the setting says so."""
        if self.closed:
            raise AwsCredError("aws_cred_magic was unloaded: %load_ext aws_cred_magic again.")
        protect_botocore_logs()  # the user's own calls with it log its token at DEBUG
        exported = self._environment_if_wanted(record)  # may fail: before anything changes
        self.records[record.name] = record
        self.namespace.inject(record.name, record.session)
        if record.name == self.session_var and self.settings.set_default_session:
            self.namespace.set_boto3_default(record.session)
        if exported is not None:
            self.env_export.export(record, exported)
        self._changed()

    def _environment_if_wanted(self, record: SessionRecord) -> dict[str, str | None] | None:
        """With the export_env opt-in, the AWS_* values for the current session's identity."""
        if record.name == self.session_var and getattr(self.settings, "export_env", False):
            from .export import environment_for

            return environment_for(record, timeout=self.timeout)
        return None

    def set_export_env(self, on: bool) -> str:
        """Turn the opt-in on (exporting the current session now) or off (restoring the
        environment as it was)."""
        if not on:
            names = self.env_export.clear()
            return f"export off: restored {', '.join(names)}" if names else "export off"
        record = self.current_record()
        if record is None:
            return "export on: the next session you choose is exported to AWS_*"
        return self.env_export.export(record)

    def assume_role(self, role_arn: str, **options: Any) -> SessionRecord:
        """Assume ``role_arn`` from a named session, a profile or the current session, and
        make the role's session current as ``var``; see ``aws_cred_magic.assume``."""
        from .assume import assume_into

        return assume_into(self, role_arn, **options)

    def dependents(self, name: str) -> list[str]:
        """The named sessions whose role was assumed with session ``name``."""
        return [n for n, r in self.records.items() if r.source_var == name and n != name]

    def drop(self, name: str) -> None:
        """Forget the named session and remove it from the namespace."""
        record = self.records.pop(name, None)
        if record is None:
            raise AwsCredError(f"No session named {name!r}: see %aws_sessions.")
        self.namespace.remove(name, record.session)
        if self.namespace.boto3_default() is record.session:
            self.namespace.restore_boto3_default()
        if self.env_export.record is record:  # its keys must not outlive it in AWS_*
            self.env_export.clear()
        self._changed()

    @contextmanager
    def temporarily(self, record: SessionRecord) -> Iterator[SessionRecord]:
        """Make ``record`` current within the block: its variable, boto3's default and the
        session the magics (%aws_whoami, %aws_chain, …) report on. All are put back after."""
        saved = self.records.get(record.name)
        self.records[record.name] = record
        self._temporary_depth += 1
        try:
            with self.namespace.temporarily(record.name, record.session):
                yield record
        finally:
            self._temporary_depth -= 1
            if saved is None:
                self.records.pop(record.name, None)
            else:
                self.records[record.name] = saved

    # ------------------------------------------------------------------ reading
    def current_record(self) -> SessionRecord | None:
        return self.records.get(self.session_var)

    def current_session(self) -> boto3.Session:
        """The current session: ours, else boto3's default, else a fresh ``boto3.Session()``."""
        record = self.current_record()
        if record is not None:
            return record.session
        default = self.namespace.boto3_default()
        if default is not None:
            return default
        import boto3

        try:
            return boto3.Session()
        except Exception as exc:  # AWS_PROFILE naming a missing profile, a malformed file
            raise AwsCredError(describe_error(exc)) from None

    def session_for(self, var: str | None = None, profile: str | None = None) -> tuple[Any, str]:
        """The session a command is about, and a description of where it came from."""
        if profile is not None:
            return self.build_profile_session(profile), f"profile {profile}"
        if var is not None:
            record = self.records.get(var)
            if record is None:
                raise AwsCredError(f"No session named {var!r}: see %aws_sessions.")
            return record.session, record.origin
        record = self.current_record()
        if record is not None:
            return record.session, record.origin
        return self.current_session(), "boto3's default chain"

    def whoami(self, var: str | None = None, profile: str | None = None) -> Identity:
        """STS GetCallerIdentity for a named session (default: the current one), or for a
        profile without switching. Identity observers hear about named sessions."""
        record = self.records.get(var or self.session_var) if profile is None else None
        try:
            if record is not None:
                self._refuse_mfa_prompt_off_main_thread(record)
            session, origin = self.session_for(var, profile)
            identity = whoami(session, timeout=self.timeout, source=origin)
        except AwsCredError as exc:
            if record is not None:
                self._identity_seen(record, None, exc)
            raise
        if record is not None and record.session is session:
            if record.expires is not None:
                identity.expires = identity.expires or record.expires
                identity.temporary = True
            self._identity_seen(record, identity, None)
        return identity

    @staticmethod
    def _refuse_mfa_prompt_off_main_thread(record: SessionRecord) -> None:
        """A role still waiting for its MFA code prompts with getpass on first use; from a
        worker thread (panel check, --sessions) that prompt would block or be lost."""
        import threading

        if record.mfa_pending and threading.current_thread() is not threading.main_thread():
            raise MfaPending(
                f"{record.name} waits for its MFA code: run %aws_whoami (it prompts) first."
            )

    def whoami_profiles(self) -> pandas.DataFrame:
        """GetCallerIdentity for every profile, concurrently; MFA roles never prompt."""
        from .discover import needs_mfa, profiles_frame

        names = list(profiles_frame()["profile"])
        if self._session_factory is None:
            self._session_factory = SessionFactory()
        make_session = self._session_factory

        def factory(name: str) -> Callable[[], Any]:
            def build() -> Any:
                session = make_session(name)
                region = session.get_config_variable("region")
                check_region(region, source=f"The region of profile {name!r}")
                # Only a role with mfa_serial (or one chained through it) would prompt.
                if needs_mfa(session.full_config.get("profiles", {}), name):
                    set_mfa_prompter(session, _refuse_prompt)
                return session

            return build

        return whoami_many(
            ((n, factory(n)) for n in names), timeout=self.timeout, concurrency=self.concurrency
        )

    def whoami_sessions(self) -> pandas.DataFrame:
        """GetCallerIdentity for every named session, concurrently; MFA roles never prompt."""

        def target(record: SessionRecord) -> Callable[[], Any]:
            def checked() -> Any:
                self._refuse_mfa_prompt_off_main_thread(record)
                return record.session

            return checked

        items = [(name, target(record)) for name, record in self.records.items()]
        frame = whoami_many(
            items, timeout=self.timeout, label="session", concurrency=self.concurrency
        )
        frame.insert(1, "lineage", [record.lineage for record in self.records.values()])
        return frame

    def sessions_frame(self) -> pandas.DataFrame:
        """The named sessions: name, origin, method, masked key, region, expiry, current."""
        import pandas as pd

        rows = []
        for name, record in self.records.items():
            facts = record.facts
            rows.append(
                {
                    "name": name,
                    "origin": record.origin,
                    "lineage": record.lineage,
                    "method": facts["method"],
                    "access_key": facts["access_key"],
                    "region": record.region,
                    "expires": facts["expires"],
                    "current": name == self.session_var,
                    "temporary": facts["temporary"],
                }
            )
        columns = [
            "name",
            "origin",
            "lineage",
            "method",
            "access_key",
            "region",
            "expires",
            "current",
            "temporary",
        ]
        frame = pd.DataFrame(rows, columns=columns)
        frame["expires"] = pd.to_datetime(frame["expires"], utc=True)
        return frame

    # ------------------------------------------------------------------ shell and pandas
    def export_env(self, var: str | None = None) -> str:
        """Put the session's keys into AWS_* variables for ``!aws …`` and subprocesses."""
        session, _origin = self.session_for(var)
        from .export import fresh_credentials

        frozen = fresh_credentials(session, timeout=self.timeout)
        # botocore re-reads AWS_DEFAULT_REGION on every access: without a pin, exporting it
        # would silently move every session made without --region to this one's region.
        for held in [session, *(record.session for record in self.records.values())]:
            if held.region_name:
                held._session.set_config_variable("region", held.region_name)
        names = self.namespace.export_env(frozen, session.region_name)
        return (
            f"exported {', '.join(names)} (key {mask_access_key(frozen.access_key)}) for shell "
            "commands and subprocesses; %aws_env --unset removes them"
        )

    def unset_env(self) -> str:
        self.env_export.record = None  # nothing left to refresh
        names = self.namespace.unset_env()
        if not names:
            return "nothing to unset: %aws_env has not exported anything"
        return f"removed {', '.join(names)} (previous values restored)"

    def close(self) -> None:
        """Undo everything this state did outside itself (unload)."""
        self.closed = True
        for login in self.sso_logins.values():
            login.cancel()
        if self.panel is not None:
            self.panel.close()
            self.panel = None
        self.env_export.clear()
        for name, record in list(self.records.items()):
            self.namespace.remove(name, record.session)
        self.namespace.restore_boto3_default()
        self.records.clear()
        self._listeners.clear()
        self._identity_listeners.clear()


class SessionFactory:
    """Builds the botocore sessions of ``%aws_whoami --all`` cheaply, one per profile: what
    ``boto3.Session(profile_name=...)._session`` would be, for many profiles.

    A new botocore session registers ~130 event handlers and each client reloads its
    service model: over 20 profiles that CPU, not the network, dominated ``--all``. These
    sessions start from one registration of the handlers (copied when first used;
    ``configcache.SharedParseSession``), read the files from the one shared parse, and share
    one data loader; credential resolution is botocore's own. They carry no boto3 layer
    (its handlers only concern resources and S3) and are marked as differing only by
    profile, which lets ``SharedStsClients`` give those with the same settings one client.
    """

    def __init__(self) -> None:
        import boto3

        from .configcache import SharedParseSession

        self._boto3_version = boto3.__version__
        template = SharedParseSession()
        self._loader = template.get_component("data_loader")
        # Load STS's model and endpoint rules once, before threads race to load them each.
        template.create_client(
            "sts", region_name="us-east-1", aws_access_key_id="warm", aws_secret_access_key="up"
        )

    def __call__(self, profile: str | None = None) -> Any:
        from .configcache import SharedParseSession

        core = SharedParseSession(profile=profile)
        core.register_component("data_loader", self._loader)
        # The user agent boto3.Session gives its botocore session (boto3/session.py), so
        # the requests name the SDK as %aws_whoami --profile's do.
        core.user_agent_extra = f"Botocore/{core.user_agent_version}"
        core.user_agent_name, core.user_agent_version = "Boto3", self._boto3_version
        core._aws_cred_magic_shareable = True
        bound_credential_calls(core)
        return core


class StorageOptions(dict):
    """The dict pandas/s3fs take as ``storage_options``; its repr hides the secrets.

    Copies (``dict(options)``, ``{**options}``) are plain dicts that show everything when
    displayed: pass this object on as it is.
    """

    def __repr__(self) -> str:
        shown = {
            k: (
                mask_access_key(v)
                if k in ("key", "aws_access_key_id")
                else "<hidden>"
                if k in ("secret", "token") or "secret" in k or "token" in k
                else v
            )
            for k, v in self.items()
        }
        return f"StorageOptions({shown!r})"

    __str__ = __repr__

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def frozen_credentials(session: boto3.Session, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """The session's keys as they are now (refreshed if due); ``AwsCredError`` if none.

    A refresh (AssumeRole, SSO, a credential_process) waits at most about ``timeout``
    seconds for each call, instead of botocore's 60 s and retries.
    """
    try:
        with bounded_credential_calls(session, timeout):
            credentials = session.get_credentials()
            if credentials is None:
                from botocore.exceptions import NoCredentialsError

                raise NoCredentialsError()
            return credentials.get_frozen_credentials()
    except Exception as exc:
        raise AwsCredError(describe_error(exc)) from None


def storage_options_for(session: boto3.Session, timeout: float = DEFAULT_TIMEOUT) -> StorageOptions:
    """``pd.read_csv("s3://…", storage_options=storage_options_for(session))``."""
    import os

    frozen = frozen_credentials(session, timeout)
    options = StorageOptions(key=frozen.access_key, secret=frozen.secret_key)
    if frozen.token:
        options["token"] = frozen.token
    client_kwargs: dict[str, Any] = {}
    if session.region_name:
        client_kwargs["region_name"] = session.region_name
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        options["endpoint_url"] = endpoint
    if client_kwargs:
        options["client_kwargs"] = client_kwargs
    return options
