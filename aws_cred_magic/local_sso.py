"""A local IAM Identity Center on 127.0.0.1, for the tests and the demo (moto has none).

It answers botocore's ``sso-oidc`` client (RegisterClient, StartDeviceAuthorization,
CreateToken with the device-code and refresh-token grants) and ``sso`` portal client
(GetRoleCredentials, ListAccounts, ListAccountRoles, Logout), and serves a verification page
with Approve and Deny buttons. Point botocore at it with ``AWS_ENDPOINT_URL_SSO_OIDC`` and
``AWS_ENDPOINT_URL_SSO`` (both: ``server.url``).

Role credentials are real temporary keys of the local moto STS (AssumeRole of an
``AWSReservedSSO_<role>`` role in the account), so GetCallerIdentity names the SSO role.
Tokens and secrets have the shapes of AWS's own (``aoa…``, ``aor…``, ``eyJ…``).
"""

from __future__ import annotations

import base64
import html
import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_ACCOUNTS = {
    "333333333333": (
        "analytics",
        "aws-analytics@example.com",
        ["AnalyticsReadOnly", "DataEngineer"],
    ),
    "444444444444": ("sandbox", "aws-sandbox@example.com", ["ReadOnly", "PowerUser"]),
}


def _b64(nbytes: int) -> str:
    return base64.b64encode(secrets.token_bytes(nbytes)).decode().rstrip("=")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def new_access_token() -> str:
    return f"aoa{_b64(60)}:{_b64(48)}"


def new_refresh_token() -> str:
    return f"aor{_b64(60)}:{_b64(48)}"


def new_client_secret() -> str:
    header = _b64url(b'{"kid":"key-local","alg":"HS384"}')
    payload = _b64url(json.dumps({"serialized": _b64(48)}).encode())
    return f"{header}.{payload}.{_b64url(secrets.token_bytes(48))}"


@dataclass
class Authorization:
    client_id: str
    user_code: str
    start_url: str
    expires: float
    state: str = "pending"  # pending / approved / denied / used
    polls: list[float] = field(default_factory=list)


