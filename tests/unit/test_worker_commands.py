"""The `celery worker` command lines the harness starts for tests, drills and benchmarks."""

from __future__ import annotations

from harness.workers import FORKING_POOLS, worker_command


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_a_worker_runs_a_prefork_pool_unless_asked_otherwise() -> None:
    command = worker_command("w0", 2)

    assert option(command, "--pool") == "prefork"
    assert option(command, "--concurrency") == "2"


def test_a_worker_runs_the_pool_and_concurrency_asked_for() -> None:
    command = worker_command("w0", 8, "threads")

    assert option(command, "--pool") == "threads"
    assert option(command, "--concurrency") == "8"


def test_only_prefork_is_waited_for_as_child_processes() -> None:
    # A threads pool forks nothing: waiting for its children would never end.
    assert "prefork" in FORKING_POOLS
    assert "threads" not in FORKING_POOLS


def test_a_worker_takes_from_every_workers_queue_unless_one_is_named() -> None:
    assert "--queues" not in worker_command("w0", 1)
    assert option(worker_command("w0", 1, queue="drill"), "--queues") == "drill"
