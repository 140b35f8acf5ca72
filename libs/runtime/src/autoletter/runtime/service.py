"""The service shape: a bootstrap builds Resources and a frozen Deps and returns a Service (what to
consume, serve, run periodically and publish); ServiceRuntime runs it, `serve` runs it under uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar, overload

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi_offline import FastAPIOffline
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from autoletter.contracts import Topic
from autoletter.runtime import db, metrics, migrations, topics, tracing
from autoletter.runtime.broker import create_broker, register
from autoletter.runtime.clock import Clock
from autoletter.runtime.consumer import MessageProcessor, Subscription
from autoletter.runtime.http import error_body, error_responses, install_error_handlers
from autoletter.runtime.jobs import Job
from autoletter.runtime.kafka import Producer, connection_options
from autoletter.runtime.lag import observe_lag
from autoletter.runtime.notify import Channel
from autoletter.runtime.relay import OutboxRelay
from autoletter.runtime.settings import ServiceSettings
from autoletter.runtime.uow import Units
from autoletter.runtime.waiting import RetryPolicy

log = logging.getLogger(__name__)

D = TypeVar("D")
R = TypeVar("R")


@dataclass(frozen=True)
class Resources:
    """What a service's bootstrap gets from the runtime before wiring its Deps: settings, clock, the
    database engine and sessions (opened lazily: nothing connects before the runtime starts)."""

    settings: ServiceSettings
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @classmethod
    def open(cls, settings: ServiceSettings, clock: Clock | None = None) -> Resources:
        tracing.configure(
            settings.service_name, endpoint=settings.otlp_endpoint, sample_ratio=settings.tracing_sample_ratio
        )
        engine = db.create_engine(
            settings.database_url.get_secret_value(),
            settings.database_schema,
            pool_size=settings.database_pool_size,
        )
        return cls(settings, clock or settings.make_clock(), engine, db.session_factory(engine))

    @overload
    def units(self) -> Units[None]: ...
    @overload
    def units(self, repos: Callable[[AsyncSession], R]) -> Units[R]: ...
    def units(self, repos: Callable[[AsyncSession], Any] | None = None) -> Units[Any]:
        """The service's units of work, with its repositories built over each one's session (none:
        its handlers use the session directly)."""
        return Units(self.sessions, self.clock, self.settings.service_name, repos or _no_repos)


def _no_repos(session: AsyncSession) -> None:
    del session


@dataclass(frozen=True)
class Service(Generic[D]):
    """What a service's bootstrap returns and the runtime runs: its frozen Deps (which the routes
    reach through `app.state.deps`), what it consumes, serves, runs periodically and publishes."""

    resources: Resources
    deps: D
    migrations: Path
    title: str
    #: Opens the units of work its handlers get (the consumers' too).
    units: Units[Any]
    publishes: Sequence[Topic] = ()
    subscriptions: Sequence[Subscription] = ()
    routers: Sequence[APIRouter] = ()
    jobs: Sequence[Job] = ()
    #: NOTIFY channels the runtime LISTENs on (each sets its `wake`).
    channels: Sequence[Channel] = ()
    #: Run at every start after migrations and topics (e.g. loading a price list), in order.
    prepare: Sequence[Callable[[], Awaitable[None]]] = ()
    retry: RetryPolicy | None = None


Bootstrap = Callable[[], Service[Any]]


class ServiceRuntime:
    """Runs one Service: migrations, topics, relay, consumers, jobs, listeners and the HTTP app."""

    def __init__(self, service: Service[Any]) -> None:
        self.service = service
        self.deps: Any = service.deps  # the service's own Deps
        settings = service.resources.settings
        self.settings = settings
        self.clock: Clock = service.resources.clock
        self.producer_name = settings.service_name
        self.migrations = service.migrations
        self.subscriptions = tuple(service.subscriptions)
        self.publishes = tuple(service.publishes)
        self.engine = service.resources.engine
        self.sessions = service.resources.sessions
        self.producer = Producer(settings, f"{settings.service_name}-producer")
        self.relay = OutboxRelay(
            self.sessions,
            self.producer,
            service=settings.service_name,
            topic_prefix=settings.kafka_topic_prefix,
            clock=self.clock,
        )
        retry = service.retry or RetryPolicy(
            outage_max_delay=settings.consumer_outage_max_backoff_s,
            slow_limit=settings.consumer_slow_retry_limit_s,
        )
        self.processors = [
            MessageProcessor(
                s,
                service.units,
                self.producer,
                service=settings.service_name,
                topic_prefix=settings.kafka_topic_prefix,
                retry=retry,
            )
            for s in self.subscriptions
        ]
        self.broker: KafkaBroker | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.ready = False

    def topic_name(self, topic: Topic) -> str:
        """The topic's name with the configured prefix."""
        return topic.full_name(self.settings.kafka_topic_prefix)

    async def prepare(self) -> None:
        """Schema, migrations and topics: safe to run in every replica at every start."""
        await migrations.upgrade(
            self.settings.database_url.get_secret_value(), self.settings.database_schema, self.migrations
        )
        await self._provision_topics()
        for step in self.service.prepare:
            await step()

    async def _provision_topics(self) -> None:
        """The topics this service uses, once Kafka answers: a replica started while a broker is down
        or the cluster is still electing waits (not ready) instead of exiting."""
        delay = 0.5
        while True:
            try:
                return await self._provision_topics_once()
            except KafkaError as exc:
                if not exc.retriable:
                    raise
                log.warning(
                    "kafka_not_ready_at_start", extra={"error": type(exc).__name__, "retry_in_s": delay}
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)

    async def _provision_topics_once(self) -> None:
        admin = AIOKafkaAdminClient(**connection_options(self.settings, f"{self.producer_name}-admin"))
        await admin.start()
        try:
            # What this service uses: the topics it publishes and consumes, and its dead-letter topics.
            used = {t.name: t for t in (*self.publishes, *(s.topic for s in self.subscriptions))}
            wanted = [*used.values(), *(s.topic.dlq(s.group) for s in self.subscriptions)]
            await topics.provision(
                admin, wanted, self.settings.kafka_topic_prefix, self.settings.kafka_replication_factor
            )
        finally:
            await admin.close()

    async def start(self) -> None:
        await self.prepare()
        await self.producer.start()
        self._spawn("outbox-relay", self.relay.run())
        if self.processors:
            self.broker = create_broker(self.settings)
            for processor in self.processors:
                register(self.broker, processor, self.settings.kafka_topic_prefix)
            await self.broker.start()
        if self.processors:
            groups = [(p.sub.group, p.kafka_group, self.topic_name(p.sub.topic)) for p in self.processors]
            self._spawn(
                "consumer-lag",
                observe_lag(self.settings, self.producer_name, groups, self.settings.metrics_interval_s),
            )
        for channel in self.service.channels:
            self._spawn(f"listen-{channel.name}", channel.listen(self.engine))
        for job in self.service.jobs:
            self._spawn(job.name, job.run())
        self.ready = True
        log.info("service_started", extra={"settings": self.settings.redacted()})

    async def stop(self) -> None:
        """Stop consuming, let in-flight handlers finish, flush the outbox, close connections."""
        self.ready = False
        if self.broker is not None:
            await asyncio.gather(*(p.settle() for p in self.processors))
            await self.broker.stop()  # waits for in-flight handlers up to graceful_timeout
            self.broker = None
        self.relay.stop()
        for task in self._tasks:
            if task.get_name() != "outbox-relay":
                task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        with contextlib.suppress(Exception):
            await self.relay.publish_pending()  # last flush of what committed during shutdown
        await self.producer.stop()
        await self.engine.dispose()
        log.info("service_stopped")

    def _spawn(self, name: str, coro: Awaitable[None]) -> None:
        async def guarded() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background_task_crashed", extra={"task": name})
                raise

        self._tasks.append(asyncio.create_task(guarded(), name=name))

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[ServiceRuntime]:
        """Start for the duration of the block (tests, CLI), then stop gracefully."""
        await self.start()
        try:
            yield self
        finally:
            await self.stop()

    def create_app(self) -> FastAPI:
        """The service's FastAPI app: its routes, health, readiness, metrics, errors, lifespan."""

        @contextlib.asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            async with self.running():
                yield

        # /docs and /redoc from files of a pinned package: they work offline, with no CDN.
        app = FastAPIOffline(title=self.service.title, lifespan=lifespan)
        app.state.runtime = self
        app.state.deps = self.deps
        tracing.instrument_app(app)
        install_error_handlers(app)
        service = self.settings.service_name

        app.add_middleware(RequestCounter, service=service)

        app.include_router(health_router())
        for router in self.service.routers:
            app.include_router(router)
        return app


