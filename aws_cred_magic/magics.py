"""Magics: a thin layer that parses arguments and calls the core.

Bad input and every AWS failure surface as a one-line ``UsageError`` saying what to do; the
current session is left exactly as it was. Settings are traitlets::

    %config AwsCredMagics.session_var = "s"          # inject sessions as `s`
    %config AwsCredMagics.set_default_session = False  # leave boto3's default alone
    %config AwsCredMagics.timeout = 10.0              # STS, role refreshes, credential_process
    %config AwsCredMagics.probe_timeout = 2.0         # seconds for %aws_chain --probe
    %config AwsCredMagics.concurrency = 16            # calls --all keeps in flight
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from traitlets import Bool, Float, Integer, Unicode, observe

from .errors import AwsCredError, describe_error
from .identity import DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT
from .keys import block_is_complete, check_key_id, check_keys, keys_from_block, looks_like_block
from .masking import Secret
from .namespace import Namespace
from .resolve import DEFAULT_PROBE_TIMEOUT
from .sessions import CredentialState, SessionRecord
from .terminal import hidden_terminal
from .validate import check_profile_name, check_region, parse_args, refuse_conflicts


@contextmanager
def _usage_errors() -> Iterator[None]:
    """Turn our errors into IPython's one-line ``UsageError`` (no traceback). It is raised
    outside the handler, so it carries no chain back to frames that held input."""
    try:
        yield
        return
    except AwsCredError as exc:
        message = str(exc)
    raise UsageError(message)


def _rest_of_block(first: str, terminal: Any = None, max_lines: int = 8) -> str:
    """A terminal hands a pasted block over line by line: read the following lines hidden
    too, so none of them reaches the IPython prompt (and its history). Jupyter's password
    box joins the lines into one, which is complete at once."""
    text = Secret(first)
    for _ in range(max_lines):
        complete = block_is_complete(text)
        if complete and not _more_pending(terminal):
            break
        try:
            more = _ask("", terminal)
        except AwsCredError:  # Ctrl-D after a complete block ends it; before, it cancels
            if complete:
                break
            raise
        if not more.strip():
            break
        text = Secret(text + "\n" + more)
    return text


def _more_pending(terminal: Any = None) -> bool:
    """Are more pasted lines already waiting in the terminal? Then they belong to the block
    (e.g. the rest of a token broken across lines) and must not reach the IPython prompt."""
    import select
    import sys

    if terminal is not None:
        return terminal.pending()
    try:
        if not sys.stdin.isatty():
            return False
        ready, _, _ = select.select([sys.stdin], [], [], 0.05)
    except (OSError, ValueError, AttributeError):  # no real terminal (Jupyter, a test)
        return False
    return bool(ready)


def parse_argstring(magic: Any, line: str) -> Any:
    """The magic's arguments, split like a shell (``"my profile"`` loses its quotes); an
    unbalanced quote is a one-line ``UsageError``."""
    with _usage_errors():
        return parse_args(magic, line)


def _ask(prompt: str, terminal: Any = None) -> Secret:
    """A hidden prompt; Ctrl-D (EOF) or Ctrl-C there cancels in one line, changing nothing.
    The answer is a ``Secret``: a verbose traceback shows ``<secret>`` for it. In a real
    terminal, ``terminal`` (terminal.py) reads it with echo kept off across prompts."""
    try:
        if terminal is not None:  # %aws_keys: echo stays off across its prompts
            return Secret(terminal.ask(prompt))
        return Secret(_hidden_line(prompt) if _in_terminal() else getpass.getpass(prompt))
    except (EOFError, KeyboardInterrupt):
        raise AwsCredError("Cancelled at the prompt: nothing changed.") from None


_REAL_GETPASS = getpass.getpass


def _in_terminal() -> bool:
    """Terminal IPython (not a kernel, whose getpass asks the front end; not a test that
    replaced getpass): the prompt is read from the terminal directly."""
    import os
    import sys

    try:
        return os.name == "posix" and getpass.getpass is _REAL_GETPASS and sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _hidden_line(prompt: str) -> str:
    """One line read from the terminal with echo off, like ``getpass`` but without its
    ``TCSAFLUSH``, which throws away the rest of a block pasted at once (the lines after the
    first would be lost, or a token's remainder left for the IPython prompt)."""
    import os
    import sys
    import termios

    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    quiet = termios.tcgetattr(fd)
    quiet[3] &= ~termios.ECHO
    sys.stdout.write(prompt)
    sys.stdout.flush()
    termios.tcsetattr(fd, termios.TCSANOW, quiet)
    try:
        data = os.read(fd, 65536)  # canonical mode: at most one line per read
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, old)
        sys.stdout.write("\n")
        sys.stdout.flush()
    if not data:  # Ctrl-D on an empty line
        raise EOFError
    return data.decode("utf-8", "replace").rstrip("\r\n")


