"""The panel: pick a profile or paste temporary keys, see who you are and the chain.

``PanelController`` holds the logic (what to list, what Apply does, the background identity
check) over the shell's ``CredentialState``; ``CredentialPanel`` only lays out built-in
ipywidgets and wires their events to it. Secret fields are cleared after every Apply, so the
widget state Jupyter saves into the notebook never holds a secret.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .discover import classify_profile, needs_mfa, profile_choice
from .errors import AwsCredError, describe_error
from .keys import check_keys, keys_from_block
from .masking import KeyId, Secret, one_line
from .model import Identity, format_expiry
from .sessions import CredentialState, MfaPending, SessionRecord

# Below this many minutes left, the status line warns that credentials expire soon.
EXPIRY_WARNING_MINUTES = 15
NO_SESSION = "No session chosen yet: pick a profile or paste keys."
DEFAULT_CHAIN = "boto3's default chain"


@dataclass
class ProfileEntry:
    name: str
    kind: str
    region: str | None
    needs_mfa: bool

    @property
    def label(self) -> str:
        return f"{self.name}  ({self.kind})"


@dataclass
class Status:
    """What the status line shows; ``level`` is ok / pending / info / warning / error."""

    level: str
    text: str
    identity: Identity | None = None


class PanelController:
    """The panel's behaviour, testable without a browser or even widgets."""

    def __init__(self, state: CredentialState) -> None:
        self.state = state
        self.entries: list[ProfileEntry] = []
        self.options: tuple[tuple[str, str], ...] = ()  # the dropdown's (label, name) pairs
        self.names: list[str] = []
        self.default_profile: str | None = None
        self._by_name: dict[str, ProfileEntry] = {}
        self._entries_of: Any = None  # the parsed profiles the entries were built from
        self._check_generation = 0
        self._lock = threading.Lock()
        self.on_status: Callable[[Status], None] = lambda status: None
        self.on_sync: Callable[[], None] = lambda: None  # the panel refills its fields
        self.status = Status("pending", NO_SESSION)
        self.check_thread: threading.Thread | None = None
        self.watched: SessionRecord | None = None  # the session the status line is about
        # Any switch (here, or by a magic or the API) re-checks the identity of the current
        # session; any STS answer for it (a %aws_whoami, say) is shown as it comes.
        state.observe(self._on_state_change)
        state.observe_identity(self._on_identity)

    def close(self) -> None:
        self.state.unobserve(self._on_state_change)
        self.state.unobserve_identity(self._on_identity)

    def _on_state_change(self, state: CredentialState) -> None:
        self.on_sync()
        record = state.current_record()
        if record is not None:
            self.check_identity(record)
        else:  # dropped or unloaded: no stale "✔" for a session that is gone
            with self._lock:
                self._check_generation += 1
                self.watched = None
            self._set_status(self.default_status())

    def default_status(self) -> Status:
        """With no named session, what boto3's default chain resolves to (no network)."""
        from .frames import ChainFrame, styled
        from .render import chain_verdict

        try:
            from .resolve import resolve

            frame = styled(resolve().to_frame(), ChainFrame)
            verdict, level = chain_verdict(frame)
        except Exception as exc:  # a malformed file: still one line, never a dead panel
            return Status("error", f"{DEFAULT_CHAIN}: {describe_error(exc)}")
        text = f"{DEFAULT_CHAIN}: {verdict} — pick a profile or paste keys to switch."
        return Status("info" if level == "ok" else "warning", text)

    def _on_identity(
        self, record: SessionRecord, identity: Identity | None, error: AwsCredError | None
    ) -> None:
        """STS answered for ``record`` (here or in a magic): show it if it is the one
        the status line is about. Held under the lock, so an older answer never wins."""
        with self._lock:
            if record is not self.watched:
                return
            self._check_generation += 1  # a check still in flight would only repeat it
            if identity is not None:
                status = status_for(identity)
                status.text = f"{record.name} = {record.origin} · {status.text}"
            elif isinstance(error, MfaPending):
                status = Status(
                    "warning",
                    f"{record.name} = {record.origin}: {error} Or type the code in the panel.",
                )
            else:
                status = Status("error", f"{record.name}: identity check failed: {error}")
            self._set_status(status)

    # ------------------------------------------------------------------ reading config
    def load_profiles(self) -> list[ProfileEntry]:
        """Reread the config files (profiles added in a terminal appear)."""
        from botocore.exceptions import ConfigParseError

        from .discover import new_session

        session = new_session()  # parses each file once per version, shared with the table
        try:
            profiles = session.full_config.get("profiles", {})  # botocore's merge of both files
        except ConfigParseError as exc:
            raise AwsCredError(one_line(f"Cannot read the AWS configuration: {exc}")) from None
        # The parse cache hands out the same (read-only) parse until a file changes, and a
        # new one at once when it does: the entries, scrubbed and sorted, are built once per
        # parse, not for every profile on every refresh.
        if profiles is not self._entries_of:
            self._set_entries(profiles)
        self.default_profile = profile_choice(session).name
        return self.entries

    def _set_entries(self, profiles: dict[str, dict[str, Any]]) -> None:
        entries = [
            ProfileEntry(
                name, classify_profile(s), _shown(s.get("region")), needs_mfa(profiles, name)
            )
            for name, s in sorted(
                profiles.items(), key=lambda item: (item[0] != "default", item[0])
            )
        ]
        self.entries = entries
        options = tuple((e.label, e.name) for e in entries)
        names = [e.name for e in entries]
        # An edit that leaves the list as it was (a region changed, say) keeps the same
        # objects, so the dropdowns see at a glance that they have nothing to change.
        self.options = self.options if options == self.options else options
        self.names = self.names if names == self.names else names
        self._by_name = {e.name: e for e in entries}
        self._entries_of = profiles

    def entry(self, name: str | None) -> ProfileEntry | None:
        return self._by_name.get(name) if isinstance(name, str) else None

    @staticmethod
    def regions() -> list[str]:
        """Every region of the standard ``aws`` partition, from botocore's partition data
        (small, unlike a service model, so the panel opens fast), without the ``aws-global``
        pseudo region, which is an endpoint, not a place to work in."""
        import botocore.loaders

        partitions = botocore.loaders.create_loader().load_data("partitions")["partitions"]
        regions = next(p for p in partitions if p["id"] == "aws")["regions"]
        return sorted(r for r in regions if "global" not in r)

    # ------------------------------------------------------------------ actions
    def apply_profile(
        self, profile: str, *, region: str | None, var: str, mfa_code: str | None = None
    ) -> SessionRecord:
        """Switch to ``profile``; the STS check then runs in the background."""
        if not profile:
            raise AwsCredError("Pick a profile first.")
        var = self.state.check_var(_check_var(var))
        entry = self.entry(profile)
        if entry is not None and entry.needs_mfa and not mfa_code:
            raise AwsCredError(f"Profile {profile!r} needs an MFA code: type the 6 digits.")
        record = self.state.use_profile(
            profile, region=region or None, var=_check_var(var), mfa_code=mfa_code or None
        )
        self._check_applied(record)
        return record

    def apply_keys(
        self,
        *,
        block: str = "",
        access_key_id: str = "",
        secret_access_key: str = "",
        session_token: str = "",
        region: str | None,
        var: str,
    ) -> SessionRecord:
        """Switch to pasted keys (a whole block, or the three fields)."""
        # Rebound at once: a traceback showing local variables then shows no secret.
        block = Secret.wrap(block) or ""
        access_key_id = KeyId(access_key_id or "")
        secret_access_key = Secret.wrap(secret_access_key) or ""
        session_token = Secret.wrap(session_token) or ""
        var = self.state.check_var(_check_var(var))  # before anything is parsed
        if block.strip():
            keys = keys_from_block(block, region=region or None)
        else:
            keys = check_keys(access_key_id, secret_access_key, session_token, region or None)
        record = self.state.use_key_input(
            keys, region=region or None, var=_check_var(var), origin="keys pasted in the panel"
        )
        self._check_applied(record)
        return record

    def _check_applied(self, record: SessionRecord) -> None:
        """The state observer checks the current session; one applied under another name is
        checked here, so the status line answers for what was just applied."""
        if self.state.current_record() is not record:
            self.check_identity(record)

    # ------------------------------------------------------------------ identity check
    def check_identity(self, record: SessionRecord) -> threading.Thread:
        """Call STS in a thread; the status updates when it answers or times out."""
        with self._lock:
            self._check_generation += 1
            generation = self._check_generation
            self.watched = record
        self._set_status(Status("pending", f"{record.summary()} — checking identity…"))

        def run() -> None:
            # The answer (or the AwsCredError) reaches the status line through the state's
            # identity observers (_on_identity), as one from a magic would.
            try:
                self.state.whoami(var=record.name)
            except AwsCredError:
                pass
            except Exception as exc:  # never let a thread die silently
                with self._lock:  # held while showing: an older answer never wins
                    if generation == self._check_generation:
                        self._set_status(Status("error", f"{record.name}: {describe_error(exc)}"))

        thread = threading.Thread(target=run, daemon=True, name="aws-panel-whoami")
        self.check_thread = thread
        thread.start()
        return thread

    def _set_status(self, status: Status) -> None:
        self.status = status
        self.on_status(status)

    def chain_html(self) -> str:
        """The resolution table of the current session, as HTML."""
        from .frames import ChainFrame, styled
        from .resolve import resolve

        record = self.state.current_record()
        resolution = resolve(boto_session=record.session) if record else resolve()
        return styled(resolution.to_frame(), ChainFrame, resolution.summary())._repr_html_()


