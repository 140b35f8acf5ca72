"""The runtime documents the errors every service answers: 422 and an unparseable body's 400 with
the error body (DESIGN §4), never FastAPI's own {"detail": [...]}; and the role before the input."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field

from autoletter.runtime.http import error_responses, install_error_handlers


class Body(BaseModel):
    name: str = Field(max_length=3)


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    router = APIRouter()

    @router.post("/things", responses=error_responses(401, codes={409: "thing_exists"}))
    async def create(body: Body) -> dict[str, str]:
        return {"name": body.name}

    @router.get("/things/{thing_id}")
    async def show(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    app.include_router(router)
    return app


def test_every_error_is_documented_with_the_error_body() -> None:
    document = _app().openapi()
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    create = document["paths"]["/things"]["post"]["responses"]
    show = document["paths"]["/things/{thing_id}"]["get"]["responses"]
    for responses, statuses in ((create, ("400", "401", "409", "422")), (show, ("422",))):
        for status in statuses:
            assert responses[status]["content"]["application/json"]["schema"] == error_ref, status
    assert "thing_exists" in create["409"]["description"]
    assert "400" not in show  # no body, nothing to parse
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert set(document["components"]["schemas"]["ErrorBody"]["required"]) == {"error", "message", "details"}


async def test_an_unparseable_body_is_answered_400_with_the_error_body() -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.post(
            "/things", content=b'f\x7f"\x11yI\xff\r', headers={"Content-Type": "application/json"}
        )
        invalid = await client.post("/things", json={"name": "toolong"})
    assert answer.status_code == 400
    assert set(answer.json()) == {"error", "message", "details"}
    assert invalid.status_code == 422 and "name" in invalid.json()["details"]
