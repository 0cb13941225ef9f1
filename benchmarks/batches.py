"""Batch sizes the workers saw in a phase, from their histograms scraped before and after it.

A booking task may run several commands at once (per-class batching); the workers record how
many in a histogram.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .scrapes import Samples, delta, histogram_mean

# The batching work names its own histogram; until it lands, a task's commands are recorded in
# the runner's. The first of these with observations in a phase is the one reported.
BATCH_HISTOGRAMS = ("bookings_batch_size", "bookings_commands_per_task")


@dataclass(frozen=True)
class BatchSizes:
    """What one phase's tasks ran: how many tasks, their mean and largest batch."""

    histogram: str
    tasks: int
    mean: float
    # The upper bound of the highest bucket any task fell in: exact while the buckets are the
    # small whole numbers batches come in (1, 2, 5, ...), an upper bound above them.
    max_at_most: float

    def figures(self) -> dict[str, object]:
        return {
            "histogram": self.histogram,
            "tasks": self.tasks,
            "mean": round(self.mean, 2),
            "max_at_most": self.max_at_most,
        }


def batch_sizes(before: Samples, after: Samples) -> BatchSizes | None:
    """The batches of the tasks run between two scrapes; None if none was recorded."""
    for histogram in BATCH_HISTOGRAMS:
        observed = histogram_mean(before, after, histogram)
        if observed is not None:
            count, mean = observed
            buckets = _bucket_deltas(before, after, f"{histogram}_bucket")
            return BatchSizes(histogram, round(count), mean, _largest(buckets, count))
    return None


def _bucket_deltas(before: Samples, after: Samples, name: str) -> dict[float, float]:
    """Cumulative counts by upper bound (`le`), the phase's only."""
    bounds = {dict(labels)["le"] for sample, labels in after if sample == name}
    return {float(bound): delta(before, after, name, le=bound) for bound in bounds}


def _largest(cumulative: Mapping[float, float], count: float) -> float:
    """The lowest upper bound whose bucket holds every observation: the largest batch's bucket."""
    for bound in sorted(cumulative):
        if cumulative[bound] >= count:
            return bound
    return math.inf
