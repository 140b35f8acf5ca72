"""Bearer JWT (HS256): the account always comes from the verified token."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, Path, Request, Response
from fastapi.routing import APIRoute

from autoletter.runtime.http import ApiError

OPS_ROLE = "ops"


@dataclass(frozen=True)
class Principal:
    """Who is calling: their account and roles."""

    account_id: str
    roles: frozenset[str]

    @property
    def is_ops(self) -> bool:
        return OPS_ROLE in self.roles


def mint_token(
    secret: str,
    account_id: str,
    *,
    roles: Sequence[str] = (),
    ttl: timedelta = timedelta(hours=1),
    now: datetime | None = None,
) -> str:
    """A signed token for an account (dev tooling and tests)."""
    issued = now or datetime.now(UTC)
    claims = {"sub": account_id, "roles": list(roles), "iat": issued, "exp": issued + ttl}
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_token(secret: str, token: str) -> Principal:
    """Only HS256 with our secret is accepted; `alg=none` and expired tokens are refused."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["sub", "exp"]})
    except jwt.ExpiredSignatureError as exc:
        raise ApiError(401, "unauthorized", "Your session has expired: sign in again.") from exc
    except jwt.InvalidTokenError as exc:
        raise ApiError(401, "unauthorized", "The access token is not valid.") from exc
    sub, roles = claims.get("sub"), claims.get("roles", [])
    if not isinstance(sub, str) or not sub or not isinstance(roles, list):
        raise ApiError(401, "unauthorized", "The access token is not valid.")
    return Principal(account_id=sub, roles=frozenset(str(r) for r in roles))


def _principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", "Send an access token: Authorization: Bearer <token>.")
    secret = request.app.state.runtime.settings.jwt_secret.get_secret_value()
    return verify_token(secret, token.strip())


CurrentPrincipal = Annotated[Principal, Depends(_principal)]

#: An account id in a route's path: as long as an event envelope's (contracts' Envelope.account_id).
AccountId = Annotated[str, Path(min_length=1, max_length=64, description="The account id.")]


def authorize_account(principal: Principal, account_id: str) -> None:
    """Another account's resource is 'not found': nothing leaks about whether it exists."""
    if principal.account_id != account_id and not principal.is_ops:
        raise ApiError(404, "not_found", "No such resource.")


def require_ops(principal: Principal) -> None:
    if not principal.is_ops:
        raise ApiError(403, "forbidden", "This action needs the ops role.")


class OpsRoute(APIRoute):
    """A route for ops only, checked before anything of the request is read: FastAPI parses a JSON
    body before it runs any dependency, so a customer would otherwise learn from a 422."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def ops_first(request: Request) -> Response:
            require_ops(_principal(request))
            return await handle(request)

        return ops_first
