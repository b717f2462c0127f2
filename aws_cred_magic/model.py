"""Model: plain records of what was resolved, holding only masked values.

Nothing here holds a secret: rows keep a masked access key id, identities keep account and
ARN. The objects carry text and HTML reprs so they read well in a terminal and in Jupyter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas

# The status vocabulary of the resolution table.
STATUSES = {
    "winner": "botocore uses these credentials",
    "shadowed": "configured and would supply credentials, but an earlier source wins",
    "not configured": "nothing for this source in the environment or files",
    "removed": "botocore drops this source from the chain for this session",
    "error": "botocore stops here with this error, and finds no credentials",
    "not reached": "botocore stops before it gets here",
    "unknown": "only the network can tell (IMDS); run with probe=True",
}

TABLE_COLUMNS = [
    "order",
    "method",
    "provider",
    "status",
    "winner",
    "access_key",
    "location",
    "expires",
    "detail",
]

# Readable names for botocore's METHOD strings; unknown methods show their own name.
PROVIDER_NAMES = {
    "explicit": "Keys passed in code",
    "env": "Environment variables",
    "assume-role": "Assume role (profile)",
    "assume-role-with-web-identity": "Web identity token",
    "sso": "IAM Identity Center (SSO)",
    "shared-credentials-file": "Shared credentials file",
    "login": "AWS console login (aws login)",
    "custom-process": "credential_process",
    "config-file": "Config file keys",
    "ec2-credentials-file": "AWS_CREDENTIAL_FILE (EC2 tools)",
    "boto-config": "Boto2 config file",
    "container-role": "Container endpoint (ECS/EKS)",
    "iam-role": "EC2 instance metadata (IMDS)",
    "session": "boto3.Session()",
}


@dataclass
class ProviderRow:
    """One credential source as botocore sees it for one session."""

    method: str
    status: str = "not configured"
    access_key: str = ""  # already masked
    location: str = ""
    expires: dt.datetime | None = None
    detail: str = ""

    @property
    def provider(self) -> str:
        return PROVIDER_NAMES.get(self.method, self.method)

    @property
    def winner(self) -> bool:
        return self.status == "winner"


@dataclass
class Resolution:
    """The whole chain for one session: rows in botocore's order, plus profile and region."""

    rows: list[ProviderRow]
    profile: str | None = None
    profile_chosen_by: str = ""
    region: str | None = None
    region_source: str = ""
    probed: bool = False

    @property
    def winner(self) -> ProviderRow | None:
        return next((row for row in self.rows if row.winner), None)

    @property
    def error(self) -> ProviderRow | None:
        return next((row for row in self.rows if row.status == "error"), None)

    def summary(self) -> str:
        """One line: who wins (or why nobody does), profile and region."""
        winner = self.winner
        if winner is not None:
            head = f"{winner.method} wins"
            if winner.access_key:
                head += f" with key {winner.access_key}"
        elif self.error is not None:
            head = (
                f"no credentials: {self.error.detail.rstrip('.')}"  # no '.;' before the next part
            )
        else:
            head = "no credentials found"
        profile = f"profile {self.profile} ({self.profile_chosen_by})" if self.profile else ""
        region = f"region {self.region or '(none)'}"
        if self.region_source:
            region += f" ({self.region_source})"
        return "; ".join(part for part in (head, profile, region) if part)

    def to_frame(self) -> pandas.DataFrame:
        """The table as a pandas DataFrame with the documented columns."""
        import pandas as pd

        records = [
            {
                "order": index,
                "method": row.method,
                "provider": row.provider,
                "status": row.status,
                "winner": row.winner,
                "access_key": row.access_key,
                "location": row.location,
                "expires": row.expires,
                "detail": row.detail,
            }
            for index, row in enumerate(self.rows, start=1)
        ]
        frame = pd.DataFrame.from_records(records, columns=TABLE_COLUMNS)
        frame["expires"] = pd.to_datetime(frame["expires"], utc=True)
        frame["winner"] = frame["winner"].astype(bool)
        frame.attrs.update(
            profile=self.profile,
            profile_chosen_by=self.profile_chosen_by,
            region=self.region,
            region_source=self.region_source,
            probed=self.probed,
            summary=self.summary(),
        )
        return frame


def format_expiry(
    expires: dt.datetime | None, now: dt.datetime | None = None, *, temporary: bool = False
) -> str:
    """``"2026-11-28 13:00 UTC (in 42 min)"``, ``"… (expired 3 min ago)"``, ``"never"``, or
    for temporary keys (ASIA…) whose expiry nobody gave, ``"temporary, expiry unknown"``."""
    if expires is None:
        return "temporary, expiry unknown" if temporary else "never"
    now = now or dt.datetime.now(dt.timezone.utc)
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=dt.timezone.utc)
    left = expires - now
    minutes = int(abs(left.total_seconds()) // 60)
    span = f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
    stamp = expires.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"{stamp} (expired {span} ago)" if left.total_seconds() < 0 else f"{stamp} (in {span})"


@dataclass
class Identity:
    """Who AWS says you are (STS GetCallerIdentity) and how the credentials were found."""

    account: str | None = None
    arn: str | None = None
    user_id: str | None = None
    method: str | None = None
    access_key: str = ""  # masked
    region: str | None = None
    profile: str | None = None
    expires: dt.datetime | None = None
    source: str = ""
    error: str | None = None
    temporary: bool = False  # ASIA… keys: they expire even when nobody says when

    def to_dict(self) -> dict[str, Any]:
        """The identity as a plain dict (masked key, no secret)."""
        return asdict(self)

    def _fields(self) -> list[tuple[str, str]]:
        rows = [
            ("Account", self.account or "—"),
            ("ARN", self.arn or "—"),
            ("UserId", self.user_id or "—"),
            ("Profile", self.profile or "—"),
            ("Method", self.method or "—"),
            ("Access key", self.access_key or "—"),
            ("Region", self.region or "(none)"),
            ("Expires", format_expiry(self.expires, temporary=self.temporary)),
        ]
        if self.source:
            rows.append(("Source", self.source))
        if self.error:
            rows.append(("Error", self.error))
        return rows

    def __repr__(self) -> str:
        from .render import text_block

        return text_block("AWS identity", self._fields())

    def _repr_html_(self) -> str:
        from .render import html_block

        return html_block("AWS identity", self._fields(), error=bool(self.error))
