"""aws_cred_magic: see, switch and juggle AWS credentials inside Jupyter.

``%load_ext aws_cred_magic`` registers the magics. The same features are plain functions:
``resolution_table``, ``profiles``, ``use_profile``, ``use_keys``, ``assume_role``, ``whoami``,
``storage_options`` and ``panel``. Importing this package imports neither boto3, pandas
nor ipywidgets: each loads when first needed.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from .errors import AwsCredError
from .masking import mask_access_key

if TYPE_CHECKING:  # pragma: no cover
    import boto3
    import pandas

    from .model import Identity

__version__ = "0.1.0"

__all__ = [
    "AwsCredError",
    "assume_role",
    "load_ipython_extension",
    "mask_access_key",
    "export_env",
    "panel",
    "pyarrow_filesystem",
    "profiles",
    "resolution_table",
    "sso_login",
    "storage_options",
    "unload_ipython_extension",
    "use_keys",
    "use_profile",
    "whoami",
]


def api_state() -> Any:
    """The state behind the Python API: the IPython shell's when the extension is loaded
    (so the API and the magics share sessions), else a fresh one whose "current" session
    is boto3's default."""
    from .sessions import CredentialState

    if "IPython" in sys.modules:  # never import IPython just to find out
        from IPython import get_ipython

        shell = get_ipython()
        magics = shell.magics_manager.registry.get("AwsCredMagics") if shell else None
        if magics is not None:
            return magics.state
    return CredentialState()


def resolution_table(profile: str | None = None, **kwargs: Any) -> pandas.DataFrame:
    """boto3's credential chain as a DataFrame; see ``aws_cred_magic.resolve.resolution_table``."""
    from .identity import protect_botocore_logs
    from .resolve import resolution_table as _table

    protect_botocore_logs()
    frame = _table(profile, **kwargs)  # probes first: pandas imports while they wait
    from .frames import ChainFrame, styled

    return styled(frame, ChainFrame)


def profiles() -> pandas.DataFrame:
    """Every profile in the AWS config and credentials files, as a DataFrame."""
    from .discover import profiles_frame
    from .frames import ProfilesFrame, profiles_summary, styled

    frame = profiles_frame()
    return styled(frame, ProfilesFrame, profiles_summary(frame))


def use_profile(name: str, *, region: str | None = None) -> boto3.Session:
    """Switch to profile ``name``: returns its ``boto3.Session`` and makes it current.

    Inside IPython with the extension loaded, it is injected as ``session`` too.
    """
    return api_state().use_profile(name, region=region).session


def use_keys(
    access_key_id: str,
    secret_access_key: str,
    session_token: str | None = None,
    *,
    region: str | None = None,
) -> boto3.Session:
    """Switch to temporary keys after checking their format; returns the ``boto3.Session``."""
    from .masking import KeyId, Secret

    # Rebound at once: a traceback showing local variables then shows no secret.
    access_key_id = KeyId(access_key_id or "")
    secret_access_key = Secret.wrap(secret_access_key)  # type: ignore[assignment]
    session_token = Secret.wrap(session_token)
    state = api_state()
    return state.use_keys(access_key_id, secret_access_key, session_token, region=region).session


def assume_role(
    role_arn: str,
    *,
    source: boto3.Session | str | None = None,
    profile: str | None = None,
    external_id: str | None = None,
    session_name: str | None = None,
    duration: str | int | None = None,
    mfa_serial: str | None = None,
    mfa_code: str | None = None,
    region: str | None = None,
    var: str | None = None,
) -> boto3.Session:
    """Assume ``role_arn`` and return its self-refreshing ``boto3.Session``.

    The source is ``source`` (a ``boto3.Session``, or the name of a named session),
    else ``profile``, else the current session. ``duration`` is ``"15m"``, ``"1h"``,
    ``3600``…; every input is checked before STS is called. Inside IPython with the
    extension loaded, a string ``source`` or ``var`` makes it a named session (``var``
    defaults to ``session``) as ``%aws_assume`` does; a ``boto3.Session`` source returns the
    role's session without storing it.
    """
    options = dict(
        external_id=external_id,
        session_name=session_name,
        duration=duration,
        mfa_serial=mfa_serial,
        mfa_code=mfa_code,
        region=region,
    )
    if source is not None and not isinstance(source, str):
        from .assume import assume_from_session

        return assume_from_session(source, role_arn, timeout=api_state().timeout, **options)
    record = api_state().assume_role(
        role_arn, source_var=source, profile=profile, var=var, **options
    )
    return record.session