def _shown(value: Any) -> str | None:
    """A profile value as the panel may show it: scrubbed (a secret typed into ``region``)."""
    return one_line(value, limit=80) if isinstance(value, str) else None


def _check_var(var: str) -> str:
    """The Session name field: only its text here; the state checks it against the notebook
    (keywords, builtins, modules…) with the same rules as ``--var``."""
    var = (var or "").strip()
    if not var:
        raise AwsCredError("Session name is empty: give a Python name like session or s_dev.")
    return var


def status_for(identity: Identity, now: dt.datetime | None = None) -> Status:
    """The status line for a confirmed identity, warning when expiry is near or past."""
    now = now or dt.datetime.now(dt.timezone.utc)
    text = (
        f"{identity.arn} · account {identity.account} · {identity.method} "
        f"{identity.access_key} · region {identity.region or '(none)'} · "
        + (
            "temporary, expiry unknown"
            if identity.expires is None and identity.temporary
            else f"expires {format_expiry(identity.expires, now)}"
        )
    )
    level = "ok"
    if identity.expires is not None:
        left = (identity.expires - now).total_seconds() / 60
        if left < 0:
            level = "error"
            text = "Expired: " + text
        elif left < EXPIRY_WARNING_MINUTES:
            level = "warning"
            text = "Expires soon: " + text
    return Status(level, text, identity)


