"""The sign-in view: the verification link with the code filled in, the code, a countdown and
Cancel, over one ``sso.DeviceLogin``. ``%aws_sso_login`` shows it in Jupyter and the panel's
**Sign in** button embeds it. Built from standard ipywidgets only.

The view holds no secret: the device code, client secret and tokens stay inside the login.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from typing import Any

from .errors import AwsCredError, describe_error
from .sso import DeviceLogin

_COLORS = {
    "ok": "var(--jp-success-color1, #1b7f1b)",
    "pending": "var(--jp-ui-font-color1, #333)",
    "error": "var(--jp-error-color1, #b00020)",
}


def login_html(login: DeviceLogin) -> str:
    """What the view shows for the state of ``login`` (also the text fallback's source)."""
    status = login.status
    if status == "pending":
        url = html.escape(login.verification_uri_complete or "", quote=True)
        left = login.seconds_left()
        return (
            "<div class='aws-sso-login aws-sso-pending' style='color:"
            f"{_COLORS['pending']}'>"
            f"<b>Sign in to {html.escape(login.target.label)}</b>: open "
            f"<a href='{url}' target='_blank' rel='noopener' class='aws-sso-link' "
            f"style='color:var(--jp-content-link-color, #1a5fb4)'>{url}</a><br>"
            "and check that it shows the code "
            f"<code class='aws-sso-code' style='font-size:1.2em'>"
            f"{html.escape(login.user_code or '')}</code> · "
            f"<span class='aws-sso-countdown'>{left // 60}:{left % 60:02d} left</span>"
            "</div>"
        )
    level = "ok" if status == "signed in" else "pending" if status == "starting" else "error"
    return (
        f"<div class='aws-sso-login aws-sso-{status.replace(' ', '-')}' "
        f"style='color:{_COLORS[level]}'>{html.escape(login.message)}</div>"
    )


def login_text(login: DeviceLogin, *, foreground: bool = False) -> str:
    """The same for a terminal (``foreground``: the command waits for the approval)."""
    if login.status == "pending":
        then = (
            "Waiting for the approval here (Ctrl-C cancels)…"
            if foreground
            else "The sign-in finishes in the background."
        )
        return (
            f"Sign in to {login.target.label}: open {login.verification_uri_complete}\n"
            f"and check that it shows the code {login.user_code} "
            f"({login.seconds_left() // 60} min left). {then}"
        )
    return login.message


class LoginView:
    """A running sign-in, displayed: link, code, countdown and Cancel."""

    def __init__(
        self, login: DeviceLogin, on_done: Callable[[DeviceLogin], None] | None = None
    ) -> None:
        import ipywidgets as w

        self.login = login
        self._on_done = on_done
        self._html = w.HTML(login_html(login))
        self._cancel = w.Button(description="Cancel", icon="times", tooltip="Stop this sign-in")
        self._cancel.on_click(self._on_cancel_click)
        self.widget = w.VBox([self._html, self._cancel])
        self.widget.add_class("aws-sso-login-view")
        self._lock = threading.Lock()
        self._ticker = threading.Thread(target=self._tick, daemon=True, name="aws-sso-countdown")

    def start(self) -> LoginView:
        """Start the login (its changes update the view) and the countdown."""
        previous = self.login.on_change
        self.login.on_change = lambda login: (self._update(), previous and previous(login))
        if self.login.thread is None:
            self.login.start()
        self._ticker.start()
        return self

    def _update(self) -> None:
        with self._lock:
            self._html.value = login_html(self.login)
            if self.login.done or self.login.status in DeviceLogin.FINAL:
                self._cancel.layout.display = "none"

    def _tick(self) -> None:
        # The countdown moves every second while the code waits for approval.
        while not self.login.wait(1.0):
            if self.login.status == "pending":
                self._update()
        self._update()
        if self._on_done is not None:
            try:
                self._on_done(self.login)
            except Exception as exc:  # shown, not lost
                self._html.value += f"<div>{html.escape(describe_error(exc))}</div>"

    def _on_cancel_click(self, button: Any = None) -> None:
        self.login.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        return self.login.wait(timeout)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):  # where widgets cannot render: what it said when shown
            bundle["text/plain"] = login_text(self.login)
        return bundle

    def __repr__(self) -> str:
        return login_text(self.login)


def show_login(
    state: Any, target: Any, *, rich: bool, foreground: bool = False
) -> LoginView | None:
    """Start a sign-in for ``target`` over ``state``: a ``LoginView`` in Jupyter. Otherwise
    print the link and code and return None: with ``foreground`` (terminal IPython) only
    once the outcome is known, printed before the next prompt (``AwsCredError`` unless
    signed in; Ctrl-C cancels); else the outcome is printed when it comes."""
    from .sso import start_login, wait_in_foreground

    login = start_login(state.sso_logins, target, state.timeout)
    if rich:
        return LoginView(login).start()
    if foreground:
        try:
            wait_in_foreground(
                login, lambda pending: print(login_text(pending, foreground=True), flush=True)
            )
        except AwsCredError:
            if login.status == "cancelled":  # the terminal echoed ^C: the error on its own line
                print(flush=True)
            raise
        print(login.message, flush=True)
        return None

    def report(changed: DeviceLogin) -> None:
        if changed.status in DeviceLogin.FINAL:
            print(login_text(changed), flush=True)

    shown = threading.Event()
    login.on_change = lambda changed: (
        shown.set() if changed.status == "pending" else report(changed)
    )
    login.start()
    # Registering and starting the authorization are two bounded calls: wait for them so
    # the link is printed here, in the cell, not later over the prompt.
    for _ in range(int(3 * state.timeout / 0.05) + 1):
        if shown.is_set() or login.done:
            break
        login.wait(0.05)
    if login.status == "pending":
        print(login_text(login), flush=True)
    return None


