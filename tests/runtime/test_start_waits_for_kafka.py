"""A replica started while Kafka does not answer waits (not ready) instead of exiting: the chaos soak
saw payments exit with status 3 when it restarted during a broker's outage (NodeNotReadyError)."""

from __future__ import annotations

import asyncio
import logging

import pytest
import sample_service as sample

from autoletter.devstack.process import free_port
from autoletter.runtime.testing import wait_for


async def test_topic_provisioning_waits_out_an_unreachable_kafka(
    database_url: str, db_schema: str, topic_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = f"127.0.0.1:{free_port()}"  # nothing listens there
    rt = sample.runtime(sample.settings(database_url, db_schema, nowhere, topic_prefix))
    caplog.set_level(logging.WARNING, logger="autoletter.runtime.service")
    prepare = asyncio.create_task(rt.prepare())
    try:

        async def retried_twice() -> bool:
            return [r.message for r in caplog.records].count("kafka_not_ready_at_start") >= 2

        await wait_for(retried_twice, 60, "two provisioning attempts logged as waiting, not a crash")
        assert not prepare.done(), "prepare gave up while Kafka was unreachable"
    finally:
        prepare.cancel()
        await asyncio.gather(prepare, return_exceptions=True)
        await rt.engine.dispose()
