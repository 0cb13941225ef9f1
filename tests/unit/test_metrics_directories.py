"""Where a worker instance's pool writes its figures: a directory of its own, emptied at start."""

from __future__ import annotations

import shutil
from pathlib import Path

from worker.metrics_exporter import instance_directory


def test_two_worker_instances_on_one_machine_write_to_directories_of_their_own(
    tmp_path: Path,
) -> None:
    first = instance_directory(str(tmp_path), 9100)
    (first / "counter_41.db").write_bytes(b"figures of the first")

    second = instance_directory(str(tmp_path), 9101)

    assert first != second
    assert (first / "counter_41.db").read_bytes() == b"figures of the first"
    assert list(second.iterdir()) == []


def test_a_worker_instance_starts_from_an_empty_directory(tmp_path: Path) -> None:
    before = instance_directory(str(tmp_path), 9100)
    (before / "histogram_7.db").write_bytes(b"figures of the last run")

    again = instance_directory(str(tmp_path), 9100)

    assert again == before
    assert list(again.iterdir()) == []


def test_without_a_directory_each_instance_gets_a_fresh_temporary_one() -> None:
    first, second = instance_directory(None, 9100), instance_directory(None, 9100)
    try:
        assert first != second
        assert list(first.iterdir()) == list(second.iterdir()) == []
    finally:
        shutil.rmtree(first)
        shutil.rmtree(second)