def whoami(session: boto3.Session | None = None) -> Identity:
    """STS GetCallerIdentity for ``session`` (default: the current one), with how the
    credentials were resolved. Raises ``AwsCredError`` with a one-line reason on failure."""
    from .identity import whoami as _whoami

    state = api_state()
    return _whoami(session or state.current_session(), timeout=state.timeout)


def storage_options(session: boto3.Session | None = None, *, reader: str = "pandas") -> dict:
    """The ``storage_options`` for ``session`` (default: current), with its keys as they are
    now (refreshed first if due; one clear ``AwsCredError`` if they expired).

    ``reader="pandas"`` (or ``"s3fs"``) for ``pd.read_csv("s3://…", storage_options=…)``;
    ``reader="polars"`` for ``pl.read_csv("s3://…", storage_options=…)``. The repr hides the
    secrets. Call it again for each read when the keys are temporary.
    """
    from .export import fresh_credentials, polars_storage_options
    from .sessions import storage_options_for

    state = api_state()
    session = session or state.current_session()
    if reader in ("pandas", "s3fs"):
        fresh_credentials(session, timeout=state.timeout)  # bounded refresh, clear expiry
        return storage_options_for(session, state.timeout)
    if reader == "polars":
        return polars_storage_options(session, timeout=state.timeout)
    raise AwsCredError(f"reader must be 'pandas', 's3fs' or 'polars', not {reader!r}.")


def pyarrow_filesystem(session: boto3.Session | None = None) -> Any:
    """A ``pyarrow.fs.S3FileSystem`` with ``session``'s keys (default: current), refreshed
    first if due: ``pq.read_table("bucket/key", filesystem=aws_cred_magic.pyarrow_filesystem(s))``.
    """
    from .export import pyarrow_filesystem as _filesystem

    state = api_state()
    return _filesystem(session or state.current_session(), timeout=state.timeout)


def export_env(on: bool = True) -> str:
    """Turn the environment export on or off (``%config AwsCredMagics.export_env``): every
    switch then exports the current session as AWS_* for libraries that read them."""
    from .sessions import Settings

    state = api_state()
    if isinstance(state.settings, Settings):  # no extension loaded: this state only
        state.settings.export_env = on
        return state.set_export_env(on)
    state.settings.export_env = on  # the magics' traitlet: its observer exports
    return "export on" if on else "export off"


def sso_login(profile: str | None = None, *, sso_session: str | None = None) -> Any:
    """Sign in to IAM Identity Center (SSO) for ``profile`` or ``sso_session``, as
    ``%aws_sso_login`` does: in Jupyter it returns the sign-in view (link, code, countdown,
    Cancel; ``.wait()`` blocks until done), polling in the background; in terminal IPython
    it prints the link and code and waits for the outcome (Ctrl-C cancels). A signed-in
    login writes botocore's SSO token cache."""
    from . import sso
    from .sso_widget import show_login

    state = api_state()
    target = (
        sso.target_for(profile, sso_session) if profile or sso_session else sso.default_target(None)
    )
    rich = foreground = False
    if "IPython" in sys.modules:
        from IPython import get_ipython

        shell = get_ipython()
        rich = getattr(shell, "kernel", None) is not None
        # terminal IPython: wait for the outcome here, as %aws_sso_login does
        foreground = any(c.__name__ == "TerminalInteractiveShell" for c in type(shell).__mro__)
    return show_login(state, target, rich=rich, foreground=foreground)


def panel() -> Any:
    """The credentials panel (ipywidgets) over the current shell's state."""
    from .widget import panel_for

    return panel_for(api_state())


def load_ipython_extension(ipython: Any) -> None:
    """Called by ``%load_ext aws_cred_magic``: registers the magics."""
    from .magics import load_extension

    load_extension(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Called by ``%unload_ext aws_cred_magic``: undoes what loading and using did."""
    from .magics import unload_extension

    unload_extension(ipython)
