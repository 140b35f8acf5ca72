"""aiokafka connection options from settings (SASL/SCRAM, TLS) and a producer that heals itself."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, OutOfOrderSequenceNumber, ProducerFenced, UnknownProducerId

from autoletter.runtime.settings import KafkaSecurity, KafkaSettings

log = logging.getLogger(__name__)


def connection_options(settings: KafkaSettings, client_id: str) -> dict[str, Any]:
    """Keyword arguments shared by every aiokafka client. Never log the result: it holds the password."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_list,
        "client_id": client_id,
        "security_protocol": settings.kafka_security_protocol.value,
    }
    if settings.kafka_security_protocol in (KafkaSecurity.SSL, KafkaSecurity.SASL_SSL):
        options["ssl_context"] = ssl.create_default_context(cafile=settings.kafka_ssl_cafile)
    if settings.kafka_security_protocol in (KafkaSecurity.SASL_PLAINTEXT, KafkaSecurity.SASL_SSL):
        if settings.kafka_sasl_username is None or settings.kafka_sasl_password is None:
            raise ValueError("kafka_sasl_username and kafka_sasl_password are required for SASL")
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = settings.kafka_sasl_password.get_secret_value()
    return options


# Errors after which aiokafka's idempotent producer stays stuck until recreated (aiokafka #1017).
_FATAL = (OutOfOrderSequenceNumber, UnknownProducerId, ProducerFenced)

Record = tuple[str, bytes, bytes | None, Sequence[tuple[str, bytes]]]  # topic, value, key, headers


class Producer:
    """acks=all, idempotent where the broker supports it; recreated after an unrecoverable error."""

    def __init__(self, settings: KafkaSettings, client_id: str) -> None:
        self._settings = settings
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    **connection_options(self._settings, self._client_id),
                    acks="all",
                    enable_idempotence=self._settings.kafka_idempotent_producer,
                    linger_ms=2,
                    max_batch_size=256 * 1024,
                )
                await producer.start()
                self._producer = producer

    async def stop(self) -> None:
        async with self._lock:
            if self._producer is not None:
                producer, self._producer = self._producer, None
                await producer.stop()

    @property
    def connected(self) -> bool:
        return self._producer is not None

    async def send_all(self, records: Sequence[Record]) -> None:
        """Send records in order and wait until the broker acknowledged every one."""
        await self.start()
        producer = self._producer
        assert producer is not None
        try:
            futures = [
                await producer.send(topic, value, key=key, headers=list(headers))
                for topic, value, key, headers in records
            ]
            await asyncio.gather(*futures)
        except _FATAL:
            log.warning("producer_recreated", extra={"client_id": self._client_id})
            await self.stop()
            raise
        except KafkaError:
            raise
