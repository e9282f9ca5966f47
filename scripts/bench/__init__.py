"""Benchmarks run by hand; their results are in BENCHMARKS.md (scripts/README.md)."""
