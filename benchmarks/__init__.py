"""Throughput and latency benchmarks of seat bookings against the no-op ceiling."""
