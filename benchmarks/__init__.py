"""Benchmarks on real services: throughput (`run`), `gateway`, `lifecycle` jobs and `series`."""