class SsoBox:
    """The panel's IAM Identity Center row, shown for SSO profiles: the sign-in state, a
    **Sign in** button running the same flow as %aws_sso_login (the view appears below it),
    and an **Account / role** dropdown of every role the sign-in may use (ListAccounts,
    ListAccountRoles, loaded in the background), for a session without editing config."""

    OWN = "(the profile's own)"

    def __init__(self, state: Any, show_message: Callable[[str, bool], None]) -> None:
        import ipywidgets as w

        self._state = state
        self._show_message = show_message
        self.target: Any = None
        self.view: LoginView | None = None
        self.roles_thread: threading.Thread | None = None
        self._generation = 0
        self._roles_for: Any = None  # the target whose roles the dropdown lists
        self._status = w.HTML()
        self._sign_in = w.Button(
            description="Sign in",
            icon="sign-in",
            tooltip="Sign in to IAM Identity Center (SSO), as %aws_sso_login does",
        )
        self._sign_in.on_click(self._on_sign_in_click)
        self._login = w.VBox([])
        self._roles = w.Dropdown(
            description="Account / role",
            options=[(self.OWN, "")],
            style={"description_width": "initial"},
            layout=w.Layout(width="420px", display="none"),
        )
        self.widget = w.VBox(
            [w.HBox([self._status, self._sign_in]), self._login, self._roles],
            layout=w.Layout(display="none"),
        )
        self.widget.add_class("aws-sso-box")

    # -- what the panel calls
    def show_for(self, profile: str | None) -> None:
        """Show the row for ``profile`` if it is an SSO profile, else hide it."""
        from . import sso
        from .discover import new_session

        target = None
        try:
            # Through the parse cache: botocore's own merge of both files, parsed once per
            # file version (an edit shows at once), not reparsed on every pick or refresh.
            config = new_session().full_config
            if profile and sso.is_sso_profile(config.get("profiles", {}).get(profile, {})):
                target = sso.target_for(profile, config=config)
        except Exception:  # a broken profile: the Apply error explains it
            target = None
        if target != self.target:  # another Identity Center: its roles are not these
            self.target = target
            self._roles_for = None
            self._roles.options = [(self.OWN, "")]
            self._roles.layout.display = "none"
        self.widget.layout.display = "flex" if target is not None else "none"
        if target is not None:
            self.refresh()

    def refresh(self) -> None:
        """Reread the token cache (no network); list the roles when signed in."""
        from . import sso

        if self.target is None:
            return
        status = sso.token_status(self.target)
        level = "ok" if status.state == "valid" else "pending" if status.usable else "error"
        self._status.value = (
            f"<span class='aws-sso-status aws-sso-status-{status.state.replace(' ', '-')}' "
            f"style='color:{_COLORS[level]}'>IAM Identity Center ({html.escape(self.target.label)})"
            f": {html.escape(status.text())}</span>"
        )
        self._sign_in.description = "Sign in again" if status.state == "valid" else "Sign in"
        if (
            status.state == "valid"
            and self.target.session_name is not None
            and self._roles_for != self.target
        ):
            self._load_roles()

    def role_choice(self) -> tuple[str, str] | None:
        """``(account_id, role_name)`` picked in the dropdown, or None for the profile's own."""
        if self.target is None or not self._roles.value:
            return None
        account, role = self._roles.value.split("/", 1)
        return account, role

    def apply(self, *, region: str | None, var: str) -> Any:
        """A session for the chosen account and role (``CredentialState.use_sso_role``)."""
        choice = self.role_choice()
        assert choice is not None and self.target is not None
        return self._state.use_sso_role(
            self.target.session_name, choice[0], choice[1], region=region or None, var=var
        )

    def close(self) -> None:
        if self.view is not None:
            self.view.login.cancel()

    # -- events
    def _on_sign_in_click(self, button: Any = None) -> None:
        from .sso import start_login

        if self.target is None:
            return
        if self.view is not None:
            self.view.login.cancel()
            self.view.widget.close()
        login = start_login(self._state.sso_logins, self.target, self._state.timeout)
        self.view = LoginView(login, on_done=self._on_login_done).start()
        self._login.children = [self.view.widget]

    def _on_login_done(self, login: DeviceLogin) -> None:
        if login.target != self.target:
            return  # another profile was picked meanwhile
        self._show_message(login.message, login.status != "signed in")
        self.refresh()

    def _load_roles(self) -> None:
        from .sso import accounts_frame

        self._generation += 1
        generation, target = self._generation, self.target

        def run() -> None:
            try:
                frame = accounts_frame(target, self._state.timeout)
            except Exception as exc:  # shown beside the status, never lost
                text = describe_error(exc)
                if generation == self._generation:
                    self._status.value += (
                        f" <span class='aws-sso-roles-error'>({html.escape(text)})</span>"
                    )
                return
            if generation != self._generation or target != self.target:
                return
            options = [(self.OWN, "")] + [
                (
                    f"{r.account_name or r.account_id} {r.account_id} / {r.role_name}",
                    f"{r.account_id}/{r.role_name}",
                )
                for r in frame.itertuples()
            ]
            self._roles.options = options
            self._roles.layout.display = "flex"
            self._roles_for = target

        self.roles_thread = threading.Thread(target=run, daemon=True, name="aws-sso-roles")
        self.roles_thread.start()
