"""The workers' Prometheus figures, scraped from every instance and compared across a phase.

Each worker instance serves its own /metrics; their samples are added up. The figures are
cumulative, so what a phase did is the scrape after it less the scrape before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import httpx

from harness.processes import HOST

SCRAPE_TIMEOUT_S = 10.0

# (sample name, labels sorted) -> value, summed over the worker instances scraped.
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape_all(ports: Sequence[int]) -> Samples:
    """Every instance's /metrics, their samples added up; nothing without ports."""
    from prometheus_client.parser import text_string_to_metric_families

    samples: Samples = {}
    for port in ports:
        text = httpx.get(f"http://{HOST}:{port}/metrics", timeout=SCRAPE_TIMEOUT_S).text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                key = (sample.name, tuple(sorted(sample.labels.items())))
                samples[key] = samples.get(key, 0.0) + sample.value
    return samples


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    """How much `name` (summed over the samples carrying `labels`) grew between the scrapes."""
    return sum(matching(after, name, **labels)) - sum(matching(before, name, **labels))


def matching(samples: Samples, name: str, **labels: str) -> Iterable[float]:
    wanted = set(labels.items())
    return (
        value
        for (sample, sample_labels), value in samples.items()
        if sample == name and wanted <= set(sample_labels)
    )


def histogram_mean(before: Samples, after: Samples, histogram: str) -> tuple[float, float] | None:
    """(observations, their mean) of a histogram between two scrapes; None if none."""
    count = delta(before, after, f"{histogram}_count")
    if count <= 0:
        return None
    return count, delta(before, after, f"{histogram}_sum") / count