class LocalIdentityCenter(ThreadingHTTPServer):
    """The server. Knobs (attributes) a test may turn: ``interval`` (seconds the client is
    told to wait between polls), ``device_expires_in``, ``token_expires_in``,
    ``client_expires_in``, ``slow_downs`` (answer the next N polls with slow_down),
    ``auto_approve``."""

    daemon_threads = True

    def __init__(
        self,
        *,
        sts_url: str | None = None,
        accounts: dict[str, tuple[str, str, list[str]]] | None = None,
        interval: int = 1,
        device_expires_in: int = 600,
        token_expires_in: int = 8 * 3600,
        client_expires_in: int = 90 * 24 * 3600,
        user: str = "analyst@example.com",
    ) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.sts_url = sts_url
        self.accounts = dict(accounts or DEFAULT_ACCOUNTS)
        self.interval = interval
        self.device_expires_in = device_expires_in
        self.token_expires_in = token_expires_in
        self.client_expires_in = client_expires_in
        self.user = user
        self.slow_downs = 0
        self.auto_approve = False
        # The keys it assumes roles with (an IAM user's, where moto checks signatures).
        self.sts_keys = {
            "id": "AKIAEXAMPLESSOPORTAL",
            "secret": "local-identity-center-secret-for-moto-sts",
        }
        self.lock = threading.Lock()
        self.clients: dict[str, dict[str, Any]] = {}
        self.authorizations: dict[str, Authorization] = {}  # by device code
        self.access_tokens: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []  # operation names, in order
        self.logged_out: list[str] = []  # access tokens Logout was called with
        self.issued: list[str] = []  # every secret handed out: tests look for leaks of these
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def close(self) -> None:
        self.shutdown()
        self.server_close()

    def endpoint_env(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL_SSO_OIDC": self.url, "AWS_ENDPOINT_URL_SSO": self.url}

    # -- for tests and the approval page
    def _by_user_code(self, user_code: str) -> Authorization | None:
        code = user_code.strip().upper()
        return next((a for a in self.authorizations.values() if a.user_code == code), None)

    def decide(self, user_code: str, approve: bool) -> bool:
        with self.lock:
            authorization = self._by_user_code(user_code)
            if authorization is None or authorization.state != "pending":
                return False
            authorization.state = "approved" if approve else "denied"
            return True

    def approve(self, user_code: str) -> bool:
        return self.decide(user_code, True)

    def deny(self, user_code: str) -> bool:
        return self.decide(user_code, False)

    def pending_codes(self) -> list[str]:
        with self.lock:
            return [a.user_code for a in self.authorizations.values() if a.state == "pending"]

    def expire_access_tokens(self) -> None:
        """Make every issued access token expired (the cache file is the client's)."""
        with self.lock:
            for token in self.access_tokens.values():
                token["expires"] = time.time() - 1

    # -- the API
    def register_client(self, body: dict[str, Any]) -> dict[str, Any]:
        client_id = _b64url(secrets.token_bytes(16))
        secret = new_client_secret()
        now = int(time.time())
        with self.lock:
            self.issued.append(secret)
            self.clients[client_id] = {
                "secret": secret,
                "scopes": list(body.get("scopes") or []),
                "expires": now + self.client_expires_in,
                "name": body.get("clientName"),
            }
        return {
            "clientId": client_id,
            "clientSecret": secret,
            "clientIdIssuedAt": now,
            "clientSecretExpiresAt": now + self.client_expires_in,
        }

    def _client(self, body: dict[str, Any]) -> dict[str, Any]:
        client = self.clients.get(body.get("clientId", ""))
        if client is None or client["secret"] != body.get("clientSecret"):
            raise ApiError(400, "InvalidClientException", "invalid_client", "Unknown client")
        if client["expires"] < time.time():
            raise ApiError(400, "InvalidClientException", "invalid_client", "Client expired")
        return client

    def start_device_authorization(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self._client(body)
            device_code = _b64url(secrets.token_bytes(32))
            letters = "BCDFGHJKLMNPQRSTVWXZ"
            raw = "".join(secrets.choice(letters) for _ in range(8))
            user_code = f"{raw[:4]}-{raw[4:]}"
            authorization = Authorization(
                body["clientId"],
                user_code,
                body.get("startUrl", ""),
                time.time() + self.device_expires_in,
            )
            if self.auto_approve:
                authorization.state = "approved"
            self.issued.append(device_code)
            self.authorizations[device_code] = authorization
        verification = f"{self.url}/device"
        return {
            "deviceCode": device_code,
            "userCode": user_code,
            "verificationUri": verification,
            "verificationUriComplete": f"{verification}?user_code={user_code}",
            "expiresIn": self.device_expires_in,
            "interval": self.interval,
        }

    def create_token(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            client = self._client(body)
            grant = body.get("grantType")
            if grant == "refresh_token":
                grant_info = self.refresh_tokens.pop(body.get("refreshToken", ""), None)
                if grant_info is None or grant_info["client_id"] != body["clientId"]:
                    raise ApiError(400, "InvalidGrantException", "invalid_grant", "Bad refresh")
                return self._issue(body["clientId"], client)
            if grant != "urn:ietf:params:oauth:grant-type:device_code":
                raise ApiError(400, "UnsupportedGrantTypeException", "unsupported_grant_type", "")
            authorization = self.authorizations.get(body.get("deviceCode", ""))
            if authorization is None or authorization.client_id != body["clientId"]:
                raise ApiError(400, "InvalidGrantException", "invalid_grant", "Unknown device")
            authorization.polls.append(time.monotonic())
            if authorization.expires < time.time():
                raise ApiError(400, "ExpiredTokenException", "expired_token", "Code expired")
            if self.slow_downs > 0:
                self.slow_downs -= 1
                raise ApiError(400, "SlowDownException", "slow_down", "Polling too fast")
            if authorization.state == "pending":
                raise ApiError(
                    400, "AuthorizationPendingException", "authorization_pending", "Pending"
                )
            if authorization.state == "denied":
                raise ApiError(400, "AccessDeniedException", "access_denied", "Denied")
            if authorization.state == "used":
                raise ApiError(400, "InvalidGrantException", "invalid_grant", "Already used")
            authorization.state = "used"
            return self._issue(body["clientId"], client)

    def _issue(self, client_id: str, client: dict[str, Any]) -> dict[str, Any]:
        access = new_access_token()
        self.access_tokens[access] = {"expires": time.time() + self.token_expires_in}
        self.issued.append(access)
        answer: dict[str, Any] = {
            "accessToken": access,
            "tokenType": "Bearer",
            "expiresIn": self.token_expires_in,
        }
        if client["scopes"]:  # as AWS: refresh tokens only for registrations with scopes
            refresh = new_refresh_token()
            self.refresh_tokens[refresh] = {"client_id": client_id}
            self.issued.append(refresh)
            answer["refreshToken"] = refresh
        return answer

    def _bearer(self, token: str) -> None:
        info = self.access_tokens.get(token)
        if info is None or info["expires"] < time.time():
            raise ApiError(401, "UnauthorizedException", None, "Session token not found or invalid")

    def role_credentials(self, token: str, account_id: str, role_name: str) -> dict[str, Any]:
        with self.lock:
            self._bearer(token)
            account = self.accounts.get(account_id)
        if account is None or role_name not in account[2]:
            raise ApiError(404, "ResourceNotFoundException", None, "No access")
        expires_ms = int((time.time() + 3600) * 1000)
        if self.sts_url is None:
            return {
                "accessKeyId": "ASIA"
                + "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ234567") for _ in range(16)),
                "secretAccessKey": _b64(30),
                "sessionToken": _b64(120),
                "expiration": expires_ms,
            }
        creds = self._assume(account_id, role_name)
        return {
            "accessKeyId": creds["AccessKeyId"],
            "secretAccessKey": creds["SecretAccessKey"],
            "sessionToken": creds["SessionToken"],
            "expiration": int(creds["Expiration"].timestamp() * 1000),
        }

    def _assume(self, account_id: str, role_name: str) -> dict[str, Any]:
        """Temporary keys of the local moto STS for the role Identity Center provisions."""
        import os

        import boto3
        import botocore.session

        core = botocore.session.Session(
            session_vars={
                "profile": (None, None, None, None),
                "config_file": (None, None, os.devnull, None),
                "credentials_file": (None, None, os.devnull, None),
            }
        )
        sts = boto3.Session(botocore_session=core).client(
            "sts",
            endpoint_url=self.sts_url,
            region_name="us-east-1",
            aws_access_key_id=self.sts_keys["id"],
            aws_secret_access_key=self.sts_keys["secret"],
        )
        arn = self.role_arn(account_id, role_name)
        return sts.assume_role(RoleArn=arn, RoleSessionName=self.user)["Credentials"]

    @staticmethod
    def role_arn(account_id: str, role_name: str) -> str:
        """The role Identity Center provisions for a permission set in an account."""
        return f"arn:aws:iam::{account_id}:role/AWSReservedSSO_{role_name}_0123456789abcdef"

    def list_accounts(self, token: str) -> dict[str, Any]:
        with self.lock:
            self._bearer(token)
        return {
            "accountList": [
                {"accountId": a, "accountName": name, "emailAddress": email}
                for a, (name, email, _roles) in sorted(self.accounts.items())
            ]
        }

    def list_account_roles(self, token: str, account_id: str) -> dict[str, Any]:
        with self.lock:
            self._bearer(token)
        roles = self.accounts.get(account_id, ("", "", []))[2]
        return {"roleList": [{"roleName": r, "accountId": account_id} for r in roles]}

    def logout(self, token: str) -> None:
        with self.lock:
            self._bearer(token)
            self.access_tokens.pop(token, None)
            self.logged_out.append(token)


class ApiError(Exception):
    def __init__(self, status: int, code: str, oauth_error: str | None, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.oauth_error, self.message = status, code, oauth_error, message


_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:34em;margin:3em auto}}
code{{font-size:1.6em;letter-spacing:.1em}}button{{font-size:1.1em;margin-right:1em}}</style>
</head><body><h1>{title}</h1>{body}</body></html>"""


class _Handler(BaseHTTPRequestHandler):
    server: LocalIdentityCenter

    def log_message(self, *args: object) -> None:
        pass

    # -- plumbing
    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, document: dict[str, Any], status: int = 200) -> None:
        self._send(status, json.dumps(document).encode(), "application/json")

    def _error(self, error: ApiError) -> None:
        body: dict[str, Any] = {"message": error.message}
        if error.oauth_error:
            body = {"error": error.oauth_error, "error_description": error.message}
        self._send(
            error.status,
            json.dumps(body).encode(),
            "application/json",
            {"x-amzn-ErrorType": error.code},
        )

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _page(self, title: str, body: str, status: int = 200) -> None:
        self._send(
            status, _PAGE.format(title=title, body=body).encode(), "text/html; charset=utf-8"
        )

    # -- routes
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        path = urllib.parse.urlsplit(self.path).path
        raw = self._body()
        if path in ("/device/approve", "/device/deny"):
            form = urllib.parse.parse_qs(raw.decode())
            code = form.get("user_code", [""])[0]
            approve = path.endswith("approve")
            if self.server.decide(code, approve):
                what = "approved" if approve else "denied"
                self.server.calls.append(f"page:{what}")
                return self._page(
                    "Request " + what,
                    f"<p id='result'>Request {what}. You can close this page and go back "
                    "to your notebook.</p>",
                )
            return self._page("Code not found", "<p id='result'>This code is not pending.</p>", 400)
        routes = {
            "/client/register": ("RegisterClient", self.server.register_client),
            "/device_authorization": (
                "StartDeviceAuthorization",
                self.server.start_device_authorization,
            ),
            "/token": ("CreateToken", self.server.create_token),
        }
        try:
            if path == "/logout":
                self.server.calls.append("Logout")
                self.server.logout(self.headers.get("x-amz-sso_bearer_token", ""))
                return self._send(200, b"", "application/json")
            if path not in routes:
                return self._send(404, b"{}", "application/json")
            name, handler = routes[path]
            self.server.calls.append(name)
            self._json(handler(json.loads(raw or b"{}")))
        except ApiError as error:
            self._error(error)

    def do_GET(self) -> None:  # noqa: N802
        parts = urllib.parse.urlsplit(self.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(parts.query).items()}
        token = self.headers.get("x-amz-sso_bearer_token", "")
        try:
            if parts.path == "/device":
                return self._verification_page(query.get("user_code", ""))
            if parts.path == "/federation/credentials":
                self.server.calls.append("GetRoleCredentials")
                creds = self.server.role_credentials(
                    token, query.get("account_id", ""), query.get("role_name", "")
                )
                return self._json({"roleCredentials": creds})
            if parts.path == "/assignment/accounts":
                self.server.calls.append("ListAccounts")
                return self._json(self.server.list_accounts(token))
            if parts.path == "/assignment/roles":
                self.server.calls.append("ListAccountRoles")
                return self._json(
                    self.server.list_account_roles(token, query.get("account_id", ""))
                )
            self._send(404, b"{}", "application/json")
        except ApiError as error:
            self._error(error)

    def _verification_page(self, user_code: str) -> None:
        code = html.escape(user_code.strip().upper())
        if not code:
            return self._page(
                "Authorize request",
                "<form method='get'><label>Code <input name='user_code'></label>"
                "<button>Next</button></form>",
            )
        buttons = "".join(
            f"<form method='post' action='/device/{action}' style='display:inline'>"
            f"<input type='hidden' name='user_code' value='{code}'>"
            f"<button id='{action}' type='submit'>{label}</button></form>"
            for action, label in (("approve", "Approve"), ("deny", "Deny"))
        )
        self._page(
            "Authorize request",
            "<p>Local IAM Identity Center (aws_cred_magic demo). An application asks to sign "
            f"in as <b>{html.escape(self.server.user)}</b>.</p>"
            f"<p>Confirm that this code matches the one your notebook shows:</p>"
            f"<p><code id='user-code'>{code}</code></p>{buttons}",
        )