def _account_id(value: str) -> str:
    value = value.strip()
    if not (value.isdigit() and len(value) == 12):
        raise UsageError(f"--account must be a 12-digit AWS account id, not {value!r}.")
    return value


def _role_name(value: str) -> str:
    import re

    if not re.fullmatch(r"[\w+=,.@-]{1,64}", value):
        raise UsageError(f"--role {value!r} is not a valid role (permission set) name.")
    return value


def _rich_frontend(shell: Any) -> bool:
    """True in Jupyter (a kernel with a frontend that renders widgets), False in a terminal."""
    return getattr(shell, "kernel", None) is not None


@magics_class
class AwsCredMagics(Magics):
    """AWS credential magics. One instance per shell; it owns the shell's ``state``."""

    session_var = Unicode("session", help="Variable the chosen boto3.Session is injected as.").tag(
        config=True
    )
    set_default_session = Bool(
        True, help="Point boto3's default session (boto3.client(...)) at the chosen session."
    ).tag(config=True)
    timeout = Float(
        DEFAULT_TIMEOUT,
        help="Seconds to wait for STS, for a role's refresh and for each credential_process "
        "(stopped with its children when the time is up).",
    ).tag(config=True)
    probe_timeout = Float(
        DEFAULT_PROBE_TIMEOUT,
        help="Seconds %aws_chain --probe waits, in all, for processes and credential endpoints.",
    ).tag(config=True)
    concurrency = Integer(
        DEFAULT_CONCURRENCY,
        help="How many GetCallerIdentity calls %aws_whoami --all / --sessions keep in flight.",
    ).tag(config=True)

    export_env = Bool(
        False,
        help="Also export the current session as AWS_* variables on every switch (and keep "
        "them fresh before each cell), so pandas s3://, polars, pyarrow and !aws follow it.",
    ).tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        user_ns = shell.user_ns if shell is not None else None
        self.state = CredentialState(Namespace(user_ns), settings=self)

    @observe("export_env")
    def _on_export_env(self, change: Any) -> None:
        try:
            print(self.state.set_export_env(bool(change["new"])))
        except AwsCredError as exc:
            self.export_env = False  # an opt-in that could not export is not on
            raise UsageError(str(exc)) from None

    def _before_cell(self, info: Any = None) -> None:
        """pre_run_cell: re-export keys botocore refreshed; one warning line if it failed."""
        import sys

        message = self.state.env_export.refresh()
        if message:
            print(message, file=sys.stderr)

    # ------------------------------------------------------------------ identity
    @magic_arguments()
    @argument("--profile", "-p", help="Ask about this profile instead of the current session.")
    @argument("--var", "-v", help="Ask about this named session (see %%aws_sessions).")
    @argument("--all", "-a", action="store_true", help="Every profile in your AWS config.")
    @argument("--sessions", "-s", action="store_true", help="Every named session.")
    @line_magic
    def aws_whoami(self, line: str) -> Any:
        """Show who AWS says you are, and where those credentials came from.

        Calls STS GetCallerIdentity (no permissions needed) and shows the account, ARN and
        user id, plus how the credentials were found: botocore's method, the masked access
        key, the region and when they expire.

        Examples::

            %aws_whoami                 # the current session
            %aws_whoami --profile dev   # a profile, without switching to it
            ident = %aws_whoami         # keep the result: ident.account, ident.to_dict()
            %aws_whoami --all           # every profile at once, as a table
            %aws_whoami --sessions      # every named session at once
        """
        args = parse_argstring(self.aws_whoami, line)
        with _usage_errors():
            refuse_conflicts(args, ("all", "sessions", "profile", "var"))
            if args.profile is not None:
                args.profile = check_profile_name(args.profile)
            if args.all:
                return self._identities(self.state.whoami_profiles(), "every profile")
            if args.sessions:
                if not self.state.records:
                    raise AwsCredError(
                        "No named sessions yet: create one with %aws_use or %aws_keys."
                    )
                return self._identities(self.state.whoami_sessions(), "every named session")
            return self.state.whoami(var=args.var, profile=args.profile)

    def _identities(self, frame: Any, what: str) -> Any:
        from .frames import IdentitiesFrame, styled

        failed = int(frame["error"].notna().sum())
        summary = f"GetCallerIdentity for {what}: {len(frame) - failed} ok, {failed} failed"
        return styled(frame, IdentitiesFrame, summary)

    # ------------------------------------------------------------------ tables
    @magic_arguments()
    @argument("--profile", "-p", help="Explain this profile instead of the current session.")
    @argument("--region", "-r", help="Region to resolve with.")
    @argument(
        "--probe",
        action="store_true",
        help="Really run credential_process and call container/IMDS endpoints (time-bounded).",
    )
    @line_magic
    def aws_chain(self, line: str) -> Any:
        """Show boto3's credential chain: every source, in botocore's order, and who wins.

        One row per credential provider of the installed botocore: which one wins, which
        are shadowed by it (and why), which are not configured, and where resolution stops
        with an error. Access keys are masked. Nothing runs and nothing touches the network
        unless you add --probe.

        Examples::

            %aws_chain
            %aws_chain --profile prod
            df = %aws_chain --probe
            df[df.status == "shadowed"]
        """
        args = parse_argstring(self.aws_chain, line)
        from .resolve import resolve

        with _usage_errors():
            if args.profile is not None:
                args.profile = check_profile_name(args.profile)
            args.region = check_region(args.region)

        record = self.state.current_record()
        if args.profile is None and record is not None:
            if args.region:
                raise UsageError(
                    f"{record.name} already has region {record.region or '(none)'}: use "
                    "--region with --profile, or switch with %aws_use PROFILE --region R."
                )
            resolution = resolve(
                boto_session=record.session, probe=args.probe, timeout=self.probe_timeout
            )
            context = f"{record.name} = {record.origin}"
            caption = f"{context}: {resolution.summary()}"
        else:
            resolution = resolve(
                args.profile, region=args.region, probe=args.probe, timeout=self.probe_timeout
            )
            context, caption = "", resolution.summary()
        from .frames import ChainFrame, styled  # pandas: imported while probes waited

        frame = styled(resolution.to_frame(), ChainFrame, caption)
        if context:
            frame.attrs["context"] = context
        return frame

    @magic_arguments()
    @line_magic
    def aws_profiles(self, line: str = "") -> Any:
        """List every profile in your AWS config and credentials files.

        Shows each profile's kind (static keys, assume-role, sso, process, …), region,
        the file and section it comes from, and a secret-free detail (role ARN, source
        profile, MFA device, SSO start URL). The profile boto3 uses by default is marked
        ``current``.

        Example::

            %aws_profiles
            profiles = %aws_profiles
            profiles[profiles.kind == "assume-role"]
        """
        parse_argstring(self.aws_profiles, line)
        from .discover import profiles_frame
        from .frames import ProfilesFrame, profiles_summary, styled

        with _usage_errors():
            frame = profiles_frame()
        return styled(frame, ProfilesFrame, profiles_summary(frame))

    # ------------------------------------------------------------------ switching
    @magic_arguments()
    @argument("profile", nargs="?", help="The profile to switch to (see %%aws_profiles).")
    @argument("--region", "-r", help="Region for the session (default: the profile's).")
    @argument("--var", "-v", help="Variable name for the session (default: session).")
    @argument("--check", action="store_true", help="Also call STS to confirm who you are.")
    @argument(
        "--env", action="store_true", help="Also export it as AWS_* from now on (export_env)."
    )
    @argument(
        "--sso-session",
        dest="sso_session",
        metavar="NAME",
        help="Instead of a profile: a signed-in [sso-session NAME] (with --account, --role).",
    )
    @argument("--account", metavar="ID", help="With --sso-session: the 12-digit account id.")
    @argument("--role", metavar="NAME", help="With --sso-session: the role (permission set).")
    @line_magic
    def aws_use(self, line: str) -> None:
        """Switch to a profile without restarting the kernel.

        Builds a boto3.Session for PROFILE, checks that it resolves credentials, injects it
        as ``session`` (or --var NAME) and, for ``session``, points boto3's default session at
        it so ``boto3.client("s3")`` follows. If anything is wrong, nothing changes.

        Use --var to keep several identities side by side; only ``session`` moves boto3's
        default.

        An SSO (IAM Identity Center) profile needs a valid sign-in: an expired one is
        refreshed when it can be, otherwise run %aws_sso_login first. With --sso-session,
        --account and --role you get any account and role you may use (see
        %aws_sso_accounts) without editing your config.

        Examples::

            %aws_use dev
            %aws_use prod --region eu-west-1 --check
            %aws_use customer-a --var s_a
            %aws_use --sso-session corp --account 333333333333 --role ReadOnly --var ro
        """
        args = parse_argstring(self.aws_use, line)
        sso_args = [a for a in (args.sso_session, args.account, args.role) if a is not None]
        if sso_args:
            if args.profile is not None:
                raise UsageError(
                    "Use either a profile or --sso-session/--account/--role, not both."
                )
            if len(sso_args) != 3:
                raise UsageError("--sso-session, --account and --role go together: give all three.")
            account, role = _account_id(args.account), _role_name(args.role)
            with _usage_errors():
                record = self.state.use_sso_role(
                    args.sso_session, account, role, region=args.region, var=args.var
                )
                if args.check:
                    self.state.whoami(var=record.name)
            print(record.summary())
            self._env_flag(args.env, record)
            return
        if args.profile is None:
            raise UsageError(
                "Name a profile (see %aws_profiles), or --sso-session with --account and --role."
            )
        with _usage_errors():
            record = self.state.use_profile(
                args.profile, region=args.region, var=args.var, check=args.check
            )
        print(record.summary())
        self._env_flag(args.env, record)

    # ------------------------------------------------------------------ IAM Identity Center
    def _sso_target(self, profile: str | None, sso_session: str | None) -> Any:
        from . import sso

        if profile is not None and sso_session is not None:
            raise UsageError("Use either a profile or --sso-session, not both.")
        with _usage_errors():
            if profile is None and sso_session is None:
                record = self.state.current_record()
                current = record.profile if record is not None else None
                if current is None:
                    import botocore.session

                    from .discover import profile_choice

                    current = profile_choice(botocore.session.Session()).name
                return sso.default_target(current)
            return sso.target_for(profile, sso_session)

    @magic_arguments()
    @argument("profile", nargs="?", help="An SSO profile (default: the current one).")
    @argument("--sso-session", dest="sso_session", metavar="NAME", help="An [sso-session NAME].")
    @line_magic
    def aws_sso_login(self, line: str = "") -> Any:
        """Sign in to IAM Identity Center (SSO) from the notebook: no terminal, no AWS CLI.

        Shows a link with your code filled in: open it, check the code and approve. In
        Jupyter the sign-in waits in the background (other cells run meanwhile; Cancel
        stops it); in terminal IPython the command waits until you approve (or deny, or the
        code expires) and prints the outcome; Ctrl-C cancels. Once approved the token is
        written where boto3 and the AWS CLI read it (~/.aws/sso/cache), so every SSO
        profile of that sign-in works: %aws_use PROFILE. A cancelled, denied or expired
        sign-in writes nothing.

        Examples::

            %aws_sso_login sso-analytics
            %aws_sso_login --sso-session corp
        """
        args = parse_argstring(self.aws_sso_login, line)
        target = self._sso_target(args.profile, args.sso_session)
        from .sso_widget import show_login

        with _usage_errors():
            return show_login(
                self.state,
                target,
                rich=_rich_frontend(self.shell),
                foreground=not _shows_widgets(self.shell),  # terminal IPython: wait here
            )

    @magic_arguments()
    @argument("profile", nargs="?", help="An SSO profile (default: the current one).")
    @argument("--sso-session", dest="sso_session", metavar="NAME", help="An [sso-session NAME].")
    @line_magic
    def aws_sso_accounts(self, line: str = "") -> Any:
        """List the accounts and roles your IAM Identity Center sign-in may use.

        One row per account and role (ListAccounts, ListAccountRoles). Open a session for
        any of them without editing config: %aws_use --sso-session NAME --account ID --role R.

        Examples::

            %aws_sso_accounts
            roles = %aws_sso_accounts --sso-session corp
        """
        args = parse_argstring(self.aws_sso_accounts, line)
        target = self._sso_target(args.profile, args.sso_session)
        from .frames import AccountsFrame, styled
        from .sso import accounts_frame

        with _usage_errors():
            frame = accounts_frame(target, self.timeout)
        accounts = frame["account_id"].nunique()
        summary = f"{target.label}: {accounts} accounts, {len(frame)} roles you may use"
        return styled(frame, AccountsFrame, summary)

    @magic_arguments()
    @argument("--sso-session", dest="sso_session", metavar="NAME", help="Sign out of this one.")
    @argument("--all", "-a", action="store_true", help="Every sso-session and SSO start URL.")
    @line_magic
    def aws_sso_logout(self, line: str = "") -> None:
        """Sign out of IAM Identity Center: the portal's Logout, then the cached token is
        removed (nothing else). Sessions already made keep their keys until they expire.

        Examples::

            %aws_sso_logout --sso-session corp
            %aws_sso_logout --all
        """
        args = parse_argstring(self.aws_sso_logout, line)
        from . import sso

        if args.all and args.sso_session:
            raise UsageError("Use either --sso-session or --all, not both.")
        with _usage_errors():
            targets = sso.all_targets() if args.all else [self._sso_target(None, args.sso_session)]
            for login in self.state.sso_logins.values():
                if args.all or login.target.cache_path in {t.cache_path for t in targets}:
                    login.cancel()
            lines = sso.logout(targets, self.timeout)
        print("\n".join(lines) if lines else "no IAM Identity Center sign-in in the AWS config")

    @magic_arguments()
    @argument("--region", "-r", help="Region for the session.")
    @argument("--var", "-v", help="Variable name for the session (default: session).")
    @argument(
        "--env", action="store_true", help="Also export it as AWS_* from now on (export_env)."
    )
    @line_magic
    def aws_keys(self, line: str) -> None:
        """Enter temporary keys without ever writing them into a cell.

        Asks with hidden prompts for the access key id, the secret access key and the
        session token. At the first prompt you can also paste the whole block the AWS access
        portal gives you (``export AWS_ACCESS_KEY_ID=…`` lines, Windows ``set`` or PowerShell
        ``$Env:`` lines, or a ``[profile]`` snippet). Formats are checked before anything
        changes; the keys go into a boto3.Session injected as ``session`` and nowhere else:
        not the notebook, not the history, not a file.

        With --env the keys are also exported to the process environment
        (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, the region, and
        AWS_CREDENTIAL_EXPIRATION when the pasted block says when they expire), so ``!aws``,
        subprocesses, pandas ``s3://``, polars and pyarrow use them too. As with
        ``%aws_use --env`` this turns the export_env setting on: later switches are exported
        too, and ``%config AwsCredMagics.export_env = False`` (or unloading) puts the
        environment back as it was. Nothing is exported if the keys are refused.

        Examples::

            %aws_keys
            %aws_keys --region us-west-2 --var client_b
            %aws_keys --env             # then: !aws s3 ls
        """
        args = parse_argstring(self.aws_keys, line)
        with _usage_errors():
            # Everything that can be refused is refused before the first prompt.
            region = check_region(args.region)
            var = self.state.check_var(args.var)
            with hidden_terminal() as terminal:  # echo off once: a paste arrives whole
                keys = self._read_keys(region, terminal)
            record = self.state.use_key_input(
                keys, region=region, var=var, origin="keys entered with %aws_keys"
            )
        print(record.summary())
        self._env_flag(args.env, record)

    @staticmethod
    def _read_keys(region: str | None, terminal: Any) -> Any:
        """The keys from the hidden prompts: a pasted block at the first, or three values."""
        try:
            first = _ask("AWS access key id (or paste the whole block): ", terminal)
        except Exception as exc:  # e.g. StdinNotImplementedError: this frontend can't ask
            if type(exc).__name__ != "StdinNotImplementedError":
                raise
            raise AwsCredError(
                "This frontend cannot prompt for input: paste the keys in %aws_panel instead."
            ) from None
        if looks_like_block(first):
            return keys_from_block(_rest_of_block(first, terminal), region=region)
        check_key_id(first)  # fail fast on a bad key id
        secret = _ask("AWS secret access key: ", terminal)
        token_prompt = (
            "AWS session token: "
            if first.strip().startswith("ASIA")
            else "AWS session token (Enter if none): "
        )
        token = _ask(token_prompt, terminal)
        return check_keys(first, secret, token, region)

    @magic_arguments()
    @argument("role_arn", help="The role to assume: arn:aws:iam::123456789012:role/Name.")
    @argument("--from", "-f", dest="source", metavar="VAR", help="Assume it with this session.")
    @argument("--profile", "-p", help="Assume it with this profile's credentials.")
    @argument("--external-id", "-e", help="The external ID the role's owner gave you.")
    @argument("--session-name", "-n", help="RoleSessionName (shows in CloudTrail and the ARN).")
    @argument("--duration", "-d", help="How long the keys last: 15m to 12h (1h when chained).")
    @argument("--mfa-serial", help="MFA device ARN, if the role requires MFA (prompts).")
    @argument("--region", "-r", help="Region for the session (default: the source's).")
    @argument("--var", "-v", help="Variable name for the session (default: session).")
    @argument(
        "--env", action="store_true", help="Also export it as AWS_* from now on (export_env)."
    )
    @line_magic
    def aws_assume(self, line: str) -> None:
        """Assume any IAM role, without writing it into ~/.aws/config.

        Calls STS AssumeRole with the current session's credentials (or those of --from VAR,
        or --profile P) and injects the role's session as ``session`` (or --var NAME). It
        refreshes itself before it expires, like a role_arn profile. Roles chain: assume a
        second role --from the first one's session.

        Everything is checked before AWS is called; if STS refuses (a wrong external ID is
        an AccessDenied from the role's trust policy), nothing changes.

        Examples::

            %aws_assume arn:aws:iam::111122223333:role/reader --external-id acme-7Q2 --var s_a
            %aws_assume arn:aws:iam::111122223333:role/admin --from s_a --duration 30m --var s_b
            %aws_assume arn:aws:iam::444455556666:role/ops --profile sso-dev --session-name me
        """
        args = parse_argstring(self.aws_assume, line)
        with _usage_errors():
            from .assume import role_request
            from .validate import check_var

            var = check_var(args.var, self.shell.user_ns) if args.var else None

            # Checked before the prompt, so a typo never costs an MFA code.
            role_request(
                args.role_arn,
                external_id=args.external_id,
                session_name=args.session_name,
                duration=args.duration,
                mfa_serial=args.mfa_serial,
                region=args.region,
            )
            mfa_code = None
            if args.mfa_serial:
                mfa_code = getpass.getpass(f"MFA code for {args.mfa_serial}: ")
            record = self.state.assume_role(
                args.role_arn,
                source_var=args.source,
                profile=args.profile,
                external_id=args.external_id,
                session_name=args.session_name,
                duration=args.duration,
                mfa_serial=args.mfa_serial,
                mfa_code=mfa_code,
                region=args.region,
                var=var,
            )
        print(f"{record.summary()}\n  lineage: {record.lineage}")
        self._env_flag(args.env, record)

    def _env_flag(self, wanted: bool, record: SessionRecord) -> None:
        """``--env``: turn the export_env opt-in on (it sticks for later switches)."""
        if not wanted:
            return
        if record.name != self.session_var:
            print(f"note: --env exports the current session {self.session_var}, not {record.name}")
        if not self.export_env:
            self.export_env = True  # the observer exports the current session now

    @magic_arguments()
    @argument("profile", help="The profile the cell runs as.")
    @argument("--region", "-r", help="Region for the cell's session.")
    @cell_magic
    def aws_profile(self, line: str, cell: str) -> None:
        """Run one cell as another profile, then switch back.

        Inside the cell, ``session`` and boto3's default session belong to PROFILE; both are
        restored afterwards, also when the cell fails.

        Example::

            %%aws_profile audit
            boto3.client("s3").list_buckets()
        """
        args = parse_argstring(self.aws_profile, line)
        with _usage_errors():
            args.profile = check_profile_name(args.profile)
            session = self.state.build_profile_session(args.profile, region=args.region)
        origin = f"profile {args.profile} (this cell)"
        record = SessionRecord(self.session_var, session, origin, args.profile)
        with self.state.temporarily(record):
            result = self.shell.run_cell(cell, store_history=False)
        if not result.success:
            raise UsageError(
                f"The cell failed while running as profile {args.profile!r} (error above); "
                "the previous session is back."
            )

    @magic_arguments()
    @argument("--drop", "-d", metavar="NAME", help="Forget this named session.")
    @line_magic
    def aws_sessions(self, line: str) -> Any:
        """List the named sessions this kernel holds.

        One row per session: its name, how it was made, botocore's method, the masked key,
        region, expiry, and which one is current (the one boto3's default follows).

        Examples::

            %aws_sessions
            %aws_sessions --drop s_a
        """
        args = parse_argstring(self.aws_sessions, line)
        from .frames import SessionsFrame, styled
        from .render import plural

        with _usage_errors():
            if args.drop:
                dependents = self.state.dependents(args.drop)
                self.state.drop(args.drop)
                print(f"dropped session {args.drop!r}")
                if dependents:
                    print(
                        f"warning: {', '.join(dependents)} "
                        f"{'was' if len(dependents) == 1 else 'were'} assumed with "
                        f"{args.drop}'s credentials and still use them to refresh; drop "
                        "them too if that identity should no longer be used"
                    )
                return None
        frame = self.state.sessions_frame()
        current = (
            f"current: {self.session_var}"
            if self.state.current_record() is not None
            else "none is current: boto3's default chain is in use"
        )
        summary = f"{plural(len(frame), 'named session')}; {current}"
        return styled(frame, SessionsFrame, summary)

    @magic_arguments()
    @argument("--unset", action="store_true", help="Remove the variables this set.")
    @argument("--var", "-v", help="Export this named session instead of the current one.")
    @line_magic
    def aws_env(self, line: str) -> None:
        """Export the current session's credentials as AWS_* variables.

        Shell commands (``!aws s3 ls``) and subprocesses then use the same identity as
        boto3. Temporary credentials are exported as they are now: run it again after they
        expire. ``--unset`` puts the variables back as they were.

        Examples::

            %aws_env
            !aws sts get-caller-identity
            %aws_env --unset
        """
        args = parse_argstring(self.aws_env, line)
        with _usage_errors():
            refuse_conflicts(args, ("unset", "var"))
            message = self.state.unset_env() if args.unset else self.state.export_env(args.var)
        print(message)

    @magic_arguments()
    @line_magic
    def aws_panel(self, line: str = "") -> Any:
        """Show the credentials panel: pick a profile or paste temporary keys, then Apply.

        The panel drives the same state as the magics: what you apply there is what
        ``session`` and %aws_whoami see.
        """
        parse_argstring(self.aws_panel, line)
        if not _shows_widgets(self.shell):
            print(
                "%aws_panel needs Jupyter (a widget cannot show in a terminal): use %aws_use, "
                "%aws_keys, %aws_whoami, %aws_chain, %aws_profiles and %aws_sessions here."
            )
            return None
        from .widget import panel_for

        try:
            return panel_for(self.state)
        except Exception as exc:  # a malformed config file, ipywidgets missing
            raise UsageError(describe_error(exc)) from None


