"""The panel's **Assume role** tab and its *Export to AWS_\\** checkbox.

Built from standard ipywidgets over the same ``CredentialState`` as ``%aws_assume``: a role
ARN, the external ID (a password field, cleared after every Apply like the keys), the source
(any named session or profile), the role session name and a duration. ``CredentialPanel``
shows the tab and calls ``apply`` when its Apply button is pressed on it.
"""

from __future__ import annotations

from typing import Any

from .errors import AwsCredError

CURRENT = "current:"
DURATIONS = [
    ("(1 h, STS's default)", ""),
    ("15 min", "15m"),
    ("30 min", "30m"),
    ("1 h", "1h"),
    ("2 h", "2h"),
    ("4 h", "4h"),
    ("8 h", "8h"),
    ("12 h", "12h"),
]


def source_options(
    state: Any, profiles: list[str], profile_options: list[tuple[str, str]] | None = None
) -> list[tuple[str, str]]:
    """The source dropdown: the current session, each named session (with its lineage),
    then each profile. Values are ``current:``, ``var:NAME`` and ``profile:NAME``.
    ``profile_options`` is ``profile_source_options(profiles)`` when the caller has it."""
    options = [("(current session)", CURRENT)]
    for name, record in state.records.items():
        options.append((f"session {name} — {record.lineage}", f"var:{name}"))
    if profile_options is None:
        profile_options = profile_source_options(profiles)
    return options + profile_options


def profile_source_options(profiles: list[str]) -> list[tuple[str, str]]:
    """The profiles' part of the source dropdown."""
    return [(f"profile {name}", f"profile:{name}") for name in profiles]


class AssumeRoleTab:
    """The widgets of the tab; ``apply(var)`` assumes the role into the state."""

    def __init__(self, state: Any, profiles: list[str]) -> None:
        import ipywidgets as w

        self.state = state
        self._profiles = profiles
        self._profile_options = profile_source_options(profiles)
        wide = w.Layout(width="420px")
        self.arn = w.Text(
            description="Role ARN", placeholder="arn:aws:iam::123456789012:role/Name", layout=wide
        )
        self.external_id = w.Password(
            description="External ID",
            placeholder="if the role's owner gave you one",
            layout=wide,
        )
        self.source = w.Dropdown(description="Source", layout=wide)
        self.role_session = w.Text(
            description="Role session",
            placeholder="RoleSessionName (optional), e.g. analyst",
            layout=wide,
        )
        self.duration = w.Dropdown(
            description="Duration", options=DURATIONS, value="", layout=w.Layout(width="260px")
        )
        self.widget = w.VBox(
            [self.arn, self.external_id, self.source, self.role_session, self.duration]
        )
        self.refresh_sources()

    def refresh_sources(self, profiles: list[str] | None = None) -> None:
        """Refill the source dropdown (sessions come and go), keeping the choice if it stays."""
        if profiles is not None and profiles is not self._profiles:
            # The panel passes the same list until a file changes: its options are kept.
            self._profiles = profiles
            self._profile_options = profile_source_options(profiles)
        chosen = self.source.value
        options = tuple(source_options(self.state, self._profiles, self._profile_options))
        if tuple(self.source.options) != options:  # equal ones would only be validated again
            self.source.options = options
        values = {value for _label, value in options}
        self.source.value = chosen if chosen in values else CURRENT

    def clear_secrets(self) -> None:
        self.external_id.value = ""

    def apply(self, var: str) -> Any:
        """Assume the role as typed; ``AwsCredError`` (one line) if anything is wrong."""
        arn = self.arn.value.strip()
        if not arn:
            raise AwsCredError("Type the role ARN first (arn:aws:iam::123456789012:role/Name).")
        source = self.source.value or CURRENT
        kind, _, name = source.partition(":")
        return self.state.assume_role(
            arn,
            source_var=name if kind == "var" else None,
            profile=name if kind == "profile" else None,
            external_id=self.external_id.value.strip() or None,
            session_name=self.role_session.value.strip() or None,
            duration=self.duration.value or None,
            var=var,
        )


class ExportToggle:
    """The *Export to AWS_\\** checkbox: the ``export_env`` opt-in, kept in sync both ways."""

    def __init__(self, state: Any, on_message: Any) -> None:
        import ipywidgets as w

        self.state = state
        self._on_message = on_message
        self._closed = False
        self.widget = w.Checkbox(
            value=bool(getattr(state.settings, "export_env", False)),
            description="Export to AWS_* (pandas s3://, polars, !aws follow)",
            indent=False,
            layout=w.Layout(width="auto"),
        )
        self.widget.observe(self._on_change, names="value")
        observe = getattr(state.settings, "observe", None)  # the magics' traitlet
        if observe is not None:
            observe(self._on_setting, names="export_env")

    def _on_setting(self, change: Any) -> None:
        self.widget.value = bool(change["new"])

    def _on_change(self, change: Any) -> None:
        on = bool(change["new"])
        if bool(getattr(self.state.settings, "export_env", False)) == on:
            return
        try:
            if hasattr(self.state.settings, "observe"):
                # The traitlet's observer exports (and prints to this cell's output).
                self.state.settings.export_env = on
                message = "export on" if on else "export off: previous AWS_* restored"
            else:
                self.state.settings.export_env = on
                message = self.state.set_export_env(on)
        except Exception as exc:  # the traitlet observer raises UsageError on failure
            self.widget.value = bool(getattr(self.state.settings, "export_env", False))
            self._on_message(str(exc), True)
            return
        self._on_message(message, False)

    def close(self) -> None:
        unobserve = getattr(self.state.settings, "unobserve", None)
        if unobserve is not None and not self._closed:
            unobserve(self._on_setting, names="export_env")
        self._closed = True
