"""The FastStream KafkaBroker of a service, built from settings, with our consumption semantics."""

from __future__ import annotations

from typing import Any

from faststream import Context
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage
from faststream.middlewares import AckPolicy
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from autoletter.runtime.consumer import MessageProcessor
from autoletter.runtime.kafka import connection_options
from autoletter.runtime.settings import KafkaSecurity, ServiceSettings


def _security(settings: ServiceSettings) -> BaseSecurity | None:
    options = connection_options(settings, settings.service_name)
    tls = options.get("ssl_context")
    protocol = settings.kafka_security_protocol
    if protocol in (KafkaSecurity.SASL_PLAINTEXT, KafkaSecurity.SASL_SSL):
        cls = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256}.get(
            settings.kafka_sasl_mechanism, SASLPlaintext
        )
        return cls(
            options["sasl_plain_username"],
            options["sasl_plain_password"],
            ssl_context=tls,
            use_ssl=tls is not None,
        )
    if protocol is KafkaSecurity.SSL:
        return BaseSecurity(ssl_context=tls, use_ssl=True)
    return None


def create_broker(settings: ServiceSettings) -> KafkaBroker:
    """A broker that never creates topics (we provision them) and waits for in-flight handlers."""
    return KafkaBroker(
        settings.kafka_bootstrap_list,
        security=_security(settings),
        client_id=settings.service_name,
        allow_auto_create_topics=False,
        graceful_timeout=settings.graceful_timeout_s,
        logger=None,
    )


async def _raw_records(message: KafkaMessage) -> None:
    """Keep FastStream from decoding bodies: the processor decodes each record and dead-letters bad ones."""
    return None


def register(broker: KafkaBroker, processor: MessageProcessor, topic_prefix: str) -> None:
    """Subscribe the processor. MANUAL ack policy: we commit explicit offsets ourselves, after the
    transaction or the dead-letter publish (PITFALLS: every other policy can lose or skip messages)."""
    sub = processor.sub

    async def on_batch(body: Any, message: KafkaMessage = Context("message")) -> None:
        records = message.raw_message if isinstance(message.raw_message, tuple) else (message.raw_message,)
        await processor.process(records, message.consumer)

    broker.subscriber(
        sub.topic.full_name(topic_prefix),
        decoder=_raw_records,  # we decode ourselves: FastStream's JSON decoding could fail a whole batch
        group_id=processor.kafka_group,  # the deployment's own group: never shared, never rebalanced
        batch=True,
        max_records=sub.batch_size,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        max_poll_interval_ms=10 * 60 * 1000,
    )(on_batch)