# The icon carries the level's colour; the text keeps the theme's, so it reads in dark too.
_LEVEL_STYLE = {
    "ok": ("var(--jp-success-color1, #2e7d32)", "✔"),
    "pending": ("var(--jp-content-font-color2, inherit)", "…"),
    "info": ("var(--jp-info-color1, #0097a7)", "ℹ"),
    "warning": ("var(--jp-warn-color1, #e65100)", "⚠"),
    "error": ("var(--jp-error-color1, #d32f2f)", "✖"),
}


def status_html(status: Status) -> str:
    import html

    color, icon = _LEVEL_STYLE.get(status.level, ("inherit", ""))
    return (
        f"<div class='aws-status aws-status-{status.level}' style='color:"
        "var(--jp-content-font-color1, inherit);overflow-wrap:anywhere;white-space:normal'>"
        f"<span style='color:{color}'>{icon}</span> {html.escape(status.text)}</div>"
    )


class CredentialPanel:
    """The widget: ``%aws_panel`` or ``aws_cred_magic.panel()`` displays it."""

    def __init__(self, state: CredentialState) -> None:
        import ipywidgets as w

        self.controller = PanelController(state)
        self.controller.load_profiles()
        state_var = state.session_var
        wide = w.Layout(width="420px")

        self._profile = w.Dropdown(description="Profile", layout=wide)
        self._filling = False  # True while _fill_profiles sets the dropdown
        self._region = w.Dropdown(description="Region", layout=w.Layout(width="260px"))
        self._refresh = w.Button(
            description="Refresh", icon="refresh", tooltip="Reread ~/.aws files"
        )
        self._mfa = w.Text(
            description="MFA code", placeholder="6 digits", layout=w.Layout(width="220px")
        )
        self._mfa_box = w.HBox([self._mfa], layout=w.Layout(display="none"))
        from .sso_widget import SsoBox  # IAM Identity Center: status, Sign in, account/role

        self._sso = SsoBox(state, self._show_message_later)
        profile_tab = w.VBox(
            [w.HBox([self._profile, self._refresh]), self._region, self._mfa_box, self._sso.widget]
        )

        self._block = w.Password(
            description="Paste block",
            placeholder="the whole export … block from the AWS access portal",
            layout=wide,
        )
        self._key_id = w.Password(description="Key id", placeholder="AKIA… / ASIA…", layout=wide)
        self._secret = w.Password(description="Secret", layout=wide)
        self._token = w.Password(
            description="Token", placeholder="session token (ASIA keys)", layout=wide
        )
        self._key_region = w.Dropdown(description="Region", layout=w.Layout(width="260px"))
        keys_tab = w.VBox(
            [
                self._block,
                w.HTML("<i>or the three values:</i>"),
                self._key_id,
                self._secret,
                self._token,
                self._key_region,
            ]
        )

        from .widget_assume import AssumeRoleTab, ExportToggle

        self._assume = AssumeRoleTab(state, self.controller.names)
        self._tabs = w.Tab(children=[profile_tab, keys_tab, self._assume.widget])
        self._tabs.set_title(0, "Profile")
        self._tabs.set_title(1, "Temporary keys")
        self._tabs.set_title(2, "Assume role")
        self._export = ExportToggle(state, self._show_message_later)

        self._var = w.Text(
            value=state_var,
            description="Session name",
            style={"description_width": "initial"},
            layout=w.Layout(width="260px"),
        )
        self._apply = w.Button(description="Apply", button_style="primary", icon="check")
        self._message = w.HTML()
        self._status = w.HTML()
        self._show_chain = w.ToggleButton(description="Show chain", icon="table", value=False)
        # The chain scrolls inside the panel instead of widening it past the notebook.
        self._chain = w.HTML(layout=w.Layout(max_width="100%", max_height="420px", overflow="auto"))

        self.widget = w.VBox(
            [
                w.HTML("<b>AWS credentials</b>"),
                self._tabs,
                w.HBox([self._var, self._apply]),
                self._export.widget,
                self._message,
                self._status,
                self._show_chain,
                self._chain,
            ],
            layout=w.Layout(
                border="1px solid var(--jp-border-color2, #ccd)",
                padding="8px",
                width="fit-content",
                max_width="100%",
            ),
        )
        self.widget.add_class("aws-cred-panel")

        regions = [("(profile's region)", "")] + [(r, r) for r in self.controller.regions()]
        self._region.options = regions
        self._key_region.options = [("(current region)", "")] + regions[1:]
        self._key_region.value = ""  # options set after creation leave the value blank
        self._fill_profiles()
        record = state.current_record()
        if record is None:
            self.controller.status = self.controller.default_status()
        self._show_status(self.controller.status)

        self.controller.on_status = self._show_status
        self.controller.on_sync = self._sync_from_state
        self._profile.observe(self._on_profile_change, names="value")
        self._refresh.on_click(self._on_refresh_click)
        self._apply.on_click(self._on_apply_click)
        self._show_chain.observe(self._on_chain_toggle, names="value")
        self._sync_from_state()
        state.observe(self._on_sessions_change)
        if record is not None:
            self.controller.check_identity(record)

    # ------------------------------------------------------------------ display
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        # The widget view, plus text and HTML saying what the panel is and showed, for
        # where widgets cannot render (nbconvert's HTML, GitHub, a notebook without kernel).
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if not isinstance(bundle, dict):
            return bundle
        lines = panel_fallback_lines(self.controller)
        bundle["text/plain"] = "\n".join(lines)
        bundle["text/html"] = panel_fallback_html(lines)
        return bundle

    # ------------------------------------------------------------------ helpers
    def _fill_profiles(self) -> None:
        """The controller's profiles in the dropdown, the current session's profile (or
        boto3's default) selected if listed. The profile's region, MFA field and SSO row
        follow once, for the profile finally selected: not also for the first profile, which
        new options select on the way (that would reset the SSO row's roles and list them
        again over the network)."""
        current = self.controller.state.current_record()
        wanted = (current.profile if current and current.profile else None) or (
            self.controller.default_profile
        )
        self._filling = True
        try:
            # Equal options would change nothing (traitlets does not notify an equal value)
            # but still be validated option by option: skip them.
            if tuple(self._profile.options) != self.controller.options:
                self._profile.options = self.controller.options
            if self.controller.entry(wanted) is not None:
                self._profile.value = wanted
        finally:
            self._filling = False
        self._on_profile_change()

    def _show_status(self, status: Any) -> None:
        self._status.value = status_html(status)

    def _sync_from_state(self) -> None:
        """Show what the state holds now, whoever changed it (a magic, the API, this panel):
        the current session's profile and region, the keys' region label; an action's
        message from before no longer applies."""
        self._message.value = ""
        record = self.controller.state.current_record()
        region = record.region if record is not None else None
        self._key_region.options = [
            (f"(current region: {region})" if region else "(current region)", "")
        ] + list(self._key_region.options[1:])
        self._key_region.value = ""
        if record is None or not record.profile:
            return
        if self.controller.entry(record.profile) is None:
            self._guard(self.controller.load_profiles)  # a profile added since the panel opened
            self._profile.options = self.controller.options
        if self.controller.entry(record.profile) is not None:
            self._profile.value = record.profile  # also sets the profile's own region...
            self._on_profile_change()
            values = {value for _label, value in self._region.options}
            entry = self.controller.entry(record.profile)
            # ...which shows as "(profile's region)" unless the session chose another one
            if region and region in values and not (entry and entry.region == region):
                self._region.value = region
        if self._show_chain.value:
            self._guard(self._refresh_chain)

    def _show_message(self, text: str, error: bool = True) -> None:
        import html

        level = "error" if error else "info"
        color = "var(--jp-error-color1, #d32f2f)" if error else "var(--jp-success-color1, #2e7d32)"
        icon = "✖" if error else "✔"
        self._message.value = (
            f"<div class='aws-message aws-message-{level}' style='color:"
            "var(--jp-content-font-color1, inherit);overflow-wrap:anywhere'>"
            f"<span style='color:{color}'>{icon}</span> {html.escape(text)}</div>"
            if text
            else ""
        )

    def _clear_secrets(self) -> None:
        for field in (self._block, self._key_id, self._secret, self._token, self._mfa):
            field.value = ""
        self._assume.clear_secrets()

    def _show_message_later(self, text: str, error: bool) -> None:
        self._show_message(text, error=error)

    def _guard(self, action: Callable[[], Any]) -> None:
        """Run a callback so that every failure is shown in the panel, never lost."""
        try:
            action()
        except AwsCredError as exc:
            self._show_message(f"{exc} {self._unchanged()}")
        except Exception as exc:  # unexpected: still one clear line, secrets scrubbed
            self._show_message(f"{describe_error(exc)} {self._unchanged()}")

    def _unchanged(self) -> str:
        record = self.controller.state.current_record()
        if record is None:
            return "(Nothing changed.)"
        return f"(Nothing changed: {record.name} = {record.origin}.)"

    # ------------------------------------------------------------------ events
    def _on_profile_change(self, change: Any = None) -> None:
        if change is not None and self._filling:
            return  # _fill_profiles calls it once the dropdown shows its final choice
        entry = self.controller.entry(self._profile.value)
        region = entry.region if entry and entry.region else ""
        if region in {value for _label, value in self._region.options}:
            self._region.value = region
        else:
            self._region.value = ""
        self._mfa_box.layout.display = "flex" if entry and entry.needs_mfa else "none"
        self._sso.show_for(self._profile.value)

    def _on_refresh_click(self, button: Any = None) -> None:
        def refresh() -> None:
            self.controller.load_profiles()
            self._fill_profiles()
            self._assume.refresh_sources(self.controller.names)
            self._show_message(f"{len(self.controller.entries)} profiles loaded", error=False)

        self._guard(refresh)

    def _on_apply_click(self, button: Any = None) -> None:
        def apply() -> None:
            self._show_message("")
            try:
                if self._tabs.selected_index == 2:
                    record = self._assume.apply(_check_var(self._var.value))
                    self.controller._check_applied(record)
                elif self._tabs.selected_index == 1:
                    self.controller.apply_keys(
                        block=self._block.value,
                        access_key_id=self._key_id.value,
                        secret_access_key=self._secret.value,
                        session_token=self._token.value,
                        region=self._key_region.value,
                        var=self._var.value,
                    )
                elif self._sso.role_choice() is not None:
                    record = self._sso.apply(region=self._region.value, var=self._var.value)
                    self.controller._check_applied(record)
                else:
                    self.controller.apply_profile(
                        self._profile.value,
                        region=self._region.value,
                        var=self._var.value,
                        mfa_code=self._mfa.value,
                    )
            finally:
                self._clear_secrets()  # also on failure: a secret never waits in widget state
            # One line per action: the status line now says what was applied and, once STS
            # answers, the verdict. A failure stays in the message line, the status unchanged.

        self._guard(apply)
        if self._show_chain.value:
            self._guard(self._refresh_chain)

    def _on_sessions_change(self, state: Any) -> None:
        """Named sessions come and go: the Assume role tab's sources follow."""
        self._assume.refresh_sources()

    def _on_chain_toggle(self, change: Any) -> None:
        if change["new"]:
            self._guard(self._refresh_chain)
        else:
            self._chain.value = ""

    def _refresh_chain(self) -> None:
        self._chain.value = self.controller.chain_html()

    @property
    def closed(self) -> bool:
        return self.widget.comm is None

    def close(self) -> None:
        """Stop listening to the state and close the widgets: all of them, since closing a
        box leaves its children's (and layouts') models open in the kernel."""
        self.controller.close()
        self._export.close()
        self._sso.close()
        self.controller.state.unobserve(self._on_sessions_change)
        if self.controller.state.panel is self:
            self.controller.state.panel = None
        for widget in _widget_tree(self.widget):
            widget.close()


