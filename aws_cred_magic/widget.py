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
from .masking import one_line
from .model import Identity, format_expiry
from .sessions import CredentialState, SessionRecord

# Below this many minutes left, the status line warns that credentials expire soon.
EXPIRY_WARNING_MINUTES = 15
NO_SESSION = "No session chosen yet: pick a profile or paste keys."


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
    """What the status line shows; ``level`` is ok / pending / warning / error."""

    level: str
    text: str
    identity: Identity | None = None


class PanelController:
    """The panel's behaviour, testable without a browser or even widgets."""

    def __init__(self, state: CredentialState) -> None:
        self.state = state
        self.entries: list[ProfileEntry] = []
        self.default_profile: str | None = None
        self._check_generation = 0
        self._lock = threading.Lock()
        self.on_status: Callable[[Status], None] = lambda status: None
        self.status = Status("pending", NO_SESSION)
        self.check_thread: threading.Thread | None = None
        # Any switch (here, or by a magic) re-checks the identity of the current session.
        state.observe(self._on_state_change)

    def close(self) -> None:
        self.state.unobserve(self._on_state_change)

    def _on_state_change(self, state: CredentialState) -> None:
        record = state.current_record()
        if record is not None:
            self.check_identity(record)
        else:  # dropped or unloaded: no stale "✔" for a session that is gone
            with self._lock:
                self._check_generation += 1
            self._set_status(Status("pending", NO_SESSION))

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
        self.entries = [
            ProfileEntry(name, classify_profile(s), s.get("region"), needs_mfa(profiles, name))
            for name, s in sorted(
                profiles.items(), key=lambda item: (item[0] != "default", item[0])
            )
        ]
        self.default_profile = profile_choice(session).name
        return self.entries

    def entry(self, name: str | None) -> ProfileEntry | None:
        return next((e for e in self.entries if e.name == name), None)

    @staticmethod
    def regions() -> list[str]:
        """Every region of the standard ``aws`` partition, from botocore's partition data
        (small, unlike a service model, so the panel opens fast)."""
        import botocore.loaders

        partitions = botocore.loaders.create_loader().load_data("partitions")["partitions"]
        return sorted(next(p for p in partitions if p["id"] == "aws")["regions"])

    # ------------------------------------------------------------------ actions
    def apply_profile(
        self, profile: str, *, region: str | None, var: str, mfa_code: str | None = None
    ) -> SessionRecord:
        """Switch to ``profile``; the STS check then runs in the background."""
        if not profile:
            raise AwsCredError("Pick a profile first.")
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
        self._set_status(Status("pending", f"{record.summary()} — checking identity…"))

        def run() -> None:
            try:
                identity = self.state.whoami(var=record.name)
                status = status_for(identity)
                if record.name != self.state.session_var:
                    status.text = f"{record.name}: {status.text}"
            except AwsCredError as exc:
                status = Status("error", f"{record.name}: identity check failed: {exc}")
            except Exception as exc:  # never let a thread die silently
                status = Status("error", f"{record.name}: {describe_error(exc)}")
            with self._lock:  # held while showing, so an older answer never overwrites a newer
                if generation == self._check_generation:
                    self._set_status(status)

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


def _check_var(var: str) -> str:
    var = (var or "").strip()
    if not var.isidentifier():
        raise AwsCredError(f"Session name {var!r} is not a valid Python variable name.")
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


_LEVEL_STYLE = {
    "ok": ("#1b7f1b", "✔"),
    "pending": ("#555", "…"),
    "warning": ("#a36b00", "⚠"),
    "error": ("#b00020", "✖"),
}


