"""Idempotency keys are remembered for their retention period, then forgotten."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from harness.bodies import class_body
from tests.support.handlers import create
from worker.handlers import HandlerDeps
from worker.storage.queries import find_command_key, forget_command_keys

pytestmark = pytest.mark.integration


def test_keys_older_than_the_retention_are_forgotten_and_newer_ones_kept(
    handler_deps: HandlerDeps,
) -> None:
    old_key, new_key = f"old-{uuid.uuid4()}", f"new-{uuid.uuid4()}"
    now = datetime.now(UTC)
    with freeze_time(now - timedelta(days=31)):
        create(handler_deps, class_body(now + timedelta(days=3)), key=old_key)
    create(handler_deps, class_body(now + timedelta(days=3)), key=new_key)

    with handler_deps.unit_of_work() as uow:
        forgotten = forget_command_keys(uow.connection, now - timedelta(days=30), limit=1000)
        old, new = (
            find_command_key(uow.connection, old_key),
            find_command_key(uow.connection, new_key),
        )
        uow.commit()

    assert forgotten >= 1
    assert old is None
    assert new is not None