PANEL_FALLBACK = (
    "AWS credentials panel (an interactive widget: it shows in Jupyter with a running "
    "kernel, not in an HTML export or on GitHub; there, %aws_use, %aws_keys, %aws_whoami "
    "and %aws_chain do the same)."
)


def panel_fallback_lines(controller: PanelController) -> list[str]:
    """What the panel showed when displayed, as text (masked values only, no secret:
    the status line and the current session's name and origin)."""
    record = controller.state.current_record()
    lines = [PANEL_FALLBACK]
    lines.append(f"Session when shown: {record.name} = {record.origin}" if record else NO_SESSION)
    if record is not None:
        lines.append(f"Status when shown: {controller.status.text}")
    lines.append(
        "In the panel: pick a profile (region, MFA code), paste temporary keys or assume a"
        " role, then Apply; Show chain lists botocore's credential chain."
    )
    return lines


def panel_fallback_html(lines: list[str]) -> str:
    import html

    items = "".join(f"<div>{html.escape(line)}</div>" for line in lines)
    return f"<div class='aws-cred-panel-fallback'>{items}</div>"


def panel_for(state: CredentialState) -> CredentialPanel:
    """The panel of ``state``: one per kernel, so showing it again shows the same widget
    (views stay in sync) instead of stacking panels that each check every switch."""
    if state.panel is None or state.panel.closed:
        state.panel = CredentialPanel(state)
    return state.panel


def _widget_tree(root: Any) -> list[Any]:
    """``root`` and every widget it references (children, layouts, styles), once each."""
    import ipywidgets as w

    found: dict[int, Any] = {}
    pending = [root]
    while pending:
        value = pending.pop()
        if isinstance(value, (list, tuple)):
            pending.extend(value)
        elif isinstance(value, w.Widget) and id(value) not in found:
            found[id(value)] = value
            pending.extend(getattr(value, key, None) for key in value.keys)
    return list(found.values())
