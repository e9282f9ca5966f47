"""End-to-end phases run by .ci/run, and their clients (scripts/README.md)."""