def _shows_widgets(shell: Any) -> bool:
    """True in a Jupyter kernel (or any frontend that renders widget views); False in
    terminal IPython, whose display would print a raw ``VBox(...)``."""
    return not any(cls.__name__ == "TerminalInteractiveShell" for cls in type(shell).__mro__)


def load_extension(ipython: Any) -> AwsCredMagics:
    """Register the magics on ``ipython`` (once) and make their settings configurable."""
    existing = ipython.magics_manager.registry.get("AwsCredMagics")
    if existing is not None:
        return existing
    magics = AwsCredMagics(ipython)
    ipython.register_magics(magics)
    ipython.events.register("pre_run_cell", magics._before_cell)
    if magics not in ipython.configurables:
        ipython.configurables.append(magics)
    from .completion import install

    magics._completer = install(ipython, lambda: list(magics.state.records))
    return magics


def unload_extension(ipython: Any) -> None:
    """Remove the magics and undo what they did (env vars, boto3 default, injected names)."""
    magics = ipython.magics_manager.registry.pop("AwsCredMagics", None)
    if magics is None:
        return
    completer = getattr(magics, "_completer", None)
    if completer is not None:
        from .completion import uninstall

        uninstall(ipython, completer)
    magics.state.close()
    if magics._before_cell in ipython.events.callbacks["pre_run_cell"]:
        ipython.events.unregister("pre_run_cell", magics._before_cell)
    table = ipython.magics_manager.magics
    for kind, names in magics.magics.items():
        for name in names:
            if getattr(table[kind].get(name), "__self__", None) is magics:
                del table[kind][name]
    if magics in ipython.configurables:
        ipython.configurables.remove(magics)
