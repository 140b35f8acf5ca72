"""Expected startup states are not errors: aiokafka's 'coordinator not available' and 'topic not found
yet' are logged as info."""

from __future__ import annotations

import json
import logging

import pytest
from aiokafka import errors

from autoletter.runtime.logs import configure


def test_a_coordinator_still_being_elected_is_info_and_other_errors_stay_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure("test", json_logs=True)
    try:
        coordinator = logging.getLogger("aiokafka.consumer.group_coordinator")  # where aiokafka logs it
        coordinator.error("Group Coordinator Request failed: %s", errors.GroupCoordinatorNotAvailableError())
        coordinator.error("Attempt to join group failed due to fatal error: %s", errors.InvalidGroupIdError())
        cluster = logging.getLogger("aiokafka.cluster")
        cluster.error("Topic %s not found in cluster metadata", "letters.events")
    finally:
        root.handlers[:], root.level = saved
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["level"], line["message"].split(":")[0]) for line in lines] == [
        ("info", "Group Coordinator Request failed"),
        ("error", "Attempt to join group failed due to fatal error"),
        ("info", "Topic letters.events not found in cluster metadata"),
    ]