class RequestCounter:
    """Counts every HTTP request by route template (bounded labels) and status. Plain ASGI: Starlette's
    BaseHTTPMiddleware cost about a tenth of a webhook request's CPU (bench/run --profile)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # unless a response starts: an error nothing answered

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            metrics.HTTP_REQUESTS.labels(self.service, route, str(status)).inc()


def get_runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]


def deps_of(request: Request) -> Any:
    """The service's Deps, for its `DepsDep = Annotated[Deps, Depends(deps_of)]` alias."""
    return request.app.state.deps


class HealthOut(BaseModel):
    status: str


class ReadyOut(BaseModel):
    status: str
    checks: dict[str, bool]


def health_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", response_model=HealthOut)
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @router.get(
        "/readyz", response_model=ReadyOut, responses=error_responses(codes={503: "not_ready, with checks"})
    )
    async def readyz(runtime: RuntimeDep) -> Any:
        """Ready when started, the database answers and the producer is connected."""
        checks = {"started": runtime.ready, "producer": runtime.producer.connected}
        try:
            async with runtime.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = True
        except Exception:
            checks["database"] = False
        ok = all(checks.values())
        if not ok:
            body = {**error_body("not_ready", "The service is not ready yet."), "checks": checks}
            return JSONResponse(body, status_code=503)
        return {"status": "ready", "checks": checks}

    @router.get("/metrics", response_class=PlainTextResponse)
    async def metrics_endpoint() -> Response:
        """Prometheus metrics, in its text exposition format."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def serve(bootstrap: Bootstrap) -> None:
    """Run one service as a container would: JSON logs, uvicorn on the configured port.
    uvicorn's own graceful shutdown runs the lifespan's stop: consumers, relay flush, connections.
    With `http_reuse_port`, several processes of one service share the port (SO_REUSEPORT: the
    kernel spreads connections across them), as replicas do behind a load balancer."""
    import socket

    import uvicorn

    from autoletter.runtime import logs

    runtime = ServiceRuntime(bootstrap())
    settings, app = runtime.settings, runtime.create_app()
    logs.configure(settings.service_name, settings.log_level, settings.log_json)
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        timeout_graceful_shutdown=int(settings.graceful_timeout_s) + 5,
    )
    sockets = None
    if settings.http_reuse_port:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((settings.http_host, settings.http_port))
        sock.set_inheritable(True)
        sockets = [sock]
    uvicorn.Server(config).run(sockets=sockets)
