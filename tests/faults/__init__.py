"""Fault drills: break Redis, PostgreSQL, workers and receivers under load, then check every record.

`python -m tests.faults --help` runs them; `tests/faults/test_*.py` run their short forms in CI.
"""
