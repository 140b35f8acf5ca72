"""OpenAPI tells the truth (issue 18): schemathesis sends generated requests to each of the four
services, running in-process in their own schema and topic prefix, and checks every answer against
the service's own OpenAPI document: no 5xx, only documented statuses and content types, bodies that
match the documented schemas. A fixed seed (derandomized) and a small example budget per route."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from autoletter.runtime.auth import OPS_ROLE, mint_token
from autoletter.runtime.service import ServiceRuntime

#: Schemathesis' own strategies draw from `random`, which Hypothesis warns about; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")

SERVICES = ("profile", "payments", "letters", "invoicing")
SECRET = "contract-tests-secret-0123456789abcdef"
WEBHOOK_SECRET = "whsec_contract_tests_0123456789"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
#: A fixed seed, few examples per route: the four services take well under 90 s together.
FUZZ = settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


class Apps:
    """The four services' apps, built once; their lifespans run in schemathesis' own event loop."""

    def __init__(
        self, database_url: str, kafka_bootstrap: str, stripe_api_base: str, spool: Path, urls: dict[str, str]
    ) -> None:
        from autoletter.invoicing import bootstrap as invoicing
        from autoletter.invoicing.settings import InvoicingSettings
        from autoletter.letters import bootstrap as letters
        from autoletter.letters.settings import LettersSettings
        from autoletter.payments import bootstrap as payments
        from autoletter.payments.settings import PaymentsSettings
        from autoletter.profile import bootstrap as profile
        from autoletter.profile.settings import ProfileSettings

        tag = uuid.uuid4().hex[:8]
        self.database_url = database_url
        self.schemas: list[str] = []

        def common(name: str) -> dict[str, Any]:
            schema = f"oa{name}{tag}"
            self.schemas.append(schema)
            return {
                "database_url": database_url,
                "database_schema": schema,
                "kafka_bootstrap_servers": kafka_bootstrap,
                "kafka_topic_prefix": f"oa{tag}.",
                "environment": "test",
                "jwt_secret": SECRET,
                "graceful_timeout_s": 5,
            }

        self.apps: dict[str, Any] = {
            "profile": ServiceRuntime(profile.bootstrap(ProfileSettings(**common("pr")))).create_app(),
            "payments": ServiceRuntime(
                payments.bootstrap(
                    PaymentsSettings(
                        **common("pa"),
                        stripe_api_base=stripe_api_base,
                        stripe_webhook_secret=WEBHOOK_SECRET,
                    )
                )
            ).create_app(),
            "letters": ServiceRuntime(
                letters.bootstrap(LettersSettings(**common("le"), spool_dir=spool))
            ).create_app(),
            "invoicing": ServiceRuntime(
                invoicing.bootstrap(
                    InvoicingSettings(
                        **common("in"),
                        stripe_api_key="sk_test_123",
                        stripe_api_base=stripe_api_base,
                        close_schedule_enabled=False,
                        letters_url=urls["letters"],
                        payments_url=urls["payments"],
                    ),
                    schedule=False,
                )
            ).create_app(),
        }

    def drop(self) -> None:
        async def drop() -> None:
            engine = create_async_engine(self.database_url)
            async with engine.begin() as conn:
                for schema in self.schemas:
                    await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            await engine.dispose()

        # Its own thread and loop: pytest-asyncio's session loop is not ours to run or replace.
        worker = threading.Thread(target=asyncio.run, args=(drop(),))
        worker.start()
        worker.join()


class Servers:
    """The apps served by uvicorn in one thread with its own event loop, each on a port of its own
    (their lifespans start and stop the runtimes), so requests reach them as a client's would."""

    def __init__(self, apps: dict[str, Any], sockets: dict[str, socket.socket]) -> None:
        self.sockets = sockets
        self.servers = {
            name: uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on"))
            for name, app in apps.items()
        }
        self.thread = threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True)

    async def _serve(self) -> None:
        # One after the other: alembic's context is global to the process, so migrations of two
        # services must not run at once.
        serving = []
        for name, server in self.servers.items():
            serving.append(asyncio.create_task(server.serve(sockets=[self.sockets[name]])))
            while not server.started and not serving[-1].done():  # noqa: ASYNC110 uvicorn has no event
                await asyncio.sleep(0.05)
        await asyncio.gather(*serving)

    def __enter__(self) -> Servers:
        self.thread.start()
        deadline = time.monotonic() + 90
        while not all(s.started for s in self.servers.values()):
            assert self.thread.is_alive(), "a service failed to start"
            assert time.monotonic() < deadline, "the services did not start within 90 s"
            time.sleep(0.1)
        return self

    def __exit__(self, *_: object) -> None:
        for server in self.servers.values():
            server.should_exit = True
        self.thread.join(30)


def _bound() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="module")
def schemas(
    database_url: str, kafka_bootstrap: str, stripe_api_base: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """Each service's OpenAPI document, as the running service serves it."""
    sockets = {name: _bound() for name in SERVICES}
    urls = {name: f"http://127.0.0.1:{s.getsockname()[1]}" for name, s in sockets.items()}
    # Invoicing's reconciliation reads the other sides: these very services.
    built = Apps(database_url, kafka_bootstrap, stripe_api_base, tmp_path_factory.mktemp("spool"), urls)
    try:
        with Servers(built.apps, sockets):
            yield {name: schemathesis.openapi.from_url(f"{url}/openapi.json") for name, url in urls.items()}
    finally:
        built.drop()


#: An ops token may act on any account, so generated account ids reach the handlers; a customer's
#: meets 404 on other accounts and 403 on ops routes (before any 422 about its input).
TOKENS = {
    "ops": {"Authorization": f"Bearer {mint_token(SECRET, 'contract-ops', roles=[OPS_ROLE])}"},
    "customer": {"Authorization": f"Bearer {mint_token(SECRET, 'contract-customer')}"},
}


def _check(case: Any, token: str) -> int:
    response = case.call_and_validate(headers=TOKENS[token], checks=CHECKS)
    if token == "customer" and case.path.startswith(("/v1/ops/", "/v1/billing-runs")):
        assert response.status_code == 403, response.text
    if case.path == "/v1/stripe/webhook":
        assert response.status_code == 400, response.text  # never signed here
    return int(response.status_code)


def _fuzz(operation: Any) -> set[int]:
    """Fuzz one route: valid requests and invalid ones (wrong types, lengths, patterns), as ops and
    as a customer, each answered as documented; the statuses seen."""
    seen: set[int] = set()
    cases = st.one_of(operation.as_strategy(mode) for mode in GenerationMode)

    @FUZZ
    @given(case=cases, token=st.sampled_from(sorted(TOKENS)))
    def fuzz(case: Any, token: str) -> None:
        seen.add(_check(case, token))

    fuzz()
    return seen


@pytest.mark.parametrize("service", SERVICES)
def test_every_answer_is_the_one_documented(schemas: dict[str, Any], service: str) -> None:
    failures: list[str] = []
    statuses: dict[str, set[int]] = {}
    for result in schemas[service].get_all_operations():
        operation = result.ok()
        route = f"{operation.method.upper()} {operation.path}"
        try:
            statuses[route] = _fuzz(operation)
        except Exception as exc:  # one route's failure must not hide another's
            failures.append(f"{route}: {exc}")
    assert not failures, "\n\n".join(failures)
    print(service, {route: sorted(seen) for route, seen in statuses.items()})  # shown with -s
    assert all(statuses.values()), f"routes never called: {[r for r, s in statuses.items() if not s]}"
