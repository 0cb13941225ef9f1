"""Redis clients for tests that count what is sent."""

from __future__ import annotations

from typing import Any

import redis
from redis.client import Pipeline


class CountingRedis(redis.Redis):
    """A client that counts its round trips: a command, or a whole pipeline."""

    round_trips = 0

    def execute_command(self, *args: Any, **options: Any) -> Any:
        self.round_trips += 1
        return super().execute_command(*args, **options)

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Pipeline:
        client = self

        class CountedPipeline(Pipeline):
            def execute(self, raise_on_error: bool = True) -> list[Any]:
                client.round_trips += 1
                return super().execute(raise_on_error)

            def immediate_execute_command(self, *args: Any, **options: Any) -> Any:
                client.round_trips += 1
                return super().immediate_execute_command(*args, **options)

        return CountedPipeline(
            self.connection_pool, self.response_callbacks, transaction, shard_hint
        )
