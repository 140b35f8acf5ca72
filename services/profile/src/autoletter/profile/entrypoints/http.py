"""HTTP routes: translate requests into writes, results into bodies with an ETag."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response

from autoletter.profile import handlers
from autoletter.profile.adapters.repository import StoredProfile
from autoletter.profile.domain import InvalidProfile, Profile
from autoletter.profile.entrypoints.deps import Deps, DepsDep, OwnAccount
from autoletter.profile.entrypoints.schemas import ProfileBody, ProfileView
from autoletter.runtime.http import ApiError, error_responses

PATH = "/v1/accounts/{account_id}/profile"

IfMatch = Annotated[
    str | None,
    Header(description='Apply only if the profile still has this ETag (or "*"); stale → 412.'),
]


def etag(stored: StoredProfile) -> str:
    return f'"{stored.version}"'


def parse_if_match(header: str | None) -> frozenset[int] | None:
    """The versions an If-Match header accepts; None when any will do (absent or `*`).

    Strong comparison (RFC 9110 §13.1.1): weak tags and tags we never issued match nothing.
    """
    if header is None or header.strip() == "*":
        return None
    versions = set()
    for tag in (t.strip() for t in header.split(",")):
        inner = tag[1:-1] if len(tag) >= 2 and tag[0] == tag[-1] == '"' else ""
        if inner.isascii() and inner.isdigit():
            versions.add(int(inner))
    return frozenset(versions)


def _respond(stored: StoredProfile, response: Response) -> ProfileView:
    response.headers["ETag"] = etag(stored)
    return ProfileView.of(stored)


async def _write(deps: Deps, write: handlers.Write, response: Response) -> ProfileView:
    try:
        # Committed when the block ends, so the response is sent only once the write (and its events)
        # is durable; an exception rolls it back.
        async with deps.units.begin() as uow:
            stored = await handlers.write_profile(uow, write)
    except InvalidProfile as exc:
        raise ApiError(
            422, "validation_error", "Some fields are invalid: " + ", ".join(exc.errors), exc.errors
        ) from exc
    except handlers.PreconditionFailed as exc:
        raise ApiError(
            412,
            "precondition_failed",
            "The profile changed since you read it: load it again and reapply your change.",
            {"etag": etag(exc.current)},
        ) from exc
    return _respond(stored, response)


WRITE_ERRORS = error_responses(401, 404, 412, 422)


def router() -> APIRouter:
    r = APIRouter(prefix="", tags=["profile"])

    @r.get(PATH, response_model=ProfileView, responses=error_responses(401, 404))
    async def get_profile(account_id: OwnAccount, deps: DepsDep, response: Response) -> ProfileView:
        """The profile, whether it is complete and what is missing (never written: all three)."""
        async with deps.units.read() as profiles:
            stored = await handlers.get_profile(profiles, account_id)
        return _respond(stored, response)

    @r.put(PATH, response_model=ProfileView, responses=WRITE_ERRORS)
    async def put_profile(
        account_id: OwnAccount, body: ProfileBody, deps: DepsDep, response: Response, if_match: IfMatch = None
    ) -> ProfileView:
        """Replace the whole profile; a field left out is cleared."""
        replacement = Profile.from_dict(body.model_dump())
        write = handlers.Write(account_id, lambda _: replacement, parse_if_match(if_match))
        return await _write(deps, write, response)

    @r.patch(PATH, response_model=ProfileView, responses=WRITE_ERRORS)
    async def patch_profile(
        account_id: OwnAccount, body: ProfileBody, deps: DepsDep, response: Response, if_match: IfMatch = None
    ) -> ProfileView:
        """Change some fields (JSON merge patch: absent stays, null clears, address parts merge)."""
        patch = body.model_dump(exclude_unset=True)
        write = handlers.Write(account_id, lambda before: before.merged(patch), parse_if_match(if_match))
        return await _write(deps, write, response)

    return r
