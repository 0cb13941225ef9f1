"""What tests, fault drills and benchmarks share: real processes, databases, bodies, Redis."""
