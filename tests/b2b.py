"""A small B2B world in the moto server, with IAM enforcement on: one service user that may
only call sts:AssumeRole, two customer roles whose trust policies require an external ID and
whose policies reach only their own bucket, and a chain of roles (hop1 → hop2 → hop3).

moto checks trust policies only for roles in the caller's own account, so every role lives
in the service's account (123456789012); the buckets stay strictly per role.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from .conftest import moto_reset_auth, shell_with_extension  # noqa: F401 (re-exported)


@dataclass
class B2BWorld:
    moto_url: str
    suffix: str
    key_id: str
    secret: str
    roles: dict[str, str] = field(default_factory=dict)  # short name -> ARN
    external_ids: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)

    def secrets(self) -> list[str]:
        return [self.secret]


def _statement(action: str, resource: object) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}],
        }
    )


def _trust(external_id: str | None) -> str:
    statement: dict = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def build_b2b(moto_url: str) -> B2BWorld:
    """Create the world with authentication off (moto's default); the caller turns it on."""
    import boto3

    suffix = uuid.uuid4().hex[:8]
    boot = boto3.Session(
        aws_access_key_id="AKIAMOTOBOOTSTRAP001",
        aws_secret_access_key="bootstrap" * 4 + "0000",
        region_name="us-east-1",
    )
    iam = boot.client("iam", endpoint_url=moto_url)
    s3 = boot.client("s3", endpoint_url=moto_url)
    user = f"service-{suffix}"
    iam.create_user(UserName=user)
    iam.put_user_policy(
        UserName=user, PolicyName="assume", PolicyDocument=_statement("sts:AssumeRole", "*")
    )
    key = iam.create_access_key(UserName=user)["AccessKey"]
    world = B2BWorld(moto_url, suffix, key["AccessKeyId"], key["SecretAccessKey"])
    for short in ("a", "b"):
        name = f"customer-{short}-{suffix}"
        external_id = f"ext-{short}-{suffix}"
        bucket = f"customer-{short}-data-{suffix}"
        world.roles[short] = iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=_trust(external_id)
        )["Role"]["Arn"]
        iam.put_role_policy(
            RoleName=name,
            PolicyName="own-bucket",
            PolicyDocument=_statement(
                "s3:*", [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
            ),
        )
        s3.create_bucket(Bucket=bucket)
        world.external_ids[short] = external_id
        world.buckets[short] = bucket
    for hop in ("hop1", "hop2", "hop3"):
        name = f"{hop}-{suffix}"
        world.roles[hop] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust(None))[
            "Role"
        ]["Arn"]
        iam.put_role_policy(
            RoleName=name, PolicyName="assume", PolicyDocument=_statement("sts:AssumeRole", "*")
        )
    return world


def enforce(moto_url: str, on: bool) -> None:
    moto_reset_auth(moto_url, "0" if on else "inf")


# --------------------------------------------------------------------------- a shell


def run(ip, code: str):
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        result = ip.run_cell(code, store_history=True)
    return result, captured


def ok(ip, code: str) -> str:
    """Run ``code``; it must succeed. Returns what it printed."""
    result, captured = run(ip, code)
    assert result.error_in_exec is None and result.error_before_exec is None, (
        captured.stdout + captured.stderr
    )
    return captured.stdout


def usage_error(ip, code: str) -> str:
    """Run ``code``; it must fail with exactly UsageError and one line. Returns the line."""
    from IPython.core.error import UsageError

    result, captured = run(ip, code)
    assert type(result.error_in_exec) is UsageError, (result.error_in_exec, captured.stdout)
    message = str(result.error_in_exec)
    assert "\n" not in message
    return message
