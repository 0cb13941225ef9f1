"""Benchmarks on real services: throughput (`run`), lifecycle jobs (`lifecycle`), `series`."""