def status_html(status: Status) -> str:
    import html

    color, icon = _LEVEL_STYLE.get(status.level, ("#555", ""))
    return (
        f"<div class='aws-status aws-status-{status.level}' style='color:{color}'>"
        f"{icon} {html.escape(status.text)}</div>"
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
        self._region = w.Dropdown(description="Region", layout=w.Layout(width="260px"))
        self._refresh = w.Button(
            description="Refresh", icon="refresh", tooltip="Reread ~/.aws files"
        )
        self._mfa = w.Text(
            description="MFA code", placeholder="6 digits", layout=w.Layout(width="220px")
        )
        self._mfa_box = w.HBox([self._mfa], layout=w.Layout(display="none"))
        profile_tab = w.VBox([w.HBox([self._profile, self._refresh]), self._region, self._mfa_box])

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

        self._tabs = w.Tab(children=[profile_tab, keys_tab])
        self._tabs.set_title(0, "Profile")
        self._tabs.set_title(1, "Temporary keys")

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
        self._chain = w.HTML()

        self.widget = w.VBox(
            [
                w.HTML("<b>AWS credentials</b>"),
                self._tabs,
                w.HBox([self._var, self._apply]),
                self._message,
                self._status,
                self._show_chain,
                self._chain,
            ],
            layout=w.Layout(border="1px solid #ccd", padding="8px", width="fit-content"),
        )
        self.widget.add_class("aws-cred-panel")

        regions = [("(profile's region)", "")] + [(r, r) for r in self.controller.regions()]
        self._region.options = regions
        self._key_region.options = [("(current region)", "")] + regions[1:]
        self._fill_profiles()
        self._show_status(self.controller.status)

        self.controller.on_status = self._show_status
        self._profile.observe(self._on_profile_change, names="value")
        self._refresh.on_click(self._on_refresh_click)
        self._apply.on_click(self._on_apply_click)
        self._show_chain.observe(self._on_chain_toggle, names="value")
        record = state.current_record()
        if record is not None:
            self.controller.check_identity(record)

    # ------------------------------------------------------------------ display
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # ------------------------------------------------------------------ helpers
    def _fill_profiles(self) -> None:
        entries = self.controller.entries
        current = self.controller.state.current_record()
        wanted = (current.profile if current and current.profile else None) or (
            self.controller.default_profile
        )
        self._profile.options = [(e.label, e.name) for e in entries]
        if any(e.name == wanted for e in entries):
            self._profile.value = wanted
        self._on_profile_change()

    def _show_status(self, status: Any) -> None:
        self._status.value = status_html(status)

    def _show_message(self, text: str, error: bool = True) -> None:
        import html

        color = "#b00020" if error else "#1b7f1b"
        self._message.value = (
            f"<span style='color:{color}'>{html.escape(text)}</span>" if text else ""
        )

    def _clear_secrets(self) -> None:
        for field in (self._block, self._key_id, self._secret, self._token, self._mfa):
            field.value = ""

    def _guard(self, action: Callable[[], None]) -> None:
        """Run a callback so that every failure is shown in the panel, never lost."""
        try:
            action()
        except AwsCredError as exc:
            self._show_message(str(exc))
        except Exception as exc:  # unexpected: still one clear line, secrets scrubbed
            self._show_message(describe_error(exc))

    # ------------------------------------------------------------------ events
    def _on_profile_change(self, change: Any = None) -> None:
        entry = self.controller.entry(self._profile.value)
        region = entry.region if entry and entry.region else ""
        if region in {value for _label, value in self._region.options}:
            self._region.value = region
        else:
            self._region.value = ""
        self._mfa_box.layout.display = "flex" if entry and entry.needs_mfa else "none"

    def _on_refresh_click(self, button: Any = None) -> None:
        def refresh() -> None:
            self.controller.load_profiles()
            self._fill_profiles()
            self._show_message(f"{len(self.controller.entries)} profiles loaded", error=False)

        self._guard(refresh)

    def _on_apply_click(self, button: Any = None) -> None:
        def apply() -> None:
            self._show_message("")
            try:
                if self._tabs.selected_index == 1:
                    record = self.controller.apply_keys(
                        block=self._block.value,
                        access_key_id=self._key_id.value,
                        secret_access_key=self._secret.value,
                        session_token=self._token.value,
                        region=self._key_region.value,
                        var=self._var.value,
                    )
                else:
                    record = self.controller.apply_profile(
                        self._profile.value,
                        region=self._region.value,
                        var=self._var.value,
                        mfa_code=self._mfa.value,
                    )
            finally:
                self._clear_secrets()  # also on failure: a secret never waits in widget state
            self._show_message(f"Applied: {record.summary()}", error=False)

        self._guard(apply)
        if self._show_chain.value:
            self._guard(self._refresh_chain)

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
        if self.controller.state.panel is self:
            self.controller.state.panel = None
        for widget in _widget_tree(self.widget):
            widget.close()


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
