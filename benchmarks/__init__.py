"""Benchmarks on real services: booking throughput (`run`) and lifecycle jobs (`lifecycle`)."""
